// Per-frame camera constants (binding 0) and per-object constants (binding 1), std140.
layout(std140) uniform CameraConstants {
    mat4 view;
    mat4 proj;
    mat4 view_proj;
    vec4 camera_pos;   // xyz: world position, metres
    vec4 near_far;     // x: near (m), y: far (m), z: vertical fov (rad), w: aspect
};
layout(std140) uniform ObjectConstants {
    mat4 world;
    vec4 tint;         // rgb replaces pure-white vertex colours (car paint, clothes)
    uvec4 object_info; // x: object id, y: stencil value, z: class, w: unused
};

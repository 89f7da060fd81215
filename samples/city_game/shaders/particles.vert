#version 450 core
#include "common_blocks.glsl"
uniform float time_s;
out float v_alpha;
// Rain streaks in a 50 x 50 x 24 m box that follows the camera; positions are a hash of the instance id.
float hash(float n) { return fract(sin(n) * 43758.5453123); }
void main() {
    float id = float(gl_InstanceID);
    vec3 box = vec3(50.0, 50.0, 24.0);
    vec3 seed = vec3(hash(id * 1.13), hash(id * 7.31 + 3.0), hash(id * 3.77 + 11.0));
    vec3 base = camera_pos.xyz - vec3(box.xy * 0.5, 4.0);
    vec3 p = seed * box;
    p.z = mod(p.z - time_s * 9.0, box.z);
    p.xy = mod(p.xy - base.xy, box.xy);
    vec3 world_pos = base + p;
    vec3 to_cam = normalize(camera_pos.xyz - world_pos);
    vec3 side = normalize(cross(vec3(0.0, 0.0, 1.0), to_cam)) * 0.012;
    int corner = gl_VertexID;
    vec3 offset = (corner == 1 || corner == 2 || corner == 4) ? side : -side;
    float top = (corner >= 2 && corner != 3) ? 0.55 : 0.0;
    world_pos += offset + vec3(0.0, 0.0, top);
    v_alpha = 0.35;
    gl_Position = view_proj * vec4(world_pos, 1.0);
}

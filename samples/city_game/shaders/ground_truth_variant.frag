#version 450 core
#include "common_blocks.glsl"
in vec3 v_world;
in vec3 v_normal;
in vec3 v_color;
in vec4 v_material;
layout(location = 0) out float out_view_z;  // R32F: distance along the camera's forward axis, metres
layout(location = 1) out uint out_class;    // R8UI: the class stencil value the deferred renderer would write
layout(location = 2) out vec4 out_normal;   // RGBA32F: unit normal in this renderer's view space
uniform float view_forward_sign;            // -1: right-handed view (looks down -Z), +1: left-handed (+Z)
void main() {
    out_view_z = view_forward_sign * (view * vec4(v_world, 1.0)).z;
    out_class = object_info.y;
    out_normal = vec4(normalize(mat3(view) * normalize(v_normal)), 1.0);
}

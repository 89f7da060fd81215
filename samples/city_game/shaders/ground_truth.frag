#version 450 core
#include "common_blocks.glsl"
in vec3 v_world;
in vec3 v_normal;
in vec3 v_color;
in vec4 v_material;
layout(location = 0) out float out_view_z;   // R32F: distance along the camera's forward axis, metres
layout(location = 1) out uint out_stencil;   // R8UI: the value the G-buffer pass writes into the stencil
layout(location = 2) out uint out_instance;  // R32UI: the object's id (one per car, person, building, tree...)
void main() {
    out_view_z = -(view * vec4(v_world, 1.0)).z;
    out_stencil = object_info.y;
    out_instance = object_info.x;
}

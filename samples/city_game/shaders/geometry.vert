#version 450 core
#include "common_blocks.glsl"
in vec3 in_position;
in vec3 in_normal;
in vec3 in_color;
in vec4 in_material;
out vec3 v_world;
out vec3 v_normal;
out vec3 v_color;
out vec4 v_material;
void main() {
    vec4 world_pos = world * vec4(in_position, 1.0);
    v_world = world_pos.xyz;
    v_normal = mat3(world) * in_normal;
    v_color = all(greaterThan(in_color, vec3(0.99))) ? tint.rgb : in_color;
    v_material = in_material;
    gl_Position = view_proj * world_pos;
}

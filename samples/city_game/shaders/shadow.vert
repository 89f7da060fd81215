#version 450 core
#include "common_blocks.glsl"
in vec3 in_position;
void main() {
    gl_Position = view_proj * (world * vec4(in_position, 1.0));
}

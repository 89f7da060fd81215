#version 450
layout(push_constant) uniform Push {
    vec4 rect;
    vec4 albedo;
    vec4 normal;
    vec4 material;
    vec4 emissive;
    float depth;
} pc;

layout(location = 0) out vec4 out_colour;

void main() {
    out_colour = pc.albedo;
}

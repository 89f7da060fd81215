#version 450
layout(push_constant) uniform Push {
    vec4 rect;
    vec4 albedo;
    vec4 normal;
    vec4 material;
    vec4 emissive;
    float depth;
} pc;

layout(location = 0) out vec4 out_albedo;    // R8G8B8A8_SRGB
layout(location = 1) out vec4 out_normal;    // A2B10G10R10_UNORM_PACK32
layout(location = 2) out vec4 out_material;  // R8G8B8A8_UNORM
layout(location = 3) out vec4 out_emissive;  // R16G16B16A16_SFLOAT

void main() {
    out_albedo = pc.albedo;
    out_normal = pc.normal;
    out_material = pc.material;
    out_emissive = pc.emissive;
}

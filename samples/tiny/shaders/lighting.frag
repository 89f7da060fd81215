#version 450
// Deferred "lighting": reads the four G-buffer targets texel for texel.
layout(set = 0, binding = 0) uniform sampler2D g_albedo;
layout(set = 0, binding = 1) uniform sampler2D g_normal;
layout(set = 0, binding = 2) uniform sampler2D g_material;
layout(set = 0, binding = 3) uniform sampler2D g_emissive;

layout(location = 0) out vec4 out_colour;

void main() {
    ivec2 texel = ivec2(gl_FragCoord.xy);
    vec4 albedo = texelFetch(g_albedo, texel, 0);
    vec4 normal = texelFetch(g_normal, texel, 0);
    vec4 material = texelFetch(g_material, texel, 0);
    vec4 emissive = texelFetch(g_emissive, texel, 0);
    float light = 0.5 + 0.5 * normal.z;
    vec3 lit = albedo.rgb * light * (1.0 - material.r) + emissive.rgb * 0.25;
    out_colour = vec4(lit, 1.0);
}

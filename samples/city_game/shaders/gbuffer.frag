#version 450 core
#include "common_blocks.glsl"
in vec3 v_world;
in vec3 v_normal;
in vec3 v_color;
in vec4 v_material;
layout(location = 0) out vec4 out_albedo;    // SRGB8_ALPHA8, written already encoded (FRAMEBUFFER_SRGB off)
layout(location = 1) out vec4 out_normal;    // RGB10_A2: world normal * 0.5 + 0.5
layout(location = 2) out vec4 out_material;  // RGBA8: roughness, metallic, wettable, 1
layout(location = 3) out vec4 out_emissive;  // RGBA16F: emissive radiance, a = night-only flag

const uint BUILDING = 6u;

// The exact sRGB transfer function: cheaper here than llvmpipe's per-pixel GL_FRAMEBUFFER_SRGB path.
vec3 srgb_encode(vec3 c) {
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
}

float hash(vec2 p) { return fract(sin(dot(p, vec2(127.1, 311.7))) * 43758.5453); }

void main() {
    vec3 n = normalize(v_normal);
    vec3 albedo = v_color;
    vec4 material = vec4(v_material.xyz, 1.0);
    vec3 emissive = v_color * v_material.w * 0.6;
    float night_only = 0.0;
    if (object_info.z == BUILDING && abs(n.z) < 0.5 && v_material.w > 0.0) {
        vec2 t = vec2(-n.y, n.x);
        float u = dot(v_world.xy, t) / 3.0;
        float v = (v_world.z - 0.15) / 3.4;
        vec2 cell = floor(vec2(u, v));
        vec2 f = fract(vec2(u, v));
        bool window = v > 1.0 && f.x > 0.18 && f.x < 0.82 && f.y > 0.3 && f.y < 0.85;
        emissive = vec3(0.0);
        if (window) {
            albedo = vec3(0.05, 0.07, 0.09);
            material = vec4(0.12, 0.6, 0.0, 1.0);
            emissive = hash(cell + floor(v_world.xy * 0.01)) > 0.55 ? vec3(1.6, 1.2, 0.7) : vec3(0.0);
        } else if (v < 1.0) {
            albedo *= 0.7;
        }
        night_only = 1.0;
    }
    if (object_info.z == 7u && v_material.w > 0.0) night_only = 1.0;
    out_albedo = vec4(srgb_encode(clamp(albedo, 0.0, 1.0)), 1.0);
    out_normal = vec4(n * 0.5 + 0.5, 1.0);
    out_material = material;
    out_emissive = vec4(emissive, night_only);
}

#version 450 core
#include "common_blocks.glsl"
in vec2 v_uv;
out vec4 out_color;  // RGBA16F HDR radiance
uniform sampler2D g_albedo;
uniform sampler2D g_normal;
uniform sampler2D g_material;
uniform sampler2D g_emissive;
uniform sampler2D g_depth;
uniform sampler2DShadow shadow_map;  // compare mode on, linear: 2x2 PCF in one fetch
uniform mat4 inv_view_proj;
uniform mat4 shadow_matrix;
uniform vec3 sun_dir;
uniform vec3 sun_color;
uniform vec3 ambient;
uniform vec3 ground_ambient;
uniform vec3 sky_horizon;
uniform vec3 fog_color;
uniform float fog_density;
uniform float wetness;
uniform float night;
uniform float shadow_strength;
uniform int lamp_count;
uniform vec4 lamps[16];  // xyz position, w radius

float shadow_term(vec3 world_pos, vec3 n) {
    vec4 ls = shadow_matrix * vec4(world_pos + n * 0.08, 1.0);
    vec3 p = ls.xyz / ls.w;
    vec2 uv = p.xy * 0.5 + 0.5;
    if (any(lessThan(uv, vec2(0.0))) || any(greaterThan(uv, vec2(1.0)))) return 1.0;
    float lit = texture(shadow_map, vec3(uv, p.z + 0.0015));  // reversed depth: larger is nearer the sun
    return mix(1.0, lit, shadow_strength);
}

void main() {
    ivec2 texel = ivec2(gl_FragCoord.xy);
    float depth = texelFetch(g_depth, texel, 0).r;
    vec4 wp = inv_view_proj * vec4(v_uv * 2.0 - 1.0, depth, 1.0);
    vec3 world_pos = wp.xyz / wp.w;
    vec3 albedo = texelFetch(g_albedo, texel, 0).rgb;
    vec3 n = normalize(texelFetch(g_normal, texel, 0).xyz * 2.0 - 1.0);
    vec4 mat = texelFetch(g_material, texel, 0);
    vec4 em = texelFetch(g_emissive, texel, 0);
    float wet = mat.b * wetness;
    albedo *= 1.0 - 0.55 * wet;
    float roughness = mix(mat.r, 0.06, wet);
    vec3 v = normalize(camera_pos.xyz - world_pos);
    float ndl = max(dot(n, sun_dir), 0.0);
    vec3 h = normalize(v + sun_dir);
    float shininess = 2.0 / max(roughness * roughness, 0.002) ;
    float spec_strength = mix(0.04, 1.0, mat.g) * (1.0 - roughness * 0.7);
    float spec = pow(max(dot(n, h), 0.0), shininess) * spec_strength * (shininess + 8.0) / 25.0;
    vec3 color = albedo * ambient * (0.6 + 0.4 * n.z) + albedo * ground_ambient * 0.5 * (1.0 - n.z);
    color += (albedo + vec3(spec)) * sun_color * ndl * shadow_term(world_pos, n);
    if (wet > 0.0) {
        float fresnel = pow(1.0 - max(dot(n, v), 0.0), 5.0);
        color += sky_horizon * fresnel * wet * 0.8;
    }
#ifdef STREET_LAMPS
    for (int i = 0; i < lamp_count; ++i) {
        vec3 l = lamps[i].xyz - world_pos;
        float d2 = dot(l, l);
        vec3 ld = l * inversesqrt(d2);
        float falloff = max(1.0 - d2 / (lamps[i].w * lamps[i].w), 0.0);
        float lamp_spec = pow(max(dot(n, normalize(v + ld)), 0.0), shininess) * spec_strength;
        color += (albedo * max(dot(n, ld), 0.0) + vec3(lamp_spec)) * vec3(0.5, 0.36, 0.18) * falloff * falloff * night;
    }
#endif
    color += em.rgb * (em.a > 0.5 ? night : 1.0);
    float dist = length(camera_pos.xyz - world_pos);
    color = mix(fog_color, color, exp(-fog_density * dist));
    out_color = vec4(color, 1.0);
}

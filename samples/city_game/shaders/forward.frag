#version 450 core
#include "common_blocks.glsl"
in vec3 v_world;
in vec3 v_normal;
in vec3 v_color;
in vec4 v_material;
out vec4 out_color;  // RGBA8: lit, fogged, tone-mapped and gamma-encoded in one pass
uniform vec3 sun_dir;
uniform vec3 sun_color;
uniform vec3 ambient;
uniform vec3 fog_color;
uniform float fog_density;
uniform float exposure;

vec3 aces(vec3 x) {
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
}

void main() {
    vec3 n = normalize(v_normal);
    vec3 albedo = v_color;
    vec3 to_point = v_world - camera_pos.xyz;
    vec3 v = normalize(-to_point);
    float shininess = 2.0 / max(v_material.x * v_material.x, 0.002);
    float spec = pow(max(dot(n, normalize(v + sun_dir)), 0.0), shininess) * mix(0.04, 1.0, v_material.y) * 0.2;
    vec3 color = albedo * ambient * (0.6 + 0.4 * n.z) + (albedo + vec3(spec)) * sun_color * max(dot(n, sun_dir), 0.0);
    color += v_color * v_material.w * 0.6;
    color = mix(fog_color, color, exp(-fog_density * length(to_point)));
    out_color = vec4(pow(aces(color * exposure), vec3(1.0 / 2.2)), 1.0);
}

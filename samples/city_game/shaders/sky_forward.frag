#version 450 core
#include "common_blocks.glsl"
in vec2 v_uv;
out vec4 out_color;  // RGBA8, tone-mapped like forward.frag
uniform mat4 inv_view_proj;
uniform vec3 sun_dir;
uniform vec3 sun_color;
uniform vec3 sky_zenith;
uniform vec3 sky_horizon;
uniform vec3 fog_color;
uniform float fog_density;
uniform float night;
uniform float exposure;

vec3 aces(vec3 x) {
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
}

void main() {
    vec4 far_point = inv_view_proj * vec4(v_uv * 2.0 - 1.0, 0.5, 1.0);
    vec3 dir = normalize(far_point.xyz / far_point.w - camera_pos.xyz);
    float up = clamp(dir.z, 0.0, 1.0);
    vec3 color = mix(sky_horizon, sky_zenith, pow(up, 0.6));
    float sun = max(dot(dir, sun_dir), 0.0);
    color += sun_color * (pow(sun, 800.0) * 30.0 + pow(sun, 12.0) * 0.08) * (1.0 - night * 0.9);
    color = mix(fog_color, color, mix(exp(-fog_density * 300.0), 1.0, up));
    out_color = vec4(pow(aces(color * exposure), vec3(1.0 / 2.2)), 1.0);
}

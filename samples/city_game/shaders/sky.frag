#version 450 core
#include "common_blocks.glsl"
in vec2 v_uv;
out vec4 out_color;
uniform mat4 inv_view_proj;
uniform vec3 sun_dir;
uniform vec3 sun_color;
uniform vec3 sky_zenith;
uniform vec3 sky_horizon;
uniform vec3 fog_color;
uniform float fog_density;
uniform float night;
void main() {
    vec4 far_point = inv_view_proj * vec4(v_uv * 2.0 - 1.0, 0.5, 1.0);
    vec3 dir = normalize(far_point.xyz / far_point.w - camera_pos.xyz);
    float up = clamp(dir.z, 0.0, 1.0);
    vec3 color = mix(sky_horizon, sky_zenith, pow(up, 0.6));
    float sun = max(dot(dir, sun_dir), 0.0);
    color += sun_color * (pow(sun, 800.0) * 30.0 + pow(sun, 12.0) * 0.08) * (1.0 - night * 0.9);
    if (night > 0.5) {
        vec2 cell = floor(dir.xy / max(dir.z, 0.05) * 60.0);
        float star = fract(sin(dot(cell, vec2(12.9898, 78.233))) * 43758.5453);
        color += vec3(step(0.997, star) * 0.6 * up);
    }
    color = mix(fog_color, color, mix(exp(-fog_density * 300.0), 1.0, up));
    out_color = vec4(color, 1.0);
}

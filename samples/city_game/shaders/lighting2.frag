#version 450 core
#include "common_blocks.glsl"
in vec2 v_uv;
out vec4 out_color;  // RGBA16F HDR radiance
uniform sampler2D g_albedo;
uniform sampler2D g_normal;
uniform sampler2D g_depth;     // D24S8: 0 at near, 1 at far (cleared 1 = sky)
uniform mat4 inv_view_proj;    // clip -> left-handed Y-up world
uniform vec3 sun_dir;          // left-handed Y-up world
uniform vec3 sun_color;
uniform vec3 ambient;
uniform vec3 sky_zenith;
uniform vec3 sky_horizon;
uniform vec3 fog_color;
uniform float fog_density;
uniform float night;

vec3 decode_spheremap(vec2 e) {
    vec2 f = e * 4.0 - 2.0;
    float d = dot(f, f);
    return vec3(f * sqrt(max(1.0 - d / 4.0, 0.0)), d / 2.0 - 1.0);
}

vec3 sky(vec3 dir) {
    float up = clamp(dir.y, 0.0, 1.0);
    vec3 color = mix(sky_horizon, sky_zenith, pow(up, 0.6));
    float sun = max(dot(dir, sun_dir), 0.0);
    color += sun_color * (pow(sun, 800.0) * 30.0 + pow(sun, 12.0) * 0.08) * (1.0 - night * 0.9);
    return mix(fog_color, color, mix(exp(-fog_density * 300.0), 1.0, up));
}

void main() {
    ivec2 texel = ivec2(gl_FragCoord.xy);
    float depth = texelFetch(g_depth, texel, 0).r;
    vec4 wp = inv_view_proj * vec4(v_uv * 2.0 - 1.0, depth * 2.0 - 1.0, 1.0);
    vec3 world_pos = wp.xyz / wp.w;
    vec3 to_point = world_pos - camera_pos.xyz;
    if (depth == 1.0) {
        out_color = vec4(sky(normalize(to_point)), 1.0);
        return;
    }
    vec4 a = texelFetch(g_albedo, texel, 0);
    vec3 albedo = pow(a.rgb, vec3(2.2));
    vec3 n = normalize(transpose(mat3(view)) * decode_spheremap(texelFetch(g_normal, texel, 0).xy));
    vec3 v = normalize(-to_point);
    float shininess = 2.0 / max(a.a * a.a, 0.002);
    float spec = pow(max(dot(n, normalize(v + sun_dir)), 0.0), shininess) * 0.04 * (shininess + 8.0) / 25.0;
    vec3 color = albedo * ambient * (0.6 + 0.4 * n.y) + (albedo + vec3(spec)) * sun_color * max(dot(n, sun_dir), 0.0);
    color = mix(fog_color, color, exp(-fog_density * length(to_point)));
    out_color = vec4(color, 1.0);
}

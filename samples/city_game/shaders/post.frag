#version 450 core
in vec2 v_uv;
out vec4 out_color;
uniform sampler2D hdr;
uniform float exposure;
vec3 aces(vec3 x) {
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0);
}
void main() {
    vec3 c = texelFetch(hdr, ivec2(gl_FragCoord.xy), 0).rgb * exposure;
    c = aces(c);
    vec2 d = v_uv - 0.5;
    c *= 1.0 - dot(d, d) * 0.45;
    out_color = vec4(pow(c, vec3(1.0 / 2.2)), 1.0);
}

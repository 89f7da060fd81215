#version 450 core
in float v_alpha;
out vec4 out_color;
uniform sampler2D g_depth;
uniform vec3 rain_color;
void main() {
    float scene = texelFetch(g_depth, ivec2(gl_FragCoord.xy), 0).r;
    if (gl_FragCoord.z < scene) discard;  // reversed-Z: behind the scene
    out_color = vec4(rain_color, v_alpha);
}

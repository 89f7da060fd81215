#version 450 core
in float v_alpha;
out vec4 out_color;
uniform vec3 rain_color;
void main() {
    out_color = vec4(rain_color, v_alpha);
}

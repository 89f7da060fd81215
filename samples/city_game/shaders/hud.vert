#version 450 core
uniform vec4 rect;  // x0, y0, x1, y1 in normalised device coordinates
out vec2 v_uv;
void main() {
    vec2 p = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);
    v_uv = p;
    gl_Position = vec4(mix(rect.xy, rect.zw, p), 0.0, 1.0);
}

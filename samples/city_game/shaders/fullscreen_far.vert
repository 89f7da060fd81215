#version 450 core
// A full-screen triangle on the far plane (depth 1): with GL_LEQUAL it only covers pixels nothing was drawn on.
out vec2 v_uv;
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 1.0, 1.0);
}

#version 450
// A screen-aligned quad from four vertices of a triangle strip; no vertex buffer.
// Everything comes from push constants so the values written are known exactly.
layout(push_constant) uniform Push {
    vec4 rect;      // x0, y0, x1, y1 in Vulkan NDC (y = -1 is the top row)
    vec4 albedo;    // linear colour (the HUD draw uses it as its colour)
    vec4 normal;
    vec4 material;
    vec4 emissive;
    float depth;    // NDC depth, 0 = near
} pc;

void main() {
    float x = (gl_VertexIndex & 1) != 0 ? pc.rect.z : pc.rect.x;
    float y = (gl_VertexIndex & 2) != 0 ? pc.rect.w : pc.rect.y;
    gl_Position = vec4(x, y, pc.depth, 1.0);
}

#version 450 core
#include "common_blocks.glsl"
in vec3 v_world;
in vec3 v_normal;
in vec3 v_color;
in vec4 v_material;
layout(location = 0) out vec4 out_albedo;  // RGBA8 UNORM: base colour with gamma 1/2.2, a = roughness
layout(location = 1) out vec2 out_normal;  // RG16F: view-space normal, spheremap encoded

// Lambert azimuthal equal-area ("spheremap transform") with its pole at -Z: in this left-handed view
// space the camera looks down +Z, so surfaces facing it have n.z < 0 and the singularity (n.z = 1) faces away.
vec2 encode_spheremap(vec3 n) {
    return n.xy / sqrt(max(8.0 - 8.0 * n.z, 1e-6)) + 0.5;
}

void main() {
    vec3 n = normalize(mat3(view) * normalize(v_normal));
    out_albedo = vec4(pow(clamp(v_color, 0.0, 1.0), vec3(1.0 / 2.2)), v_material.x);
    out_normal = encode_spheremap(n);
}

#version 450 core
in vec2 v_uv;
out vec4 out_color;
uniform int mode;            // 0 minimap, 1 speedometer, 2 text
uniform sampler2D text_tex;  // mode 2: white glyphs in red, top row first
uniform vec2 player_xy;      // metres
uniform float player_heading;
uniform float pitch;         // metres between roads
uniform float road_half_width;
uniform float city_size;
uniform float speed_frac;    // 0..1 of the dial

vec4 minimap() {
    vec2 d = v_uv * 2.0 - 1.0;
    if (dot(d, d) > 1.0) return vec4(0.0);
    float c = cos(player_heading - 1.5707963), s = sin(player_heading - 1.5707963);
    vec2 w = player_xy + mat2(c, s, -s, c) * d * 120.0;
    vec2 m = abs(mod(w + pitch * 0.5, pitch) - pitch * 0.5);
    bool inside = all(greaterThan(w, vec2(-road_half_width))) && all(lessThan(w, vec2(city_size + road_half_width)));
    bool road = inside && min(m.x, m.y) < road_half_width;
    vec3 col = road ? vec3(0.55, 0.55, 0.6) : (inside ? vec3(0.12, 0.16, 0.2) : vec3(0.1, 0.2, 0.1));
    vec2 a = abs(d);
    bool arrow = d.y < 0.08 && d.y > -0.08 && a.x < (0.08 - d.y) * 0.5;
    if (arrow) col = vec3(1.0, 0.8, 0.1);
    float ring = smoothstep(0.9, 0.96, length(d));
    return vec4(mix(col, vec3(0.05), ring), 0.85);
}

vec4 speedometer() {
    vec2 d = v_uv * 2.0 - 1.0;
    float r = length(d);
    if (r > 1.0) return vec4(0.0);
    float ang = atan(d.y, d.x);
    float needle = mix(3.927, -0.785, speed_frac);
    vec2 nd = vec2(cos(needle), sin(needle));
    float along = dot(d, nd);
    float off = abs(d.x * nd.y - d.y * nd.x);
    vec3 col = vec3(0.05, 0.05, 0.07);
    float alpha = 0.75;
    float tick = abs(fract((ang + 0.785) / 4.712 * 12.0) - 0.5);
    if (r > 0.8 && r < 0.92 && tick > 0.42 && !(ang < -0.785 && ang > -2.356)) col = vec3(0.9);
    if (along > 0.0 && along < 0.85 && off < 0.035) col = vec3(1.0, 0.25, 0.1);
    if (r > 0.95) col = vec3(0.6);
    return vec4(col, alpha);
}

void main() {
    if (mode == 0) out_color = minimap();
    else if (mode == 1) out_color = speedometer();
    else {
        float a = texture(text_tex, vec2(v_uv.x, 1.0 - v_uv.y)).r;
        out_color = vec4(vec3(a), mix(0.45, 1.0, a));  // white text on a dark translucent strip
    }
}

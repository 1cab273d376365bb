#version 450
// Test shader for the recorder: out[i] = in[i] * mul + add over n floats, where each binding
// starts `skew` bytes (a multiple of 4) past its bound offset.
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0; // 0: axpb, 1: dst = src0 + src1
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) writeonly buffer D { float dst[]; };
layout(std430, binding = 2) readonly buffer B { float b[]; };
layout(push_constant) uniform P {
    uint n;
    uint skew_a, skew_d, skew_b; // in floats
    float mul, add;
} p;
void main() {
    uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
    if (i >= p.n) return;
    float v = a[p.skew_a + i];
    if (MODE == 1u) v += b[p.skew_b + i];
    dst[p.skew_d + i] = v * p.mul + p.add;
}

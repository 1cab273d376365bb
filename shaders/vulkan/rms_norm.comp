#version 450
// RMS_NORM: one workgroup per row of ne0 values; y = x / sqrt(mean(x^2) + eps) (* w).
// Rows are counted over dims 1..3 of x, so per-head views [hd, n_head, n] work as they are.
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#define VKOPS_REDUCE
#include "common.glsl"

layout(local_size_x = WG) in;
layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) readonly buffer W { float w[]; };
layout(binding = 2) buffer Y { float y[]; };
// Strides and skews in elements.
layout(push_constant) uniform P {
    uint ne0, ne1, ne2, nrows;
    uint xs, xnb1, xnb2, xnb3;
    uint ys, ynb1, ynb2, ynb3;
    uint ws, has_w;
    float eps;
} p;

void main() {
    const uint r = flat_group();
    if (r >= p.nrows) return;
    const uint i1 = r % p.ne1, i2 = (r / p.ne1) % p.ne2, i3 = r / (p.ne1 * p.ne2);
    const uint xo = p.xs + i1 * p.xnb1 + i2 * p.xnb2 + i3 * p.xnb3;
    const uint yo = p.ys + i1 * p.ynb1 + i2 * p.ynb2 + i3 * p.ynb3;
    const uint l = gl_LocalInvocationID.x;
    float s = 0.0;
    for (uint i = l; i < p.ne0; i += WG) {
        const float v = x[xo + i];
        s += v * v;
    }
    s = wg_sum(s);
    const float scale = inversesqrt(s / float(p.ne0) + p.eps);
    for (uint i = l; i < p.ne0; i += WG) {
        float v = x[xo + i] * scale;
        if (p.has_w != 0) v *= w[p.ws + i];
        y[yo + i] = v;
    }
}

#version 450
// SOFTMAX: one workgroup per row; y = softmax(x * scale) over ne0.
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#define VKOPS_REDUCE
#include "common.glsl"

layout(local_size_x = WG) in;
layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) buffer Y { float y[]; };
layout(push_constant) uniform P {
    uint ne0, ne1, ne2, nrows;
    uint xs, xnb1, xnb2, xnb3;
    uint ys, ynb1, ynb2, ynb3;
    float scale;
} p;

void main() {
    const uint r = flat_group();
    if (r >= p.nrows) return;
    const uint i1 = r % p.ne1, i2 = (r / p.ne1) % p.ne2, i3 = r / (p.ne1 * p.ne2);
    const uint xo = p.xs + i1 * p.xnb1 + i2 * p.xnb2 + i3 * p.xnb3;
    const uint yo = p.ys + i1 * p.ynb1 + i2 * p.ynb2 + i3 * p.ynb3;
    const uint l = gl_LocalInvocationID.x;
    float m = -3.0e38;
    for (uint i = l; i < p.ne0; i += WG) m = max(m, x[xo + i] * p.scale);
    m = wg_max(m);
    float s = 0.0;
    for (uint i = l; i < p.ne0; i += WG) {
        const float e = exp(x[xo + i] * p.scale - m);
        y[yo + i] = e;
        s += e;
    }
    s = wg_sum(s);
    const float inv = 1.0 / s;
    // Each invocation rescales only what it wrote, so no barrier is needed before this.
    for (uint i = l; i < p.ne0; i += WG) y[yo + i] *= inv;
}

#version 450
// ARGMAX: one workgroup per row; the index of the largest value, ties to the lowest index.
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#include "common.glsl"

layout(local_size_x = WG) in;
layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) writeonly buffer Y { int y[]; };
layout(push_constant) uniform P {
    uint ne0, ne1, ne2, nrows;
    uint xs, xnb1, xnb2, xnb3;
    uint ys;
} p;

shared float red_v[WG];
shared uint red_i[WG];

void main() {
    const uint r = flat_group();
    if (r >= p.nrows) return;
    const uint i1 = r % p.ne1, i2 = (r / p.ne1) % p.ne2, i3 = r / (p.ne1 * p.ne2);
    const uint xo = p.xs + i1 * p.xnb1 + i2 * p.xnb2 + i3 * p.xnb3;
    const uint l = gl_LocalInvocationID.x;
    // Each invocation scans ascending indices, so its strict > keeps its lowest index.
    float bv = NEG_INF;
    uint bi = 0xffffffffu;
    for (uint i = l; i < p.ne0; i += WG) {
        const float v = x[xo + i];
        if (bi == 0xffffffffu || v > bv) {
            bv = v;
            bi = i;
        }
    }
#ifdef USE_SUBGROUP
    const float m = subgroupMax(bi == 0xffffffffu ? NEG_INF : bv);
    const uint mi = subgroupMin(bi != 0xffffffffu && bv == m ? bi : 0xffffffffu);
    if (subgroupElect()) {
        red_v[gl_SubgroupID] = m;
        red_i[gl_SubgroupID] = mi;
    }
    barrier();
    if (l == 0) {
        float v = red_v[0];
        uint idx = red_i[0];
        for (uint s = 1; s < gl_NumSubgroups; s++) {
            const uint j = red_i[s];
            if (j == 0xffffffffu) continue;
            if (idx == 0xffffffffu || red_v[s] > v || (red_v[s] == v && j < idx)) {
                v = red_v[s];
                idx = j;
            }
        }
        y[p.ys + r] = int(idx == 0xffffffffu ? 0u : idx);
    }
#else
    red_v[l] = bv;
    red_i[l] = bi;
    barrier();
    for (uint s = WG / 2; s > 0; s >>= 1) {
        if (l < s) {
            const uint j = red_i[l + s];
            const float v = red_v[l + s];
            const uint i0 = red_i[l];
            if (j != 0xffffffffu &&
                (i0 == 0xffffffffu || v > red_v[l] || (v == red_v[l] && j < i0))) {
                red_v[l] = v;
                red_i[l] = j;
            }
        }
        barrier();
    }
    if (l == 0) y[p.ys + r] = int(red_i[0] == 0xffffffffu ? 0u : red_i[0]);
#endif
}

#version 450
#extension GL_EXT_control_flow_attributes : require
#define TYPES_UNROLL 1

/* MUL_MAT, matrix x vector (n <= MV_COLS): one workgroup per row of w; the invocations split
 * k in units of 32 values (adjacent invocations read adjacent blocks) and each unit, dequantized
 * once, is dotted with every column. Partial sums are reduced with subgroup adds
 * (USE_SUBGROUP=1, any subgroup size) or a shared-memory tree. */
#if USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

#define WG 64u
#define MV_COLS 8u
layout(local_size_x = 64) in;

#include "mul_mat_common.glsl"

shared float red[MV_COLS * WG];

void main() {
    const uint r = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (r >= p.rows) return; /* uniform over the workgroup */
    const uint t = gl_LocalInvocationID.x;
    const uint row = p.w_off + r * p.w_row;

    float acc[MV_COLS];
    for (uint j = 0u; j < MV_COLS; j++) acc[j] = 0.0;
    float v[32];
    for (uint u = t; u < p.units; u += WG) {
        DEQ(row, u, v);
        const uint a0 = p.a_off + u * UNIT;
        if (p.n == 1u) { /* decode: no column loop, the sum stays in a register */
            float s = 0.0;
            UNROLL for (uint i = 0u; i < 32u; i++) s += v[i] * A[a0 + i];
            acc[0] += s;
            continue;
        }
        /* Not unrolled: unrolling this loop made lavapipe ~10x slower. */
        for (uint j = 0u; j < MV_COLS; j++) {
            if (j >= p.n) break;
            const uint ab = a0 + j * p.a_stride;
            float s = 0.0;
            UNROLL for (uint i = 0u; i < 32u; i++) s += v[i] * A[ab + i];
            acc[j] += s;
        }
    }

#if USE_SUBGROUP
    for (uint j = 0u; j < MV_COLS; j++) {
        if (j >= p.n) break; /* uniform */
        const float s = subgroupAdd(acc[j]);
        if (subgroupElect()) red[j * WG + gl_SubgroupID] = s;
    }
    barrier();
    if (t < p.n) {
        float s = 0.0;
        for (uint g = 0u; g < gl_NumSubgroups; g++) s += red[t * WG + g];
        D[p.d_off + t * p.d_stride + r] = s;
    }
#else
    for (uint j = 0u; j < MV_COLS; j++) {
        if (j >= p.n) break;
        red[j * WG + t] = acc[j];
    }
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
        if (t < h) {
            for (uint j = 0u; j < MV_COLS; j++) {
                if (j >= p.n) break;
                red[j * WG + t] += red[j * WG + t + h];
            }
        }
        barrier();
    }
    if (t < p.n) D[p.d_off + t * p.d_stride + r] = red[t * WG];
#endif
}

#version 450
#extension GL_EXT_control_flow_attributes : require
#define TYPES_UNROLL 1

/* MUL_MAT, matrix x vector (n <= MV_COLS): one workgroup per row of w (MV_ROWS rows at n = 1);
 * the invocations split k in units of 32 values (adjacent invocations read adjacent blocks) and
 * each unit, dequantized once, is dotted with every column. Partial sums are reduced with subgroup adds
 * (USE_SUBGROUP=1, any subgroup size) or a shared-memory tree. */
#if USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

#define WG 64u
#define MV_COLS 8u
#define MV_ROWS 4u
layout(local_size_x = 64) in;

#include "mul_mat_common.glsl"

shared float red[MV_COLS * WG];

/* n = 1 (decode): MV_ROWS rows per workgroup, so each unit of activations, loaded once into
 * registers, serves several rows (activation reads would otherwise outnumber weight bytes). */
void matvec1(uint wg, uint t) {
    const uint r0 = wg * MV_ROWS;
    if (r0 >= p.rows) return; /* uniform over the workgroup */
    uint roff[MV_ROWS];
    float acc[MV_ROWS];
    UNROLL for (uint rr = 0u; rr < MV_ROWS; rr++) {
        /* rows past the end repeat the last one; their sums are not written */
        roff[rr] = p.w_off + min(r0 + rr, p.rows - 1u) * p.w_row;
        acc[rr] = 0.0;
    }
    float av[32], v[32];
    for (uint u = t; u < p.units; u += WG) {
        const uint a0 = p.a_off + u * UNIT;
        UNROLL for (uint i = 0u; i < 32u; i++) av[i] = A[a0 + i];
        UNROLL for (uint rr = 0u; rr < MV_ROWS; rr++) {
            DEQ(roff[rr], u, v);
            float s = 0.0;
            UNROLL for (uint i = 0u; i < 32u; i++) s += v[i] * av[i];
            acc[rr] += s;
        }
    }
#if USE_SUBGROUP
    UNROLL for (uint rr = 0u; rr < MV_ROWS; rr++) {
        const float s = subgroupAdd(acc[rr]);
        if (subgroupElect()) red[rr * WG + gl_SubgroupID] = s;
    }
    barrier();
    if (t < MV_ROWS && r0 + t < p.rows) {
        float s = 0.0;
        for (uint g = 0u; g < gl_NumSubgroups; g++) s += red[t * WG + g];
        D[p.d_off + r0 + t] = s;
    }
#else
    UNROLL for (uint rr = 0u; rr < MV_ROWS; rr++) red[rr * WG + t] = acc[rr];
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
        if (t < h) {
            UNROLL for (uint rr = 0u; rr < MV_ROWS; rr++) red[rr * WG + t] += red[rr * WG + t + h];
        }
        barrier();
    }
    if (t < MV_ROWS && r0 + t < p.rows) D[p.d_off + r0 + t] = red[t * WG];
#endif
}

void main() {
    const uint r = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    const uint t = gl_LocalInvocationID.x;
    if (p.n == 1u) {
        matvec1(r, t);
        return;
    }
    if (r >= p.rows) return; /* uniform over the workgroup */
    const uint row = p.w_off + r * p.w_row;

    float acc[MV_COLS];
    for (uint j = 0u; j < MV_COLS; j++) acc[j] = 0.0;
    float v[32];
    for (uint u = t; u < p.units; u += WG) {
        DEQ(row, u, v);
        const uint a0 = p.a_off + u * UNIT;
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

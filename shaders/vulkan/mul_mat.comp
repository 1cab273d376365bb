#version 450
#extension GL_EXT_control_flow_attributes : require
#define TYPES_UNROLL 1
/* MUL_MAT, tiled (n > MV_COLS): a workgroup of 64 invocations computes 64 rows x MM_COLS
 * columns of dst, one row per invocation. Weights go straight from memory to registers (no
 * shared-memory staging: Mali has no dedicated local memory); the activation tile of the
 * current unit (MM_COLS columns x 32 values) sits in shared memory, read by all rows. */
#define WG 64u
#define MM_COLS 8u
layout(local_size_x = 64) in;

#include "mul_mat_common.glsl"

shared float tile[MM_COLS * 32u];

void main() {
    const uint t = gl_LocalInvocationID.x;
    const uint r = gl_WorkGroupID.x * WG + t;
    const uint c0 = gl_WorkGroupID.y * MM_COLS;
    const bool live = r < p.rows;
    const uint row = p.w_off + r * p.w_row;

    float acc[MM_COLS];
    UNROLL for (uint j = 0u; j < MM_COLS; j++) acc[j] = 0.0;
    float v[32];
    for (uint u = 0u; u < p.units; u++) {
        barrier();
        for (uint e = t; e < MM_COLS * 32u; e += WG) {
            const uint c = c0 + (e >> 5);
            tile[e] = c < p.n ? A[p.a_off + c * p.a_stride + u * UNIT + (e & 31u)] : 0.0;
        }
        barrier();
        if (live) {
            DEQ(row, u, v);
            UNROLL for (uint j = 0u; j < MM_COLS; j++) {
                float s = 0.0;
                UNROLL for (uint i = 0u; i < 32u; i++) s += v[i] * tile[j * 32u + i];
                acc[j] += s;
            }
        }
    }
    if (!live) return;
    UNROLL for (uint j = 0u; j < MM_COLS; j++) {
        if (c0 + j < p.n) D[p.d_off + (c0 + j) * p.d_stride + r] = acc[j];
    }
}

/* ARGMAX: one work-group per row; the index of the largest value, ties to the lowest index,
 * exactly as the CPU's sequential scan: NaNs never win, and a row whose first value is NaN
 * (or that has no other candidate) gives 0. NaN is tested on the bits, so fast-math builds
 * keep it. */
#include "common.clh"

#define NONE 0xffffffffu

static inline bool is_nan_bits(float v) {
    return (as_uint(v) & 0x7fffffffu) > 0x7f800000u;
}

/* Whether candidate (v, i) beats (bv, bi): larger, or equal at a lower index; NONE loses. */
static inline bool beats(float v, uint i, float bv, uint bi) {
    return i != NONE && (bi == NONE || v > bv || (v == bv && i < bi));
}

kernel void argmax_f32(global const float *x, ulong xo, global int *y, ulong yo, uint ne0,
                       uint ne1, uint ne2, uint x1, uint x2, uint x3, local float *red_v,
                       local uint *red_i) {
    const uint r = get_group_id(1), l = get_local_id(0), wg = get_local_size(0);
    global const float *xr = AT_CONST(float, x, xo) + row_offset(r, ne1, ne2, x1, x2, x3);
    /* each item scans ascending indices, so its strict > keeps its lowest index */
    float bv = 0.0f;
    uint bi = NONE;
    for (uint i = l; i < ne0; i += wg) {
        const float v = xr[i];
        if (!is_nan_bits(v) && (bi == NONE || v > bv)) {
            bv = v;
            bi = i;
        }
    }
#if USE_SUBGROUP
    /* -FLT_MAX for "none": a group whose candidates are all -inf then reports none, which
     * only matters when the whole row's maximum is -inf, and then the answer is 0 anyway
     * (x[0] is -inf or NaN) */
    const float m = sub_group_reduce_max(bi == NONE ? -FLT_MAX : bv);
    const uint mi = sub_group_reduce_min(bi != NONE && bv == m ? bi : NONE);
    if (get_sub_group_local_id() == 0) {
        red_v[get_sub_group_id()] = m;
        red_i[get_sub_group_id()] = mi;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (l == 0) {
        float v = 0.0f;
        uint idx = NONE;
        const uint n = get_num_sub_groups();
        for (uint s = 0; s < n; s++)
            if (beats(red_v[s], red_i[s], v, idx)) v = red_v[s], idx = red_i[s];
        AT(int, y, yo)[r] = idx == NONE || is_nan_bits(xr[0]) ? 0 : (int)idx;
    }
#else
    red_v[l] = bv;
    red_i[l] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = wg / 2; s > 0; s >>= 1) {
        if (l < s && beats(red_v[l + s], red_i[l + s], red_v[l], red_i[l])) {
            red_v[l] = red_v[l + s];
            red_i[l] = red_i[l + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) AT(int, y, yo)[r] = red_i[0] == NONE || is_nan_bits(xr[0]) ? 0 : (int)red_i[0];
#endif
}

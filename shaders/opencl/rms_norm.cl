/* RMS_NORM: one work-group per row of ne0 values (rows counted over dims 1..3, so per-head
 * views [hd, n_head, n] work as they are); y = x / sqrt(mean(x^2) + eps), times w[0..ne0)
 * when has_w. y may be x: every read of the row ends before the reduction's barriers. */
#include "common.clh"

kernel void rms_norm_f32(global const float *x, ulong xo, global const float *w, ulong wo,
                         global float *y, ulong yo, uint ne0, uint ne1, uint ne2, uint x1,
                         uint x2, uint x3, uint y1, uint y2, uint y3, uint has_w, float eps,
                         local float *red) {
    const uint r = get_group_id(1), l = get_local_id(0), wg = get_local_size(0);
    global const float *xr = AT_CONST(float, x, xo) + row_offset(r, ne1, ne2, x1, x2, x3);
    global float *yr = AT(float, y, yo) + row_offset(r, ne1, ne2, y1, y2, y3);
    float s = 0.0f;
    for (uint i = l; i < ne0; i += wg) {
        const float v = xr[i];
        s += v * v;
    }
    s = wg_sum(s, red);
    const float scale = rsqrt(s / (float)ne0 + eps);
    global const float *wr = AT_CONST(float, w, wo);
    for (uint i = l; i < ne0; i += wg) {
        const float v = xr[i] * scale;
        yr[i] = has_w ? v * wr[i] : v;
    }
}

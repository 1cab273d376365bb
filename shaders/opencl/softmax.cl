/* SOFTMAX: one work-group per row; y = softmax(x * scale) over ne0. y may be x: every item
 * rewrites only the values it read, and the reductions' barriers separate the passes. */
#include "common.clh"

kernel void softmax_f32(global const float *x, ulong xo, global float *y, ulong yo, uint ne0,
                        uint ne1, uint ne2, uint x1, uint x2, uint x3, uint y1, uint y2, uint y3,
                        float scale, local float *red) {
    const uint r = get_group_id(1), l = get_local_id(0), wg = get_local_size(0);
    global const float *xr = AT_CONST(float, x, xo) + row_offset(r, ne1, ne2, x1, x2, x3);
    global float *yr = AT(float, y, yo) + row_offset(r, ne1, ne2, y1, y2, y3);
    float m = NEG_BIG;
    for (uint i = l; i < ne0; i += wg) m = fmax(m, xr[i] * scale);
    m = wg_max(m, red);
    float s = 0.0f;
    for (uint i = l; i < ne0; i += wg) {
        const float e = exp(xr[i] * scale - m);
        yr[i] = e;
        s += e;
    }
    const float inv = 1.0f / wg_sum(s, red);
    for (uint i = l; i < ne0; i += wg) yr[i] *= inv;
}

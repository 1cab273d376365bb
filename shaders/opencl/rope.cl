/* ROPE of x [hd, n_head, n] at positions pos (i32 [n]), over a 3-D range (k, head, token).
 * Item k < n_rot/2 rotates pair k (NORM: x[2k], x[2k+1]; NEOX: x[k], x[k + n_rot/2]) by
 * theta = pos * freq_scale * base^(-2k/n_rot) (/ ff[k] with frequency factors); items past
 * that copy the unrotated tail x[n_rot..hd) when y is not x (the host then sizes the range).
 * Frequencies are floats, as llama.cpp's are; the product pos * freq keeps its rounding
 * error (fma) and is reduced to about [-pi, pi] before sin/cos, so positions in the thousands
 * lose no more than the float frequency itself does. */
#include "common.clh"

/* theta = a + a_lo is formed by hand below: no contraction may change it */
#pragma OPENCL FP_CONTRACT OFF

kernel void rope_f32(global const float *x, ulong xo, global const int *pos, ulong po,
                     global const float *ff, ulong fo, global float *y, ulong yo, uint n_head,
                     uint n, uint n_rot, uint per_row, uint neox, uint has_ff, uint x1, uint x2,
                     uint y1, uint y2, float freq_scale, float log2_base_per_rot) {
    const uint k = get_global_id(0), h = get_global_id(1), j = get_global_id(2);
    if (k >= per_row || h >= n_head || j >= n) return;
    global const float *xr = AT_CONST(float, x, xo) + h * x1 + j * x2;
    global float *yr = AT(float, y, yo) + h * y1 + j * y2;
    const uint half_rot = n_rot / 2;
    if (k >= half_rot) {
        const uint i = n_rot + (k - half_rot);
        yr[i] = xr[i];
        return;
    }
    float freq = freq_scale * exp2((float)k * log2_base_per_rot);
    if (has_ff) freq /= AT_CONST(float, ff, fo)[k];
    const float p = (float)AT_CONST(int, pos, po)[j];
    const float a = p * freq;
    const float a_lo = fma(p, freq, -a); /* p * freq - a exactly */
    /* a - turns * 2pi with 2pi = C1 + C2 + C3 (Cody-Waite): C1 and C2 have at most 8
     * significant bits, so turns * C1 and turns * C2 are exact below 2^16 turns */
    const float turns = rint(a * 0.15915494309189535f);
    float ang = a - turns * 6.28125f;
    ang -= turns * 0.0019378662109375f;
    ang -= turns * -2.559031372584286e-06f;
    ang += a_lo;
    float c;
    const float s = sincos(ang, &c);
    const uint i0 = neox ? k : 2 * k, i1 = neox ? k + half_rot : 2 * k + 1;
    const float x0 = xr[i0], x1v = xr[i1];
    yr[i0] = x0 * c - x1v * s;
    yr[i1] = x0 * s + x1v * c;
}

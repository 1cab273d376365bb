#version 450
// ROPE on x [hd, n_head, n] at positions pos (i32 [n]). Per row, invocation k < n_rot/2
// rotates pair k (NORM: x[2k], x[2k+1]; NEOX: x[k], x[k + n_rot/2]); the others copy the
// unrotated tail x[n_rot..hd) when y is not x.
#include "common.glsl"

layout(local_size_x = WG) in;
layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) readonly buffer Pos { int pos[]; };
layout(binding = 2) readonly buffer FF { float ff[]; };
layout(binding = 3) buffer Y { float y[]; };
layout(push_constant) uniform P {
    uint hd, n_head, n, n_rot;
    uint neox, has_ff, per_row, total;
    uint xs, xnb1, xnb2;
    uint ys, ynb1, ynb2;
    uint ps, fs;
    float freq_scale, log2_base_per_rot; // -2 * log2(base) / n_rot
} p;

void main() {
    const uint idx = flat_invocation();
    if (idx >= p.total) return;
    const uint k = idx % p.per_row, r = idx / p.per_row;
    const uint h = r % p.n_head, j = r / p.n_head;
    const uint xo = p.xs + h * p.xnb1 + j * p.xnb2;
    const uint yo = p.ys + h * p.ynb1 + j * p.ynb2;
    const uint half_rot = p.n_rot / 2;
    if (k >= half_rot) {
        const uint i = p.n_rot + (k - half_rot);
        y[yo + i] = x[xo + i];
        return;
    }
    float freq = p.freq_scale * exp2(float(k) * p.log2_base_per_rot);
    if (p.has_ff != 0) freq /= ff[p.fs + k];
    // theta = pos * freq as a float plus its rounding error (0 where fma is not fused), then
    // reduced to [-pi, pi] with 2pi in three parts (Cody-Waite): GPU sin/cos are accurate only
    // near zero, and positions reach thousands of radians. turns * C1 and turns * C2 are exact
    // below 2^16 turns (C1 and C2 have 8 significant bits).
    const float pf = float(pos[p.ps + j]);
    precise const float a = pf * freq;
    precise const float a_lo = fma(pf, freq, -a);
    const float turns = round(a * 0.15915494309189535);
    precise float ang = a - turns * 6.28125;
    ang -= turns * 0.0019378662109375;
    ang -= turns * -2.559031372584286e-06;
    ang += a_lo;
    const float c = cos(ang), s = sin(ang);
    const uint i0 = p.neox != 0 ? k : 2 * k;
    const uint i1 = p.neox != 0 ? k + half_rot : 2 * k + 1;
    const float x0 = x[xo + i0], x1 = x[xo + i1];
    y[yo + i0] = x0 * c - x1 * s;
    y[yo + i1] = x0 * s + x1 * c;
}

/* ATTENTION: causal GQA of q [hd, n_head, n] over the K/V cache [hd, n_kv_head, n_ctx] (f32,
 * or f16 with -DKV_F16 read through vload_half), one work-group per (head, query row). Query
 * row j sees keys 0 .. n_past + j. Keys go in chunks of one per item: item t scores key
 * base + t against q (scaled, in local memory); the chunk's maximum is a work-group
 * reduction, and an online softmax rescales what was accumulated so far. Each item keeps its
 * own share of the softmax denominator (the rescaling factor is the same in every item), so
 * that sum is reduced once at the end.
 * V accumulation: by default item t owns output dims t, t + wg, ... (up to MAX_DIMS of them).
 * With vec4 (hd a multiple of 4 and hd / 4 <= wg) item t owns the 4 dims of column
 * t % (hd / 4) for every (wg / (hd / 4))-th key of a chunk, reading 4 values at a time; the
 * key groups' partial sums are added at the end.
 * Local memory (the host sizes it): q[hd], weights[wg], reduction[wg], partial sums[4 wg]. */
#include "common.clh"

#define MAX_DIMS 8

#ifdef KV_F16
typedef half kv_t;
#define KV_LOAD(p, i) vload_half((i), (p))
#define KV_LOAD4(p, i) vload_half4((i), (p))
#else
typedef float kv_t;
#define KV_LOAD(p, i) ((p)[i])
#define KV_LOAD4(p, i) vload4((i), (p))
#endif

kernel void attention(global const float *q, ulong qo, global const kv_t *k, ulong ko,
                      global const kv_t *v, ulong vo, global float *y, ulong yo, uint hd,
                      uint group, uint n_past, uint q1, uint q2, uint k1, uint k2, uint v1,
                      uint v2, uint y1, float scale, uint vec4, local float *sm) {
    const uint h = get_group_id(0), j = get_group_id(1);
    const uint t = get_local_id(0), wg = get_local_size(0);
    const uint hk = h / group;
    local float *sq = sm, *sw = sm + hd, *red = sw + wg, *sacc = red + wg;

    global const float *qr = AT_CONST(float, q, qo) + h * q1 + j * q2;
    for (uint i = t; i < hd; i += wg) sq[i] = qr[i] * scale;
    barrier(CLK_LOCAL_MEM_FENCE);

    global const kv_t *kh = AT_CONST(kv_t, k, ko) + hk * k1;
    global const kv_t *vh = AT_CONST(kv_t, v, vo) + hk * v1;
    const uint cols = hd / 4, col = vec4 ? t % cols : 0, g = vec4 ? t / cols : 0;
    const uint groups = vec4 ? wg / cols : 0;
    const uint n_kv = n_past + j + 1;
    float m = NEG_BIG, lsum = 0.0f;
    float acc[MAX_DIMS];
    for (uint d = 0; d < MAX_DIMS; d++) acc[d] = 0.0f;
    float4 acc4 = (float4)(0.0f);
    for (uint base = 0; base < n_kv; base += wg) {
        const uint cnt = min(wg, n_kv - base);
        float s = NEG_BIG;
        if (t < cnt) {
            global const kv_t *kr = kh + (base + t) * k2;
            float dsum = 0.0f;
            if (vec4) {
                for (uint i = 0; i < cols; i++) dsum += dot(vload4(i, sq), KV_LOAD4(kr, i));
            } else {
                for (uint i = 0; i < hd; i++) dsum += sq[i] * KV_LOAD(kr, i);
            }
            s = dsum;
        }
        /* wg_max's barriers also order the last chunk's reads of sw before the writes below */
        const float cm = fmax(m, wg_max(s, red));
        const float c = exp(m - cm);
        const float w = t < cnt ? exp(s - cm) : 0.0f;
        m = cm;
        lsum = lsum * c + w;
        sw[t] = w;
        barrier(CLK_LOCAL_MEM_FENCE);
        if (vec4) {
            acc4 *= c;
            if (g < groups)
                for (uint i = g; i < cnt; i += groups)
                    acc4 += sw[i] * KV_LOAD4(vh + (base + i) * v2, col);
        } else {
            for (uint d = 0; d < MAX_DIMS; d++) acc[d] *= c;
            for (uint i = 0; i < cnt; i++) {
                const float wi = sw[i];
                global const kv_t *vr = vh + (base + i) * v2;
                for (uint d = 0; d < MAX_DIMS; d++) {
                    const uint e = t + d * wg;
                    if (e < hd) acc[d] += wi * KV_LOAD(vr, e);
                }
            }
        }
    }
    const float inv = 1.0f / wg_sum(lsum, red);
    global float *yr = AT(float, y, yo) + j * y1 + h * hd;
    if (vec4) {
        vstore4(acc4, t, sacc);
        barrier(CLK_LOCAL_MEM_FENCE);
        if (g == 0) {
            float4 sum = acc4;
            for (uint gg = 1; gg < groups; gg++) sum += vload4(gg * cols + col, sacc);
            vstore4(sum * inv, col, yr);
        }
    } else {
        for (uint d = 0; d < MAX_DIMS; d++) {
            const uint e = t + d * wg;
            if (e < hd) yr[e] = acc[d] * inv;
        }
    }
}

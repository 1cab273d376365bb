#version 450
// ATTENTION: causal GQA of q [hd, n_head, n] over the K/V cache [hd, n_kv_head, n_ctx], one
// workgroup per (head, query row). Keys go in chunks of WG: invocation t scores key
// base + t against q (held in shared memory), then every invocation owns output dims
// t, t + WG, ... and accumulates the chunk's weighted V rows with an online softmax.
// KV_F16 reads an f16 cache, as float16_t with STORAGE16 or from packed words without.
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"

#define MAX_HD 256
#define DIMS (MAX_HD / WG)

layout(local_size_x = WG) in;
layout(binding = 0) readonly buffer Q { float q[]; };
#if defined(KV_F16) && defined(STORAGE16)
layout(binding = 1) readonly buffer K { float16_t k[]; };
layout(binding = 2) readonly buffer V { float16_t v[]; };
#define KV_LOAD(arr, i) float(arr[i])
#elif defined(KV_F16)
layout(binding = 1) readonly buffer K { uint k[]; };
layout(binding = 2) readonly buffer V { uint v[]; };
#define KV_LOAD(arr, i) HALF_AT(arr, i)
#else
layout(binding = 1) readonly buffer K { float k[]; };
layout(binding = 2) readonly buffer V { float v[]; };
#define KV_LOAD(arr, i) arr[i]
#endif
layout(binding = 3) writeonly buffer Y { float y[]; };
// Strides and skews in elements of each tensor's type.
layout(push_constant) uniform P {
    uint hd, n_head, group, n_past;
    uint qs, qnb1, qnb2;
    uint ks, knb1, knb2;
    uint vs, vnb1, vnb2;
    uint ys, ynb1;
    float scale;
} p;

shared float sq[MAX_HD];
shared float sw[WG];

void main() {
    const uint h = gl_WorkGroupID.x, j = gl_WorkGroupID.y, t = gl_LocalInvocationID.x;
    const uint hk = h / p.group;
    const uint qo = p.qs + h * p.qnb1 + j * p.qnb2;
    for (uint i = t; i < p.hd; i += WG) sq[i] = q[qo + i] * p.scale;
    barrier();

    const uint n_kv = p.n_past + j + 1; // causal: keys up to this query's position
    float m = -3.0e38, l = 0.0;
    float acc[DIMS];
    for (uint d = 0; d < DIMS; d++) acc[d] = 0.0;
    for (uint base = 0; base < n_kv; base += WG) {
        const uint cnt = min(uint(WG), n_kv - base);
        float s = -3.0e38;
        if (t < cnt) {
            const uint ko = p.ks + hk * p.knb1 + (base + t) * p.knb2;
            s = 0.0;
            for (uint i = 0; i < p.hd; i++) s += sq[i] * KV_LOAD(k, ko + i);
        }
        sw[t] = s;
        barrier();
        float cm = m;
        for (uint i = 0; i < cnt; i++) cm = max(cm, sw[i]);
        barrier();
        sw[t] = t < cnt ? exp(s - cm) : 0.0;
        barrier();
        const float c = exp(m - cm);
        l *= c;
        for (uint d = 0; d < DIMS; d++) acc[d] *= c;
        m = cm;
        for (uint i = 0; i < cnt; i++) {
            const float wgt = sw[i];
            l += wgt;
            const uint vo = p.vs + hk * p.vnb1 + (base + i) * p.vnb2;
            for (uint d = 0; d < DIMS; d++) {
                const uint e = t + d * WG;
                if (e < p.hd) acc[d] += wgt * KV_LOAD(v, vo + e);
            }
        }
        barrier();
    }
    const float inv = 1.0 / l;
    const uint yo = p.ys + j * p.ynb1 + h * p.hd;
    for (uint d = 0; d < DIMS; d++) {
        const uint e = t + d * WG;
        if (e < p.hd) y[yo + e] = acc[d] * inv;
    }
}

#version 450
// ATTENTION: causal GQA of q [hd, n_head, n] over the K/V cache [hd, n_kv_head, n_ctx], one
// workgroup per (head, query row). Keys go in chunks of CHUNK: invocation t scores keys
// base + t, base + WG + t, ... against q (held in shared memory), then every invocation owns
// output dims t, t + WG, ... and accumulates the chunk's weighted V rows with an online
// softmax.
// KV_F16 reads an f16 cache, as float16_t with STORAGE16 or from packed words without.
// Each chunk's maximum and sum are workgroup reductions (subgroup ops with USE_SUBGROUP).
// VEC4 (specialization constant 0; the host sets it when K's and V's rows and strides are
// whole groups of 4 values) reads K and V four values at a time, and accumulates V with
// invocation t owning the 4 dims of column t % (hd / 4) for every (WG / (hd / 4))-th key of a
// chunk; the key groups' partial sums are added once at the end (the online-softmax rescaling
// is the same in every invocation).
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#define VKOPS_REDUCE
#include "common.glsl"

#define MAX_HD 256
#define DIMS (MAX_HD / WG)

layout(local_size_x = WG) in;
layout(binding = 0) readonly buffer Q { float q[]; };
layout(constant_id = 0) const bool VEC4 = false;
#if defined(KV_F16) && defined(STORAGE16)
layout(binding = 1) readonly buffer K { float16_t k[]; };
layout(binding = 1) readonly buffer K4 { f16vec4 k4[]; };
layout(binding = 2) readonly buffer V { float16_t v[]; };
layout(binding = 2) readonly buffer V4 { f16vec4 v4[]; };
#define KV_LOAD(arr, i) float(arr[i])
#define KV4_LOAD(arr, i) vec4(arr[i])
#elif defined(KV_F16)
layout(binding = 1) readonly buffer K { uint k[]; };
layout(binding = 1) readonly buffer K4 { uvec2 k4[]; };
layout(binding = 2) readonly buffer V { uint v[]; };
layout(binding = 2) readonly buffer V4 { uvec2 v4[]; };
#define KV_LOAD(arr, i) HALF_AT(arr, i)
#define KV4_LOAD(arr, i) vec4(unpackHalf2x16(arr[i].x), unpackHalf2x16(arr[i].y))
#else
layout(binding = 1) readonly buffer K { float k[]; };
layout(binding = 1) readonly buffer K4 { vec4 k4[]; };
layout(binding = 2) readonly buffer V { float v[]; };
layout(binding = 2) readonly buffer V4 { vec4 v4[]; };
#define KV_LOAD(arr, i) arr[i]
#define KV4_LOAD(arr, i) arr[i]
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

shared vec4 sq[MAX_HD / 4];
// Keys per chunk: KPT per invocation, fewer barriers per key.
#define KPT 2
#define CHUNK (WG * KPT)

shared float sw[CHUNK];
shared vec4 sacc[WG];

void main() {
    const uint h = gl_WorkGroupID.x, j = gl_WorkGroupID.y, t = gl_LocalInvocationID.x;
    const uint hk = h / p.group;
    const uint qo = p.qs + h * p.qnb1 + j * p.qnb2;
    for (uint i = t; i < MAX_HD; i += WG) sq[i / 4][i % 4] = i < p.hd ? q[qo + i] * p.scale : 0.0;
    barrier();

    // VEC4: this invocation's column of 4 dims and its key group
    const uint cols = p.hd / 4, col = t % cols, g = t / cols, groups = WG / cols;

    const uint n_kv = p.n_past + j + 1; // causal: keys up to this query's position
    float m = -3.0e38, l = 0.0;
    float acc[DIMS];
    for (uint d = 0; d < DIMS; d++) acc[d] = 0.0;
    vec4 acc4 = vec4(0.0);
    for (uint base = 0; base < n_kv; base += CHUNK) {
        const uint cnt = min(uint(CHUNK), n_kv - base);
        float s[KPT];
        float smax = -3.0e38;
        for (uint r = 0; r < KPT; r++) {
            const uint key = r * WG + t;
            s[r] = -3.0e38;
            if (key < cnt) {
                const uint ko = p.ks + hk * p.knb1 + (base + key) * p.knb2;
                float d = 0.0;
                if (VEC4) {
                    for (uint i = 0; i < p.hd / 4; i++) d += dot(sq[i], KV4_LOAD(k4, ko / 4 + i));
                } else {
                    for (uint i = 0; i < p.hd; i++) d += sq[i / 4][i % 4] * KV_LOAD(k, ko + i);
                }
                s[r] = d;
            }
            smax = max(smax, s[r]);
        }
        const float cm = max(m, wg_max(smax));
        float wsum = 0.0;
        for (uint r = 0; r < KPT; r++) {
            const uint key = r * WG + t;
            const float w = key < cnt ? exp(s[r] - cm) : 0.0;
            sw[key] = w;
            wsum += w;
        }
        const float csum = wg_sum(wsum); // its barriers also publish sw
        const float c = exp(m - cm);
        m = cm;
        l = l * c + csum;
        const uint vrow = p.vs + hk * p.vnb1 + base * p.vnb2;
        if (VEC4) {
            acc4 *= c;
            if (g < groups) {
                for (uint i = g; i < cnt; i += groups)
                    acc4 += sw[i] * KV4_LOAD(v4, (vrow + i * p.vnb2) / 4 + col);
            }
        } else {
            for (uint d = 0; d < DIMS; d++) acc[d] *= c;
            for (uint i = 0; i < cnt; i++) {
                const float wgt = sw[i];
                const uint vo = vrow + i * p.vnb2;
                for (uint d = 0; d < DIMS; d++) {
                    const uint e = t + d * WG;
                    if (e < p.hd) acc[d] += wgt * KV_LOAD(v, vo + e);
                }
            }
        }
        barrier();
    }
    const float inv = 1.0 / l;
    const uint yo = p.ys + j * p.ynb1 + h * p.hd;
    if (VEC4) {
        sacc[t] = acc4;
        barrier();
        if (g == 0) {
            vec4 sum = acc4;
            for (uint gg = 1; gg < groups; gg++) sum += sacc[gg * cols + col];
            sum *= inv;
            for (uint e = 0; e < 4; e++) y[yo + 4 * col + e] = sum[e];
        }
    } else {
        for (uint d = 0; d < DIMS; d++) {
            const uint e = t + d * WG;
            if (e < p.hd) y[yo + e] = acc[d] * inv;
        }
    }
}

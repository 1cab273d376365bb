/* Private to backends/cpu/arm: helpers, and the quantized vec_dot and gemm kernels shared by the
 * NEON, dotprod and i8mm files. The kernels are static inline so that each file compiles its own
 * copy with its own -march flags: the same source becomes SDOT code in *_dotprod.c / *_i8mm.c
 * (where __ARM_FEATURE_DOTPROD is defined) and widening-multiply code in *_neon.c. Each kernel
 * computes what the scalar reference of engine/quants.c computes: exact integer block dots,
 * scaled and summed in f32 (in another order, so results agree to f32 rounding). */
#ifndef GLINT_CPU_ARM_H
#define GLINT_CPU_ARM_H

#include "kernels.h"
#include "types.h"

#include <arm_neon.h>
#include <string.h>

/* Exact half -> float with the scalar fcvt every ARMv8 core has. */
static inline float gl_arm_h2f(gl_fp16 h) {
    __fp16 t;
    memcpy(&t, &h, sizeof t);
    return (float)t;
}

/* acc += the products of a and b, grouped so that only the sum over all lanes is meaningful
 * (SDOT and the widening fallback group the 16 products differently). */
static inline int32x4_t gl_arm_dot_s8(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

/* acc += sc * (a[0..32) . b[0..32)) for two pairs of 16 bytes (lane sum meaningful only). */
static inline int32x4_t gl_arm_dot32_scaled(int32x4_t acc, int8x16_t a0, int8x16_t a1, int8x16_t b0,
                                            int8x16_t b1, int32_t sc) {
    return vmlaq_n_s32(acc, gl_arm_dot_s8(gl_arm_dot_s8(vdupq_n_s32(0), a0, b0), a1, b1), sc);
}

/* Bit 4 of 16 weights from 16 bits of a q5 `qh` word: lanes 0..7 from bits of byte `byte`,
 * lanes 8..15 from byte `byte` + 1; 0x10 where the bit is set. */
static inline uint8x16_t gl_arm_q5_high(uint32_t qh, int byte) {
    static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t b = vcombine_u8(vdup_n_u8((uint8_t)(qh >> (8 * byte))),
                                     vdup_n_u8((uint8_t)(qh >> (8 * byte + 8))));
    return vandq_u8(vtstq_u8(b, vld1q_u8(bits)), vdupq_n_u8(0x10));
}

/* The 6-bit scales and mins of a q4_k / q5_k block. */
static inline void gl_arm_k4_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = (uint8_t)((q[j + 8] & 0xf) | ((q[j] >> 6) << 4));
        mn[j + 4] = (uint8_t)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}

/* ---- quantized dot products (x: weight row, y: its vec_dot_type row) ---------------------- */

/* Low nibbles (weights 0..15) and high nibbles (16..31) of a q4 block as int8. */
static inline void gl_arm_q4_unpack(const uint8_t *qs, int8x16_t *lo, int8x16_t *hi) {
    const uint8x16_t q = vld1q_u8(qs);
    *lo = vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f)));
    *hi = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));
}

/* Integer dot of one 32-weight block with 32 activations (only the lane sum is meaningful).
 * q4_1/q5_1 leave their quants unsigned: the offset comes back through the min term. */
static inline int32x4_t gl_arm_block_q8_0(const gl_block_q8_0 *x, const int8_t *y) {
    const int32x4_t p = gl_arm_dot_s8(vdupq_n_s32(0), vld1q_s8(x->qs), vld1q_s8(y));
    return gl_arm_dot_s8(p, vld1q_s8(x->qs + 16), vld1q_s8(y + 16));
}

static inline int32x4_t gl_arm_block_q4_0(const gl_block_q4_0 *x, const int8_t *y) {
    const int8x16_t off = vdupq_n_s8(8);
    int8x16_t lo, hi;
    gl_arm_q4_unpack(x->qs, &lo, &hi);
    const int32x4_t p = gl_arm_dot_s8(vdupq_n_s32(0), vsubq_s8(lo, off), vld1q_s8(y));
    return gl_arm_dot_s8(p, vsubq_s8(hi, off), vld1q_s8(y + 16));
}

static inline int32x4_t gl_arm_block_q4_1(const gl_block_q4_1 *x, const int8_t *y) {
    int8x16_t lo, hi;
    gl_arm_q4_unpack(x->qs, &lo, &hi);
    const int32x4_t p = gl_arm_dot_s8(vdupq_n_s32(0), lo, vld1q_s8(y));
    return gl_arm_dot_s8(p, hi, vld1q_s8(y + 16));
}

/* q5 quants: nibbles plus bit 4 from qh (bit j for weight j), minus `off`. */
static inline int32x4_t gl_arm_block_q5(const uint8_t *qs, const uint8_t *qhp, int8_t off,
                                        const int8_t *y) {
    uint32_t qh;
    memcpy(&qh, qhp, 4);
    int8x16_t lo, hi;
    gl_arm_q4_unpack(qs, &lo, &hi);
    lo = vsubq_s8(vorrq_s8(lo, vreinterpretq_s8_u8(gl_arm_q5_high(qh, 0))), vdupq_n_s8(off));
    hi = vsubq_s8(vorrq_s8(hi, vreinterpretq_s8_u8(gl_arm_q5_high(qh, 2))), vdupq_n_s8(off));
    const int32x4_t p = gl_arm_dot_s8(vdupq_n_s32(0), lo, vld1q_s8(y));
    return gl_arm_dot_s8(p, hi, vld1q_s8(y + 16));
}

/* acc += p * dx * dy */
static inline float32x4_t gl_arm_acc(float32x4_t acc, int32x4_t p, gl_fp16 dx, gl_fp16 dy) {
    return vmlaq_n_f32(acc, vcvtq_f32_s32(p), gl_arm_h2f(dx) * gl_arm_h2f(dy));
}

/* The 32-block dots run two blocks per step into two accumulators, so consecutive blocks'
 * float multiply-adds do not wait on each other. */
static inline void gl_arm_vec_dot_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q8_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    const int64_t nb = n / GL_QK8_0;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        acc0 = gl_arm_acc(acc0, gl_arm_block_q8_0(&x[i], y[i].qs), x[i].d, y[i].d);
        acc1 = gl_arm_acc(acc1, gl_arm_block_q8_0(&x[i + 1], y[i + 1].qs), x[i + 1].d, y[i + 1].d);
    }
    if (i < nb) acc0 = gl_arm_acc(acc0, gl_arm_block_q8_0(&x[i], y[i].qs), x[i].d, y[i].d);
    *s = vaddvq_f32(vaddq_f32(acc0, acc1));
}

static inline void gl_arm_vec_dot_q4_0(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    const int64_t nb = n / GL_QK4_0;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        acc0 = gl_arm_acc(acc0, gl_arm_block_q4_0(&x[i], y[i].qs), x[i].d, y[i].d);
        acc1 = gl_arm_acc(acc1, gl_arm_block_q4_0(&x[i + 1], y[i + 1].qs), x[i + 1].d, y[i + 1].d);
    }
    if (i < nb) acc0 = gl_arm_acc(acc0, gl_arm_block_q4_0(&x[i], y[i].qs), x[i].d, y[i].d);
    *s = vaddvq_f32(vaddq_f32(acc0, acc1));
}

static inline void gl_arm_vec_dot_q4_1(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_1 *x = vx;
    const gl_block_q8_1 *y = vy;
    const int64_t nb = n / GL_QK4_1;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
    float mins = 0.0f;
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        acc0 = gl_arm_acc(acc0, gl_arm_block_q4_1(&x[i], y[i].qs), x[i].d, y[i].d);
        acc1 = gl_arm_acc(acc1, gl_arm_block_q4_1(&x[i + 1], y[i + 1].qs), x[i + 1].d, y[i + 1].d);
        mins += gl_arm_h2f(x[i].m) * gl_arm_h2f(y[i].s);
        mins += gl_arm_h2f(x[i + 1].m) * gl_arm_h2f(y[i + 1].s);
    }
    if (i < nb) {
        acc0 = gl_arm_acc(acc0, gl_arm_block_q4_1(&x[i], y[i].qs), x[i].d, y[i].d);
        mins += gl_arm_h2f(x[i].m) * gl_arm_h2f(y[i].s);
    }
    *s = vaddvq_f32(vaddq_f32(acc0, acc1)) + mins;
}

static inline void gl_arm_vec_dot_q5_0(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    const int64_t nb = n / GL_QK5_0;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        acc0 = gl_arm_acc(acc0, gl_arm_block_q5(x[i].qs, x[i].qh, 16, y[i].qs), x[i].d, y[i].d);
        acc1 = gl_arm_acc(acc1, gl_arm_block_q5(x[i + 1].qs, x[i + 1].qh, 16, y[i + 1].qs),
                          x[i + 1].d, y[i + 1].d);
    }
    if (i < nb)
        acc0 = gl_arm_acc(acc0, gl_arm_block_q5(x[i].qs, x[i].qh, 16, y[i].qs), x[i].d, y[i].d);
    *s = vaddvq_f32(vaddq_f32(acc0, acc1));
}

static inline void gl_arm_vec_dot_q5_1(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_1 *x = vx;
    const gl_block_q8_1 *y = vy;
    const int64_t nb = n / GL_QK5_1;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
    float mins = 0.0f;
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        acc0 = gl_arm_acc(acc0, gl_arm_block_q5(x[i].qs, x[i].qh, 0, y[i].qs), x[i].d, y[i].d);
        acc1 = gl_arm_acc(acc1, gl_arm_block_q5(x[i + 1].qs, x[i + 1].qh, 0, y[i + 1].qs),
                          x[i + 1].d, y[i + 1].d);
        mins += gl_arm_h2f(x[i].m) * gl_arm_h2f(y[i].s);
        mins += gl_arm_h2f(x[i + 1].m) * gl_arm_h2f(y[i + 1].s);
    }
    if (i < nb) {
        acc0 = gl_arm_acc(acc0, gl_arm_block_q5(x[i].qs, x[i].qh, 0, y[i].qs), x[i].d, y[i].d);
        mins += gl_arm_h2f(x[i].m) * gl_arm_h2f(y[i].s);
    }
    *s = vaddvq_f32(vaddq_f32(acc0, acc1)) + mins;
}

/* sum over the 8 sub-blocks of 32 of mn[j] * (sum of their activations). */
static inline int32_t gl_arm_k_mins(const int16_t *bsums, const uint8_t mn[8]) {
    const int16x8_t b0 = vld1q_s16(bsums), b1 = vld1q_s16(bsums + 8);
    /* pairwise: sums of 32 activations, sub-blocks 0..3 and 4..7 */
    const int16x8_t pairs = vpaddq_s16(b0, b1);
    const int16x8_t m = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mn)));
    int32x4_t r = vmull_s16(vget_low_s16(pairs), vget_low_s16(m));
    r = vmlal_high_s16(r, pairs, m);
    return vaddvq_s32(r);
}

static inline void gl_arm_vec_dot_q4_k(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_k *x = vx;
    const gl_block_q8_k *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0f);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        uint8_t sc[8], mn[8];
        gl_arm_k4_scales(x[i].scales, sc, mn);
        const float d = y[i].d * gl_arm_h2f(x[i].d);
        const float dmin = y[i].d * gl_arm_h2f(x[i].dmin);
        const uint8_t *q = x[i].qs;
        const int8_t *a = y[i].qs;
        /* scaled sub-block sums stay in lanes; one horizontal add per super-block */
        int32x4_t acc = vdupq_n_s32(0);
        for (int j = 0; j < 4; j++, q += 32, a += 64) {
            const uint8x16_t q0 = vld1q_u8(q), q1 = vld1q_u8(q + 16);
            acc = gl_arm_dot32_scaled(acc, vreinterpretq_s8_u8(vandq_u8(q0, m4)),
                                      vreinterpretq_s8_u8(vandq_u8(q1, m4)), vld1q_s8(a),
                                      vld1q_s8(a + 16), sc[2 * j]);
            acc = gl_arm_dot32_scaled(acc, vreinterpretq_s8_u8(vshrq_n_u8(q0, 4)),
                                      vreinterpretq_s8_u8(vshrq_n_u8(q1, 4)), vld1q_s8(a + 32),
                                      vld1q_s8(a + 48), sc[2 * j + 1]);
        }
        const int32_t isum = vaddvq_s32(acc);
        sum += d * (float)isum - dmin * (float)gl_arm_k_mins(y[i].bsums, mn);
    }
    *s = sum;
}

static inline void gl_arm_vec_dot_q5_k(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_k *x = vx;
    const gl_block_q8_k *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0f), h = vdupq_n_u8(0x10);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        uint8_t sc[8], mn[8];
        gl_arm_k4_scales(x[i].scales, sc, mn);
        const float d = y[i].d * gl_arm_h2f(x[i].d);
        const float dmin = y[i].d * gl_arm_h2f(x[i].dmin);
        const uint8x16_t qh0 = vld1q_u8(x[i].qh), qh1 = vld1q_u8(x[i].qh + 16);
        const uint8_t *q = x[i].qs;
        const int8_t *a = y[i].qs;
        int32x4_t acc = vdupq_n_s32(0);
        /* sub-block 2j takes its fifth bit from bit 2j of qh[l], sub-block 2j+1 from 2j+1 */
        for (int j = 0; j < 4; j++, q += 32, a += 64) {
            const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * j)));
            const uint8x16_t bh = vdupq_n_u8((uint8_t)(2u << (2 * j)));
            const uint8x16_t q0 = vld1q_u8(q), q1 = vld1q_u8(q + 16);
            const uint8x16_t l0 = vorrq_u8(vandq_u8(q0, m4), vandq_u8(vtstq_u8(qh0, bl), h));
            const uint8x16_t l1 = vorrq_u8(vandq_u8(q1, m4), vandq_u8(vtstq_u8(qh1, bl), h));
            const uint8x16_t h0 = vorrq_u8(vshrq_n_u8(q0, 4), vandq_u8(vtstq_u8(qh0, bh), h));
            const uint8x16_t h1 = vorrq_u8(vshrq_n_u8(q1, 4), vandq_u8(vtstq_u8(qh1, bh), h));
            acc = gl_arm_dot32_scaled(acc, vreinterpretq_s8_u8(l0), vreinterpretq_s8_u8(l1),
                                      vld1q_s8(a), vld1q_s8(a + 16), sc[2 * j]);
            acc = gl_arm_dot32_scaled(acc, vreinterpretq_s8_u8(h0), vreinterpretq_s8_u8(h1),
                                      vld1q_s8(a + 32), vld1q_s8(a + 48), sc[2 * j + 1]);
        }
        const int32_t isum = vaddvq_s32(acc);
        sum += d * (float)isum - dmin * (float)gl_arm_k_mins(y[i].bsums, mn);
    }
    *s = sum;
}

static inline void gl_arm_vec_dot_q6_k(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q6_k *x = vx;
    const gl_block_q8_k *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0f), m2 = vdupq_n_u8(0x03);
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        const float d = y[i].d * gl_arm_h2f(x[i].d);
        /* weights are stored + 32: sum(sc * (q - 32) * a) = sum(sc * q * a) - 32 sum(sc * bsum) */
        const int8x16_t scales = vld1q_s8(x[i].scales);
        const int16x8_t s0 = vmovl_s8(vget_low_s8(scales)), s1 = vmovl_high_s8(scales);
        int32x4_t mins = vmull_s16(vget_low_s16(s0), vld1_s16(y[i].bsums));
        mins = vmlal_high_s16(mins, s0, vld1q_s16(y[i].bsums));
        mins = vmlal_s16(mins, vget_low_s16(s1), vld1_s16(y[i].bsums + 8));
        mins = vmlal_high_s16(mins, s1, vld1q_s16(y[i].bsums + 8));
        int32x4_t acc = vdupq_n_s32(0);
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = x[i].ql + 64 * half;
            const uint8_t *qh = x[i].qh + 32 * half;
            const int8_t *sc = x[i].scales + 8 * half;
            const int8_t *a = y[i].qs + 128 * half;
            const uint8x16_t l0 = vld1q_u8(ql), l1 = vld1q_u8(ql + 16);
            const uint8x16_t l2 = vld1q_u8(ql + 32), l3 = vld1q_u8(ql + 48);
            const uint8x16_t h0 = vld1q_u8(qh), h1 = vld1q_u8(qh + 16);
            /* the 8 runs of 16 weights of this half, in order; run r has scale sc[r] */
            uint8x16_t q[8];
            q[0] = vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(h0, m2), 4));
            q[1] = vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(h1, m2), 4));
            q[2] = vorrq_u8(vandq_u8(l2, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h0, 2), m2), 4));
            q[3] = vorrq_u8(vandq_u8(l3, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h1, 2), m2), 4));
            q[4] = vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h0, 4), m2), 4));
            q[5] = vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h1, 4), m2), 4));
            q[6] = vorrq_u8(vshrq_n_u8(l2, 4), vshlq_n_u8(vshrq_n_u8(h0, 6), 4));
            q[7] = vorrq_u8(vshrq_n_u8(l3, 4), vshlq_n_u8(vshrq_n_u8(h1, 6), 4));
            for (int r = 0; r < 8; r++) {
                const int32x4_t p =
                    gl_arm_dot_s8(vdupq_n_s32(0), vreinterpretq_s8_u8(q[r]), vld1q_s8(a + 16 * r));
                acc = vmlaq_n_s32(acc, p, sc[r]);
            }
        }
        sum += d * (float)vaddvq_s32(vsubq_s32(acc, vshlq_n_s32(mins, 5)));
    }
    *s = sum;
}

/* ---- gemm for weight types with q8_0 activations ------------------------------------------ */

/* Block b of a weight row as 32 signed quants (lo: weights 0..15, hi: 16..31); returns its scale
 * bits. `type` is a constant at every call, so the branches fold away. */
static inline gl_fp16 gl_arm_load_w(glint_type type, const char *row, int64_t b, int8x16_t *lo,
                                    int8x16_t *hi) {
    if (type == GLINT_TYPE_Q4_0) {
        const gl_block_q4_0 *x = (const gl_block_q4_0 *)row + b;
        gl_arm_q4_unpack(x->qs, lo, hi);
        *lo = vsubq_s8(*lo, vdupq_n_s8(8));
        *hi = vsubq_s8(*hi, vdupq_n_s8(8));
        return x->d;
    }
    if (type == GLINT_TYPE_Q5_0) {
        const gl_block_q5_0 *x = (const gl_block_q5_0 *)row + b;
        uint32_t qh;
        memcpy(&qh, x->qh, 4);
        gl_arm_q4_unpack(x->qs, lo, hi);
        *lo = vsubq_s8(vorrq_s8(*lo, vreinterpretq_s8_u8(gl_arm_q5_high(qh, 0))), vdupq_n_s8(16));
        *hi = vsubq_s8(vorrq_s8(*hi, vreinterpretq_s8_u8(gl_arm_q5_high(qh, 2))), vdupq_n_s8(16));
        return x->d;
    }
    const gl_block_q8_0 *x = (const gl_block_q8_0 *)row + b;
    *lo = vld1q_s8(x->qs);
    *hi = vld1q_s8(x->qs + 16);
    return x->d;
}

/* Four weight rows x four activation columns with the dot primitive: each weight block is
 * unpacked once for four columns and each activation block loaded once for four rows, and the
 * four rows' integer dots are reduced into one vector, so the scale multiply-add is shared too.
 * Rows i >= nr and columns j >= nc read row nr-1 / column nc-1 again and are not stored. */
static inline void gl_arm_gemm_tile4(glint_type type, int64_t nb, const char *w, size_t w_stride,
                                     const char *a, size_t a_stride, float *c, size_t ldc, int nr,
                                     int nc) {
    const char *wr[4], *ar[4];
    for (int r = 0; r < 4; r++) wr[r] = w + (size_t)(r < nr ? r : nr - 1) * w_stride;
    for (int j = 0; j < 4; j++) ar[j] = a + (size_t)(j < nc ? j : nc - 1) * a_stride;
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    for (int64_t b = 0; b < nb; b++) {
        int8x16_t lo[4], hi[4];
        uint16_t dw_bits[4];
        for (int r = 0; r < 4; r++) dw_bits[r] = gl_arm_load_w(type, wr[r], b, &lo[r], &hi[r]);
        const float32x4_t dw = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(dw_bits)));
        for (int j = 0; j < 4; j++) {
            const gl_block_q8_0 *y = (const gl_block_q8_0 *)ar[j] + b;
            const int8x16_t y0 = vld1q_s8(y->qs), y1 = vld1q_s8(y->qs + 16);
            int32x4_t p[4];
            for (int r = 0; r < 4; r++)
                p[r] = gl_arm_dot_s8(gl_arm_dot_s8(vdupq_n_s32(0), lo[r], y0), hi[r], y1);
            /* lane r = the whole dot of row r */
            const int32x4_t sum = vpaddq_s32(vpaddq_s32(p[0], p[1]), vpaddq_s32(p[2], p[3]));
            acc[j] = vmlaq_f32(acc[j], vcvtq_f32_s32(sum), vmulq_n_f32(dw, gl_arm_h2f(y->d)));
        }
    }
    for (int j = 0; j < nc && j < 4; j++) {
        float *o = c + (size_t)j * ldc;
        if (nr >= 4) {
            vst1q_f32(o, acc[j]);
        } else {
            float t[4];
            vst1q_f32(t, acc[j]);
            for (int r = 0; r < nr; r++) o[r] = t[r];
        }
    }
}

static inline void gl_arm_gemm_dot(glint_type type, int64_t k, const void *w, size_t w_stride,
                                   const void *a, size_t a_stride, float *c, size_t ldc, int nr,
                                   int nc) {
    const int64_t nb = k / GL_QK8_0;
    for (int i = 0; i < nr; i += 4) {
        for (int j = 0; j < nc; j += 4) {
            gl_arm_gemm_tile4(type, nb, (const char *)w + (size_t)i * w_stride, w_stride,
                              (const char *)a + (size_t)j * a_stride, a_stride,
                              c + (size_t)j * ldc + (size_t)i, ldc, nr - i, nc - j);
        }
    }
}

static inline void gl_arm_gemm_q8_0(int64_t k, const void *w, size_t w_stride, const void *a,
                                    size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    gl_arm_gemm_dot(GLINT_TYPE_Q8_0, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}
static inline void gl_arm_gemm_q4_0(int64_t k, const void *w, size_t w_stride, const void *a,
                                    size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    gl_arm_gemm_dot(GLINT_TYPE_Q4_0, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}
static inline void gl_arm_gemm_q5_0(int64_t k, const void *w, size_t w_stride, const void *a,
                                    size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    gl_arm_gemm_dot(GLINT_TYPE_Q5_0, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}

/* The four row lanes of four per-row dot vectors: lane r = the whole dot of p[r]. */
static inline int32x4_t gl_arm_reduce4(const int32x4_t p[4]) {
    return vpaddq_s32(vpaddq_s32(p[0], p[1]), vpaddq_s32(p[2], p[3]));
}

/* q4_k (q5 false) / q5_k (q5 true) x q8_k for four weight rows x four activation columns, with
 * the padding rule of gl_arm_gemm_tile4. Per super-block, the integer sums of each sub-block are
 * reduced to one vector over the rows and scaled by the rows' 6-bit scales there (int32), so the
 * float work is one multiply-add per column and super-block. */
static inline void gl_arm_gemm_k4_tile4(bool q5, int64_t nb, const char *w, size_t w_stride,
                                        const char *a, size_t a_stride, float *c, size_t ldc,
                                        int nr, int nc) {
    const size_t bsz = q5 ? sizeof(gl_block_q5_k) : sizeof(gl_block_q4_k);
    const char *wr[4];
    const gl_block_q8_k *ar[4];
    for (int r = 0; r < 4; r++) wr[r] = w + (size_t)(r < nr ? r : nr - 1) * w_stride;
    for (int j = 0; j < 4; j++)
        ar[j] = (const gl_block_q8_k *)(a + (size_t)(j < nc ? j : nc - 1) * a_stride);
    const uint8x16_t m4 = vdupq_n_u8(0x0f), h = vdupq_n_u8(0x10);
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    for (int64_t b = 0; b < nb; b++) {
        /* the rows' blocks: d, dmin, scales and quants sit at the same offsets in both types */
        const uint8_t *qs[4], *qh[4];
        uint16_t d_bits[4], m_bits[4];
        uint8_t sc[4][8], mn[4][8];
        int32_t scs[8][4]; /* scs[s][r]: scale of sub-block s of row r */
        for (int r = 0; r < 4; r++) {
            const char *blk = wr[r] + (size_t)b * bsz;
            if (q5) {
                const gl_block_q5_k *x = (const gl_block_q5_k *)blk;
                qs[r] = x->qs;
                qh[r] = x->qh;
                d_bits[r] = x->d;
                m_bits[r] = x->dmin;
                gl_arm_k4_scales(x->scales, sc[r], mn[r]);
            } else {
                const gl_block_q4_k *x = (const gl_block_q4_k *)blk;
                qs[r] = x->qs;
                qh[r] = NULL;
                d_bits[r] = x->d;
                m_bits[r] = x->dmin;
                gl_arm_k4_scales(x->scales, sc[r], mn[r]);
            }
            for (int sb = 0; sb < 8; sb++) scs[sb][r] = sc[r][sb];
        }
        const float32x4_t dv = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(d_bits)));
        const float32x4_t mv = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(m_bits)));
        int32x4_t isum[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
        for (int ch = 0; ch < 4; ch++) {
            /* 64 weights: sub-block 2ch in the low nibbles, 2ch+1 in the high ones */
            int8x16_t lo[4][2], hi[4][2];
            for (int r = 0; r < 4; r++) {
                const uint8x16_t q0 = vld1q_u8(qs[r] + 32 * ch),
                                 q1 = vld1q_u8(qs[r] + 32 * ch + 16);
                uint8x16_t l0 = vandq_u8(q0, m4), l1 = vandq_u8(q1, m4);
                uint8x16_t h0 = vshrq_n_u8(q0, 4), h1 = vshrq_n_u8(q1, 4);
                if (q5) {
                    const uint8x16_t qh0 = vld1q_u8(qh[r]), qh1 = vld1q_u8(qh[r] + 16);
                    const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * ch)));
                    const uint8x16_t bh = vdupq_n_u8((uint8_t)(2u << (2 * ch)));
                    l0 = vorrq_u8(l0, vandq_u8(vtstq_u8(qh0, bl), h));
                    l1 = vorrq_u8(l1, vandq_u8(vtstq_u8(qh1, bl), h));
                    h0 = vorrq_u8(h0, vandq_u8(vtstq_u8(qh0, bh), h));
                    h1 = vorrq_u8(h1, vandq_u8(vtstq_u8(qh1, bh), h));
                }
                lo[r][0] = vreinterpretq_s8_u8(l0);
                lo[r][1] = vreinterpretq_s8_u8(l1);
                hi[r][0] = vreinterpretq_s8_u8(h0);
                hi[r][1] = vreinterpretq_s8_u8(h1);
            }
            const int32x4_t s_lo = vld1q_s32(scs[2 * ch]), s_hi = vld1q_s32(scs[2 * ch + 1]);
            for (int j = 0; j < 4; j++) {
                const int8_t *yq = ar[j][b].qs + 64 * ch;
                const int8x16_t y0 = vld1q_s8(yq), y1 = vld1q_s8(yq + 16);
                const int8x16_t y2 = vld1q_s8(yq + 32), y3 = vld1q_s8(yq + 48);
                int32x4_t pl[4], ph[4];
                for (int r = 0; r < 4; r++) {
                    pl[r] =
                        gl_arm_dot_s8(gl_arm_dot_s8(vdupq_n_s32(0), lo[r][0], y0), lo[r][1], y1);
                    ph[r] =
                        gl_arm_dot_s8(gl_arm_dot_s8(vdupq_n_s32(0), hi[r][0], y2), hi[r][1], y3);
                }
                isum[j] = vmlaq_s32(isum[j], gl_arm_reduce4(pl), s_lo);
                isum[j] = vmlaq_s32(isum[j], gl_arm_reduce4(ph), s_hi);
            }
        }
        for (int j = 0; j < 4; j++) {
            int32_t mins[4];
            for (int r = 0; r < 4; r++) mins[r] = gl_arm_k_mins(ar[j][b].bsums, mn[r]);
            float32x4_t t = vmulq_f32(dv, vcvtq_f32_s32(isum[j]));
            t = vmlsq_f32(t, mv, vcvtq_f32_s32(vld1q_s32(mins)));
            acc[j] = vmlaq_n_f32(acc[j], t, ar[j][b].d);
        }
    }
    for (int j = 0; j < nc && j < 4; j++) {
        float *o = c + (size_t)j * ldc;
        if (nr >= 4) {
            vst1q_f32(o, acc[j]);
        } else {
            float t[4];
            vst1q_f32(t, acc[j]);
            for (int r = 0; r < nr; r++) o[r] = t[r];
        }
    }
}

static inline void gl_arm_gemm_k4(bool q5, int64_t k, const void *w, size_t w_stride, const void *a,
                                  size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    for (int i = 0; i < nr; i += 4) {
        for (int j = 0; j < nc; j += 4) {
            gl_arm_gemm_k4_tile4(q5, k / GL_QK_K, (const char *)w + (size_t)i * w_stride, w_stride,
                                 (const char *)a + (size_t)j * a_stride, a_stride,
                                 c + (size_t)j * ldc + (size_t)i, ldc, nr - i, nc - j);
        }
    }
}

static inline void gl_arm_gemm_q4_k(int64_t k, const void *w, size_t w_stride, const void *a,
                                    size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    gl_arm_gemm_k4(false, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}
static inline void gl_arm_gemm_q5_k(int64_t k, const void *w, size_t w_stride, const void *a,
                                    size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    gl_arm_gemm_k4(true, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}

/* q6_k x q8_k for four weight rows x four activation columns (padding as gl_arm_gemm_tile4).
 * Quants are taken as stored (0..63); the -32 offset comes back through the scaled bsums. */
static inline void gl_arm_gemm_q6_k_tile4(int64_t nb, const char *w, size_t w_stride, const char *a,
                                          size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    const gl_block_q6_k *wr[4];
    const gl_block_q8_k *ar[4];
    for (int r = 0; r < 4; r++)
        wr[r] = (const gl_block_q6_k *)(w + (size_t)(r < nr ? r : nr - 1) * w_stride);
    for (int j = 0; j < 4; j++)
        ar[j] = (const gl_block_q8_k *)(a + (size_t)(j < nc ? j : nc - 1) * a_stride);
    const uint8x16_t m4 = vdupq_n_u8(0x0f), m2 = vdupq_n_u8(0x03);
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    for (int64_t b = 0; b < nb; b++) {
        uint16_t d_bits[4];
        int32_t scs[16][4]; /* scs[run][r]: scale of run (16 weights) of row r */
        for (int r = 0; r < 4; r++) {
            d_bits[r] = wr[r][b].d;
            for (int run = 0; run < 16; run++) scs[run][r] = wr[r][b].scales[run];
        }
        const float32x4_t dv = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(d_bits)));
        int32x4_t isum[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
        for (int half = 0; half < 2; half++) {
            for (int g = 0; g < 2; g++) {
                /* runs 8 half + 4 g .. + 3: low nibbles and qh bits 0..3 (g = 0) or high nibbles
                 * and qh bits 4..7 (g = 1), in the order of gl_arm_vec_dot_q6_k */
                int8x16_t q[4][4];
                for (int r = 0; r < 4; r++) {
                    const uint8_t *ql = wr[r][b].ql + 64 * half;
                    const uint8_t *qh = wr[r][b].qh + 32 * half;
                    uint8x16_t l[4] = {vld1q_u8(ql), vld1q_u8(ql + 16), vld1q_u8(ql + 32),
                                       vld1q_u8(ql + 48)};
                    uint8x16_t h0 = vld1q_u8(qh), h1 = vld1q_u8(qh + 16);
                    if (g == 1) {
                        for (int i = 0; i < 4; i++) l[i] = vshrq_n_u8(l[i], 4);
                        h0 = vshrq_n_u8(h0, 4);
                        h1 = vshrq_n_u8(h1, 4);
                    }
                    const uint8x16_t hb[4] = {vandq_u8(h0, m2), vandq_u8(h1, m2),
                                              vandq_u8(vshrq_n_u8(h0, 2), m2),
                                              vandq_u8(vshrq_n_u8(h1, 2), m2)};
                    for (int i = 0; i < 4; i++)
                        q[r][i] =
                            vreinterpretq_s8_u8(vorrq_u8(vandq_u8(l[i], m4), vshlq_n_u8(hb[i], 4)));
                }
                const int run0 = 8 * half + 4 * g;
                for (int j = 0; j < 4; j++) {
                    const int8_t *yq = ar[j][b].qs + 16 * run0;
                    for (int i = 0; i < 4; i++) {
                        const int8x16_t y = vld1q_s8(yq + 16 * i);
                        int32x4_t p[4];
                        for (int r = 0; r < 4; r++)
                            p[r] = gl_arm_dot_s8(vdupq_n_s32(0), q[r][i], y);
                        isum[j] = vmlaq_s32(isum[j], gl_arm_reduce4(p), vld1q_s32(scs[run0 + i]));
                    }
                }
            }
        }
        for (int j = 0; j < 4; j++) {
            int32x4_t mins = vdupq_n_s32(0);
            for (int run = 0; run < 16; run++)
                mins = vmlaq_n_s32(mins, vld1q_s32(scs[run]), ar[j][b].bsums[run]);
            const int32x4_t t = vsubq_s32(isum[j], vshlq_n_s32(mins, 5));
            acc[j] = vmlaq_n_f32(acc[j], vmulq_f32(dv, vcvtq_f32_s32(t)), ar[j][b].d);
        }
    }
    for (int j = 0; j < nc && j < 4; j++) {
        float *o = c + (size_t)j * ldc;
        if (nr >= 4) {
            vst1q_f32(o, acc[j]);
        } else {
            float t[4];
            vst1q_f32(t, acc[j]);
            for (int r = 0; r < nr; r++) o[r] = t[r];
        }
    }
}

static inline void gl_arm_gemm_q6_k(int64_t k, const void *w, size_t w_stride, const void *a,
                                    size_t a_stride, float *c, size_t ldc, int nr, int nc) {
    for (int i = 0; i < nr; i += 4) {
        for (int j = 0; j < nc; j += 4) {
            gl_arm_gemm_q6_k_tile4(k / GL_QK_K, (const char *)w + (size_t)i * w_stride, w_stride,
                                   (const char *)a + (size_t)j * a_stride, a_stride,
                                   c + (size_t)j * ldc + (size_t)i, ldc, nr - i, nc - j);
        }
    }
}

/* Registers a gemm for t only where the reference pairs t with `act` rows, the layout it reads. */
static inline void gl_arm_set_gemm(gl_cpu_kernels *k, glint_type t, glint_type act, gl_gemm_fn f) {
    const gl_type_traits *tr = gl_type_get(t);
    if (tr && tr->vec_dot && tr->vec_dot_type == act) k->gemm[t] = f;
}

/* Registers f for weight type t only where the reference pairs t with the activation type the
 * kernel was written for, so a kernel never meets a row of another layout. */
static inline void gl_arm_set_dot(gl_cpu_kernels *k, glint_type t, glint_type act,
                                  gl_vec_dot_fn f) {
    const gl_type_traits *tr = gl_type_get(t);
    if (tr && tr->vec_dot && tr->vec_dot_type == act) k->vec_dot[t] = f;
}

/* Fills the quantized vec_dot and gemm entries with this file's compilation of the kernels above.
 */
static inline void gl_arm_set_quant_dots(gl_cpu_kernels *k) {
    gl_arm_set_dot(k, GLINT_TYPE_Q8_0, GLINT_TYPE_Q8_0, gl_arm_vec_dot_q8_0);
    gl_arm_set_dot(k, GLINT_TYPE_Q4_0, GLINT_TYPE_Q8_0, gl_arm_vec_dot_q4_0);
    gl_arm_set_dot(k, GLINT_TYPE_Q4_1, GLINT_TYPE_Q8_1, gl_arm_vec_dot_q4_1);
    gl_arm_set_dot(k, GLINT_TYPE_Q5_0, GLINT_TYPE_Q8_0, gl_arm_vec_dot_q5_0);
    gl_arm_set_dot(k, GLINT_TYPE_Q5_1, GLINT_TYPE_Q8_1, gl_arm_vec_dot_q5_1);
    gl_arm_set_dot(k, GLINT_TYPE_Q4_K, GLINT_TYPE_Q8_K, gl_arm_vec_dot_q4_k);
    gl_arm_set_dot(k, GLINT_TYPE_Q5_K, GLINT_TYPE_Q8_K, gl_arm_vec_dot_q5_k);
    gl_arm_set_dot(k, GLINT_TYPE_Q6_K, GLINT_TYPE_Q8_K, gl_arm_vec_dot_q6_k);
    gl_arm_set_gemm(k, GLINT_TYPE_Q8_0, GLINT_TYPE_Q8_0, gl_arm_gemm_q8_0);
    gl_arm_set_gemm(k, GLINT_TYPE_Q4_0, GLINT_TYPE_Q8_0, gl_arm_gemm_q4_0);
    gl_arm_set_gemm(k, GLINT_TYPE_Q5_0, GLINT_TYPE_Q8_0, gl_arm_gemm_q5_0);
    gl_arm_set_gemm(k, GLINT_TYPE_Q4_K, GLINT_TYPE_Q8_K, gl_arm_gemm_q4_k);
    gl_arm_set_gemm(k, GLINT_TYPE_Q5_K, GLINT_TYPE_Q8_K, gl_arm_gemm_q5_k);
    gl_arm_set_gemm(k, GLINT_TYPE_Q6_K, GLINT_TYPE_Q8_K, gl_arm_gemm_q6_k);
}

#endif

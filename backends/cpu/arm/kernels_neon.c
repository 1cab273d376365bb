/* Baseline ARMv8 NEON kernels: float dots, activation quantizers (bit-identical to the scalar
 * references of engine/types.c) and the quantized dots of arm.h built without SDOT. */
#include "arm.h"

#include <math.h>

/* ---- float dots ----------------------------------------------------------------------------- */

static void vec_dot_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx;
    const float *y = vy;
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 4; j++)
            acc[j] = vfmaq_f32(acc[j], vld1q_f32(x + i + 4 * j), vld1q_f32(y + i + 4 * j));
    }
    for (; i + 4 <= n; i += 4) acc[0] = vfmaq_f32(acc[0], vld1q_f32(x + i), vld1q_f32(y + i));
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; i < n; i++) sum += x[i] * y[i];
    *s = sum;
}

static inline float32x4_t load_f16_lo(const gl_fp16 *p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}

/* f16 weights against f16 activations; products and sums in f32, as the reference. */
static void vec_dot_f16_f16(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_fp16 *x = vx;
    const gl_fp16 *y = vy;
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 4; j++)
            acc[j] = vfmaq_f32(acc[j], load_f16_lo(x + i + 4 * j), load_f16_lo(y + i + 4 * j));
    }
    for (; i + 4 <= n; i += 4) acc[0] = vfmaq_f32(acc[0], load_f16_lo(x + i), load_f16_lo(y + i));
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; i < n; i++) sum += gl_arm_h2f(x[i]) * gl_arm_h2f(y[i]);
    *s = sum;
}

/* f16 weights against f32 activations. */
static void vec_dot_f16_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_fp16 *x = vx;
    const float *y = vy;
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 4; j++)
            acc[j] = vfmaq_f32(acc[j], load_f16_lo(x + i + 4 * j), vld1q_f32(y + i + 4 * j));
    }
    for (; i + 4 <= n; i += 4) acc[0] = vfmaq_f32(acc[0], load_f16_lo(x + i), vld1q_f32(y + i));
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; i < n; i++) sum += gl_arm_h2f(x[i]) * y[i];
    *s = sum;
}

static inline float32x4_t load_bf16(const gl_bf16 *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}

static void vec_dot_bf16_bf16(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_bf16 *x = vx;
    const gl_bf16 *y = vy;
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 4; j++)
            acc[j] = vfmaq_f32(acc[j], load_bf16(x + i + 4 * j), load_bf16(y + i + 4 * j));
    }
    for (; i + 4 <= n; i += 4) acc[0] = vfmaq_f32(acc[0], load_bf16(x + i), load_bf16(y + i));
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; i < n; i++) sum += gl_bf16_to_f32(x[i]) * gl_bf16_to_f32(y[i]);
    *s = sum;
}

static void vec_dot_bf16_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_bf16 *x = vx;
    const float *y = vy;
    float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f),
                          vdupq_n_f32(0.0f)};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int j = 0; j < 4; j++)
            acc[j] = vfmaq_f32(acc[j], load_bf16(x + i + 4 * j), vld1q_f32(y + i + 4 * j));
    }
    for (; i + 4 <= n; i += 4) acc[0] = vfmaq_f32(acc[0], load_bf16(x + i), vld1q_f32(y + i));
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; i < n; i++) sum += gl_bf16_to_f32(x[i]) * y[i];
    *s = sum;
}

/* ---- activation conversion and quantizers -----------------------------------------------------
 */

/* Hardware rounding is round-to-nearest-even (FPCR default), as gl_f32_to_fp16; a nan becomes
 * the reference's sign | 0x7e00 instead of keeping its payload's top bits. */
static void from_float_f16(const float *x, void *vy, int64_t n) {
    gl_fp16 *y = vy;
    const uint16x4_t qnan = vdup_n_u16(0x7e00), sign = vdup_n_u16(0x8000);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i);
        const uint16x4_t h = vreinterpret_u16_f16(vcvt_f16_f32(v));
        const uint16x4_t is_num = vmovn_u32(vceqq_f32(v, v));
        vst1_u16(y + i, vbsl_u16(is_num, h, vorr_u16(qnan, vand_u16(h, sign))));
    }
    for (; i < n; i++) y[i] = gl_f32_to_fp16(x[i]);
}

static void from_float_bf16(const float *x, void *vy, int64_t n) {
    gl_bf16 *y = vy;
    const uint32x4_t one = vdupq_n_u32(1), bias = vdupq_n_u32(0x7fff);
    const uint32x4_t abs_mask = vdupq_n_u32(0x7fffffff), inf = vdupq_n_u32(0x7f800000);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32x4_t u = vreinterpretq_u32_f32(vld1q_f32(x + i));
        const uint32x4_t r = vaddq_u32(u, vaddq_u32(bias, vandq_u32(vshrq_n_u32(u, 16), one)));
        const uint16x4_t rounded = vshrn_n_u32(r, 16);
        const uint16x4_t nan = vorr_u16(vshrn_n_u32(u, 16), vdup_n_u16(64));
        const uint16x4_t is_nan = vmovn_u32(vcgtq_u32(vandq_u32(u, abs_mask), inf));
        vst1_u16(y + i, vbsl_u16(is_nan, nan, rounded));
    }
    for (; i < n; i++) y[i] = gl_f32_to_bf16(x[i]);
}

/* Four int32x4 -> 16 int8, saturating (out-of-range only from inf/nan input). */
static inline int8x16_t narrow16(const int32x4_t r[4]) {
    const int16x8_t h0 = vcombine_s16(vqmovn_s32(r[0]), vqmovn_s32(r[1]));
    const int16x8_t h1 = vcombine_s16(vqmovn_s32(r[2]), vqmovn_s32(r[3]));
    return vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1));
}

/* q = round-half-away(x * id) in [-127, 127] for 32 values into 32 int8; returns their sum. */
static inline int32_t quantize32(const float32x4_t v[8], float id, int8_t *q) {
    int32x4_t r[8];
    for (int j = 0; j < 8; j++) r[j] = vcvtaq_s32_f32(vmulq_n_f32(v[j], id));
    const int8x16_t q0 = vmaxq_s8(narrow16(r), vdupq_n_s8(-127));
    const int8x16_t q1 = vmaxq_s8(narrow16(r + 4), vdupq_n_s8(-127));
    vst1q_s8(q, q0);
    vst1q_s8(q + 16, q1);
    return vaddlvq_s8(q0) + vaddlvq_s8(q1);
}

static inline float load_amax32(const float *x, float32x4_t v[8]) {
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int j = 0; j < 8; j++) {
        v[j] = vld1q_f32(x + 4 * j);
        m = vmaxq_f32(m, vabsq_f32(v[j]));
    }
    const float amax = vmaxvq_f32(m);
    if (amax == amax) return amax;
    /* a nan: the reference's running `amax > |x| ? amax : |x|` restarts after each nan */
    float r = 0.0f;
    for (int j = 0; j < 32; j++) r = r > fabsf(x[j]) ? r : fabsf(x[j]);
    return r;
}

static void quantize_q8_0(const float *x, void *vy, int64_t n) {
    gl_block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / GL_QK8_0; i++) {
        float32x4_t v[8];
        const float d = load_amax32(x + i * GL_QK8_0, v) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = gl_f32_to_fp16(d);
        quantize32(v, id, y[i].qs);
    }
}

static void quantize_q8_1(const float *x, void *vy, int64_t n) {
    gl_block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / GL_QK8_1; i++) {
        float32x4_t v[8];
        const float d = load_amax32(x + i * GL_QK8_1, v) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = gl_f32_to_fp16(d);
        const int32_t sum = quantize32(v, id, y[i].qs);
        y[i].s = gl_f32_to_fp16((float)sum * d);
    }
}

/* The value of largest magnitude decides the scale (the first one on ties), so that it maps
 * to -127 exactly; rounding is to nearest even. */
static void quantize_q8_k(const float *x, void *vy, int64_t n) {
    gl_block_q8_k *y = vy;
    for (int64_t i = 0; i < n / GL_QK_K; i++, x += GL_QK_K) {
        float32x4_t m = vdupq_n_f32(0.0f);
        /* maxNum skips nans, as the reference's `|x| > amax` test does */
        for (int j = 0; j < GL_QK_K; j += 4) m = vmaxnmq_f32(m, vabsq_f32(vld1q_f32(x + j)));
        const float amax = vmaxnmvq_f32(m);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0.0f;
        for (int j = 0; j < GL_QK_K; j++) {
            if (fabsf(x[j]) == amax) {
                max = x[j];
                break;
            }
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < GL_QK_K; j += 16) {
            int32x4_t r[4];
            for (int l = 0; l < 4; l++)
                r[l] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + j + 4 * l), iscale));
            const int8x16_t q = narrow16(r); /* clamps to [-128, 127] as the reference */
            vst1q_s8(y[i].qs + j, q);
            y[i].bsums[j / 16] = vaddlvq_s8(q);
        }
        y[i].d = 1.0f / iscale;
    }
}

/* ---- table ------------------------------------------------------------------------------------
 */

/* Sets the activation converter for t only where the reference has one (same output layout). */
static void set_from_float(gl_cpu_kernels *k, glint_type t, gl_from_float_fn f) {
    const gl_type_traits *tr = gl_type_get(t);
    if (tr && tr->from_float) k->from_float[t] = f;
}

void gl_cpu_kernels_init_neon(gl_cpu_kernels *k) {
    gl_arm_set_dot(k, GLINT_TYPE_F32, GLINT_TYPE_F32, vec_dot_f32);
    gl_arm_set_dot(k, GLINT_TYPE_F16, GLINT_TYPE_F16, vec_dot_f16_f16);
    gl_arm_set_dot(k, GLINT_TYPE_F16, GLINT_TYPE_F32, vec_dot_f16_f32);
    gl_arm_set_dot(k, GLINT_TYPE_BF16, GLINT_TYPE_BF16, vec_dot_bf16_bf16);
    gl_arm_set_dot(k, GLINT_TYPE_BF16, GLINT_TYPE_F32, vec_dot_bf16_f32);
    set_from_float(k, GLINT_TYPE_F16, from_float_f16);
    set_from_float(k, GLINT_TYPE_BF16, from_float_bf16);
    set_from_float(k, GLINT_TYPE_Q8_0, quantize_q8_0);
    set_from_float(k, GLINT_TYPE_Q8_1, quantize_q8_1);
    set_from_float(k, GLINT_TYPE_Q8_K, quantize_q8_k);
    gl_arm_set_quant_dots(k);
}

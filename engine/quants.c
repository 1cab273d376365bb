/* Scalar references for the plain float types and the 32-value block quants.
 *
 * Quantizers follow ggml's reference quantizers exactly (the same float operations in the same
 * order), so Glint reproduces llama-quantize's q4_0/q4_1/q5_0/q5_1/q8_0 files byte for byte and
 * quantizes activations to q8_0/q8_1 the way the goldens' engine did:
 *   q8_0/q8_1: d = amax / 127, id = d ? 1/d : 0, q = roundf(x * id) (ties away from zero),
 *              q8_1 also stores s = fp16((float)sum(q) * d) with d before fp16 rounding.
 *   q4_0/q5_0: d = m / -8 (/ -16), m the value of largest magnitude (the first one on ties),
 *              q = min(15 (31), trunc(x * id + 8.5 (16.5))).
 *   q4_1/q5_1: d = (max - min) / 15 (31), stored min = fp16(min),
 *              q = min(15 (31), trunc((x - min) * id + 0.5)).
 * d is rounded to fp16 only when stored; the quants use the f32 d. Out-of-range or nan inputs
 * are clamped to the quant range (ggml's casts are undefined there): garbage, but no UB. */
#include "quants.h"

#include <float.h>
#include <math.h>

/* Truncates t (>= -1 for valid input) toward zero into [0, hi]; nan gives 0. */
static inline uint8_t trunc_clamp(float t, int hi) {
    if (!(t >= 0.0f)) return 0;
    if (t >= (float)hi) return (uint8_t)hi;
    return (uint8_t)(int)t;
}

/* roundf into [-127, 127]; nan gives 0. */
static inline int8_t round_q8(float v) {
    if (!(v == v)) return 0;
    const float r = roundf(v);
    return (int8_t)(r < -127.0f ? -127 : r > 127.0f ? 127 : (int)r);
}

/* ---- plain types ------------------------------------------------------------------------ */

void gl_f32_to_float_ref(const void *x, float *y, int64_t n) {
    memcpy(y, x, (size_t)n * sizeof(float));
}
void gl_f32_from_float_ref(const float *x, void *y, int64_t n) {
    memcpy(y, x, (size_t)n * sizeof(float));
}
void gl_f16_to_float_ref(const void *x, float *y, int64_t n) {
    const gl_fp16 *h = x;
    for (int64_t i = 0; i < n; i++) y[i] = gl_fp16_to_f32(h[i]);
}
void gl_f16_from_float_ref(const float *x, void *y, int64_t n) {
    gl_fp16 *h = y;
    for (int64_t i = 0; i < n; i++) h[i] = gl_f32_to_fp16(x[i]);
}
void gl_bf16_to_float_ref(const void *x, float *y, int64_t n) {
    const gl_bf16 *h = x;
    for (int64_t i = 0; i < n; i++) y[i] = gl_bf16_to_f32(h[i]);
}
void gl_bf16_from_float_ref(const float *x, void *y, int64_t n) {
    gl_bf16 *h = y;
    for (int64_t i = 0; i < n; i++) h[i] = gl_f32_to_bf16(x[i]);
}

/* Plain dots: one f32 accumulator, in index order. */
void gl_vec_dot_f32_ref(int64_t n, float *s, const void *x, const void *y) {
    const float *a = x, *b = y;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += a[i] * b[i];
    *s = sum;
}
void gl_vec_dot_f16_f32_ref(int64_t n, float *s, const void *x, const void *y) {
    const gl_fp16 *a = x;
    const float *b = y;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += gl_fp16_to_f32(a[i]) * b[i];
    *s = sum;
}
void gl_vec_dot_bf16_f32_ref(int64_t n, float *s, const void *x, const void *y) {
    const gl_bf16 *a = x;
    const float *b = y;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += gl_bf16_to_f32(a[i]) * b[i];
    *s = sum;
}

/* ---- dequantize ------------------------------------------------------------------------- */
/* In every 32-block with nibbles, byte j holds weight j (low nibble) and weight j + 16 (high
 * nibble); for 5-bit types bit 4 of weight j is bit j of the little-endian u32 qh. */

static inline uint32_t load_qh(const uint8_t qh[4]) {
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

void gl_q4_0_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q4_0 *x = vx;
    for (int64_t i = 0; i < n / GL_QK4_0; i++, y += GL_QK4_0) {
        const float d = gl_fp16_to_f32(x[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((x[i].qs[j] & 0xf) - 8) * d;
            y[j + 16] = (float)((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void gl_q4_1_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q4_1 *x = vx;
    for (int64_t i = 0; i < n / GL_QK4_1; i++, y += GL_QK4_1) {
        const float d = gl_fp16_to_f32(x[i].d), m = gl_fp16_to_f32(x[i].m);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(x[i].qs[j] & 0xf) * d + m;
            y[j + 16] = (float)(x[i].qs[j] >> 4) * d + m;
        }
    }
}

void gl_q5_0_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q5_0 *x = vx;
    for (int64_t i = 0; i < n / GL_QK5_0; i++, y += GL_QK5_0) {
        const float d = gl_fp16_to_f32(x[i].d);
        const uint32_t qh = load_qh(x[i].qh);
        for (int j = 0; j < 16; j++) {
            const int q0 = (x[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4;
            const int q1 = (x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (float)(q0 - 16) * d;
            y[j + 16] = (float)(q1 - 16) * d;
        }
    }
}

void gl_q5_1_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q5_1 *x = vx;
    for (int64_t i = 0; i < n / GL_QK5_1; i++, y += GL_QK5_1) {
        const float d = gl_fp16_to_f32(x[i].d), m = gl_fp16_to_f32(x[i].m);
        const uint32_t qh = load_qh(x[i].qh);
        for (int j = 0; j < 16; j++) {
            const int q0 = (x[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4;
            const int q1 = (x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (float)q0 * d + m;
            y[j + 16] = (float)q1 * d + m;
        }
    }
}

void gl_q8_0_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q8_0 *x = vx;
    for (int64_t i = 0; i < n / GL_QK8_0; i++, y += GL_QK8_0) {
        const float d = gl_fp16_to_f32(x[i].d);
        for (int j = 0; j < GL_QK8_0; j++) y[j] = (float)x[i].qs[j] * d;
    }
}

void gl_q8_1_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q8_1 *x = vx;
    for (int64_t i = 0; i < n / GL_QK8_1; i++, y += GL_QK8_1) {
        const float d = gl_fp16_to_f32(x[i].d);
        for (int j = 0; j < GL_QK8_1; j++) y[j] = (float)x[i].qs[j] * d;
    }
}

/* ---- quantize --------------------------------------------------------------------------- */

/* The value of largest magnitude (the first one on ties) and that magnitude. */
static inline float signed_absmax(const float *x, int n, float *amax_out) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++) {
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    if (amax_out) *amax_out = amax;
    return max;
}

static inline void min_max(const float *x, int n, float *mn, float *mx) {
    float lo = FLT_MAX, hi = -FLT_MAX;
    for (int j = 0; j < n; j++) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
    *mn = lo;
    *mx = hi;
}

void gl_q4_0_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q4_0 *y = vy;
    for (int64_t i = 0; i < n / GL_QK4_0; i++, x += GL_QK4_0) {
        const float d = signed_absmax(x, GL_QK4_0, NULL) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = gl_f32_to_fp16(d);
        for (int j = 0; j < 16; j++) {
            const uint8_t q0 = trunc_clamp(x[j] * id + 8.5f, 15);
            const uint8_t q1 = trunc_clamp(x[j + 16] * id + 8.5f, 15);
            y[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

void gl_q4_1_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q4_1 *y = vy;
    for (int64_t i = 0; i < n / GL_QK4_1; i++, x += GL_QK4_1) {
        float mn, mx;
        min_max(x, GL_QK4_1, &mn, &mx);
        const float d = (mx - mn) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = gl_f32_to_fp16(d);
        y[i].m = gl_f32_to_fp16(mn);
        for (int j = 0; j < 16; j++) {
            const uint8_t q0 = trunc_clamp((x[j] - mn) * id + 0.5f, 15);
            const uint8_t q1 = trunc_clamp((x[j + 16] - mn) * id + 0.5f, 15);
            y[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

static inline void store_qh(uint8_t qh[4], uint32_t v) {
    for (int k = 0; k < 4; k++) qh[k] = (uint8_t)(v >> (8 * k));
}

void gl_q5_0_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q5_0 *y = vy;
    for (int64_t i = 0; i < n / GL_QK5_0; i++, x += GL_QK5_0) {
        const float d = signed_absmax(x, GL_QK5_0, NULL) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = gl_f32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < 16; j++) {
            const uint8_t q0 = trunc_clamp(x[j] * id + 16.5f, 31);
            const uint8_t q1 = trunc_clamp(x[j + 16] * id + 16.5f, 31);
            y[i].qs[j] = (uint8_t)((q0 & 0xf) | (q1 & 0xf) << 4);
            qh |= (uint32_t)(q0 >> 4) << j | (uint32_t)(q1 >> 4) << (j + 16);
        }
        store_qh(y[i].qh, qh);
    }
}

void gl_q5_1_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q5_1 *y = vy;
    for (int64_t i = 0; i < n / GL_QK5_1; i++, x += GL_QK5_1) {
        float mn, mx;
        min_max(x, GL_QK5_1, &mn, &mx);
        const float d = (mx - mn) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = gl_f32_to_fp16(d);
        y[i].m = gl_f32_to_fp16(mn);
        uint32_t qh = 0;
        for (int j = 0; j < 16; j++) {
            const uint8_t q0 = trunc_clamp((x[j] - mn) * id + 0.5f, 31);
            const uint8_t q1 = trunc_clamp((x[j + 16] - mn) * id + 0.5f, 31);
            y[i].qs[j] = (uint8_t)((q0 & 0xf) | (q1 & 0xf) << 4);
            qh |= (uint32_t)(q0 >> 4) << j | (uint32_t)(q1 >> 4) << (j + 16);
        }
        store_qh(y[i].qh, qh);
    }
}

/* amax as ggml's q8 quantizers take it: a running max(amax, |x|) that starts at 0. */
static inline float q8_amax(const float *x, int n) {
    float amax = 0.0f;
    for (int j = 0; j < n; j++) amax = amax > fabsf(x[j]) ? amax : fabsf(x[j]);
    return amax;
}

void gl_q8_0_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / GL_QK8_0; i++, x += GL_QK8_0) {
        const float d = q8_amax(x, GL_QK8_0) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = gl_f32_to_fp16(d);
        for (int j = 0; j < GL_QK8_0; j++) y[i].qs[j] = round_q8(x[j] * id);
    }
}

void gl_q8_1_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / GL_QK8_1; i++, x += GL_QK8_1) {
        const float d = q8_amax(x, GL_QK8_1) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < GL_QK8_1; j++) {
            y[i].qs[j] = round_q8(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].d = gl_f32_to_fp16(d);
        y[i].s = gl_f32_to_fp16((float)sum * d);
    }
}

/* ---- dot products ----------------------------------------------------------------------- */
/* Per block: an exact int32 dot of the quants, then sum += (dx * dy) * (float)isum
 * (+ mx * sy for the types with a min, where sy = d * sum(q) comes from the q8_1 block). */

void gl_vec_dot_q4_0_q8_0_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK4_0; i++) {
        int32_t isum = 0;
        for (int j = 0; j < 16; j++) {
            isum += ((x[i].qs[j] & 0xf) - 8) * y[i].qs[j];
            isum += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
        }
        sum += (gl_fp16_to_f32(x[i].d) * gl_fp16_to_f32(y[i].d)) * (float)isum;
    }
    *s = sum;
}

void gl_vec_dot_q4_1_q8_1_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_1 *x = vx;
    const gl_block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK4_1; i++) {
        int32_t isum = 0;
        for (int j = 0; j < 16; j++) {
            isum += (x[i].qs[j] & 0xf) * y[i].qs[j];
            isum += (x[i].qs[j] >> 4) * y[i].qs[j + 16];
        }
        sum += (gl_fp16_to_f32(x[i].d) * gl_fp16_to_f32(y[i].d)) * (float)isum +
               gl_fp16_to_f32(x[i].m) * gl_fp16_to_f32(y[i].s);
    }
    *s = sum;
}

void gl_vec_dot_q5_0_q8_0_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK5_0; i++) {
        const uint32_t qh = load_qh(x[i].qh);
        int32_t isum = 0;
        for (int j = 0; j < 16; j++) {
            const int q0 = ((x[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4) - 16;
            const int q1 = ((x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4) - 16;
            isum += q0 * y[i].qs[j] + q1 * y[i].qs[j + 16];
        }
        sum += (gl_fp16_to_f32(x[i].d) * gl_fp16_to_f32(y[i].d)) * (float)isum;
    }
    *s = sum;
}

void gl_vec_dot_q5_1_q8_1_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_1 *x = vx;
    const gl_block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK5_1; i++) {
        const uint32_t qh = load_qh(x[i].qh);
        int32_t isum = 0;
        for (int j = 0; j < 16; j++) {
            const int q0 = (x[i].qs[j] & 0xf) | (int)((qh >> j) & 1) << 4;
            const int q1 = (x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            isum += q0 * y[i].qs[j] + q1 * y[i].qs[j + 16];
        }
        sum += (gl_fp16_to_f32(x[i].d) * gl_fp16_to_f32(y[i].d)) * (float)isum +
               gl_fp16_to_f32(x[i].m) * gl_fp16_to_f32(y[i].s);
    }
    *s = sum;
}

void gl_vec_dot_q8_0_q8_0_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q8_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK8_0; i++) {
        int32_t isum = 0;
        for (int j = 0; j < GL_QK8_0; j++) isum += x[i].qs[j] * y[i].qs[j];
        sum += (gl_fp16_to_f32(x[i].d) * gl_fp16_to_f32(y[i].d)) * (float)isum;
    }
    *s = sum;
}

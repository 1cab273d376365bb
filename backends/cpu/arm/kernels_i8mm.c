/* ARMv8.6 i8mm: SMMLA (vmmlaq_s32) gemm tiles for prefill. One SMMLA multiplies a 2x8 int8
 * tile of two weight rows by a 2x8 tile of two activation rows into the 2x2 int32 block of
 * their four dots, so a 2x2 output tile costs half the instructions of four SDOT dots. */
#include "arm.h"

#if !defined(__ARM_FEATURE_MATMUL_INT8)
#error "kernels_i8mm.c needs -march=armv8.2-a+i8mm (cmake/sources.cmake sets it)"
#endif

/* Rows r0, r1 of 16 int8 each -> the two 2x8 tiles {r0[0..8), r1[0..8)} and {r0[8..16), r1[8..16)}.
 */
static inline void tiles2(int8x16_t r0, int8x16_t r1, int8x16_t *t0, int8x16_t *t1) {
    const int64x2_t a = vreinterpretq_s64_s8(r0), b = vreinterpretq_s64_s8(r1);
    *t0 = vreinterpretq_s8_s64(vzip1q_s64(a, b));
    *t1 = vreinterpretq_s8_s64(vzip2q_s64(a, b));
}

/* acc += the 2x2 dots of weight rows (w0, w1) with activation rows (a0, a1), 16 values each:
 * lanes {w0.a0, w0.a1, w1.a0, w1.a1}. */
static inline int32x4_t mmla16(int32x4_t acc, int8x16_t w0, int8x16_t w1, int8x16_t a0,
                               int8x16_t a1) {
    int8x16_t wt0, wt1, at0, at1;
    tiles2(w0, w1, &wt0, &wt1);
    tiles2(a0, a1, &at0, &at1);
    return vmmlaq_s32(vmmlaq_s32(acc, wt0, at0), wt1, at1);
}

/* Block scales of a 2x2 tile, in mmla16's lane order. */
static inline float32x4_t scales2x2(gl_fp16 w0, gl_fp16 w1, gl_fp16 a0, gl_fp16 a1) {
    const float dw0 = gl_arm_h2f(w0), dw1 = gl_arm_h2f(w1);
    const float da0 = gl_arm_h2f(a0), da1 = gl_arm_h2f(a1);
    const float v[4] = {dw0 * da0, dw0 * da1, dw1 * da0, dw1 * da1};
    return vld1q_f32(v);
}

static inline void store2x2(float32x4_t acc, float *c, size_t ldc, int i, int j) {
    c[(size_t)j * ldc + (size_t)i] = vgetq_lane_f32(acc, 0);
    c[(size_t)(j + 1) * ldc + (size_t)i] = vgetq_lane_f32(acc, 1);
    c[(size_t)j * ldc + (size_t)i + 1] = vgetq_lane_f32(acc, 2);
    c[(size_t)(j + 1) * ldc + (size_t)i + 1] = vgetq_lane_f32(acc, 3);
}

/* Outputs outside the 2x2 tiles (odd nr or nc) come from the dotprod vec_dot. */
static void gemm_edges(int64_t k, const void *w, size_t w_stride, const void *a, size_t a_stride,
                       float *c, size_t ldc, int nr, int nc, gl_vec_dot_fn dot) {
    const char *wb = w;
    const char *ab = a;
    const int nr2 = nr & ~1, nc2 = nc & ~1;
    for (int j = 0; j < nc; j++) {
        for (int i = (j < nc2 ? nr2 : 0); i < nr; i++)
            dot(k, &c[(size_t)j * ldc + (size_t)i], wb + (size_t)i * w_stride,
                ab + (size_t)j * a_stride);
    }
}

static void gemm_q8_0(int64_t k, const void *w, size_t w_stride, const void *a, size_t a_stride,
                      float *c, size_t ldc, int nr, int nc) {
    const int64_t nb = k / GL_QK8_0;
    const char *wb = w;
    const char *ab = a;
    for (int i = 0; i + 1 < nr; i += 2) {
        const gl_block_q8_0 *w0 = (const void *)(wb + (size_t)i * w_stride);
        const gl_block_q8_0 *w1 = (const void *)(wb + (size_t)(i + 1) * w_stride);
        for (int j = 0; j + 1 < nc; j += 2) {
            const gl_block_q8_0 *a0 = (const void *)(ab + (size_t)j * a_stride);
            const gl_block_q8_0 *a1 = (const void *)(ab + (size_t)(j + 1) * a_stride);
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int64_t b = 0; b < nb; b++) {
                int32x4_t p = mmla16(vdupq_n_s32(0), vld1q_s8(w0[b].qs), vld1q_s8(w1[b].qs),
                                     vld1q_s8(a0[b].qs), vld1q_s8(a1[b].qs));
                p = mmla16(p, vld1q_s8(w0[b].qs + 16), vld1q_s8(w1[b].qs + 16),
                           vld1q_s8(a0[b].qs + 16), vld1q_s8(a1[b].qs + 16));
                acc =
                    vmlaq_f32(acc, vcvtq_f32_s32(p), scales2x2(w0[b].d, w1[b].d, a0[b].d, a1[b].d));
            }
            store2x2(acc, c, ldc, i, j);
        }
    }
    gemm_edges(k, w, w_stride, a, a_stride, c, ldc, nr, nc, gl_arm_vec_dot_q8_0);
}

static void gemm_q4_0(int64_t k, const void *w, size_t w_stride, const void *a, size_t a_stride,
                      float *c, size_t ldc, int nr, int nc) {
    const int64_t nb = k / GL_QK4_0;
    const char *wb = w;
    const char *ab = a;
    const int8x16_t off = vdupq_n_s8(8);
    for (int i = 0; i + 1 < nr; i += 2) {
        const gl_block_q4_0 *w0 = (const void *)(wb + (size_t)i * w_stride);
        const gl_block_q4_0 *w1 = (const void *)(wb + (size_t)(i + 1) * w_stride);
        for (int j = 0; j + 1 < nc; j += 2) {
            const gl_block_q8_0 *a0 = (const void *)(ab + (size_t)j * a_stride);
            const gl_block_q8_0 *a1 = (const void *)(ab + (size_t)(j + 1) * a_stride);
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int64_t b = 0; b < nb; b++) {
                int8x16_t lo0, hi0, lo1, hi1;
                gl_arm_q4_unpack(w0[b].qs, &lo0, &hi0);
                gl_arm_q4_unpack(w1[b].qs, &lo1, &hi1);
                int32x4_t p = mmla16(vdupq_n_s32(0), vsubq_s8(lo0, off), vsubq_s8(lo1, off),
                                     vld1q_s8(a0[b].qs), vld1q_s8(a1[b].qs));
                p = mmla16(p, vsubq_s8(hi0, off), vsubq_s8(hi1, off), vld1q_s8(a0[b].qs + 16),
                           vld1q_s8(a1[b].qs + 16));
                acc =
                    vmlaq_f32(acc, vcvtq_f32_s32(p), scales2x2(w0[b].d, w1[b].d, a0[b].d, a1[b].d));
            }
            store2x2(acc, c, ldc, i, j);
        }
    }
    gemm_edges(k, w, w_stride, a, a_stride, c, ldc, nr, nc, gl_arm_vec_dot_q4_0);
}

/* Only where the reference pairs the weight type with q8_0 rows, the layout read here. */
static void set_gemm(gl_cpu_kernels *k, glint_type t, gl_gemm_fn f) {
    const gl_type_traits *tr = gl_type_get(t);
    if (tr && tr->vec_dot && tr->vec_dot_type == GLINT_TYPE_Q8_0) k->gemm[t] = f;
}

void gl_cpu_kernels_init_i8mm(gl_cpu_kernels *k) {
    set_gemm(k, GLINT_TYPE_Q8_0, gemm_q8_0);
    set_gemm(k, GLINT_TYPE_Q4_0, gemm_q4_0);
}

/* ARMv8.6 i8mm: SMMLA (vmmlaq_s32) gemm for prefill. One SMMLA multiplies a 2x8 int8 tile of
 * two weight rows by a 2x8 tile of two activation rows into the 2x2 int32 block of their four
 * dots. Output tiles of up to 4x4 are built from those 2x2 blocks, so each unpacked weight block
 * and each interleaved activation block serves two SMMLA pairs; odd edges use the vec_dot. */
#include "arm.h"

#if !defined(__ARM_FEATURE_MATMUL_INT8)
#error "kernels_i8mm.c needs -march=armv8.2-a+i8mm (cmake/sources.cmake sets it)"
#endif

/* Rows r0, r1 of 16 int8 -> the 2x8 tiles {r0[0..8), r1[0..8)} and {r0[8..16), r1[8..16)}. */
static inline void tiles2(int8x16_t r0, int8x16_t r1, int8x16_t *t0, int8x16_t *t1) {
    const int64x2_t a = vreinterpretq_s64_s8(r0), b = vreinterpretq_s64_s8(r1);
    *t0 = vreinterpretq_s8_s64(vzip1q_s64(a, b));
    *t1 = vreinterpretq_s8_s64(vzip2q_s64(a, b));
}

/* c[j][i] for the R x C tile at weight rows w (R rows, w_stride apart) and activation rows a
 * (C rows of q8_0, a_stride apart); R, C in {2, 4}, constants at every call. */
static inline void tile(glint_type type, int R, int C, int64_t nb, const char *w, size_t w_stride,
                        const char *a, size_t a_stride, float *c, size_t ldc) {
    float32x4_t acc[2][2] = {{vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)},
                             {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)}};
    for (int64_t b = 0; b < nb; b++) {
        /* wt[p][0..3]: the four 2x8 k-chunks of weight rows 2p, 2p+1; at[q] likewise */
        int8x16_t wt[2][4], at[2][4];
        uint16_t dw_bits[4] = {0}, da_bits[4] = {0};
        for (int p = 0; p < R / 2; p++) {
            int8x16_t lo0, hi0, lo1, hi1;
            dw_bits[2 * p] = gl_arm_load_w(type, w + (size_t)(2 * p) * w_stride, b, &lo0, &hi0);
            dw_bits[2 * p + 1] =
                gl_arm_load_w(type, w + (size_t)(2 * p + 1) * w_stride, b, &lo1, &hi1);
            tiles2(lo0, lo1, &wt[p][0], &wt[p][1]);
            tiles2(hi0, hi1, &wt[p][2], &wt[p][3]);
        }
        for (int q = 0; q < C / 2; q++) {
            const gl_block_q8_0 *a0 = (const gl_block_q8_0 *)(a + (size_t)(2 * q) * a_stride) + b;
            const gl_block_q8_0 *a1 =
                (const gl_block_q8_0 *)(a + (size_t)(2 * q + 1) * a_stride) + b;
            da_bits[2 * q] = a0->d;
            da_bits[2 * q + 1] = a1->d;
            tiles2(vld1q_s8(a0->qs), vld1q_s8(a1->qs), &at[q][0], &at[q][1]);
            tiles2(vld1q_s8(a0->qs + 16), vld1q_s8(a1->qs + 16), &at[q][2], &at[q][3]);
        }
        const float32x4_t dw = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(dw_bits)));
        const float32x4_t da = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(da_bits)));
        /* lane order of a 2x2 block: {r0.c0, r0.c1, r1.c0, r1.c1} */
        const float32x4_t dwp[2] = {vzip1q_f32(dw, dw), vzip2q_f32(dw, dw)};
        const float32x4_t daq[2] = {vcombine_f32(vget_low_f32(da), vget_low_f32(da)),
                                    vcombine_f32(vget_high_f32(da), vget_high_f32(da))};
        for (int p = 0; p < R / 2; p++) {
            for (int q = 0; q < C / 2; q++) {
                int32x4_t s = vmmlaq_s32(vdupq_n_s32(0), wt[p][0], at[q][0]);
                s = vmmlaq_s32(s, wt[p][1], at[q][1]);
                s = vmmlaq_s32(s, wt[p][2], at[q][2]);
                s = vmmlaq_s32(s, wt[p][3], at[q][3]);
                acc[p][q] = vmlaq_f32(acc[p][q], vcvtq_f32_s32(s), vmulq_f32(dwp[p], daq[q]));
            }
        }
    }
    for (int p = 0; p < R / 2; p++) {
        for (int q = 0; q < C / 2; q++) {
            float *o = c + (size_t)(2 * q) * ldc + (size_t)(2 * p);
            o[0] = vgetq_lane_f32(acc[p][q], 0);
            o[ldc] = vgetq_lane_f32(acc[p][q], 1);
            o[1] = vgetq_lane_f32(acc[p][q], 2);
            o[ldc + 1] = vgetq_lane_f32(acc[p][q], 3);
        }
    }
}

/* The even part of nr x nc in 4x4 tiles (2-wide where fewer than 4 remain), then the odd last
 * row and column with `dot`. */
static inline void gemm_tiled(glint_type type, gl_vec_dot_fn dot, int64_t k, const void *w,
                              size_t w_stride, const void *a, size_t a_stride, float *c, size_t ldc,
                              int nr, int nc) {
    const int64_t nb = k / GL_QK8_0;
    const char *wb = w;
    const char *ab = a;
    const int nr2 = nr & ~1, nc2 = nc & ~1;
    for (int i = 0; i < nr2;) {
        const int R = nr2 - i >= 4 ? 4 : 2;
        const char *wr = wb + (size_t)i * w_stride;
        for (int j = 0; j < nc2;) {
            const int C = nc2 - j >= 4 ? 4 : 2;
            const char *ar = ab + (size_t)j * a_stride;
            float *cc = c + (size_t)j * ldc + (size_t)i;
            if (R == 4 && C == 4)
                tile(type, 4, 4, nb, wr, w_stride, ar, a_stride, cc, ldc);
            else if (R == 4)
                tile(type, 4, 2, nb, wr, w_stride, ar, a_stride, cc, ldc);
            else if (C == 4)
                tile(type, 2, 4, nb, wr, w_stride, ar, a_stride, cc, ldc);
            else
                tile(type, 2, 2, nb, wr, w_stride, ar, a_stride, cc, ldc);
            j += C;
        }
        i += R;
    }
    for (int j = 0; j < nc; j++) {
        for (int i = (j < nc2 ? nr2 : 0); i < nr; i++)
            dot(k, &c[(size_t)j * ldc + (size_t)i], wb + (size_t)i * w_stride,
                ab + (size_t)j * a_stride);
    }
}

static void gemm_q8_0(int64_t k, const void *w, size_t w_stride, const void *a, size_t a_stride,
                      float *c, size_t ldc, int nr, int nc) {
    gemm_tiled(GLINT_TYPE_Q8_0, gl_arm_vec_dot_q8_0, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}

static void gemm_q4_0(int64_t k, const void *w, size_t w_stride, const void *a, size_t a_stride,
                      float *c, size_t ldc, int nr, int nc) {
    gemm_tiled(GLINT_TYPE_Q4_0, gl_arm_vec_dot_q4_0, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}

static void gemm_q5_0(int64_t k, const void *w, size_t w_stride, const void *a, size_t a_stride,
                      float *c, size_t ldc, int nr, int nc) {
    gemm_tiled(GLINT_TYPE_Q5_0, gl_arm_vec_dot_q5_0, k, w, w_stride, a, a_stride, c, ldc, nr, nc);
}

void gl_cpu_kernels_init_i8mm(gl_cpu_kernels *k) {
    gl_arm_set_gemm(k, GLINT_TYPE_Q8_0, GLINT_TYPE_Q8_0, gemm_q8_0);
    gl_arm_set_gemm(k, GLINT_TYPE_Q4_0, GLINT_TYPE_Q8_0, gemm_q4_0);
    gl_arm_set_gemm(k, GLINT_TYPE_Q5_0, GLINT_TYPE_Q8_0, gemm_q5_0);
}

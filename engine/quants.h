/* Scalar reference kernels of every tensor type, by name. engine/types.c points the traits
 * table at these; SIMD and GPU kernels are tested against them, so each one is written to be
 * read as the specification of its format (see the comments in quants.c / quants_k.c).
 *
 * Conventions shared by all of them:
 * - n is a count of values and a multiple of the type's block size; nothing is checked here.
 * - to_float:  y[0..n) = the values the blocks at x encode.
 * - from_float: blocks at y encode x[0..n). Activation types (q8_0, q8_1, q8_k) follow ggml's
 *   reference quantizers bit for bit, so do q4_0/q4_1/q5_0/q5_1 (what llama-quantize writes
 *   without an importance matrix); the k-quant weight quantizers are Glint's own searches.
 *   Note: ggml's x86 AVX2/AVX-512 q8_0/q8_1 activation quantizers (the build that made the
 *   synthetic goldens) differ from its reference in two details: id = 127 / amax, and ties
 *   round to even. On Gaussian data about 2 quants in a million differ from ours (measured).
 * - vec_dot: *s = sum over blocks of (block scale products) * (exact integer dot of the
 *   quants). Every float product and sum is one IEEE f32 operation in source order, built
 *   without FP contraction (-std=c11 turns it off), so a SIMD kernel that sums the same
 *   integers and scales agrees to f32 rounding of the order it uses. */
#ifndef GLINT_QUANTS_H
#define GLINT_QUANTS_H

#include "types.h"

/* Round to nearest, ties to even (what cvtps2dq and NEON fcvtns do in the default mode), by
 * the 1.5 * 2^23 trick: exact for |x| < 2^22, and defined (if meaningless) for nan/inf. */
static inline int gl_nearest_int(float x) {
    const float v = x + 12582912.0f;
    uint32_t u;
    memcpy(&u, &v, 4);
    return (int)(u & 0x007fffffu) - 0x00400000;
}

/* Sub-block j (0..7) of a q4_k/q5_k block: 6-bit scale and 6-bit min. Bytes 0..3 hold the
 * low 6 bits of scales 0..3, bytes 4..7 the low 6 bits of mins 0..3; for j >= 4 the low four
 * bits of scale and min are the two nibbles of byte j + 4 and their top two bits are bits 6..7
 * of bytes j - 4 (scale) and j (min). */
static inline void gl_k4_scale_min(int j, const uint8_t *scales, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (uint8_t)((scales[j + 4] & 0xf) | ((scales[j - 4] >> 6) << 4));
        *m = (uint8_t)((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

/* The inverse of gl_k4_scale_min for all eight sub-blocks (sc, m in 0..63). */
void gl_k4_pack_scales(const uint8_t sc[8], const uint8_t m[8], uint8_t scales[GL_K_SCALE_SIZE]);

/* ---- plain types ---- */
void gl_f32_to_float_ref(const void *x, float *y, int64_t n);
void gl_f32_from_float_ref(const float *x, void *y, int64_t n);
void gl_f16_to_float_ref(const void *x, float *y, int64_t n);
void gl_f16_from_float_ref(const float *x, void *y, int64_t n);
void gl_bf16_to_float_ref(const void *x, float *y, int64_t n);
void gl_bf16_from_float_ref(const float *x, void *y, int64_t n);
void gl_vec_dot_f32_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_f16_f32_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_bf16_f32_ref(int64_t n, float *s, const void *x, const void *y);

/* ---- 32-value blocks ---- */
void gl_q4_0_to_float_ref(const void *x, float *y, int64_t n);
void gl_q4_1_to_float_ref(const void *x, float *y, int64_t n);
void gl_q5_0_to_float_ref(const void *x, float *y, int64_t n);
void gl_q5_1_to_float_ref(const void *x, float *y, int64_t n);
void gl_q8_0_to_float_ref(const void *x, float *y, int64_t n);
void gl_q8_1_to_float_ref(const void *x, float *y, int64_t n);
void gl_q4_0_from_float_ref(const float *x, void *y, int64_t n);
void gl_q4_1_from_float_ref(const float *x, void *y, int64_t n);
void gl_q5_0_from_float_ref(const float *x, void *y, int64_t n);
void gl_q5_1_from_float_ref(const float *x, void *y, int64_t n);
void gl_q8_0_from_float_ref(const float *x, void *y, int64_t n);
void gl_q8_1_from_float_ref(const float *x, void *y, int64_t n);
void gl_vec_dot_q4_0_q8_0_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_q4_1_q8_1_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_q5_0_q8_0_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_q5_1_q8_1_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_q8_0_q8_0_ref(int64_t n, float *s, const void *x, const void *y);

/* ---- 256-value super-blocks ---- */
void gl_q4_k_to_float_ref(const void *x, float *y, int64_t n);
void gl_q5_k_to_float_ref(const void *x, float *y, int64_t n);
void gl_q6_k_to_float_ref(const void *x, float *y, int64_t n);
void gl_q8_k_to_float_ref(const void *x, float *y, int64_t n);
void gl_q4_k_from_float_ref(const float *x, void *y, int64_t n);
void gl_q5_k_from_float_ref(const float *x, void *y, int64_t n);
void gl_q6_k_from_float_ref(const float *x, void *y, int64_t n);
void gl_q8_k_from_float_ref(const float *x, void *y, int64_t n);
void gl_vec_dot_q4_k_q8_k_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_q5_k_q8_k_ref(int64_t n, float *s, const void *x, const void *y);
void gl_vec_dot_q6_k_q8_k_ref(int64_t n, float *s, const void *x, const void *y);

/* Unpacked quants of one super-block, the layouts' meaning in one place (used by the
 * references above and by tests): q4_k/q5_k give q[256] in 0..15 / 0..31 and the eight
 * (scale, min) pairs; q6_k gives q[256] in -32..31 (offset removed). */
void gl_q4_k_unpack(const gl_block_q4_k *b, uint8_t q[GL_QK_K], uint8_t sc[8], uint8_t m[8]);
void gl_q5_k_unpack(const gl_block_q5_k *b, uint8_t q[GL_QK_K], uint8_t sc[8], uint8_t m[8]);
void gl_q6_k_unpack(const gl_block_q6_k *b, int8_t q[GL_QK_K]);

#endif

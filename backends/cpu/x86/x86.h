/* The x86 kernels, written once and compiled twice: kernels_avx2.c (AVX2 + FMA + F16C) and
 * kernels_avx512.c (adds AVX-512 VL + VNNI) both include this file, and the few places where
 * the instruction sets differ (the u8 x s8 dot product, the gemm tile shape) switch on the
 * compiler's target macros. Everything is static to its translation unit, so each level gets
 * its own copy built for its own target. Private to backends/cpu/x86. */
#ifndef GLINT_CPU_X86_H
#define GLINT_CPU_X86_H

#include "kernels.h"
#include "quants.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define GL_X86_VNNI 1
#else
#define GL_X86_VNNI 0
#endif

#define GL_X86_INLINE static inline __attribute__((always_inline))

/* ---- small helpers ------------------------------------------------------------------------ */

/* Scalar half -> float with F16C; exact, like gl_fp16_to_f32. */
GL_X86_INLINE float gl_x86_h2f(gl_fp16 h) {
    return _cvtsh_ss(h);
}
/* Float -> half, round to nearest even: the same bits as gl_f32_to_fp16. */
GL_X86_INLINE gl_fp16 gl_x86_f2h(float f) {
    return (gl_fp16)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
}

GL_X86_INLINE float gl_x86_hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

GL_X86_INLINE float gl_x86_hmax_ps(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

GL_X86_INLINE int32_t gl_x86_hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

GL_X86_INLINE __m256 gl_x86_abs_ps(__m256 v) {
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

/* roundf() on 8 lanes: to nearest, ties away from zero. v - trunc(v) is exact, so the tie test
 * is exact too. */
GL_X86_INLINE __m256 gl_x86_round_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = gl_x86_abs_ps(_mm256_sub_ps(v, t));
    const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 one = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(v, _mm256_set1_ps(-0.0f)));
    return _mm256_add_ps(t, _mm256_and_ps(up, one));
}

/* Four vectors of 8 int32 -> 32 int8 in order, saturating. */
GL_X86_INLINE __m256i gl_x86_pack_i8(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i r = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    return _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* 32 4-bit values of a q4 block as bytes 0..15: low nibbles to bytes 0..15, high to 16..31. */
GL_X86_INLINE __m256i gl_x86_unpack_nibbles(const uint8_t *qs) {
    const __m128i b = _mm_loadu_si128((const __m128i *)qs);
    const __m256i x = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
    return _mm256_and_si256(x, _mm256_set1_epi8(0x0f));
}

/* Byte j = 0x10 where bit j of the 32-bit little-endian value at p is set, else 0. */
GL_X86_INLINE __m256i gl_x86_bits_to_0x10(const uint8_t *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    const __m256i sel = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2,
                                         2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i r = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)x), sel), bit);
    return _mm256_and_si256(_mm256_cmpeq_epi8(r, bit), _mm256_set1_epi8(0x10));
}

/* acc + sums of 4 adjacent u8 x s8 products. Without VNNI the pairs go through int16, so
 * callers keep |u * s| pairs below 32768 (true for every use here). */
GL_X86_INLINE __m256i gl_x86_dot_us(__m256i acc, __m256i u, __m256i s) {
#if GL_X86_VNNI
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
    return _mm256_add_epi32(acc, p);
#endif
}

/* Sums of 4 adjacent s8 x s8 products (x in -128..127 except that x = y = -128 is not met). */
GL_X86_INLINE __m256i gl_x86_dot_ss(__m256i x, __m256i y) {
    return gl_x86_dot_us(_mm256_setzero_si256(), _mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

/* ---- activation quantizers (bit-identical to the references in engine/quants*.c) ---------- */

/* One block of 32: quants rounded as round_q8 does, returns them as 4 x 8 int32. */
GL_X86_INLINE float gl_x86_q8_block(const float *x, __m256i q[4]) {
    __m256 v[4], m = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(x + 8 * k);
        m = _mm256_max_ps(m, gl_x86_abs_ps(v[k]));
    }
    const float d = gl_x86_hmax_ps(m) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    for (int k = 0; k < 4; k++) {
        __m256 r = gl_x86_round_away(_mm256_mul_ps(v[k], vid));
        r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
        q[k] = _mm256_cvtps_epi32(r);
    }
    return d;
}

static inline void gl_x86_quantize_q8_0(const float *x, void *vy, int64_t n) {
    gl_block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / GL_QK8_0; i++, x += GL_QK8_0) {
        __m256i q[4];
        const float d = gl_x86_q8_block(x, q);
        y[i].d = gl_x86_f2h(d);
        _mm256_storeu_si256((__m256i *)y[i].qs, gl_x86_pack_i8(q[0], q[1], q[2], q[3]));
    }
}

static inline void gl_x86_quantize_q8_1(const float *x, void *vy, int64_t n) {
    gl_block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / GL_QK8_1; i++, x += GL_QK8_1) {
        __m256i q[4];
        const float d = gl_x86_q8_block(x, q);
        const __m256i s =
            _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        y[i].d = gl_x86_f2h(d);
        y[i].s = gl_x86_f2h((float)gl_x86_hsum_epi32(s) * d);
        _mm256_storeu_si256((__m256i *)y[i].qs, gl_x86_pack_i8(q[0], q[1], q[2], q[3]));
    }
}

static inline void gl_x86_quantize_q8_k(const float *x, void *vy, int64_t n) {
    gl_block_q8_k *y = vy;
    for (int64_t i = 0; i < n / GL_QK_K; i++, x += GL_QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < 32; k++)
            m = _mm256_max_ps(m, gl_x86_abs_ps(_mm256_loadu_ps(x + 8 * k)));
        const float amax = gl_x86_hmax_ps(m);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        /* The reference takes the first value of largest magnitude, sign included. */
        float max = 0.0f;
        const __m256 va = _mm256_set1_ps(amax);
        for (int k = 0; k < 32; k++) {
            const __m256 a = gl_x86_abs_ps(_mm256_loadu_ps(x + 8 * k));
            const int mask = _mm256_movemask_ps(_mm256_cmp_ps(a, va, _CMP_EQ_OQ));
            if (mask) {
                max = x[8 * k + __builtin_ctz((unsigned)mask)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        for (int g = 0; g < 8; g++) {
            __m256i q[4];
            for (int k = 0; k < 4; k++) /* cvtps2dq rounds to nearest even, as gl_nearest_int */
                q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * g + 8 * k), vs));
            _mm256_storeu_si256((__m256i *)(y[i].qs + 32 * g),
                                gl_x86_pack_i8(q[0], q[1], q[2], q[3]));
        }
        /* bsums from the stored (saturated) quants */
        for (int g = 0; g < 8; g++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(y[i].qs + 32 * g));
            const __m256i w = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), b),
                                                _mm256_set1_epi16(1));
            /* w: lanes 0..3 = sums of 4 in the first 16 bytes, 4..7 in the second 16 */
            const __m128i lo = _mm256_castsi256_si128(w), hi = _mm256_extracti128_si256(w, 1);
            __m128i s = _mm_hadd_epi32(lo, hi); /* l0+l1, l2+l3, h0+h1, h2+h3 */
            s = _mm_hadd_epi32(s, s);           /* sum lo16, sum hi16 */
            y[i].bsums[2 * g] = (int16_t)_mm_cvtsi128_si32(s);
            y[i].bsums[2 * g + 1] = (int16_t)_mm_extract_epi32(s, 1);
        }
        y[i].d = 1.0f / iscale;
    }
}

/* ---- float dot products ------------------------------------------------------------------- */

static inline void gl_x86_vec_dot_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    float sum = gl_x86_hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += x[i] * y[i];
    *s = sum;
}

GL_X86_INLINE __m256 gl_x86_load_f16(const gl_fp16 *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
GL_X86_INLINE __m256 gl_x86_load_bf16(const gl_bf16 *p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

static inline void gl_x86_vec_dot_f16(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_fp16 *x = vx;
    const float *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(gl_x86_load_f16(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(gl_x86_load_f16(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(gl_x86_load_f16(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(gl_x86_load_f16(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(gl_x86_load_f16(x + i), _mm256_loadu_ps(y + i), a0);
    float sum = gl_x86_hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += gl_x86_h2f(x[i]) * y[i];
    *s = sum;
}

static inline void gl_x86_vec_dot_bf16(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_bf16 *x = vx;
    const float *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(gl_x86_load_bf16(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(gl_x86_load_bf16(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(gl_x86_load_bf16(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(gl_x86_load_bf16(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(gl_x86_load_bf16(x + i), _mm256_loadu_ps(y + i), a0);
    float sum = gl_x86_hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += gl_bf16_to_f32(x[i]) * y[i];
    *s = sum;
}

/* ---- 32-value block dot products ---------------------------------------------------------- */

/* Two independent accumulators hide the FMA latency; weights stream once, in order. */
#define GL_X86_BLOCK_LOOP(nb, ...)                                                                 \
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                                 \
    int64_t ib = 0;                                                                                \
    for (; ib + 1 < (nb); ib += 2) {                                                               \
        {                                                                                          \
            const int64_t b = ib;                                                                  \
            __m256 *acc = &acc0;                                                                   \
            __VA_ARGS__                                                                            \
        }                                                                                          \
        {                                                                                          \
            const int64_t b = ib + 1;                                                              \
            __m256 *acc = &acc1;                                                                   \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }                                                                                              \
    if (ib < (nb)) {                                                                               \
        const int64_t b = ib;                                                                      \
        __m256 *acc = &acc0;                                                                       \
        __VA_ARGS__                                                                                \
    }

static inline void gl_x86_vec_dot_q4_0(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    const int64_t nb = n / GL_QK4_0;
    GL_X86_BLOCK_LOOP(nb, {
        const __m256i xs = _mm256_sub_epi8(gl_x86_unpack_nibbles(x[b].qs), _mm256_set1_epi8(8));
        const __m256i p = gl_x86_dot_ss(xs, _mm256_loadu_si256((const __m256i *)y[b].qs));
        const float d = gl_x86_h2f(x[b].d) * gl_x86_h2f(y[b].d);
        *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d), *acc);
    })
    *s = gl_x86_hsum_ps(_mm256_add_ps(acc0, acc1));
}

static inline void gl_x86_vec_dot_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q8_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    const int64_t nb = n / GL_QK8_0;
    GL_X86_BLOCK_LOOP(nb, {
        const __m256i p = gl_x86_dot_ss(_mm256_loadu_si256((const __m256i *)x[b].qs),
                                        _mm256_loadu_si256((const __m256i *)y[b].qs));
        const float d = gl_x86_h2f(x[b].d) * gl_x86_h2f(y[b].d);
        *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d), *acc);
    })
    *s = gl_x86_hsum_ps(_mm256_add_ps(acc0, acc1));
}

static inline void gl_x86_vec_dot_q4_1(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_1 *x = vx;
    const gl_block_q8_1 *y = vy;
    const int64_t nb = n / GL_QK4_1;
    float msum = 0.0f;
    GL_X86_BLOCK_LOOP(nb, {
        const __m256i p = gl_x86_dot_us(_mm256_setzero_si256(), gl_x86_unpack_nibbles(x[b].qs),
                                        _mm256_loadu_si256((const __m256i *)y[b].qs));
        const float d = gl_x86_h2f(x[b].d) * gl_x86_h2f(y[b].d);
        *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d), *acc);
        msum += gl_x86_h2f(x[b].m) * gl_x86_h2f(y[b].s);
    })
    *s = gl_x86_hsum_ps(_mm256_add_ps(acc0, acc1)) + msum;
}

static inline void gl_x86_vec_dot_q5_0(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_0 *x = vx;
    const gl_block_q8_0 *y = vy;
    const int64_t nb = n / GL_QK5_0;
    GL_X86_BLOCK_LOOP(nb, {
        const __m256i q =
            _mm256_or_si256(gl_x86_unpack_nibbles(x[b].qs), gl_x86_bits_to_0x10(x[b].qh));
        const __m256i xs = _mm256_sub_epi8(q, _mm256_set1_epi8(16));
        const __m256i p = gl_x86_dot_ss(xs, _mm256_loadu_si256((const __m256i *)y[b].qs));
        const float d = gl_x86_h2f(x[b].d) * gl_x86_h2f(y[b].d);
        *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d), *acc);
    })
    *s = gl_x86_hsum_ps(_mm256_add_ps(acc0, acc1));
}

static inline void gl_x86_vec_dot_q5_1(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_1 *x = vx;
    const gl_block_q8_1 *y = vy;
    const int64_t nb = n / GL_QK5_1;
    float msum = 0.0f;
    GL_X86_BLOCK_LOOP(nb, {
        const __m256i q =
            _mm256_or_si256(gl_x86_unpack_nibbles(x[b].qs), gl_x86_bits_to_0x10(x[b].qh));
        const __m256i p =
            gl_x86_dot_us(_mm256_setzero_si256(), q, _mm256_loadu_si256((const __m256i *)y[b].qs));
        const float d = gl_x86_h2f(x[b].d) * gl_x86_h2f(y[b].d);
        *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d), *acc);
        msum += gl_x86_h2f(x[b].m) * gl_x86_h2f(y[b].s);
    })
    *s = gl_x86_hsum_ps(_mm256_add_ps(acc0, acc1)) + msum;
}

/* ---- k-quant dot products ----------------------------------------------------------------- */

/* u8 (q < 64) x s8 pair sums, each pair scaled by its 16-bit scale: sum sc * (q . y) per 4. */
GL_X86_INLINE __m256i gl_x86_dot_scaled(__m256i q, __m256i y, __m256i sc16) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), sc16);
}

/* Sum over the 8 sub-blocks of m[j] * (bsums[2j] + bsums[2j + 1]). */
GL_X86_INLINE int32_t gl_x86_k_msum(const int16_t *bsums, const uint8_t m[8]) {
    const __m256i bs = _mm256_loadu_si256((const __m256i *)bsums);
    const __m128i m8 = _mm_loadl_epi64((const __m128i *)m);
    /* each min twice: m0 m0 m1 m1 ... as int16 */
    const __m256i mm = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
    return gl_x86_hsum_epi32(_mm256_madd_epi16(bs, mm));
}

static inline void gl_x86_vec_dot_q4_k(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_k *x = vx;
    const gl_block_q8_k *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; j++) gl_k4_scale_min(j, x[i].scales, &sc[j], &m[j]);
        __m256i acc = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i qs = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * g));
            const __m256i lo = _mm256_and_si256(qs, _mm256_set1_epi8(0x0f));
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qs, 4), _mm256_set1_epi8(0x0f));
            const __m256i y0 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g));
            const __m256i y1 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g + 32));
            acc = _mm256_add_epi32(acc, gl_x86_dot_scaled(lo, y0, _mm256_set1_epi16(sc[2 * g])));
            acc =
                _mm256_add_epi32(acc, gl_x86_dot_scaled(hi, y1, _mm256_set1_epi16(sc[2 * g + 1])));
        }
        const int32_t isum = gl_x86_hsum_epi32(acc), msum = gl_x86_k_msum(y[i].bsums, m);
        sum += (gl_x86_h2f(x[i].d) * y[i].d) * (float)isum -
               (gl_x86_h2f(x[i].dmin) * y[i].d) * (float)msum;
    }
    *s = sum;
}

static inline void gl_x86_vec_dot_q5_k(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_k *x = vx;
    const gl_block_q8_k *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; j++) gl_k4_scale_min(j, x[i].scales, &sc[j], &m[j]);
        const __m256i qh = _mm256_loadu_si256((const __m256i *)x[i].qh);
        const __m256i one = _mm256_set1_epi8(1);
        __m256i acc = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i qs = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * g));
            /* fifth bit of sub-block j is bit j of qh[l] */
            const __m256i h0 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), one);
            const __m256i h1 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g + 1), one);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(qs, _mm256_set1_epi8(0x0f)),
                                               _mm256_slli_epi16(h0, 4));
            const __m256i hi =
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs, 4), _mm256_set1_epi8(0x0f)),
                                _mm256_slli_epi16(h1, 4));
            const __m256i y0 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g));
            const __m256i y1 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * g + 32));
            acc = _mm256_add_epi32(acc, gl_x86_dot_scaled(lo, y0, _mm256_set1_epi16(sc[2 * g])));
            acc =
                _mm256_add_epi32(acc, gl_x86_dot_scaled(hi, y1, _mm256_set1_epi16(sc[2 * g + 1])));
        }
        const int32_t isum = gl_x86_hsum_epi32(acc), msum = gl_x86_k_msum(y[i].bsums, m);
        sum += (gl_x86_h2f(x[i].d) * y[i].d) * (float)isum -
               (gl_x86_h2f(x[i].dmin) * y[i].d) * (float)msum;
    }
    *s = sum;
}

static inline void gl_x86_vec_dot_q6_k(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q6_k *x = vx;
    const gl_block_q8_k *y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        const int8_t *sc = x[i].scales;
        __m256i acc = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x[i].ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x[i].ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x[i].qh + 32 * h));
            const __m256i m4 = _mm256_set1_epi8(0x0f), m3 = _mm256_set1_epi8(3);
            __m256i q[4];
            q[0] = _mm256_and_si256(ql0, m4);
            q[1] = _mm256_and_si256(ql1, m4);
            q[2] = _mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4);
            q[3] = _mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4);
            for (int k = 0; k < 4; k++) {
                const __m256i hb = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), m3);
                const __m256i u = _mm256_or_si256(q[k], _mm256_slli_epi16(hb, 4)); /* 0..63 */
                const __m256i yv =
                    _mm256_loadu_si256((const __m256i *)(y[i].qs + 128 * h + 32 * k));
                const int j = 8 * h + 2 * k; /* sub-blocks of 16: j (bytes 0..15), j + 1 */
                const __m256i s16 =
                    _mm256_set_m128i(_mm_set1_epi16(sc[j + 1]), _mm_set1_epi16(sc[j]));
                acc = _mm256_add_epi32(acc, gl_x86_dot_scaled(u, yv, s16));
            }
        }
        /* the -32 offset: sum_j sc[j] * 32 * bsums[j] */
        const __m256i bs = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        const __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
        const int32_t off = gl_x86_hsum_epi32(_mm256_madd_epi16(bs, s16));
        const int32_t isum = gl_x86_hsum_epi32(acc) - 32 * off;
        sum += (gl_x86_h2f(x[i].d) * y[i].d) * (float)isum;
    }
    *s = sum;
}

/* ---- gemm micro-kernels ------------------------------------------------------------------ */
/* A tile of R weight rows x C activation columns walks k one block at a time. Per block, every
 * pair (i, j) gets an exact int32 dot (8 lanes of 4-byte partial sums), which is converted and
 * scaled by d_w[i] * d_a[j] into a float accumulator; weight and activation registers are each
 * reused C and R times. AVX-512 has 32 vector registers (4 x 4 tiles), AVX2 16 (4 x 2). With
 * C = 1 this is also the decode kernel: the activation block, its scale and its correction are
 * loaded once for R rows. */
#define GL_X86_TR 4
#if GL_X86_VNNI
#define GL_X86_TC 4
#else
#define GL_X86_TC 2
#endif

#ifndef GL_X86_PF_ROWS
#define GL_X86_PF_ROWS 4
#endif

/* Half at p broadcast to 8 floats. */
GL_X86_INLINE __m256 gl_x86_bcast_h(const void *p) {
    gl_fp16 h;
    memcpy(&h, p, 2);
    return _mm256_cvtph_ps(_mm_set1_epi16((short)h));
}

/* 32 q4 quants as bytes 0..15 (low nibbles first): the 16 bytes in both lanes, the upper lane
 * shifted right by 4 (dword shifts: the bits that cross bytes are masked off). */
GL_X86_INLINE __m256i gl_x86_unpack_nibbles2(const uint8_t *qs) {
    const __m256i x = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));
    const __m256i sh = _mm256_srlv_epi32(x, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4));
    return _mm256_and_si256(sh, _mm256_set1_epi8(0x0f));
}

/* Q4_0 keeps its quants unsigned (0..15) and starts each pair's dot at -8 * sum(y); Q8_0 goes
 * through x + 128 (starting at -128 * sum(y)) with VNNI and through the sign trick on AVX2. */
GL_X86_INLINE void gl_x86_gemm_tile(int64_t nb, bool q4, const uint8_t *w, size_t ws,
                                    const uint8_t *a, size_t as, float *c, size_t ldc, const int R,
                                    const int C) {
    __m256 acc[GL_X86_TR][GL_X86_TC];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) acc[i][j] = _mm256_setzero_ps();
    const size_t wbs = q4 ? sizeof(gl_block_q4_0) : sizeof(gl_block_q8_0);
    for (int64_t b = 0; b < nb; b++) {
        __m256i yv[GL_X86_TC], corr[GL_X86_TC];
        __m256 da[GL_X86_TC];
        for (int j = 0; j < C; j++) {
            const gl_block_q8_0 *ab = (const gl_block_q8_0 *)(a + j * as) + b;
            yv[j] = _mm256_loadu_si256((const __m256i *)ab->qs);
            da[j] = gl_x86_bcast_h(&ab->d);
            if (q4 || GL_X86_VNNI) {
                const __m256i off = _mm256_set1_epi8(q4 ? 8 : (char)0x80);
                corr[j] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                           gl_x86_dot_us(_mm256_setzero_si256(), off, yv[j]));
            } else {
                corr[j] = _mm256_setzero_si256();
            }
        }
        for (int i = 0; i < R; i++) {
            const uint8_t *wb = w + i * ws + (size_t)b * wbs;
            /* R rows read side by side defeat the hardware prefetcher: fetch the same block of
             * the next tile's row by hand (a prefetch past the end of w is harmless) */
            _mm_prefetch((const char *)wb + GL_X86_PF_ROWS * ws, _MM_HINT_T0);
            const __m256 dw = gl_x86_bcast_h(wb);
            __m256i xu, xs = _mm256_setzero_si256();
            if (q4) {
                xu = gl_x86_unpack_nibbles2(wb + 2);
            } else {
                xs = _mm256_loadu_si256((const __m256i *)(wb + 2));
                xu = GL_X86_VNNI ? _mm256_xor_si256(xs, _mm256_set1_epi8((char)0x80))
                                 : _mm256_sign_epi8(xs, xs);
            }
            for (int j = 0; j < C; j++) {
                /* without VNNI the q8_0 pair goes through int16: |x| * |y| pairs fit */
                const __m256i p = (q4 || GL_X86_VNNI)
                                      ? gl_x86_dot_us(corr[j], xu, yv[j])
                                      : gl_x86_dot_us(corr[j], xu, _mm256_sign_epi8(yv[j], xs));
                acc[i][j] =
                    _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_mul_ps(dw, da[j]), acc[i][j]);
            }
        }
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) c[j * ldc + i] = gl_x86_hsum_ps(acc[i][j]);
}

/* Tiles with constant shapes (so the compiler keeps acc in registers); the edges go through the
 * smaller shapes. */
#define GL_X86_GEMM_SHAPE(NAME, Q4, R, C)                                                          \
    static __attribute__((unused)) void NAME##_##R##x##C(int64_t nb, const uint8_t *w, size_t ws,  \
                                                         const uint8_t *a, size_t as, float *c,    \
                                                         size_t ldc) {                             \
        if ((R) <= GL_X86_TR && (C) <= GL_X86_TC)                                                  \
            gl_x86_gemm_tile(nb, Q4, w, ws, a, as, c, ldc, (R) <= GL_X86_TR ? (R) : 1,             \
                             (C) <= GL_X86_TC ? (C) : 1);                                          \
    }

#define GL_X86_GEMM_ROW(NAME, Q4, R)                                                               \
    GL_X86_GEMM_SHAPE(NAME, Q4, R, 1)                                                              \
    GL_X86_GEMM_SHAPE(NAME, Q4, R, 2)                                                              \
    GL_X86_GEMM_SHAPE(NAME, Q4, R, 3)                                                              \
    GL_X86_GEMM_SHAPE(NAME, Q4, R, 4)

#define GL_X86_GEMM(NAME, Q4)                                                                      \
    GL_X86_GEMM_ROW(NAME, Q4, 1)                                                                   \
    GL_X86_GEMM_ROW(NAME, Q4, 2)                                                                   \
    GL_X86_GEMM_ROW(NAME, Q4, 3)                                                                   \
    GL_X86_GEMM_ROW(NAME, Q4, 4)                                                                   \
    static void NAME(int64_t k, const void *vw, size_t ws, const void *va, size_t as, float *c,    \
                     size_t ldc, int nr, int nc) {                                                 \
        typedef void (*tile_fn)(int64_t, const uint8_t *, size_t, const uint8_t *, size_t,         \
                                float *, size_t);                                                  \
        static const tile_fn tiles[4][4] = {{NAME##_1x1, NAME##_1x2, NAME##_1x3, NAME##_1x4},      \
                                            {NAME##_2x1, NAME##_2x2, NAME##_2x3, NAME##_2x4},      \
                                            {NAME##_3x1, NAME##_3x2, NAME##_3x3, NAME##_3x4},      \
                                            {NAME##_4x1, NAME##_4x2, NAME##_4x3, NAME##_4x4}};     \
        const int64_t nb = k / 32;                                                                 \
        const uint8_t *w = vw, *a = va;                                                            \
        if (nc == 1 && !(Q4)) { /* q8_0 decode streams faster one row at a time */                 \
            for (int i = 0; i < nr; i++) gl_x86_vec_dot_q8_0(k, c + i, w + i * ws, a);             \
            return;                                                                                \
        }                                                                                          \
        /* rows outer: a tile's weight rows stay in L1 while the columns go by */                  \
        for (int i = 0; i < nr; i += GL_X86_TR) {                                                  \
            const int r = nr - i < GL_X86_TR ? nr - i : GL_X86_TR;                                 \
            for (int j = 0; j < nc; j += GL_X86_TC) {                                              \
                const int cc = nc - j < GL_X86_TC ? nc - j : GL_X86_TC;                            \
                tiles[r - 1][cc - 1](nb, w + i * ws, ws, a + j * as, as, c + j * ldc + i, ldc);    \
            }                                                                                      \
        }                                                                                          \
    }

GL_X86_GEMM(gl_x86_gemm_q4_0, true)
GL_X86_GEMM(gl_x86_gemm_q8_0, false)

/* ---- Q4_0 in GL_LAYOUT_Q4_0X8 ------------------------------------------------------------ */
/* One strip of 8 rows against C columns: per block the 8 rows' quants are unpacked once, and
 * each broadcast 4-byte group of an activation block is dotted with 4 quants of every row at
 * once (one int32 lane per row, no horizontal sums). The -8 * sum(y) of Q4_0 starts each
 * block's int32 sum (corr, per column and block). */
#define GL_X86_Q4X8_CHUNK 256 /* blocks per pass: corr stays a small stack array */

GL_X86_INLINE int32_t gl_x86_load_i32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

GL_X86_INLINE void gl_x86_q4x8_strip(int64_t b0, int64_t b1, const uint8_t *w, const uint8_t *a,
                                     size_t as, const int32_t *corr, float *c, size_t ldc,
                                     const int C) {
    __m256 acc[GL_X86_TC];
    for (int j = 0; j < C; j++) acc[j] = b0 ? _mm256_loadu_ps(c + j * ldc) : _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int64_t b = b0; b < b1; b++) {
        const uint8_t *wb = w + (size_t)b * 8 * sizeof(gl_block_q4_0);
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)wb));
        __m256i lo[4], hi[4];
        for (int g = 0; g < 4; g++) {
            const __m256i x = _mm256_loadu_si256((const __m256i *)(wb + 16 + 32 * g));
            lo[g] = _mm256_and_si256(x, m4);
            hi[g] = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
        }
        for (int j = 0; j < C; j++) {
            const gl_block_q8_0 *ab = (const gl_block_q8_0 *)(a + j * as) + b;
            const __m256i cb = _mm256_set1_epi32(corr[j * GL_X86_Q4X8_CHUNK + (b - b0)]);
#if GL_X86_VNNI
            __m256i p = cb;
            for (int g = 0; g < 4; g++) {
                const __m256i y0 = _mm256_set1_epi32(gl_x86_load_i32(ab->qs + 4 * g));
                const __m256i y1 = _mm256_set1_epi32(gl_x86_load_i32(ab->qs + 16 + 4 * g));
                p = _mm256_dpbusd_epi32(p, lo[g], y0);
                p = _mm256_dpbusd_epi32(p, hi[g], y1);
            }
#else
            /* pairs of 15 * 127 summed 8 times stay below 32768 in int16 */
            __m256i s16 = _mm256_setzero_si256();
            for (int g = 0; g < 4; g++) {
                const __m256i y0 = _mm256_set1_epi32(gl_x86_load_i32(ab->qs + 4 * g));
                const __m256i y1 = _mm256_set1_epi32(gl_x86_load_i32(ab->qs + 16 + 4 * g));
                s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(lo[g], y0));
                s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(hi[g], y1));
            }
            const __m256i p = _mm256_add_epi32(cb, _mm256_madd_epi16(s16, _mm256_set1_epi16(1)));
#endif
            const __m256 d = _mm256_mul_ps(dw, gl_x86_bcast_h(&ab->d));
            acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc[j]);
        }
    }
    for (int j = 0; j < C; j++) _mm256_storeu_ps(c + j * ldc, acc[j]);
}

#define GL_X86_Q4X8_SHAPE(C)                                                                       \
    static __attribute__((unused)) void gl_x86_q4x8_##C(int64_t b0, int64_t b1, const uint8_t *w,  \
                                                        const uint8_t *a, size_t as,               \
                                                        const int32_t *corr, float *c,             \
                                                        size_t ldc) {                              \
        if ((C) <= GL_X86_TC)                                                                      \
            gl_x86_q4x8_strip(b0, b1, w, a, as, corr, c, ldc, (C) <= GL_X86_TC ? (C) : 1);        \
    }
GL_X86_Q4X8_SHAPE(1)
GL_X86_Q4X8_SHAPE(2)
GL_X86_Q4X8_SHAPE(3)
GL_X86_Q4X8_SHAPE(4)

static void gl_x86_gemm_q4_0x8(int64_t k, const void *vw, size_t ws, const void *va, size_t as,
                               float *c, size_t ldc, int nr, int nc) {
    typedef void (*strip_fn)(int64_t, int64_t, const uint8_t *, const uint8_t *, size_t,
                             const int32_t *, float *, size_t);
    static const strip_fn strips[4] = {gl_x86_q4x8_1, gl_x86_q4x8_2, gl_x86_q4x8_3, gl_x86_q4x8_4};
    const int64_t nb = k / 32;
    const uint8_t *w = vw, *a = va;
    int32_t corr[GL_X86_TC * GL_X86_Q4X8_CHUNK];
    for (int j0 = 0; j0 < nc; j0 += GL_X86_TC) {
        const int cc = nc - j0 < GL_X86_TC ? nc - j0 : GL_X86_TC;
        for (int64_t b0 = 0; b0 < nb; b0 += GL_X86_Q4X8_CHUNK) {
            const int64_t b1 = nb - b0 < GL_X86_Q4X8_CHUNK ? nb : b0 + GL_X86_Q4X8_CHUNK;
            for (int j = 0; j < cc; j++) {
                const gl_block_q8_0 *ab = (const gl_block_q8_0 *)(a + (size_t)(j0 + j) * as);
                for (int64_t b = b0; b < b1; b++) {
                    const __m256i y = _mm256_loadu_si256((const __m256i *)ab[b].qs);
                    const __m256i s = gl_x86_dot_us(_mm256_setzero_si256(), _mm256_set1_epi8(8), y);
                    corr[j * GL_X86_Q4X8_CHUNK + (b - b0)] = -gl_x86_hsum_epi32(s);
                }
            }
            for (int i = 0; i < nr; i += 8)
                strips[cc - 1](b0, b1, w + (size_t)i * ws, a + (size_t)j0 * as, as, corr,
                               c + (size_t)j0 * ldc + i, ldc);
        }
    }
}

/* ---- the table ---------------------------------------------------------------------------- */

/* Fills what this file implements, where the reference agrees on the activation type. */
static inline void gl_x86_fill(gl_cpu_kernels *k) {
    const struct {
        glint_type t, vt;
        gl_vec_dot_fn fn;
        gl_gemm_fn gemm;
    } dots[] = {
        {GLINT_TYPE_F32, GLINT_TYPE_F32, gl_x86_vec_dot_f32, NULL},
        {GLINT_TYPE_F16, GLINT_TYPE_F32, gl_x86_vec_dot_f16, NULL},
        {GLINT_TYPE_BF16, GLINT_TYPE_F32, gl_x86_vec_dot_bf16, NULL},
        {GLINT_TYPE_Q4_0, GLINT_TYPE_Q8_0, gl_x86_vec_dot_q4_0, gl_x86_gemm_q4_0},
        {GLINT_TYPE_Q8_0, GLINT_TYPE_Q8_0, gl_x86_vec_dot_q8_0, gl_x86_gemm_q8_0},
        {GLINT_TYPE_Q4_1, GLINT_TYPE_Q8_1, gl_x86_vec_dot_q4_1, NULL},
        {GLINT_TYPE_Q5_0, GLINT_TYPE_Q8_0, gl_x86_vec_dot_q5_0, NULL},
        {GLINT_TYPE_Q5_1, GLINT_TYPE_Q8_1, gl_x86_vec_dot_q5_1, NULL},
        {GLINT_TYPE_Q4_K, GLINT_TYPE_Q8_K, gl_x86_vec_dot_q4_k, NULL},
        {GLINT_TYPE_Q5_K, GLINT_TYPE_Q8_K, gl_x86_vec_dot_q5_k, NULL},
        {GLINT_TYPE_Q6_K, GLINT_TYPE_Q8_K, gl_x86_vec_dot_q6_k, NULL},
    };
    for (size_t i = 0; i < sizeof dots / sizeof dots[0]; i++) {
        const gl_type_traits *tr = gl_type_get(dots[i].t);
        if (!tr || !tr->vec_dot || tr->vec_dot_type != dots[i].vt) continue;
        k->vec_dot[dots[i].t] = dots[i].fn;
        k->gemm[dots[i].t] = dots[i].gemm;
    }
    if (k->vec_dot[GLINT_TYPE_Q4_0] == gl_x86_vec_dot_q4_0) k->gemm_q4_0x8 = gl_x86_gemm_q4_0x8;
    if (gl_type_get(GLINT_TYPE_Q8_0)) k->from_float[GLINT_TYPE_Q8_0] = gl_x86_quantize_q8_0;
    if (gl_type_get(GLINT_TYPE_Q8_1)) k->from_float[GLINT_TYPE_Q8_1] = gl_x86_quantize_q8_1;
    if (gl_type_get(GLINT_TYPE_Q8_K)) k->from_float[GLINT_TYPE_Q8_K] = gl_x86_quantize_q8_k;
}

#endif

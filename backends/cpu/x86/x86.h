/* Helpers shared by the x86 kernel files (private to backends/cpu/x86). */
#ifndef GLINT_CPU_X86_H
#define GLINT_CPU_X86_H

#include "kernels.h"

#include <immintrin.h>

/* Scalar half -> float with F16C (every file here is built with it). */
static inline float gl_x86_h2f(gl_fp16 h) {
    return _cvtsh_ss(h);
}

/* Horizontal sum of 8 floats. */
static inline float gl_x86_hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 32 4-bit values of a q4 block as bytes 0..15: low nibbles to bytes 0..15, high to 16..31. */
static inline __m256i gl_x86_unpack_nibbles(const uint8_t *qs) {
    const __m128i b = _mm_loadu_si128((const __m128i *)qs);
    const __m256i x = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
    return _mm256_and_si256(x, _mm256_set1_epi8(0x0f));
}

#endif

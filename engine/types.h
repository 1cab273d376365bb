/* Tensor types: the GGUF block layouts and their scalar reference quantize / dequantize / dot.
 * The reference functions are the specification every SIMD and GPU kernel is tested against.
 * Block layouts are byte-exact with GGUF files (little-endian). */
#ifndef GLINT_TYPES_H
#define GLINT_TYPES_H

#include "common.h"

#include <string.h>

typedef uint16_t gl_fp16; /* IEEE half, raw bits */
typedef uint16_t gl_bf16; /* bfloat16, raw bits */

#define GL_QK4_0 32
#define GL_QK4_1 32
#define GL_QK5_0 32
#define GL_QK5_1 32
#define GL_QK8_0 32
#define GL_QK8_1 32
#define GL_QK_K 256
#define GL_K_SCALE_SIZE 12

/* 4.5 bits per weight: 32 weights = d * (q - 8), q in 0..15; low nibbles hold weights 0..15,
 * high nibbles weights 16..31. */
typedef struct {
    gl_fp16 d;
    uint8_t qs[GL_QK4_0 / 2];
} gl_block_q4_0;
_Static_assert(sizeof(gl_block_q4_0) == 18, "q4_0 block");

/* 5 bits per weight: d * q + m, q in 0..15. */
typedef struct {
    gl_fp16 d, m;
    uint8_t qs[GL_QK4_1 / 2];
} gl_block_q4_1;
_Static_assert(sizeof(gl_block_q4_1) == 20, "q4_1 block");

/* 5.5 bits per weight: d * (q - 16), q 5-bit; bit 4 of weight j is bit j of qh. */
typedef struct {
    gl_fp16 d;
    uint8_t qh[4];
    uint8_t qs[GL_QK5_0 / 2];
} gl_block_q5_0;
_Static_assert(sizeof(gl_block_q5_0) == 22, "q5_0 block");

/* 6 bits per weight: d * q + m, q 5-bit. */
typedef struct {
    gl_fp16 d, m;
    uint8_t qh[4];
    uint8_t qs[GL_QK5_1 / 2];
} gl_block_q5_1;
_Static_assert(sizeof(gl_block_q5_1) == 24, "q5_1 block");

/* 8.5 bits per weight: d * q. */
typedef struct {
    gl_fp16 d;
    int8_t qs[GL_QK8_0];
} gl_block_q8_0;
_Static_assert(sizeof(gl_block_q8_0) == 34, "q8_0 block");

/* 9 bits per weight; s = d * sum(q), used for activations against q4_1/q5_1. */
typedef struct {
    gl_fp16 d, s;
    int8_t qs[GL_QK8_1];
} gl_block_q8_1;
_Static_assert(sizeof(gl_block_q8_1) == 36, "q8_1 block");

/* 4.5 bits per weight: 8 sub-blocks of 32 with 6-bit scales and mins packed in `scales`. */
typedef struct {
    gl_fp16 d, dmin;
    uint8_t scales[GL_K_SCALE_SIZE];
    uint8_t qs[GL_QK_K / 2];
} gl_block_q4_k;
_Static_assert(sizeof(gl_block_q4_k) == 144, "q4_k block");

/* 5.5 bits per weight: q4_k plus a fifth bit plane in qh. */
typedef struct {
    gl_fp16 d, dmin;
    uint8_t scales[GL_K_SCALE_SIZE];
    uint8_t qh[GL_QK_K / 8];
    uint8_t qs[GL_QK_K / 2];
} gl_block_q5_k;
_Static_assert(sizeof(gl_block_q5_k) == 176, "q5_k block");

/* 6.5625 bits per weight: 16 sub-blocks of 16 with int8 scales. */
typedef struct {
    uint8_t ql[GL_QK_K / 2];
    uint8_t qh[GL_QK_K / 4];
    int8_t scales[GL_QK_K / 16];
    gl_fp16 d;
} gl_block_q6_k;
_Static_assert(sizeof(gl_block_q6_k) == 210, "q6_k block");

/* Activations against k-quants: f32 scale, bsums = sums of each 16 quants. */
typedef struct {
    float d;
    int8_t qs[GL_QK_K];
    int16_t bsums[GL_QK_K / 16];
} gl_block_q8_k;
_Static_assert(sizeof(gl_block_q8_k) == 292, "q8_k block");

/* ---- half / bfloat16 -------------------------------------------------------------------- */

static inline float gl_bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint32_t gl_f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Exact for every half value, subnormals, inf and nan included. */
static inline float gl_fp16_to_f32(gl_fp16 h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) { /* zero or subnormal: mant * 2^-24, exact in f32 */
        const float v = (float)mant * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    if (exp == 31) return gl_bits_to_f32(sign | 0x7f800000u | (mant << 13));
    return gl_bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

/* Round to nearest even, as F16C's vcvtps2ph and ARM's fcvt do. */
static inline gl_fp16 gl_f32_to_fp16(float f) {
    const uint32_t u = gl_f32_to_bits(f);
    const uint32_t sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return (gl_fp16)(sign | (a > 0x7f800000u ? 0x7e00u : 0x7c00u));
    if (a >= 0x477ff000u) return (gl_fp16)(sign | 0x7c00u); /* >= 65520 rounds to inf */
    uint32_t q, rem, half;
    if (a < 0x38800000u) { /* below 2^-14: subnormal half, in units of 2^-24 */
        const uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - e;
        if (shift > 24) return (gl_fp16)sign;
        q = m >> shift;
        rem = m & ((1u << shift) - 1);
        half = 1u << (shift - 1);
    } else {
        q = (((a >> 23) - 112) << 10) | ((a & 0x7fffffu) >> 13);
        rem = a & 0x1fffu;
        half = 0x1000u;
    }
    if (rem > half || (rem == half && (q & 1))) q++; /* a carry into the exponent is right */
    return (gl_fp16)(sign | q);
}

static inline float gl_bf16_to_f32(gl_bf16 h) {
    return gl_bits_to_f32((uint32_t)h << 16);
}
/* Round to nearest even; nan stays nan. */
static inline gl_bf16 gl_f32_to_bf16(float f) {
    uint32_t u = gl_f32_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (gl_bf16)((u >> 16) | 64);
    return (gl_bf16)((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
}

/* ---- per-type traits ---------------------------------------------------------------------- */

/* Dequantizes n values (n a multiple of the block size). */
typedef void (*gl_to_float_fn)(const void *x, float *y, int64_t n);
/* Quantizes n values (n a multiple of the block size). */
typedef void (*gl_from_float_fn)(const float *x, void *y, int64_t n);
/* *s = dot(x[0..n), y[0..n)); x is a row of the weight type, y a row of its vec_dot_type. */
typedef void (*gl_vec_dot_fn)(int64_t n, float *s, const void *x, const void *y);

typedef struct gl_type_traits {
    const char *name;        /* "q4_0" */
    int64_t block_size;      /* values per block (1 for plain types) */
    size_t type_size;        /* bytes per block */
    bool is_quantized;
    gl_to_float_fn to_float; /* NULL where not defined (integer types) */
    gl_from_float_fn from_float; /* scalar reference quantizer; NULL where not defined */
    glint_type vec_dot_type; /* the type activations are converted to for vec_dot */
    gl_vec_dot_fn vec_dot;   /* scalar reference; NULL where the type is not a weight type */
} gl_type_traits;

/* NULL for a type Glint does not know (including valid GGUF types it does not implement). */
const gl_type_traits *gl_type_get(glint_type t);
/* Bytes of a row of `ne0` values; 0 if ne0 is not a multiple of the block size. */
size_t gl_row_size(glint_type t, int64_t ne0);

#endif

/* The type traits table: sizes of every GGUF type Glint can meet, and for the float and quant
 * types the scalar reference kernels of quants.c / quants_k.c. */
#include "quants.h"

#include <stdint.h>

#define PLAIN(nm, size) .name = nm, .block_size = 1, .type_size = size, .is_quantized = false
#define QUANT(nm, qk, blk)                                                                         \
    .name = nm, .block_size = qk, .type_size = sizeof(blk), .is_quantized = true

static const gl_type_traits g_traits[GLINT_TYPE_COUNT] = {
    [GLINT_TYPE_F32] = {PLAIN("f32", 4), .to_float = gl_f32_to_float_ref,
                        .from_float = gl_f32_from_float_ref, .vec_dot_type = GLINT_TYPE_F32,
                        .vec_dot = gl_vec_dot_f32_ref},
    /* f16 and bf16 weights dot f32 activations (no rounding of activations to 16 bits) */
    [GLINT_TYPE_F16] = {PLAIN("f16", 2), .to_float = gl_f16_to_float_ref,
                        .from_float = gl_f16_from_float_ref, .vec_dot_type = GLINT_TYPE_F32,
                        .vec_dot = gl_vec_dot_f16_f32_ref},
    [GLINT_TYPE_BF16] = {PLAIN("bf16", 2), .to_float = gl_bf16_to_float_ref,
                         .from_float = gl_bf16_from_float_ref, .vec_dot_type = GLINT_TYPE_F32,
                         .vec_dot = gl_vec_dot_bf16_f32_ref},
    [GLINT_TYPE_Q4_0] = {QUANT("q4_0", GL_QK4_0, gl_block_q4_0), .to_float = gl_q4_0_to_float_ref,
                         .from_float = gl_q4_0_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_0,
                         .vec_dot = gl_vec_dot_q4_0_q8_0_ref},
    [GLINT_TYPE_Q4_1] = {QUANT("q4_1", GL_QK4_1, gl_block_q4_1), .to_float = gl_q4_1_to_float_ref,
                         .from_float = gl_q4_1_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_1,
                         .vec_dot = gl_vec_dot_q4_1_q8_1_ref},
    [GLINT_TYPE_Q5_0] = {QUANT("q5_0", GL_QK5_0, gl_block_q5_0), .to_float = gl_q5_0_to_float_ref,
                         .from_float = gl_q5_0_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_0,
                         .vec_dot = gl_vec_dot_q5_0_q8_0_ref},
    [GLINT_TYPE_Q5_1] = {QUANT("q5_1", GL_QK5_1, gl_block_q5_1), .to_float = gl_q5_1_to_float_ref,
                         .from_float = gl_q5_1_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_1,
                         .vec_dot = gl_vec_dot_q5_1_q8_1_ref},
    [GLINT_TYPE_Q8_0] = {QUANT("q8_0", GL_QK8_0, gl_block_q8_0), .to_float = gl_q8_0_to_float_ref,
                         .from_float = gl_q8_0_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_0,
                         .vec_dot = gl_vec_dot_q8_0_q8_0_ref},
    /* activation-only types: no vec_dot of their own */
    [GLINT_TYPE_Q8_1] = {QUANT("q8_1", GL_QK8_1, gl_block_q8_1), .to_float = gl_q8_1_to_float_ref,
                         .from_float = gl_q8_1_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_1},
    [GLINT_TYPE_Q4_K] = {QUANT("q4_K", GL_QK_K, gl_block_q4_k), .to_float = gl_q4_k_to_float_ref,
                         .from_float = gl_q4_k_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_K,
                         .vec_dot = gl_vec_dot_q4_k_q8_k_ref},
    [GLINT_TYPE_Q5_K] = {QUANT("q5_K", GL_QK_K, gl_block_q5_k), .to_float = gl_q5_k_to_float_ref,
                         .from_float = gl_q5_k_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_K,
                         .vec_dot = gl_vec_dot_q5_k_q8_k_ref},
    [GLINT_TYPE_Q6_K] = {QUANT("q6_K", GL_QK_K, gl_block_q6_k), .to_float = gl_q6_k_to_float_ref,
                         .from_float = gl_q6_k_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_K,
                         .vec_dot = gl_vec_dot_q6_k_q8_k_ref},
    [GLINT_TYPE_Q8_K] = {QUANT("q8_K", GL_QK_K, gl_block_q8_k), .to_float = gl_q8_k_to_float_ref,
                         .from_float = gl_q8_k_from_float_ref, .vec_dot_type = GLINT_TYPE_Q8_K},
    /* size only, so a GGUF reader can size and skip any tensor */
    [GLINT_TYPE_I8] = {PLAIN("i8", 1), .vec_dot_type = GLINT_TYPE_I8},
    [GLINT_TYPE_I16] = {PLAIN("i16", 2), .vec_dot_type = GLINT_TYPE_I16},
    [GLINT_TYPE_I32] = {PLAIN("i32", 4), .vec_dot_type = GLINT_TYPE_I32},
    [GLINT_TYPE_I64] = {PLAIN("i64", 8), .vec_dot_type = GLINT_TYPE_I64},
    [GLINT_TYPE_F64] = {PLAIN("f64", 8), .vec_dot_type = GLINT_TYPE_F64},
};

const gl_type_traits *gl_type_get(glint_type t) {
    if ((unsigned)t >= GLINT_TYPE_COUNT || !g_traits[t].name) return NULL;
    return &g_traits[t];
}

size_t gl_row_size(glint_type t, int64_t ne0) {
    const gl_type_traits *tr = gl_type_get(t);
    if (!tr || ne0 < 0 || ne0 % tr->block_size) return 0;
    const uint64_t blocks = (uint64_t)(ne0 / tr->block_size);
    if (blocks > SIZE_MAX / tr->type_size) return 0; /* unrepresentable: treat as invalid */
    return (size_t)blocks * tr->type_size;
}

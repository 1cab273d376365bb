/* Synthetic models: random-weight llama-architecture GGUF files of a few built-in shapes, for
 * tests and `glint bench` without a downloaded model. Nothing here is API. */
#ifndef GLINT_SYNTH_H
#define GLINT_SYNTH_H

#include "common.h"

typedef struct gl_synth_shape {
    const char *name;
    int32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
} gl_synth_shape;

/* Built-in shapes: "tiny" (n_embd 256, 4 layers, 4 heads, 2 kv heads, ffn 768, vocab 512,
 * ctx 512), "110m" (768, 12 layers, 12 heads, 12 kv, ffn 2048, vocab 32000, ctx 1024),
 * "1b" (2048, 22 layers, 32 heads, 4 kv, ffn 5632, vocab 32000, ctx 2048). NULL if unknown.
 * The result is static. */
const gl_synth_shape *gl_synth_shape_find(const char *name);

/* Writes a llama-architecture GGUF (v3) to `path`: every matrix (token_embd and the untied
 * output included) in `type`, norms f32. Matrices are drawn from N(0, 0.02) and norms from
 * 1 + N(0, 0.05) by a PRNG seeded from `seed`; each row has its own stream, so the file is a
 * function of (shape, type, seed) only. Tensors are produced row block by row block while the
 * file is written, so a large model never sits in memory. The vocab is a SentencePiece
 * ("llama") vocab: <unk> 0, <s> 1, </s> 2, the byte tokens <0x00>..<0xFF> at 3..258, then
 * printable-ASCII pieces ("▁the", "▁a", letters, syllables, ...) with descending scores.
 *
 * `type` must be f32, f16, bf16 or a quantized weight type whose reference quantizer exists;
 * n_embd and n_ff must be multiples of its block size (GLINT_ERROR_UNSUPPORTED otherwise).
 * GLINT_ERROR_INVALID_ARGUMENT for an inconsistent shape, GLINT_ERROR_IO if writing fails. */
glint_status gl_synth_write(const gl_synth_shape *shape, glint_type type, uint64_t seed,
                            const char *path, gl_err *err);

/* As gl_synth_write with an explicit number of quantizing threads (0 = one per online CPU, at
 * most 16). The file does not depend on it. */
glint_status gl_synth_write_threads(const gl_synth_shape *shape, glint_type type, uint64_t seed,
                                    int n_threads, const char *path, gl_err *err);

/* Bytes [offset, offset + size) of tensor `name` ("blk.3.ffn_up.weight") exactly as
 * gl_synth_write would store it, without writing a file. GLINT_ERROR_NOT_FOUND for a name the
 * model does not have. */
glint_status gl_synth_tensor_bytes(const gl_synth_shape *shape, glint_type type, uint64_t seed,
                                   const char *name, uint64_t offset, uint64_t size, void *dst,
                                   gl_err *err);

/* The llama.cpp `general.file_type` of a model whose matrices are all `type` (the _S variant
 * for k-quants, 32 for bf16); -1 where there is none. */
int32_t gl_synth_file_type(glint_type type);

#endif

/* Weights rearranged at upload: Q4_0 and Q8_0 matrices into GL_LAYOUT_SOA (engine/graph.h),
 * the quants of every block as whole 16-byte words, then the scales. GGUF's 18- and 34-byte
 * blocks put a block's quants at 2 bytes past a word, which GPUs load byte by byte; apart,
 * they are aligned vector loads or, with the image tier, one texel each. Everything else is
 * uploaded as it is. GLINT_NO_REPACK=1 keeps every weight in GGUF layout. */
#include "cl_device.h"

#include <stdlib.h>
#include <string.h>

/* Quant bytes per block in GL_LAYOUT_SOA; 0 = not rearranged. */
static size_t soa_quant_bytes(glint_type t) {
    return t == GLINT_TYPE_Q4_0 ? 16 : t == GLINT_TYPE_Q8_0 ? 32 : 0;
}

static bool wants_soa(const gl_tensor *t) {
    const size_t qb = soa_quant_bytes(t->type);
    return qb && t->ne[0] > 0 && t->ne[0] % 32 == 0 && t->ne[1] > 0 && t->ne[2] == 1 &&
           t->ne[3] == 1 && t->nb[1] == gl_row_size(t->type, t->ne[0]) &&
           !getenv("GLINT_NO_REPACK");
}

/* GGUF blocks (qb quant bytes after a 2-byte scale) -> quants of every block, then scales. */
static void to_soa(uint8_t *dst, const uint8_t *src, size_t n_blocks, size_t qb) {
    uint8_t *scales = dst + n_blocks * qb;
    for (size_t i = 0; i < n_blocks; i++) {
        const uint8_t *b = src + i * (qb + 2);
        memcpy(scales + 2 * i, b, 2);
        memcpy(dst + i * qb, b + 2, qb);
    }
}

glint_status gl_cl_weight_prepare(gl_backend *b, gl_tensor *t, const void *src) {
    if (!wants_soa(t)) return GLINT_ERROR_UNSUPPORTED;
    if (!src) return GLINT_OK;
    gl_cl_device *d = gl_cl_backend_device(b);
    if (!d || !t->buffer || !t->buffer->impl) return GLINT_ERROR_INVALID_ARGUMENT;
    const gl_cl_buffer *cb = t->buffer->impl;
    const size_t size = gl_tensor_nbytes(t), qb = soa_quant_bytes(t->type);
    if (t->offset > cb->size || size > cb->size - t->offset) return GLINT_ERROR_INVALID_ARGUMENT;
    const size_t n_blocks = size / (qb + 2);
    if (t->offset % 16) {
        /* the kernels read repacked quants as whole words: this one stays in GGUF layout */
        glint_status st = gl_cl_write(d, cb, t->offset, src, size);
        if (!st) t->layout = GL_LAYOUT_GGUF;
        return st;
    }
    if (cb->map) {
        /* queued kernels may still read what was there */
        glint_status st = gl_cl_finish(d);
        if (st) return st;
        to_soa((uint8_t *)cb->map + t->offset, src, n_blocks, qb);
    } else {
        uint8_t *tmp = malloc(size);
        if (!tmp) return GLINT_ERROR_OUT_OF_MEMORY;
        to_soa(tmp, src, n_blocks, qb);
        glint_status st = gl_cl_write(d, cb, t->offset, tmp, size);
        free(tmp);
        if (st) return st;
    }
    t->layout = GL_LAYOUT_SOA;
    return GLINT_OK;
}

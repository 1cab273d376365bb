/* Pre-tokenizers of byte-level BPE vocabs: the regex lists that llama.cpp (and the Hugging Face
 * tokenizers behind each model) apply before BPE, written as hand-coded matchers over Unicode
 * classes. Each list is applied in order: every pattern splits each piece left by the previous
 * one into its matches and the text between them (which is kept as pieces too). */
#ifndef GLINT_TOKENIZER_PRETOK_H
#define GLINT_TOKENIZER_PRETOK_H

#include "common.h"

#define GL_PRETOK_MAX_PATTERNS 6

typedef struct gl_pretok {
    const char *name; /* canonical name of the scheme ("gpt2", "llama3", ...) */
    uint8_t n_patterns;
    uint8_t patterns[GL_PRETOK_MAX_PATTERNS];
    bool ignore_merges; /* a whole piece that is a token is taken as is (llama3, tekken) */
    bool add_bos;       /* BOS is added by default (llama.cpp's choice for these schemes) */
} gl_pretok;

/* The scheme for a tokenizer.ggml.pre value (empty = "default"). False if unknown. */
bool gl_pretok_lookup(const char *pre, size_t len, gl_pretok *out);

/* Splits n code points (cps, with flags[i] = gl_ucd_flags(cps[i])) into pieces. `ends` must
 * hold n entries and `tmp` n entries of scratch; on return ends[0..*n_pieces) are the exclusive
 * end offsets of the pieces, in order. */
void gl_pretok_split(const gl_pretok *p, const uint32_t *cps, const uint16_t *flags, size_t n,
                     size_t *ends, size_t *tmp, size_t *n_pieces);

#endif

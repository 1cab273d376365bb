/* Internals shared by vocab.c, spm.c and bpe.c. */
#ifndef GLINT_TOKENIZER_VOCAB_IMPL_H
#define GLINT_TOKENIZER_VOCAB_IMPL_H

#include "pretok.h"
#include "vocab.h"

typedef enum gl_vocab_kind { GL_VOCAB_SPM, GL_VOCAB_BPE } gl_vocab_kind;

typedef struct gl_tok {
    uint32_t off, len; /* text in gl_vocab.text */
    float score;
    uint8_t type;  /* gl_token_type */
    uint8_t strip; /* GL_STRIP_*: whitespace a special token swallows on its sides */
} gl_tok;

enum { GL_STRIP_LEFT = 1, GL_STRIP_RIGHT = 2 };

typedef struct gl_merge {
    uint32_t off; /* left then right, concatenated, in gl_vocab.merge_text */
    uint32_t n_left, n_right;
} gl_merge;

struct gl_vocab {
    gl_vocab_kind kind;
    gl_pretok pre;
    int32_t n_tokens;
    gl_tok *toks;
    char *text;
    int32_t *tok_slots; /* open addressing: token ids by text hash, -1 empty */
    uint64_t tok_mask;

    int32_t n_merges;
    gl_merge *merges;
    char *merge_text;
    int32_t *merge_slots; /* merge ranks by (left, right) hash, -1 empty */
    uint64_t merge_mask;

    int32_t bos, eos, unk, eot, eom, pad;
    bool add_bos, add_eos, add_space_prefix;
    uint8_t *eog; /* per token: 1 = end of generation */

    int32_t *specials; /* control / user-defined / unknown tokens, longest text first */
    int32_t n_specials;
    uint32_t *special_lens; /* distinct lengths of special texts, ascending */
    int32_t n_special_lens;
    int32_t *special_slots; /* open addressing: indices into specials by text hash, -1 empty */
    uint64_t special_mask;
    uint8_t special_first[32]; /* bit set of the first bytes of special texts */

    int32_t byte_tok[256]; /* SPM: <0xNN> token; BPE: token of the byte's code point */
    char byte_enc[256][2]; /* BPE: UTF-8 of GPT-2's code point for each byte */
    uint8_t byte_enc_len[256];
};

/* Growable id list. */
typedef struct gl_ivec {
    int32_t *v;
    size_t n, cap;
} gl_ivec;
glint_status gl_ivec_push(gl_ivec *a, int32_t x);

/* Min-heap of candidate merges ordered by (key, left): the lowest key wins, ties go to the
 * leftmost pair (SPM uses key = -score, BPE key = rank). */
typedef struct gl_bigram {
    double key;
    int32_t left, right;
    uint32_t size;   /* SPM: bytes of left + right when queued */
    uint32_t n_left; /* BPE: bytes of left when queued (right is size - n_left) */
} gl_bigram;
typedef struct gl_heap {
    gl_bigram *v;
    size_t n, cap;
} gl_heap;
glint_status gl_heap_push(gl_heap *h, gl_bigram b);
gl_bigram gl_heap_pop(gl_heap *h);

/* Linked symbols over a byte string, as merged. */
typedef struct gl_sym {
    uint32_t off, n; /* bytes; n == 0 once merged away */
    int32_t prev, next;
} gl_sym;

uint64_t gl_hash_bytes(const char *s, size_t n);
int32_t gl_vocab_find_merge(const gl_vocab *v, const char *s, size_t n_left, size_t n_right);

/* Length of the UTF-8 sequence a lead byte announces, by its high nibble (continuation and
 * invalid bytes count as 1, F8..FF as 4), clipped by the caller to what is left. */
static inline size_t gl_utf8_seq_len(unsigned char b) {
    static const uint8_t by_nibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return by_nibble[b >> 4];
}

/* Tokenizes one piece of raw text (no special tokens in it) and appends the ids.
 * SPM: `space_prefix` prepends a space first. */
glint_status gl_spm_tokenize(const gl_vocab *v, const char *text, size_t len, bool space_prefix,
                             gl_ivec *out);
glint_status gl_bpe_tokenize(const gl_vocab *v, const char *text, size_t len, gl_ivec *out);

#endif

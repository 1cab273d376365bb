/* Byte-level BPE ("gpt2" vocabs): the pre-tokenizer splits the text into pieces, each piece's
 * bytes are written as GPT-2's printable code points, and within a piece the adjacent pair with
 * the lowest merge rank is merged (ties: leftmost) until no pair has a rank. */
#include "vocab_impl.h"

#include "unicode.h"

#include <stdlib.h>
#include <string.h>

typedef struct bpe_state {
    const gl_vocab *v;
    const char *w; /* the encoded piece */
    gl_sym *sym;
    gl_heap heap;
} bpe_state;

static glint_status add_pair(bpe_state *s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return GLINT_OK;
    const gl_sym *l = &s->sym[left], *r = &s->sym[right];
    int32_t rank = gl_vocab_find_merge(s->v, s->w + l->off, l->n, r->n);
    if (rank < 0) return GLINT_OK;
    gl_bigram b = {.key = rank, .left = left, .right = right, .size = l->n + r->n, .n_left = l->n};
    return gl_heap_push(&s->heap, b);
}

static glint_status bpe_piece(bpe_state *s, size_t wlen, gl_ivec *out) {
    const gl_vocab *v = s->v;
    gl_sym *sym = s->sym;
    if (v->pre.ignore_merges) {
        int32_t id = gl_vocab_find(v, s->w, wlen);
        if (id >= 0) return gl_ivec_push(out, id);
    }
    int32_t n = 0;
    for (size_t off = 0; off < wlen;) {
        size_t cl = GL_MIN(gl_utf8_seq_len((unsigned char)s->w[off]), wlen - off);
        sym[n] = (gl_sym){(uint32_t)off, (uint32_t)cl, n - 1, off + cl == wlen ? -1 : n + 1};
        off += cl;
        n++;
    }
    glint_status st = GLINT_OK;
    s->heap.n = 0;
    for (int32_t i = 1; i < n && st == GLINT_OK; i++) st = add_pair(s, i - 1, i);
    while (s->heap.n > 0 && st == GLINT_OK) {
        gl_bigram b = gl_heap_pop(&s->heap);
        gl_sym *l = &sym[b.left], *r = &sym[b.right];
        if (l->n != b.n_left || r->n != b.size - b.n_left || r->n == 0) continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = b.left;
        st = add_pair(s, l->prev, b.left);
        if (st == GLINT_OK) st = add_pair(s, b.left, l->next);
    }
    for (int32_t i = 0; i != -1 && n > 0 && st == GLINT_OK; i = sym[i].next) {
        int32_t id = gl_vocab_find(v, s->w + sym[i].off, sym[i].n);
        if (id >= 0) {
            st = gl_ivec_push(out, id);
            continue;
        }
        /* not a token: one token per byte character where the vocab has it */
        for (uint32_t j = 0; j < sym[i].n && st == GLINT_OK;) {
            size_t cl = GL_MIN(gl_utf8_seq_len((unsigned char)s->w[sym[i].off + j]), sym[i].n - j);
            int32_t bt = gl_vocab_find(v, s->w + sym[i].off + j, cl);
            if (bt >= 0) st = gl_ivec_push(out, bt);
            j += (uint32_t)cl;
        }
    }
    return st;
}

glint_status gl_bpe_tokenize(const gl_vocab *v, const char *text, size_t len, gl_ivec *out) {
    if (len == 0) return GLINT_OK;
    if (len > UINT32_MAX / 4) return GLINT_ERROR_INVALID_ARGUMENT;
    uint32_t *cps = malloc(len * sizeof(uint32_t));
    uint16_t *flags = malloc(len * sizeof(uint16_t));
    size_t *boff = malloc((len + 1) * sizeof(size_t));
    size_t *ends = malloc(len * sizeof(size_t));
    size_t *tmp = malloc(len * sizeof(size_t));
    char *w = malloc(2 * len);
    gl_sym *sym = malloc(len * sizeof(gl_sym));
    bpe_state s = {.v = v, .w = w, .sym = sym};
    glint_status st = GLINT_ERROR_OUT_OF_MEMORY;
    if (!cps || !flags || !boff || !ends || !tmp || !w || !sym) goto done;

    /* Invalid UTF-8 bytes classify as U+FFFD but keep their own byte. */
    size_t n = 0;
    for (size_t off = 0; off < len; n++) {
        boff[n] = off;
        off += gl_utf8_decode((const unsigned char *)text + off, len - off, &cps[n]);
        flags[n] = (uint16_t)gl_ucd_flags(cps[n]);
    }
    boff[n] = len;

    size_t n_pieces = 0;
    gl_pretok_split(&v->pre, cps, flags, n, ends, tmp, &n_pieces);

    st = GLINT_OK;
    size_t start = 0;
    for (size_t p = 0; p < n_pieces && st == GLINT_OK; p++) {
        size_t wl = 0;
        for (size_t b = boff[start]; b < boff[ends[p]]; b++) {
            unsigned char c = (unsigned char)text[b];
            memcpy(w + wl, v->byte_enc[c], v->byte_enc_len[c]);
            wl += v->byte_enc_len[c];
        }
        st = bpe_piece(&s, wl, out);
        start = ends[p];
    }

done:
    free(s.heap.v);
    free(cps);
    free(flags);
    free(boff);
    free(ends);
    free(tmp);
    free(w);
    free(sym);
    return st;
}

/* SentencePiece-style tokenization ("llama" vocabs), the behaviour of llama.cpp's SPM tokenizer:
 * spaces become U+2581, the text starts as one symbol per UTF-8 character, and the adjacent pair
 * whose concatenation is the token with the highest score is merged (ties: leftmost) until no
 * pair is a token. Symbols that are not tokens fall back to <0xNN> byte tokens. */
#include "vocab_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct spm_state {
    const gl_vocab *v;
    const char *buf;
    gl_sym *sym;
    gl_heap heap;
} spm_state;

static glint_status try_add(spm_state *s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return GLINT_OK;
    const gl_sym *l = &s->sym[left], *r = &s->sym[right];
    uint32_t size = l->n + r->n;
    int32_t id = gl_vocab_find(s->v, s->buf + l->off, size);
    if (id < 0) return GLINT_OK;
    gl_bigram b = {
        .key = -(double)s->v->toks[id].score, .left = left, .right = right, .size = size};
    return gl_heap_push(&s->heap, b);
}

glint_status gl_spm_tokenize(const gl_vocab *v, const char *text, size_t len, bool space_prefix,
                             gl_ivec *out) {
    static const char ws[3] = {'\xe2', '\x96', '\x81'}; /* U+2581 */
    size_t n_spaces = 0;
    for (size_t i = 0; i < len; i++) n_spaces += text[i] == ' ';
    size_t blen = len + 2 * n_spaces + (space_prefix ? 3 : 0);
    if (blen == 0) return GLINT_OK;
    if (blen > UINT32_MAX / 2) return GLINT_ERROR_INVALID_ARGUMENT;
    char *buf = malloc(blen);
    gl_sym *sym = malloc(blen * sizeof(gl_sym));
    spm_state s = {.v = v, .buf = buf, .sym = sym};
    glint_status st = GLINT_ERROR_OUT_OF_MEMORY;
    if (!buf || !sym) goto done;

    size_t o = 0;
    if (space_prefix) {
        memcpy(buf, ws, 3);
        o = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(buf + o, ws, 3);
            o += 3;
        } else {
            buf[o++] = text[i];
        }
    }

    int32_t n = 0;
    for (size_t off = 0; off < blen;) {
        size_t cl = GL_MIN(gl_utf8_seq_len((unsigned char)buf[off]), blen - off);
        sym[n] = (gl_sym){(uint32_t)off, (uint32_t)cl, n - 1, off + cl == blen ? -1 : n + 1};
        off += cl;
        n++;
    }
    st = GLINT_OK;
    for (int32_t i = 1; i < n && st == GLINT_OK; i++) st = try_add(&s, i - 1, i);

    while (s.heap.n > 0 && st == GLINT_OK) {
        gl_bigram b = gl_heap_pop(&s.heap);
        gl_sym *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = b.left;
        st = try_add(&s, l->prev, b.left);
        if (st == GLINT_OK) st = try_add(&s, b.left, l->next);
    }

    for (int32_t i = 0; i != -1 && n > 0 && st == GLINT_OK; i = sym[i].next) {
        int32_t id = gl_vocab_find(v, buf + sym[i].off, sym[i].n);
        if (id >= 0) {
            st = gl_ivec_push(out, id);
            continue;
        }
        for (uint32_t j = 0; j < sym[i].n && st == GLINT_OK; j++) {
            int32_t bt = v->byte_tok[(unsigned char)buf[sym[i].off + j]];
            if (bt < 0) bt = v->unk;
            if (bt >= 0) st = gl_ivec_push(out, bt);
        }
    }

done:
    free(s.heap.v);
    free(sym);
    free(buf);
    return st;
}

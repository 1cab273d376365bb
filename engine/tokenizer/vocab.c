/* Vocab loading, lookups, special-token splitting and detokenization. The merge algorithms are
 * in spm.c and bpe.c, the pre-tokenizers in pretok.c. */
#include "vocab_impl.h"

#include "unicode.h"

#include <stdlib.h>
#include <string.h>

/* ---- small containers ------------------------------------------------------------------- */

glint_status gl_ivec_push(gl_ivec *a, int32_t x) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        int32_t *nv = realloc(a->v, nc * sizeof(*nv));
        if (!nv) return GLINT_ERROR_OUT_OF_MEMORY;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
    return GLINT_OK;
}

static bool bigram_less(const gl_bigram *a, const gl_bigram *b) {
    return a->key < b->key || (a->key == b->key && a->left < b->left);
}

glint_status gl_heap_push(gl_heap *h, gl_bigram b) {
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 64;
        gl_bigram *nv = realloc(h->v, nc * sizeof(*nv));
        if (!nv) return GLINT_ERROR_OUT_OF_MEMORY;
        h->v = nv;
        h->cap = nc;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!bigram_less(&b, &h->v[p])) break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = b;
    return GLINT_OK;
}

gl_bigram gl_heap_pop(gl_heap *h) {
    gl_bigram top = h->v[0];
    gl_bigram last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const gl_bigram *best = &last;
        if (l < h->n && bigram_less(&h->v[l], best)) {
            m = l;
            best = &h->v[l];
        }
        if (r < h->n && bigram_less(&h->v[r], best)) m = r;
        if (m == i) break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n > 0) h->v[i] = last;
    return top;
}

/* FNV-1a with a final shift-xor, so the low bits used for the table index depend on every
 * byte. The loop state can be checked at several lengths on the way (see partition). */
#define HASH_INIT       0xcbf29ce484222325ull
#define HASH_STEP(h, c) (((h) ^ (unsigned char)(c)) * 0x100000001b3ull)
#define HASH_FINAL(h)   ((h) ^ ((h) >> 29))

uint64_t gl_hash_bytes(const char *s, size_t n) {
    uint64_t h = HASH_INIT;
    for (size_t i = 0; i < n; i++) h = HASH_STEP(h, s[i]);
    return HASH_FINAL(h);
}

static uint64_t merge_hash(const char *s, size_t n_left, size_t n_right) {
    return gl_hash_bytes(s, n_left + n_right) ^ ((uint64_t)n_left * 0x9E3779B97F4A7C15ull);
}

static uint64_t table_size(uint64_t n) {
    uint64_t c = 16;
    while (c < 2 * n) c *= 2;
    return c;
}

int32_t gl_vocab_find(const gl_vocab *v, const char *text, size_t len) {
    uint64_t i = gl_hash_bytes(text, len) & v->tok_mask;
    for (;;) {
        int32_t id = v->tok_slots[i];
        if (id < 0) return -1;
        const gl_tok *t = &v->toks[id];
        if (t->len == len && memcmp(v->text + t->off, text, len) == 0) return id;
        i = (i + 1) & v->tok_mask;
    }
}

int32_t gl_vocab_find_merge(const gl_vocab *v, const char *s, size_t n_left, size_t n_right) {
    if (!v->merge_slots) return -1;
    uint64_t i = merge_hash(s, n_left, n_right) & v->merge_mask;
    for (;;) {
        int32_t r = v->merge_slots[i];
        if (r < 0) return -1;
        const gl_merge *m = &v->merges[r];
        if (m->n_left == n_left && m->n_right == n_right &&
            memcmp(v->merge_text + m->off, s, n_left + n_right) == 0)
            return r;
        i = (i + 1) & v->merge_mask;
    }
}

/* ---- creation --------------------------------------------------------------------------- */

gl_vocab_desc gl_vocab_desc_default(void) {
    gl_vocab_desc d;
    memset(&d, 0, sizeof(d));
    d.bos = d.eos = d.unk = d.eot = d.eom = d.pad = -1;
    d.add_bos = d.add_eos = d.add_space_prefix = -1;
    return d;
}

void gl_vocab_free(gl_vocab *v) {
    if (!v) return;
    free(v->toks);
    free(v->text);
    free(v->tok_slots);
    free(v->merges);
    free(v->merge_text);
    free(v->merge_slots);
    free(v->eog);
    free(v->specials);
    free(v->special_lens);
    free(v->special_slots);
    free(v);
}

/* Token texts that end generation, as llama.cpp recognises them by name. */
static const char *const eog_names[] = {
    "<|eot_id|>",    "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",        "<end_of_turn>",
    "<|endoftext|>", "<|eom_id|>", "<EOT>",   "_<EOT>",     "<|end_of_text|>", "<end_of_utterance>",
};
/* Names that make a token the EOT token when the metadata names none. */
static const char *const eot_names[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
    "_<EOT>",
    "<\xef\xbd\x9c"
    "end\xe2\x96\x81"
    "of\xe2\x96\x81"
    "sentence\xef\xbd\x9c>",
    "<end_of_utterance>",
};

static char ascii_lower_c(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static int32_t check_id(int64_t id, int32_t n_tokens, const char *what, int32_t dflt) {
    if (id < 0 || id == UINT32_MAX) return dflt < n_tokens ? dflt : -1; /* UINT32_MAX: "none" */
    if (id >= n_tokens) {
        GL_LOGW("tokenizer: %s id %lld is outside the vocab (%d tokens); ignored", what,
                (long long)id, n_tokens);
        return dflt < n_tokens ? dflt : -1;
    }
    return (int32_t)id;
}

static bool contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && ascii_lower_c(h[i]) == needle[i]) i++;
        if (i == n) return true;
    }
    return false;
}

/* Order of special tokens: longest text first, then by id. */
static int cmp_special(const int32_t *a, const int32_t *b, const gl_vocab *v) {
    int32_t x = *a, y = *b;
    if (v->toks[x].len != v->toks[y].len) return v->toks[x].len > v->toks[y].len ? -1 : 1;
    return x < y ? -1 : x > y;
}

static glint_status build_specials(gl_vocab *v) {
    int32_t n = 0;
    for (int32_t i = 0; i < v->n_tokens; i++) {
        uint8_t t = v->toks[i].type;
        if (v->toks[i].len > 0 && (t == GL_TOKEN_TYPE_CONTROL || t == GL_TOKEN_TYPE_USER_DEFINED ||
                                   t == GL_TOKEN_TYPE_UNKNOWN))
            n++;
    }
    v->n_specials = n;
    if (n == 0) return GLINT_OK;
    v->specials = malloc((size_t)n * sizeof(int32_t));
    v->special_lens = malloc((size_t)n * sizeof(uint32_t));
    if (!v->specials || !v->special_lens) return GLINT_ERROR_OUT_OF_MEMORY;
    n = 0;
    for (int32_t i = 0; i < v->n_tokens; i++) {
        uint8_t t = v->toks[i].type;
        if (v->toks[i].len > 0 && (t == GL_TOKEN_TYPE_CONTROL || t == GL_TOKEN_TYPE_USER_DEFINED ||
                                   t == GL_TOKEN_TYPE_UNKNOWN))
            v->specials[n++] = i;
    }
    /* bottom-up merge sort (C11 qsort takes no context for the comparison) */
    int32_t *tmp = malloc((size_t)n * sizeof(int32_t));
    if (!tmp) return GLINT_ERROR_OUT_OF_MEMORY;
    for (int32_t w = 1; w < n; w *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * w) {
            int32_t mid = GL_MIN(lo + w, n), hi = GL_MIN(lo + 2 * w, n);
            int32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_special(&v->specials[j], &v->specials[i], v) < 0 ? v->specials[j++]
                                                                                : v->specials[i++];
            while (i < mid) tmp[k++] = v->specials[i++];
            while (j < hi) tmp[k++] = v->specials[j++];
        }
        memcpy(v->specials, tmp, (size_t)n * sizeof(int32_t));
    }
    free(tmp);
    /* specials are sorted by length descending: collect the distinct lengths ascending */
    int32_t nl = 0;
    for (int32_t i = n - 1; i >= 0; i--) {
        uint32_t len = v->toks[v->specials[i]].len;
        if (nl == 0 || v->special_lens[nl - 1] != len) v->special_lens[nl++] = len;
    }
    v->n_special_lens = nl;
    uint64_t cap = table_size((uint64_t)n);
    v->special_slots = malloc((size_t)cap * sizeof(int32_t));
    if (!v->special_slots) return GLINT_ERROR_OUT_OF_MEMORY;
    memset(v->special_slots, 0xff, (size_t)cap * sizeof(int32_t));
    v->special_mask = cap - 1;
    for (int32_t i = 0; i < n; i++) {
        const gl_tok *t = &v->toks[v->specials[i]];
        uint64_t h = gl_hash_bytes(v->text + t->off, t->len) & v->special_mask;
        while (v->special_slots[h] >= 0) h = (h + 1) & v->special_mask;
        v->special_slots[h] = i;
        unsigned char c = (unsigned char)v->text[t->off];
        v->special_first[c >> 3] |= (uint8_t)(1u << (c & 7));
    }
    return GLINT_OK;
}

static glint_status build_merges(gl_vocab *v, const gl_vocab_desc *d, gl_err *err) {
    if (d->n_merges <= 0) return GLINT_OK;
    if (d->n_merges > INT32_MAX / 4)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer: %lld merges is too many",
                       (long long)d->n_merges);
    uint64_t total = 0;
    for (int64_t i = 0; i < d->n_merges; i++) total += d->merges[i].len;
    if (total > UINT32_MAX)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer: merges text is too large");
    v->merges = malloc((size_t)d->n_merges * sizeof(gl_merge));
    v->merge_text = malloc(total ? (size_t)total : 1);
    uint64_t cap = table_size((uint64_t)d->n_merges);
    v->merge_slots = malloc((size_t)cap * sizeof(int32_t));
    if (!v->merges || !v->merge_text || !v->merge_slots) return GLINT_ERROR_OUT_OF_MEMORY;
    memset(v->merge_slots, 0xff, (size_t)cap * sizeof(int32_t));
    v->merge_mask = cap - 1;
    uint32_t off = 0;
    int32_t n = 0;
    for (int64_t i = 0; i < d->n_merges; i++) {
        gl_str s = d->merges[i];
        /* split at the first space after the first byte (a left part may begin with one) */
        const char *sp = s.len > 1 ? memchr(s.ptr + 1, ' ', s.len - 1) : NULL;
        if (!sp) {
            GL_LOGW("tokenizer: merge %lld has no space; ignored", (long long)i);
            v->merges[n++] = (gl_merge){0, 0, 0}; /* keeps ranks equal to array indices */
            continue;
        }
        uint32_t nl = (uint32_t)(sp - s.ptr), nr = (uint32_t)(s.len - nl - 1);
        memcpy(v->merge_text + off, s.ptr, nl);
        memcpy(v->merge_text + off + nl, sp + 1, nr);
        v->merges[n] = (gl_merge){off, nl, nr};
        off += nl + nr;
        /* the first of duplicate merges keeps its rank */
        if (gl_vocab_find_merge(v, v->merge_text + v->merges[n].off, nl, nr) < 0) {
            uint64_t h = merge_hash(v->merge_text + v->merges[n].off, nl, nr) & v->merge_mask;
            while (v->merge_slots[h] >= 0) h = (h + 1) & v->merge_mask;
            v->merge_slots[h] = n;
        }
        n++;
    }
    v->n_merges = n;
    return GLINT_OK;
}

glint_status gl_vocab_create(const gl_vocab_desc *d, gl_vocab **out, gl_err *err) {
    *out = NULL;
    gl_vocab_kind kind;
    const char *model = d->model ? d->model : "";
    if (strcmp(model, "llama") == 0)
        kind = GL_VOCAB_SPM;
    else if (strcmp(model, "gpt2") == 0)
        kind = GL_VOCAB_BPE;
    else
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "tokenizer model '%s' is not supported (supported: llama, gpt2)", model);
    if (d->n_tokens <= 0 || d->n_tokens > INT32_MAX / 4 || !d->tokens)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer: bad token count %lld",
                       (long long)d->n_tokens);

    gl_vocab *v = calloc(1, sizeof(*v));
    if (!v) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "tokenizer: out of memory");
    glint_status st = GLINT_ERROR_OUT_OF_MEMORY;
    v->kind = kind;
    v->n_tokens = (int32_t)d->n_tokens;
    if (kind == GL_VOCAB_BPE) {
        const char *pre = d->pre ? d->pre : "";
        if (!gl_pretok_lookup(pre, strlen(pre), &v->pre)) {
            gl_vocab_free(v);
            return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                           "tokenizer pre-tokenizer '%s' is not supported", pre);
        }
    } else {
        v->pre.name = "";
    }

    uint64_t total = 0;
    for (int32_t i = 0; i < v->n_tokens; i++) {
        if (d->tokens[i].len > UINT32_MAX || (d->tokens[i].len > 0 && !d->tokens[i].ptr)) {
            st = gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer: token %d has a bad text", i);
            goto fail;
        }
        total += d->tokens[i].len;
    }
    if (total > UINT32_MAX) {
        st = gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer: token texts are too large");
        goto fail;
    }
    v->toks = calloc((size_t)v->n_tokens, sizeof(gl_tok));
    v->text = malloc(total ? (size_t)total : 1);
    uint64_t cap = table_size((uint64_t)v->n_tokens);
    v->tok_slots = malloc((size_t)cap * sizeof(int32_t));
    v->eog = calloc((size_t)v->n_tokens, 1);
    if (!v->toks || !v->text || !v->tok_slots || !v->eog) goto oom;
    memset(v->tok_slots, 0xff, (size_t)cap * sizeof(int32_t));
    v->tok_mask = cap - 1;

    uint32_t off = 0;
    for (int32_t i = 0; i < v->n_tokens; i++) {
        gl_tok *t = &v->toks[i];
        t->off = off;
        t->len = (uint32_t)d->tokens[i].len;
        if (t->len) memcpy(v->text + off, d->tokens[i].ptr, t->len);
        off += t->len;
        t->score = d->scores ? d->scores[i] : 0.0f;
        int32_t ty = d->types ? d->types[i] : GL_TOKEN_TYPE_NORMAL;
        t->type = (ty >= 0 && ty <= GL_TOKEN_TYPE_BYTE) ? (uint8_t)ty : GL_TOKEN_TYPE_UNDEFINED;
        if (t->len == 0) continue; /* an empty text can never be matched */
        /* a later duplicate text replaces an earlier one, as in llama.cpp */
        uint64_t h = gl_hash_bytes(v->text + t->off, t->len) & v->tok_mask;
        for (;;) {
            int32_t id = v->tok_slots[h];
            if (id < 0 || (v->toks[id].len == t->len &&
                           memcmp(v->text + v->toks[id].off, v->text + t->off, t->len) == 0)) {
                v->tok_slots[h] = i;
                break;
            }
            h = (h + 1) & v->tok_mask;
        }
    }

    if (kind == GL_VOCAB_BPE) {
        if ((st = build_merges(v, d, err)) != GLINT_OK) {
            if (st == GLINT_ERROR_OUT_OF_MEMORY) goto oom;
            goto fail;
        }
    }

    /* special ids and flags, with each model's defaults */
    bool spm = kind == GL_VOCAB_SPM;
    v->bos = check_id(d->bos, v->n_tokens, "bos", spm ? 1 : -1);
    v->eos = check_id(d->eos, v->n_tokens, "eos", spm ? 2 : -1);
    v->unk = check_id(d->unk, v->n_tokens, "unknown", spm ? 0 : -1);
    v->eot = check_id(d->eot, v->n_tokens, "eot", -1);
    v->eom = check_id(d->eom, v->n_tokens, "eom", -1);
    v->pad = check_id(d->pad, v->n_tokens, "padding", -1);
    v->add_bos = d->add_bos >= 0 ? d->add_bos != 0 : (spm || v->pre.add_bos);
    v->add_eos = d->add_eos >= 0 ? d->add_eos != 0 : false;
    v->add_space_prefix = d->add_space_prefix >= 0 ? d->add_space_prefix != 0 : spm;

    /* end-of-generation set: eos/eot/eom plus well-known names (made control tokens) */
    for (size_t k = 0; k < GL_ARRAY_LEN(eot_names) && v->eot < 0; k++) {
        int32_t id = gl_vocab_find(v, eot_names[k], strlen(eot_names[k]));
        if (id >= 0) v->eot = id;
    }
    for (size_t k = 0; k < GL_ARRAY_LEN(eog_names); k++) {
        int32_t id = gl_vocab_find(v, eog_names[k], strlen(eog_names[k]));
        if (id >= 0) {
            v->eog[id] = 1;
            v->toks[id].type = GL_TOKEN_TYPE_CONTROL;
        }
    }
    if (v->eom < 0) {
        int32_t id = gl_vocab_find(v, "<|eom_id|>", 10);
        if (id >= 0) v->eom = id;
    }
    if (v->eos >= 0) v->eog[v->eos] = 1;
    if (v->eot >= 0) {
        v->eog[v->eot] = 1;
        v->toks[v->eot].type = GL_TOKEN_TYPE_CONTROL;
    }
    if (v->eom >= 0) v->eog[v->eom] = 1;

    /* Phi-3's special tokens swallow the whitespace after them (its tokenizer.json says rstrip),
     * which llama.cpp applies by model name. */
    if (d->name && (contains_ci(d->name, "phi-3") || contains_ci(d->name, "phi3"))) {
        for (int32_t i = 0; i < v->n_tokens; i++) {
            uint8_t t = v->toks[i].type;
            if (t == GL_TOKEN_TYPE_CONTROL || t == GL_TOKEN_TYPE_USER_DEFINED ||
                t == GL_TOKEN_TYPE_UNKNOWN)
                v->toks[i].strip = GL_STRIP_RIGHT;
        }
        static const struct {
            const char *text;
            uint8_t strip;
        } fix[] = {{"</s>", GL_STRIP_RIGHT}, {"<unk>", 0}, {"<s>", 0}, {"<|endoftext|>", 0}};
        for (size_t k = 0; k < GL_ARRAY_LEN(fix); k++) {
            int32_t id = gl_vocab_find(v, fix[k].text, strlen(fix[k].text));
            if (id >= 0) v->toks[id].strip = fix[k].strip;
        }
    }

    if (build_specials(v) != GLINT_OK) goto oom;

    /* byte fallback tokens */
    for (int b = 0; b < 256; b++) {
        v->byte_tok[b] = -1;
        if (spm) {
            static const char hex[] = "0123456789ABCDEF";
            char name[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
            int32_t id = gl_vocab_find(v, name, 6);
            if (id < 0) {
                char c = (char)b;
                id = gl_vocab_find(v, &c, 1);
            }
            v->byte_tok[b] = id;
        } else {
            char enc[4];
            size_t n = gl_utf8_encode(gl_byte_to_cp((uint8_t)b), enc);
            memcpy(v->byte_enc[b], enc, 2);
            v->byte_enc_len[b] = (uint8_t)n;
            v->byte_tok[b] = gl_vocab_find(v, enc, n);
        }
    }
    *out = v;
    return GLINT_OK;

oom:
    st = gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "tokenizer: out of memory");
fail:
    gl_vocab_free(v);
    return st;
}

/* ---- loading from GGUF ------------------------------------------------------------------ */

static glint_status get_id(const gl_gguf *g, const char *key, int64_t *out, gl_err *err) {
    uint32_t u;
    glint_status st = gl_gguf_get_u32(g, key, &u, err);
    if (st == GLINT_ERROR_NOT_FOUND) {
        *out = -1;
        return GLINT_OK;
    }
    if (st != GLINT_OK) {
        /* a negative int32 (-1) also means "none" */
        int32_t i;
        if (gl_gguf_get_i32(g, key, &i, NULL) == GLINT_OK && i < 0) {
            *out = -1;
            return GLINT_OK;
        }
        return st;
    }
    *out = u;
    return GLINT_OK;
}

static glint_status get_flag(const gl_gguf *g, const char *key, int *out, gl_err *err) {
    bool b;
    glint_status st = gl_gguf_get_bool(g, key, &b, err);
    if (st == GLINT_ERROR_NOT_FOUND) return GLINT_OK;
    if (st != GLINT_OK) return st;
    *out = b ? 1 : 0;
    return GLINT_OK;
}

glint_status gl_vocab_load(const gl_gguf *g, gl_vocab **out, gl_err *err) {
    *out = NULL;
    gl_vocab_desc d = gl_vocab_desc_default();
    char model[64], pre[64];
    gl_str s;
    glint_status st = gl_gguf_get_str(g, "tokenizer.ggml.model", &s, err);
    if (st == GLINT_ERROR_NOT_FOUND)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.model is missing");
    if (st != GLINT_OK) return st;
    if (s.len >= sizeof(model) || memchr(s.ptr, 0, s.len))
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "tokenizer model '%.*s' is not supported",
                       (int)GL_MIN(s.len, 40), s.ptr);
    memcpy(model, s.ptr, s.len);
    model[s.len] = 0;
    d.model = model;
    if (strcmp(model, "llama") != 0 && strcmp(model, "gpt2") != 0)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "tokenizer model '%s' is not supported (supported: llama, gpt2)", model);

    pre[0] = 0;
    st = gl_gguf_get_str(g, "tokenizer.ggml.pre", &s, err);
    if (st == GLINT_OK) {
        if (s.len >= sizeof(pre) || memchr(s.ptr, 0, s.len))
            return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                           "tokenizer pre-tokenizer '%.*s' is not supported",
                           (int)GL_MIN(s.len, 40), s.ptr);
        memcpy(pre, s.ptr, s.len);
        pre[s.len] = 0;
    } else if (st != GLINT_ERROR_NOT_FOUND) {
        return st;
    }
    d.pre = pre;
    char name[256];
    if (gl_gguf_get_str(g, "general.name", &s, NULL) == GLINT_OK) {
        size_t l = GL_MIN(s.len, sizeof(name) - 1);
        memcpy(name, s.ptr, l);
        name[l] = 0;
        d.name = name;
    }

    int64_t ti = gl_gguf_find_key(g, "tokenizer.ggml.tokens");
    if (ti < 0 || gl_gguf_kv_type(g, ti) != GL_GGUF_ARRAY ||
        gl_gguf_kv_arr_type(g, ti) != GL_GGUF_STRING)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                       "tokenizer.ggml.tokens is missing or not a string array");
    uint64_t n = gl_gguf_kv_arr_n(g, ti);
    if (n == 0 || n > INT32_MAX / 4)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.tokens has %llu entries",
                       (unsigned long long)n);
    d.n_tokens = (int64_t)n;

    gl_str *toks = NULL, *merges = NULL;
    float *scores = NULL;
    int32_t *types = NULL;
    toks = malloc(n * sizeof(gl_str));
    if (!toks) goto oom;
    for (uint64_t j = 0; j < n; j++) toks[j] = gl_gguf_kv_arr_str(g, ti, j);
    d.tokens = toks;

    int64_t si = gl_gguf_find_key(g, "tokenizer.ggml.scores");
    if (si >= 0) {
        if (gl_gguf_kv_type(g, si) != GL_GGUF_ARRAY ||
            gl_gguf_kv_arr_type(g, si) != GL_GGUF_FLOAT32 || gl_gguf_kv_arr_n(g, si) != n) {
            st =
                gl_fail(err, GLINT_ERROR_INVALID_FILE,
                        "tokenizer.ggml.scores must be %llu float32 values", (unsigned long long)n);
            goto done;
        }
        scores = malloc(n * sizeof(float));
        if (!scores) goto oom;
        memcpy(scores, gl_gguf_kv_arr_data(g, si), n * sizeof(float)); /* may be unaligned */
        d.scores = scores;
    }

    int64_t yi = gl_gguf_find_key(g, "tokenizer.ggml.token_type");
    if (yi >= 0) {
        gl_gguf_type at = gl_gguf_kv_arr_type(g, yi);
        if (gl_gguf_kv_type(g, yi) != GL_GGUF_ARRAY ||
            (at != GL_GGUF_INT32 && at != GL_GGUF_UINT32) || gl_gguf_kv_arr_n(g, yi) != n) {
            st = gl_fail(err, GLINT_ERROR_INVALID_FILE,
                         "tokenizer.ggml.token_type must be %llu int32 values",
                         (unsigned long long)n);
            goto done;
        }
        types = malloc(n * sizeof(int32_t));
        if (!types) goto oom;
        memcpy(types, gl_gguf_kv_arr_data(g, yi), n * sizeof(int32_t));
        d.types = types;
    }

    if (strcmp(model, "gpt2") == 0) {
        int64_t mi = gl_gguf_find_key(g, "tokenizer.ggml.merges");
        if (mi < 0 || gl_gguf_kv_type(g, mi) != GL_GGUF_ARRAY ||
            gl_gguf_kv_arr_type(g, mi) != GL_GGUF_STRING) {
            st = gl_fail(err, GLINT_ERROR_INVALID_FILE,
                         "tokenizer.ggml.merges is missing or not a string array");
            goto done;
        }
        uint64_t nm = gl_gguf_kv_arr_n(g, mi);
        if (nm > INT32_MAX / 4) {
            st = gl_fail(err, GLINT_ERROR_INVALID_FILE, "tokenizer.ggml.merges is too large");
            goto done;
        }
        merges = malloc((nm ? nm : 1) * sizeof(gl_str));
        if (!merges) goto oom;
        for (uint64_t j = 0; j < nm; j++) merges[j] = gl_gguf_kv_arr_str(g, mi, j);
        d.merges = merges;
        d.n_merges = (int64_t)nm;
    }

    static const struct {
        const char *key;
        size_t off;
    } ids[] = {
        {"tokenizer.ggml.bos_token_id", offsetof(gl_vocab_desc, bos)},
        {"tokenizer.ggml.eos_token_id", offsetof(gl_vocab_desc, eos)},
        {"tokenizer.ggml.unknown_token_id", offsetof(gl_vocab_desc, unk)},
        {"tokenizer.ggml.eot_token_id", offsetof(gl_vocab_desc, eot)},
        {"tokenizer.ggml.eom_token_id", offsetof(gl_vocab_desc, eom)},
        {"tokenizer.ggml.padding_token_id", offsetof(gl_vocab_desc, pad)},
    };
    for (size_t k = 0; k < GL_ARRAY_LEN(ids); k++) {
        if ((st = get_id(g, ids[k].key, (int64_t *)((char *)&d + ids[k].off), err)) != GLINT_OK)
            goto done;
    }
    if ((st = get_flag(g, "tokenizer.ggml.add_bos_token", &d.add_bos, err)) != GLINT_OK ||
        (st = get_flag(g, "tokenizer.ggml.add_eos_token", &d.add_eos, err)) != GLINT_OK ||
        (st = get_flag(g, "tokenizer.ggml.add_space_prefix", &d.add_space_prefix, err)) != GLINT_OK)
        goto done;

    st = gl_vocab_create(&d, out, err);
    goto done;
oom:
    st = gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "tokenizer: out of memory");
done:
    free(toks);
    free(merges);
    free(scores);
    free(types);
    return st;
}

/* ---- accessors -------------------------------------------------------------------------- */

int32_t gl_vocab_n_tokens(const gl_vocab *v) {
    return v->n_tokens;
}
int32_t gl_vocab_bos(const gl_vocab *v) {
    return v->bos;
}
int32_t gl_vocab_eos(const gl_vocab *v) {
    return v->eos;
}
bool gl_vocab_is_eog(const gl_vocab *v, int32_t tok) {
    return tok >= 0 && tok < v->n_tokens && v->eog[tok];
}
bool gl_vocab_add_bos(const gl_vocab *v) {
    return v->add_bos && v->bos >= 0;
}
const char *gl_vocab_model_name(const gl_vocab *v) {
    return v->kind == GL_VOCAB_SPM ? "llama" : "gpt2";
}
const char *gl_vocab_pre_name(const gl_vocab *v) {
    return v->pre.name;
}
gl_token_type gl_vocab_token_type(const gl_vocab *v, int32_t tok) {
    if (tok < 0 || tok >= v->n_tokens) return GL_TOKEN_TYPE_UNDEFINED;
    return (gl_token_type)v->toks[tok].type;
}
gl_str gl_vocab_token_text(const gl_vocab *v, int32_t tok) {
    gl_str s = {NULL, 0};
    if (tok < 0 || tok >= v->n_tokens) return s;
    s.ptr = v->text + v->toks[tok].off;
    s.len = v->toks[tok].len;
    return s;
}

/* ---- tokenize --------------------------------------------------------------------------- */

typedef struct frag {
    size_t off, len;
    int32_t tok; /* -1: raw text */
} frag;

typedef struct fragvec {
    frag *v;
    size_t n, cap;
} fragvec;

static glint_status frag_push(fragvec *a, frag f) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 16;
        frag *nv = realloc(a->v, nc * sizeof(*nv));
        if (!nv) return GLINT_ERROR_OUT_OF_MEMORY;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = f;
    return GLINT_OK;
}

static const char *find_bytes(const char *h, size_t hn, const char *nd, size_t nn) {
    if (nn == 0 || nn > hn) return NULL;
    const char *end = h + hn - nn + 1;
    const char *p = h;
    while (p < end) {
        p = memchr(p, nd[0], (size_t)(end - p));
        if (!p) return NULL;
        if (memcmp(p, nd, nn) == 0) return p;
        p++;
    }
    return NULL;
}

static bool is_c_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool special_usable(const gl_vocab *v, int32_t id, bool parse_special) {
    uint8_t t = v->toks[id].type;
    if (t == GL_TOKEN_TYPE_USER_DEFINED) return true;
    return parse_special && (t == GL_TOKEN_TYPE_CONTROL || t == GL_TOKEN_TYPE_UNKNOWN);
}

/* Splits the text at special-token texts as llama.cpp does: the longest token first over the
 * whole text, then the next longest in what is left, and so on. Each pass only cuts the raw
 * pieces left by the passes before it, so a piece can be finished on its own: find the first
 * token (in that order) that occurs in it, cut at its occurrences, and go on with the later
 * tokens in the pieces between. Only tokens that occur somewhere in the text are tried. */
static glint_status partition(const gl_vocab *v, const char *text, size_t len, bool parse_special,
                              fragvec *out) {
    if (v->n_specials == 0) return frag_push(out, (frag){0, len, -1});

    /* tokens present in the text, in pass order */
    uint8_t *present = calloc(((size_t)v->n_tokens + 7) / 8, 1);
    int32_t *cand = malloc((size_t)v->n_specials * sizeof(int32_t));
    fragvec stack = {0};
    glint_status st = GLINT_ERROR_OUT_OF_MEMORY;
    if (!present || !cand) goto done;
    for (size_t i = 0; i < len; i++) {
        unsigned char c0 = (unsigned char)text[i];
        if (!(v->special_first[c0 >> 3] & (1u << (c0 & 7)))) continue;
        uint64_t h = HASH_INIT;
        size_t done = 0;
        for (int32_t k = 0; k < v->n_special_lens; k++) {
            size_t l = v->special_lens[k];
            if (l > len - i) break;
            for (; done < l; done++) h = HASH_STEP(h, text[i + done]);
            for (uint64_t j = HASH_FINAL(h) & v->special_mask;; j = (j + 1) & v->special_mask) {
                int32_t si = v->special_slots[j];
                if (si < 0) break;
                int32_t id = v->specials[si];
                const gl_tok *t = &v->toks[id];
                if (t->len == l && memcmp(v->text + t->off, text + i, l) == 0 &&
                    special_usable(v, id, parse_special))
                    present[id >> 3] |= (uint8_t)(1u << (id & 7));
            }
        }
    }
    int32_t n_cand = 0;
    for (int32_t s = 0; s < v->n_specials; s++) {
        int32_t sid = v->specials[s];
        if (present[sid >> 3] & (1u << (sid & 7))) cand[n_cand++] = sid;
    }

    /* depth-first, left to right: a stack item is a token (tok >= 0) or a raw piece whose
     * next candidate index is kept in `tok` as -1 - index */
    st = frag_push(&stack, (frag){0, len, -1});
    while (st == GLINT_OK && stack.n > 0) {
        frag fr = stack.v[--stack.n];
        if (fr.tok >= 0) {
            st = frag_push(out, fr);
            continue;
        }
        int32_t k = -1 - fr.tok;
        const char *p = text + fr.off, *m = NULL;
        const gl_tok *t = NULL;
        for (; k < n_cand; k++) {
            t = &v->toks[cand[k]];
            if (t->len <= fr.len && (m = find_bytes(p, fr.len, v->text + t->off, t->len))) break;
        }
        if (!m) {
            st = frag_push(out, (frag){fr.off, fr.len, -1});
            continue;
        }
        /* cut at every occurrence, then push the pieces in reverse so the leftmost pops first */
        size_t base = stack.n;
        const char *end = p + fr.len;
        while (st == GLINT_OK && m) {
            size_t left = (size_t)(m - p);
            if (t->strip & GL_STRIP_LEFT)
                while (left > 0 && is_c_space(p[left - 1])) left--;
            if (left > 0) st = frag_push(&stack, (frag){(size_t)(p - text), left, -2 - k});
            if (st == GLINT_OK) st = frag_push(&stack, (frag){(size_t)(m - text), t->len, cand[k]});
            p = m + t->len;
            if (t->strip & GL_STRIP_RIGHT)
                while (p < end && is_c_space(*p)) p++;
            m = find_bytes(p, (size_t)(end - p), v->text + t->off, t->len);
        }
        if (st == GLINT_OK && p < end)
            st = frag_push(&stack, (frag){(size_t)(p - text), (size_t)(end - p), -2 - k});
        for (size_t i = base, j = stack.n; st == GLINT_OK && i + 1 < j; i++, j--) {
            frag x = stack.v[i];
            stack.v[i] = stack.v[j - 1];
            stack.v[j - 1] = x;
        }
    }
done:
    free(stack.v);
    free(cand);
    free(present);
    return st;
}

glint_status gl_vocab_tokenize(const gl_vocab *v, const char *text, size_t len, bool add_special,
                               bool parse_special, int32_t *out, size_t cap, size_t *n_out) {
    *n_out = 0;
    if (!text && len > 0) return GLINT_ERROR_INVALID_ARGUMENT;
    gl_ivec ids = {0};
    fragvec frags = {0};
    glint_status st = GLINT_OK;
    if (len > 0) st = partition(v, text, len, parse_special, &frags);
    if (st == GLINT_OK && add_special && v->add_bos && v->bos >= 0) st = gl_ivec_push(&ids, v->bos);
    bool prev_special = true; /* SPM: a space goes before text that starts the input */
    for (size_t f = 0; f < frags.n && st == GLINT_OK; f++) {
        frag fr = frags.v[f];
        if (fr.tok >= 0) {
            st = gl_ivec_push(&ids, fr.tok);
            prev_special = true;
        } else if (v->kind == GL_VOCAB_SPM) {
            st = gl_spm_tokenize(v, text + fr.off, fr.len, v->add_space_prefix && prev_special,
                                 &ids);
            prev_special = false;
        } else {
            st = gl_bpe_tokenize(v, text + fr.off, fr.len, &ids);
        }
    }
    if (st == GLINT_OK && add_special && v->add_eos && v->eos >= 0) st = gl_ivec_push(&ids, v->eos);
    free(frags.v);
    if (st != GLINT_OK) {
        free(ids.v);
        return st;
    }
    *n_out = ids.n;
    if (out && cap && ids.n) memcpy(out, ids.v, GL_MIN(cap, ids.n) * sizeof(int32_t));
    free(ids.v);
    return ids.n > cap ? GLINT_ERROR_BUFFER_TOO_SMALL : GLINT_OK;
}

/* ---- detokenize ------------------------------------------------------------------------- */

static glint_status emit(char *buf, size_t cap, size_t *n, const char *s, size_t len) {
    if (len > 0 && *n + len <= cap)
        memcpy(buf + *n, s, len);
    else if (len > 0 && *n < cap)
        memcpy(buf + *n, s, cap - *n);
    *n += len;
    return GLINT_OK;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

glint_status gl_vocab_token_to_piece(const gl_vocab *v, int32_t tok, bool special, char *buf,
                                     size_t cap, size_t *n_out) {
    *n_out = 0;
    if (tok < 0 || tok >= v->n_tokens) return GLINT_ERROR_INVALID_ARGUMENT;
    if (!buf) cap = 0;
    const gl_tok *t = &v->toks[tok];
    const char *s = v->text + t->off;
    size_t n = 0;
    switch (t->type) {
    case GL_TOKEN_TYPE_CONTROL:
    case GL_TOKEN_TYPE_UNKNOWN:
        if (special) emit(buf, cap, &n, s, t->len);
        break;
    case GL_TOKEN_TYPE_USER_DEFINED:
        emit(buf, cap, &n, s, t->len);
        break;
    case GL_TOKEN_TYPE_BYTE:
        if (v->kind == GL_VOCAB_SPM && t->len == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>' &&
            hexval(s[3]) >= 0 && hexval(s[4]) >= 0) {
            char c = (char)(hexval(s[3]) * 16 + hexval(s[4]));
            emit(buf, cap, &n, &c, 1);
            break;
        }
        /* fall through - a BPE vocab's byte tokens decode like normal ones */
    case GL_TOKEN_TYPE_NORMAL:
        if (v->kind == GL_VOCAB_SPM) {
            size_t i = 0;
            while (i < t->len) {
                if (i + 3 <= t->len && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
                    emit(buf, cap, &n, " ", 1);
                    i += 3;
                } else {
                    emit(buf, cap, &n, s + i, 1);
                    i++;
                }
            }
        } else {
            size_t i = 0;
            while (i < t->len) {
                uint32_t cp;
                size_t l = gl_utf8_decode((const unsigned char *)s + i, t->len - i, &cp);
                int b = gl_cp_to_byte(cp);
                if (b >= 0) {
                    char c = (char)b;
                    emit(buf, cap, &n, &c, 1);
                } else {
                    emit(buf, cap, &n, s + i, l); /* not byte-level: keep the text */
                }
                i += l;
            }
        }
        break;
    default:
        break; /* unused / undefined tokens render as nothing */
    }
    *n_out = n;
    return n > cap ? GLINT_ERROR_BUFFER_TOO_SMALL : GLINT_OK;
}

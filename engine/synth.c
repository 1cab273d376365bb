/* Synthetic llama models: random weights through Glint's GGUF writer and reference quantizers.
 * Each row of each tensor draws from its own PRNG stream (seeded from the model seed, the
 * tensor name and the row index), so rows can be produced in any order, by any number of
 * threads, a piece at a time, and the file stays the same. */
#include "synth.h"

#include "gguf.h"
#include "types.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const gl_synth_shape g_shapes[] = {
    {"tiny", 256, 4, 4, 2, 768, 512, 512},
    {"110m", 768, 12, 12, 12, 2048, 32000, 1024},
    {"1b", 2048, 22, 32, 4, 5632, 32000, 2048},
};

const gl_synth_shape *gl_synth_shape_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < GL_ARRAY_LEN(g_shapes); i++)
        if (strcmp(g_shapes[i].name, name) == 0) return &g_shapes[i];
    return NULL;
}

int32_t gl_synth_file_type(glint_type type) {
    switch (type) {
    case GLINT_TYPE_F32:
        return 0;
    case GLINT_TYPE_F16:
        return 1;
    case GLINT_TYPE_Q4_0:
        return 2;
    case GLINT_TYPE_Q4_1:
        return 3;
    case GLINT_TYPE_Q8_0:
        return 7;
    case GLINT_TYPE_Q5_0:
        return 8;
    case GLINT_TYPE_Q5_1:
        return 9;
    case GLINT_TYPE_Q2_K:
        return 10;
    case GLINT_TYPE_Q3_K:
        return 11;
    case GLINT_TYPE_Q4_K:
        return 14;
    case GLINT_TYPE_Q5_K:
        return 16;
    case GLINT_TYPE_Q6_K:
        return 18;
    case GLINT_TYPE_BF16:
        return 32;
    default:
        return -1;
    }
}

/* ---- random numbers ---------------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* splitmix64 as a stream: each row starts at a hashed point of the 2^64 cycle. */
static inline uint64_t stream_next(uint64_t *s) {
    return mix64(*s += 0x9e3779b97f4a7c15ull);
}

static uint64_t hash_str(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

/* n standard normal values (Marsaglia's polar method). */
static void fill_normal(uint64_t *s, float *y, int64_t n) {
    int64_t i = 0;
    while (i < n) {
        const float u = (float)(stream_next(s) >> 40) * (2.0f / 16777216.0f) - 1.0f;
        const float v = (float)(stream_next(s) >> 40) * (2.0f / 16777216.0f) - 1.0f;
        const float r2 = u * u + v * v;
        if (r2 >= 1.0f || r2 == 0.0f) continue;
        const float f = sqrtf(-2.0f * logf(r2) / r2);
        y[i++] = u * f;
        if (i < n) y[i++] = v * f;
    }
}

/* ---- tensors ------------------------------------------------------------------------------- */

typedef struct synth_tensor {
    char name[64];
    glint_type type;
    int64_t ne0, ne1;
    size_t row_size;
    uint64_t seed;
    float mean, std;
    int n_threads;
} synth_tensor;

/* One row: values into `tmp` (ne0 floats), converted into `dst` (row_size bytes). */
static void make_row(const synth_tensor *t, int64_t row, float *tmp, void *dst) {
    uint64_t s = mix64(t->seed ^ mix64((uint64_t)row + 1));
    fill_normal(&s, tmp, t->ne0);
    for (int64_t i = 0; i < t->ne0; i++) tmp[i] = t->mean + t->std * tmp[i];
    switch (t->type) {
    case GLINT_TYPE_F32:
        memcpy(dst, tmp, (size_t)t->ne0 * sizeof(float));
        break;
    case GLINT_TYPE_F16: {
        gl_fp16 *h = dst;
        for (int64_t i = 0; i < t->ne0; i++) h[i] = gl_f32_to_fp16(tmp[i]);
        break;
    }
    case GLINT_TYPE_BF16: {
        gl_bf16 *h = dst;
        for (int64_t i = 0; i < t->ne0; i++) h[i] = gl_f32_to_bf16(tmp[i]);
        break;
    }
    default:
        gl_type_get(t->type)->from_float(tmp, dst, t->ne0);
        break;
    }
}

typedef struct fill_job {
    const synth_tensor *t;
    uint8_t *dst;       /* the piece being filled */
    uint64_t off, size; /* the piece, in tensor bytes */
    int64_t row0, row1; /* rows this worker makes */
    glint_status st;
} fill_job;

static void *fill_rows(void *arg) {
    fill_job *j = arg;
    const synth_tensor *t = j->t;
    float *tmp = malloc((size_t)t->ne0 * sizeof *tmp);
    uint8_t *row_buf = malloc(t->row_size);
    if (!tmp || !row_buf) {
        free(tmp);
        free(row_buf);
        j->st = GLINT_ERROR_OUT_OF_MEMORY;
        return NULL;
    }
    for (int64_t r = j->row0; r < j->row1; r++) {
        const uint64_t r_begin = (uint64_t)r * t->row_size, r_end = r_begin + t->row_size;
        const uint64_t lo = GL_MAX(r_begin, j->off), hi = GL_MIN(r_end, j->off + j->size);
        uint8_t *direct = j->dst + (lo - j->off);
        /* A whole row at an aligned address is made in place; anything else via row_buf
         * (block structs and floats must not be stored misaligned). */
        if (lo == r_begin && hi == r_end && (uintptr_t)direct % 8 == 0) {
            make_row(t, r, tmp, direct);
        } else {
            make_row(t, r, tmp, row_buf);
            memcpy(j->dst + (lo - j->off), row_buf + (lo - r_begin), hi - lo);
        }
    }
    free(tmp);
    free(row_buf);
    j->st = GLINT_OK;
    return NULL;
}

#define SYNTH_MAX_THREADS 16

/* gl_gguf_fill_fn: bytes [offset, offset + size) of the tensor, any alignment. */
static glint_status fill_tensor(void *user, void *dst, uint64_t offset, uint64_t size) {
    const synth_tensor *t = user;
    if (size == 0) return GLINT_OK;
    const int64_t row0 = (int64_t)(offset / t->row_size);
    const int64_t row1 = (int64_t)((offset + size - 1) / t->row_size) + 1;
    const int64_t n_rows = row1 - row0;
    /* Threads only where there is enough work to pay for starting them. */
    int n_thr = t->n_threads;
    if ((uint64_t)n_rows * (uint64_t)t->ne0 < (1u << 16)) n_thr = 1;
    if (n_thr > n_rows) n_thr = (int)n_rows;

    fill_job jobs[SYNTH_MAX_THREADS];
    pthread_t tid[SYNTH_MAX_THREADS];
    bool started[SYNTH_MAX_THREADS] = {0};
    for (int i = 0; i < n_thr; i++) {
        jobs[i] = (fill_job){.t = t,
                             .dst = dst,
                             .off = offset,
                             .size = size,
                             .row0 = row0 + n_rows * i / n_thr,
                             .row1 = row0 + n_rows * (i + 1) / n_thr,
                             .st = GLINT_ERROR_INTERNAL};
    }
    for (int i = 1; i < n_thr; i++)
        started[i] = pthread_create(&tid[i], NULL, fill_rows, &jobs[i]) == 0;
    fill_rows(&jobs[0]);
    glint_status st = jobs[0].st;
    for (int i = 1; i < n_thr; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            fill_rows(&jobs[i]); /* could not start a thread: do its share here */
        if (jobs[i].st != GLINT_OK) st = jobs[i].st;
    }
    return st;
}

/* ---- vocab --------------------------------------------------------------------------------- */

/* Pieces in order of preference (earlier = higher score). "_" stands for "▁" (U+2581), the
 * SentencePiece word-start marker. */
static const char *const g_words[] = {
    "_the",      "_a",      "_and",    "_to",      "_was",     "_he",      "_she",    "_it",
    "_of",       "_in",     "_They",   "_The",     "_day",     "_little",  "_said",   "_you",
    "_his",      "_her",    "_with",   "_One",     "_Once",    "_upon",    "_time",   "_there",
    "_big",      "_had",    "_for",    "_on",      "_that",    "_is",      "_not",    "_so",
    "_play",     "_happy",  "_friend", "_mom",     "_dad",     "_saw",     "_very",   "_wanted",
    "_went",     "_were",   "_be",     "_at",      "_have",    "_we",      "_can",    "_all",
    "_up",       "_out",    "_do",     "_see",     "_go",      "_but",     "_what",   "_cat",
    "_dog",      "_bird",   "_tree",   "_sun",     "_park",    "_ball",    "_toy",    "_girl",
    "_boy",      "_Lily",   "_Tim",    "_Ben",     "_Sue",     "_Tom",     "_She",    "_He",
    "_It",       "_But",    "_Then",   "_When",    "_look",    "_fun",     "_good",   "_new",
    "_nice",     "_red",    "_blue",   "_home",    "_help",    "_find",    "_found",  "_made",
    "_make",     "_like",   "_liked",  "_loved",   "_love",    "_sad",     "_smiled", "_laughed",
    "_came",     "_ran",    "_jump",   "_sky",     "_water",   "_food",    "_box",    "_car",
    "_book",     "_flower", "_garden", "_house",   "_room",    "_bed",     "_night",  "_morning",
    "_together", "_from",   "_into",   "_because", "_thought", "_asked",   "_again",  "_too",
    "_one",      "_two",    "_three",  "_after",   "_about",   "_could",   "_would",  "_did",
    "_no",       "_yes",    "_my",     "_me",      "_your",    "_an",      "_this",   "_are",
    "_them",     "_then",   "_when",   "_how",     "_by",      "_just",    "_now",    "_more",
    "_some",     "_other",  "_every",  "_always",  "_never",   "_learned", "_lesson", "_share",
    "_kind",     "_brave",  "_strong", "_small",   "_old",     "_tall",    "_long",   "_fast",
    "_slow",     "_warm",   "_cold",   "_bright",  "_dark",    "_green",   "_yellow", "_friends",
    "_played",   "_walked", "_looked", "_felt",    "_knew",    "_told",    "_gave",   "_took",
    "_got",      "_put",    "_run",    "_eat",     "_sleep",   "_sing",
};
/* Common English syllables and word endings, inside words. */
static const char *const g_syllables[] = {
    "th",  "he",  "in",  "er",  "an",  "re",  "on",   "at",   "en",   "nd",  "ti",  "es",
    "or",  "te",  "of",  "ed",  "is",  "it",  "al",   "ar",   "st",   "to",  "nt",  "ng",
    "se",  "ha",  "as",  "ou",  "io",  "le",  "ve",   "co",   "me",   "de",  "hi",  "ri",
    "ro",  "ic",  "ne",  "ea",  "ra",  "ce",  "ll",   "ay",   "ee",   "oo",  "ing", "ion",
    "ent", "ly",  "est", "ter", "and", "ous", "ight", "ould", "ame",  "ake", "all", "ell",
    "ill", "ook", "own", "ate", "ine", "ear", "ack",  "ound", "ther", "s",
};

typedef struct vocab_builder {
    char **tok;
    int32_t n, cap;
    uint32_t *set; /* open addressing over token indices + 1; 0 = empty */
    uint32_t set_mask;
} vocab_builder;

/* Adds `piece` with "_" turned into "▁" unless it is there already or the vocab is full.
 * false only when out of memory. */
static bool vb_add_raw(vocab_builder *vb, const char *text) {
    if (vb->n >= vb->cap) return true;
    uint32_t h = (uint32_t)hash_str(text) & vb->set_mask;
    while (vb->set[h]) {
        if (strcmp(vb->tok[vb->set[h] - 1], text) == 0) return true;
        h = (h + 1) & vb->set_mask;
    }
    char *copy = strdup(text);
    if (!copy) return false;
    vb->tok[vb->n++] = copy;
    vb->set[h] = (uint32_t)vb->n;
    return true;
}

/* Adds the piece after its prefixes of two characters and more ("▁t", "▁th", then "▁the"):
 * SentencePiece only builds a piece by merging pieces that exist, so this keeps every piece
 * reachable from text. */
static bool vb_add(vocab_builder *vb, const char *piece) {
    char buf[96];
    size_t o = 0;
    int n_chars = 0;
    for (const char *p = piece; *p && o + 4 < sizeof buf; p++) {
        if (*p == '_') {
            buf[o++] = (char)0xe2;
            buf[o++] = (char)0x96;
            buf[o++] = (char)0x81;
        } else {
            buf[o++] = *p;
        }
        buf[o] = 0;
        if (++n_chars >= 2 && !vb_add_raw(vb, buf)) return false;
    }
    return n_chars >= 2 || vb_add_raw(vb, buf);
}

static void vb_free(vocab_builder *vb) {
    for (int32_t i = 0; i < vb->n; i++) free(vb->tok[i]);
    free(vb->tok);
    free(vb->set);
}

/* <unk>, <s>, </s>, 256 byte tokens, then pieces; exactly n_vocab tokens. */
static glint_status build_vocab(vocab_builder *vb, int32_t n_vocab) {
    memset(vb, 0, sizeof *vb);
    uint32_t set_cap = 1024;
    while (set_cap < 2u * (uint32_t)n_vocab) set_cap *= 2;
    vb->tok = calloc((size_t)n_vocab, sizeof *vb->tok);
    vb->set = calloc(set_cap, sizeof *vb->set);
    vb->cap = n_vocab;
    vb->set_mask = set_cap - 1;
    if (!vb->tok || !vb->set) return GLINT_ERROR_OUT_OF_MEMORY;

    bool ok = vb_add_raw(vb, "<unk>") && vb_add_raw(vb, "<s>") && vb_add_raw(vb, "</s>");
    for (int b = 0; b < 256 && ok; b++) {
        char buf[8];
        snprintf(buf, sizeof buf, "<0x%02X>", b);
        ok = vb_add_raw(vb, buf);
    }
    ok = ok && vb_add(vb, "_");
    for (char c = 'a'; c <= 'z' && ok; c++) ok = vb_add(vb, (char[]){c, 0});
    const char *punct = ".,!?'\"-:;()";
    for (const char *p = punct; *p && ok; p++) ok = vb_add(vb, (char[]){*p, 0});
    for (char c = 'A'; c <= 'Z' && ok; c++) ok = vb_add(vb, (char[]){c, 0});
    for (char c = '0'; c <= '9' && ok; c++) ok = vb_add(vb, (char[]){c, 0});
    for (size_t i = 0; i < GL_ARRAY_LEN(g_words) && ok; i++) ok = vb_add(vb, g_words[i]);
    for (size_t i = 0; i < GL_ARRAY_LEN(g_syllables) && ok; i++) ok = vb_add(vb, g_syllables[i]);
    for (char c = 'a'; c <= 'z' && ok; c++) ok = vb_add(vb, (char[]){'_', c, 0});
    for (char c = 'A'; c <= 'Z' && ok; c++) ok = vb_add(vb, (char[]){'_', c, 0});
    for (char a = 'a'; a <= 'z' && ok; a++)
        for (char b = 'a'; b <= 'z' && ok; b++) ok = vb_add(vb, (char[]){a, b, 0});
    for (char a = 'a'; a <= 'z' && ok; a++)
        for (char b = 'a'; b <= 'z' && ok; b++) ok = vb_add(vb, (char[]){'_', a, b, 0});
    for (char a = 'a'; a <= 'z' && ok; a++)
        for (char b = 'a'; b <= 'z' && ok; b++)
            for (char c = 'a'; c <= 'z' && ok; c++) ok = vb_add(vb, (char[]){a, b, c, 0});
    for (char a = 'a'; a <= 'z' && ok; a++)
        for (char b = 'a'; b <= 'z' && ok; b++)
            for (char c = 'a'; c <= 'z' && ok; c++) ok = vb_add(vb, (char[]){'_', a, b, c, 0});
    /* Whatever is still missing (vocabs beyond ~36k): numbered pieces no other piece equals. */
    for (int32_t i = 0; vb->n < vb->cap && ok; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "_w%d", i);
        ok = vb_add(vb, buf);
    }
    return ok ? GLINT_OK : GLINT_ERROR_OUT_OF_MEMORY;
}

/* ---- the model ----------------------------------------------------------------------------- */

enum { TOKEN_TYPE_NORMAL = 1, TOKEN_TYPE_UNKNOWN = 2, TOKEN_TYPE_CONTROL = 3, TOKEN_TYPE_BYTE = 6 };

static glint_status check_shape(const gl_synth_shape *sh, glint_type type, gl_err *err) {
    if (sh->n_embd <= 0 || sh->n_layer <= 0 || sh->n_head <= 0 || sh->n_head_kv <= 0 ||
        sh->n_ff <= 0 || sh->n_ctx <= 0)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "synth shape '%s': sizes must be > 0",
                       sh->name ? sh->name : "?");
    if (sh->n_vocab < 259 + 1 || sh->n_vocab > (1 << 22))
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                       "synth shape: n_vocab %d outside [260, 4194304] (259 special and byte "
                       "tokens come first)",
                       sh->n_vocab);
    if (sh->n_embd % sh->n_head || (sh->n_embd / sh->n_head) % 2 || sh->n_head % sh->n_head_kv)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                       "synth shape: n_embd %d, n_head %d, n_head_kv %d do not give an even head "
                       "size shared by whole kv groups",
                       sh->n_embd, sh->n_head, sh->n_head_kv);
    if (sh->n_embd > (1 << 20) || sh->n_ff > (1 << 22) || sh->n_layer > 4096)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "synth shape: too large");
    const gl_type_traits *tr = gl_type_get(type);
    const bool plain = type == GLINT_TYPE_F32 || type == GLINT_TYPE_F16 || type == GLINT_TYPE_BF16;
    if (!tr || gl_synth_file_type(type) < 0 || (!plain && !tr->from_float))
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "synth: cannot write weights of type %s",
                       glint_type_name(type) ? glint_type_name(type) : "(unknown)");
    if (sh->n_embd % tr->block_size || sh->n_ff % tr->block_size)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "synth: n_embd %d and n_ff %d must be multiples of %s's block size %lld",
                       sh->n_embd, sh->n_ff, tr->name, (long long)tr->block_size);
    return GLINT_OK;
}

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)GL_MIN(n, SYNTH_MAX_THREADS);
}

/* Keys; every setter's status is folded into one. */
static glint_status set_keys(gl_gguf_writer *w, const gl_synth_shape *sh, glint_type type,
                             uint64_t seed) {
    char name[96];
    snprintf(name, sizeof name, "glint-synth-%s-%s-seed%llu", sh->name ? sh->name : "custom",
             glint_type_name(type), (unsigned long long)seed);
    const gl_type_traits *tr = gl_type_get(type);
    glint_status st = GLINT_OK, s;
#define SET(call)                                                                                  \
    if ((s = (call)) != GLINT_OK) st = s
    SET(gl_gguf_writer_set_str(w, "general.architecture", "llama"));
    SET(gl_gguf_writer_set_str(w, "general.name", name));
    SET(gl_gguf_writer_set_str(w, "general.description", "random weights (test vectors only)"));
    SET(gl_gguf_writer_set_u32(w, "general.file_type", (uint32_t)gl_synth_file_type(type)));
    if (tr->is_quantized) SET(gl_gguf_writer_set_u32(w, "general.quantization_version", 2));
    SET(gl_gguf_writer_set_u32(w, "llama.vocab_size", (uint32_t)sh->n_vocab));
    SET(gl_gguf_writer_set_u32(w, "llama.context_length", (uint32_t)sh->n_ctx));
    SET(gl_gguf_writer_set_u32(w, "llama.embedding_length", (uint32_t)sh->n_embd));
    SET(gl_gguf_writer_set_u32(w, "llama.block_count", (uint32_t)sh->n_layer));
    SET(gl_gguf_writer_set_u32(w, "llama.feed_forward_length", (uint32_t)sh->n_ff));
    SET(gl_gguf_writer_set_u32(w, "llama.attention.head_count", (uint32_t)sh->n_head));
    SET(gl_gguf_writer_set_u32(w, "llama.attention.head_count_kv", (uint32_t)sh->n_head_kv));
    SET(gl_gguf_writer_set_u32(w, "llama.rope.dimension_count",
                               (uint32_t)(sh->n_embd / sh->n_head)));
    SET(gl_gguf_writer_set_f32(w, "llama.rope.freq_base", 10000.0f));
    SET(gl_gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f));
    SET(gl_gguf_writer_set_str(w, "tokenizer.ggml.model", "llama"));
    SET(gl_gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", 0));
    SET(gl_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1));
    SET(gl_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2));
    SET(gl_gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", true));
    SET(gl_gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", false));
#undef SET
    return st;
}

static glint_status set_vocab(gl_gguf_writer *w, int32_t n_vocab) {
    vocab_builder vb;
    glint_status st = build_vocab(&vb, n_vocab);
    gl_str *strs = malloc((size_t)n_vocab * sizeof *strs);
    float *scores = malloc((size_t)n_vocab * sizeof *scores);
    int32_t *types = malloc((size_t)n_vocab * sizeof *types);
    if (st == GLINT_OK && (!strs || !scores || !types)) st = GLINT_ERROR_OUT_OF_MEMORY;
    if (st == GLINT_OK && vb.n != n_vocab) st = GLINT_ERROR_INTERNAL;
    if (st == GLINT_OK) {
        for (int32_t i = 0; i < n_vocab; i++) {
            strs[i] = (gl_str){vb.tok[i], strlen(vb.tok[i])};
            if (i == 0)
                types[i] = TOKEN_TYPE_UNKNOWN;
            else if (i < 3)
                types[i] = TOKEN_TYPE_CONTROL;
            else if (i < 259)
                types[i] = TOKEN_TYPE_BYTE;
            else
                types[i] = TOKEN_TYPE_NORMAL;
            /* SentencePiece merges the highest score first: earlier pieces win. */
            scores[i] = i < 259 ? 0.0f : -(float)(i - 259);
        }
        st = gl_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", strs, (uint64_t)n_vocab);
        if (st == GLINT_OK)
            st = gl_gguf_writer_set_arr(w, "tokenizer.ggml.scores", GL_GGUF_FLOAT32, scores,
                                        (uint64_t)n_vocab);
        if (st == GLINT_OK)
            st = gl_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GL_GGUF_INT32, types,
                                        (uint64_t)n_vocab);
    }
    free(strs);
    free(scores);
    free(types);
    vb_free(&vb);
    return st;
}

static int32_t n_tensors_of(const gl_synth_shape *shape) {
    return 3 + 9 * shape->n_layer;
}

/* The model's tensors, in file order, into ts[n_tensors_of(shape)]; returns the count. */
static int32_t describe_tensors(const gl_synth_shape *shape, glint_type type, uint64_t seed,
                                int n_threads, synth_tensor *ts) {
    /* ne = [in, out] as GGUF stores matrices; norms are [n]. */
    const int64_t n_embd = shape->n_embd, n_ff = shape->n_ff, n_vocab = shape->n_vocab;
    const int64_t n_embd_kv = n_embd / shape->n_head * shape->n_head_kv;
    int32_t nt = 0;
#define ADD(nm_fmt, nm_arg, e0, e1, is_norm)                                                       \
    do {                                                                                           \
        synth_tensor *t_ = &ts[nt++];                                                              \
        snprintf(t_->name, sizeof t_->name, nm_fmt, nm_arg);                                       \
        t_->ne0 = (e0);                                                                            \
        t_->ne1 = (e1);                                                                            \
        t_->type = (is_norm) ? GLINT_TYPE_F32 : type;                                              \
        t_->mean = (is_norm) ? 1.0f : 0.0f;                                                        \
        t_->std = (is_norm) ? 0.05f : 0.02f;                                                       \
        t_->row_size = gl_row_size(t_->type, t_->ne0);                                             \
        t_->seed = mix64(seed ^ mix64(hash_str(t_->name)));                                        \
        t_->n_threads = n_threads;                                                                 \
    } while (0)
    ADD("%s", "token_embd.weight", n_embd, n_vocab, false);
    for (int32_t l = 0; l < shape->n_layer; l++) {
        ADD("blk.%d.attn_norm.weight", (int)l, n_embd, 1, true);
        ADD("blk.%d.attn_q.weight", (int)l, n_embd, n_embd, false);
        ADD("blk.%d.attn_k.weight", (int)l, n_embd, n_embd_kv, false);
        ADD("blk.%d.attn_v.weight", (int)l, n_embd, n_embd_kv, false);
        ADD("blk.%d.attn_output.weight", (int)l, n_embd, n_embd, false);
        ADD("blk.%d.ffn_norm.weight", (int)l, n_embd, 1, true);
        ADD("blk.%d.ffn_gate.weight", (int)l, n_embd, n_ff, false);
        ADD("blk.%d.ffn_up.weight", (int)l, n_embd, n_ff, false);
        ADD("blk.%d.ffn_down.weight", (int)l, n_ff, n_embd, false);
    }
    ADD("%s", "output_norm.weight", n_embd, 1, true);
    ADD("%s", "output.weight", n_embd, n_vocab, false);
#undef ADD
    return nt;
}

glint_status gl_synth_write_threads(const gl_synth_shape *shape, glint_type type, uint64_t seed,
                                    int n_threads, const char *path, gl_err *err) {
    if (!shape || !path)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "synth: no shape or path");
    glint_status st = check_shape(shape, type, err);
    if (st != GLINT_OK) return st;
    if (n_threads <= 0) n_threads = default_threads();
    if (n_threads > SYNTH_MAX_THREADS) n_threads = SYNTH_MAX_THREADS;

    synth_tensor *ts = calloc((size_t)n_tensors_of(shape), sizeof *ts);
    gl_gguf_writer *w = NULL;
    if (!ts) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "synth: out of memory");
    st = gl_gguf_writer_create(&w);
    if (st != GLINT_OK) {
        free(ts);
        return gl_fail(err, st, "synth: cannot create the GGUF writer");
    }

    const int32_t nt = describe_tensors(shape, type, seed, n_threads, ts);

    st = set_keys(w, shape, type, seed);
    if (st != GLINT_OK) gl_fail(err, st, "synth: cannot set the model's keys");
    if (st == GLINT_OK) {
        st = set_vocab(w, shape->n_vocab);
        if (st != GLINT_OK) gl_fail(err, st, "synth: cannot build the vocab");
    }
    for (int32_t i = 0; i < nt && st == GLINT_OK; i++) {
        synth_tensor *t = &ts[i];
        const int64_t ne[2] = {t->ne0, t->ne1};
        st = gl_gguf_writer_add_tensor(w, t->name, t->type, t->ne1 == 1 ? 1 : 2, ne, NULL,
                                       fill_tensor, t);
        if (st != GLINT_OK) gl_fail(err, st, "synth: cannot add tensor '%s'", t->name);
    }
    if (st == GLINT_OK) st = gl_gguf_writer_write(w, path, err);
    gl_gguf_writer_free(w);
    free(ts);
    return st;
}

glint_status gl_synth_write(const gl_synth_shape *shape, glint_type type, uint64_t seed,
                            const char *path, gl_err *err) {
    return gl_synth_write_threads(shape, type, seed, 0, path, err);
}

glint_status gl_synth_tensor_bytes(const gl_synth_shape *shape, glint_type type, uint64_t seed,
                                   const char *name, uint64_t offset, uint64_t size, void *dst,
                                   gl_err *err) {
    if (!shape || !name || (!dst && size))
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "synth: bad argument");
    glint_status st = check_shape(shape, type, err);
    if (st != GLINT_OK) return st;
    synth_tensor *ts = calloc((size_t)n_tensors_of(shape), sizeof *ts);
    if (!ts) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "synth: out of memory");
    const int32_t nt = describe_tensors(shape, type, seed, default_threads(), ts);
    st = gl_fail(err, GLINT_ERROR_NOT_FOUND, "synth: no tensor '%s'", name);
    for (int32_t i = 0; i < nt; i++) {
        if (strcmp(ts[i].name, name) != 0) continue;
        const uint64_t total = ts[i].row_size * (uint64_t)ts[i].ne1;
        if (offset > total || size > total - offset)
            st = gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                         "synth: bytes [%llu, +%llu) outside tensor '%s' of %llu bytes",
                         (unsigned long long)offset, (unsigned long long)size, name,
                         (unsigned long long)total);
        else
            st = fill_tensor(&ts[i], dst, offset, size);
        break;
    }
    free(ts);
    return st;
}

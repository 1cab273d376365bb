/* Synthetic models: write "tiny" in several types, read it back with the GGUF reader and check
 * keys, tensors, weight statistics, the vocab, and that the file depends on the seed only. */
#include "gguf.h"
#include "synth.h"
#include "test_util.h"
#include "tokenizer/vocab.h"
#include "types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const glint_type k_types[] = {GLINT_TYPE_F32, GLINT_TYPE_F16, GLINT_TYPE_Q8_0,
                                     GLINT_TYPE_Q4_0, GLINT_TYPE_Q4_K};

static void tmp_path(char *buf, size_t cap, const char *what) {
    snprintf(buf, cap, "%s/synth-%s.gguf", GLINT_TEST_TMP, what);
}

static void check_u32(const gl_gguf *g, const char *key, uint32_t want) {
    uint32_t v = 0;
    gl_err e = {{0}};
    glint_status st = gl_gguf_get_u32(g, key, &v, &e);
    CHECK_MSG(st == GLINT_OK && v == want, "%s: status %s, value %u, want %u (%s)", key,
              glint_status_string(st), v, want, e.msg);
}

static void check_str(const gl_gguf *g, const char *key, const char *want) {
    gl_str v = {0};
    gl_err e = {{0}};
    glint_status st = gl_gguf_get_str(g, key, &v, &e);
    CHECK_MSG(st == GLINT_OK && v.len == strlen(want) && memcmp(v.ptr, want, v.len) == 0,
              "%s: status %s, value '%.*s', want '%s'", key, glint_status_string(st), (int)v.len,
              v.ptr ? v.ptr : "", want);
}

static bool str_is(gl_str s, const char *want) {
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void check_keys(const gl_gguf *g, glint_type type) {
    check_str(g, "general.architecture", "llama");
    check_u32(g, "general.file_type", (uint32_t)gl_synth_file_type(type));
    const bool quant = gl_type_get(type)->is_quantized;
    if (quant)
        check_u32(g, "general.quantization_version", 2);
    else
        CHECK_MSG(gl_gguf_find_key(g, "general.quantization_version") < 0,
                  "%s: quantization_version present", glint_type_name(type));
    check_u32(g, "llama.vocab_size", 512);
    check_u32(g, "llama.context_length", 512);
    check_u32(g, "llama.embedding_length", 256);
    check_u32(g, "llama.block_count", 4);
    check_u32(g, "llama.feed_forward_length", 768);
    check_u32(g, "llama.attention.head_count", 4);
    check_u32(g, "llama.attention.head_count_kv", 2);
    check_u32(g, "llama.rope.dimension_count", 64);
    float f = 0;
    CHECK_STATUS(gl_gguf_get_f32(g, "llama.rope.freq_base", &f, NULL), GLINT_OK);
    CHECK_NEAR(f, 10000.0, 0);
    CHECK_STATUS(gl_gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &f, NULL), GLINT_OK);
    CHECK_NEAR(f, 1e-5, 1e-12);
    check_str(g, "tokenizer.ggml.model", "llama");
    check_u32(g, "tokenizer.ggml.unknown_token_id", 0);
    check_u32(g, "tokenizer.ggml.bos_token_id", 1);
    check_u32(g, "tokenizer.ggml.eos_token_id", 2);
    bool b = false;
    CHECK_STATUS(gl_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b, NULL), GLINT_OK);
    CHECK(b);
}

/* A valid SentencePiece vocab: specials, 256 byte tokens, then unique printable pieces with
 * non-increasing scores. */
static void check_vocab(const gl_gguf *g, int32_t n_vocab) {
    const int64_t kt = gl_gguf_find_key(g, "tokenizer.ggml.tokens");
    const int64_t ks = gl_gguf_find_key(g, "tokenizer.ggml.scores");
    const int64_t ky = gl_gguf_find_key(g, "tokenizer.ggml.token_type");
    CHECK(kt >= 0 && ks >= 0 && ky >= 0);
    if (kt < 0 || ks < 0 || ky < 0) return;
    CHECK_EQ_INT(gl_gguf_kv_arr_type(g, kt), GL_GGUF_STRING);
    CHECK_EQ_INT(gl_gguf_kv_arr_type(g, ks), GL_GGUF_FLOAT32);
    CHECK_EQ_INT(gl_gguf_kv_arr_type(g, ky), GL_GGUF_INT32);
    CHECK_EQ_INT(gl_gguf_kv_arr_n(g, kt), n_vocab);
    CHECK_EQ_INT(gl_gguf_kv_arr_n(g, ks), n_vocab);
    CHECK_EQ_INT(gl_gguf_kv_arr_n(g, ky), n_vocab);
    if (gl_gguf_kv_arr_n(g, kt) != (uint64_t)n_vocab ||
        gl_gguf_kv_arr_n(g, ks) != (uint64_t)n_vocab ||
        gl_gguf_kv_arr_n(g, ky) != (uint64_t)n_vocab)
        return;
    float *scores = malloc((size_t)n_vocab * sizeof *scores);
    int32_t *types = malloc((size_t)n_vocab * sizeof *types);
    memcpy(scores, gl_gguf_kv_arr_data(g, ks), (size_t)n_vocab * sizeof *scores);
    memcpy(types, gl_gguf_kv_arr_data(g, ky), (size_t)n_vocab * sizeof *types);

    CHECK(str_is(gl_gguf_kv_arr_str(g, kt, 0), "<unk>"));
    CHECK(str_is(gl_gguf_kv_arr_str(g, kt, 1), "<s>"));
    CHECK(str_is(gl_gguf_kv_arr_str(g, kt, 2), "</s>"));
    CHECK_EQ_INT(types[0], 2);
    CHECK_EQ_INT(types[1], 3);
    CHECK_EQ_INT(types[2], 3);
    int bad_bytes = 0;
    for (int b = 0; b < 256; b++) {
        char want[8];
        snprintf(want, sizeof want, "<0x%02X>", b);
        if (!str_is(gl_gguf_kv_arr_str(g, kt, 3 + (uint64_t)b), want) || types[3 + b] != 6)
            bad_bytes++;
    }
    CHECK_EQ_INT(bad_bytes, 0);
    /* pieces: "▁" (e2 96 81) or printable ASCII only, unique, type normal, scores falling */
    int bad_chars = 0, bad_type = 0, bad_order = 0, dups = 0, words = 0;
    for (int32_t i = 259; i < n_vocab; i++) {
        gl_str s = gl_gguf_kv_arr_str(g, kt, (uint64_t)i);
        if (s.len == 0) bad_chars++;
        for (uint64_t j = 0; j < s.len; j++) {
            const unsigned char c = (unsigned char)s.ptr[j];
            if (c == 0xe2 && j + 2 < s.len && (unsigned char)s.ptr[j + 1] == 0x96 &&
                (unsigned char)s.ptr[j + 2] == 0x81) {
                j += 2;
                continue;
            }
            if (c < 0x20 || c > 0x7e) bad_chars++;
        }
        if (s.len > 3 && (unsigned char)s.ptr[0] == 0xe2) words++;
        if (types[i] != 1) bad_type++;
        if (i > 259 && !(scores[i] < scores[i - 1])) bad_order++;
        for (int32_t k = 259; k < i; k++) { /* O(n^2) is fine for 512 */
            gl_str o = gl_gguf_kv_arr_str(g, kt, (uint64_t)k);
            if (o.len == s.len && memcmp(o.ptr, s.ptr, s.len) == 0) dups++;
        }
    }
    CHECK_EQ_INT(bad_chars, 0);
    CHECK_EQ_INT(bad_type, 0);
    CHECK_EQ_INT(bad_order, 0);
    CHECK_EQ_INT(dups, 0);
    CHECK_MSG(words > 100, "only %d word pieces", words);
    CHECK(str_is(gl_gguf_kv_arr_str(g, kt, 259), "\xe2\x96\x81"));
    /* "▁the" is the first word piece */
    bool has_the = false;
    for (int32_t i = 259; i < n_vocab; i++)
        has_the |= str_is(gl_gguf_kv_arr_str(g, kt, (uint64_t)i), "\xe2\x96\x81the");
    CHECK(has_the);
    free(scores);
    free(types);
}

/* The tokenizer takes the vocab: special ids, text round trip, readable pieces. */
static void check_tokenizer(const gl_gguf *g, int32_t n_vocab) {
    gl_vocab *v = NULL;
    gl_err e = {{0}};
    glint_status st = gl_vocab_load(g, &v, &e);
    CHECK_MSG(st == GLINT_OK, "gl_vocab_load: %s: %s", glint_status_string(st), e.msg);
    if (st != GLINT_OK) return;
    CHECK_EQ_INT(gl_vocab_n_tokens(v), n_vocab);
    CHECK_EQ_INT(gl_vocab_bos(v), 1);
    CHECK_EQ_INT(gl_vocab_eos(v), 2);
    CHECK(gl_vocab_add_bos(v));
    CHECK(gl_vocab_is_eog(v, 2));
    CHECK(strcmp(gl_vocab_model_name(v), "llama") == 0);

    const char *text = "Once upon a time, there was a little cat.\nIt said: \"hi\" @ 42!";
    int32_t ids[256];
    size_t n = 0;
    st = gl_vocab_tokenize(v, text, strlen(text), true, false, ids, 256, &n);
    CHECK_STATUS(st, GLINT_OK);
    CHECK(n > 2 && n < 64 && ids[0] == 1);
    /* whole words are single tokens */
    int32_t the = gl_vocab_find(v, "\xe2\x96\x81the", 6);
    CHECK(the > 258);
    size_t n_the = 0;
    int32_t the_ids[4];
    CHECK_STATUS(gl_vocab_tokenize(v, "the", 3, false, false, the_ids, 4, &n_the), GLINT_OK);
    CHECK_MSG(n_the == 1 && the_ids[0] == the, "\"the\" -> %zu tokens, first %d, want [%d]", n_the,
              n_the ? the_ids[0] : -1, the);
    /* detokenizes back to the text (with SentencePiece's leading space) */
    char out[512];
    size_t o = 0;
    for (size_t i = 1; i < n && st == GLINT_OK; i++) {
        size_t len = 0;
        st = gl_vocab_token_to_piece(v, ids[i], false, out + o, sizeof out - 1 - o, &len);
        o += len;
    }
    out[o] = 0;
    CHECK_MSG(st == GLINT_OK && o == strlen(text) + 1 && out[0] == ' ' &&
                  strcmp(out + 1, text) == 0,
              "round trip gave '%s'", out);
    /* every normal token renders as printable ASCII, so random ids read as text */
    int bad = 0;
    for (int32_t t = 259; t < n_vocab; t++) {
        char piece[64];
        size_t len = 0;
        if (gl_vocab_token_to_piece(v, t, false, piece, sizeof piece, &len) != GLINT_OK ||
            len == 0) {
            bad++;
            continue;
        }
        for (size_t j = 0; j < len; j++) bad += piece[j] < 0x20 || piece[j] > 0x7e;
    }
    CHECK_EQ_INT(bad, 0);
    gl_vocab_free(v);
}

typedef struct want_tensor {
    char name[64];
    int64_t ne0, ne1;
    bool norm;
} want_tensor;

static void want(want_tensor *w, int *n, const char *name, int64_t ne0, int64_t ne1, bool norm) {
    snprintf(w[*n].name, sizeof w[*n].name, "%s", name);
    w[*n].ne0 = ne0;
    w[*n].ne1 = ne1;
    w[*n].norm = norm;
    (*n)++;
}

/* The tiny model's tensors: ne = [in, out]. */
static int want_tensors(want_tensor *w) {
    int n = 0;
    char nm[64];
    want(w, &n, "token_embd.weight", 256, 512, false);
    static const struct {
        const char *what;
        int64_t ne0, ne1;
        bool norm;
    } layer[] = {
        {"attn_norm", 256, 1, true},      {"attn_q", 256, 256, false},
        {"attn_k", 256, 128, false},      {"attn_v", 256, 128, false},
        {"attn_output", 256, 256, false}, {"ffn_norm", 256, 1, true},
        {"ffn_gate", 256, 768, false},    {"ffn_up", 256, 768, false},
        {"ffn_down", 768, 256, false},
    };
    for (int l = 0; l < 4; l++) {
        for (size_t k = 0; k < GL_ARRAY_LEN(layer); k++) {
            snprintf(nm, sizeof nm, "blk.%d.%s.weight", l, layer[k].what);
            want(w, &n, nm, layer[k].ne0, layer[k].ne1, layer[k].norm);
        }
    }
    want(w, &n, "output_norm.weight", 256, 1, true);
    want(w, &n, "output.weight", 256, 512, false);
    return n;
}

/* Dequantized values of a tensor; caller frees. */
static float *dequant(const gl_gguf_tensor *t) {
    const int64_t n = t->ne[0] * t->ne[1];
    float *y = malloc((size_t)n * sizeof *y);
    const gl_type_traits *tr = gl_type_get(t->type);
    if (!y || !tr || !tr->to_float) {
        if (t->type == GLINT_TYPE_F32 && y) {
            memcpy(y, t->data, (size_t)n * sizeof *y);
            return y;
        }
        CHECK_MSG(0, "%s: no dequantizer for %s", t->name, glint_type_name(t->type));
        free(y);
        return NULL;
    }
    tr->to_float(t->data, y, n);
    return y;
}

/* f32 values of every tensor of the f32 file, to compare the other types with. */
static float *g_ref[64];

static void check_tensors(const gl_gguf *g, glint_type type) {
    want_tensor w[64];
    const int n = want_tensors(w);
    CHECK_EQ_INT(gl_gguf_n_tensors(g), n);
    for (int i = 0; i < n; i++) {
        const gl_gguf_tensor *t = gl_gguf_find_tensor(g, w[i].name);
        CHECK_MSG(t != NULL, "%s: tensor %s missing", glint_type_name(type), w[i].name);
        if (!t) continue;
        const glint_type want_type = w[i].norm ? GLINT_TYPE_F32 : type;
        CHECK_MSG(t->type == want_type && t->n_dims == (w[i].norm ? 1u : 2u) &&
                      t->ne[0] == w[i].ne0 && t->ne[1] == w[i].ne1,
                  "%s: %s is %s %u-d [%lld, %lld], want %s [%lld, %lld]", glint_type_name(type),
                  w[i].name, glint_type_name(t->type), t->n_dims, (long long)t->ne[0],
                  (long long)t->ne[1], glint_type_name(want_type), (long long)w[i].ne0,
                  (long long)w[i].ne1);
        const uint64_t want_size = gl_row_size(want_type, w[i].ne0) * (uint64_t)w[i].ne1;
        CHECK_MSG(t->size == want_size, "%s: %s has %llu bytes, want %llu", glint_type_name(type),
                  w[i].name, (unsigned long long)t->size, (unsigned long long)want_size);
        if (t->type != want_type || t->size != want_size) continue;

        float *y = dequant(t);
        if (!y) continue;
        const int64_t m = w[i].ne0 * w[i].ne1;
        double sum = 0, sumsq = 0;
        for (int64_t j = 0; j < m; j++) sum += y[j];
        const double mean = sum / (double)m;
        for (int64_t j = 0; j < m; j++) sumsq += (y[j] - mean) * (y[j] - mean);
        const double std = sqrt(sumsq / (double)m);
        const double want_mean = w[i].norm ? 1.0 : 0.0, want_std = w[i].norm ? 0.05 : 0.02;
        /* 5 standard errors of the mean; the spread within 3% (norms: 256 values, 20%) */
        const double tol_mean = 5.0 * want_std / sqrt((double)m);
        CHECK_MSG(fabs(mean - want_mean) <= tol_mean, "%s: %s mean %.6f, want %.3f +- %.6f",
                  glint_type_name(type), w[i].name, mean, want_mean, tol_mean);
        CHECK_MSG(fabs(std / want_std - 1.0) <= (w[i].norm ? 0.2 : 0.03),
                  "%s: %s std %.6f, want %.3f", glint_type_name(type), w[i].name, std, want_std);

        /* The same seed gives the same underlying weights in every type: the quantization
         * error against the f32 file stays within what the type can do. */
        if (type == GLINT_TYPE_F32 || w[i].norm) {
            if (type == GLINT_TYPE_F32) {
                free(g_ref[i]);
                g_ref[i] = y;
                y = NULL;
            } else if (g_ref[i]) {
                CHECK_MSG(memcmp(y, g_ref[i], (size_t)m * sizeof *y) == 0,
                          "%s: norm %s differs from the f32 file", glint_type_name(type),
                          w[i].name);
            }
        } else if (g_ref[i]) {
            double err2 = 0;
            for (int64_t j = 0; j < m; j++) err2 += (y[j] - g_ref[i][j]) * (y[j] - g_ref[i][j]);
            const double rel = sqrt(err2 / (double)m) / want_std;
            /* relative rms error: f16 ~3e-4, q8_0 ~5e-3, q4_0 ~0.1, q4_k ~0.08 */
            const double lim = type == GLINT_TYPE_F16    ? 1e-3
                               : type == GLINT_TYPE_Q8_0 ? 0.015
                                                         : 0.2;
            CHECK_MSG(rel <= lim && rel > 0, "%s: %s rms error vs f32 = %.5f of std, limit %g",
                      glint_type_name(type), w[i].name, rel, lim);
        }
        free(y);
    }
}

static void test_types(void) {
    for (size_t ti = 0; ti < GL_ARRAY_LEN(k_types); ti++) {
        const glint_type type = k_types[ti];
        char path[1024];
        tmp_path(path, sizeof path, glint_type_name(type));
        gl_err e = {{0}};
        glint_status st = gl_synth_write(gl_synth_shape_find("tiny"), type, 1, path, &e);
        CHECK_MSG(st == GLINT_OK, "write tiny %s: %s: %s", glint_type_name(type),
                  glint_status_string(st), e.msg);
        if (st != GLINT_OK) continue;
        gl_gguf *g = NULL;
        st = gl_gguf_open(path, &g, &e);
        CHECK_MSG(st == GLINT_OK, "open tiny %s: %s: %s", glint_type_name(type),
                  glint_status_string(st), e.msg);
        if (st != GLINT_OK) continue;
        CHECK_EQ_INT(gl_gguf_version(g), 3);
        check_keys(g, type);
        check_tensors(g, type);
        if (ti == 0) {
            check_vocab(g, 512);
            check_tokenizer(g, 512);
        }
        /* gl_synth_tensor_bytes gives the stored bytes, for arbitrary pieces too */
        const gl_gguf_tensor *t = gl_gguf_find_tensor(g, "blk.1.ffn_down.weight");
        if (t) {
            uint8_t *buf = malloc(t->size);
            uint64_t rs = 3 + ti;
            int bad = 0;
            for (int k = 0; k < 20 && buf; k++) {
                uint64_t off = gl_test_rand(&rs) % t->size;
                uint64_t len = 1 + gl_test_rand(&rs) % (t->size - off);
                if (k == 0) off = 0, len = t->size;
                memset(buf, 0xa5, len);
                st = gl_synth_tensor_bytes(gl_synth_shape_find("tiny"), type, 1,
                                           "blk.1.ffn_down.weight", off, len, buf, &e);
                if (st != GLINT_OK || memcmp(buf, (const uint8_t *)t->data + off, len) != 0) {
                    bad++;
                    fprintf(stderr, "piece [%llu, +%llu): %s %s\n", (unsigned long long)off,
                            (unsigned long long)len, glint_status_string(st), e.msg);
                }
            }
            CHECK_MSG(bad == 0, "%s: %d pieces differ from the file", glint_type_name(type), bad);
            free(buf);
        }
        gl_gguf_close(g);
        remove(path);
    }
}

static bool same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    char *da = gl_test_read_file(a, &na), *db = gl_test_read_file(b, &nb);
    const bool same = da && db && na == nb && memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return same;
}

static void test_determinism(void) {
    const gl_synth_shape *tiny = gl_synth_shape_find("tiny");
    char a[1024], b[1024], c[1024];
    tmp_path(a, sizeof a, "det-a");
    tmp_path(b, sizeof b, "det-b");
    tmp_path(c, sizeof c, "det-c");
    gl_err e = {{0}};
    CHECK_STATUS(gl_synth_write_threads(tiny, GLINT_TYPE_Q4_0, 7, 1, a, &e), GLINT_OK);
    CHECK_STATUS(gl_synth_write_threads(tiny, GLINT_TYPE_Q4_0, 7, 3, b, &e), GLINT_OK);
    CHECK_STATUS(gl_synth_write_threads(tiny, GLINT_TYPE_Q4_0, 8, 3, c, &e), GLINT_OK);
    CHECK_MSG(same_file(a, b), "seed 7 with 1 and 3 threads: files differ");
    CHECK_MSG(!same_file(a, c), "seeds 7 and 8 gave the same file");
    remove(a);
    remove(b);
    remove(c);
}

static void test_shapes_and_errors(void) {
    const gl_synth_shape *s = gl_synth_shape_find("110m");
    CHECK(s && s->n_embd == 768 && s->n_layer == 12 && s->n_head == 12 && s->n_head_kv == 12 &&
          s->n_ff == 2048 && s->n_vocab == 32000 && s->n_ctx == 1024);
    s = gl_synth_shape_find("1b");
    CHECK(s && s->n_embd == 2048 && s->n_layer == 22 && s->n_head == 32 && s->n_head_kv == 4 &&
          s->n_ff == 5632 && s->n_vocab == 32000 && s->n_ctx == 2048);
    s = gl_synth_shape_find("tiny");
    CHECK(s && s->n_embd == 256 && s->n_layer == 4 && s->n_head == 4 && s->n_head_kv == 2 &&
          s->n_ff == 768 && s->n_vocab == 512 && s->n_ctx == 512);
    CHECK(gl_synth_shape_find("7b") == NULL);
    CHECK(gl_synth_shape_find(NULL) == NULL);

    char path[1024];
    tmp_path(path, sizeof path, "bad");
    gl_err e = {{0}};
    gl_synth_shape odd = {"odd", 96, 1, 2, 1, 96, 300, 64}; /* 96 is not a multiple of 256 */
    CHECK_STATUS(gl_synth_write(&odd, GLINT_TYPE_Q4_K, 1, path, &e), GLINT_ERROR_UNSUPPORTED);
    CHECK_MSG(strstr(e.msg, "block size") != NULL, "message: %s", e.msg);
    CHECK_STATUS(gl_synth_write(gl_synth_shape_find("tiny"), GLINT_TYPE_I32, 1, path, &e),
                 GLINT_ERROR_UNSUPPORTED);
    gl_synth_shape small_vocab = {"v", 64, 1, 2, 1, 64, 100, 64};
    CHECK_STATUS(gl_synth_write(&small_vocab, GLINT_TYPE_F32, 1, path, &e),
                 GLINT_ERROR_INVALID_ARGUMENT);
    gl_synth_shape bad_heads = {"h", 64, 1, 3, 1, 64, 300, 64};
    CHECK_STATUS(gl_synth_write(&bad_heads, GLINT_TYPE_F32, 1, path, &e),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_synth_write(NULL, GLINT_TYPE_F32, 1, path, &e), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_synth_tensor_bytes(gl_synth_shape_find("tiny"), GLINT_TYPE_F32, 1, "nope", 0, 0,
                                       NULL, &e),
                 GLINT_ERROR_NOT_FOUND);
    /* a custom shape with a vocab beyond the generated pieces still gets unique pieces */
    gl_synth_shape big_vocab = {"bv", 64, 1, 2, 1, 64, 40000, 64};
    CHECK_STATUS(gl_synth_write(&big_vocab, GLINT_TYPE_F16, 1, path, &e), GLINT_OK);
    gl_gguf *g = NULL;
    if (gl_gguf_open(path, &g, &e) == GLINT_OK) {
        const int64_t kt = gl_gguf_find_key(g, "tokenizer.ggml.tokens");
        CHECK(kt >= 0 && gl_gguf_kv_arr_n(g, kt) == 40000);
        gl_gguf_close(g);
    } else {
        CHECK_MSG(0, "open big vocab: %s", e.msg);
    }
    remove(path);
}

int main(void) {
    test_shapes_and_errors();
    test_types();
    test_determinism();
    for (size_t i = 0; i < GL_ARRAY_LEN(g_ref); i++) free(g_ref[i]);
    return gl_test_finish("test_synth");
}

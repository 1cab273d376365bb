/* glint_model_quantize: llama-f32.gguf quantized by Glint against the same master quantized
 * by llama-quantize (models/synthetic): q8_0 tensors byte for byte, q4_0 likewise except where
 * llama-quantize chose another type (output.weight in q6_k), f16 byte for byte; the keys
 * copied and general.file_type set; teacher-forced logits of the quantized files within the
 * README tolerance of the goldens; tensors larger than one writer piece (pieces that start
 * inside a row); bad input refused with a status and a message, no file left behind. */
#include "glint.h"
#include "gguf.h"
#include "synth.h"
#include "test_util.h"
#include "types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Compares every tensor of `ours` with the same-named one of `ref`. Tensors where `ref` has
 * another type are llama-quantize's own choices: they are counted in *n_other and must be
 * `type` (or f32 for 1-D) on our side. */
static void compare_files(const char *ours_path, const char *ref_path, glint_type type, int *n_same,
                          int *n_other) {
    gl_err err = {{0}};
    gl_gguf *a = NULL, *b = NULL;
    *n_same = *n_other = 0;
    CHECK_STATUS(gl_gguf_open(ours_path, &a, &err), GLINT_OK);
    CHECK_STATUS(gl_gguf_open(ref_path, &b, &err), GLINT_OK);
    if (!a || !b) goto done;
    CHECK_EQ_INT(gl_gguf_n_tensors(a), gl_gguf_n_tensors(b));
    for (int64_t i = 0; i < gl_gguf_n_tensors(a); i++) {
        const gl_gguf_tensor *ta = gl_gguf_tensor_at(a, i);
        const gl_gguf_tensor *tb = gl_gguf_find_tensor(b, ta->name);
        CHECK_MSG(tb != NULL, "%s: tensor '%s' not in %s", ours_path, ta->name, ref_path);
        if (!tb) continue;
        CHECK_MSG(ta->n_dims == tb->n_dims && ta->ne[0] == tb->ne[0] && ta->ne[1] == tb->ne[1],
                  "%s: shape %lldx%lld, reference %lldx%lld", ta->name, (long long)ta->ne[0],
                  (long long)ta->ne[1], (long long)tb->ne[0], (long long)tb->ne[1]);
        const glint_type want = ta->n_dims == 1 ? GLINT_TYPE_F32 : type;
        CHECK_MSG(ta->type == want, "%s: type %s, want %s", ta->name, glint_type_name(ta->type),
                  glint_type_name(want));
        if (ta->type != tb->type) {
            (*n_other)++;
            continue;
        }
        uint64_t diff = 0;
        const uint8_t *pa = ta->data, *pb = tb->data;
        for (uint64_t k = 0; k < ta->size && ta->size == tb->size; k++) diff += pa[k] != pb[k];
        CHECK_MSG(ta->size == tb->size && diff == 0, "%s (%s): %llu of %llu bytes differ", ta->name,
                  glint_type_name(ta->type), (unsigned long long)diff,
                  (unsigned long long)ta->size);
        (*n_same)++;
    }
    /* the keys: copied, file type and quantization version as llama-quantize writes them */
    uint32_t ft_a = 99, ft_b = 98, qv_a = 0, qv_b = 0;
    CHECK_STATUS(gl_gguf_get_u32(a, "general.file_type", &ft_a, &err), GLINT_OK);
    CHECK_STATUS(gl_gguf_get_u32(b, "general.file_type", &ft_b, &err), GLINT_OK);
    CHECK_MSG(ft_a == ft_b, "%s: general.file_type %u, llama-quantize %u", ours_path, ft_a, ft_b);
    if (gl_type_get(type)->is_quantized) {
        CHECK_STATUS(gl_gguf_get_u32(a, "general.quantization_version", &qv_a, &err), GLINT_OK);
        CHECK_STATUS(gl_gguf_get_u32(b, "general.quantization_version", &qv_b, &err), GLINT_OK);
        CHECK_EQ_INT(qv_a, qv_b);
    }
    const char *keys[] = {"general.name", "tokenizer.ggml.tokens", "llama.context_length",
                          "llama.rope.freq_base"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const int64_t ia = gl_gguf_find_key(a, keys[k]), ib = gl_gguf_find_key(b, keys[k]);
        CHECK_MSG(ia >= 0 && ib >= 0, "key %s: ours %lld, reference %lld", keys[k], (long long)ia,
                  (long long)ib);
        if (ia < 0 || ib < 0) continue;
        gl_str ra = gl_gguf_kv_raw(a, ia), rb = gl_gguf_kv_raw(b, ib);
        CHECK_MSG(ra.len == rb.len && memcmp(ra.ptr, rb.ptr, ra.len) == 0,
                  "key %s differs (%llu vs %llu bytes)", keys[k], (unsigned long long)ra.len,
                  (unsigned long long)rb.len);
    }
done:
    gl_gguf_close(a);
    gl_gguf_close(b);
}

/* The golden's first positions teacher-forced through `path`; max |dlogit| over the golden's
 * top-10 ids. */
static double teacher_force(glint_runtime *rt, const char *path, const char *golden_path,
                            int n_pos) {
    size_t size;
    char *text = gl_test_read_file(golden_path, &size);
    CHECK_MSG(text != NULL, "cannot read %s", golden_path);
    glint_model *m = NULL;
    glint_session *s = NULL;
    double maxd = -1;
    if (!text) return maxd;
    CHECK_STATUS(glint_model_load(rt, path, NULL, &m), GLINT_OK);
    glint_session_params sp = glint_session_default_params();
    sp.kv_type = GLINT_TYPE_F32;
    if (m) CHECK_STATUS(glint_session_create(m, &sp, &s), GLINT_OK);
    int done = 0;
    for (char *line = strtok(text, "\n"); line && s && done < n_pos; line = strtok(NULL, "\n")) {
        const char *p = strstr(line, "{\"pos\":");
        if (!p || strstr(line, "prefill")) continue;
        int32_t tok = (int32_t)strtol(strstr(line, "\"token\":") + 8, NULL, 10);
        CHECK_STATUS(glint_session_decode(s, &tok, 1), GLINT_OK);
        const float *lg = NULL;
        CHECK_STATUS(glint_session_get_logits(s, -1, &lg), GLINT_OK);
        p = strstr(line, "\"top\":[") + 7;
        for (int i = 0; i < 10 && lg; i++) {
            p = strchr(p, '[');
            char *end;
            const long id = strtol(p + 1, &end, 10);
            const double v = strtod(end + 1, &end);
            p = end;
            maxd = fmax(maxd, fabs((double)lg[id] - v));
        }
        done++;
    }
    CHECK_MSG(done == n_pos, "%s: %d golden positions read, want %d", golden_path, done, n_pos);
    glint_session_free(s);
    glint_model_free(m);
    free(text);
    return maxd;
}

static bool file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* A model whose token_embd converts to more than one 16 MiB writer piece, with rows of 1280
 * bytes so that pieces start inside rows: f16 -> f32 must reproduce every value. */
static void check_pieces(const char *tmp) {
    const gl_synth_shape shape = {"pieces", 320, 1, 4, 2, 640, 14000, 64};
    char src[1024], dst[1024], msg[512];
    snprintf(src, sizeof src, "%s/quantize-pieces-f16.gguf", tmp);
    snprintf(dst, sizeof dst, "%s/quantize-pieces-f32.gguf", tmp);
    gl_err err = {{0}};
    CHECK_STATUS(gl_synth_write(&shape, GLINT_TYPE_F16, 3, src, &err), GLINT_OK);
    CHECK_STATUS(glint_model_quantize(src, dst, GLINT_TYPE_F32, msg, sizeof msg), GLINT_OK);
    gl_gguf *a = NULL, *b = NULL;
    CHECK_STATUS(gl_gguf_open(src, &a, &err), GLINT_OK);
    CHECK_STATUS(gl_gguf_open(dst, &b, &err), GLINT_OK);
    for (int64_t i = 0; a && b && i < gl_gguf_n_tensors(a); i++) {
        const gl_gguf_tensor *ta = gl_gguf_tensor_at(a, i);
        const gl_gguf_tensor *tb = gl_gguf_find_tensor(b, ta->name);
        CHECK_MSG(tb && tb->type == GLINT_TYPE_F32, "%s: missing or not f32", ta->name);
        if (!tb || tb->type != GLINT_TYPE_F32) continue;
        const int64_t n = ta->ne[0] * ta->ne[1];
        int64_t bad = 0, first = -1;
        for (int64_t k = 0; k < n; k++) {
            const float want = ta->type == GLINT_TYPE_F16
                                   ? gl_fp16_to_f32(((const gl_fp16 *)ta->data)[k])
                                   : ((const float *)ta->data)[k];
            if (((const float *)tb->data)[k] != want && bad++ == 0) first = k;
        }
        CHECK_MSG(bad == 0, "%s (%lld values, %llu bytes out): %lld differ, first at %lld",
                  ta->name, (long long)n, (unsigned long long)tb->size, (long long)bad,
                  (long long)first);
    }
    const gl_gguf_tensor *big = b ? gl_gguf_find_tensor(b, "token_embd.weight") : NULL;
    CHECK_MSG(big && big->size > (16u << 20) && (16u << 20) % (uint64_t)(big->ne[0] * 4) != 0,
              "token_embd is %llu bytes: the test needs more than one piece",
              big ? (unsigned long long)big->size : 0ull);
    gl_gguf_close(a);
    gl_gguf_close(b);
    unlink(src);
    unlink(dst);
}

int main(void) {
    char f32[1024], f16[1024], q8[1024], q4[1024];
    if (!gl_test_model_path("synthetic/llama-f32.gguf", f32, sizeof f32) ||
        !gl_test_model_path("synthetic/llama-f16.gguf", f16, sizeof f16) ||
        !gl_test_model_path("synthetic/llama-q8_0.gguf", q8, sizeof q8) ||
        !gl_test_model_path("synthetic/llama-q4_0.gguf", q4, sizeof q4))
        return GL_TEST_SKIP;
    const char *tmp = GLINT_TEST_TMP;
    char out[1024], golden[1100], msg[512];
    int n_same, n_other;
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = 2;
    glint_runtime *rt = NULL;
    if (glint_runtime_create(&rp, &rt) != GLINT_OK) return 1;

    /* {type, llama-quantize's file, tensors it put in another type, teacher-force tol} */
    const struct {
        glint_type type;
        const char *ref;
        int other;
        double tol;
    } cases[] = {
        {GLINT_TYPE_Q8_0, q8, 0, 4e-2},
        /* output.weight is q4_0 here, q6_k there (measured 5.4e-2): looser than the README's 4e-2
         * for files with the same weights, far below what a wrong block would give */
        {GLINT_TYPE_Q4_0, q4, 1, 1e-1},
        {GLINT_TYPE_F16, f16, 0, 2e-3},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *tn = glint_type_name(cases[c].type);
        snprintf(out, sizeof out, "%s/quantize-llama-%s.gguf", tmp, tn);
        glint_status st = glint_model_quantize(f32, out, cases[c].type, msg, sizeof msg);
        CHECK_MSG(st == GLINT_OK, "quantize to %s: %s (%s)", tn, msg, glint_status_string(st));
        if (st != GLINT_OK) continue;
        compare_files(out, cases[c].ref, cases[c].type, &n_same, &n_other);
        printf("%-5s %d tensors byte-identical with llama-quantize, %d of another type there\n", tn,
               n_same, n_other);
        CHECK_MSG(n_other == cases[c].other, "%s: %d tensors of another type, want %d", tn, n_other,
                  cases[c].other);
        CHECK_MSG(n_same >= 30, "%s: only %d tensors compared", tn, n_same);
        if (cases[c].tol > 0) {
            snprintf(golden, sizeof golden, "%s.golden.jsonl", cases[c].ref);
            const double d = teacher_force(rt, out, golden, 12);
            printf("%-5s teacher-forced 12 positions: max |dlogit| %.2e vs golden (tol %.0e)\n", tn,
                   d, cases[c].tol);
            CHECK_MSG(d >= 0 && d <= cases[c].tol, "%s: max |dlogit| %.3g > %.3g", tn, d,
                      cases[c].tol);
        }
        unlink(out);
    }

    /* An f16 source quantizes too (and loads). */
    snprintf(out, sizeof out, "%s/quantize-from-f16-q4_k.gguf", tmp);
    CHECK_STATUS(glint_model_quantize(f16, out, GLINT_TYPE_Q4_K, msg, sizeof msg), GLINT_OK);
    glint_model *m = NULL;
    CHECK_MSG(glint_model_load(rt, out, NULL, &m) == GLINT_OK, "%s: %s", out,
              glint_runtime_last_error(rt));
    glint_model_info info = {0};
    if (m) glint_model_get_info(m, &info);
    CHECK_MSG(info.main_type == GLINT_TYPE_Q4_K, "main type %s",
              glint_type_name(info.main_type) ? glint_type_name(info.main_type) : "?");
    glint_model_free(m);
    unlink(out);

    check_pieces(tmp);

    /* Bad input: a clear status, a message, no output file. */
    snprintf(out, sizeof out, "%s/quantize-bad.gguf", tmp);
    unlink(out);
    const struct {
        const char *in;
        glint_type type;
        glint_status want;
        const char *says;
    } bad[] = {
        {q8, GLINT_TYPE_Q4_0, GLINT_ERROR_UNSUPPORTED, "f32, f16 or bf16"},
        {f32, GLINT_TYPE_Q8_K, GLINT_ERROR_UNSUPPORTED, "(15)"},
        {f32, GLINT_TYPE_I32, GLINT_ERROR_UNSUPPORTED, "i32"},
        {f32, (glint_type)77, GLINT_ERROR_UNSUPPORTED, "unknown"},
        {"/nonexistent/model.gguf", GLINT_TYPE_Q4_0, GLINT_ERROR_IO, "nonexistent"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg[0] = 0;
        const glint_status st = glint_model_quantize(bad[i].in, out, bad[i].type, msg, sizeof msg);
        CHECK_MSG(st == bad[i].want && strstr(msg, bad[i].says) && !file_exists(out),
                  "case %zu: %s (%s), want %s and a message with '%s'", i, glint_status_string(st),
                  msg, glint_status_string(bad[i].want), bad[i].says);
    }
    CHECK_STATUS(glint_model_quantize(NULL, out, GLINT_TYPE_Q4_0, NULL, 0),
                 GLINT_ERROR_INVALID_ARGUMENT);

    glint_runtime_free(rt);
    return gl_test_finish("test_quantize");
}

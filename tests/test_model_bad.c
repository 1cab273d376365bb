/* Bad models and bad calls: each gives a clear status and a message naming the problem, and
 * nothing crashes. Variants of stories260K are written with Glint's GGUF writer. */
#include "glint.h"
#include "gguf.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct variant {
    const char *what;
    const char *set_key;   /* a u32 key to overwrite, or NULL */
    uint32_t set_val;
    const char *arch;      /* general.architecture to write, or NULL */
    const char *drop;      /* tensor to leave out */
    const char *extra;     /* tensor to add (a copy of output_norm.weight) */
    bool swap_q;           /* write attn_q of blk.0 with its dims swapped */
    glint_status want;
    const char *msg;       /* must appear in the runtime's last error */
} variant;

static const variant g_variants[] = {
    {"unknown architecture", NULL, 0, "gpt-j", NULL, NULL, false, GLINT_ERROR_UNSUPPORTED,
     "architecture 'gpt-j'"},
    {"missing tensor", NULL, 0, NULL, "blk.3.ffn_up.weight", NULL, false,
     GLINT_ERROR_INVALID_FILE, "blk.3.ffn_up.weight"},
    {"unknown tensor", NULL, 0, NULL, NULL, "blk.0.mystery.weight", false,
     GLINT_ERROR_UNSUPPORTED, "blk.0.mystery.weight"},
    {"wrong shape", NULL, 0, NULL, NULL, NULL, true, GLINT_ERROR_INVALID_FILE,
     "blk.0.attn_q.weight"},
    {"absurd layer count", "llama.block_count", 1u << 30, NULL, NULL, NULL, false,
     GLINT_ERROR_INVALID_FILE, "layers"},
    {"zero heads", "llama.attention.head_count", 0, NULL, NULL, NULL, false,
     GLINT_ERROR_INVALID_FILE, "n_head 0"},
    {"heads not a multiple of kv heads", "llama.attention.head_count_kv", 3, NULL, NULL, NULL,
     false, GLINT_ERROR_INVALID_FILE, "n_head_kv 3"},
    {"more layers than tensors", "llama.block_count", 6, NULL, NULL, NULL, false,
     GLINT_ERROR_INVALID_FILE, "blk.5"},
};

static bool write_variant(const gl_gguf *src, const variant *v, const char *path) {
    gl_gguf_writer *w;
    if (gl_gguf_writer_create(&w) != GLINT_OK) return false;
    bool ok = true;
    for (int64_t i = 0; i < gl_gguf_n_kv(src); i++) ok &= gl_gguf_writer_copy_kv(w, src, i) == 0;
    if (v->arch) ok &= gl_gguf_writer_set_str(w, "general.architecture", v->arch) == 0;
    if (v->set_key) ok &= gl_gguf_writer_set_u32(w, v->set_key, v->set_val) == 0;
    for (int64_t i = 0; i < gl_gguf_n_tensors(src); i++) {
        const gl_gguf_tensor *t = gl_gguf_tensor_at(src, i);
        if (v->drop && strcmp(t->name, v->drop) == 0) continue;
        int64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
        if (v->swap_q && strcmp(t->name, "blk.0.attn_q.weight") == 0) {
            ne[0] = t->ne[1] / 2;
            ne[1] = t->ne[0] * 2;
        }
        ok &= gl_gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, ne, t->data, NULL,
                                        NULL) == 0;
    }
    if (v->extra) {
        const gl_gguf_tensor *t = gl_gguf_find_tensor(src, "output_norm.weight");
        ok &= gl_gguf_writer_add_tensor(w, v->extra, t->type, t->n_dims, t->ne, t->data, NULL,
                                        NULL) == 0;
    }
    gl_err err = {{0}};
    ok &= gl_gguf_writer_write(w, path, &err) == GLINT_OK;
    if (!ok) fprintf(stderr, "writing %s failed: %s\n", path, err.msg);
    gl_gguf_writer_free(w);
    return ok;
}

static void test_sessions(glint_runtime *rt, const char *path) {
    glint_model *m;
    CHECK_STATUS(glint_model_load(rt, path, NULL, &m), GLINT_OK);
    if (!m) return;
    glint_session_params sp = glint_session_default_params();
    sp.n_ctx = 8;
    glint_session *s;
    CHECK_STATUS(glint_session_create(m, &sp, &s), GLINT_OK);
    if (!s) {
        glint_model_free(m);
        return;
    }
    int32_t toks[9] = {1, 403, 407, 261, 378, 432, 383, 286, 261};
    CHECK_STATUS(glint_session_decode(s, toks, 9), GLINT_ERROR_CONTEXT_FULL);
    CHECK(strstr(glint_session_last_error(s), "context full") != NULL);
    CHECK_EQ_INT(glint_session_n_past(s), 0);
    CHECK_STATUS(glint_session_decode(s, toks, 8), GLINT_OK);
    CHECK_STATUS(glint_session_decode(s, toks, 1), GLINT_ERROR_CONTEXT_FULL);
    CHECK_STATUS(glint_session_rewind(s, 2), GLINT_OK);
    CHECK_EQ_INT(glint_session_n_past(s), 2);
    int32_t bad = 512;
    CHECK_STATUS(glint_session_decode(s, &bad, 1), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(glint_session_last_error(s), "512") != NULL);
    bad = -1;
    CHECK_STATUS(glint_session_decode(s, &bad, 1), GLINT_ERROR_INVALID_ARGUMENT);
    const float *lg;
    CHECK_STATUS(glint_session_get_logits(s, 5, &lg), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK(lg == NULL);
    CHECK_STATUS(glint_session_get_logits(s, 0, NULL), GLINT_ERROR_INVALID_ARGUMENT);

    /* submit + step: a frame budget of 0 still makes progress, one batch per step */
    glint_session_rewind(s, 0);
    CHECK_STATUS(glint_session_submit(s, toks, 8), GLINT_OK);
    CHECK_STATUS(glint_session_submit(s, toks, 1), GLINT_ERROR_CONTEXT_FULL);
    bool done = false;
    int steps = 0;
    while (!done && steps < 100) {
        CHECK_STATUS(glint_session_step(s, 0, &done), GLINT_OK);
        steps++;
    }
    CHECK(done);
    CHECK_EQ_INT(glint_session_n_past(s), 8);
    glint_session_free(s);

    sp.kv_type = GLINT_TYPE_Q4_0;
    CHECK_STATUS(glint_session_create(m, &sp, &s), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK(s == NULL);
    glint_model_free(m);
}

int main(void) {
    char path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path))
        return GL_TEST_SKIP;
    glint_runtime *rt;
    CHECK_STATUS(glint_runtime_create(NULL, &rt), GLINT_OK);
    gl_gguf *src;
    gl_err err = {{0}};
    CHECK_STATUS(gl_gguf_open(path, &src, &err), GLINT_OK);
    if (!rt || !src) return gl_test_finish("test_model_bad");

    char tmp[1200];
    for (size_t i = 0; i < sizeof g_variants / sizeof g_variants[0]; i++) {
        const variant *v = &g_variants[i];
        snprintf(tmp, sizeof tmp, "%s/bad_model_%zu_%d.gguf", GLINT_TEST_TMP, i, (int)getpid());
        CHECK_MSG(write_variant(src, v, tmp), "%s: cannot write the variant", v->what);
        glint_model *m = (glint_model *)&tmp; /* must be reset to NULL on failure */
        glint_status st = glint_model_load(rt, tmp, NULL, &m);
        const char *msg = glint_runtime_last_error(rt);
        CHECK_MSG(st == v->want, "%s: status %s, want %s (%s)", v->what, glint_status_string(st),
                  glint_status_string(v->want), msg);
        CHECK_MSG(m == NULL, "%s: model handle not NULL on failure", v->what);
        CHECK_MSG(strstr(msg, v->msg) != NULL, "%s: message '%s' does not mention '%s'", v->what,
                  msg, v->msg);
        printf("%-34s -> %s: %s\n", v->what, glint_status_string(st), msg);
        glint_model_free(st == GLINT_OK ? m : NULL);
        unlink(tmp);
    }

    /* the untouched model still loads and runs after all that */
    test_sessions(rt, path);

    /* API misuse */
    glint_model *m = NULL;
    CHECK_STATUS(glint_model_load(rt, NULL, NULL, &m), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(glint_model_load(NULL, path, NULL, &m), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(glint_model_load(rt, "/nonexistent/x.gguf", NULL, &m), GLINT_ERROR_IO);
    CHECK(strlen(glint_runtime_last_error(rt)) > 0);
    CHECK_STATUS(glint_session_create(NULL, NULL, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    glint_model_free(NULL);
    glint_session_free(NULL);
    glint_runtime_free(NULL);
    glint_sampler_free(NULL);
    CHECK(strcmp(glint_status_string((glint_status)12345), "unknown status") == 0);
    CHECK(strcmp(glint_status_string(GLINT_ERROR_CONTEXT_FULL), "context is full") == 0);

    gl_gguf_close(src);
    glint_runtime_free(rt);
    return gl_test_finish("test_model_bad");
}

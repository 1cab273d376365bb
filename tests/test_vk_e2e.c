/* Whole models on the Vulkan backend (lavapipe in CI): stories260K greedy from BOS prints
 * llama2.c's text; every synthetic model, teacher-forced, stays within the README's tolerance
 * of llama.cpp's golden and of the CPU backend; weights are resident once on a unified-memory
 * device; and the validation layer says nothing. */
#include "glint.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef GLINT_WITH_VULKAN
int main(void) {
    printf("skip: built without the Vulkan backend\n");
    return GL_TEST_SKIP;
}
#else
uint64_t gl_vk_validation_messages(void);

static glint_runtime *g_rt;

static glint_model *load(const char *path, glint_backend_kind kind) {
    glint_model_params mp = glint_model_default_params();
    mp.backend = kind;
    glint_model *m = NULL;
    glint_status st = glint_model_load(g_rt, path, &mp, &m);
    CHECK_MSG(st == GLINT_OK, "%s: %s", path, glint_runtime_last_error(g_rt));
    return m;
}

static void test_stories(void) {
    char path[1024], exp_path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path) ||
        !gl_test_model_path("reference/stories260K.llama2c-runc-t0-n200.expected.txt", exp_path,
                            sizeof exp_path))
        return;
    size_t exp_len;
    char *expected = gl_test_read_file(exp_path, &exp_len);
    glint_model *m = load(path, GLINT_BACKEND_VULKAN);
    if (!m || !expected) return;
    glint_model_info info;
    glint_model_get_info(m, &info);
    CHECK_MSG(strcmp(info.backend, "vulkan") == 0, "model runs on %s", info.backend);
    for (int kv = 0; kv < 2; kv++) {
        glint_session_params sp = glint_session_default_params();
        sp.kv_type = kv ? GLINT_TYPE_F32 : GLINT_TYPE_F16;
        glint_session *s;
        CHECK_STATUS(glint_session_create(m, &sp, &s), GLINT_OK);
        if (!s) continue;
        char *text = calloc(1, 8192);
        size_t len = 0;
        int32_t tok = glint_model_token_bos(m);
        for (int i = 0; i < 200; i++) {
            const float *lg;
            if (glint_session_decode(s, &tok, 1) != GLINT_OK ||
                glint_session_get_logits(s, -1, &lg) != GLINT_OK) {
                CHECK_MSG(false, "decode failed at %d: %s", i, glint_session_last_error(s));
                break;
            }
            tok = gl_test_argmax(lg, info.n_vocab);
            if (tok == glint_model_token_bos(m)) break; /* llama2.c stops at BOS */
            size_t n;
            char piece[64];
            glint_model_token_to_piece(m, tok, false, piece, sizeof piece, &n);
            const char *p = piece;
            if (i == 0 && n && p[0] == ' ') p++, n--;
            memcpy(text + len, p, n);
            len += n;
        }
        CHECK_MSG(len == exp_len && memcmp(text, expected, len) == 0,
                  "kv %s: greedy text differs:\n--- got\n%s\n--- expected\n%s",
                  kv ? "f32" : "f16", text, expected);
        free(text);
        glint_session_free(s);
    }
    free(expected);
    glint_model_free(m);
}

/* Teacher-forced logits: Vulkan vs golden (README tolerance for the KV type) and vs CPU. */
static void test_synthetic(const char *name, double tol) {
    char path[1024], rel[256], gpath[1100];
    snprintf(rel, sizeof rel, "synthetic/%s", name);
    if (!gl_test_model_path(rel, path, sizeof path)) return;
    snprintf(gpath, sizeof gpath, "%s.golden.jsonl", path);
    char *golden = gl_test_read_file(gpath, NULL);
    glint_model *mv = load(path, GLINT_BACKEND_VULKAN), *mc = load(path, GLINT_BACKEND_CPU);
    if (!golden || !mv || !mc) goto out;
    glint_session_params sp = glint_session_default_params();
    sp.kv_type = GLINT_TYPE_F16;
    glint_session *sv = NULL, *sc = NULL;
    CHECK_STATUS(glint_session_create(mv, &sp, &sv), GLINT_OK);
    CHECK_STATUS(glint_session_create(mc, &sp, &sc), GLINT_OK);
    double worst_c = 0;
    int pos = 0;
    const double worst_g = gl_test_golden(sv, golden, name, tol, sc, 512, &worst_c, &pos);
    CHECK_MSG(worst_c <= tol, "%s: vulkan vs cpu max |diff| %.3g > %.3g", name, worst_c, tol);
    printf("%-20s vulkan: max |dlogit| vs golden %.2e, vs cpu %.2e over %d positions\n", name,
           worst_g, worst_c, pos);
    glint_session_free(sv);
    glint_session_free(sc);
out:
    free(golden);
    glint_model_free(mv);
    glint_model_free(mc);
}

int main(void) {
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_VALIDATE", "1", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = 2;
    if (glint_runtime_create(&rp, &g_rt) != GLINT_OK) return 1;
    char devs[8192];
    size_t n;
    glint_runtime_describe(g_rt, devs, sizeof devs, &n);
    if (!strstr(devs, "\nvulkan") || strstr(devs, "vulkan: no device")) {
        printf("skip: no Vulkan device\n%s", devs);
        glint_runtime_free(g_rt);
        return GL_TEST_SKIP;
    }
    test_stories();
    test_synthetic("llama-f32.gguf", 1e-3);
    test_synthetic("llama-f16.gguf", 3e-3);
    test_synthetic("llama-q8_0.gguf", 4e-2);
    test_synthetic("llama-q4_0.gguf", 4e-2);
    test_synthetic("llama-q4_k_m.gguf", 4e-2);
    test_synthetic("qwen2-q8_0.gguf", 4e-2);
    CHECK_EQ_INT(gl_vk_validation_messages(), 0);
    glint_runtime_free(g_rt);
    return gl_test_finish("test_vk_e2e");
}
#endif

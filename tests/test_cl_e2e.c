/* Whole models on the OpenCL backend (PoCL in CI): stories260K greedy from BOS prints
 * llama2.c's text; the synthetic models, teacher-forced, stay within the README's tolerance of
 * llama.cpp's goldens; a forced three-way split (CPU / OpenCL / Vulkan) gives the CPU's greedy
 * tokens. */
#include "glint.h"
#include "model.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef GLINT_WITH_OPENCL
int main(void) {
    printf("skip: built without the OpenCL backend\n");
    return GL_TEST_SKIP;
}
#else
#include "cl_device.h"

static glint_runtime *g_rt;

static glint_model *load(const char *path, glint_backend_kind kind, const char *plan) {
    glint_model_params mp = glint_model_default_params();
    mp.backend = kind;
    mp.plan_path = plan;
    mp.no_profile = true;
    glint_model *m = NULL;
    glint_status st = glint_model_load(g_rt, path, &mp, &m);
    CHECK_MSG(st == GLINT_OK, "%s: %s", path, glint_runtime_last_error(g_rt));
    return m;
}

/* Greedy from BOS, one token per pass, as llama2.c's run.c; stops at BOS. */
static size_t greedy_text(glint_model *m, int n, char *text, int32_t *ids) {
    glint_session *s = NULL;
    size_t len = 0;
    if (glint_session_create(m, NULL, &s) != GLINT_OK) {
        CHECK_MSG(false, "session: %s", glint_model_last_error(m));
        return 0;
    }
    glint_model_info info;
    glint_model_get_info(m, &info);
    int32_t tok = glint_model_token_bos(m);
    for (int i = 0; i < n; i++) {
        const float *lg;
        if (glint_session_decode(s, &tok, 1) != GLINT_OK ||
            glint_session_get_logits(s, -1, &lg) != GLINT_OK) {
            CHECK_MSG(false, "decode failed at %d: %s", i, glint_session_last_error(s));
            break;
        }
        tok = gl_test_argmax(lg, info.n_vocab);
        if (ids) ids[i] = tok;
        if (tok == glint_model_token_bos(m)) break;
        if (!text) continue;
        size_t k;
        char piece[64];
        glint_model_token_to_piece(m, tok, false, piece, sizeof piece, &k);
        const char *p = piece;
        if (i == 0 && k && p[0] == ' ') p++, k--;
        memcpy(text + len, p, k);
        len += k;
    }
    glint_session_free(s);
    return len;
}

static void test_stories(void) {
    char path[1024], exp_path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path) ||
        !gl_test_model_path("reference/stories260K.llama2c-runc-t0-n200.expected.txt", exp_path,
                            sizeof exp_path))
        return;
    size_t exp_len;
    char *expected = gl_test_read_file(exp_path, &exp_len);
    glint_model *m = load(path, GLINT_BACKEND_OPENCL, NULL);
    if (m && expected) {
        glint_model_info info;
        glint_model_get_info(m, &info);
        CHECK_MSG(strcmp(info.backend, "opencl") == 0, "model runs on %s", info.backend);
        char *text = calloc(1, 8192);
        const size_t len = greedy_text(m, 200, text, NULL);
        CHECK_MSG(len == exp_len && memcmp(text, expected, len) == 0,
                  "greedy text differs:\n--- got\n%s\n--- expected\n%s", text, expected);
        free(text);
    }
    free(expected);
    glint_model_free(m);
}

/* A device whose largest buffer is smaller than some weights: those stages' weights stay on
 * the CPU, their nodes run there, and the text is unchanged. */
static void test_small_max_alloc(void) {
    char path[1024], exp_path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path) ||
        !gl_test_model_path("reference/stories260K.llama2c-runc-t0-n200.expected.txt", exp_path,
                            sizeof exp_path))
        return;
    /* token_embd (128 KiB) does not fit; each layer's weights (~57 KiB) do */
    setenv("GLINT_CL_MAX_ALLOC", "65536", 1);
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = 2;
    glint_runtime *rt = NULL, *keep = g_rt;
    if (glint_runtime_create(&rp, &rt) == GLINT_OK) {
        g_rt = rt;
        size_t exp_len;
        char *expected = gl_test_read_file(exp_path, &exp_len);
        glint_model *m = load(path, GLINT_BACKEND_OPENCL, NULL);
        if (m && expected) {
            CHECK_MSG(!m->w[1].held[0], "token_embd should not fit in a 64 KiB buffer");
            CHECK_MSG(m->w[1].held[1], "layer 0 should be on the device");
            char *text = calloc(1, 8192);
            const size_t len = greedy_text(m, 200, text, NULL);
            CHECK_MSG(len == exp_len && memcmp(text, expected, len) == 0,
                      "small max alloc: greedy text differs:\n%s", text);
            free(text);
        }
        free(expected);
        glint_model_free(m);
        glint_runtime_free(rt);
    }
    g_rt = keep;
    unsetenv("GLINT_CL_MAX_ALLOC");
}

/* Q4_0 / Q8_0 matrices repacked on the device (GL_LAYOUT_SOA), token_embd (GET_ROWS) not. */
static void check_repacked(const glint_model *m, const char *name) {
    if (m->n_backend < 2 || !m->w[1].layers || !m->w[1].tok_embd) return;
    const gl_tensor *wq = m->w[1].layers[0].wq, *emb = m->w[1].tok_embd;
    const bool q = wq->type == GLINT_TYPE_Q4_0 || wq->type == GLINT_TYPE_Q8_0;
    CHECK_MSG(wq->layout == (q ? GL_LAYOUT_SOA : GL_LAYOUT_GGUF), "%s: blk.0.attn_q layout %d",
              name, wq->layout);
    CHECK_MSG(emb->layout == GL_LAYOUT_GGUF, "%s: token_embd layout %d", name, emb->layout);
    /* CPU fallback nodes read GGUF bytes: the file, not the repacked copy */
    if (q)
        CHECK(wq->data != NULL &&
              wq->data != (const void *)((const char *)wq->buffer->host + wq->offset));
}

/* Teacher-forced logits vs llama.cpp's golden top-10 (README tolerance). */
static void test_synthetic(const char *name, double tol) {
    char path[1024], rel[256], gpath[1100];
    snprintf(rel, sizeof rel, "synthetic/%s", name);
    if (!gl_test_model_path(rel, path, sizeof path)) return;
    snprintf(gpath, sizeof gpath, "%s.golden.jsonl", path);
    char *golden = gl_test_read_file(gpath, NULL);
    glint_model *m = load(path, GLINT_BACKEND_OPENCL, NULL);
    glint_session *s = NULL;
    if (!golden || !m) goto out;
    check_repacked(m, name);
    glint_session_params sp = glint_session_default_params();
    CHECK_STATUS(glint_session_create(m, &sp, &s), GLINT_OK);
    int pos = 0;
    const double worst = gl_test_golden(s, golden, name, tol, NULL, 0, NULL, &pos);
    printf("%-20s opencl: max |dlogit| vs golden %.2e over %d positions\n", name, worst, pos);
out:
    glint_session_free(s);
    free(golden);
    glint_model_free(m);
}

/* CPU / OpenCL / Vulkan, the backends numbered as the model numbers them. */
static void test_three_way(void) {
    char path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path)) return;
    glint_model *probe = load(path, GLINT_BACKEND_AUTO, NULL);
    if (!probe) return;
    int vk = -1, cl = -1;
    for (int b = 1; b < probe->n_backend; b++) {
        const char *name = probe->backends[b]->iface->name(probe->backends[b]);
        if (strcmp(name, "vulkan") == 0) vk = b;
        if (strcmp(name, "opencl") == 0) cl = b;
    }
    glint_model_free(probe);
    if (vk < 0 || cl < 0) {
        printf("skip (three-way split): needs both Vulkan and OpenCL devices\n");
        return;
    }
    gl_plan_record *r = calloc(1, sizeof *r);
    r->key.model_size = 1;
    r->key.n_backend = 3;
    snprintf(r->key.device[0], GL_PLAN_DEVICE_MAX, "cpu");
    snprintf(r->key.device[vk], GL_PLAN_DEVICE_MAX, "vulkan");
    snprintf(r->key.device[cl], GL_PLAN_DEVICE_MAX, "opencl");
    /* embed cpu, layer 0 cpu, 1-2 opencl, 3-4 vulkan, head vulkan; decode the other way */
    const uint8_t pre[5] = {0, (uint8_t)cl, (uint8_t)cl, (uint8_t)vk, (uint8_t)vk};
    const uint8_t dec[5] = {(uint8_t)vk, (uint8_t)vk, 0, (uint8_t)cl, (uint8_t)cl};
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        gl_plan *p = &r->plan[ph];
        *p = (gl_plan){.n_layer = 5, .n_backend = 3};
        memcpy(p->backend, ph == GL_PLAN_PHASE_PREFILL ? pre : dec, 5);
        p->embed = p->backend[0];
        p->head = ph == GL_PLAN_PHASE_PREFILL ? (uint8_t)vk : 0;
    }
    const char *plan_path = GLINT_TEST_TMP "/test_cl_e2e_plan.json";
    gl_err err = {{0}};
    CHECK_MSG(gl_plan_file_write(plan_path, r, &err) == GLINT_OK, "%s", err.msg);
    free(r);
    enum { N = 60 };
    int32_t want[N], got[N];
    memset(want, 0xff, sizeof want);
    memset(got, 0xff, sizeof got);
    glint_model *mc = load(path, GLINT_BACKEND_CPU, NULL);
    glint_model *m3 = load(path, GLINT_BACKEND_AUTO, plan_path);
    if (mc && m3) {
        glint_model_info info;
        glint_model_get_info(m3, &info);
        greedy_text(mc, N, NULL, want);
        greedy_text(m3, N, NULL, got);
        CHECK_MSG(memcmp(want, got, sizeof want) == 0, "three-way split: tokens differ");
        printf("three-way split (%s): %s\n", info.backend, info.plan);
    }
    glint_model_free(mc);
    glint_model_free(m3);
}

/* With int8 activations, the session's reserve sizes the device's scratch memory for its
 * largest batch: running prefill and decode allocates no more. */
static void check_scratch_reserved(const char *rel) {
    char path[1024];
    if (!gl_test_model_path(rel, path, sizeof path)) return;
    glint_model *m = load(path, GLINT_BACKEND_OPENCL, NULL);
    glint_session *s = NULL;
    gl_cl_device *d = m && m->n_backend > 1 ? gl_cl_backend_device(m->backends[1]) : NULL;
    if (d && glint_session_create(m, NULL, &s) == GLINT_OK) {
        const cl_mem mem = d->scratch;
        const size_t size = d->scratch_size;
        CHECK_MSG(mem && size > 0, "%s: no scratch reserved", rel);
        int32_t tok[64];
        for (int i = 0; i < 64; i++) tok[i] = 1 + i;
        CHECK_STATUS(glint_session_decode(s, tok, 64), GLINT_OK);
        CHECK_STATUS(glint_session_decode(s, tok, 1), GLINT_OK);
        CHECK_MSG(d->scratch == mem && d->scratch_size == size,
                  "%s: scratch grew while running (%zu -> %zu bytes)", rel, size, d->scratch_size);
    }
    glint_session_free(s);
    glint_model_free(m);
}

/* The int8 kernels (GLINT_CL_FORCE=int8dot: plain multiplies where the device has no dot
 * instruction) on the Q4_0 / Q8_0 models, the image tier off, and MUL_MAT masked off the
 * device (the CPU then multiplies by the file's GGUF bytes, not the device's repacked copy). */
static void test_tiers(void) {
    static const struct {
        const char *disable, *force, *skip_ops;
    } tiers[] = {{"", "int8dot", ""}, {"image", "", ""}, {"", "", "mul_mat"}};
    for (size_t i = 0; i < GL_ARRAY_LEN(tiers); i++) {
        setenv("GLINT_CL_DISABLE", tiers[i].disable, 1);
        setenv("GLINT_CL_FORCE", tiers[i].force, 1);
        setenv("GLINT_GPU_SKIP_OPS", tiers[i].skip_ops, 1);
        glint_runtime_params rp = glint_runtime_default_params();
        rp.n_threads = 2;
        glint_runtime *rt = NULL, *keep = g_rt;
        if (glint_runtime_create(&rp, &rt) == GLINT_OK) {
            printf("tier: disable '%s', force '%s', ops on the cpu '%s'\n", tiers[i].disable,
                   tiers[i].force, tiers[i].skip_ops);
            g_rt = rt;
            test_synthetic("llama-q8_0.gguf", 4e-2);
            test_synthetic("llama-q4_0.gguf", 4e-2);
            test_synthetic("qwen2-q8_0.gguf", 4e-2);
            if (*tiers[i].force) check_scratch_reserved("synthetic/llama-q4_0.gguf");
            glint_runtime_free(rt);
        }
        g_rt = keep;
    }
    unsetenv("GLINT_CL_DISABLE");
    unsetenv("GLINT_CL_FORCE");
    unsetenv("GLINT_GPU_SKIP_OPS");
}

/* Half arithmetic in the prefill kernel (GLINT_CL_FORCE=fp16: its rounding emulated where the
 * device lacks cl_khr_fp16): one batch of 48 tokens on OpenCL and on the CPU, the last
 * position's logits compared. */
static void test_prefill_half(const char *rel, double tol) {
    char path[1024];
    if (!gl_test_model_path(rel, path, sizeof path)) return;
    setenv("GLINT_CL_FORCE", "fp16", 1);
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = 2;
    glint_runtime *rt = NULL, *keep = g_rt;
    if (glint_runtime_create(&rp, &rt) != GLINT_OK) {
        unsetenv("GLINT_CL_FORCE");
        return;
    }
    g_rt = rt;
    glint_model *mc = load(path, GLINT_BACKEND_CPU, NULL);
    glint_model *mg = load(path, GLINT_BACKEND_OPENCL, NULL);
    glint_session *sc = NULL, *sg = NULL;
    if (mc && mg && glint_session_create(mc, NULL, &sc) == GLINT_OK &&
        glint_session_create(mg, NULL, &sg) == GLINT_OK) {
        glint_model_info info;
        glint_model_get_info(mg, &info);
        int32_t tok[48];
        for (int i = 0; i < 48; i++) tok[i] = (int32_t)((7 + 131 * i) % info.n_vocab);
        const float *lc, *lg;
        CHECK_STATUS(glint_session_decode(sc, tok, 48), GLINT_OK);
        CHECK_STATUS(glint_session_decode(sg, tok, 48), GLINT_OK);
        if (glint_session_get_logits(sc, -1, &lc) == GLINT_OK &&
            glint_session_get_logits(sg, -1, &lg) == GLINT_OK) {
            double worst = 0;
            for (int32_t i = 0; i < info.n_vocab; i++)
                worst = fmax(worst, fabs((double)lc[i] - (double)lg[i]));
            CHECK_MSG(worst <= tol &&
                          gl_test_argmax(lc, info.n_vocab) == gl_test_argmax(lg, info.n_vocab),
                      "%s: half prefill: max |dlogit| vs cpu %.3g (tol %.3g)", rel, worst, tol);
            printf("%-34s opencl half prefill: max |dlogit| vs cpu %.2e\n", rel, worst);
        }
    }
    glint_session_free(sc);
    glint_session_free(sg);
    glint_model_free(mc);
    glint_model_free(mg);
    glint_runtime_free(rt);
    g_rt = keep;
    unsetenv("GLINT_CL_FORCE");
}

int main(void) {
    setenv("GLINT_CL_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/clcache", 0);
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = 2;
    if (glint_runtime_create(&rp, &g_rt) != GLINT_OK) return 1;
    char devs[8192];
    size_t n;
    glint_runtime_describe(g_rt, devs, sizeof devs, &n);
    if (strstr(devs, "opencl: no device")) {
        printf("skip: no OpenCL device\n%s", devs);
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
    test_three_way();
    test_small_max_alloc();
    test_tiers();
    test_prefill_half("stories260K/stories260K.gguf", 3e-2);
    test_prefill_half("synthetic/llama-f16.gguf", 5e-2);
    test_prefill_half("synthetic/llama-q4_k_m.gguf", 5e-2);
    test_prefill_half("synthetic/llama-q8_0.gguf", 5e-2);
    glint_runtime_free(g_rt);
    return gl_test_finish("test_cl_e2e");
}
#endif

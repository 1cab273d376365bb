/* The scheduler: logical buffers copied between separate memories give the same bytes as one
 * memory (random copy chains over two CPU backends that share nothing); forced splits of
 * stories260K across Vulkan and the CPU (0-1 / 2-4, CPU / Vulkan / CPU, prefill on one and
 * decode on the other) give the CPU's greedy tokens, on unified memory (no copy made) and on
 * separate memories (copies made); synthetic models split CPU / Vulkan / CPU stay within the
 * README tolerance of the CPU, teacher-forced; ops masked off for the GPU by
 * GLINT_GPU_SKIP_OPS run on the CPU with unchanged output. */
#include "glint.h"
#include "model.h"
#include "scheduler.h"
#include "session.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the tracker over two CPU backends with separate memories ------------------------- */

static void test_tracker(void) {
    gl_backend *cpu[2];
    gl_err err = {{0}};
    CHECK_STATUS(gl_backend_cpu_create(1, &cpu[0], &err), GLINT_OK);
    CHECK_STATUS(gl_backend_cpu_create(1, &cpu[1], &err), GLINT_OK);
    enum { N = 4096, NODES = 200 };
    gl_sched s;
    CHECK_STATUS(gl_sched_init(&s, cpu, 2, NODES, &err), GLINT_OK);
    s.separate = true;
    const bool want[GL_SCHED_MAX_BACKENDS] = {true, true};
    gl_lbuf l;
    CHECK_STATUS(gl_lbuf_alloc(&s, &l, "test", N * sizeof(float), want, &err), GLINT_OK);
    CHECK(l.phys[0] != l.phys[1]); /* the CPU's buffers are host memory: never shared here */
    uint64_t rng = 42;
    float *ref = malloc(N * sizeof *ref), *got = malloc(N * sizeof *got);
    gl_tensor *ts = calloc(2 * NODES, sizeof *ts);
    gl_node *nodes = calloc(NODES, sizeof *nodes);
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N; i++) ref[i] = gl_test_randf(&rng);
        CHECK_STATUS(gl_lbuf_write(&s, &l, 0, ref, N * sizeof *ref), GLINT_OK);
        gl_plan plan = {.n_layer = NODES, .n_backend = 2};
        plan.embed = plan.head = (uint8_t)(gl_test_rand(&rng) % 2);
        for (int k = 0; k < NODES; k++) {
            /* a copy of len floats from a to b, the ranges disjoint */
            const int64_t len = 1 + (int64_t)(gl_test_rand(&rng) % 300);
            const int64_t a = (int64_t)(gl_test_rand(&rng) % (N - 2 * len));
            int64_t b = (int64_t)(gl_test_rand(&rng) % (N - len));
            if (b < a + len && b + len > a) b = (a + len + b) % (N - len);
            if (b < a + len && b + len > a) b = a + len;
            gl_tensor *src = &ts[2 * k], *dst = &ts[2 * k + 1];
            gl_tensor_init(src, GLINT_TYPE_F32, 1, &len);
            gl_tensor_init(dst, GLINT_TYPE_F32, 1, &len);
            gl_lbuf_bind(&l, src, (size_t)a * sizeof(float));
            gl_lbuf_bind(&l, dst, (size_t)b * sizeof(float));
            nodes[k] = (gl_node){.op = GL_OP_CPY, .dst = dst, .src = {src}, .layer = k};
            plan.backend[k] = (uint8_t)(gl_test_rand(&rng) % 4 == 0 ? 1 - (k ? plan.backend[k - 1]
                                                                              : 0)
                                                                  : (k ? plan.backend[k - 1] : 0));
            memmove(ref + b, ref + a, (size_t)len * sizeof *ref);
        }
        CHECK_STATUS(gl_sched_run(&s, nodes, NODES, &plan), GLINT_OK);
        CHECK_STATUS(gl_lbuf_read(&s, &l, 0, got, N * sizeof *got), GLINT_OK);
        CHECK_MSG(memcmp(got, ref, N * sizeof *ref) == 0, "round %d: bytes differ", round);
    }
    CHECK_MSG(s.stats.n_copies > 0, "no copy was made across %d rounds", 20);
    printf("tracker: %lld copies, %zu bytes over 20 random rounds\n",
           (long long)s.stats.n_copies, s.stats.copied_bytes);
    free(ref);
    free(got);
    free(ts);
    free(nodes);
    gl_lbuf_free(&s, &l);
    gl_sched_free(&s);
    cpu[0]->iface->free(cpu[0]);
    cpu[1]->iface->free(cpu[1]);
}

#ifdef GLINT_WITH_VULKAN
uint64_t gl_vk_validation_messages(void);

/* ---- forced splits on real models ------------------------------------------------------ */

/* A plan from a compact spec: "e" backend of the embedding, one char per layer, "h" head:
 * "v vvccc c" = embed vulkan, layers 0-1 vulkan, 2-4 cpu, head cpu. */
static gl_plan plan_of(const char *spec, int n_layer) {
    gl_plan p = {.n_layer = n_layer, .n_backend = 2};
    const char *q = spec;
    p.embed = *q++ == 'v';
    q++;
    for (int l = 0; l < n_layer; l++) p.backend[l] = *q++ == 'v';
    q++;
    p.head = *q == 'v';
    return p;
}

static bool write_plan(const char *path, const char *prefill, const char *decode, int n_layer) {
    gl_plan_record *r = calloc(1, sizeof *r);
    r->key.model_size = 1;
    r->key.n_backend = 2;
    snprintf(r->key.device[0], GL_PLAN_DEVICE_MAX, "cpu");
    snprintf(r->key.device[1], GL_PLAN_DEVICE_MAX, "vulkan");
    r->plan[GL_PLAN_PHASE_PREFILL] = plan_of(prefill, n_layer);
    r->plan[GL_PLAN_PHASE_DECODE] = plan_of(decode, n_layer);
    gl_err err = {{0}};
    glint_status st = gl_plan_file_write(path, r, &err);
    CHECK_MSG(st == GLINT_OK, "%s", err.msg);
    free(r);
    return st == GLINT_OK;
}

static glint_model *load(glint_runtime *rt, const char *path, glint_backend_kind kind,
                         const char *plan) {
    glint_model_params mp = glint_model_default_params();
    mp.backend = kind;
    mp.plan_path = plan;
    mp.no_profile = true;
    glint_model *m = NULL;
    glint_status st = glint_model_load(rt, path, &mp, &m);
    CHECK_MSG(st == GLINT_OK, "%s: %s", path, glint_runtime_last_error(rt));
    return m;
}

/* Prompt as one batch (prefill plan), then greedy single steps (decode plan). */
static int generate(glint_model *m, int32_t *out, int n, gl_sched_stats *stats) {
    glint_session *s = NULL;
    if (glint_session_create(m, NULL, &s) != GLINT_OK) {
        CHECK_MSG(false, "session: %s", glint_model_last_error(m));
        return 0;
    }
    int32_t prompt[64];
    size_t np = 0;
    const char *text = "Once upon a time, there was a little";
    glint_model_tokenize(m, text, strlen(text), true, false, prompt, 64, &np);
    int k = 0;
    const float *lg;
    if (glint_session_decode(s, prompt, np) == GLINT_OK &&
        glint_session_get_logits(s, -1, &lg) == GLINT_OK) {
        glint_model_info info;
        glint_model_get_info(m, &info);
        for (k = 0; k < n; k++) {
            out[k] = gl_test_argmax(lg, info.n_vocab);
            if (glint_session_decode(s, &out[k], 1) != GLINT_OK ||
                glint_session_get_logits(s, -1, &lg) != GLINT_OK)
                break;
        }
    }
    CHECK_MSG(k == n, "generation stopped at %d: %s", k, glint_session_last_error(s));
    if (stats) *stats = gl_session_sched_stats(s);
    glint_session_free(s);
    return k;
}

static const char *const g_splits[][3] = {
    /* prefill, decode, what */
    {"v vvccc c", "v vvccc c", "layers 0-1 vulkan, 2-4 cpu"},
    {"c cvvvc c", "c cvvvc c", "cpu / vulkan / cpu"},
    {"v vvvvv v", "c ccccc c", "prefill vulkan, decode cpu (KV moves)"},
    {"c ccccc c", "c ccvvv v", "prefill cpu, decode cpu 0-1 / vulkan 2-4"},
};

static void test_stories_splits(glint_runtime *rt, bool separate) {
    char path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path)) return;
    enum { N = 40 };
    int32_t want[N], got[N];
    glint_model *mc = load(rt, path, GLINT_BACKEND_CPU, NULL);
    if (!mc) return;
    generate(mc, want, N, NULL);
    glint_model_free(mc);
    for (size_t i = 0; i < GL_ARRAY_LEN(g_splits); i++) {
        const char *plan_path = GLINT_TEST_TMP "/test_sched_plan.json";
        if (!write_plan(plan_path, g_splits[i][0], g_splits[i][1], 5)) continue;
        glint_model *m = load(rt, path, GLINT_BACKEND_AUTO, plan_path);
        if (!m) continue;
        glint_model_info info;
        glint_model_get_info(m, &info);
        gl_sched_stats st = {0};
        memset(got, 0xff, sizeof got);
        generate(m, got, N, &st);
        CHECK_MSG(memcmp(got, want, sizeof want) == 0, "%s (%s memory): tokens differ from the "
                  "cpu", g_splits[i][2], separate ? "separate" : "unified");
        if (separate) {
            CHECK_MSG(st.n_copies > 0, "%s: separate memories but no copy", g_splits[i][2]);
        } else {
            CHECK_MSG(st.n_copies == 0, "%s: unified memory but %lld copies", g_splits[i][2],
                      (long long)st.n_copies);
        }
        printf("%-44s %-8s %-10s copies %lld (%zu bytes) plan %s\n", g_splits[i][2],
               separate ? "separate" : "unified", info.backend, (long long)st.n_copies,
               st.copied_bytes, info.plan);
        glint_model_free(m);
    }
}

/* Teacher-forced logits of a model under a plan vs the CPU alone. */
static double logits_vs_cpu(glint_runtime *rt, const char *path, const char *plan_path,
                            const char *skip_ops) {
    glint_model *mc = load(rt, path, GLINT_BACKEND_CPU, NULL);
    glint_model *mx = load(rt, path, plan_path ? GLINT_BACKEND_AUTO : GLINT_BACKEND_VULKAN,
                           plan_path);
    double worst = INFINITY;
    if (!mc || !mx) goto out;
    glint_session_params sp = glint_session_default_params();
    sp.logits_all = true;
    sp.n_ctx = 256;
    glint_session *sc = NULL, *sx = NULL;
    if (skip_ops) setenv("GLINT_GPU_SKIP_OPS", skip_ops, 1);
    CHECK_STATUS(glint_session_create(mx, &sp, &sx), GLINT_OK);
    unsetenv("GLINT_GPU_SKIP_OPS");
    CHECK_STATUS(glint_session_create(mc, &sp, &sc), GLINT_OK);
    if (!sc || !sx) goto out2;
    glint_model_info info;
    glint_model_get_info(mc, &info);
    int32_t toks[40];
    uint64_t rng = 7;
    for (int i = 0; i < 40; i++) toks[i] = (int32_t)(gl_test_rand(&rng) % (uint64_t)info.n_vocab);
    worst = 0;
    /* a prefill batch of 24, then 16 single decode steps */
    for (int at = 0; at < 40;) {
        const int n = at == 0 ? 24 : 1;
        CHECK_STATUS(glint_session_decode(sx, toks + at, (size_t)n), GLINT_OK);
        CHECK_STATUS(glint_session_decode(sc, toks + at, (size_t)n), GLINT_OK);
        for (int i = 0; i < n; i++) {
            const float *a, *b;
            if (glint_session_get_logits(sx, i, &a) || glint_session_get_logits(sc, i, &b)) {
                worst = INFINITY;
                break;
            }
            for (int32_t v = 0; v < info.n_vocab; v++) worst = fmax(worst, fabs(a[v] - b[v]));
        }
        at += n;
    }
out2:
    glint_session_free(sc);
    glint_session_free(sx);
out:
    glint_model_free(mc);
    glint_model_free(mx);
    return worst;
}

static void test_synthetic_splits(glint_runtime *rt) {
    static const struct {
        const char *name;
        double tol;
    } models[] = {{"llama-f32.gguf", 1e-3}, {"llama-q8_0.gguf", 4e-2}, {"llama-q4_0.gguf", 4e-2},
                  {"llama-q4_k_m.gguf", 4e-2}, {"qwen2-q8_0.gguf", 4e-2}};
    for (size_t i = 0; i < GL_ARRAY_LEN(models); i++) {
        char rel[256], path[1024];
        snprintf(rel, sizeof rel, "synthetic/%s", models[i].name);
        if (!gl_test_model_path(rel, path, sizeof path)) continue;
        /* the synthetic models have 4 layers */
        const char *plan_path = GLINT_TEST_TMP "/test_sched_synth.json";
        glint_runtime_params rp = glint_runtime_default_params();
        (void)rp;
        if (!write_plan(plan_path, "c cvvc v", "v vccv c", 4)) continue;
        const double d = logits_vs_cpu(rt, path, plan_path, NULL);
        CHECK_MSG(d <= models[i].tol, "%s split: max |dlogit| vs cpu %.3g > %.3g",
                  models[i].name, d, models[i].tol);
        printf("%-20s split cpu/vulkan/cpu: max |dlogit| vs cpu %.2e\n", models[i].name, d);
    }
}

/* AUTO at load: a miss profiles and caches, a hit does not profile, a corrupt file or another
 * driver identity (a Vulkan tier forced off changes it) is a miss again. */
static int count_plans(const char *dir, char *last, size_t cap) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls %s/plan-*.json 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    int n = 0;
    while (p && fgets(last, (int)cap, p)) n++;
    if (p) pclose(p);
    last[strcspn(last, "\n")] = 0;
    return n;
}

static void test_plan_cache_at_load(void) {
    char path[1024], file[1200] = "";
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path)) return;
    const char *dir = GLINT_TEST_TMP "/test_sched_plans";
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return;
    setenv("GLINT_CACHE_DIR", dir, 1);
    setenv("GLINT_PROFILE_REPS", "1", 1);
    setenv("GLINT_PROFILE_PREFILL", "8", 1);
    setenv("GLINT_PROFILE_CTX", "0,16", 1);
    /* 0: miss (profiles), 1: hit, 2: corrupt file (profiles), 3: hit, 4: other tiers (profiles) */
    const bool want_profiled[5] = {true, false, true, false, true};
    gl_plan first[GL_PLAN_PHASE_COUNT];
    for (int k = 0; k < 5; k++) {
        if (k == 2) {
            FILE *f = fopen(file, "r+");
            CHECK_MSG(f != NULL, "no cached plan file after a profiling load");
            if (f) {
                fputs("{\"format\": \"glint-pl", f);
                fclose(f);
            }
        }
        if (k == 4) setenv("GLINT_VK_DISABLE", "fp16", 1);
        glint_runtime_params rp = glint_runtime_default_params();
        rp.n_threads = 2;
        glint_runtime *rt = NULL;
        if (glint_runtime_create(&rp, &rt) != GLINT_OK) break;
        glint_model_params mp = glint_model_default_params();
        glint_model *m = NULL;
        CHECK_STATUS(glint_model_load(rt, path, &mp, &m), GLINT_OK);
        if (m) {
            CHECK_MSG((m->profile != NULL) == want_profiled[k], "load %d: profiled %d, want %d", k,
                      m->profile != NULL, want_profiled[k]);
            if (k == 0) memcpy(first, m->plan, sizeof first);
            if (k == 1)
                CHECK_MSG(memcmp(first, m->plan, sizeof first) == 0, "the cached plan differs");
        }
        glint_model_free(m);
        glint_runtime_free(rt);
        const int n = count_plans(dir, file, sizeof file);
        CHECK_MSG(n == (k < 4 ? 1 : 2), "load %d: %d plan files", k, n);
    }
    unsetenv("GLINT_VK_DISABLE");
    unsetenv("GLINT_PROFILE_REPS");
    unsetenv("GLINT_PROFILE_PREFILL");
    unsetenv("GLINT_PROFILE_CTX");
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 1);
}

static void test_masked_ops(glint_runtime *rt) {
    char path[1024];
    if (!gl_test_model_path("synthetic/llama-q8_0.gguf", path, sizeof path)) return;
    const double plain = logits_vs_cpu(rt, path, NULL, NULL);
    const double masked = logits_vs_cpu(rt, path, NULL, "ATTENTION,rope");
    CHECK_MSG(plain <= 4e-2 && masked <= 4e-2, "vulkan %.3g, attention+rope on the cpu %.3g",
              plain, masked);
    printf("masked ops: vulkan vs cpu %.2e; with attention and rope on the cpu %.2e\n", plain,
           masked);

    char spath[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", spath, sizeof spath)) return;
    enum { N = 40 };
    int32_t want[N], got[N];
    glint_model *mc = load(rt, spath, GLINT_BACKEND_CPU, NULL);
    glint_model *mv = load(rt, spath, GLINT_BACKEND_VULKAN, NULL);
    if (mc && mv) {
        generate(mc, want, N, NULL);
        gl_sched_stats st_plain, st_masked;
        generate(mv, got, N, &st_plain);
        setenv("GLINT_GPU_SKIP_OPS", "attention,glu,rms_norm", 1);
        generate(mv, got, N, &st_masked);
        unsetenv("GLINT_GPU_SKIP_OPS");
        CHECK_MSG(memcmp(got, want, sizeof want) == 0, "masked ops: tokens differ from the cpu");
        /* per pass and layer: attention, glu and two norms; plus the output norm (ffn_down,
         * k = 172, is the CPU's in both: the Vulkan matmul wants k % 32 == 0) */
        const int64_t passes = N + 1, moved = passes * (5 * 4 + 1);
        CHECK_EQ_INT(st_plain.nodes_run[0], passes * 5);
        CHECK_EQ_INT(st_masked.nodes_run[0], st_plain.nodes_run[0] + moved);
        CHECK_EQ_INT(st_masked.nodes_run[1], st_plain.nodes_run[1] - moved);
    }
    glint_model_free(mc);
    glint_model_free(mv);
}
#endif

int main(void) {
    test_tracker();
#ifdef GLINT_WITH_VULKAN
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_VALIDATE", "1", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
    bool ran = false;
    for (int separate = 0; separate < 2; separate++) {
        if (separate) setenv("GLINT_SCHED_SEPARATE", "1", 1);
        glint_runtime_params rp = glint_runtime_default_params();
        rp.n_threads = 2;
        glint_runtime *rt = NULL;
        if (glint_runtime_create(&rp, &rt) != GLINT_OK) return 1;
        char devs[8192];
        size_t n;
        glint_runtime_describe(rt, devs, sizeof devs, &n);
        if (!strstr(devs, "\nvulkan") || strstr(devs, "vulkan: no device")) {
            printf("skip (splits): no Vulkan device\n");
            glint_runtime_free(rt);
            break;
        }
        ran = true;
        test_stories_splits(rt, separate);
        if (!separate) test_plan_cache_at_load();
        if (separate) {
            test_synthetic_splits(rt);
        } else {
            test_masked_ops(rt);
        }
        glint_runtime_free(rt);
    }
    unsetenv("GLINT_SCHED_SEPARATE");
    if (ran) CHECK_EQ_INT(gl_vk_validation_messages(), 0);
#endif
    return gl_test_finish("test_sched");
}

/* Teacher-forced comparison with llama.cpp's logits for every synthetic model: the golden's
 * 42 tokens are fed, and at every position the golden's top-10 logits, sum and sum of squares
 * must agree within the tolerances of models/synthetic/README.md for the KV type used. Also
 * checks one-batch prefill against the golden's prefill line and the argmax wherever the
 * golden's top-1/top-2 gap is wider than twice the tolerance. */
#include "glint.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_POS_MAX 64

typedef struct golden_pos {
    int32_t token;
    int32_t top_id[10];
    float top[10];
    double sum, sumsq;
} golden_pos;

typedef struct golden {
    golden_pos pos[N_POS_MAX];
    int n_pos;
    golden_pos prefill; /* logits of the last prompt position, whole prompt in one batch */
    int n_prompt;
} golden;

static const char *num_after(const char *line, const char *key) {
    const char *p = strstr(line, key);
    return p ? p + strlen(key) : NULL;
}

static bool parse_pos_line(const char *line, golden_pos *gp) {
    const char *p = num_after(line, "\"token\":");
    if (!p) return false;
    gp->token = (int32_t)strtol(p, NULL, 10);
    p = num_after(line, "\"top\":[");
    if (!p) return false;
    for (int i = 0; i < 10; i++) {
        p = strchr(p, '[');
        if (!p) return false;
        char *end;
        gp->top_id[i] = (int32_t)strtol(p + 1, &end, 10);
        gp->top[i] = strtof(end + 1, &end);
        p = end;
    }
    const char *s = num_after(line, "\"sum\":"), *q = num_after(line, "\"sumsq\":");
    if (!s || !q) return false;
    gp->sum = strtod(s, NULL);
    gp->sumsq = strtod(q, NULL);
    return true;
}

static bool load_golden(const char *path, golden *g) {
    size_t size;
    char *text = gl_test_read_file(path, &size);
    if (!text) return false;
    memset(g, 0, sizeof *g);
    bool ok = true;
    for (char *line = strtok(text, "\n"); line && ok; line = strtok(NULL, "\n")) {
        if (strstr(line, "\"prefill\"")) {
            ok = parse_pos_line(line, &g->prefill);
        } else if (strstr(line, "\"pos\":")) {
            if (g->n_pos >= N_POS_MAX) break;
            ok = parse_pos_line(line, &g->pos[g->n_pos++]);
        } else if (strstr(line, "\"tokens\":[")) {
            const char *p = strstr(line, "\"tokens\":[") + 10;
            for (g->n_prompt = 1; *p && *p != ']'; p++) g->n_prompt += *p == ',';
        }
    }
    free(text);
    return ok && g->n_pos > 0 && g->n_prompt > 0;
}

typedef struct tol {
    double logit, sum, sumsq_rel;
} tol;

/* Compares one position; returns the max |diff| over the golden's top-10 ids. */
static double compare(const char *what, int pos, const golden_pos *gp, const float *lg,
                      int32_t n_vocab, tol t) {
    double maxd = 0, sum = 0, sumsq = 0;
    for (int32_t i = 0; i < n_vocab; i++) {
        sum += lg[i];
        sumsq += (double)lg[i] * lg[i];
    }
    for (int i = 0; i < 10; i++) {
        const double d = fabs((double)lg[gp->top_id[i]] - gp->top[i]);
        if (d > maxd) maxd = d;
        CHECK_MSG(d <= t.logit, "%s pos %d: logit[%d] = %.6f, golden %.6f (tol %g)", what, pos,
                  gp->top_id[i], lg[gp->top_id[i]], gp->top[i], t.logit);
    }
    CHECK_MSG(fabs(sum - gp->sum) <= t.sum, "%s pos %d: sum %.6f, golden %.6f (tol %g)", what,
              pos, sum, gp->sum, t.sum);
    CHECK_MSG(fabs(sumsq - gp->sumsq) <= t.sumsq_rel * gp->sumsq,
              "%s pos %d: sumsq %.6f, golden %.6f (rel tol %g)", what, pos, sumsq, gp->sumsq,
              t.sumsq_rel);
    /* argmax where the golden's margin is clear of the tolerance */
    if (gp->top[0] - gp->top[1] > 2 * t.logit) {
        int32_t best = 0;
        for (int32_t i = 1; i < n_vocab; i++)
            if (lg[i] > lg[best]) best = i;
        CHECK_MSG(best == gp->top_id[0], "%s pos %d: argmax %d, golden %d (gap %.4g)", what, pos,
                  best, gp->top_id[0], gp->top[0] - gp->top[1]);
    }
    return maxd;
}

static void run_model(glint_runtime *rt, const char *name, tol t32, tol t16) {
    char path[1024], gpath[1100];
    char rel[256];
    snprintf(rel, sizeof rel, "synthetic/%s", name);
    if (!gl_test_model_path(rel, path, sizeof path)) return;
    snprintf(gpath, sizeof gpath, "%s.golden.jsonl", path);
    golden g;
    CHECK_MSG(load_golden(gpath, &g), "cannot parse %s", gpath);
    glint_model *m = NULL;
    glint_status st = glint_model_load(rt, path, NULL, &m);
    CHECK_MSG(st == GLINT_OK, "%s: %s", name, glint_runtime_last_error(rt));
    if (st) return;
    glint_model_info info;
    glint_model_get_info(m, &info);

    for (int kv = 0; kv < 2; kv++) {
        const tol t = kv ? t16 : t32;
        glint_session_params sp = glint_session_default_params();
        sp.kv_type = kv ? GLINT_TYPE_F16 : GLINT_TYPE_F32;
        sp.logits_all = true;
        glint_session *s;
        CHECK_STATUS(glint_session_create(m, &sp, &s), GLINT_OK);
        char what[128];
        snprintf(what, sizeof what, "%s kv=%s", name, kv ? "f16" : "f32");

        /* one token per call, as the golden was made */
        double maxd = 0;
        for (int p = 0; p < g.n_pos; p++) {
            CHECK_STATUS(glint_session_decode(s, &g.pos[p].token, 1), GLINT_OK);
            const float *lg;
            CHECK_STATUS(glint_session_get_logits(s, -1, &lg), GLINT_OK);
            if (lg) maxd = fmax(maxd, compare(what, p, &g.pos[p], lg, info.n_vocab, t));
        }
        /* the whole prompt in one batch: every position against the golden */
        int32_t toks[N_POS_MAX];
        for (int p = 0; p < g.n_pos; p++) toks[p] = g.pos[p].token;
        glint_session_rewind(s, 0);
        CHECK_STATUS(glint_session_decode(s, toks, (size_t)g.n_pos), GLINT_OK);
        double maxb = 0;
        for (int p = 0; p < g.n_pos; p++) {
            const float *lg;
            CHECK_STATUS(glint_session_get_logits(s, p, &lg), GLINT_OK);
            if (lg) maxb = fmax(maxb, compare(what, p, &g.pos[p], lg, info.n_vocab, t));
        }
        glint_session_rewind(s, 0);
        CHECK_STATUS(glint_session_decode(s, toks, (size_t)g.n_prompt), GLINT_OK);
        const float *lg;
        CHECK_STATUS(glint_session_get_logits(s, -1, &lg), GLINT_OK);
        if (lg) compare(what, g.n_prompt - 1, &g.prefill, lg, info.n_vocab, t);
        printf("%-22s kv=%s  max |dlogit| single %.2e  batched %.2e  (tol %.0e)\n", name,
               kv ? "f16" : "f32", maxd, maxb, t.logit);
        glint_session_free(s);
    }
    glint_model_free(m);
}

int main(void) {
    char probe[1024];
    if (!gl_test_model_path("synthetic/llama-f32.gguf", probe, sizeof probe)) return GL_TEST_SKIP;
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = 2;
    glint_runtime *rt;
    if (glint_runtime_create(&rp, &rt) != GLINT_OK) return 1;
    /* {logit, sum, sumsq relative} for F32 KV and F16 KV, from synthetic/README.md */
    const tol q32 = {4e-2, 0.6, 1e-2}, q16 = {4e-2, 0.6, 1e-2};
    run_model(rt, "llama-f32.gguf", (tol){1e-4, 1e-3, 2e-4}, (tol){1e-3, 1e-2, 1e-3});
    run_model(rt, "llama-f16.gguf", (tol){2e-3, 3e-2, 1e-3}, (tol){3e-3, 3e-2, 1e-3});
    run_model(rt, "llama-q8_0.gguf", q32, q16);
    run_model(rt, "llama-q4_0.gguf", q32, q16);
    run_model(rt, "llama-q4_k_m.gguf", q32, q16);
    run_model(rt, "qwen2-q8_0.gguf", q32, q16);
    glint_runtime_free(rt);
    return gl_test_finish("test_model_golden");
}

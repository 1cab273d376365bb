/* Sampler: greedy, the cut-off steps (which ids can ever be drawn), penalties, determinism and
 * the shape of the distribution. */
#include "common.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static glint_sampler_params base_params(void) {
    glint_sampler_params p = glint_sampler_default_params();
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.seed = 1234;
    return p;
}

static int32_t sample_once(const glint_sampler_params *p, const float *l, int32_t n) {
    glint_sampler *smp = NULL;
    int32_t tok = -2;
    CHECK_STATUS(glint_sampler_create(p, &smp), GLINT_OK);
    if (!smp) return -2;
    CHECK_STATUS(glint_sampler_sample_logits(smp, l, n, &tok), GLINT_OK);
    glint_sampler_free(smp);
    return tok;
}

/* Draws `n_draws` tokens and returns a bit mask of the ids seen (n <= 32). */
static uint32_t drawn_set(const glint_sampler_params *p, const float *l, int32_t n, int n_draws) {
    glint_sampler *smp = NULL;
    uint32_t seen = 0;
    CHECK_STATUS(glint_sampler_create(p, &smp), GLINT_OK);
    if (!smp) return 0;
    for (int i = 0; i < n_draws; i++) {
        int32_t tok = -1;
        if (glint_sampler_sample_logits(smp, l, n, &tok) != GLINT_OK || tok < 0 || tok >= n) {
            CHECK_MSG(0, "draw %d gave status/token %d", i, tok);
            break;
        }
        seen |= 1u << tok;
    }
    glint_sampler_free(smp);
    return seen;
}

static void test_greedy(void) {
    glint_sampler_params p = base_params();
    p.temperature = 0.0f;
    const float ties[] = {1.0f, 3.0f, 3.0f, 2.0f};
    CHECK_EQ_INT(sample_once(&p, ties, 4), 1);
    const float flat[] = {0.5f, 0.5f, 0.5f};
    CHECK_EQ_INT(sample_once(&p, flat, 3), 0);
    const float with_nan[] = {NAN, -1.0f, 4.0f, NAN, 4.0f};
    CHECK_EQ_INT(sample_once(&p, with_nan, 5), 2);
    const float neg[] = {-5.0f, -INFINITY, -0.25f, -3.0f};
    CHECK_EQ_INT(sample_once(&p, neg, 4), 2);
    p.temperature = -1.0f; /* any temperature <= 0 is greedy */
    CHECK_EQ_INT(sample_once(&p, ties, 4), 1);
}

/* top_k = 1 and a vanishing temperature both reduce to the argmax, whatever the seed. */
static void test_greedy_limits(void) {
    uint64_t rs = 99;
    float l[300];
    for (int trial = 0; trial < 50; trial++) {
        for (int i = 0; i < 300; i++) l[i] = 3.0f * gl_test_randf(&rs);
        int32_t want = 0;
        for (int i = 1; i < 300; i++)
            if (l[i] > l[want]) want = i;
        glint_sampler_params p = base_params();
        p.seed = (uint64_t)trial;
        p.top_k = 1;
        p.temperature = 1.5f;
        CHECK_EQ_INT(sample_once(&p, l, 300), want);
        p.top_k = 0;
        p.temperature = 1e-4f; /* gaps of ~1e-2 make the runner-up e^-100 less likely */
        l[want] += 0.01f;
        CHECK_EQ_INT(sample_once(&p, l, 300), want);
    }
}

/* Probabilities 0.5, 0.25, 0.15, 0.1 at temperature 1. */
static void test_cut_sets(void) {
    const float l[] = {logf(0.5f), logf(0.25f), logf(0.15f), logf(0.1f)};
    struct {
        const char *what;
        int32_t top_k;
        float top_p, min_p;
        uint32_t want;
    } cases[] = {
        {"no cut", 0, 1.0f, 0.0f, 0xf},
        {"top_k 2", 2, 1.0f, 0.0f, 0x3},
        {"top_k 3", 3, 1.0f, 0.0f, 0x7},
        {"top_k 1", 1, 1.0f, 0.0f, 0x1},
        {"top_p 0.7", 0, 0.7f, 0.0f, 0x3},
        {"top_p 0.8", 0, 0.8f, 0.0f, 0x7},
        {"top_p 0.4", 0, 0.4f, 0.0f, 0x1},
        {"top_p 0.95", 0, 0.95f, 0.0f, 0xf},
        /* top-p measures mass after top-k: 0.5 + 0.25 >= 0.8 * 0.9 */
        {"top_k 3 + top_p 0.8", 3, 0.8f, 0.0f, 0x3},
        {"min_p 0.4", 0, 1.0f, 0.4f, 0x3},
        {"min_p 0.25", 0, 1.0f, 0.25f, 0x7},
        {"min_p 0.6", 0, 1.0f, 0.6f, 0x1},
        {"min_p 0.1", 0, 1.0f, 0.1f, 0xf},
        {"top_p 0.8 + min_p 0.4", 0, 0.8f, 0.4f, 0x3},
        {"top_p 0.7 + min_p 0.25", 0, 0.7f, 0.25f, 0x3},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        glint_sampler_params p = base_params();
        p.top_k = cases[i].top_k;
        p.top_p = cases[i].top_p;
        p.min_p = cases[i].min_p;
        p.seed = 77 + i;
        const uint32_t seen = drawn_set(&p, l, 4, 4000);
        CHECK_MSG(seen == cases[i].want, "%s: drew ids 0x%x, want 0x%x", cases[i].what, seen,
                  cases[i].want);
        /* A high temperature flattens the distribution but must not widen the cut set. */
        p.temperature = 5.0f;
        const uint32_t seen_hot = drawn_set(&p, l, 4, 4000);
        CHECK_MSG(seen_hot == cases[i].want, "%s at T=5: drew ids 0x%x, want 0x%x", cases[i].what,
                  seen_hot, cases[i].want);
    }
}

static void test_penalties(void) {
    struct {
        const char *what;
        float repeat, freq, presence;
        int32_t last_n;
        int32_t hist[4];
        int n_hist;
        float l[3];
        int32_t want;
    } cases[] = {
        {"none", 1.0f, 0, 0, 64, {0}, 1, {2.0f, 1.9f, 0.0f}, 0},
        {"repeat divides positive", 1.5f, 0, 0, 64, {0}, 1, {2.0f, 1.9f, 0.0f}, 1},
        {"repeat multiplies negative", 1.5f, 0, 0, 64, {0}, 1, {-1.0f, -1.2f, -9.0f}, 1},
        {"repeat on other token", 1.5f, 0, 0, 64, {2}, 1, {2.0f, 1.9f, 0.0f}, 0},
        {"repeat counted once", 1.04f, 0, 0, 64, {0, 0, 0}, 3, {2.0f, 1.9f, 0.0f}, 0},
        {"frequency x1", 1.0f, 0.05f, 0, 64, {0}, 1, {2.0f, 1.9f, 0.0f}, 0},
        {"frequency x3", 1.0f, 0.05f, 0, 64, {0, 0, 0}, 3, {2.0f, 1.9f, 0.0f}, 1},
        {"presence", 1.0f, 0, 0.2f, 64, {0}, 1, {2.0f, 1.9f, 0.0f}, 1},
        {"presence flat in count", 1.0f, 0, 0.06f, 64, {0, 0, 0}, 3, {2.0f, 1.9f, 0.0f}, 0},
        {"outside window", 1.5f, 0.5f, 0.5f, 2, {0, 2, 2}, 3, {2.0f, 1.9f, 0.0f}, 0},
        {"inside window", 1.5f, 0, 0, 3, {0, 2, 2}, 3, {2.0f, 1.9f, 0.0f}, 1},
        {"out-of-range ids ignored", 1.5f, 0, 0, 64, {-1, 7}, 2, {2.0f, 1.9f, 0.0f}, 0},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        for (int mode = 0; mode < 2; mode++) { /* greedy, and sampling with top_k = 1 */
            glint_sampler_params p = base_params();
            p.repeat_penalty = cases[i].repeat;
            p.frequency_penalty = cases[i].freq;
            p.presence_penalty = cases[i].presence;
            p.penalty_last_n = cases[i].last_n;
            p.temperature = mode == 0 ? 0.0f : 1.0f;
            p.top_k = mode == 0 ? 0 : 1;
            glint_sampler *smp = NULL;
            CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_OK);
            if (!smp) continue;
            for (int h = 0; h < cases[i].n_hist; h++) glint_sampler_accept(smp, cases[i].hist[h]);
            int32_t tok = -1;
            CHECK_STATUS(glint_sampler_sample_logits(smp, cases[i].l, 3, &tok), GLINT_OK);
            CHECK_MSG(tok == cases[i].want, "%s (%s): got %d, want %d", cases[i].what,
                      mode == 0 ? "greedy" : "top_k 1", tok, cases[i].want);
            /* reset forgets the history: back to the plain argmax */
            glint_sampler_reset(smp);
            const float plain[3] = {2.0f, 1.9f, 0.0f};
            CHECK_STATUS(glint_sampler_sample_logits(smp, plain, 3, &tok), GLINT_OK);
            CHECK_MSG(tok == 0, "%s after reset: got %d", cases[i].what, tok);
            glint_sampler_free(smp);
        }
    }
    /* The caller's logits are never modified. */
    glint_sampler_params p = base_params();
    p.repeat_penalty = 2.0f;
    glint_sampler *smp = NULL;
    CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_OK);
    float l[3] = {2.0f, 1.0f, -1.0f};
    glint_sampler_accept(smp, 0);
    int32_t tok;
    CHECK_STATUS(glint_sampler_sample_logits(smp, l, 3, &tok), GLINT_OK);
    CHECK(l[0] == 2.0f && l[1] == 1.0f && l[2] == -1.0f);
    glint_sampler_free(smp);
}

static void test_determinism(void) {
    enum { N = 1000, STEPS = 300 };
    float *l = malloc(N * sizeof *l);
    int32_t *a = malloc(STEPS * sizeof *a), *b = malloc(STEPS * sizeof *b);
    glint_sampler_params p = glint_sampler_default_params();
    p.temperature = 1.3f;
    p.top_k = 200;
    p.top_p = 0.98f;
    p.min_p = 0.01f;
    p.repeat_penalty = 1.1f;
    p.seed = 42;
    for (int run = 0; run < 3; run++) {
        glint_sampler *smp = NULL;
        glint_sampler_params q = p;
        if (run == 2) q.seed = 43;
        CHECK_STATUS(glint_sampler_create(&q, &smp), GLINT_OK);
        if (!smp) break;
        uint64_t rs = 5; /* the same logits sequence every run */
        for (int s = 0; s < STEPS; s++) {
            for (int i = 0; i < N; i++) l[i] = 0.5f * gl_test_randf(&rs);
            int32_t tok = -1;
            CHECK_STATUS(glint_sampler_sample_logits(smp, l, N, &tok), GLINT_OK);
            glint_sampler_accept(smp, tok);
            (run == 0 ? a : b)[s] = tok;
        }
        glint_sampler_free(smp);
        if (run == 1) {
            int same = 0;
            for (int s = 0; s < STEPS; s++) same += a[s] == b[s];
            CHECK_MSG(same == STEPS, "same seed: %d of %d tokens agree", same, STEPS);
        }
        if (run == 2) {
            int same = 0;
            for (int s = 0; s < STEPS; s++) same += a[s] == b[s];
            CHECK_MSG(same < STEPS / 4, "other seed: %d of %d tokens agree", same, STEPS);
        }
    }
    /* reset restarts the random sequence */
    glint_sampler *smp = NULL;
    CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_OK);
    for (int i = 0; i < N; i++) l[i] = 0.0f;
    int32_t first[20], again[20];
    for (int s = 0; s < 20; s++) glint_sampler_sample_logits(smp, l, N, &first[s]);
    glint_sampler_reset(smp);
    for (int s = 0; s < 20; s++) glint_sampler_sample_logits(smp, l, N, &again[s]);
    CHECK(memcmp(first, again, sizeof first) == 0);
    glint_sampler_free(smp);
    free(l);
    free(a);
    free(b);
}

/* 20000 draws against the softmax they come from: Pearson's chi-square with 7 degrees of
 * freedom stays under 24.32 (p = 0.001) for a correct sampler; the seed is fixed, so this is
 * deterministic. */
static void test_distribution(void) {
    const float l[8] = {1.0f, 0.5f, 0.0f, -0.3f, 2.0f, -1.0f, 0.2f, 1.4f};
    const float temps[] = {1.0f, 0.7f, 1.8f};
    for (size_t ti = 0; ti < GL_ARRAY_LEN(temps); ti++) {
        glint_sampler_params p = base_params();
        p.temperature = temps[ti];
        p.seed = 2024 + ti;
        glint_sampler *smp = NULL;
        CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_OK);
        if (!smp) continue;
        enum { DRAWS = 20000 };
        int count[8] = {0};
        for (int d = 0; d < DRAWS; d++) {
            int32_t tok = -1;
            glint_sampler_sample_logits(smp, l, 8, &tok);
            if (tok >= 0 && tok < 8) count[tok]++;
        }
        glint_sampler_free(smp);
        double z = 0, prob[8];
        for (int i = 0; i < 8; i++) z += exp(l[i] / temps[ti]);
        double chi2 = 0;
        for (int i = 0; i < 8; i++) {
            prob[i] = exp(l[i] / temps[ti]) / z;
            const double e = prob[i] * DRAWS;
            chi2 += (count[i] - e) * (count[i] - e) / e;
        }
        CHECK_MSG(chi2 < 24.32, "T=%.1f: chi2 = %.2f (counts %d %d %d %d %d %d %d %d)", temps[ti],
                  chi2, count[0], count[1], count[2], count[3], count[4], count[5], count[6],
                  count[7]);
        /* and a too-small chi2 would mean the draws are not random */
        CHECK_MSG(chi2 > 0.2, "T=%.1f: chi2 = %.3f suspiciously small", temps[ti], chi2);
    }
}

/* Default params on a llama-sized vocab: the token comes from the top 40. */
static void test_large_vocab(void) {
    enum { N = 32000 };
    float *l = malloc(N * sizeof *l);
    uint64_t rs = 11;
    for (int i = 0; i < N; i++) l[i] = 4.0f * gl_test_randf(&rs);
    glint_sampler_params p = glint_sampler_default_params();
    glint_sampler *smp = NULL;
    CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_OK);
    for (int s = 0; s < 50 && smp; s++) {
        int32_t tok = -1;
        CHECK_STATUS(glint_sampler_sample_logits(smp, l, N, &tok), GLINT_OK);
        if (tok < 0 || tok >= N) {
            CHECK_MSG(0, "token %d out of range", tok);
            break;
        }
        int higher = 0;
        for (int i = 0; i < N; i++) higher += l[i] > l[tok];
        CHECK_MSG(higher < 40, "token %d has %d higher logits", tok, higher);
    }
    /* a smaller vocab on the same sampler reuses its buffers */
    int32_t tok = -1;
    CHECK_STATUS(glint_sampler_sample_logits(smp, l, 10, &tok), GLINT_OK);
    CHECK(tok >= 0 && tok < 10);
    glint_sampler_free(smp);
    free(l);
}

static int cmp_desc(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* top-p / min-p over a big random vocab: every draw lies inside the set computed here. */
static void test_nucleus_large(void) {
    enum { N = 3000 };
    float *l = malloc(N * sizeof *l), *sorted = malloc(N * sizeof *sorted);
    uint64_t rs = 21;
    for (int i = 0; i < N; i++) l[i] = 2.0f * gl_test_randf(&rs);
    memcpy(sorted, l, N * sizeof *l);
    qsort(sorted, N, sizeof *sorted, cmp_desc);
    const float top_ps[] = {0.3f, 0.6f, 0.9f};
    for (size_t k = 0; k < GL_ARRAY_LEN(top_ps); k++) {
        double z = 0, cum = 0;
        for (int i = 0; i < N; i++) z += exp(sorted[i] - sorted[0]);
        float cut = sorted[N - 1];
        for (int i = 0; i < N; i++) {
            cum += exp(sorted[i] - sorted[0]);
            if (cum >= top_ps[k] * z) {
                cut = sorted[i];
                break;
            }
        }
        glint_sampler_params p = base_params();
        p.top_p = top_ps[k];
        p.seed = 5 + k;
        glint_sampler *smp = NULL;
        CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_OK);
        int outside = 0, at_cut = 0;
        for (int d = 0; d < 3000 && smp; d++) {
            int32_t tok = -1;
            glint_sampler_sample_logits(smp, l, N, &tok);
            if (tok < 0 || tok >= N || l[tok] < cut) outside++;
            at_cut += tok >= 0 && tok < N && l[tok] < sorted[0] - 0.9f * (sorted[0] - cut);
        }
        CHECK_MSG(outside == 0, "top_p %.1f: %d draws below the nucleus", top_ps[k], outside);
        CHECK_MSG(at_cut > 0, "top_p %.1f: no draw near the cut", top_ps[k]);
        glint_sampler_free(smp);
    }
    free(l);
    free(sorted);
}

static void test_bad_input(void) {
    glint_sampler_params p = base_params();
    glint_sampler *smp = NULL;
    CHECK_STATUS(glint_sampler_create(NULL, &smp), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(glint_sampler_create(&p, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    p.temperature = NAN;
    CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK(smp == NULL);
    p = base_params();
    p.repeat_penalty = 0.0f;
    CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_ERROR_INVALID_ARGUMENT);
    p = base_params();
    p.penalty_last_n = -1;
    CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_ERROR_INVALID_ARGUMENT);
    p = base_params();
    CHECK_STATUS(glint_sampler_create(&p, &smp), GLINT_OK);
    const float l[2] = {0.0f, 1.0f};
    int32_t tok = 5;
    CHECK_STATUS(glint_sampler_sample_logits(smp, l, 0, &tok), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ_INT(tok, -1);
    CHECK_STATUS(glint_sampler_sample_logits(smp, NULL, 2, &tok), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(glint_sampler_sample_logits(smp, l, 2, NULL), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(glint_sampler_sample_logits(NULL, l, 2, &tok), GLINT_ERROR_INVALID_ARGUMENT);
    /* every logit impossible: still a valid id, no crash */
    const float dead[3] = {-INFINITY, NAN, -INFINITY};
    CHECK_STATUS(glint_sampler_sample_logits(smp, dead, 3, &tok), GLINT_OK);
    CHECK(tok >= 0 && tok < 3);
    glint_sampler_accept(NULL, 3);
    glint_sampler_reset(NULL);
    glint_sampler_free(smp);
    glint_sampler_free(NULL);
}

int main(void) {
    test_greedy();
    test_greedy_limits();
    test_cut_sets();
    test_penalties();
    test_determinism();
    test_distribution();
    test_large_vocab();
    test_nucleus_large();
    test_bad_input();
    return gl_test_finish("test_sampler");
}

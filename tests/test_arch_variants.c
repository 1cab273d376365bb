/* Architecture variants no shared golden covers — tied output, qwen2 (Q/K/V bias, NeoX rope),
 * qwen3 (per-head Q/K RMS norm), llama-3 rope factors, linear rope scaling — built from
 * stories260K with Glint's GGUF writer and compared, position by position, with a float64
 * forward pass written here from the formulas (not from the engine's code). */
#include "glint.h"
#include "gguf.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_TOK 24

typedef struct variant {
    const char *name;
    const char *arch;  /* written as general.architecture; keys are renamed to its prefix */
    bool tied;         /* leave output.weight out */
    bool bias;         /* add attn_{q,k,v}.bias */
    bool qk_norm;      /* add attn_{q,k}_norm.weight */
    bool rope_factors; /* add rope_freqs.weight */
    float linear;      /* rope.scaling.type linear with this factor (0 = none) */
} variant;

static const variant g_variants[] = {
    {"llama", "llama", false, false, false, false, 0},
    {"llama tied output", "llama", true, false, false, false, 0},
    {"llama rope factors", "llama", false, false, false, true, 0},
    {"llama linear rope x4", "llama", false, false, false, false, 4},
    {"qwen2 bias neox", "qwen2", false, true, false, false, 0},
    {"qwen3 qk-norm neox", "qwen3", true, false, true, false, 0},
};

/* ---- the model as the reference sees it: f32 arrays by name ---- */
typedef struct ref_model {
    int E, L, H, HK, D, F, V;
    double eps, base, scale;
    bool neox;
    const gl_gguf *g;
    float *extra[64]; /* tensors the test made up, by slot */
    char extra_name[64][64];
    int n_extra;
} ref_model;

static const float *tensor(const ref_model *m, const char *name) {
    for (int i = 0; i < m->n_extra; i++)
        if (strcmp(m->extra_name[i], name) == 0) return m->extra[i];
    const gl_gguf_tensor *t = gl_gguf_find_tensor(m->g, name);
    return t ? t->data : NULL;
}

static const float *layer_tensor(const ref_model *m, int l, const char *what) {
    char name[96];
    snprintf(name, sizeof name, "blk.%d.%s", l, what);
    return tensor(m, name);
}

static void rmsnorm(double *y, const double *x, const float *w, int n, double eps) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    const double s = 1.0 / sqrt(ss / n + eps);
    for (int i = 0; i < n; i++) y[i] = x[i] * s * (w ? w[i] : 1.0);
}

/* y[m] = W[m][k] x[k]; GGUF stores W with ne = {k, m}: row r at W + r*k */
static void matvec(double *y, const float *w, const double *x, int k, int m) {
    for (int r = 0; r < m; r++) {
        double s = 0;
        for (int i = 0; i < k; i++) s += (double)w[(size_t)r * k + i] * x[i];
        y[r] = s;
    }
}

static void rope(double *v, int D, int pos, const ref_model *m, const float *factors) {
    for (int i = 0; i < D / 2; i++) {
        double theta = pos * m->scale * pow(m->base, -2.0 * i / D);
        if (factors) theta /= factors[i];
        const int a = m->neox ? i : 2 * i, b = m->neox ? i + D / 2 : 2 * i + 1;
        const double x0 = v[a], x1 = v[b];
        v[a] = x0 * cos(theta) - x1 * sin(theta);
        v[b] = x0 * sin(theta) + x1 * cos(theta);
    }
}

/* logits[N_TOK][V] for the tokens, one position after the other. */
static void ref_forward(const ref_model *m, const variant *va, const int32_t *toks,
                        double *logits) {
    const int E = m->E, D = m->D, H = m->H, HK = m->HK, F = m->F;
    double *x = calloc(E, sizeof *x), *h = calloc(E, sizeof *h), *q = calloc(H * D, sizeof *q);
    double *k = calloc(HK * D, sizeof *k), *v = calloc(HK * D, sizeof *v);
    double *att = calloc(H * D, sizeof *att), *o = calloc(E, sizeof *o);
    double *g = calloc(F, sizeof *g), *u = calloc(F, sizeof *u), *sc = calloc(N_TOK, sizeof *sc);
    double *kc = calloc((size_t)m->L * N_TOK * HK * D, sizeof *kc);
    double *vc = calloc((size_t)m->L * N_TOK * HK * D, sizeof *vc);
    const float *factors = va->rope_factors ? tensor(m, "rope_freqs.weight") : NULL;
    const float *emb = tensor(m, "token_embd.weight");
    const float *out = va->tied ? emb : tensor(m, "output.weight");
    for (int p = 0; p < N_TOK; p++) {
        for (int i = 0; i < E; i++) x[i] = emb[(size_t)toks[p] * E + i];
        for (int l = 0; l < m->L; l++) {
            rmsnorm(h, x, layer_tensor(m, l, "attn_norm.weight"), E, m->eps);
            matvec(q, layer_tensor(m, l, "attn_q.weight"), h, E, H * D);
            matvec(k, layer_tensor(m, l, "attn_k.weight"), h, E, HK * D);
            matvec(v, layer_tensor(m, l, "attn_v.weight"), h, E, HK * D);
            if (va->bias) {
                const float *bq = layer_tensor(m, l, "attn_q.bias");
                const float *bk = layer_tensor(m, l, "attn_k.bias");
                const float *bv = layer_tensor(m, l, "attn_v.bias");
                for (int i = 0; i < H * D; i++) q[i] += bq[i];
                for (int i = 0; i < HK * D; i++) k[i] += bk[i], v[i] += bv[i];
            }
            for (int hh = 0; hh < H; hh++) {
                if (va->qk_norm)
                    rmsnorm(q + hh * D, q + hh * D, layer_tensor(m, l, "attn_q_norm.weight"), D,
                            m->eps);
                rope(q + hh * D, D, p, m, factors);
            }
            for (int hh = 0; hh < HK; hh++) {
                if (va->qk_norm)
                    rmsnorm(k + hh * D, k + hh * D, layer_tensor(m, l, "attn_k_norm.weight"), D,
                            m->eps);
                rope(k + hh * D, D, p, m, factors);
            }
            double *kl = kc + ((size_t)l * N_TOK + p) * HK * D;
            double *vl = vc + ((size_t)l * N_TOK + p) * HK * D;
            memcpy(kl, k, sizeof *k * HK * D);
            memcpy(vl, v, sizeof *v * HK * D);
            for (int hh = 0; hh < H; hh++) {
                const int hk = hh / (H / HK);
                double mx = -INFINITY, sum = 0;
                for (int t = 0; t <= p; t++) {
                    const double *kt = kc + ((size_t)l * N_TOK + t) * HK * D + hk * D;
                    double s = 0;
                    for (int i = 0; i < D; i++) s += q[hh * D + i] * kt[i];
                    sc[t] = s / sqrt((double)D);
                    mx = fmax(mx, sc[t]);
                }
                for (int t = 0; t <= p; t++) sum += (sc[t] = exp(sc[t] - mx));
                for (int i = 0; i < D; i++) {
                    double a = 0;
                    for (int t = 0; t <= p; t++)
                        a += sc[t] / sum * vc[((size_t)l * N_TOK + t) * HK * D + hk * D + i];
                    att[hh * D + i] = a;
                }
            }
            matvec(o, layer_tensor(m, l, "attn_output.weight"), att, H * D, E);
            for (int i = 0; i < E; i++) x[i] += o[i];
            rmsnorm(h, x, layer_tensor(m, l, "ffn_norm.weight"), E, m->eps);
            matvec(g, layer_tensor(m, l, "ffn_gate.weight"), h, E, F);
            matvec(u, layer_tensor(m, l, "ffn_up.weight"), h, E, F);
            for (int i = 0; i < F; i++) g[i] = g[i] / (1 + exp(-g[i])) * u[i];
            matvec(o, layer_tensor(m, l, "ffn_down.weight"), g, F, E);
            for (int i = 0; i < E; i++) x[i] += o[i];
        }
        rmsnorm(h, x, tensor(m, "output_norm.weight"), E, m->eps);
        matvec(logits + (size_t)p * m->V, out, h, E, m->V);
    }
    free(x), free(h), free(q), free(k), free(v), free(att), free(o), free(g), free(u);
    free(sc), free(kc), free(vc);
}

static float *rand_tensor(ref_model *m, const char *name, int n, float center, float spread,
                          uint64_t *rng) {
    float *t = malloc((size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) t[i] = center + spread * gl_test_randf(rng);
    snprintf(m->extra_name[m->n_extra], sizeof m->extra_name[0], "%s", name);
    m->extra[m->n_extra++] = t;
    return t;
}

static bool write_variant(const gl_gguf *src, ref_model *m, const variant *va, const char *path) {
    gl_gguf_writer *w;
    if (gl_gguf_writer_create(&w) != GLINT_OK) return false;
    bool ok = true;
    for (int64_t i = 0; i < gl_gguf_n_kv(src); i++) {
        const char *key = gl_gguf_kv_key(src, i);
        if (strncmp(key, "llama.", 6) != 0) {
            ok &= gl_gguf_writer_copy_kv(w, src, i) == GLINT_OK;
            continue;
        }
        /* same value under the variant's prefix */
        char nk[128];
        snprintf(nk, sizeof nk, "%s.%s", va->arch, key + 6);
        const gl_gguf_type t = gl_gguf_kv_type(src, i);
        const gl_str raw = gl_gguf_kv_raw(src, i);
        ok &= t != GL_GGUF_ARRAY && t != GL_GGUF_STRING &&
              gl_gguf_writer_set_val(w, nk, t, raw.ptr) == GLINT_OK;
    }
    ok &= gl_gguf_writer_set_str(w, "general.architecture", va->arch) == GLINT_OK;
    if (va->linear > 0) {
        char k1[64], k2[64];
        snprintf(k1, sizeof k1, "%s.rope.scaling.type", va->arch);
        snprintf(k2, sizeof k2, "%s.rope.scaling.factor", va->arch);
        ok &= gl_gguf_writer_set_str(w, k1, "linear") == GLINT_OK;
        ok &= gl_gguf_writer_set_f32(w, k2, va->linear) == GLINT_OK;
    }
    for (int64_t i = 0; i < gl_gguf_n_tensors(src); i++) {
        const gl_gguf_tensor *t = gl_gguf_tensor_at(src, i);
        if (va->tied && strcmp(t->name, "output.weight") == 0) continue;
        ok &= gl_gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, NULL,
                                        NULL) == GLINT_OK;
    }
    uint64_t rng = 42;
    for (int l = 0; l < m->L; l++) {
        char name[64];
        const char *what[3] = {"attn_q", "attn_k", "attn_v"};
        for (int j = 0; va->bias && j < 3; j++) {
            snprintf(name, sizeof name, "blk.%d.%s.bias", l, what[j]);
            const int n = (j ? m->HK : m->H) * m->D;
            float *b = rand_tensor(m, name, n, 0, 0.3f, &rng);
            ok &= gl_gguf_writer_add_tensor(w, name, GLINT_TYPE_F32, 1, (int64_t[]){n}, b, NULL,
                                            NULL) == GLINT_OK;
        }
        for (int j = 0; va->qk_norm && j < 2; j++) {
            snprintf(name, sizeof name, "blk.%d.%s_norm.weight", l, what[j]);
            float *b = rand_tensor(m, name, m->D, 1, 0.3f, &rng);
            ok &= gl_gguf_writer_add_tensor(w, name, GLINT_TYPE_F32, 1, (int64_t[]){m->D}, b,
                                            NULL, NULL) == GLINT_OK;
        }
    }
    if (va->rope_factors) {
        float *f = rand_tensor(m, "rope_freqs.weight", m->D / 2, 2.5f, 1.5f, &rng);
        ok &= gl_gguf_writer_add_tensor(w, "rope_freqs.weight", GLINT_TYPE_F32, 1,
                                        (int64_t[]){m->D / 2}, f, NULL, NULL) == GLINT_OK;
    }
    gl_err err = {{0}};
    ok &= gl_gguf_writer_write(w, path, &err) == GLINT_OK;
    if (!ok) fprintf(stderr, "cannot write %s: %s\n", path, err.msg);
    gl_gguf_writer_free(w);
    return ok;
}

static double run_variant(glint_runtime *rt, const gl_gguf *src, const variant *va) {
    ref_model m = {.E = 64, .L = 5, .H = 8, .HK = 4, .D = 8, .F = 172, .V = 512, .eps = 1e-5,
                   .base = 10000, .g = src};
    m.neox = strcmp(va->arch, "llama") != 0;
    m.scale = va->linear > 0 ? 1.0 / va->linear : 1.0;
    char path[1200];
    snprintf(path, sizeof path, "%s/variant_%d.gguf", GLINT_TEST_TMP, (int)getpid());
    double worst = -1;
    if (!write_variant(src, &m, va, path)) {
        CHECK_MSG(false, "%s: cannot write the model", va->name);
        goto out;
    }
    int32_t toks[N_TOK];
    uint64_t rng = 7;
    toks[0] = 1;
    for (int i = 1; i < N_TOK; i++) toks[i] = 3 + (int32_t)(gl_test_rand(&rng) % 500);
    double *want = malloc(sizeof *want * N_TOK * m.V);
    ref_forward(&m, va, toks, want);

    glint_model *model;
    glint_status st = glint_model_load(rt, path, NULL, &model);
    CHECK_MSG(st == GLINT_OK, "%s: %s", va->name, glint_runtime_last_error(rt));
    if (st == GLINT_OK) {
        glint_session_params sp = glint_session_default_params();
        sp.kv_type = GLINT_TYPE_F32;
        sp.logits_all = true;
        glint_session *s;
        CHECK_STATUS(glint_session_create(model, &sp, &s), GLINT_OK);
        /* first half one token at a time, the rest as one batch */
        worst = 0;
        for (int p = 0; p < N_TOK; p++) {
            const int batch = p < N_TOK / 2 ? 1 : N_TOK - N_TOK / 2;
            if (p < N_TOK / 2 || p == N_TOK / 2)
                CHECK_STATUS(glint_session_decode(s, toks + p, batch), GLINT_OK);
            const float *lg;
            CHECK_STATUS(glint_session_get_logits(s, p < N_TOK / 2 ? -1 : p - N_TOK / 2, &lg),
                         GLINT_OK);
            for (int i = 0; lg && i < m.V; i++) {
                const double d = fabs(lg[i] - want[(size_t)p * m.V + i]);
                worst = fmax(worst, d);
                CHECK_MSG(d <= 2e-4 + 2e-5 * fabs(want[(size_t)p * m.V + i]),
                          "%s pos %d logit %d: glint %.6f, reference %.6f", va->name, p, i, lg[i],
                          want[(size_t)p * m.V + i]);
            }
        }
        glint_session_free(s);
        glint_model_free(model);
    }
    free(want);
out:
    for (int i = 0; i < m.n_extra; i++) free(m.extra[i]);
    unlink(path);
    return worst;
}

int main(void) {
    char path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path))
        return GL_TEST_SKIP;
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = 2;
    glint_runtime *rt;
    gl_gguf *src;
    CHECK_STATUS(glint_runtime_create(&rp, &rt), GLINT_OK);
    CHECK_STATUS(gl_gguf_open(path, &src, NULL), GLINT_OK);
    if (!rt || !src) return gl_test_finish("test_arch_variants");
    for (size_t i = 0; i < sizeof g_variants / sizeof g_variants[0]; i++) {
        const double worst = run_variant(rt, src, &g_variants[i]);
        printf("%-24s max |glint - float64 reference| = %.3g\n", g_variants[i].name, worst);
    }
    gl_gguf_close(src);
    glint_runtime_free(rt);
    return gl_test_finish("test_arch_variants");
}

/* CPU kernels at every level this machine runs, against the scalar references of
 * engine/types.c: vec_dot for every weight type on many lengths, activation quantizers bit for
 * bit, and gl_cpu_mul_mat (through a real thread pool of 1..3 threads, n = 1 and n > 1, odd
 * shapes) against both the reference vec_dot and a plain dequantize-then-f32 product. Types
 * whose reference is not there yet are skipped with a message. */
#define _POSIX_C_SOURCE 200809L
#include "kernels.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const glint_type g_types[] = {
    GLINT_TYPE_F32,  GLINT_TYPE_F16,  GLINT_TYPE_BF16, GLINT_TYPE_Q4_0,
    GLINT_TYPE_Q4_1, GLINT_TYPE_Q5_0, GLINT_TYPE_Q5_1, GLINT_TYPE_Q8_0,
    GLINT_TYPE_Q4_K, GLINT_TYPE_Q5_K, GLINT_TYPE_Q6_K,
};
static const glint_type g_act_types[] = {GLINT_TYPE_Q8_0, GLINT_TYPE_Q8_1, GLINT_TYPE_Q8_K};

static uint64_t g_rng = 0x1234abcdu;

static void fill_random(float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) x[i] = scale * gl_test_randf(&g_rng);
}

/* Converts n floats to `t` with the reference (f32: a copy). */
static void to_type(glint_type t, const float *x, void *y, int64_t n) {
    const gl_type_traits *tr = gl_type_get(t);
    if (t == GLINT_TYPE_F32)
        memcpy(y, x, (size_t)n * sizeof(float));
    else
        tr->from_float(x, y, n);
}

/* A weight type is testable when its reference quantizer, dequantizer, dot and activation
 * quantizer all exist. */
static bool testable(glint_type t, bool say) {
    const gl_type_traits *tr = gl_type_get(t);
    const gl_type_traits *vt = tr ? gl_type_get(tr->vec_dot_type) : NULL;
    const bool ok = tr && vt && tr->vec_dot && tr->to_float &&
                    (t == GLINT_TYPE_F32 || tr->from_float) &&
                    (tr->vec_dot_type == GLINT_TYPE_F32 || vt->from_float);
    if (!ok && say) printf("skip %s: reference kernels not available yet\n", tr ? tr->name : "?");
    return ok;
}

/* ---- vec_dot ---------------------------------------------------------------------------- */

static void test_vec_dot(const gl_cpu_kernels *k, glint_type t) {
    const gl_type_traits *tr = gl_type_get(t);
    const glint_type vt = tr->vec_dot_type;
    const int64_t bs =
        gl_type_get(vt)->block_size > tr->block_size ? gl_type_get(vt)->block_size : tr->block_size;
    const int64_t mults[] = {1, 2, 3, 5, 7, 16, 33};
    int64_t lens[16];
    int n_lens = 0;
    for (size_t i = 0; i < GL_ARRAY_LEN(mults); i++) lens[n_lens++] = bs * mults[i];
    lens[n_lens++] = 4096;
    if (bs == 1) { /* plain types: every tail length */
        lens[n_lens++] = 13;
        lens[n_lens++] = 31;
        lens[n_lens++] = 1001;
    }
    for (int li = 0; li < n_lens; li++) {
        const int64_t n = lens[li];
        float *xf = malloc((size_t)n * sizeof(float)), *yf = malloc((size_t)n * sizeof(float));
        float *xd = malloc((size_t)n * sizeof(float)), *yd = malloc((size_t)n * sizeof(float));
        void *xq = malloc(gl_row_size(t, n)), *yq = malloc(gl_row_size(vt, n) + 4 * n);
        for (int rep = 0; rep < 3; rep++) {
            fill_random(xf, n, rep == 2 ? 100.0f : 1.0f);
            fill_random(yf, n, rep == 1 ? 0.01f : 2.0f);
            to_type(t, xf, xq, n);
            to_type(vt, yf, yq, n);
            tr->to_float(xq, xd, n);
            if (vt == GLINT_TYPE_F32)
                memcpy(yd, yf, (size_t)n * sizeof(float));
            else
                gl_type_get(vt)->to_float(yq, yd, n);
            double mag = 0.0;
            for (int64_t i = 0; i < n; i++) mag += fabs((double)xd[i] * yd[i]);
            float want = 0.0f, got = 0.0f;
            tr->vec_dot(n, &want, xq, yq);
            k->vec_dot[t](n, &got, xq, yq);
            const double tol = 2e-5 * mag + 1e-6;
            CHECK_MSG(fabs((double)got - want) <= tol,
                      "vec_dot %s x %s level %s n %lld rep %d: got %.9g, ref %.9g (tol %.3g)",
                      tr->name, gl_type_get(vt)->name, k->name, (long long)n, rep, got, want, tol);
        }
        free(xf);
        free(yf);
        free(xd);
        free(yd);
        free(xq);
        free(yq);
    }
}

/* ---- activation quantizers ---------------------------------------------------------------- */

static void test_from_float(const gl_cpu_kernels *k, glint_type t) {
    const gl_type_traits *tr = gl_type_get(t);
    if (!tr || !tr->from_float) {
        printf("skip from_float %s: no reference yet\n", tr ? tr->name : "?");
        return;
    }
    if (!k->from_float[t]) {
        CHECK_MSG(false, "level %s has no from_float for %s", k->name, tr->name);
        return;
    }
    const int64_t n = 16 * 256;
    float *x = malloc(n * sizeof(float));
    const size_t rs = gl_row_size(t, n);
    uint8_t *a = malloc(rs), *b = malloc(rs);
    for (int rep = 0; rep < 6; rep++) {
        fill_random(x, n, rep == 1 ? 1e-3f : rep == 2 ? 3e4f : 1.0f);
        if (rep == 3) { /* small integers and halves: exact ties for the rounding */
            for (int64_t i = 0; i < n; i++) x[i] = (float)((int)(x[i] * 20.0f)) * 0.5f;
        }
        if (rep == 4) { /* a zero block, equal magnitudes of both signs, a lone spike */
            memset(x, 0, 256 * sizeof(float));
            for (int64_t i = 256; i < 512; i++) x[i] = (i & 1) ? -1.0f : 1.0f;
            x[600] = -50.0f;
            x[700] = 50.0f;
        }
        if (rep == 5) { /* values whose scaled quants land on .5 */
            for (int64_t i = 0; i < n; i++) x[i] = (float)((int)(x[i] * 254.0f)) * 0.5f;
            for (int64_t i = 0; i < n; i += 32) x[i] = 127.0f;
        }
        memset(a, 0xAA, rs);
        memset(b, 0x55, rs);
        tr->from_float(x, a, n);
        k->from_float[t](x, b, n);
        size_t first = rs;
        for (size_t i = 0; i < rs; i++)
            if (a[i] != b[i]) {
                first = i;
                break;
            }
        CHECK_MSG(first == rs,
                  "from_float %s level %s rep %d: byte %zu (block %zu) ref 0x%02x got 0x%02x",
                  tr->name, k->name, rep, first, first / tr->type_size, first < rs ? a[first] : 0,
                  first < rs ? b[first] : 0);
        /* a length of one block, too */
        memset(b, 0x55, rs);
        k->from_float[t](x, b, tr->block_size);
        CHECK_MSG(memcmp(a, b, tr->type_size) == 0, "from_float %s level %s: one block differs",
                  tr->name, k->name);
    }
    free(x);
    free(a);
    free(b);
}

/* ---- mul_mat ------------------------------------------------------------------------------ */

typedef struct mm_job {
    const gl_cpu_kernels *k;
    gl_threadpool *pool;
    void *wsp;
    size_t wsp_size;
    const gl_tensor *w, *a;
    gl_tensor *dst;
} mm_job;

static void mm_task(void *arg, int ith, int nth) {
    mm_job *j = arg;
    const gl_cpu_task t = {
        .ith = ith, .nth = nth, .pool = j->pool, .wsp = j->wsp, .wsp_size = j->wsp_size, .k = j->k};
    gl_cpu_mul_mat(&t, j->w, j->a, j->dst);
}

/* x8: the weights go in GL_LAYOUT_Q4_0X8 (Q4_0 only), checked against the GGUF-layout
 * reference; m are odd multiples of 8, and the last case has k past the kernel's block chunk. */
static void test_mul_mat(const gl_cpu_kernels *k, glint_type t, gl_threadpool *pool, bool x8) {
    const gl_type_traits *tr = gl_type_get(t);
    const glint_type vt = tr->vec_dot_type;
    const gl_type_traits *vtr = gl_type_get(vt);
    const int nth = gl_threadpool_n_threads(pool);
    const int64_t ms[] = {1, 3, 17, 33, 100};
    const int64_t ms_x8[] = {8, 24, 40, 136, 8};
    const int64_t ns[] = {1, 2, 5, 8, 31};
    const int64_t K0 = GL_QK_K * (nth == 2 ? 2 : 1);
    for (size_t mi = 0; mi < GL_ARRAY_LEN(ms); mi++) {
        for (size_t ni = 0; ni < GL_ARRAY_LEN(ns) + 1; ni++) {
            const int64_t m = x8 ? ms_x8[mi] : ms[mi];
            const int64_t K = x8 && mi == 4 ? 32 * 300 : K0;
            /* one wide case crosses the 64-column tiles */
            const int64_t n = ni < GL_ARRAY_LEN(ns) ? ns[ni] : (mi == 4 ? 70 : 0);
            if (n == 0) continue;
            float *wf = malloc((size_t)(K * m) * sizeof(float));
            float *wd = malloc((size_t)(K * m) * sizeof(float));
            float *af = malloc((size_t)(K * n) * sizeof(float));
            float *out = malloc((size_t)(m * n) * sizeof(float));
            void *wq = malloc(gl_row_size(t, K) * m);
            void *aq = malloc(gl_row_size(vt, K) + K * 4);
            fill_random(wf, K * m, 1.0f);
            fill_random(af, K * n, 1.0f);
            for (int64_t i = 0; i < m; i++)
                to_type(t, wf + i * K, (char *)wq + i * gl_row_size(t, K), K);
            tr->to_float(wq, wd, K * m);

            gl_tensor w, a, d;
            gl_tensor_init(&w, t, 2, (int64_t[]){K, m});
            gl_tensor_init(&a, GLINT_TYPE_F32, 2, (int64_t[]){K, n});
            gl_tensor_init(&d, GLINT_TYPE_F32, 2, (int64_t[]){m, n});
            w.data = wq;
            void *wr = NULL;
            if (x8) {
                wr = malloc(gl_row_size(t, K) * m);
                gl_cpu_repack_q4_0x8(wr, wq, K, m);
                w.data = wr;
                w.layout = GL_LAYOUT_Q4_0X8;
            }
            a.data = af;
            d.data = out;
            for (int64_t i = 0; i < m * n; i++) out[i] = NAN;
            mm_job job = {.k = k, .pool = pool, .w = &w, .a = &a, .dst = &d};
            job.wsp_size = gl_cpu_mul_mat_wsize(&w, &a);
            job.wsp = gl_aligned_alloc(job.wsp_size);
            gl_threadpool_run(pool, mm_task, &job);

            double err2 = 0.0, mag2 = 0.0;
            int bad = 0;
            for (int64_t j = 0; j < n; j++) {
                const float *acol = af + j * K;
                if (vt != GLINT_TYPE_F32) vtr->from_float(acol, aq, K);
                for (int64_t i = 0; i < m; i++) {
                    /* exact reference: the reference dot on the reference-quantized column */
                    float want = 0.0f;
                    tr->vec_dot(K, &want, (char *)wq + i * gl_row_size(t, K),
                                vt == GLINT_TYPE_F32 ? (const void *)acol : aq);
                    double naive = 0.0, mag = 0.0;
                    for (int64_t l = 0; l < K; l++) {
                        naive += (double)wd[i * K + l] * acol[l];
                        mag += fabs((double)wd[i * K + l] * acol[l]);
                    }
                    const float got = out[j * m + i];
                    err2 += (got - naive) * (got - naive);
                    mag2 += mag * mag;
                    if (!(fabs((double)got - want) <= 2e-5 * mag + 1e-6) && bad++ < 3)
                        CHECK_MSG(false,
                                  "mul_mat %s%s level %s threads %d m %lld n %lld k %lld at "
                                  "(%lld, %lld): got %.9g, ref %.9g",
                                  tr->name, x8 ? " x8" : "", k->name, nth, (long long)m,
                                  (long long)n, (long long)K, (long long)i, (long long)j, got,
                                  want);
                }
            }
            CHECK_MSG(bad == 0, "mul_mat %s%s level %s threads %d m %lld n %lld: %d bad values",
                      tr->name, x8 ? " x8" : "", k->name, nth, (long long)m, (long long)n, bad);
            /* against plain f32 math, relative to the size of the terms (a result may cancel to
             * near zero): only the activation quantization differs */
            const double nerr = sqrt(err2 / (mag2 > 0 ? mag2 : 1));
            const double tol = vt == GLINT_TYPE_F32 ? 1e-6 : 5e-3;
            CHECK_MSG(nerr <= tol,
                      "mul_mat %s level %s threads %d m %lld n %lld: normalized "
                      "error %.3g > %.3g",
                      tr->name, k->name, nth, (long long)m, (long long)n, nerr, tol);
            gl_aligned_free(job.wsp);
            free(wf);
            free(wd);
            free(af);
            free(out);
            free(wq);
            free(wr);
            free(aq);
        }
    }
}

/* f32 on one thread runs without scratch; shapes that do not fit leave dst alone. */
static void test_mul_mat_edges(gl_threadpool *pool1) {
    float w[4 * 32], a[32], out[4];
    fill_random(w, 4 * 32, 1.0f);
    fill_random(a, 32, 1.0f);
    gl_tensor tw, ta, td;
    gl_tensor_init(&tw, GLINT_TYPE_F32, 2, (int64_t[]){32, 4});
    gl_tensor_init(&ta, GLINT_TYPE_F32, 2, (int64_t[]){32, 1});
    gl_tensor_init(&td, GLINT_TYPE_F32, 2, (int64_t[]){4, 1});
    tw.data = w;
    ta.data = a;
    td.data = out;
    mm_job job = {.k = gl_cpu_kernels_get(), .pool = pool1, .w = &tw, .a = &ta, .dst = &td};
    gl_threadpool_run(pool1, mm_task, &job);
    for (int i = 0; i < 4; i++) {
        double want = 0.0;
        for (int l = 0; l < 32; l++) want += (double)w[i * 32 + l] * a[l];
        CHECK_NEAR(out[i], want, 1e-5);
    }
    /* k of w and a disagree */
    gl_tensor_init(&ta, GLINT_TYPE_F32, 2, (int64_t[]){31, 1});
    for (int i = 0; i < 4; i++) out[i] = -7.0f;
    gl_threadpool_run(pool1, mm_task, &job);
    for (int i = 0; i < 4; i++) CHECK_EQ_INT(out[i], -7);
    /* q8_0 weights need scratch for the quantized activations: none given */
    if (testable(GLINT_TYPE_Q8_0, false)) {
        uint8_t wq[4 * sizeof(gl_block_q8_0)];
        gl_type_get(GLINT_TYPE_Q8_0)->from_float(w, wq, 4 * 32);
        gl_tensor_init(&tw, GLINT_TYPE_Q8_0, 2, (int64_t[]){32, 4});
        gl_tensor_init(&ta, GLINT_TYPE_F32, 2, (int64_t[]){32, 1});
        tw.data = wq;
        gl_threadpool_run(pool1, mm_task, &job);
        for (int i = 0; i < 4; i++) CHECK_EQ_INT(out[i], -7);
        CHECK(gl_cpu_mul_mat_wsize(&tw, &ta) >= sizeof(gl_block_q8_0));
    }
}

/* The repacking itself, and a GL_LAYOUT_Q4_0X8 weight whose rows are not a multiple of 8
 * (the layout cannot hold it): refused, dst untouched. */
static void test_mul_mat_x8_edges(gl_threadpool *pool1) {
    if (!testable(GLINT_TYPE_Q4_0, false)) return;
    enum { K = 64, M = 16 };
    float wf[K * M], a[K], out[M];
    fill_random(wf, K * M, 1.0f);
    fill_random(a, K, 1.0f);
    gl_block_q4_0 wq[M * K / 32], wr[M * K / 32];
    gl_type_get(GLINT_TYPE_Q4_0)->from_float(wf, wq, K * M);
    gl_cpu_repack_q4_0x8(wr, wq, K, M);
    /* row 11 block 1 is in strip 1 block 1, lane 3: scale at halves 3, quants at 4 * 3 */
    const uint8_t *blk = (const uint8_t *)wr + (8 * 2 + 8 * 1) * sizeof(gl_block_q4_0);
    CHECK(memcmp(blk + 2 * 3, &wq[11 * 2 + 1].d, 2) == 0);
    for (int g = 0; g < 4; g++)
        CHECK(memcmp(blk + 16 + 32 * g + 12, wq[11 * 2 + 1].qs + 4 * g, 4) == 0);
    const gl_cpu_kernels *k = gl_cpu_kernels_get();
    if (!k->gemm_q4_0x8) return;
    gl_tensor tw, ta, td;
    gl_tensor_init(&tw, GLINT_TYPE_Q4_0, 2, (int64_t[]){K, M - 4});
    gl_tensor_init(&ta, GLINT_TYPE_F32, 2, (int64_t[]){K, 1});
    gl_tensor_init(&td, GLINT_TYPE_F32, 2, (int64_t[]){M - 4, 1});
    tw.data = wr;
    tw.layout = GL_LAYOUT_Q4_0X8;
    ta.data = a;
    td.data = out;
    for (int i = 0; i < M; i++) out[i] = -7.0f;
    mm_job job = {.k = k, .pool = pool1, .w = &tw, .a = &ta, .dst = &td};
    job.wsp_size = gl_cpu_mul_mat_wsize(&tw, &ta);
    job.wsp = gl_aligned_alloc(job.wsp_size);
    gl_threadpool_run(pool1, mm_task, &job);
    for (int i = 0; i < M; i++) CHECK_EQ_INT(out[i], -7);
    gl_aligned_free(job.wsp);
}

int main(void) {
    printf("cpu features: %s\n", gl_cpu_features_string());
#if defined(__x86_64__)
    /* The cap applies to gl_cpu_kernels_get only; every level is still tested below. */
    setenv("GLINT_CPU_LEVEL", "avx2", 0);
#endif
    const gl_cpu_kernels *best = gl_cpu_kernels_get();
    CHECK(best != NULL);
#if defined(__x86_64__)
    if (best && strcmp(getenv("GLINT_CPU_LEVEL"), "avx2") == 0)
        CHECK_EQ_INT(best->level, gl_cpu_kernels_for(GL_CPU_AVX2) ? GL_CPU_AVX2 : GL_CPU_REF);
#endif
    if (best) {
        printf("best level: %s\n", best->name);
        CHECK(gl_cpu_kernels_for(best->level) == best);
    }
    CHECK(gl_cpu_kernels_for(GL_CPU_REF) != NULL);
    CHECK(gl_cpu_kernels_for(GL_CPU_LEVEL_COUNT) == NULL);
#if defined(__x86_64__)
    CHECK(gl_cpu_kernels_for(GL_CPU_NEON) == NULL);
    const gl_cpu_features *f = gl_cpu_features_get();
    CHECK_EQ_INT(gl_cpu_kernels_for(GL_CPU_AVX2) != NULL, f->avx2 && f->fma && f->f16c);
    /* every x86 SIMD level runs Q4_0 repacked */
    if (gl_cpu_kernels_for(GL_CPU_AVX2))
        CHECK(gl_cpu_kernels_for(GL_CPU_AVX2)->gemm_q4_0x8 != NULL);
    if (gl_cpu_kernels_for(GL_CPU_AVX512))
        CHECK(gl_cpu_kernels_for(GL_CPU_AVX512)->gemm_q4_0x8 != NULL);
#endif

    for (size_t ti = 0; ti < GL_ARRAY_LEN(g_types); ti++) testable(g_types[ti], true);

    gl_threadpool *pools[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) CHECK_STATUS(gl_threadpool_create(i + 1, &pools[i]), GLINT_OK);

    for (int lv = 0; lv < GL_CPU_LEVEL_COUNT; lv++) {
        const gl_cpu_kernels *k = gl_cpu_kernels_for((gl_cpu_level)lv);
        if (!k) continue;
        printf("level %s\n", k->name);
        CHECK_EQ_INT(k->level, lv);
        for (size_t ai = 0; ai < GL_ARRAY_LEN(g_act_types); ai++)
            test_from_float(k, g_act_types[ai]);
        for (size_t ti = 0; ti < GL_ARRAY_LEN(g_types); ti++) {
            const glint_type t = g_types[ti];
            if (!testable(t, false)) continue;
            if (!k->vec_dot[t]) {
                CHECK_MSG(false, "level %s has no vec_dot for %s", k->name, gl_type_get(t)->name);
                continue;
            }
            test_vec_dot(k, t);
            for (int p = 0; p < 3; p++)
                if (pools[p]) test_mul_mat(k, t, pools[p], false);
            if (t == GLINT_TYPE_Q4_0 && k->gemm_q4_0x8)
                for (int p = 0; p < 3; p++)
                    if (pools[p]) test_mul_mat(k, t, pools[p], true);
        }
    }
    if (pools[0]) test_mul_mat_edges(pools[0]);
    if (pools[0]) test_mul_mat_x8_edges(pools[0]);
    for (int i = 0; i < 3; i++) gl_threadpool_free(pools[i]);
    return gl_test_finish("test_cpu_kernels");
}

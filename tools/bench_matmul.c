/* Micro-benchmark of gl_cpu_mul_mat: GFLOP/s and weight GB/s per type, level and thread count
 * for m = k = 2048 (override: bench_matmul [m k [threads]]), n = 1 (decode) and n = 128
 * (prefill). Not a test; built by hand:
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Iengine -Ibackends -Ibackends/cpu \
 *      tools/bench_matmul.c build-cpux86/libglint.a -lpthread -lm -o bench_matmul */
#include "kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    const gl_cpu_kernels *k;
    gl_threadpool *pool;
    void *wsp;
    size_t wsp_size;
    const gl_tensor *w, *a;
    gl_tensor *dst;
} job;

static void task(void *arg, int ith, int nth) {
    job *j = arg;
    const gl_cpu_task t = {
        .ith = ith, .nth = nth, .pool = j->pool, .wsp = j->wsp, .wsp_size = j->wsp_size, .k = j->k};
    gl_cpu_mul_mat(&t, j->w, j->a, j->dst);
}

int main(int argc, char **argv) {
    const int64_t m = argc > 2 ? atoll(argv[1]) : 2048, K = argc > 2 ? atoll(argv[2]) : 2048;
    const int max_threads = argc > 3 ? atoi(argv[3]) : 2;
    const glint_type types[] = {GLINT_TYPE_Q4_0, GLINT_TYPE_Q8_0, GLINT_TYPE_Q4_K, GLINT_TYPE_Q6_K,
                                GLINT_TYPE_F16};
    const int64_t ns[] = {1, 128};
    printf("features: %s\n", gl_cpu_features_string());
    float *wf = malloc((size_t)(m * K) * sizeof(float));
    float *af = malloc((size_t)(K * 128) * sizeof(float));
    float *out = malloc((size_t)(m * 128) * sizeof(float));
    uint64_t s = 88172645463325252ull;
    for (int64_t i = 0; i < m * K; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        wf[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    for (int64_t i = 0; i < K * 128; i++) af[i] = wf[i % (m * K)] * 0.5f;

    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const glint_type t = types[ti];
        const gl_type_traits *tr = gl_type_get(t);
        if (!tr || !tr->from_float) continue;
        const size_t rs = gl_row_size(t, K);
        void *wq = gl_aligned_alloc(rs * m);
        for (int64_t i = 0; i < m; i++) tr->from_float(wf + i * K, (char *)wq + i * rs, K);
        for (int lv = 0; lv < GL_CPU_LEVEL_COUNT; lv++) {
            const gl_cpu_kernels *k = gl_cpu_kernels_for((gl_cpu_level)lv);
            if (!k) continue;
            for (int nth = 1; nth <= max_threads; nth++) {
                gl_threadpool *pool;
                if (gl_threadpool_create(nth, &pool) != GLINT_OK) return 1;
                for (size_t ni = 0; ni < 2; ni++) {
                    const int64_t n = ns[ni];
                    gl_tensor w, a, d;
                    gl_tensor_init(&w, t, 2, (int64_t[]){K, m});
                    gl_tensor_init(&a, GLINT_TYPE_F32, 2, (int64_t[]){K, n});
                    gl_tensor_init(&d, GLINT_TYPE_F32, 2, (int64_t[]){m, n});
                    w.data = wq;
                    a.data = af;
                    d.data = out;
                    job j = {.k = k, .pool = pool, .w = &w, .a = &a, .dst = &d};
                    j.wsp_size = gl_cpu_mul_mat_wsize(&w, &a);
                    j.wsp = gl_aligned_alloc(j.wsp_size);
                    gl_threadpool_run(pool, task, &j); /* warm up */
                    /* about 0.3 s per case; the fastest run counts (the machine is shared) */
                    int reps = 0;
                    const int64_t t0 = gl_time_us();
                    int64_t t1 = t0, best = INT64_MAX;
                    while (t1 - t0 < 300000 && (lv != GL_CPU_REF || reps < 3)) {
                        gl_threadpool_run(pool, task, &j);
                        reps++;
                        const int64_t now = gl_time_us();
                        if (now - t1 < best) best = now - t1;
                        t1 = now;
                    }
                    const double sec = (double)best / 1e6;
                    printf("%-5s %-7s threads %d n %4lld: %8.1f us  %7.1f GFLOP/s  %6.1f GB/s\n",
                           tr->name, k->name, nth, (long long)n, sec * 1e6,
                           2.0 * m * n * K / sec / 1e9, (double)rs * m / sec / 1e9);
                    gl_aligned_free(j.wsp);
                }
                gl_threadpool_free(pool);
            }
        }
        gl_aligned_free(wq);
    }
    free(wf);
    free(af);
    free(out);
    return 0;
}

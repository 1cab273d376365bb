/* Vulkan MUL_MAT against the CPU backend: every weight type x odd row counts x k of one block,
 * several blocks and 4096 x n = 1..64 (matrix-vector and tiled shaders), activations contiguous
 * and as a strided view with a skew, on every capability tier, plus weights bound in pieces
 * (GLINT_VK_MAX_RANGE). Runs on lavapipe with validation on; skips without a Vulkan device. */
#include "backend.h"
#include "test_util.h"
#include "types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef GLINT_WITH_VULKAN

uint64_t gl_vk_validation_messages(void); /* backends/vulkan: messages the layer reported */

static const glint_type g_types[] = {
    GLINT_TYPE_F32,  GLINT_TYPE_F16,  GLINT_TYPE_BF16, GLINT_TYPE_Q8_0,
    GLINT_TYPE_Q4_0, GLINT_TYPE_Q4_1, GLINT_TYPE_Q5_0, GLINT_TYPE_Q5_1,
    GLINT_TYPE_Q4_K, GLINT_TYPE_Q5_K, GLINT_TYPE_Q6_K,
};

/* m, k in blocks of the type (0 = 4096 values), n, a as a strided view with a skew. */
typedef struct mm_case {
    int64_t m, k_blocks, n;
    bool view;
} mm_case;

static const mm_case g_cases[] = {
    {1, 1, 1, false},   {3, 3, 2, true},    {17, 0, 1, true},  {33, 2, 5, false},
    {100, 1, 8, true},  {257, 0, 2, false}, {17, 0, 64, true}, {257, 3, 31, false},
    {33, 5, 64, false}, {3, 0, 31, true},
};

static gl_backend *g_cpu;

static glint_status vk_open(const char *disable, gl_backend **out) {
    if (disable && *disable)
        setenv("GLINT_VK_DISABLE", disable, 1);
    else
        unsetenv("GLINT_VK_DISABLE");
    gl_err err = {{0}};
    *out = NULL;
    const glint_status st = gl_backend_vulkan_create(NULL, out, &err);
    if (st) fprintf(stderr, "vulkan backend (disable '%s'): %s\n", disable, err.msg);
    return st;
}

static glint_status vk_tensor(gl_backend *b, gl_tensor *t, gl_buffer **buf, size_t size,
                              size_t offset, gl_buffer_usage usage, const void *init) {
    glint_status st = b->iface->buffer_alloc(b, size, usage, buf);
    if (st) return st;
    if (init) {
        st = b->iface->buffer_upload(b, *buf, 0, init, size);
        if (st) return st;
    }
    t->buffer = *buf;
    t->offset = offset;
    t->data = (*buf)->host ? (char *)(*buf)->host + offset : NULL;
    return GLINT_OK;
}

/* Random weights quantized to `type`, m rows of k. */
static void *make_weights(glint_type type, int64_t m, int64_t k, uint64_t *rng) {
    const gl_type_traits *tr = gl_type_get(type);
    const size_t row = gl_row_size(type, k);
    char *w = malloc(row * (size_t)m);
    float *x = malloc((size_t)k * sizeof(float));
    for (int64_t r = 0; r < m; r++) {
        /* Rows of different scales, so a mixed-up row or scale shows. */
        const float scale = 0.25f + (float)(r % 7);
        for (int64_t i = 0; i < k; i++) x[i] = gl_test_randf(rng) * scale;
        tr->from_float(x, w + (size_t)r * row, k);
    }
    free(x);
    return w;
}

/* Errors of one case: the GPU against a float64 reference of the dequantized weights times
 * the f32 activations (max over outputs of |gpu - ref| / sum |w a|), and the GPU against the CPU
 * backend (RMS of the difference over the RMS of sum |w a|). */
typedef struct mm_err {
    double ref, cpu;
} mm_err;

/* Runs one case on Vulkan and on the CPU; errors < 0 when it did not run. */
static mm_err run_case(gl_backend *vk, glint_type type, const mm_case *c, uint64_t *rng) {
    const gl_type_traits *tr = gl_type_get(type);
    const int64_t bs = GL_MAX(tr->block_size, (int64_t)32);
    const int64_t k = c->k_blocks ? c->k_blocks * bs : 4096, m = c->m, n = c->n;
    const size_t row = gl_row_size(type, k);
    void *w = make_weights(type, m, k, rng);

    /* a: contiguous, or the last n columns of a wider tensor with padded rows and a start that
     * is not aligned to anything but 4 bytes. */
    const int64_t stride = c->view ? k + 3 : k;
    const int64_t a_first = c->view ? 5 + 2 * stride : 0;
    const size_t a_floats = (size_t)(a_first + n * stride);
    float *a = malloc(a_floats * sizeof(float));
    for (size_t i = 0; i < a_floats; i++) a[i] = gl_test_randf(rng);

    /* float64 reference and the scale of each output. */
    double *ref = calloc((size_t)(m * n), sizeof(double));
    double *mag = calloc((size_t)(m * n), sizeof(double));
    float *wf = malloc((size_t)k * sizeof(float));
    for (int64_t r = 0; r < m; r++) {
        tr->to_float((const char *)w + (size_t)r * row, wf, k);
        for (int64_t j = 0; j < n; j++) {
            const float *aj = a + a_first + j * stride;
            double s = 0, sa = 0;
            for (int64_t i = 0; i < k; i++) {
                s += (double)wf[i] * aj[i];
                sa += fabs((double)wf[i] * aj[i]);
            }
            ref[j * m + r] = s;
            mag[j * m + r] = sa > 0 ? sa : 1;
        }
    }
    free(wf);

    const int64_t ne_w[2] = {k, m}, ne_a[2] = {k, n}, ne_d[2] = {m, n};
    gl_tensor tw = {0}, ta = {0}, td = {0};
    gl_tensor_init(&tw, type, 2, ne_w);
    gl_tensor_init(&ta, GLINT_TYPE_F32, 2, ne_a);
    gl_tensor_init(&td, GLINT_TYPE_F32, 2, ne_d);
    ta.nb[1] = (size_t)stride * sizeof(float);
    tw.name = "w";
    ta.name = "a";
    td.name = "dst";

    /* The CPU backend on the same node. */
    float *cpu = calloc((size_t)(m * n), sizeof(float));
    float *got = calloc((size_t)(m * n), sizeof(float));
    gl_tensor cw = tw, ca = ta, cd = td;
    cw.data = w;
    ca.data = a + a_first;
    cd.data = cpu;
    gl_node cn = {.op = GL_OP_MUL_MAT, .dst = &cd, .src = {&cw, &ca}};
    mm_err result = {-1, -1};
    CHECK(g_cpu->iface->supports_op(g_cpu, &cn));
    CHECK_STATUS(g_cpu->iface->compute(g_cpu, &cn, 1), GLINT_OK);

    gl_buffer *bw = NULL, *ba = NULL, *bd = NULL;
    gl_node vn = {.op = GL_OP_MUL_MAT, .dst = &td, .src = {&tw, &ta}};
    glint_status st = vk_tensor(vk, &tw, &bw, row * (size_t)m, 0, GL_BUFFER_WEIGHTS, w);
    if (!st)
        st = vk_tensor(vk, &ta, &ba, a_floats * sizeof(float), (size_t)a_first * sizeof(float),
                       GL_BUFFER_COMPUTE, a);
    if (!st)
        st = vk_tensor(vk, &td, &bd, (size_t)(m * n) * sizeof(float), 0, GL_BUFFER_COMPUTE, NULL);
    CHECK_STATUS(st, GLINT_OK);
    if (!st) {
        const bool sup = vk->iface->supports_op(vk, &vn);
        CHECK_MSG(sup, "%s m %lld k %lld n %lld: not supported", tr->name, (long long)m,
                  (long long)k, (long long)n);
        if (sup) st = vk->iface->compute(vk, &vn, 1);
        if (sup && !st) st = vk->iface->synchronize(vk);
        if (sup && !st)
            st = vk->iface->buffer_download(vk, bd, 0, got, (size_t)(m * n) * sizeof(float));
        CHECK_STATUS(st, GLINT_OK);
        if (sup && !st) {
            double num = 0, den = 0, worst = 0;
            for (int64_t i = 0; i < m * n; i++) {
                const double dc = (double)got[i] - (double)cpu[i];
                num += dc * dc;
                den += mag[i] * mag[i];
                const double e = fabs((double)got[i] - ref[i]) / mag[i];
                worst = e > worst || e != e ? (e != e ? 1e9 : e) : worst;
            }
            result.ref = worst;
            result.cpu = sqrt(num / den);
            if (result.cpu != result.cpu) result.cpu = 1e9;
        }
    }
    if (bw) vk->iface->buffer_free(vk, bw);
    if (ba) vk->iface->buffer_free(vk, ba);
    if (bd) vk->iface->buffer_free(vk, bd);
    free(w);
    free(a);
    free(ref);
    free(mag);
    free(cpu);
    free(got);
    return result;
}

/* Tolerances, from measurement on lavapipe. Against the float64 reference the shaders differ
 * only by f32 rounding (measured <= 2e-7 of sum |w a|). The CPU quantizes
 * activations to 8 bits for quant types (q8_0/q8_1/q8_K) while the shaders use f32: measured
 * RMS differences up to 3e-3 of sum |w a|; float weights differ only by summation order (3e-8). */
#define TOL_REF 2e-6
static double tol_cpu(glint_type t) {
    return gl_type_get(t)->is_quantized ? 1e-2 : 1e-6;
}

static void check_case(gl_backend *vk, const char *what, glint_type t, const mm_case *c,
                       uint64_t *rng, double worst[2]) {
    const mm_err e = run_case(vk, t, c, rng);
    CHECK_MSG(e.ref >= 0 && e.ref <= TOL_REF && e.cpu <= tol_cpu(t),
              "%s %s m %lld k-blocks %lld n %lld view %d: error vs f64 %.3g (tol %.3g), vs cpu "
              "%.3g (tol %.3g)",
              what, gl_type_get(t)->name, (long long)c->m, (long long)c->k_blocks, (long long)c->n,
              c->view, e.ref, TOL_REF, e.cpu, tol_cpu(t));
    worst[0] = GL_MAX(worst[0], e.ref);
    worst[1] = GL_MAX(worst[1], e.cpu);
}

static void run_tier(const char *disable, bool *skip) {
    gl_backend *vk = NULL;
    const glint_status st = vk_open(disable, &vk);
    if (st == GLINT_ERROR_BACKEND_UNAVAILABLE) {
        *skip = true;
        return;
    }
    CHECK_STATUS(st, GLINT_OK);
    if (st) return;
    char what[64];
    snprintf(what, sizeof what, "tier '%s'", disable);
    uint64_t rng = 0x5eed + strlen(disable);
    double worst[GLINT_TYPE_COUNT][2] = {{0}};
    for (size_t ti = 0; ti < sizeof g_types / sizeof g_types[0]; ti++) {
        for (size_t ci = 0; ci < sizeof g_cases / sizeof g_cases[0]; ci++)
            check_case(vk, what, g_types[ti], &g_cases[ci], &rng, worst[g_types[ti]]);
    }
    /* Weights bound in pieces of a few rows, each at a skewed offset. */
    if (!*disable) {
        setenv("GLINT_VK_MAX_RANGE", "2048", 1);
        const mm_case pieces[] = {{100, 0, 1, true}, {37, 0, 31, false}};
        const glint_type ptypes[] = {GLINT_TYPE_Q4_0, GLINT_TYPE_Q6_K, GLINT_TYPE_F16};
        for (size_t ti = 0; ti < 3; ti++) {
            for (size_t ci = 0; ci < 2; ci++) {
                mm_case c = pieces[ci];
                c.k_blocks = ptypes[ti] == GLINT_TYPE_Q6_K ? 2 : 16;
                check_case(vk, "pieces", ptypes[ti], &c, &rng, worst[ptypes[ti]]);
            }
        }
        unsetenv("GLINT_VK_MAX_RANGE");
    }
    fprintf(stderr, "%s: worst error vs f64 / vs cpu:", what);
    for (size_t ti = 0; ti < sizeof g_types / sizeof g_types[0]; ti++)
        fprintf(stderr, " %s %.2g/%.2g", gl_type_get(g_types[ti])->name, worst[g_types[ti]][0],
                worst[g_types[ti]][1]);
    fputc('\n', stderr);
    vk->iface->free(vk);
}

int main(void) {
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_VALIDATE", "1", 0);
    mkdir(GLINT_TEST_TMP "/vkcache", 0755);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
    gl_err err = {{0}};
    if (gl_backend_cpu_create(2, &g_cpu, &err)) {
        fprintf(stderr, "cpu backend: %s\n", err.msg);
        return 1;
    }
    const char *tiers[] = {"", "fp16", "int8dot", "subgroup"};
    bool skip = false;
    for (size_t i = 0; i < 4 && !skip; i++) run_tier(tiers[i], &skip);
    g_cpu->iface->free(g_cpu);
    if (skip) {
        fprintf(stderr, "skip: no Vulkan device\n");
        return GL_TEST_SKIP;
    }
    CHECK_EQ_INT(gl_vk_validation_messages(), 0);
    return gl_test_finish("test_vk_matmul");
}

#else
int main(void) {
    fprintf(stderr, "skip: built without Vulkan\n");
    return GL_TEST_SKIP;
}
#endif

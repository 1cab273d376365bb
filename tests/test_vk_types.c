/* The GLSL block layouts (shaders/vulkan/types.glsl) mirror engine/types.h: random blocks of
 * every weight type, dequantized on the GPU, equal engine/types.c's to_float bit for bit.
 * The GPU dequantizes through MUL_MAT against one-hot activations (an identity matrix):
 * dst[r, j] = sum_i w[r, i] * (i == j) is exactly w[r, j] whatever the summation order, so the
 * matrix-vector shader (8 one-hot columns per node, subgroup and shared-memory reduction) and
 * the tiled shader (all columns at once) are each checked value by value. */
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

#define ROWS 5
#define K    512 /* two k-quant super-blocks, sixteen 32-blocks */

/* A random finite half: normal or subnormal, never inf or nan. */
static uint16_t rand_half(uint64_t *rng) {
    const uint64_t r = gl_test_rand(rng);
    const uint16_t exp = (uint16_t)(r % 31); /* 0..30: subnormals and normals, no inf/nan */
    return (uint16_t)(((r >> 8) & 0x8000u) | (exp << 10) | ((r >> 20) & 0x3ffu));
}

/* Random bytes for every block, with the fp16 scale fields made finite (a nan would not
 * compare equal to itself) and, for the float types, no f32 subnormals (which a GPU may flush). */
static void fill_random(glint_type t, uint8_t *w, size_t bytes, uint64_t *rng) {
    for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)gl_test_rand(rng);
    const gl_type_traits *tr = gl_type_get(t);
    const size_t nblk = bytes / tr->type_size;
    for (size_t b = 0; b < nblk; b++) {
        uint8_t *blk = w + b * tr->type_size;
        uint16_t h[2] = {rand_half(rng), rand_half(rng)};
        switch (t) {
        case GLINT_TYPE_F32: {
            const uint32_t r = (uint32_t)gl_test_rand(rng);
            const uint32_t e = 64 + (r % 128); /* 2^-63 .. 2^64 */
            const uint32_t u = (r & 0x80000000u) | (e << 23) | ((r >> 7) & 0x7fffffu);
            memcpy(blk, &u, 4);
            break;
        }
        case GLINT_TYPE_F16:
            memcpy(blk, h, 2);
            break;
        case GLINT_TYPE_BF16: {
            const uint16_t r = (uint16_t)gl_test_rand(rng);
            const uint16_t v = (uint16_t)((r & 0x8000u) | ((1 + r % 254) << 7) | (r & 0x7fu));
            memcpy(blk, &v, 2);
            break;
        }
        case GLINT_TYPE_Q6_K:
            memcpy(blk + 208, h, 2);
            break;
        case GLINT_TYPE_Q4_1:
        case GLINT_TYPE_Q5_1:
        case GLINT_TYPE_Q4_K:
        case GLINT_TYPE_Q5_K:
            memcpy(blk, h, 4);
            break; /* d and m / dmin */
        default:
            memcpy(blk, h, 2);
            break; /* d */
        }
    }
}

static glint_status vk_buffer(gl_backend *b, gl_tensor *t, gl_buffer **buf, size_t size,
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

/* Compares dst (column j = value j of each row, stride ROWS) with the reference. */
static int compare(const char *what, glint_type t, const float *got, const float *want) {
    int bad = 0;
    for (int r = 0; r < ROWS; r++) {
        for (int j = 0; j < K; j++) {
            const float g = got[(size_t)j * ROWS + r], w = want[(size_t)r * K + j];
            if (g != w && bad++ < 5)
                fprintf(stderr,
                        "%s %s row %d value %d: gpu %.9g (0x%08x), to_float %.9g (0x%08x)\n", what,
                        gl_type_get(t)->name, r, j, g, gl_f32_to_bits(g), w, gl_f32_to_bits(w));
        }
    }
    return bad;
}

static void run_tier(const char *disable, bool *skip) {
    if (*disable)
        setenv("GLINT_VK_DISABLE", disable, 1);
    else
        unsetenv("GLINT_VK_DISABLE");
    gl_err err = {{0}};
    gl_backend *vk = NULL;
    glint_status st = gl_backend_vulkan_create(NULL, &vk, &err);
    if (st == GLINT_ERROR_BACKEND_UNAVAILABLE) {
        fprintf(stderr, "vulkan: %s\n", err.msg);
        *skip = true;
        return;
    }
    CHECK_STATUS(st, GLINT_OK);
    if (st) return;

    /* The identity: column j is one-hot at j. */
    float *eye = calloc((size_t)K * K, sizeof(float));
    for (int j = 0; j < K; j++) eye[(size_t)j * K + j] = 1.0f;
    float *want = malloc((size_t)ROWS * K * sizeof(float));
    float *got = malloc((size_t)ROWS * K * sizeof(float));
    uint64_t rng = 0x7e57 + strlen(disable);

    for (size_t ti = 0; ti < sizeof g_types / sizeof g_types[0]; ti++) {
        const glint_type t = g_types[ti];
        const gl_type_traits *tr = gl_type_get(t);
        const size_t row = gl_row_size(t, K), bytes = row * ROWS;
        uint8_t *w = malloc(bytes);
        fill_random(t, w, bytes, &rng);
        for (int r = 0; r < ROWS; r++) tr->to_float(w + (size_t)r * row, want + (size_t)r * K, K);

        gl_tensor tw = {0}, ta = {0}, td = {0};
        const int64_t ne_w[2] = {K, ROWS}, ne_a[2] = {K, K}, ne_d[2] = {ROWS, K};
        gl_tensor_init(&tw, t, 2, ne_w);
        gl_tensor_init(&ta, GLINT_TYPE_F32, 2, ne_a);
        gl_tensor_init(&td, GLINT_TYPE_F32, 2, ne_d);
        gl_buffer *bw = NULL, *ba = NULL, *bd = NULL;
        st = vk_buffer(vk, &tw, &bw, bytes, 0, GL_BUFFER_WEIGHTS, w);
        if (!st) st = vk_buffer(vk, &ta, &ba, (size_t)K * K * 4, 0, GL_BUFFER_COMPUTE, eye);
        if (!st) st = vk_buffer(vk, &td, &bd, (size_t)ROWS * K * 4, 0, GL_BUFFER_COMPUTE, NULL);
        CHECK_STATUS(st, GLINT_OK);

        /* Tiled: all K columns in one node. Matrix-vector: K / 8 nodes of 8 columns each,
         * views into the same identity and output. */
        gl_node nodes[1 + K / 8];
        gl_tensor va[K / 8], vd[K / 8];
        nodes[0] = (gl_node){.op = GL_OP_MUL_MAT, .dst = &td, .src = {&tw, &ta}};
        for (int g = 0; g < K / 8; g++) {
            va[g] = ta;
            va[g].ne[1] = 8;
            va[g].offset = ta.offset + (size_t)g * 8 * ta.nb[1];
            va[g].data = ta.data ? (char *)ta.data + (size_t)g * 8 * ta.nb[1] : NULL;
            vd[g] = td;
            vd[g].ne[1] = 8;
            vd[g].offset = td.offset + (size_t)g * 8 * td.nb[1];
            vd[g].data = td.data ? (char *)td.data + (size_t)g * 8 * td.nb[1] : NULL;
            nodes[1 + g] = (gl_node){.op = GL_OP_MUL_MAT, .dst = &vd[g], .src = {&tw, &va[g]}};
        }
        for (int pass = 0; pass < 2 && !st; pass++) {
            gl_node *nd = pass == 0 ? nodes : nodes + 1;
            const int nn = pass == 0 ? 1 : K / 8;
            const bool sup = vk->iface->supports_op(vk, &nd[0]);
            CHECK_MSG(sup, "%s: MUL_MAT not supported", tr->name);
            if (!sup) break;
            st = vk->iface->compute(vk, nd, nn);
            if (!st) st = vk->iface->synchronize(vk);
            if (!st) st = vk->iface->buffer_download(vk, bd, 0, got, (size_t)ROWS * K * 4);
            CHECK_STATUS(st, GLINT_OK);
            if (st) break;
            const int bad = compare(pass == 0 ? "tiled" : "matvec", t, got, want);
            CHECK_MSG(bad == 0, "tier '%s' %s %s: %d of %d values differ", disable, tr->name,
                      pass == 0 ? "tiled" : "matvec", bad, ROWS * K);
            memset(got, 0, (size_t)ROWS * K * 4);
            /* Poison the output so the next pass cannot pass on stale values. */
            if (pass == 0) {
                float *nanv = malloc((size_t)ROWS * K * 4);
                for (int i = 0; i < ROWS * K; i++) nanv[i] = NAN;
                st = vk->iface->buffer_upload(vk, bd, 0, nanv, (size_t)ROWS * K * 4);
                free(nanv);
            }
        }
        if (bw) vk->iface->buffer_free(vk, bw);
        if (ba) vk->iface->buffer_free(vk, ba);
        if (bd) vk->iface->buffer_free(vk, bd);
        free(w);
    }
    free(eye);
    free(want);
    free(got);
    vk->iface->free(vk);
}

int main(void) {
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_VALIDATE", "1", 0);
    mkdir(GLINT_TEST_TMP "/vkcache", 0755);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
    bool skip = false;
    /* Subgroup reduction vs shared-memory reduction in the matrix-vector shader. */
    run_tier("", &skip);
    if (!skip) run_tier("subgroup", &skip);
    if (skip) {
        fprintf(stderr, "skip: no Vulkan device\n");
        return GL_TEST_SKIP;
    }
    CHECK_EQ_INT(gl_vk_validation_messages(), 0);
    return gl_test_finish("test_vk_types");
}

#else
int main(void) {
    fprintf(stderr, "skip: built without Vulkan\n");
    return GL_TEST_SKIP;
}
#endif

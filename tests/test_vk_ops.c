/* Every Vulkan op but MUL_MAT against the CPU reference, on each capability tier (everything
 * on; fp16, int8dot, subgroup and storage16 forced off), with the validation layer on.
 * A case is one node over tensors that are views of a few storages (so strides, skews and
 * in-place ops are covered the way the llama graph makes them); the storages get random
 * contents, the node runs on both backends, and the whole destination storage is compared:
 * normalized error max|vk - cpu| / max|cpu| within the op's tolerance. Cases the Vulkan
 * backend declines are counted as "not supported", apart from failures. */
#include "backend.h"
#include "test_util.h"
#include "types.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef GLINT_WITH_VULKAN
uint64_t gl_vk_validation_messages(void);
#endif

#define MAX_STORE   10
#define MAX_TENSORS 12
#define MAX_NODES   10

/* A tensor as a view of storage `store` at byte `offset`; nb1/nb2 0 = contiguous. */
typedef struct {
    int store;
    size_t offset;
    glint_type type;
    int64_t ne[3];
    size_t nb1, nb2;
} tspec;

typedef enum { FILL_RAND, FILL_IDS, FILL_POS, FILL_TIES, FILL_POS_FACTORS } fill_kind;

typedef struct {
    size_t size;
    glint_type type; /* what the random contents are made of */
    fill_kind fill;
    int32_t lo, hi; /* FILL_IDS: ids in [lo, hi); FILL_POS: positions lo, lo + 1, ... */
} sspec;

/* A node over the case's tensors (indices into t[], -1 = none). */
typedef struct {
    gl_op op;
    gl_op_params p;
    int dst, src[GL_MAX_SRC];
} nspec;

typedef struct {
    char what[96]; /* short description of the shapes */
    gl_op op;
    gl_op_params p;
    sspec st[MAX_STORE];
    tspec t[MAX_TENSORS]; /* t[0] = dst, t[1..] = src[0..]; type 0 with ne[0] == 0 = absent */
    double tol;
    int max_range; /* nonzero: GLINT_VK_MAX_RANGE for this case (weights bound in pieces) */
    bool declined; /* the Vulkan backend must decline it */
    bool once;     /* big: only on the first tier (its shaders do not vary by tier) */
    nspec nodes[MAX_NODES]; /* a chain of nodes; none: one node of `op` over t[0] <- t[1..] */
    int n_nodes;
} op_case;

/* ---- building the case table ---------------------------------------------------------- */

static op_case g_cases[256];
static int g_ncases;

static size_t bytes_of(glint_type t, int64_t ne0, int64_t rows) {
    return gl_row_size(t, ne0) * (size_t)rows;
}

static op_case *add_case(gl_op op, double tol, const char *what, ...) GL_PRINTF(3, 4);
static op_case *add_case(gl_op op, double tol, const char *what, ...) {
    static op_case spare; /* only if the table is full; the count check below reports it */
    if (g_ncases == (int)GL_ARRAY_LEN(g_cases)) return &spare;
    op_case *c = &g_cases[g_ncases++];
    memset(c, 0, sizeof *c);
    va_list ap;
    va_start(ap, what);
    vsnprintf(c->what, sizeof c->what, what, ap);
    va_end(ap);
    c->op = op;
    c->tol = tol;
    return c;
}

static tspec tens(int store, size_t offset, glint_type type, int64_t ne0, int64_t ne1,
                  int64_t ne2) {
    return (tspec){store, offset, type, {ne0, ne1, ne2}, 0, 0};
}

static sspec store_f32(int64_t n) {
    return (sspec){(size_t)n * 4, GLINT_TYPE_F32, FILL_RAND, 0, 0};
}

static void build_cases(void) {
    op_case *c;
    const glint_type F32 = GLINT_TYPE_F32, F16 = GLINT_TYPE_F16, I32 = GLINT_TYPE_I32;

    /* GET_ROWS: token embedding [ne0, n_vocab] of every weight type, n = 1 and n > 1 */
    static const glint_type wtypes[] = {GLINT_TYPE_F32,  GLINT_TYPE_F16,  GLINT_TYPE_BF16,
                                        GLINT_TYPE_Q4_0, GLINT_TYPE_Q4_1, GLINT_TYPE_Q5_0,
                                        GLINT_TYPE_Q5_1, GLINT_TYPE_Q8_0, GLINT_TYPE_Q4_K,
                                        GLINT_TYPE_Q5_K, GLINT_TYPE_Q6_K};
    for (size_t i = 0; i < GL_ARRAY_LEN(wtypes); i++) {
        for (int n = 1; n <= 6; n += 5) {
            const int64_t ne0 = 512, rows = 37;
            c = add_case(GL_OP_GET_ROWS, 1e-6, "w [%d, %d], %d ids", (int)ne0, (int)rows, n);
            c->st[0] = store_f32(ne0 * n);
            c->st[1] = (sspec){bytes_of(wtypes[i], ne0, rows), wtypes[i], FILL_RAND, 0, 0};
            c->st[2] = (sspec){(size_t)n * 4, I32, FILL_IDS, 0, (int32_t)rows};
            c->t[0] = tens(0, 0, F32, ne0, n, 1);
            c->t[1] = tens(1, 0, wtypes[i], ne0, rows, 1);
            c->t[2] = tens(2, 0, I32, n, 1, 1);
        }
        /* the same bound in pieces of a few rows, as a big embedding is on a phone */
        const int64_t ne0 = 512, rows = 37, n = 9;
        c = add_case(GL_OP_GET_ROWS, 1e-6, "w [%d, %d], %d ids, in 4 KiB pieces", (int)ne0,
                     (int)rows, (int)n);
        c->max_range = 4096;
        c->st[0] = store_f32(ne0 * n);
        c->st[1] = (sspec){bytes_of(wtypes[i], ne0, rows), wtypes[i], FILL_RAND, 0, 0};
        c->st[2] = (sspec){(size_t)n * 4, I32, FILL_IDS, 0, (int32_t)rows};
        c->t[0] = tens(0, 0, F32, ne0, n, 1);
        c->t[1] = tens(1, 0, wtypes[i], ne0, rows, 1);
        c->t[2] = tens(2, 0, I32, n, 1, 1);
    }
    c = add_case(GL_OP_GET_ROWS, 0, "w [512, 37] rows wider than a 1 KiB binding limit");
    c->max_range = 1024;
    c->declined = true;
    c->st[0] = store_f32(512);
    c->st[1] = store_f32(512 * 37);
    c->st[2] = (sspec){4, I32, FILL_IDS, 0, 37};
    c->t[0] = tens(0, 0, F32, 512, 1, 1);
    c->t[1] = tens(1, 0, F32, 512, 37, 1);
    c->t[2] = tens(2, 0, I32, 1, 1, 1);

    /* RMS_NORM: rows with and without weight, odd sizes; qwen3's per-head norm in place on a
     * [hd, n_head, n] view; the output norm of the last row only (a view at a skew) */
    for (int n = 1; n <= 7; n += 6) {
        for (int w = 0; w < 2; w++) {
            c = add_case(GL_OP_RMS_NORM, 1e-5, "x [333, %d]%s", n, w ? ", weight [333]" : "");
            c->p.f[0] = 1e-5f;
            c->st[0] = store_f32(333 * n);
            c->st[1] = store_f32(333 * n);
            c->st[2] = store_f32(333);
            c->t[0] = tens(0, 0, F32, 333, n, 1);
            c->t[1] = tens(1, 0, F32, 333, n, 1);
            if (w) c->t[2] = tens(2, 0, F32, 333, 1, 1);
        }
        c = add_case(GL_OP_RMS_NORM, 1e-5, "in place [64, 6, %d] view, weight [64]", n);
        c->p.f[0] = 1e-6f;
        c->st[0] = store_f32(64 * 6 * n);
        c->st[1] = store_f32(64);
        c->t[0] = c->t[1] = tens(0, 0, F32, 64, 6, n);
        c->t[2] = tens(1, 0, F32, 64, 1, 1);
    }
    c = add_case(GL_OP_RMS_NORM, 1e-5, "last row of x [4100, 5] (view at a skew)");
    c->p.f[0] = 1e-5f;
    c->st[0] = store_f32(4100);
    c->st[1] = store_f32(4100 * 5);
    c->st[2] = store_f32(4100);
    c->t[0] = tens(0, 0, F32, 4100, 1, 1);
    c->t[1] = tens(1, 4 * 4100 * 4, F32, 4100, 1, 1);
    c->t[2] = tens(2, 0, F32, 4100, 1, 1);
    c = add_case(GL_OP_RMS_NORM, 1e-5,
                 "strided rows: x [50, 3, 2] with nb1 = 61, nb2 = 200 floats");
    c->p.f[0] = 1e-5f;
    c->st[0] = store_f32(50 * 6);
    c->st[1] = store_f32(400);
    c->t[0] = tens(0, 0, F32, 50, 3, 2);
    c->t[1] = tens(1, 4, F32, 50, 3, 2);
    c->t[1].nb1 = 61 * 4, c->t[1].nb2 = 200 * 4;

    /* more than 65535 workgroups: the grid spreads over y */
    c = add_case(GL_OP_RMS_NORM, 1e-5, "x [5, 65600] (one workgroup per row)");
    c->once = true;
    c->p.f[0] = 1e-5f;
    c->st[0] = store_f32(5 * 65600);
    c->st[1] = store_f32(5 * 65600);
    c->t[0] = tens(0, 0, F32, 5, 65600, 1);
    c->t[1] = tens(1, 0, F32, 5, 65600, 1);
    c = add_case(GL_OP_MUL, 1e-6, "[3, 70000] . broadcast [3, 1] (70000 rows)");
    c->once = true;
    c->st[0] = store_f32(3 * 70000);
    c->st[1] = store_f32(3);
    c->t[0] = c->t[1] = tens(0, 0, F32, 3, 70000, 1);
    c->t[2] = tens(1, 0, F32, 3, 1, 1);

    /* ADD / MUL: same shapes, a one-row bias broadcast over rows, in place as the residual */
    for (int op = 0; op < 2; op++) {
        const gl_op o = op ? GL_OP_MUL : GL_OP_ADD;
        for (int n = 1; n <= 5; n += 4) {
            c = add_case(o, 1e-6, "[333, %d] . [333, %d]", n, n);
            c->st[0] = store_f32(333 * n);
            c->st[1] = store_f32(333 * n);
            c->st[2] = store_f32(333 * n);
            c->t[0] = tens(0, 0, F32, 333, n, 1);
            c->t[1] = tens(1, 0, F32, 333, n, 1);
            c->t[2] = tens(2, 0, F32, 333, n, 1);
            c = add_case(o, 1e-6, "in place [333, %d] . broadcast [333, 1]", n);
            c->st[0] = store_f32(333 * n);
            c->st[1] = store_f32(333);
            c->t[0] = c->t[1] = tens(0, 0, F32, 333, n, 1);
            c->t[2] = tens(1, 0, F32, 333, 1, 1);
        }
    }
    c = add_case(GL_OP_ADD, 1e-6, "strided [40, 3, 2] views");
    c->st[0] = store_f32(40 * 6);
    c->st[1] = store_f32(500);
    c->st[2] = store_f32(500);
    c->t[0] = tens(0, 0, F32, 40, 3, 2);
    c->t[1] = tens(1, 12, F32, 40, 3, 2);
    c->t[1].nb1 = 41 * 4, c->t[1].nb2 = 130 * 4;
    c->t[2] = tens(2, 8, F32, 40, 3, 2);
    c->t[2].nb1 = 50 * 4, c->t[2].nb2 = 160 * 4;

    /* ROPE: NORM and NEOX, full and partial rotation, frequency factors, linear scaling,
     * positions near 0 and in the thousands, in place (as the graph does) and not */
    static const struct {
        int hd, n_head, n, n_rot, pos, ff, inplace;
        float scale;
    } ropes[] = {
        {64, 4, 1, 64, 0, 0, 1, 1.0f},       {64, 4, 6, 64, 17, 0, 1, 1.0f},
        {64, 4, 1, 32, 900, 0, 0, 1.0f},     {128, 3, 5, 128, 2000, 1, 1, 1.0f},
        {80, 2, 3, 48, 4000, 0, 0, 0.25f},   {256, 2, 1, 256, 300, 1, 0, 0.5f},
        {128, 2, 2, 128, 30000, 0, 1, 1.0f},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(ropes); i++) {
        for (int mode = 0; mode < 2; mode++) {
            const int hd = ropes[i].hd, H = ropes[i].n_head, n = ropes[i].n;
            /* the GPU's frequencies are floats (as llama.cpp's are); the CPU reference works
             * in double: theta = pos * freq differs by pos * ulp(freq) */
            const double tol = ropes[i].pos < 10000 ? 5e-4 : 3e-3;
            c = add_case(GL_OP_ROPE, tol, "%s [%d, %d, %d] n_rot %d at %d%s%s",
                         mode ? "neox" : "norm", hd, H, n, ropes[i].n_rot, ropes[i].pos,
                         ropes[i].ff ? ", factors" : "", ropes[i].inplace ? ", in place" : "");
            c->p.i[0] = ropes[i].n_rot;
            c->p.i[1] = mode ? GL_ROPE_NEOX : GL_ROPE_NORM;
            c->p.f[0] = i % 2 ? 1e6f : 1e4f;
            c->p.f[1] = ropes[i].scale;
            c->st[0] = store_f32(hd * H * n);
            c->st[1] = store_f32(hd * H * n);
            c->st[2] = (sspec){(size_t)n * 4, I32, FILL_POS, ropes[i].pos, 0};
            c->st[3] = (sspec){(size_t)ropes[i].n_rot / 2 * 4, F32, FILL_POS_FACTORS, 0, 0};
            c->t[0] = tens(0, 0, F32, hd, H, n);
            c->t[1] = ropes[i].inplace ? c->t[0] : tens(1, 0, F32, hd, H, n);
            c->t[2] = tens(2, 0, I32, n, 1, 1);
            if (ropes[i].ff) c->t[3] = tens(3, 0, F32, ropes[i].n_rot / 2, 1, 1);
        }
    }

    /* GLU: in place on the gate, as the FFN does */
    static const char *glu_names[] = {"swiglu", "geglu", "reglu"};
    for (int k = 0; k < GL_GLU_COUNT; k++) {
        for (int n = 1; n <= 4; n += 3) {
            c = add_case(GL_OP_GLU, 1e-5, "%s in place [1001, %d]", glu_names[k], n);
            c->p.i[0] = k;
            c->st[0] = store_f32(1001 * n);
            c->st[1] = store_f32(1001 * n);
            c->t[0] = c->t[1] = tens(0, 0, F32, 1001, n, 1);
            c->t[2] = tens(1, 0, F32, 1001, n, 1);
        }
    }

    c = add_case(GL_OP_GLU, 1e-5, "geglu of strided views [70, 3, 2] into a new tensor");
    c->p.i[0] = GL_GLU_GEGLU;
    c->st[0] = store_f32(70 * 6);
    c->st[1] = store_f32(80 * 3 * 2);
    c->st[2] = store_f32(70 * 6 + 9);
    c->t[0] = tens(0, 0, F32, 70, 3, 2);
    c->t[1] = tens(1, 0, F32, 70, 3, 2);
    c->t[1].nb1 = 80 * 4, c->t[1].nb2 = 240 * 4;
    c->t[2] = tens(2, 36, F32, 70, 3, 2);
    c = add_case(GL_OP_CPY, 0, "strided [20, 4, 3] view -> f32");
    c->st[0] = store_f32(20 * 12);
    c->st[1] = store_f32(25 * 4 * 3);
    c->t[0] = tens(0, 0, F32, 20, 4, 3);
    c->t[1] = tens(1, 0, F32, 20, 4, 3);
    c->t[1].nb1 = 25 * 4;

    /* CPY: k/v [hd, n_kv_head, n] into the cache rows n_past.., f16 and f32; an odd head
     * size makes f16 rows that start mid-word */
    static const struct {
        int hd, hk, n, n_past, n_ctx;
    } cpys[] = {{64, 2, 1, 0, 16}, {64, 2, 5, 9, 16}, {33, 3, 1, 3, 8}, {33, 3, 4, 1, 8}};
    for (size_t i = 0; i < GL_ARRAY_LEN(cpys); i++) {
        for (int f16 = 0; f16 < 2; f16++) {
            const int hd = cpys[i].hd, hk = cpys[i].hk, n = cpys[i].n;
            const glint_type kt = f16 ? F16 : F32;
            const size_t es = f16 ? 2 : 4;
            c = add_case(GL_OP_CPY, f16 ? 1e-3 : 0, "[%d, %d, %d] -> %s cache row %d", hd, hk, n,
                         f16 ? "f16" : "f32", cpys[i].n_past);
            c->st[0] = (sspec){(size_t)hd * hk * cpys[i].n_ctx * es, kt, FILL_RAND, 0, 0};
            c->st[1] = store_f32(hd * hk * n);
            c->t[0] = tens(0, (size_t)cpys[i].n_past * hd * hk * es, kt, hd, hk, n);
            c->t[1] = tens(1, 0, F32, hd, hk, n);
        }
    }

    /* SOFTMAX and ARGMAX (random rows, ties, the maximum last) */
    c = add_case(GL_OP_SOFTMAX, 1e-5, "[1000, 3] * 0.5");
    c->p.f[0] = 0.5f;
    c->st[0] = store_f32(3000);
    c->st[1] = store_f32(3000);
    c->t[0] = tens(0, 0, F32, 1000, 3, 1);
    c->t[1] = tens(1, 0, F32, 1000, 3, 1);
    c = add_case(GL_OP_SOFTMAX, 1e-5, "[7, 1] * 3");
    c->p.f[0] = 3.0f;
    c->st[0] = store_f32(7);
    c->st[1] = store_f32(7);
    c->t[0] = tens(0, 0, F32, 7, 1, 1);
    c->t[1] = tens(1, 0, F32, 7, 1, 1);
    c = add_case(GL_OP_SOFTMAX, 1e-5, "in place, rows of 100 in a [128, 3] view");
    c->p.f[0] = 1.0f;
    c->st[0] = store_f32(128 * 3);
    c->t[0] = c->t[1] = tens(0, 8, F32, 100, 3, 1);
    c->t[0].nb1 = c->t[1].nb1 = 128 * 4;
    c = add_case(GL_OP_ARGMAX, 0, "rows of 300 in a [301, 5] view at a skew");
    c->st[0] = (sspec){20, I32, FILL_IDS, 0, 1};
    c->st[1] = store_f32(301 * 5 + 1);
    c->t[0] = tens(0, 0, I32, 5, 1, 1);
    c->t[1] = tens(1, 4, F32, 300, 5, 1);
    c->t[1].nb1 = 301 * 4;
    for (int ties = 0; ties < 2; ties++) {
        c = add_case(GL_OP_ARGMAX, 0, "[1001, 4]%s", ties ? " with ties" : "");
        c->st[0] = (sspec){16, I32, FILL_IDS, 0, 1};
        c->st[1] = (sspec){1001 * 4 * 4, F32, ties ? FILL_TIES : FILL_RAND, 0, 0};
        c->t[0] = tens(0, 0, I32, 4, 1, 1);
        c->t[1] = tens(1, 0, F32, 1001, 4, 1);
    }
    c = add_case(GL_OP_ARGMAX, 0, "[5, 1]");
    c->st[0] = (sspec){4, I32, FILL_IDS, 0, 1};
    c->st[1] = store_f32(5);
    c->t[0] = tens(0, 0, I32, 1, 1, 1);
    c->t[1] = tens(1, 0, F32, 5, 1, 1);

    /* ATTENTION: GQA and not, f16 and f32 cache, decode (n = 1) at several context lengths
     * (across the 64-key chunks) and prefill; head dims 64, 80, 128, 256 */
    static const struct {
        int hd, h, hk, n, n_past, n_ctx;
    } atts[] = {
        {64, 4, 2, 1, 0, 8},
        {64, 4, 2, 1, 37, 48},
        {64, 4, 4, 1, 64, 80},
        {64, 4, 2, 1, 150, 160},
        {64, 4, 2, 7, 0, 8},
        {64, 4, 1, 5, 60, 72},
        {80, 2, 1, 3, 20, 24},
        {128, 2, 2, 1, 99, 128},
        {256, 2, 1, 2, 30, 40},
        /* realistic: TinyLlama-like decode deep in the context, prefills after a prompt */
        {64, 32, 4, 1, 1000, 1024},
        {128, 8, 2, 40, 100, 160},
        {64, 14, 2, 17, 0, 32},
        /* head dims that are not whole groups of 4: the scalar path */
        {34, 3, 1, 2, 10, 16},
        {66, 2, 2, 1, 70, 80},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(atts); i++) {
        for (int f16 = 0; f16 < 2; f16++) {
            const int hd = atts[i].hd, h = atts[i].h, hk = atts[i].hk, n = atts[i].n;
            const glint_type kt = f16 ? F16 : F32;
            const size_t es = f16 ? 2 : 4;
            c = add_case(GL_OP_ATTENTION, 1e-4, "q [%d, %d, %d], kv [%d, %d, %d], n_past %d", hd, h,
                         n, hd, hk, atts[i].n_ctx, atts[i].n_past);
            c->p.i[0] = atts[i].n_past;
            c->p.f[0] = 1.0f / sqrtf((float)hd);
            c->st[0] = store_f32(hd * h * n);
            c->st[1] = store_f32(hd * h * n);
            c->st[2] = (sspec){(size_t)hd * hk * atts[i].n_ctx * es, kt, FILL_RAND, 0, 0};
            c->st[3] = (sspec){(size_t)hd * hk * atts[i].n_ctx * es, kt, FILL_RAND, 0, 0};
            c->t[0] = tens(0, 0, F32, hd * h, n, 1);
            c->t[1] = tens(1, 0, F32, hd, h, n);
            c->t[2] = tens(2, 0, kt, hd, hk, atts[i].n_ctx);
            c->t[3] = tens(3, 0, kt, hd, hk, atts[i].n_ctx);
        }
    }
}

static void add_node(op_case *c, gl_op op, const gl_op_params *p, int dst, int s0, int s1, int s2) {
    if (c->n_nodes == MAX_NODES) return;
    c->nodes[c->n_nodes++] = (nspec){op, p ? *p : (gl_op_params){.i = {0}}, dst, {s0, s1, s2, -1}};
}

/* Runs of nodes as the llama graph makes them, in one compute(): the recorder's barriers
 * must order in-place updates, cache writes and the reads after them. */
static void build_chains(void) {
    const glint_type F32 = GLINT_TYPE_F32, F16 = GLINT_TYPE_F16, I32 = GLINT_TYPE_I32;
    const int hd = 64, H = 4, HK = 2, n = 5, n_past = 11, n_ctx = 24, E = hd * H;
    for (int f16 = 0; f16 < 2; f16++) {
        const glint_type kt = f16 ? F16 : F32;
        const size_t es = f16 ? 2 : 4;
        op_case *c = add_case(GL_OP_COUNT, 1e-3,
                              "qwen3 attention: q/k norm, neox rope, %s cache writes at %d, "
                              "attention, residual add, argmax",
                              f16 ? "f16" : "f32", n_past);
        c->st[0] = store_f32(E * n);
        c->st[1] = store_f32(hd * HK * n);
        c->st[2] = store_f32(hd * HK * n);
        c->st[3] = (sspec){(size_t)hd * HK * n_ctx * es, kt, FILL_RAND, 0, 0};
        c->st[4] = (sspec){(size_t)hd * HK * n_ctx * es, kt, FILL_RAND, 0, 0};
        c->st[5] = (sspec){(size_t)n * 4, I32, FILL_POS, n_past, 0};
        c->st[6] = store_f32(E * n);
        c->st[7] = store_f32(hd);
        c->st[8] = store_f32(E * n);
        c->st[9] = (sspec){(size_t)n * 4, I32, FILL_IDS, 0, 1};
        c->t[0] = tens(0, 0, F32, hd, H, n);
        c->t[1] = tens(1, 0, F32, hd, HK, n);
        c->t[2] = tens(2, 0, F32, hd, HK, n);
        c->t[3] = tens(3, 0, kt, hd, HK, n_ctx);
        c->t[4] = tens(4, 0, kt, hd, HK, n_ctx);
        c->t[5] = tens(3, (size_t)n_past * hd * HK * es, kt, hd, HK, n);
        c->t[6] = tens(4, (size_t)n_past * hd * HK * es, kt, hd, HK, n);
        c->t[7] = tens(5, 0, I32, n, 1, 1);
        c->t[8] = tens(7, 0, F32, hd, 1, 1);
        c->t[9] = tens(8, 0, F32, E, n, 1);
        c->t[10] = tens(6, 0, F32, E, n, 1);
        c->t[11] = tens(9, 0, I32, n, 1, 1);
        const gl_op_params norm = {.f = {1e-6f}};
        const gl_op_params rope = {.i = {hd, GL_ROPE_NEOX}, .f = {1e6f, 1.0f}};
        const gl_op_params attn = {.i = {n_past}, .f = {0.125f}};
        add_node(c, GL_OP_RMS_NORM, &norm, 0, 0, 8, -1);
        add_node(c, GL_OP_RMS_NORM, &norm, 1, 1, 8, -1);
        add_node(c, GL_OP_ROPE, &rope, 0, 0, 7, -1);
        add_node(c, GL_OP_ROPE, &rope, 1, 1, 7, -1);
        add_node(c, GL_OP_CPY, NULL, 5, 1, -1, -1);
        add_node(c, GL_OP_CPY, NULL, 6, 2, -1, -1);
        add_node(c, GL_OP_ATTENTION, &attn, 9, 0, 3, 4);
        add_node(c, GL_OP_ADD, NULL, 10, 10, 9, -1);
        add_node(c, GL_OP_ARGMAX, NULL, 11, 10, -1, -1);
    }

    /* embedding, norm, gated activation in place, softmax and argmax of the result */
    const int ne0 = 256, rows = 40, nt = 3;
    op_case *c = add_case(GL_OP_COUNT, 1e-5,
                          "q4_K embedding of %d tokens, rms norm, swiglu in place, softmax, "
                          "argmax",
                          nt);
    c->st[0] = (sspec){bytes_of(GLINT_TYPE_Q4_K, ne0, rows), GLINT_TYPE_Q4_K, FILL_RAND, 0, 0};
    c->st[1] = (sspec){(size_t)nt * 4, I32, FILL_IDS, 0, rows};
    c->st[2] = store_f32(ne0 * nt);
    c->st[3] = store_f32(ne0);
    c->st[4] = store_f32(ne0 * nt);
    c->st[5] = store_f32(ne0 * nt);
    c->st[6] = (sspec){(size_t)nt * 4, I32, FILL_IDS, 0, 1};
    c->t[0] = tens(0, 0, GLINT_TYPE_Q4_K, ne0, rows, 1);
    c->t[1] = tens(1, 0, I32, nt, 1, 1);
    c->t[2] = tens(2, 0, F32, ne0, nt, 1);
    c->t[3] = tens(3, 0, F32, ne0, 1, 1);
    c->t[4] = tens(4, 0, F32, ne0, nt, 1);
    c->t[5] = tens(5, 0, F32, ne0, nt, 1);
    c->t[6] = tens(6, 0, I32, nt, 1, 1);
    const gl_op_params norm = {.f = {1e-5f}}, glu = {.i = {GL_GLU_SWIGLU}}, sm = {.f = {1.0f}};
    add_node(c, GL_OP_GET_ROWS, NULL, 2, 0, 1, -1);
    add_node(c, GL_OP_RMS_NORM, &norm, 4, 2, 3, -1);
    add_node(c, GL_OP_GLU, &glu, 4, 4, 2, -1);
    add_node(c, GL_OP_SOFTMAX, &sm, 5, 4, -1, -1);
    add_node(c, GL_OP_ARGMAX, NULL, 6, 4, -1, -1);
}

/* ---- running one case on a backend ----------------------------------------------------- */

static bool tensor_present(const tspec *t) {
    return t->ne[0] > 0;
}

static void make_tensor(gl_tensor *out, const tspec *s) {
    gl_tensor_init(out, s->type, 3, s->ne);
    if (s->nb1) out->nb[1] = s->nb1;
    if (s->nb2) out->nb[2] = s->nb2;
    out->nb[3] = out->nb[2] * (size_t)out->ne[2];
    out->offset = s->offset;
}

static void fill_store(const sspec *s, void *dst, uint64_t *rng) {
    const gl_type_traits *tr = gl_type_get(s->type);
    if (s->fill == FILL_IDS) {
        int32_t *v = dst;
        for (size_t i = 0; i < s->size / 4; i++) {
            /* the first and last ids of the range appear, repeats too */
            if (i == 0)
                v[i] = s->lo;
            else if (i == 1)
                v[i] = s->hi - 1;
            else
                v[i] = s->lo + (int32_t)(gl_test_rand(rng) % (uint64_t)(s->hi - s->lo));
        }
        return;
    }
    if (s->fill == FILL_POS) {
        for (size_t i = 0; i < s->size / 4; i++) ((int32_t *)dst)[i] = s->lo + (int32_t)i;
        return;
    }
    if (s->fill == FILL_POS_FACTORS) { /* llama-3 style: 1 for high frequencies, up to 8 */
        float *v = dst;
        const size_t n = s->size / 4;
        for (size_t i = 0; i < n; i++) v[i] = 1.0f + 7.0f * (float)i / (float)(n > 1 ? n - 1 : 1);
        return;
    }
    const int64_t blk = tr->block_size;
    const int64_t nvals = (int64_t)(s->size / tr->type_size) * blk;
    float *f = malloc((size_t)nvals * sizeof *f);
    for (int64_t i = 0; i < nvals; i++) f[i] = gl_test_randf(rng) * 2.0f;
    if (s->fill == FILL_TIES) { /* per row of 1001: the max at 5 and again at 700; last row
                                 * has its max at the very end */
        for (int64_t r = 0; r * 1001 < nvals; r++) {
            float *row = f + r * 1001;
            if (r == 3) {
                row[1000] = 9.0f;
            } else {
                row[5] = 7.0f;
                row[700] = 7.0f;
                row[900] = 7.0f;
            }
        }
    }
    if (s->type == GLINT_TYPE_F32)
        memcpy(dst, f, s->size);
    else
        tr->from_float(f, dst, nvals);
    free(f);
}

/* Converts storage bytes of `type` to floats for comparison. */
static void store_to_f32(glint_type type, const void *src, size_t size, float *out, size_t *n) {
    if (type == GLINT_TYPE_I32) {
        *n = size / 4;
        for (size_t i = 0; i < *n; i++) out[i] = (float)((const int32_t *)src)[i];
    } else if (type == GLINT_TYPE_F16) {
        *n = size / 2;
        for (size_t i = 0; i < *n; i++) out[i] = gl_fp16_to_f32(((const gl_fp16 *)src)[i]);
    } else {
        *n = size / 4;
        memcpy(out, src, *n * 4);
    }
}

typedef struct {
    int run, failed, unsupported;
} tally;

static const char *type_name(glint_type t) {
    const gl_type_traits *tr = gl_type_get(t);
    return tr ? tr->name : "?";
}

static void describe(const op_case *c, char *buf, size_t cap) {
    if (c->n_nodes) {
        snprintf(buf, cap, "chain of %d nodes: %.95s", c->n_nodes, c->what);
        return;
    }
    size_t o = (size_t)snprintf(buf, cap, "%s %s (", gl_op_name(c->op), c->what);
    for (int i = 1; i < MAX_TENSORS && o < cap; i++)
        if (tensor_present(&c->t[i]))
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", i > 1 ? ", " : "",
                                  type_name(c->t[i].type));
    if (o < cap) snprintf(buf + o, cap - o, " -> %s)", type_name(c->t[0].type));
}

/* The nodes of a case: its explicit list, or one node with dst t[0] and sources t[1..]. */
static int case_nodes(const op_case *c, nspec *out) {
    if (c->n_nodes) {
        memcpy(out, c->nodes, sizeof(nspec) * (size_t)c->n_nodes);
        return c->n_nodes;
    }
    out[0] = (nspec){c->op, c->p, 0, {-1, -1, -1, -1}};
    for (int i = 1; i <= GL_MAX_SRC && i < MAX_TENSORS; i++)
        if (tensor_present(&c->t[i]))
            out[0].src[i - 1] = memcmp(&c->t[i], &c->t[0], sizeof(tspec)) == 0 ? 0 : i;
    return 1;
}

/* Compares storage s of both runs as `type` values; returns whether it is within tol. */
/* Marks in `mask` (one byte per value of storage s) the values the case's nodes write. */
static void mark_written(const op_case *c, const nspec *ns, int n_nodes, int s, size_t esize,
                         uint8_t *mask, size_t n) {
    for (int k = 0; k < n_nodes; k++) {
        const tspec *t = &c->t[ns[k].dst];
        if (t->store != s) continue;
        gl_tensor g;
        make_tensor(&g, t);
        for (int64_t i2 = 0; i2 < g.ne[2]; i2++)
            for (int64_t i1 = 0; i1 < g.ne[1]; i1++)
                for (int64_t i0 = 0; i0 < g.ne[0]; i0++) {
                    const size_t o =
                        (t->offset + (size_t)i2 * g.nb[2] + (size_t)i1 * g.nb[1]) / esize +
                        (size_t)i0;
                    if (o < n) mask[o] = 1;
                }
    }
}

/* The error is over the whole storage (what was not written must be untouched), normalized by
 * the largest reference value the nodes wrote. */
static bool compare_store(const op_case *c, const nspec *ns, int n_nodes, const char *tier,
                          const char *desc, int s, glint_type type, const void *ref,
                          const void *got) {
    const size_t size = c->st[s].size, cap = size / 2 + 1;
    float *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    uint8_t *mask = calloc(cap, 1);
    size_t n = 0;
    store_to_f32(type, ref, size, a, &n);
    store_to_f32(type, got, size, b, &n);
    mark_written(c, ns, n_nodes, s, size / n, mask, n);
    double max_ref = 0, max_err = 0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask[i]) max_ref = fmax(max_ref, fabs(a[i]));
        const double e = isnan(b[i]) != isnan(a[i]) ? INFINITY : fabs((double)a[i] - b[i]);
        if (e > max_err) max_err = e, worst = i;
    }
    const double nerr = max_ref > 0 ? max_err / max_ref : max_err;
    if (getenv("GLINT_TEST_VERBOSE"))
        printf("  [%s] %s: storage %d: normalized error %.3g (max |ref| %.3g)\n", tier, desc, s,
               nerr, max_ref);
    gl_test_checks++;
    const bool ok = nerr <= c->tol;
    if (!ok) {
        gl_test_failures++;
        fprintf(stderr,
                "FAIL [%s] %s: normalized error %.3g > %.3g; worst at element %zu of destination "
                "storage %d: cpu %.9g, vulkan %.9g\n",
                tier, desc, nerr, c->tol, worst, s, (double)a[worst], (double)b[worst]);
    }
    free(a);
    free(b);
    free(mask);
    return ok;
}

static void run_case(const op_case *c, gl_backend *cpu, gl_backend *vk, const char *tier, tally *tl,
                     uint64_t seed) {
    void *host[MAX_STORE] = {0};
    gl_buffer *vbuf[MAX_STORE] = {0};
    gl_tensor ct[MAX_TENSORS], vt[MAX_TENSORS];
    nspec ns[MAX_NODES];
    gl_node cn[MAX_NODES], vn[MAX_NODES];
    char desc[256];
    describe(c, desc, sizeof desc);
    const int n_nodes = case_nodes(c, ns);
    uint64_t rng = seed;
    for (int s = 0; s < MAX_STORE; s++) {
        if (!c->st[s].size) continue;
        host[s] = calloc(1, c->st[s].size);
        fill_store(&c->st[s], host[s], &rng);
    }
    bool ok = true;
    for (int i = 0; i < MAX_TENSORS; i++) {
        if (!tensor_present(&c->t[i])) continue;
        make_tensor(&ct[i], &c->t[i]);
        vt[i] = ct[i];
        ct[i].data = (char *)host[c->t[i].store] + c->t[i].offset;
        ct[i].buffer = NULL;
    }
    for (int k = 0; k < n_nodes; k++) {
        cn[k] = vn[k] = (gl_node){.op = ns[k].op, .p = ns[k].p, .layer = 0};
        cn[k].dst = &ct[ns[k].dst], vn[k].dst = &vt[ns[k].dst];
        for (int j = 0; j < GL_MAX_SRC; j++)
            if (ns[k].src[j] >= 0)
                cn[k].src[j] = &ct[ns[k].src[j]], vn[k].src[j] = &vt[ns[k].src[j]];
    }

    for (int s = 0; s < MAX_STORE && ok; s++) {
        if (!c->st[s].size) continue;
        glint_status st = vk->iface->buffer_alloc(vk, c->st[s].size, GL_BUFFER_COMPUTE, &vbuf[s]);
        if (st == GLINT_OK) st = vk->iface->buffer_upload(vk, vbuf[s], 0, host[s], c->st[s].size);
        CHECK_MSG(st == GLINT_OK, "[%s] %s: vulkan buffer: %s", tier, desc,
                  glint_status_string(st));
        ok = st == GLINT_OK;
    }
    for (int i = 0; i < MAX_TENSORS && ok; i++)
        if (tensor_present(&c->t[i])) {
            vt[i].buffer = vbuf[c->t[i].store];
            vt[i].data = NULL;
        }
    for (int k = 0; k < n_nodes && ok; k++)
        if (!cpu->iface->supports_op(cpu, &cn[k])) {
            CHECK_MSG(false, "[%s] %s: the CPU reference declines node %d", tier, desc, k);
            ok = false;
        }
    char range[32];
    snprintf(range, sizeof range, "%d", c->max_range);
    if (c->max_range) setenv("GLINT_VK_MAX_RANGE", range, 1);
    if (ok && c->declined) {
        CHECK_MSG(!vk->iface->supports_op(vk, &vn[0]), "[%s] %s: should be declined", tier, desc);
        ok = false;
    }
    for (int k = 0; k < n_nodes && ok; k++)
        if (!vk->iface->supports_op(vk, &vn[k])) {
            tl->unsupported++;
            printf("  not supported [%s] %s%s\n", tier, desc, n_nodes > 1 ? " (a node)" : "");
            ok = false;
        }
    void *vout[MAX_STORE] = {0};
    if (ok) {
        /* all nodes in one compute(): one command buffer, barriers from the recorder */
        glint_status st = vk->iface->compute(vk, vn, n_nodes);
        if (st == GLINT_OK) st = vk->iface->synchronize(vk);
        for (int k = 0; k < n_nodes && st == GLINT_OK; k++) {
            const int s = c->t[ns[k].dst].store;
            if (vout[s]) continue;
            vout[s] = calloc(1, c->st[s].size);
            st = vk->iface->buffer_download(vk, vbuf[s], 0, vout[s], c->st[s].size);
        }
        CHECK_MSG(st == GLINT_OK, "[%s] %s: vulkan compute: %s", tier, desc,
                  glint_status_string(st));
        ok = st == GLINT_OK;
        if (ok) CHECK_STATUS(cpu->iface->compute(cpu, cn, n_nodes), GLINT_OK);
    }
    if (c->max_range) unsetenv("GLINT_VK_MAX_RANGE");
    if (ok) {
        tl->run++;
        bool good = true;
        for (int s = 0; s < MAX_STORE; s++) {
            if (!vout[s]) continue;
            glint_type type = GLINT_TYPE_F32;
            for (int k = 0; k < n_nodes; k++)
                if (c->t[ns[k].dst].store == s) type = c->t[ns[k].dst].type;
            good &= compare_store(c, ns, n_nodes, tier, desc, s, type, host[s], vout[s]);
        }
        tl->failed += !good;
    }
    for (int s = 0; s < MAX_STORE; s++) {
        free(vout[s]);
        if (vbuf[s]) vk->iface->buffer_free(vk, vbuf[s]);
        free(host[s]);
    }
}

int main(void) {
#ifndef GLINT_WITH_VULKAN
    (void)run_case; /* the case table is still compiled, so it stays buildable everywhere */
    (void)build_chains;
    (void)build_cases;
    printf("test_vk_ops: built without the Vulkan backend; skipped\n");
    return GL_TEST_SKIP;
#else
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_VALIDATE", "1", 0);
    /* synchronization validation: a missing barrier between chained nodes is an error */
    setenv("VK_LAYER_ENABLES", "VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
    build_cases();
    build_chains();

    gl_err err = {0};
    gl_backend *cpu = NULL;
    CHECK_STATUS(gl_backend_cpu_create(2, &cpu, &err), GLINT_OK);
    if (!cpu) return gl_test_finish("test_vk_ops");

    static const char *tiers[] = {"", "fp16", "int8dot", "subgroup", "storage16"};
    const char *only = getenv("GLINT_TEST_VK_TIER"); /* run one tier while debugging */
    for (size_t ti = 0; ti < GL_ARRAY_LEN(tiers); ti++) {
        if (only && strcmp(only, tiers[ti]) != 0) continue;
        setenv("GLINT_VK_DISABLE", tiers[ti], 1);
        const char *tier = tiers[ti][0] ? tiers[ti] : "all on";
        gl_backend *vk = NULL;
        gl_err verr = {0};
        const glint_status st = gl_backend_vulkan_create(NULL, &vk, &verr);
        if (st == GLINT_ERROR_BACKEND_UNAVAILABLE && ti == 0) {
            printf("test_vk_ops: no Vulkan device (%s); skipped\n", verr.msg);
            cpu->iface->free(cpu);
            return GL_TEST_SKIP;
        }
        CHECK_MSG(st == GLINT_OK, "[%s] gl_backend_vulkan_create: %s: %s", tier,
                  glint_status_string(st), verr.msg);
        if (!vk) continue;
        char info[2048];
        vk->iface->describe(vk, info, sizeof info);
        const char *feat = strstr(info, "features:");
        printf("[%s] %.*s\n", tier, feat ? (int)strcspn(feat, "\n") : 0, feat ? feat : "");
        const uint64_t msgs0 = gl_vk_validation_messages();
        tally tl = {0};
        for (int i = 0; i < g_ncases; i++)
            if (!g_cases[i].once || ti == 0 || only)
                run_case(&g_cases[i], cpu, vk, tier, &tl, 0x9e3779b97f4a7c15ull + (uint64_t)i);
        vk->iface->free(vk);
        const uint64_t msgs = gl_vk_validation_messages() - msgs0;
        CHECK_MSG(msgs == 0, "[%s] %llu validation messages", tier, (unsigned long long)msgs);
        printf("[%s] %d cases: %d run, %d failed, %d not supported\n", tier, g_ncases, tl.run,
               tl.failed, tl.unsupported);
    }
    unsetenv("GLINT_VK_DISABLE");
    cpu->iface->free(cpu);
    return gl_test_finish("test_vk_ops");
#endif
}

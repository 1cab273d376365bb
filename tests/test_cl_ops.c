/* Every OpenCL op but MUL_MAT and GET_ROWS against the CPU reference, once per kernel-tier
 * combination the device offers (everything on; fp16 and subgroup forced off). A case is one
 * node (or a chain of nodes run in one compute()) over tensors that are views of a few
 * storages, so odd sizes, padded strides, skews, in-place updates and broadcasts are covered
 * the way the graphs make them. The storages get random contents, the nodes run on both
 * backends, and every destination storage is compared whole (what was not written must be
 * untouched): max |cl - cpu| / max |cpu over the written values| within the case's tolerance.
 * Runs on PoCL (GLINT_CL_ALLOW_CPU=1); skipped without an OpenCL device. */
#include "backend.h"
#include "test_util.h"
#include "types.h"

#ifdef GLINT_WITH_OPENCL
#include "opencl/cl_device.h"
#endif

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STORE   10
#define MAX_TENSORS 12
#define MAX_NODES   10

typedef enum {
    FILL_RAND,   /* uniform in [-2, 2) */
    FILL_WIDE,   /* magnitudes from 1e-9 to 1e5 (f16 subnormals, overflow to inf) */
    FILL_IDS,    /* i32 in [lo, hi) */
    FILL_POS,    /* i32 lo, lo + 1, ... */
    FILL_TIES,   /* rows of `lo` values whose maximum repeats */
    FILL_NAN,    /* rows of `lo` values with NaNs and -infs, the first value NaN in some */
    FILL_FACTORS /* rope frequency factors 1 .. 8 */
} fill_kind;

typedef struct {
    size_t size; /* bytes */
    glint_type type;
    fill_kind fill;
    int32_t lo, hi;
} sspec;

/* A tensor as a view of storage `store` at byte `offset`; nb[i] 0 = contiguous. */
typedef struct {
    int store;
    size_t offset;
    glint_type type;
    int64_t ne[4];
    size_t nb[4];
} tspec;

typedef struct {
    gl_op op;
    gl_op_params p;
    int dst, src[GL_MAX_SRC]; /* indices into the case's tensors, -1 = none */
} nspec;

typedef struct {
    char what[128];
    sspec st[MAX_STORE];
    tspec t[MAX_TENSORS];
    nspec nodes[MAX_NODES];
    int n_nodes;
    double tol;
    bool declined; /* the OpenCL backend must decline its (single) node */
} op_case;

/* ---- building the case table ------------------------------------------------------------- */

static op_case g_cases[512];
static int g_ncases;

static op_case *new_case(double tol, const char *fmt, ...) GL_PRINTF(2, 3);
static op_case *new_case(double tol, const char *fmt, ...) {
    static op_case spare; /* when the table is full: main() reports the overflow */
    if (g_ncases == (int)GL_ARRAY_LEN(g_cases)) {
        g_ncases++;
        return &spare;
    }
    op_case *c = &g_cases[g_ncases++];
    memset(c, 0, sizeof *c);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->what, sizeof c->what, fmt, ap);
    va_end(ap);
    c->tol = tol;
    return c;
}

static void node(op_case *c, gl_op op, const gl_op_params *p, int dst, int s0, int s1, int s2) {
    if (c->n_nodes == MAX_NODES) return;
    c->nodes[c->n_nodes++] =
        (nspec){op, p ? *p : (gl_op_params){.i = {0}}, dst, {s0, s1, s2, -1}};
}

static const glint_type F32 = GLINT_TYPE_F32, F16 = GLINT_TYPE_F16, I32 = GLINT_TYPE_I32;

static tspec tens4(int store, size_t offset, glint_type type, int64_t ne0, int64_t ne1,
                   int64_t ne2, int64_t ne3) {
    return (tspec){store, offset, type, {ne0, ne1, ne2, ne3}, {0}};
}
static tspec tens(int store, size_t offset, glint_type type, int64_t ne0, int64_t ne1,
                  int64_t ne2) {
    return tens4(store, offset, type, ne0, ne1, ne2, 1);
}
static sspec f32s(int64_t n) {
    return (sspec){(size_t)n * 4, F32, FILL_RAND, 0, 0};
}
static size_t esize(glint_type t) {
    return t == F16 ? 2 : 4;
}

static const int64_t odd_sizes[] = {1, 3, 63, 65, 257, 1000};

static void build_norm_softmax_argmax(void) {
    op_case *c;
    /* RMS_NORM */
    for (size_t i = 0; i < GL_ARRAY_LEN(odd_sizes); i++) {
        const int64_t n0 = odd_sizes[i];
        for (int rows = 1; rows <= 7; rows += 6) {
            for (int w = 0; w < 2; w++) {
                c = new_case(1e-5, "rms_norm x [%d, %d]%s", (int)n0, rows, w ? " * w" : "");
                c->st[0] = f32s(n0 * rows);
                c->st[1] = f32s(n0 * rows);
                c->st[2] = f32s(n0 + 5);
                c->t[0] = tens(0, 0, F32, n0, rows, 1);
                c->t[1] = tens(1, 0, F32, n0, rows, 1);
                c->t[2] = tens(2, 0, F32, n0 + 5, 1, 1); /* longer than a row: first ne0 */
                node(c, GL_OP_RMS_NORM, &(gl_op_params){.f = {1e-5f}}, 0, 1, w ? 2 : -1, -1);
            }
        }
    }
    for (int n = 1; n <= 5; n += 4) {
        c = new_case(1e-5, "rms_norm in place on [64, 6, %d] heads, * w [64]", n);
        c->st[0] = f32s(64 * 6 * n);
        c->st[1] = f32s(64);
        c->t[0] = tens(0, 0, F32, 64, 6, n);
        c->t[1] = tens(1, 0, F32, 64, 1, 1);
        node(c, GL_OP_RMS_NORM, &(gl_op_params){.f = {1e-6f}}, 0, 0, 1, -1);
    }
    c = new_case(1e-5, "rms_norm of the last row of [4100, 5] (a view at a skew)");
    c->st[0] = f32s(4100);
    c->st[1] = f32s(4100 * 5);
    c->st[2] = f32s(4100);
    c->t[0] = tens(0, 0, F32, 4100, 1, 1);
    c->t[1] = tens(1, 4 * 4100 * 4, F32, 4100, 1, 1);
    c->t[2] = tens(2, 0, F32, 4100, 1, 1);
    node(c, GL_OP_RMS_NORM, &(gl_op_params){.f = {1e-5f}}, 0, 1, 2, -1);
    c = new_case(1e-5, "rms_norm of padded views [50, 3, 2, 2] (nb1 61, nb2 200, nb3 450)");
    c->st[0] = f32s(50 * 12 + 7);
    c->st[1] = f32s(1000);
    c->t[0] = tens4(0, 28, F32, 50, 3, 2, 2);
    c->t[1] = tens4(1, 4, F32, 50, 3, 2, 2);
    c->t[1].nb[1] = 61 * 4, c->t[1].nb[2] = 200 * 4, c->t[1].nb[3] = 450 * 4;
    node(c, GL_OP_RMS_NORM, &(gl_op_params){.f = {1e-5f}}, 0, 1, -1, -1);
    c = new_case(1e-5, "rms_norm [5, 20000] (many short rows)");
    c->st[0] = f32s(5 * 20000);
    c->st[1] = f32s(5 * 20000);
    c->t[0] = tens(0, 0, F32, 5, 20000, 1);
    c->t[1] = tens(1, 0, F32, 5, 20000, 1);
    node(c, GL_OP_RMS_NORM, &(gl_op_params){.f = {1e-5f}}, 0, 1, -1, -1);

    /* SOFTMAX */
    static const float scales[] = {1.0f, 0.5f, 3.0f};
    for (size_t i = 0; i < GL_ARRAY_LEN(odd_sizes); i++) {
        const int64_t n0 = odd_sizes[i];
        c = new_case(1e-5, "softmax [%d, 3] * %g", (int)n0, scales[i % 3]);
        c->st[0] = f32s(n0 * 3);
        c->st[1] = f32s(n0 * 3);
        c->t[0] = tens(0, 0, F32, n0, 3, 1);
        c->t[1] = tens(1, 0, F32, n0, 3, 1);
        node(c, GL_OP_SOFTMAX, &(gl_op_params){.f = {scales[i % 3]}}, 0, 1, -1, -1);
    }
    c = new_case(1e-5, "softmax in place, rows of 100 in a [128, 3, 2] view");
    c->st[0] = f32s(128 * 6);
    c->t[0] = tens(0, 8, F32, 100, 3, 2);
    c->t[0].nb[1] = 128 * 4;
    node(c, GL_OP_SOFTMAX, &(gl_op_params){.f = {1.0f}}, 0, 0, -1, -1);
    c = new_case(1e-5, "softmax [7, 2, 3, 2] * 8 (4 dims)");
    c->st[0] = f32s(7 * 12);
    c->st[1] = f32s(7 * 12);
    c->t[0] = tens4(0, 0, F32, 7, 2, 3, 2);
    c->t[1] = tens4(1, 0, F32, 7, 2, 3, 2);
    node(c, GL_OP_SOFTMAX, &(gl_op_params){.f = {8.0f}}, 0, 1, -1, -1);

    /* ARGMAX: random rows, ties, NaN and -inf */
    for (size_t i = 0; i < GL_ARRAY_LEN(odd_sizes); i++) {
        const int64_t n0 = odd_sizes[i];
        for (int f = 0; f < 3; f++) {
            static const char *names[] = {"", " with ties", " with NaN and -inf"};
            static const fill_kind fills[] = {FILL_RAND, FILL_TIES, FILL_NAN};
            c = new_case(0, "argmax [%d, 6]%s", (int)n0, names[f]);
            c->st[0] = (sspec){6 * 4 + 8, I32, FILL_IDS, 0, 1};
            c->st[1] = (sspec){(size_t)n0 * 6 * 4, F32, fills[f], (int32_t)n0, 0};
            c->t[0] = tens(0, 4, I32, 6, 1, 1);
            c->t[1] = tens(1, 0, F32, n0, 6, 1);
            node(c, GL_OP_ARGMAX, NULL, 0, 1, -1, -1);
        }
    }
    c = new_case(0, "argmax of rows of 300 in a [301, 5, 2] view at a skew");
    c->st[0] = (sspec){40, I32, FILL_IDS, 0, 1};
    c->st[1] = f32s(301 * 10 + 1);
    c->t[0] = tens(0, 0, I32, 10, 1, 1);
    c->t[1] = tens(1, 4, F32, 300, 5, 2);
    c->t[1].nb[1] = 301 * 4;
    node(c, GL_OP_ARGMAX, NULL, 0, 1, -1, -1);
    c = new_case(0, "argmax [4096, 3] (a long row)");
    c->st[0] = (sspec){12, I32, FILL_IDS, 0, 1};
    c->st[1] = (sspec){4096 * 3 * 4, F32, FILL_TIES, 4096, 0};
    c->t[0] = tens(0, 0, I32, 3, 1, 1);
    c->t[1] = tens(1, 0, F32, 4096, 3, 1);
    node(c, GL_OP_ARGMAX, NULL, 0, 1, -1, -1);
}

static void build_elementwise(void) {
    op_case *c;
    /* ADD / MUL: same shapes, a one-row operand broadcast over rows, in place as the
     * residual, padded views, 4 dims */
    for (int m = 0; m < 2; m++) {
        const gl_op op = m ? GL_OP_MUL : GL_OP_ADD;
        const char *on = m ? "mul" : "add";
        for (size_t i = 0; i < GL_ARRAY_LEN(odd_sizes); i++) {
            const int64_t n0 = odd_sizes[i];
            const int rows = i % 2 ? 5 : 2;
            c = new_case(1e-6, "%s [%d, %d] . [%d, %d]", on, (int)n0, rows, (int)n0, rows);
            c->st[0] = f32s(n0 * rows);
            c->st[1] = f32s(n0 * rows);
            c->st[2] = f32s(n0 * rows);
            c->t[0] = tens(0, 0, F32, n0, rows, 1);
            c->t[1] = tens(1, 0, F32, n0, rows, 1);
            c->t[2] = tens(2, 0, F32, n0, rows, 1);
            node(c, op, NULL, 0, 1, 2, -1);
            c = new_case(1e-6, "%s in place [%d, %d, 2] . broadcast [%d, 1]", on, (int)n0, rows,
                         (int)n0);
            c->st[0] = f32s(n0 * rows * 2);
            c->st[1] = f32s(n0);
            c->t[0] = tens(0, 0, F32, n0, rows, 2);
            c->t[1] = tens(1, 0, F32, n0, 1, 1);
            node(c, op, NULL, 0, 0, 1, -1);
        }
        c = new_case(1e-6, "%s of padded views [40, 3, 2, 2]", on);
        c->st[0] = f32s(40 * 12);
        c->st[1] = f32s(1200);
        c->st[2] = f32s(1400);
        c->t[0] = tens4(0, 0, F32, 40, 3, 2, 2);
        c->t[1] = tens4(1, 12, F32, 40, 3, 2, 2);
        c->t[1].nb[1] = 41 * 4, c->t[1].nb[2] = 130 * 4, c->t[1].nb[3] = 270 * 4;
        c->t[2] = tens4(2, 8, F32, 40, 3, 2, 2);
        c->t[2].nb[1] = 50 * 4, c->t[2].nb[2] = 160 * 4, c->t[2].nb[3] = 330 * 4;
        node(c, op, NULL, 0, 1, 2, -1);
        c = new_case(1e-6, "%s [3, 30000] . broadcast [3, 1] into a padded view", on);
        c->st[0] = f32s(4 * 30000);
        c->st[1] = f32s(3 * 30000);
        c->st[2] = f32s(3);
        c->t[0] = tens(0, 0, F32, 3, 30000, 1);
        c->t[0].nb[1] = 16;
        c->t[1] = tens(1, 0, F32, 3, 30000, 1);
        c->t[2] = tens(2, 0, F32, 3, 1, 1);
        node(c, op, NULL, 0, 1, 2, -1);
    }

    /* GLU: every kind, in place on the gate as the FFN does, and into a new tensor from
     * padded views */
    static const char *glu_names[] = {"swiglu", "geglu", "reglu"};
    for (int k = 0; k < GL_GLU_COUNT; k++) {
        for (size_t i = 0; i < GL_ARRAY_LEN(odd_sizes); i++) {
            const int64_t n0 = odd_sizes[i];
            const int rows = i % 2 ? 4 : 1;
            c = new_case(2e-6, "%s in place [%d, %d]", glu_names[k], (int)n0, rows);
            c->st[0] = (sspec){(size_t)n0 * rows * 4, F32, i % 3 == 2 ? FILL_WIDE : FILL_RAND, 0, 0};
            c->st[1] = f32s(n0 * rows);
            c->t[0] = tens(0, 0, F32, n0, rows, 1);
            c->t[1] = tens(1, 0, F32, n0, rows, 1);
            node(c, GL_OP_GLU, &(gl_op_params){.i = {k}}, 0, 0, 1, -1);
        }
        c = new_case(2e-6, "%s of padded views [70, 3, 2] into a new tensor", glu_names[k]);
        c->st[0] = f32s(70 * 6);
        c->st[1] = f32s(80 * 6);
        c->st[2] = f32s(70 * 6 + 9);
        c->t[0] = tens(0, 0, F32, 70, 3, 2);
        c->t[1] = tens(1, 0, F32, 70, 3, 2);
        c->t[1].nb[1] = 80 * 4, c->t[1].nb[2] = 240 * 4;
        c->t[2] = tens(2, 36, F32, 70, 3, 2);
        node(c, GL_OP_GLU, &(gl_op_params){.i = {k}}, 0, 1, 2, -1);
    }

    /* CPY: f32 -> f32/f16 of odd shapes, wide magnitudes (f16 subnormals and overflow),
     * padded source views, and k/v [hd, n_kv_head, n] into cache rows n_past.. (an odd head
     * size makes f16 rows that start mid-word) */
    static const int64_t cshapes[][3] = {{1, 1, 1}, {3, 5, 1}, {65, 3, 2}, {257, 2, 1}};
    for (size_t i = 0; i < GL_ARRAY_LEN(cshapes); i++) {
        for (int f16 = 0; f16 < 2; f16++) {
            const int64_t *s = cshapes[i];
            const glint_type yt = f16 ? F16 : F32;
            c = new_case(0, "cpy [%d, %d, %d] -> %s", (int)s[0], (int)s[1], (int)s[2],
                         f16 ? "f16" : "f32");
            c->st[0] = (sspec){(size_t)(s[0] * s[1] * s[2]) * esize(yt), yt, FILL_RAND, 0, 0};
            c->st[1] = (sspec){(size_t)(s[0] * s[1] * s[2]) * 4, F32, FILL_WIDE, 0, 0};
            c->t[0] = tens(0, 0, yt, s[0], s[1], s[2]);
            c->t[1] = tens(1, 0, F32, s[0], s[1], s[2]);
            node(c, GL_OP_CPY, NULL, 0, 1, -1, -1);
        }
    }
    for (int f16 = 0; f16 < 2; f16++) {
        const glint_type yt = f16 ? F16 : F32;
        c = new_case(0, "cpy padded [20, 4, 3] view -> %s", f16 ? "f16" : "f32");
        c->st[0] = (sspec){20 * 12 * esize(yt), yt, FILL_RAND, 0, 0};
        c->st[1] = f32s(25 * 4 * 3 + 1);
        c->t[0] = tens(0, 0, yt, 20, 4, 3);
        c->t[1] = tens(1, 4, F32, 20, 4, 3);
        c->t[1].nb[1] = 25 * 4;
        node(c, GL_OP_CPY, NULL, 0, 1, -1, -1);
    }
    static const struct {
        int hd, hk, n, n_past, n_ctx;
    } cpys[] = {{64, 2, 1, 0, 16}, {64, 2, 5, 9, 16}, {33, 3, 1, 3, 8}, {33, 3, 4, 1, 8},
                {1, 1, 3, 2, 6}};
    for (size_t i = 0; i < GL_ARRAY_LEN(cpys); i++) {
        for (int f16 = 0; f16 < 2; f16++) {
            const int hd = cpys[i].hd, hk = cpys[i].hk, n = cpys[i].n;
            const glint_type kt = f16 ? F16 : F32;
            c = new_case(0, "cpy [%d, %d, %d] -> %s cache rows from %d", hd, hk, n,
                         f16 ? "f16" : "f32", cpys[i].n_past);
            c->st[0] = (sspec){(size_t)hd * hk * cpys[i].n_ctx * esize(kt), kt, FILL_RAND, 0, 0};
            c->st[1] = f32s(hd * hk * n);
            c->t[0] = tens(0, (size_t)cpys[i].n_past * hd * hk * esize(kt), kt, hd, hk, n);
            c->t[1] = tens(1, 0, F32, hd, hk, n);
            node(c, GL_OP_CPY, NULL, 0, 1, -1, -1);
        }
    }
}

/* ROPE: NORM and NEOX, full and partial rotation, frequency factors, linear scaling,
 * positions near 0 and in the thousands, in place (as the graphs do) and not, padded views.
 * The kernel's frequencies are floats (as llama.cpp's are) while the CPU works in double:
 * theta differs by a few pos * ulp(freq), hence a tolerance that grows with the position
 * (measured on PoCL: 1e-5 at 900, 1e-4 at 2000 with factors, 6.4e-4 at 30000). */
static void build_rope(void) {
    static const struct {
        int hd, n_head, n, n_rot, pos, ff, inplace, pad;
        float scale;
    } ropes[] = {
        {64, 4, 1, 64, 0, 0, 1, 0, 1.0f},      {64, 4, 6, 64, 17, 0, 1, 0, 1.0f},
        {64, 4, 1, 32, 900, 0, 0, 0, 1.0f},    {128, 3, 5, 128, 2000, 1, 1, 0, 1.0f},
        {80, 2, 3, 48, 4000, 0, 0, 0, 0.25f},  {256, 2, 1, 256, 300, 1, 0, 0, 0.5f},
        {128, 2, 2, 128, 30000, 0, 1, 0, 1.0f}, {2, 3, 7, 2, 5, 0, 0, 0, 1.0f},
        {6, 5, 3, 4, 40, 1, 0, 1, 1.0f},       {66, 7, 3, 64, 100, 0, 1, 1, 1.0f},
        {63, 1, 2, 62, 11, 0, 0, 1, 1.0f},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(ropes); i++) {
        for (int mode = 0; mode < 2; mode++) {
            const int hd = ropes[i].hd, H = ropes[i].n_head, n = ropes[i].n;
            const int pad = ropes[i].pad ? 3 : 0; /* floats between heads */
            const size_t nb1 = (size_t)(hd + pad) * 4, nb2 = nb1 * (size_t)H + 8;
            const double tol = 2e-5 + 1e-7 * ropes[i].pos;
            op_case *c = new_case(tol, "rope %s [%d, %d, %d] n_rot %d at %d%s%s%s",
                                  mode ? "neox" : "norm", hd, H, n, ropes[i].n_rot, ropes[i].pos,
                                  ropes[i].ff ? ", factors" : "",
                                  ropes[i].inplace ? ", in place" : "", pad ? ", padded" : "");
            c->st[0] = (sspec){nb2 * (size_t)n, F32, FILL_RAND, 0, 0};
            c->st[1] = (sspec){nb2 * (size_t)n, F32, FILL_RAND, 0, 0};
            c->st[2] = (sspec){(size_t)n * 4, I32, FILL_POS, ropes[i].pos, 0};
            c->st[3] = (sspec){(size_t)ropes[i].n_rot / 2 * 4, F32, FILL_FACTORS, 0, 0};
            c->t[0] = tens(0, 0, F32, hd, H, n);
            c->t[0].nb[1] = nb1, c->t[0].nb[2] = nb2;
            c->t[1] = tens(1, 0, F32, hd, H, n);
            c->t[1].nb[1] = nb1, c->t[1].nb[2] = nb2;
            c->t[2] = tens(2, 0, I32, n, 1, 1);
            c->t[3] = tens(3, 0, F32, ropes[i].n_rot / 2, 1, 1);
            const gl_op_params p = {.i = {ropes[i].n_rot, mode ? GL_ROPE_NEOX : GL_ROPE_NORM},
                                    .f = {i % 2 ? 1e6f : 1e4f, ropes[i].scale}};
            node(c, GL_OP_ROPE, &p, 0, ropes[i].inplace ? 0 : 1, 2, ropes[i].ff ? 3 : -1);
        }
    }
}

/* ATTENTION: GQA ratios 1, 2, 4, f16 and f32 caches, decode (n = 1) at several context lengths
 * (across the 64-key chunks) and prefill; head dims from 1 to the CPU's 512, with and without
 * whole groups of 4; a q view out of a fused qkv row and a padded destination. */
static void build_attention(void) {
    static const struct {
        int hd, h, hk, n, n_past, n_ctx, views;
    } atts[] = {
        {64, 4, 4, 1, 0, 8, 0},       {64, 4, 2, 1, 37, 48, 0},    {64, 4, 1, 1, 64, 80, 0},
        {64, 4, 2, 1, 150, 160, 0},   {64, 4, 2, 7, 0, 8, 0},      {64, 4, 1, 5, 60, 72, 1},
        {80, 2, 1, 3, 20, 24, 0},     {128, 2, 2, 1, 99, 128, 0},  {256, 2, 1, 2, 30, 40, 0},
        {64, 32, 4, 1, 1000, 1024, 0}, {128, 8, 2, 40, 100, 160, 0}, {64, 14, 2, 17, 0, 32, 1},
        {34, 3, 1, 2, 10, 16, 0},     {66, 2, 2, 1, 70, 80, 1},    {1, 4, 2, 3, 5, 9, 0},
        {3, 2, 1, 4, 63, 70, 0},      {512, 2, 1, 2, 65, 70, 0},   {260, 4, 2, 1, 3, 8, 1},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(atts); i++) {
        for (int f16 = 0; f16 < 2; f16++) {
            const int hd = atts[i].hd, h = atts[i].h, hk = atts[i].hk, n = atts[i].n;
            const int E = hd * h, kvE = hd * hk;
            const glint_type kt = f16 ? F16 : F32;
            op_case *c = new_case(2e-5, "attention q [%d, %d, %d], %s kv [%d, %d, %d], n_past %d%s",
                                  hd, h, n, f16 ? "f16" : "f32", hd, hk, atts[i].n_ctx,
                                  atts[i].n_past, atts[i].views ? ", views" : "");
            const int qrow = atts[i].views ? E + 2 * kvE : E; /* q out of a fused qkv row */
            const int yrow = atts[i].views ? E + 5 : E;
            c->st[0] = f32s((int64_t)yrow * n);
            c->st[1] = f32s((int64_t)qrow * n);
            c->st[2] = (sspec){(size_t)kvE * atts[i].n_ctx * esize(kt), kt, FILL_RAND, 0, 0};
            c->st[3] = (sspec){(size_t)kvE * atts[i].n_ctx * esize(kt), kt, FILL_RAND, 0, 0};
            c->t[0] = tens(0, 0, F32, E, n, 1);
            c->t[0].nb[1] = (size_t)yrow * 4;
            c->t[1] = tens(1, 0, F32, hd, h, n);
            c->t[1].nb[2] = (size_t)qrow * 4;
            c->t[2] = tens(2, 0, kt, hd, hk, atts[i].n_ctx);
            c->t[3] = tens(3, 0, kt, hd, hk, atts[i].n_ctx);
            const gl_op_params p = {.i = {atts[i].n_past}, .f = {1.0f / sqrtf((float)hd)}};
            node(c, GL_OP_ATTENTION, &p, 0, 1, 2, 3);
        }
    }
}

/* Nodes the backend must decline (the CPU would run them). */
static void build_declined(void) {
    op_case *c = new_case(0, "attention head dim 520 (over the CPU's 512)");
    c->declined = true;
    c->st[0] = f32s(520 * 2);
    c->st[1] = f32s(520 * 2);
    c->st[2] = f32s(520 * 8);
    c->t[0] = tens(0, 0, F32, 1040, 1, 1);
    c->t[1] = tens(1, 0, F32, 520, 2, 1);
    c->t[2] = tens(2, 0, F32, 520, 1, 8);
    node(c, GL_OP_ATTENTION, &(gl_op_params){.i = {3}, .f = {0.1f}}, 0, 1, 2, 2);
    c = new_case(0, "attention past the cache (n_past + n > n_ctx)");
    c->declined = true;
    c->st[0] = f32s(64 * 2 * 2);
    c->st[1] = f32s(64 * 2 * 2);
    c->st[2] = f32s(64 * 8);
    c->t[0] = tens(0, 0, F32, 128, 2, 1);
    c->t[1] = tens(1, 0, F32, 64, 2, 2);
    c->t[2] = tens(2, 0, F32, 64, 1, 8);
    node(c, GL_OP_ATTENTION, &(gl_op_params){.i = {7}, .f = {0.1f}}, 0, 1, 2, 2);
    c = new_case(0, "rope with an odd n_rot");
    c->declined = true;
    c->st[0] = f32s(64 * 2);
    c->st[1] = (sspec){4, I32, FILL_POS, 0, 0};
    c->t[0] = tens(0, 0, F32, 64, 2, 1);
    c->t[1] = tens(1, 0, I32, 1, 1, 1);
    node(c, GL_OP_ROPE, &(gl_op_params){.i = {33, GL_ROPE_NORM}, .f = {1e4f, 1}}, 0, 0, 1, -1);
    c = new_case(0, "glu of an unknown kind");
    c->declined = true;
    c->st[0] = f32s(8);
    c->t[0] = tens(0, 0, F32, 8, 1, 1);
    node(c, GL_OP_GLU, &(gl_op_params){.i = {GL_GLU_COUNT}}, 0, 0, 0, -1);
    c = new_case(0, "cpy f16 -> f32");
    c->declined = true;
    c->st[0] = f32s(8);
    c->st[1] = (sspec){16, F16, FILL_RAND, 0, 0};
    c->t[0] = tens(0, 0, F32, 8, 1, 1);
    c->t[1] = tens(1, 0, F16, 8, 1, 1);
    node(c, GL_OP_CPY, NULL, 0, 1, -1, -1);
    c = new_case(0, "add of [8, 4] and [8, 2] (neither the same rows nor one)");
    c->declined = true;
    c->st[0] = f32s(32);
    c->st[1] = f32s(16);
    c->t[0] = tens(0, 0, F32, 8, 4, 1);
    c->t[1] = tens(1, 0, F32, 8, 2, 1);
    node(c, GL_OP_ADD, NULL, 0, 0, 1, -1);
    c = new_case(0, "softmax of a view at an odd byte offset");
    c->declined = true;
    c->st[0] = f32s(16);
    c->t[0] = tens(0, 2, F32, 8, 1, 1);
    node(c, GL_OP_SOFTMAX, &(gl_op_params){.f = {1}}, 0, 0, -1, -1);
}

/* Runs of nodes as a transformer layer makes them, in one compute(). */
static void build_chains(void) {
    const int hd = 64, H = 4, HK = 2, n = 5, n_past = 11, n_ctx = 24, E = hd * H;
    for (int f16 = 0; f16 < 2; f16++) {
        const glint_type kt = f16 ? F16 : F32;
        op_case *c = new_case(1e-4,
                              "chain: q/k norm, neox rope, %s cache writes at %d, attention, "
                              "residual add, rms norm, swiglu, softmax, argmax",
                              f16 ? "f16" : "f32", n_past);
        c->st[0] = f32s(E * n);
        c->st[1] = f32s(hd * HK * n);
        c->st[2] = f32s(hd * HK * n);
        c->st[3] = (sspec){(size_t)hd * HK * n_ctx * esize(kt), kt, FILL_RAND, 0, 0};
        c->st[4] = (sspec){(size_t)hd * HK * n_ctx * esize(kt), kt, FILL_RAND, 0, 0};
        c->st[5] = (sspec){(size_t)n * 4, I32, FILL_POS, n_past, 0};
        c->st[6] = f32s(E * n);
        c->st[7] = f32s(hd);
        c->st[8] = f32s(E * n);
        c->st[9] = (sspec){(size_t)n * 4, I32, FILL_IDS, 0, 1};
        c->t[0] = tens(0, 0, F32, hd, H, n);
        c->t[1] = tens(1, 0, F32, hd, HK, n);
        c->t[2] = tens(2, 0, F32, hd, HK, n);
        c->t[3] = tens(3, 0, kt, hd, HK, n_ctx);
        c->t[4] = tens(4, 0, kt, hd, HK, n_ctx);
        c->t[5] = tens(3, (size_t)n_past * hd * HK * esize(kt), kt, hd, HK, n);
        c->t[6] = tens(4, (size_t)n_past * hd * HK * esize(kt), kt, hd, HK, n);
        c->t[7] = tens(5, 0, I32, n, 1, 1);
        c->t[8] = tens(7, 0, F32, hd, 1, 1);
        c->t[9] = tens(8, 0, F32, E, n, 1);
        c->t[10] = tens(6, 0, F32, E, n, 1);
        c->t[11] = tens(9, 0, I32, n, 1, 1);
        const gl_op_params norm = {.f = {1e-6f}};
        const gl_op_params rope = {.i = {hd, GL_ROPE_NEOX}, .f = {1e6f, 1.0f}};
        const gl_op_params attn = {.i = {n_past}, .f = {0.125f}};
        node(c, GL_OP_RMS_NORM, &norm, 0, 0, 8, -1);
        node(c, GL_OP_RMS_NORM, &norm, 1, 1, 8, -1);
        node(c, GL_OP_ROPE, &rope, 0, 0, 7, -1);
        node(c, GL_OP_ROPE, &rope, 1, 1, 7, -1);
        node(c, GL_OP_CPY, NULL, 5, 1, -1, -1);
        node(c, GL_OP_CPY, NULL, 6, 2, -1, -1);
        node(c, GL_OP_ATTENTION, &attn, 9, 0, 3, 4);
        node(c, GL_OP_ADD, NULL, 10, 10, 9, -1);
        node(c, GL_OP_RMS_NORM, &norm, 9, 10, -1, -1);
        node(c, GL_OP_GLU, &(gl_op_params){.i = {GL_GLU_SWIGLU}}, 9, 9, 10, -1);
        /* MAX_NODES: softmax and argmax of the result in a second case below */
    }
    op_case *c = new_case(1e-5, "chain: swiglu in place, softmax in place, argmax");
    c->st[0] = f32s(300 * 4);
    c->st[1] = f32s(300 * 4);
    c->st[2] = (sspec){16, I32, FILL_IDS, 0, 1};
    c->t[0] = tens(0, 0, F32, 300, 4, 1);
    c->t[1] = tens(1, 0, F32, 300, 4, 1);
    c->t[2] = tens(2, 0, I32, 4, 1, 1);
    node(c, GL_OP_GLU, &(gl_op_params){.i = {GL_GLU_SWIGLU}}, 0, 0, 1, -1);
    node(c, GL_OP_SOFTMAX, &(gl_op_params){.f = {2.0f}}, 0, 0, -1, -1);
    node(c, GL_OP_ARGMAX, NULL, 2, 0, -1, -1);
}

/* ---- running one case on both backends --------------------------------------------------- */

static bool present(const tspec *t) {
    return t->ne[0] > 0;
}

static void make_tensor(gl_tensor *out, const tspec *s) {
    gl_tensor_init(out, s->type, 4, s->ne);
    for (int i = 1; i < 4; i++)
        if (s->nb[i]) {
            out->nb[i] = s->nb[i];
            for (int j = i + 1; j < 4 && !s->nb[j]; j++)
                out->nb[j] = out->nb[j - 1] * (size_t)out->ne[j - 1];
        }
    out->offset = s->offset;
}

static void fill_store(const sspec *s, void *dst, uint64_t *rng) {
    if (s->fill == FILL_IDS || s->fill == FILL_POS) {
        int32_t *v = dst;
        for (size_t i = 0; i < s->size / 4; i++)
            v[i] = s->fill == FILL_POS ? s->lo + (int32_t)i
                                       : s->lo + (int32_t)(gl_test_rand(rng) %
                                                           (uint64_t)(s->hi - s->lo));
        return;
    }
    const size_t n = s->size / esize(s->type);
    float *f = malloc(n * sizeof *f);
    for (size_t i = 0; i < n; i++) {
        f[i] = gl_test_randf(rng) * 2.0f;
        if (s->fill == FILL_WIDE) f[i] *= powf(10.0f, -9.0f + 14.0f * (float)(i % 15) / 14.0f);
        if (s->fill == FILL_FACTORS) f[i] = 1.0f + 7.0f * (float)i / (float)(n > 1 ? n - 1 : 1);
    }
    if (s->fill == FILL_TIES || s->fill == FILL_NAN) {
        const size_t row = (size_t)s->lo;
        for (size_t r = 0; r * row < n; r++) {
            float *x = f + r * row;
            const size_t len = GL_MIN(row, n - r * row);
            if (s->fill == FILL_TIES) { /* the maximum at 1/7, 1/2 and 6/7 of the row, or last */
                if (r % 3 == 2) {
                    x[len - 1] = 9.0f;
                } else {
                    x[len / 7] = x[len / 2] = x[len * 6 / 7] = 7.0f;
                }
            } else { /* NaN first in every third row; NaN and -inf sprinkled elsewhere */
                for (size_t i = 0; i < len; i += 5) x[i] = i % 2 ? -INFINITY : NAN;
                if (r % 3) x[0] = -1.0f;
                if (r % 3 == 1 && len > 2) x[len - 2] = 5.0f;
            }
        }
    }
    if (s->type == F16) {
        for (size_t i = 0; i < n; i++) ((gl_fp16 *)dst)[i] = gl_f32_to_fp16(f[i]);
    } else {
        memcpy(dst, f, n * 4);
    }
    free(f);
}

/* Storage bytes as floats, for comparison. */
static void store_to_f32(glint_type type, const void *src, size_t n, float *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = type == I32   ? (float)((const int32_t *)src)[i]
                 : type == F16 ? gl_fp16_to_f32(((const gl_fp16 *)src)[i])
                               : ((const float *)src)[i];
}

typedef struct {
    int run, failed, unsupported, declined;
} tally;

/* Marks (one byte per value of storage s) the values the case's nodes write. */
static void mark_written(const op_case *c, int s, size_t es, uint8_t *mask, size_t n) {
    for (int k = 0; k < c->n_nodes; k++) {
        const tspec *t = &c->t[c->nodes[k].dst];
        if (t->store != s) continue;
        gl_tensor g;
        make_tensor(&g, t);
        for (int64_t i3 = 0; i3 < g.ne[3]; i3++)
            for (int64_t i2 = 0; i2 < g.ne[2]; i2++)
                for (int64_t i1 = 0; i1 < g.ne[1]; i1++)
                    for (int64_t i0 = 0; i0 < g.ne[0]; i0++) {
                        const size_t o = (t->offset + (size_t)i3 * g.nb[3] +
                                          (size_t)i2 * g.nb[2] + (size_t)i1 * g.nb[1]) /
                                             es +
                                         (size_t)i0;
                        if (o < n) mask[o] = 1;
                    }
    }
}

/* Whether storage s of the two runs agrees within the case's tolerance. */
static bool compare_store(const op_case *c, const char *tier, int s, glint_type type,
                          const void *ref, const void *got) {
    const size_t es = esize(type), n = c->st[s].size / es;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    uint8_t *mask = calloc(n, 1);
    store_to_f32(type, ref, n, a);
    store_to_f32(type, got, n, b);
    mark_written(c, s, es, mask, n);
    double max_ref = 0, max_err = 0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask[i] && isfinite(a[i])) max_ref = fmax(max_ref, fabs(a[i]));
        double e;
        if (isnan(a[i]) || isnan(b[i]))
            e = isnan(a[i]) && isnan(b[i]) ? 0 : INFINITY;
        else if (isinf(a[i]) || isinf(b[i]))
            e = a[i] == b[i] ? 0 : INFINITY;
        else
            e = fabs((double)a[i] - b[i]);
        if (e > max_err) max_err = e, worst = i;
    }
    const double nerr = max_ref > 0 ? max_err / max_ref : max_err;
    if (getenv("GLINT_TEST_VERBOSE"))
        printf("  [%s] %s: storage %d: normalized error %.3g\n", tier, c->what, s, nerr);
    gl_test_checks++;
    const bool ok = nerr <= c->tol;
    if (!ok) {
        gl_test_failures++;
        fprintf(stderr,
                "FAIL [%s] %s: normalized error %.3g > %.3g; worst at value %zu of storage %d: "
                "cpu %.9g, opencl %.9g\n",
                tier, c->what, nerr, c->tol, worst, s, (double)a[worst], (double)b[worst]);
    }
    free(a);
    free(b);
    free(mask);
    return ok;
}

static void run_case(const op_case *c, gl_backend *cpu, gl_backend *cl, const char *tier,
                     tally *tl, uint64_t seed) {
    void *host[MAX_STORE] = {0}, *out[MAX_STORE] = {0};
    gl_buffer *buf[MAX_STORE] = {0};
    gl_tensor ct[MAX_TENSORS], gt[MAX_TENSORS];
    gl_node cn[MAX_NODES], gn[MAX_NODES];
    uint64_t rng = seed;
    for (int s = 0; s < MAX_STORE; s++) {
        if (!c->st[s].size) continue;
        host[s] = calloc(1, c->st[s].size);
        fill_store(&c->st[s], host[s], &rng);
    }
    bool ok = true;
    for (int s = 0; s < MAX_STORE && ok; s++) {
        if (!c->st[s].size) continue;
        glint_status st = cl->iface->buffer_alloc(cl, c->st[s].size, GL_BUFFER_COMPUTE, &buf[s]);
        if (st == GLINT_OK) st = cl->iface->buffer_upload(cl, buf[s], 0, host[s], c->st[s].size);
        CHECK_MSG(st == GLINT_OK, "[%s] %s: opencl buffer: %s", tier, c->what,
                  glint_status_string(st));
        ok = st == GLINT_OK;
    }
    for (int i = 0; i < MAX_TENSORS && ok; i++) {
        if (!present(&c->t[i])) continue;
        make_tensor(&ct[i], &c->t[i]);
        gt[i] = ct[i];
        ct[i].data = (char *)host[c->t[i].store] + c->t[i].offset;
        gt[i].buffer = buf[c->t[i].store];
        gt[i].data = NULL; /* the kernels must not need it */
    }
    for (int k = 0; k < c->n_nodes && ok; k++) {
        const nspec *ns = &c->nodes[k];
        cn[k] = gn[k] = (gl_node){.op = ns->op, .p = ns->p, .layer = 0};
        cn[k].dst = &ct[ns->dst], gn[k].dst = &gt[ns->dst];
        for (int j = 0; j < GL_MAX_SRC; j++)
            if (ns->src[j] >= 0) cn[k].src[j] = &ct[ns->src[j]], gn[k].src[j] = &gt[ns->src[j]];
    }
    if (ok && c->declined) {
        CHECK_MSG(!cl->iface->supports_op(cl, &gn[0]), "[%s] %s: should be declined", tier,
                  c->what);
        tl->declined++;
        ok = false;
    }
    for (int k = 0; k < c->n_nodes && ok; k++) {
        if (!cpu->iface->supports_op(cpu, &cn[k])) {
            CHECK_MSG(false, "[%s] %s: the CPU reference declines node %d", tier, c->what, k);
            ok = false;
        } else if (!cl->iface->supports_op(cl, &gn[k])) {
            /* every case here is meant to run: a decline is a failure, not a skip */
            CHECK_MSG(false, "[%s] %s: opencl declines node %d (%s)", tier, c->what, k,
                      gl_op_name(c->nodes[k].op));
            tl->unsupported++;
            ok = false;
        }
    }
    if (ok) {
        glint_status st = cl->iface->compute(cl, gn, c->n_nodes);
        if (st == GLINT_OK) st = cl->iface->synchronize(cl);
        for (int k = 0; k < c->n_nodes && st == GLINT_OK; k++) {
            const int s = c->t[c->nodes[k].dst].store;
            if (out[s]) continue;
            out[s] = calloc(1, c->st[s].size);
            st = cl->iface->buffer_download(cl, buf[s], 0, out[s], c->st[s].size);
        }
        CHECK_MSG(st == GLINT_OK, "[%s] %s: opencl compute: %s", tier, c->what,
                  glint_status_string(st));
        ok = st == GLINT_OK;
        if (ok) CHECK_STATUS(cpu->iface->compute(cpu, cn, c->n_nodes), GLINT_OK);
    }
    if (ok) {
        tl->run++;
        bool good = true;
        for (int s = 0; s < MAX_STORE; s++) {
            if (!out[s]) continue;
            glint_type type = F32;
            for (int k = 0; k < c->n_nodes; k++)
                if (c->t[c->nodes[k].dst].store == s) type = c->t[c->nodes[k].dst].type;
            good &= compare_store(c, tier, s, type, host[s], out[s]);
        }
        tl->failed += !good;
    }
    for (int s = 0; s < MAX_STORE; s++) {
        free(out[s]);
        if (buf[s]) cl->iface->buffer_free(cl, buf[s]);
        free(host[s]);
    }
}

int main(void) {
#ifndef GLINT_WITH_OPENCL
    (void)run_case; /* the case table still compiles everywhere */
    (void)build_norm_softmax_argmax;
    (void)build_elementwise;
    (void)build_rope;
    (void)build_attention;
    (void)build_declined;
    (void)build_chains;
    printf("test_cl_ops: built without the OpenCL backend; skipped\n");
    return GL_TEST_SKIP;
#else
    setenv("GLINT_CL_ALLOW_CPU", "1", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/clops_cache", 0);
    build_norm_softmax_argmax();
    build_elementwise();
    build_rope();
    build_attention();
    build_declined();
    build_chains();
    CHECK_MSG(g_ncases <= (int)GL_ARRAY_LEN(g_cases), "%d cases, room for %d", g_ncases,
              (int)GL_ARRAY_LEN(g_cases));
    g_ncases = GL_MIN(g_ncases, (int)GL_ARRAY_LEN(g_cases));

    gl_err err = {0};
    gl_backend *cpu = NULL;
    CHECK_STATUS(gl_backend_cpu_create(2, &cpu, &err), GLINT_OK);
    if (!cpu) return gl_test_finish("test_cl_ops");

    /* the tiers these kernels vary by; each combination the device offers runs once */
    static const char *disable[] = {"", "subgroup", "fp16", "fp16,subgroup"};
    const uint32_t mine = GL_CL_TIER_FP16 | GL_CL_TIER_SUBGROUP;
    uint32_t done[GL_ARRAY_LEN(disable)];
    int n_done = 0;
    const char *only = getenv("GLINT_TEST_CL_DISABLE"); /* one combination while debugging */
    char ran[256] = "";
    for (size_t ti = 0; ti < GL_ARRAY_LEN(disable); ti++) {
        if (only && strcmp(only, disable[ti]) != 0) continue;
        setenv("GLINT_CL_DISABLE", disable[ti], 1);
        gl_backend *cl = NULL;
        gl_err cerr = {0};
        const glint_status st = gl_backend_opencl_create(&cl, &cerr);
        if (st == GLINT_ERROR_BACKEND_UNAVAILABLE && n_done == 0) {
            printf("test_cl_ops: no OpenCL device (%s); skipped\n", cerr.msg);
            cpu->iface->free(cpu);
            return GL_TEST_SKIP;
        }
        CHECK_MSG(st == GLINT_OK, "gl_backend_opencl_create (GLINT_CL_DISABLE=%s): %s: %s",
                  disable[ti], glint_status_string(st), cerr.msg);
        if (!cl) continue;
        const gl_cl_caps *caps = gl_cl_device_caps(gl_cl_backend_device(cl));
        const uint32_t on = caps->enabled & mine;
        bool seen = false;
        for (int i = 0; i < n_done; i++) seen |= done[i] == on;
        if (seen) { /* the device lacks what this combination turns off: same kernels */
            cl->iface->free(cl);
            continue;
        }
        done[n_done++] = on;
        char tier[64];
        snprintf(tier, sizeof tier, "%s%s%s", on & GL_CL_TIER_FP16 ? "fp16 " : "",
                 on & GL_CL_TIER_SUBGROUP ? "subgroup " : "", on ? "" : "base ");
        tier[strlen(tier) - 1] = 0;
        tally tl = {0};
        for (int i = 0; i < g_ncases; i++)
            run_case(&g_cases[i], cpu, cl, tier, &tl, 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1));
        printf("[%s] on %s: %d cases: %d run, %d failed, %d declined as expected, %d declined "
               "wrongly\n",
               tier, caps->name, g_ncases, tl.run, tl.failed, tl.declined, tl.unsupported);
        snprintf(ran + strlen(ran), sizeof ran - strlen(ran), "%s[%s]", ran[0] ? ", " : "",
                 tier);
        cl->iface->free(cl);
    }
    unsetenv("GLINT_CL_DISABLE");
    printf("test_cl_ops: tiers run: %s\n", ran[0] ? ran : "none");
    cpu->iface->free(cpu);
    return gl_test_finish("test_cl_ops");
#endif
}

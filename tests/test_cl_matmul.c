/* OpenCL MUL_MAT and GET_ROWS for every weight type the backend takes. MUL_MAT: odd row counts
 * (m = 1, 7, 33, 257) x n = 1..9, 16, 33, 64 (the matrix-vector kernels and the tiled one, tile
 * edges included) x k of one block, several blocks and an odd count of 32-value units,
 * activations as a strided view with a skew, output rows strided, weights at a skewed offset
 * and, in some cases, with padded rows; checked against a float64 reference of the dequantized
 * weights times the f32 activations and, loosely, against the CPU backend (which quantizes the
 * activations for quant types). Q4_0 and Q8_0 also repacked by the backend's weight_prepare
 * (GL_LAYOUT_SOA, read as an image where the image tier is on). Where the int8dot tier is on
 * (GLINT_CL_FORCE=int8dot on PoCL: the int8 kernels with plain multiplies) Q4_0 and Q8_0 take
 * 8-bit activations, so their reference quantizes the activations with the scalar q8_0
 * quantizer first. GET_ROWS: repeated, boundary and out-of-range ids into strided output rows,
 * bit-exact against the scalar dequantizer; it declines repacked weights. Every type on tiers
 * all-on and fp16,subgroup off; Q4_0 and Q8_0 also with the image tier off and with int8dot
 * forced, image on and off; every type with fp16 forced (half arithmetic in the tiled kernel,
 * its rounding emulated where the device has no cl_khr_fp16); the backend re-created for each.
 * Runs on PoCL; skips without a device. */
#include "backend.h"
#include "quants.h"
#include "test_util.h"
#include "types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef GLINT_WITH_OPENCL
#include "cl_device.h"

static const glint_type g_types[] = {
    GLINT_TYPE_F32,  GLINT_TYPE_F16,  GLINT_TYPE_BF16, GLINT_TYPE_Q8_0,
    GLINT_TYPE_Q4_0, GLINT_TYPE_Q4_1, GLINT_TYPE_Q5_0, GLINT_TYPE_Q5_1,
    GLINT_TYPE_Q4_K, GLINT_TYPE_Q5_K, GLINT_TYPE_Q6_K,
};
#define N_TYPES (sizeof g_types / sizeof g_types[0])

static const int64_t g_ms[] = {1, 7, 33, 257};
static const int64_t g_ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 33, 64};

/* Against the float64 reference the kernels differ by f32 rounding only (measured on PoCL:
 * <= 1.1e-7 of sum |w a|). The CPU quantizes activations to 8 bits for quant types, so it is
 * compared loosely (RMS over the case, relative to the RMS of sum |w a|). */
#define TOL_REF 1e-5
/* The int8 path against its reference (activations quantized by the scalar q8_0 rule): the
 * device's 1/d may differ from the CPU's in the last bit and move a quant by one, rarely;
 * a wrong scale or block would be off by far more. */
#define TOL_REF_Q8 1e-3
/* Half arithmetic in the tiled kernel (n > 4): activations and dequantized weights rounded to
 * half, 8-term half sums per lane; a few 2^-11 relative to sum |w a|. */
#define TOL_REF_F16 2e-3
static double tol_cpu(glint_type t) {
    return gl_type_get(t)->is_quantized ? 1e-2 : 1e-6;
}

static gl_backend *g_cpu;
/* The tier under test runs Q4_0 and Q8_0 with 8-bit activations; the tiled kernel in half
 * arithmetic. */
static bool g_q8, g_f16;

static bool q8_type(glint_type t) {
    return t == GLINT_TYPE_Q4_0 || t == GLINT_TYPE_Q8_0;
}

typedef struct worst {
    double ref, cpu;
} worst;

static glint_status cl_open(const char *disable, gl_backend **out) {
    setenv("GLINT_CL_DISABLE", disable, 1);
    gl_err err = {{0}};
    *out = NULL;
    const glint_status st = gl_backend_opencl_create(out, &err);
    if (st) fprintf(stderr, "opencl backend (disable '%s'): %s\n", disable, err.msg);
    return st;
}

/* A buffer of `size` bytes holding `init` (or zeros), tensor t at byte `offset` in it. */
static glint_status cl_tensor(gl_backend *b, gl_tensor *t, gl_buffer **buf, size_t size,
                              size_t offset, gl_buffer_usage usage, const void *init) {
    glint_status st = b->iface->buffer_alloc(b, size, usage, buf);
    if (st) return st;
    void *zero = NULL;
    if (!init) init = zero = calloc(1, size);
    st = init ? b->iface->buffer_upload(b, *buf, 0, init, size) : GLINT_ERROR_OUT_OF_MEMORY;
    free(zero);
    if (st) return st;
    t->buffer = *buf;
    t->offset = offset;
    t->data = (*buf)->host ? (char *)(*buf)->host + offset : NULL;
    return GLINT_OK;
}

/* m random rows of k values quantized to `type`, each row `pitch` bytes apart; rows of
 * different scales, so a mixed-up row or scale shows. */
static void fill_weights(glint_type type, char *w, int64_t m, int64_t k, size_t pitch,
                         uint64_t *rng) {
    const gl_type_traits *tr = gl_type_get(type);
    float *x = malloc((size_t)k * sizeof(float));
    for (int64_t r = 0; r < m; r++) {
        const float scale = 0.25f + (float)(r % 7);
        for (int64_t i = 0; i < k; i++) x[i] = gl_test_randf(rng) * scale;
        tr->from_float(x, w + (size_t)r * pitch, k);
    }
    free(x);
}

/* ---- MUL_MAT ------------------------------------------------------------------------------ */

typedef struct mm_case {
    glint_type type;
    int64_t m, k, n;
    bool pad_rows; /* weight rows padded (nb[1] > row size): no CPU comparison */
    bool soa;      /* placed by the backend's weight_prepare (GL_LAYOUT_SOA) */
    bool odd_skew; /* with soa: at an offset that is not whole 16-byte words (stays GGUF) */
} mm_case;

/* Skews (bytes) of the weight start, of a and of dst within their buffers: everything the
 * kernels must handle short of misalignment. */
static size_t w_skew(glint_type t) {
    return t == GLINT_TYPE_F32 ? 4 : 2;
}
#define A_SKEW_FLOATS 5
#define D_SKEW_FLOATS 3

static void run_mm(gl_backend *cl, const mm_case *c, uint64_t *rng, worst *wst) {
    const gl_type_traits *tr = gl_type_get(c->type);
    const int64_t m = c->m, k = c->k, n = c->n;
    const size_t row = gl_row_size(c->type, k);
    const size_t pitch = row + (c->pad_rows ? 8 : 0);
    /* repacked quants are read as whole 16-byte words: a skew of whole words */
    const size_t skew = c->soa ? 48 + (c->odd_skew ? 2 : 0) : w_skew(c->type);
    const bool q8 = g_q8 && q8_type(c->type);
    const bool f16 = g_f16 && !q8 && n > 4;
    const double tol_ref = q8 ? TOL_REF_Q8 : f16 ? TOL_REF_F16 : TOL_REF;
    const double tol_c = f16 ? GL_MAX(TOL_REF_F16, tol_cpu(c->type)) : tol_cpu(c->type);
    const size_t w_bytes = skew + pitch * (size_t)m;
    char *w = calloc(1, w_bytes);
    fill_weights(c->type, w + skew, m, k, pitch, rng);

    /* a: n columns k + 3 floats apart after a skew; dst: n columns m + 2 floats apart */
    const int64_t a_stride = k + 3, d_stride = m + 2;
    const size_t a_floats = (size_t)(A_SKEW_FLOATS + n * a_stride);
    const size_t d_floats = (size_t)(D_SKEW_FLOATS + n * d_stride);
    float *a = malloc(a_floats * sizeof(float));
    for (size_t i = 0; i < a_floats; i++) a[i] = gl_test_randf(rng);

    /* float64 reference and the scale of each output */
    double *ref = calloc((size_t)(m * n), sizeof(double));
    double *mag = calloc((size_t)(m * n), sizeof(double));
    float *wf = malloc((size_t)k * sizeof(float));
    /* what the kernels multiply by: a, or a through the q8_0 quantizer */
    float *aq = malloc((size_t)(n * k) * sizeof(float));
    gl_block_q8_0 *blocks = malloc((size_t)(k / 32) * sizeof *blocks);
    for (int64_t j = 0; j < n; j++) {
        const float *aj = a + A_SKEW_FLOATS + j * a_stride;
        if (q8) {
            gl_q8_0_from_float_ref(aj, blocks, k);
            gl_q8_0_to_float_ref(blocks, aq + j * k, k);
        } else {
            memcpy(aq + j * k, aj, (size_t)k * sizeof(float));
        }
    }
    free(blocks);
    for (int64_t r = 0; r < m; r++) {
        tr->to_float(w + skew + (size_t)r * pitch, wf, k);
        for (int64_t j = 0; j < n; j++) {
            const float *aj = aq + j * k;
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
    free(aq);

    const int64_t ne_w[2] = {k, m}, ne_a[2] = {k, n}, ne_d[2] = {m, n};
    gl_tensor tw = {0}, ta = {0}, td = {0};
    gl_tensor_init(&tw, c->type, 2, ne_w);
    gl_tensor_init(&ta, GLINT_TYPE_F32, 2, ne_a);
    gl_tensor_init(&td, GLINT_TYPE_F32, 2, ne_d);
    tw.nb[1] = pitch;
    tw.nb[2] = tw.nb[3] = pitch * (size_t)m;
    ta.nb[1] = (size_t)a_stride * sizeof(float);
    ta.nb[2] = ta.nb[3] = ta.nb[1] * (size_t)n;
    td.nb[1] = (size_t)d_stride * sizeof(float);
    td.nb[2] = td.nb[3] = td.nb[1] * (size_t)n;
    tw.name = "w";
    ta.name = "a";
    td.name = "dst";

    /* the CPU backend on the same node */
    float *cpu = calloc(d_floats, sizeof(float));
    if (!c->pad_rows) {
        gl_tensor cw = tw, ca = ta, cd = td;
        cw.data = w + skew;
        ca.data = a + A_SKEW_FLOATS;
        cd.data = cpu + D_SKEW_FLOATS;
        gl_node cn = {.op = GL_OP_MUL_MAT, .dst = &cd, .src = {&cw, &ca}};
        CHECK(g_cpu->iface->supports_op(g_cpu, &cn));
        CHECK_STATUS(g_cpu->iface->compute(g_cpu, &cn, 1), GLINT_OK);
    }

    float *got = calloc(d_floats, sizeof(float));
    gl_buffer *bw = NULL, *ba = NULL, *bd = NULL;
    gl_node node = {.op = GL_OP_MUL_MAT, .dst = &td, .src = {&tw, &ta}};
    glint_status st;
    if (c->soa) {
        /* the weights arrive the way placement puts them: the backend writes them itself */
        st = cl_tensor(cl, &tw, &bw, w_bytes, skew, GL_BUFFER_WEIGHTS, NULL);
        if (!st) CHECK_STATUS(cl->iface->weight_prepare(cl, &tw, NULL), GLINT_OK);
        if (!st) st = cl->iface->weight_prepare(cl, &tw, w + skew);
        CHECK_MSG(st || tw.layout == (c->odd_skew ? GL_LAYOUT_GGUF : GL_LAYOUT_SOA),
                  "%s m %lld k %lld: layout %d", tr->name, (long long)m, (long long)k, tw.layout);
    } else {
        st = cl_tensor(cl, &tw, &bw, w_bytes, skew, GL_BUFFER_WEIGHTS, w);
    }
    if (!st)
        st = cl_tensor(cl, &ta, &ba, a_floats * sizeof(float), A_SKEW_FLOATS * sizeof(float),
                       GL_BUFFER_COMPUTE, a);
    if (!st)
        st = cl_tensor(cl, &td, &bd, d_floats * sizeof(float), D_SKEW_FLOATS * sizeof(float),
                       GL_BUFFER_COMPUTE, NULL);
    CHECK_STATUS(st, GLINT_OK);
    if (c->soa && !c->odd_skew && !st) {
        /* GET_ROWS reads GGUF rows only */
        gl_tensor ids = td, rows = td;
        ids.type = GLINT_TYPE_I32;
        ids.ne[0] = 1;
        ids.ne[1] = 1;
        rows.ne[0] = k;
        rows.ne[1] = 1;
        gl_tensor gguf = tw;
        gguf.layout = GL_LAYOUT_GGUF;
        gl_node gr = {.op = GL_OP_GET_ROWS, .dst = &rows, .src = {&tw, &ids}};
        gl_node gr_gguf = {.op = GL_OP_GET_ROWS, .dst = &rows, .src = {&gguf, &ids}};
        CHECK(!cl->iface->supports_op(cl, &gr));
        CHECK(cl->iface->supports_op(cl, &gr_gguf));
    }
    const bool sup = !st && cl->iface->supports_op(cl, &node);
    CHECK_MSG(st || sup, "%s m %lld k %lld n %lld: not supported", tr->name, (long long)m,
              (long long)k, (long long)n);
    if (sup) {
        st = cl->iface->compute(cl, &node, 1);
        if (!st) st = cl->iface->synchronize(cl);
        if (!st) st = cl->iface->buffer_download(cl, bd, 0, got, d_floats * sizeof(float));
        CHECK_STATUS(st, GLINT_OK);
    }
    if (sup && !st) {
        double num = 0, den = 0, e_ref = 0;
        bool clobbered = false;
        for (int64_t j = 0; j < n; j++) {
            for (int64_t r = 0; r < d_stride; r++) {
                const size_t at = (size_t)(D_SKEW_FLOATS + j * d_stride + r);
                if (r >= m) { /* the gaps between output rows stay untouched */
                    clobbered |= got[at] != 0.0f;
                    continue;
                }
                const double e = fabs((double)got[at] - ref[j * m + r]) / mag[j * m + r];
                e_ref = e > e_ref || e != e ? (e != e ? 1e9 : e) : e_ref;
                const double dc = (double)got[at] - (double)cpu[at];
                num += dc * dc;
                den += mag[j * m + r] * mag[j * m + r];
            }
        }
        for (int i = 0; i < D_SKEW_FLOATS; i++) clobbered |= got[i] != 0.0f;
        double e_cpu = c->pad_rows ? 0 : sqrt(num / den);
        if (e_cpu != e_cpu) e_cpu = 1e9;
        CHECK_MSG(e_ref <= tol_ref && e_cpu <= tol_c && !clobbered,
                  "mul_mat %s m %lld k %lld n %lld%s%s%s: error vs f64 %.3g (tol %.3g), vs cpu "
                  "%.3g (tol %.3g)%s",
                  tr->name, (long long)m, (long long)k, (long long)n,
                  c->pad_rows ? " padded rows" : "", c->soa ? " repacked" : "",
                  q8    ? " int8"
                  : f16 ? " half"
                        : "",
                  e_ref, tol_ref, e_cpu, tol_c, clobbered ? ", wrote outside dst" : "");
        worst *wb = f16 ? wst + 2 : wst; /* half-arithmetic cases apart: [soa + 2 * half] */
        wb->ref = GL_MAX(wb->ref, e_ref);
        wb->cpu = GL_MAX(wb->cpu, e_cpu);
    }
    if (bw) cl->iface->buffer_free(cl, bw);
    if (ba) cl->iface->buffer_free(cl, ba);
    if (bd) cl->iface->buffer_free(cl, bd);
    free(w);
    free(a);
    free(ref);
    free(mag);
    free(cpu);
    free(got);
}

/* k values for a type: one block, several, and (32-value types) an odd count of units. */
static int type_ks(glint_type t, int64_t ks[3]) {
    if (gl_type_get(t)->block_size == GL_QK_K) {
        ks[0] = 256, ks[1] = 768;
        return 2;
    }
    ks[0] = 32, ks[1] = 256, ks[2] = 288;
    return 3;
}

/* ---- GET_ROWS ----------------------------------------------------------------------------- */

static void run_get_rows(gl_backend *cl, glint_type type, int64_t k, uint64_t *rng, bool *bad) {
    const gl_type_traits *tr = gl_type_get(type);
    const int64_t rows = 7;
    const size_t row = gl_row_size(type, k);
    const size_t pitch = row + (row % 4 ? 4 - row % 4 : 0) + 4; /* padded rows */
    const size_t skew = w_skew(type);
    const size_t w_bytes = skew + pitch * (size_t)rows;
    char *w = calloc(1, w_bytes);
    fill_weights(type, w + skew, rows, k, pitch, rng);
    /* repeated, boundary and (mapped to row 0, as on the CPU) out-of-range ids after a skew */
    const int32_t ids[] = {-99, rows - 1, 0, 3, 3, rows - 1, 0, rows, -1, 5, 2, 1};
    const int64_t ids_skew = 1, n = (int64_t)(sizeof ids / sizeof ids[0]) - ids_skew;
    const int64_t y_stride = k + 5, y_skew = 2;
    const size_t y_floats = (size_t)(y_skew + n * y_stride);

    gl_tensor tw = {0}, ti = {0}, ty = {0};
    const int64_t ne_w[2] = {k, rows}, ne_i[1] = {n}, ne_y[2] = {k, n};
    gl_tensor_init(&tw, type, 2, ne_w);
    gl_tensor_init(&ti, GLINT_TYPE_I32, 1, ne_i);
    gl_tensor_init(&ty, GLINT_TYPE_F32, 2, ne_y);
    tw.nb[1] = pitch;
    tw.nb[2] = tw.nb[3] = pitch * (size_t)rows;
    ty.nb[1] = (size_t)y_stride * sizeof(float);
    ty.nb[2] = ty.nb[3] = ty.nb[1] * (size_t)n;
    tw.name = "w";
    ti.name = "ids";
    ty.name = "y";

    float *cpu = calloc(y_floats, sizeof(float)), *got = calloc(y_floats, sizeof(float));
    {
        gl_tensor cw = tw, ci = ti, cy = ty;
        cw.data = w + skew;
        ci.data = (void *)(ids + ids_skew);
        cy.data = cpu + y_skew;
        gl_node cn = {.op = GL_OP_GET_ROWS, .dst = &cy, .src = {&cw, &ci}};
        CHECK(g_cpu->iface->supports_op(g_cpu, &cn));
        CHECK_STATUS(g_cpu->iface->compute(g_cpu, &cn, 1), GLINT_OK);
    }
    gl_buffer *bw = NULL, *bi = NULL, *by = NULL;
    gl_node node = {.op = GL_OP_GET_ROWS, .dst = &ty, .src = {&tw, &ti}};
    glint_status st = cl_tensor(cl, &tw, &bw, w_bytes, skew, GL_BUFFER_WEIGHTS, w);
    if (!st)
        st = cl_tensor(cl, &ti, &bi, sizeof ids, (size_t)ids_skew * sizeof(int32_t),
                       GL_BUFFER_COMPUTE, ids);
    if (!st)
        st = cl_tensor(cl, &ty, &by, y_floats * sizeof(float), (size_t)y_skew * sizeof(float),
                       GL_BUFFER_COMPUTE, NULL);
    CHECK_STATUS(st, GLINT_OK);
    const bool sup = !st && cl->iface->supports_op(cl, &node);
    CHECK_MSG(st || sup, "get_rows %s k %lld: not supported", tr->name, (long long)k);
    if (sup) {
        st = cl->iface->compute(cl, &node, 1);
        if (!st) st = cl->iface->synchronize(cl);
        if (!st) st = cl->iface->buffer_download(cl, by, 0, got, y_floats * sizeof(float));
        CHECK_STATUS(st, GLINT_OK);
    }
    if (sup && !st) {
        float *want = calloc(y_floats, sizeof(float));
        for (int64_t i = 0; i < n; i++) {
            int32_t id = ids[ids_skew + i];
            if (id < 0 || id >= rows) id = 0;
            tr->to_float(w + skew + (size_t)id * pitch, want + y_skew + i * y_stride, k);
        }
        /* bit-exact with the scalar dequantizer, the gaps untouched; the CPU's SIMD rows may
         * round differently in the last bit */
        const bool exact = memcmp(got, want, y_floats * sizeof(float)) == 0;
        double e_cpu = 0, scale = 1e-30;
        for (size_t i = 0; i < y_floats; i++) {
            e_cpu = GL_MAX(e_cpu, fabs((double)got[i] - (double)cpu[i]));
            scale = GL_MAX(scale, fabs((double)cpu[i]));
        }
        e_cpu /= scale;
        CHECK_MSG(
            exact && e_cpu <= 1e-6,
            "get_rows %s k %lld: %s the scalar dequantizer, error vs cpu %.3g of the largest value",
            tr->name, (long long)k, exact ? "equal to" : "DIFFERS from", e_cpu);
        if (!exact || e_cpu > 1e-6) *bad = true;
        free(want);
    }
    if (bw) cl->iface->buffer_free(cl, bw);
    if (bi) cl->iface->buffer_free(cl, bi);
    if (by) cl->iface->buffer_free(cl, by);
    free(w);
    free(cpu);
    free(got);
}

/* ---- tiers -------------------------------------------------------------------------------- */

/* One tier: MUL_MAT of `types` (Q4_0 and Q8_0 in GGUF layout and repacked), GET_ROWS. */
static void run_tier(const char *disable, const char *force, const glint_type *types, size_t nt,
                     bool *skip) {
    gl_backend *cl = NULL;
    setenv("GLINT_CL_FORCE", force, 1);
    const glint_status st = cl_open(disable, &cl);
    if (st == GLINT_ERROR_BACKEND_UNAVAILABLE) {
        *skip = true;
        return;
    }
    CHECK_STATUS(st, GLINT_OK);
    if (st) return;
    const gl_cl_caps *caps = gl_cl_device_caps(gl_cl_backend_device(cl));
    g_q8 = (caps->enabled & GL_CL_TIER_INT8DOT) != 0;
    g_f16 = (caps->enabled & GL_CL_TIER_FP16) != 0;
    if (strstr(force, "int8dot")) CHECK(g_q8);
    if (strstr(force, "fp16")) CHECK(g_f16);
    uint64_t rng = 0x5eed + strlen(disable) + 7 * strlen(force);
    worst wst[N_TYPES][4]; /* [soa + 2 * half] */
    memset(wst, 0, sizeof wst);
    bool gr_bad[N_TYPES] = {false};
    for (size_t ti = 0; ti < nt; ti++) {
        const glint_type t = types[ti];
        int64_t ks[3];
        const int nk = type_ks(t, ks);
        for (int soa = 0; soa <= (int)q8_type(t); soa++) {
            for (int ki = 0; ki < nk; ki++)
                for (size_t mi = 0; mi < sizeof g_ms / sizeof g_ms[0]; mi++)
                    for (size_t ni = 0; ni < sizeof g_ns / sizeof g_ns[0]; ni++) {
                        const mm_case c = {t, g_ms[mi], ks[ki], g_ns[ni], false, soa, false};
                        run_mm(cl, &c, &rng, &wst[ti][soa]);
                    }
        }
        /* padded weight rows (never repacked: weight_prepare declines them), both kernels */
        const mm_case pads[] = {{t, 7, ks[1], 1, true, false, false},
                                {t, 33, ks[0], 3, true, false, false},
                                {t, 65, ks[1], 9, true, false, false}};
        for (size_t i = 0; i < sizeof pads / sizeof pads[0]; i++)
            run_mm(cl, &pads[i], &rng, &wst[ti][0]);
        /* offered for repacking at an offset of no whole words: uploaded as GGUF instead */
        if (q8_type(t)) {
            const mm_case odd[] = {{t, 7, ks[1], 1, false, true, true},
                                   {t, 33, ks[1], 9, false, true, true}};
            for (size_t i = 0; i < 2; i++) run_mm(cl, &odd[i], &rng, &wst[ti][0]);
        }
        /* rows of plain types need not be whole units of 32 */
        const int64_t bs = gl_type_get(t)->block_size;
        const int64_t gk[] = {bs == 1 ? 37 : bs, bs == 1 ? 96 + 3 : bs * 3};
        for (size_t i = 0; i < 2; i++) run_get_rows(cl, t, gk[i], &rng, &gr_bad[ti]);
    }
    /* what weight_prepare leaves alone */
    {
        const int64_t ne[2] = {64, 4};
        gl_tensor f16 = {0}, pad = {0};
        gl_tensor_init(&f16, GLINT_TYPE_F16, 2, ne);
        gl_tensor_init(&pad, GLINT_TYPE_Q4_0, 2, ne);
        pad.nb[1] += 16;
        CHECK(cl->iface->weight_prepare(cl, &f16, NULL) == GLINT_ERROR_UNSUPPORTED);
        CHECK(cl->iface->weight_prepare(cl, &pad, NULL) == GLINT_ERROR_UNSUPPORTED);
    }
    fprintf(stderr,
            "tier (disable '%s', force '%s', enabled 0x%x): max error of mul_mat vs f64 / vs "
            "cpu (repacked: same), get_rows:\n",
            disable, force, caps->enabled);
    for (size_t ti = 0; ti < nt; ti++) {
        const glint_type t = types[ti];
        fprintf(stderr, "  %-5s %.2g / %.2g", gl_type_get(t)->name, wst[ti][0].ref, wst[ti][0].cpu);
        if (q8_type(t)) fprintf(stderr, " (%.2g / %.2g)", wst[ti][1].ref, wst[ti][1].cpu);
        if (g_f16 && !(g_q8 && q8_type(t)))
            fprintf(stderr, ", half n > 4: %.2g / %.2g", wst[ti][2].ref, wst[ti][2].cpu);
        if (g_f16 && !g_q8 && q8_type(t))
            fprintf(stderr, " (repacked %.2g / %.2g)", wst[ti][3].ref, wst[ti][3].cpu);
        fprintf(stderr, "%s, get_rows %s\n", g_q8 && q8_type(t) ? " int8" : "",
                gr_bad[ti] ? "FAILED" : "exact");
    }
    cl->iface->free(cl);
}

int main(void) {
    setenv("GLINT_CL_ALLOW_CPU", "1", 0);
    mkdir(GLINT_TEST_TMP "/clcache", 0755);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/clcache", 0);
    gl_err err = {{0}};
    if (gl_backend_cpu_create(2, &g_cpu, &err)) {
        fprintf(stderr, "cpu backend: %s\n", err.msg);
        return 1;
    }
    static const glint_type q8_types[] = {GLINT_TYPE_Q4_0, GLINT_TYPE_Q8_0};
    const struct {
        const char *disable, *force;
        bool all_types;
    } tiers[] = {{"", "", true},         {"fp16,subgroup", "", true}, {"image", "", false},
                 {"", "int8dot", false}, {"image", "int8dot", false}, {"", "fp16", true}};
    bool skip = false;
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0] && !skip; i++)
        run_tier(tiers[i].disable, tiers[i].force, tiers[i].all_types ? g_types : q8_types,
                 tiers[i].all_types ? N_TYPES : 2, &skip);
    unsetenv("GLINT_CL_DISABLE");
    unsetenv("GLINT_CL_FORCE");
    g_cpu->iface->free(g_cpu);
    if (skip) {
        fprintf(stderr, "skip: no OpenCL device\n");
        return GL_TEST_SKIP;
    }
    return gl_test_finish("test_cl_matmul");
}

#else
int main(void) {
    fprintf(stderr, "skip: built without OpenCL\n");
    return GL_TEST_SKIP;
}
#endif

/* Matrix multiplication dst[m, n] = w[k, m] x a[k, n] on the CPU, all threads together.
 * Phase 1: the activations are converted to the weight type's vec_dot_type in the shared
 * scratch. Phase 2: the output is cut into tiles of (rows of w) x (columns of a) handed out
 * through an atomic counter, so a slow (descheduled) thread does not hold the others up; a tile
 * with several columns reuses each weight row across them while it is in cache. */
#include "kernels.h"

#include <stdatomic.h>
#include <string.h>

/* The scratch starts with the tile counter, on its own cache line; activations follow. */
#define GL_MM_HEADER 64

/* Columns per tile when n > 1: their quantized rows stay in L2 (64 x 2176 bytes at k = 2048)
 * while a tile's weight rows stream past them. */
#define GL_MM_TILE_N 64
#define GL_MM_TILE_M 64

static size_t act_row_size(const gl_tensor *w, const gl_tensor *a, glint_type *vt_out) {
    const gl_type_traits *tr = gl_type_get(w->type);
    if (!tr) return 0;
    const glint_type vt = tr->vec_dot_type;
    *vt_out = vt;
    if (vt == a->type) return 0; /* used in place */
    return gl_row_size(vt, a->ne[0]);
}

size_t gl_cpu_mul_mat_wsize(const gl_tensor *w, const gl_tensor *a) {
    glint_type vt;
    const size_t rs = act_row_size(w, a, &vt);
    return GL_MM_HEADER + rs * (size_t)a->ne[1];
}

/* Converts this thread's share of a's rows (or, when there are fewer rows than threads, of each
 * row's blocks) into the scratch. */
static void convert_activations(const gl_cpu_task *t, gl_from_float_fn from_float, int64_t bs,
                                size_t type_size, const gl_tensor *a, char *q, size_t q_row) {
    const int64_t k = a->ne[0], n = a->ne[1], nb = k / bs;
    if (n >= t->nth) {
        for (int64_t j = t->ith; j < n; j += t->nth)
            from_float((const float *)((const char *)a->data + j * a->nb[1]), q + j * q_row, k);
        return;
    }
    const int64_t b0 = nb * t->ith / t->nth, b1 = nb * (t->ith + 1) / t->nth;
    if (b1 <= b0) return;
    for (int64_t j = 0; j < n; j++) {
        const float *x = (const float *)((const char *)a->data + j * a->nb[1]) + b0 * bs;
        from_float(x, q + j * q_row + (size_t)b0 * type_size, (b1 - b0) * bs);
    }
}

void gl_cpu_mul_mat(const gl_cpu_task *t, const gl_tensor *w, const gl_tensor *a, gl_tensor *dst) {
    const gl_cpu_kernels *k = t->k;
    const int64_t K = w->ne[0], m = w->ne[1], n = a->ne[1];
    const gl_type_traits *tr = gl_type_get(w->type);
    glint_type vt = GLINT_TYPE_F32;
    const size_t q_row = act_row_size(w, a, &vt);
    const gl_vec_dot_fn vec_dot = tr ? k->vec_dot[w->type] : NULL;
    /* repacked weights (engine/graph.h) go through the level's strip kernel */
    const bool x8 = w->layout == GL_LAYOUT_Q4_0X8;
    const gl_gemm_fn gemm = x8 ? k->gemm_q4_0x8 : tr ? k->gemm[w->type] : NULL;
    const gl_type_traits *vtr = gl_type_get(vt);

    /* One thread on activations used in place needs no scratch at all. */
    const bool need_wsp = q_row || t->nth > 1;
    const bool in_place = tr && vt == a->type;
    /* Checked by every thread alike, so all of them leave together (no barrier is pending). */
    if (!tr || !vec_dot || !vtr || (x8 && (!gemm || w->type != GLINT_TYPE_Q4_0 || m % 8)) ||
        a->ne[0] != K || dst->ne[0] != m || dst->ne[1] != n ||
        K % tr->block_size || (!in_place && (a->type != GLINT_TYPE_F32 || !q_row)) ||
        (q_row && !k->from_float[vt]) ||
        (need_wsp && (!t->wsp || t->wsp_size < GL_MM_HEADER + q_row * (size_t)n))) {
        if (t->ith == 0)
            GL_LOGE("mul_mat: cannot run %s x %s (k %lld/%lld) at level %s, scratch %zu bytes",
                    tr ? tr->name : "?", vtr ? vtr->name : "?", (long long)K, (long long)a->ne[0],
                    k->name, t->wsp_size);
        return;
    }

    _Atomic int64_t *counter = (_Atomic int64_t *)t->wsp;
    char *q = need_wsp ? (char *)t->wsp + GL_MM_HEADER : NULL;
    if (q_row)
        convert_activations(t, k->from_float[vt], vtr->block_size, vtr->type_size, a, q, q_row);
    if (t->nth > 1 && t->ith == 0) atomic_store_explicit(counter, t->nth, memory_order_relaxed);
    if (t->nth > 1) gl_threadpool_barrier(t->pool);

    const char *act = q_row ? q : (const char *)a->data;
    const size_t a_stride = q_row ? q_row : a->nb[1];
    const size_t w_stride = w->nb[1];
    const size_t ldc = dst->nb[1] / sizeof(float);

    /* Tile shape: for n = 1 rows cut finely enough that every thread gets about 8 tiles; for
     * n > 1 64 x 64 tiles. A level's gemm (when it has one) gets n = 1 tiles too: it knows
     * whether its multi-row kernel beats one row at a time there. */
    int64_t tn = n > GL_MM_TILE_N ? GL_MM_TILE_N : n;
    int64_t tm = n > 1 ? GL_MM_TILE_M : (m + 8 * t->nth - 1) / (8 * t->nth);
    if (tm < 16) tm = 16;
    tm = x8 ? (tm + 7) & ~(int64_t)7 : (tm + 3) & ~(int64_t)3;
    const int64_t tiles_m = (m + tm - 1) / tm, tiles_n = (n + tn - 1) / tn;
    const int64_t n_tiles = tiles_m * tiles_n;

    for (int64_t tile = t->ith; tile < n_tiles;) {
        /* Consecutive tiles walk down the rows of one column block: the activations of the
         * block are shared by the threads working on it. */
        const int64_t i0 = (tile % tiles_m) * tm, j0 = (tile / tiles_m) * tn;
        const int nr = (int)GL_MIN(tm, m - i0), nc = (int)GL_MIN(tn, n - j0);
        const char *wp = (const char *)w->data + i0 * w_stride;
        const char *ap = act + j0 * a_stride;
        float *c = (float *)dst->data + j0 * ldc + i0;
        if (gemm) {
            gemm(K, wp, w_stride, ap, a_stride, c, ldc, nr, nc);
        } else {
            for (int i = 0; i < nr; i++)
                for (int j = 0; j < nc; j++)
                    vec_dot(K, &c[j * ldc + i], wp + i * w_stride, ap + j * a_stride);
        }
        tile = t->nth > 1 ? atomic_fetch_add_explicit(counter, 1, memory_order_relaxed) : tile + 1;
    }
}

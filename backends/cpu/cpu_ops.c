/* CPU ops other than MUL_MAT (matmul.c): plain C written for the compiler's vectorizer. The
 * per-op comments give the shapes; graph.h gives the semantics. */
#include "cpu_ops.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define GL_ATTN_MAX_HEAD_DIM 512

/* Splits [0, n) into nth near-equal ranges. */
static void gl_split(int64_t n, int ith, int nth, int64_t *lo, int64_t *hi) {
    const int64_t per = (n + nth - 1) / nth;
    *lo = GL_MIN(n, per * ith);
    *hi = GL_MIN(n, *lo + per);
}

static int64_t gl_nrows(const gl_tensor *t) {
    return t->ne[1] * t->ne[2] * t->ne[3];
}

/* Row r of a tensor of rows, counting over dims 1..3. */
static void *gl_row_ptr(const gl_tensor *t, int64_t r) {
    const int64_t i1 = r % t->ne[1], i2 = (r / t->ne[1]) % t->ne[2], i3 = r / (t->ne[1] * t->ne[2]);
    return gl_tensor_row(t, i1, i2, i3);
}

/* Converts n values of a float or quantized row to f32. */
static void gl_row_to_f32(glint_type type, const void *src, float *dst, int64_t n) {
    if (type == GLINT_TYPE_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
        return;
    }
    gl_type_get(type)->to_float(src, dst, n);
}

/* ---- GET_ROWS: dst [ne0, n] f32 = rows src1[i] of src0 [ne0, n_rows] ---- */
static void op_get_rows(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *ids = nd->src[1];
    int64_t lo, hi;
    gl_split(ids->ne[0], t->ith, t->nth, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        int32_t id = ((const int32_t *)ids->data)[i];
        if (id < 0 || id >= w->ne[1]) id = 0; /* ids are validated by the session */
        gl_row_to_f32(w->type, gl_tensor_row(w, id, 0, 0), gl_tensor_row(nd->dst, i, 0, 0),
                      w->ne[0]);
    }
}

/* ---- RMS_NORM: per row of ne0, optionally times src1 [ne0] ---- */
static void op_rms_norm(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *x = nd->src[0], *w = nd->src[1];
    const int64_t n0 = x->ne[0];
    const float eps = nd->p.f[0];
    int64_t lo, hi;
    gl_split(gl_nrows(x), t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const float *xr = gl_row_ptr(x, r);
        float *yr = gl_row_ptr(nd->dst, r);
        double sum = 0;
        for (int64_t i = 0; i < n0; i++) sum += (double)xr[i] * xr[i];
        const float scale = (float)(1.0 / sqrt(sum / (double)n0 + eps));
        if (w) {
            const float *wr = w->data;
            for (int64_t i = 0; i < n0; i++) yr[i] = xr[i] * scale * wr[i];
        } else {
            for (int64_t i = 0; i < n0; i++) yr[i] = xr[i] * scale;
        }
    }
}

/* ---- ADD / MUL: src1 broadcast over rows when it has a single row ---- */
static void op_binary(const gl_cpu_task *t, const gl_node *nd, bool mul) {
    const gl_tensor *a = nd->src[0], *b = nd->src[1];
    const int64_t n0 = a->ne[0], nb_rows = gl_nrows(b);
    int64_t lo, hi;
    gl_split(gl_nrows(a), t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const float *ar = gl_row_ptr(a, r);
        const float *br = gl_row_ptr(b, nb_rows == 1 ? 0 : r);
        float *yr = gl_row_ptr(nd->dst, r);
        if (mul) {
            for (int64_t i = 0; i < n0; i++) yr[i] = ar[i] * br[i];
        } else {
            for (int64_t i = 0; i < n0; i++) yr[i] = ar[i] + br[i];
        }
    }
}

/* ---- ROPE: src0 [hd, n_head, n], src1 positions i32 [n], src2 freq factors [n_rot/2] ---- */
static void op_rope(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *x = nd->src[0], *pos = nd->src[1], *ff = nd->src[2];
    const int n_rot = nd->p.i[0];
    const bool neox = nd->p.i[1] == GL_ROPE_NEOX;
    const float base = nd->p.f[0], freq_scale = nd->p.f[1];
    const int64_t hd = x->ne[0], n_head = x->ne[1], n = x->ne[2];
    float cs[GL_ATTN_MAX_HEAD_DIM / 2], sn[GL_ATTN_MAX_HEAD_DIM / 2];
    int64_t lo, hi;
    gl_split(n, t->ith, t->nth, &lo, &hi);
    for (int64_t j = lo; j < hi; j++) {
        /* the angles depend on the position only: once per token, shared by its heads */
        const double p = ((const int32_t *)pos->data)[j];
        for (int i = 0; i < n_rot / 2; i++) {
            double theta = p * freq_scale * pow(base, -2.0 * i / n_rot);
            if (ff) theta /= ((const float *)ff->data)[i];
            cs[i] = (float)cos(theta);
            sn[i] = (float)sin(theta);
        }
        for (int64_t h = 0; h < n_head; h++) {
            const float *xr = gl_tensor_row(x, h, j, 0);
            float *yr = gl_tensor_row(nd->dst, h, j, 0);
            for (int i = 0; i < n_rot / 2; i++) {
                const int i0 = neox ? i : 2 * i, i1 = neox ? i + n_rot / 2 : 2 * i + 1;
                const float x0 = xr[i0], x1 = xr[i1];
                yr[i0] = x0 * cs[i] - x1 * sn[i];
                yr[i1] = x0 * sn[i] + x1 * cs[i];
            }
            if (yr != xr)
                for (int64_t i = n_rot; i < hd; i++) yr[i] = xr[i];
        }
    }
}

/* ---- GLU: dst = act(src0) * src1 ---- */
static void op_glu(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *g = nd->src[0], *u = nd->src[1];
    const int64_t n0 = g->ne[0];
    const int kind = nd->p.i[0];
    int64_t lo, hi;
    gl_split(gl_nrows(g), t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const float *gr = gl_row_ptr(g, r), *ur = gl_row_ptr(u, r);
        float *yr = gl_row_ptr(nd->dst, r);
        for (int64_t i = 0; i < n0; i++) {
            const float x = gr[i];
            float a;
            if (kind == GL_GLU_SWIGLU) {
                a = x / (1.0f + expf(-x));
            } else if (kind == GL_GLU_GEGLU) { /* tanh approximation, as the GGUF models expect */
                a = 0.5f * x * (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x)));
            } else {
                a = x > 0 ? x : 0;
            }
            yr[i] = a * ur[i];
        }
    }
}

/* ---- ATTENTION: causal GQA over the cache ----
 * Work items are (kv head, chunk of query rows). An item converts the keys and values it needs
 * to f32 once, in its thread's scratch, and reuses them for every query head of the group and
 * every row of the chunk; scores then softmax then the weighted sum, all in plain f32 loops. */
#define GL_ATTN_CHUNK 32

static size_t attn_thread_floats(const gl_node *nd) {
    const gl_tensor *kc = nd->src[1];
    return (size_t)(2 * kc->ne[0] + 1) * (size_t)kc->ne[2]; /* K and V rows, scores */
}

static const float *kv_rows_f32(const gl_tensor *c, int64_t hk, int64_t n_kv, float *buf) {
    const int64_t hd = c->ne[0];
    for (int64_t p = 0; p < n_kv; p++) {
        const void *r = gl_tensor_row(c, hk, p, 0);
        float *d = buf + p * hd;
        if (c->type == GLINT_TYPE_F16) {
            const gl_fp16 *h = r;
            for (int64_t i = 0; i < hd; i++) d[i] = gl_fp16_to_f32(h[i]);
        } else {
            memcpy(d, r, (size_t)hd * sizeof(float));
        }
    }
    return buf;
}

/* Eight independent sums, so the compiler vectorizes without reassociating on its own. */
static float dot_f32(const float *a, const float *b, int64_t n) {
    float acc[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[i + k] * b[i + k];
    float s = 0;
    for (; i < n; i++) s += a[i] * b[i];
    return s + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static void op_attention(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *q = nd->src[0], *kc = nd->src[1], *vc = nd->src[2];
    const int64_t hd = q->ne[0], n_head = q->ne[1], n = q->ne[2], n_head_kv = kc->ne[1];
    const int64_t group = n_head / n_head_kv, n_chunks = (n + GL_ATTN_CHUNK - 1) / GL_ATTN_CHUNK;
    const int32_t n_past = nd->p.i[0];
    const float scale = nd->p.f[0];
    float *kbuf = (float *)t->wsp + (size_t)t->ith * attn_thread_floats(nd);
    float *vbuf = kbuf + hd * kc->ne[2], *sc = vbuf + hd * kc->ne[2];
    int64_t lo, hi;
    gl_split(n_head_kv * n_chunks, t->ith, t->nth, &lo, &hi);
    for (int64_t item = lo; item < hi; item++) {
        const int64_t hk = item % n_head_kv, c = item / n_head_kv;
        const int64_t j0 = c * GL_ATTN_CHUNK, j1 = GL_MIN(n, j0 + GL_ATTN_CHUNK);
        const int64_t n_kv = n_past + j1; /* keys the last row of the chunk sees */
        const float *K = kv_rows_f32(kc, hk, n_kv, kbuf), *V = kv_rows_f32(vc, hk, n_kv, vbuf);
        for (int64_t h = hk * group; h < (hk + 1) * group; h++) {
            for (int64_t j = j0; j < j1; j++) {
                const float *qr = gl_tensor_row(q, h, j, 0);
                const int64_t len = n_past + j + 1; /* causal */
                float m = -INFINITY;
                for (int64_t p = 0; p < len; p++) {
                    sc[p] = dot_f32(qr, K + p * hd, hd) * scale;
                    m = fmaxf(m, sc[p]);
                }
                float l = 0;
                for (int64_t p = 0; p < len; p++) l += (sc[p] = expf(sc[p] - m));
                float *yr = (float *)((char *)nd->dst->data + j * nd->dst->nb[1]) + h * hd;
                for (int64_t i = 0; i < hd; i++) yr[i] = 0;
                for (int64_t p = 0; p < len; p++) {
                    const float w = sc[p];
                    const float *vr = V + p * hd;
                    for (int64_t i = 0; i < hd; i++) yr[i] += w * vr[i];
                }
                const float inv = 1.0f / l;
                for (int64_t i = 0; i < hd; i++) yr[i] *= inv;
            }
        }
    }
}

/* ---- CPY: f32 rows into f32/f16 rows of the same element count ---- */
static void op_cpy(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *x = nd->src[0];
    gl_tensor *y = nd->dst;
    const int64_t n0 = x->ne[0];
    int64_t lo, hi;
    gl_split(gl_nrows(x), t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const float *xr = gl_row_ptr(x, r);
        void *yr = gl_row_ptr(y, r);
        if (y->type == GLINT_TYPE_F16) {
            gl_fp16 *yh = yr;
            for (int64_t i = 0; i < n0; i++) yh[i] = gl_f32_to_fp16(xr[i]);
        } else {
            memcpy(yr, xr, (size_t)n0 * sizeof(float));
        }
    }
}

/* ---- SOFTMAX over ne0 of src0 * scale ---- */
static void op_softmax(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *x = nd->src[0];
    const int64_t n0 = x->ne[0];
    const float scale = nd->p.f[0];
    int64_t lo, hi;
    gl_split(gl_nrows(x), t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const float *xr = gl_row_ptr(x, r);
        float *yr = gl_row_ptr(nd->dst, r);
        float m = -INFINITY;
        for (int64_t i = 0; i < n0; i++) m = fmaxf(m, xr[i] * scale);
        double sum = 0;
        for (int64_t i = 0; i < n0; i++) {
            yr[i] = expf(xr[i] * scale - m);
            sum += yr[i];
        }
        const float inv = (float)(1.0 / sum);
        for (int64_t i = 0; i < n0; i++) yr[i] *= inv;
    }
}

/* ---- ARGMAX over ne0, ties to the lowest index ---- */
static void op_argmax(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *x = nd->src[0];
    int64_t lo, hi;
    gl_split(gl_nrows(x), t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const float *xr = gl_row_ptr(x, r);
        int32_t best = 0;
        for (int64_t i = 1; i < x->ne[0]; i++)
            if (xr[i] > xr[best]) best = (int32_t)i;
        ((int32_t *)nd->dst->data)[r] = best;
    }
}

bool gl_cpu_op_supported(const gl_node *nd) {
    const gl_tensor *s0 = nd->src[0];
    switch (nd->op) {
    case GL_OP_GET_ROWS: {
        const gl_type_traits *tr = gl_type_get(s0->type);
        return tr && (s0->type == GLINT_TYPE_F32 || tr->to_float) &&
               nd->src[1]->type == GLINT_TYPE_I32;
    }
    case GL_OP_MUL_MAT: {
        const gl_type_traits *tr = gl_type_get(s0->type);
        return tr && tr->vec_dot && nd->src[1]->type == GLINT_TYPE_F32 && s0->ne[2] == 1;
    }
    case GL_OP_ATTENTION:
        return s0->ne[0] <= GL_ATTN_MAX_HEAD_DIM && nd->src[1]->ne[1] > 0 &&
               s0->ne[1] % nd->src[1]->ne[1] == 0 &&
               (nd->src[1]->type == GLINT_TYPE_F16 || nd->src[1]->type == GLINT_TYPE_F32);
    case GL_OP_CPY:
        return s0->type == GLINT_TYPE_F32 &&
               (nd->dst->type == GLINT_TYPE_F32 || nd->dst->type == GLINT_TYPE_F16);
    case GL_OP_RMS_NORM:
    case GL_OP_MUL:
    case GL_OP_ADD:
    case GL_OP_ROPE:
    case GL_OP_GLU:
    case GL_OP_SOFTMAX:
    case GL_OP_ARGMAX:
        return s0->type == GLINT_TYPE_F32;
    case GL_OP_COUNT:
        break;
    }
    return false;
}

size_t gl_cpu_op_wsize(const gl_node *nd, int nth) {
    if (nd->op == GL_OP_MUL_MAT) return gl_cpu_mul_mat_wsize(nd->src[0], nd->src[1]);
    if (nd->op == GL_OP_ATTENTION) return (size_t)nth * attn_thread_floats(nd) * sizeof(float);
    return 0;
}

void gl_cpu_op_run(const gl_cpu_task *t, const gl_node *nd) {
    switch (nd->op) {
    case GL_OP_GET_ROWS: op_get_rows(t, nd); break;
    case GL_OP_RMS_NORM: op_rms_norm(t, nd); break;
    case GL_OP_MUL: op_binary(t, nd, true); break;
    case GL_OP_ADD: op_binary(t, nd, false); break;
    case GL_OP_ROPE: op_rope(t, nd); break;
    case GL_OP_GLU: op_glu(t, nd); break;
    case GL_OP_MUL_MAT: gl_cpu_mul_mat(t, nd->src[0], nd->src[1], nd->dst); break;
    case GL_OP_ATTENTION: op_attention(t, nd); break;
    case GL_OP_CPY: op_cpy(t, nd); break;
    case GL_OP_SOFTMAX: op_softmax(t, nd); break;
    case GL_OP_ARGMAX: op_argmax(t, nd); break;
    case GL_OP_COUNT: break;
    }
}

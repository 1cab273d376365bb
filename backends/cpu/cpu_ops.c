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
    int64_t lo, hi;
    gl_split(n_head * n, t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const int64_t h = r % n_head, j = r / n_head;
        const float *xr = gl_tensor_row(x, h, j, 0);
        float *yr = gl_tensor_row(nd->dst, h, j, 0);
        const double p = ((const int32_t *)pos->data)[j];
        for (int i = 0; i < n_rot / 2; i++) {
            double theta = p * freq_scale * pow(base, -2.0 * i / n_rot);
            if (ff) theta /= ((const float *)ff->data)[i];
            const float c = (float)cos(theta), s = (float)sin(theta);
            const int i0 = neox ? i : 2 * i, i1 = neox ? i + n_rot / 2 : 2 * i + 1;
            const float x0 = xr[i0], x1 = xr[i1];
            yr[i0] = x0 * c - x1 * s;
            yr[i1] = x0 * s + x1 * c;
        }
        if (yr != xr)
            for (int64_t i = n_rot; i < hd; i++) yr[i] = xr[i];
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

/* ---- ATTENTION: online softmax over the cache, one (head, query) pair per work item ---- */
static float gl_dot_f32_kv(const float *q, const void *k, glint_type kt, int64_t n) {
    float s = 0;
    if (kt == GLINT_TYPE_F16) {
        const gl_fp16 *kh = k;
        for (int64_t i = 0; i < n; i++) s += q[i] * gl_fp16_to_f32(kh[i]);
    } else {
        const float *kf = k;
        for (int64_t i = 0; i < n; i++) s += q[i] * kf[i];
    }
    return s;
}

static void op_attention(const gl_cpu_task *t, const gl_node *nd) {
    const gl_tensor *q = nd->src[0], *kc = nd->src[1], *vc = nd->src[2];
    const int64_t hd = q->ne[0], n_head = q->ne[1], n = q->ne[2], n_head_kv = kc->ne[1];
    const int64_t group = n_head / n_head_kv;
    const int32_t n_past = nd->p.i[0];
    const float scale = nd->p.f[0];
    float acc[GL_ATTN_MAX_HEAD_DIM];
    int64_t lo, hi;
    gl_split(n_head * n, t->ith, t->nth, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        const int64_t h = r % n_head, j = r / n_head, hk = h / group;
        const float *qr = gl_tensor_row(q, h, j, 0);
        const int64_t n_kv = n_past + j + 1; /* causal: keys up to and including this position */
        float m = -INFINITY, l = 0;
        for (int64_t i = 0; i < hd; i++) acc[i] = 0;
        for (int64_t p = 0; p < n_kv; p++) {
            const float s = scale * gl_dot_f32_kv(qr, gl_tensor_row(kc, hk, p, 0), kc->type, hd);
            const void *vr = gl_tensor_row(vc, hk, p, 0);
            float w;
            if (s > m) { /* rescale what was accumulated under the old maximum */
                const float c = expf(m - s);
                l *= c;
                for (int64_t i = 0; i < hd; i++) acc[i] *= c;
                m = s;
                w = 1.0f;
            } else {
                w = expf(s - m);
            }
            l += w;
            if (vc->type == GLINT_TYPE_F16) {
                const gl_fp16 *vh = vr;
                for (int64_t i = 0; i < hd; i++) acc[i] += w * gl_fp16_to_f32(vh[i]);
            } else {
                const float *vf = vr;
                for (int64_t i = 0; i < hd; i++) acc[i] += w * vf[i];
            }
        }
        float *yr = (float *)((char *)nd->dst->data + j * nd->dst->nb[1]) + h * hd;
        const float inv = 1.0f / l;
        for (int64_t i = 0; i < hd; i++) yr[i] = acc[i] * inv;
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

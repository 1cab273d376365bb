/* ATTENTION: causal GQA over an f16 or f32 KV cache with an online softmax, one work-group
 * per (head, query row) (shaders/opencl/attention.cl). */
#include "clops.h"

#define ATTN_WG       64
#define ATTN_MAX_DIMS 8   /* MAX_DIMS in attention.cl: output dims per item */
#define ATTN_MAX_HD   512 /* the CPU's limit */

static const char *attn_options(const gl_node *n) {
    return n->src[1]->type == GLINT_TYPE_F16 ? "-DKV_F16=1" : "";
}

/* The kernel and its work-group size; false when the device cannot run this head size. */
static bool attn_kernel(gl_cl_device *d, const gl_node *n, cl_kernel *k, size_t *wg) {
    if (gl_cl_kernel(d, "attention", "attention", attn_options(n), k)) return false;
    *wg = gl_clops_wg(d, *k, ATTN_WG);
    const uint64_t hd = (uint64_t)n->src[0]->ne[0];
    const uint64_t local = (hd + 6 * *wg) * sizeof(float);
    return hd <= ATTN_MAX_DIMS * *wg && local <= gl_cl_device_caps(d)->local_mem;
}

static bool attention_supports(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *q = n->src[0], *k = n->src[1], *v = n->src[2], *y = n->dst;
    if (!q || !k || !v || !y || q->type != GLINT_TYPE_F32 || y->type != GLINT_TYPE_F32 ||
        (k->type != GLINT_TYPE_F16 && k->type != GLINT_TYPE_F32) || v->type != k->type)
        return false;
    const int64_t hd = q->ne[0], n_head = q->ne[1], nq = q->ne[2], n_past = n->p.i[0];
    if (hd > ATTN_MAX_HD || k->ne[0] != hd || !gl_clops_same_shape(k, v) || k->ne[1] <= 0 ||
        n_head % k->ne[1] || q->ne[3] != 1 || k->ne[3] != 1 || n_past < 0 ||
        n_past + nq > k->ne[2])
        return false;
    /* dst rows [hd * n_head] of contiguous heads, as the CPU writes them */
    if (y->ne[0] != hd * n_head || y->ne[1] != nq || y->nb[0] != 4) return false;
    const size_t kv = k->type == GLINT_TYPE_F16 ? 2 : 4;
    if (!gl_clops_fits(d, q, 4) || !gl_clops_fits(d, k, kv) || !gl_clops_fits(d, v, kv) ||
        !gl_clops_fits(d, y, 4))
        return false;
    cl_kernel kern;
    size_t wg;
    return attn_kernel(d, n, &kern, &wg);
}

static glint_status attention_record(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *q = n->src[0], *k = n->src[1], *v = n->src[2], *y = n->dst;
    const size_t kv = k->type == GLINT_TYPE_F16 ? 2 : 4;
    cl_kernel kern;
    size_t wg;
    if (!attn_kernel(d, n, &kern, &wg)) return GLINT_ERROR_UNSUPPORTED;
    const cl_uint hd = (cl_uint)q->ne[0];
    cl_uint qs[3], ks[3], vs[3], ys[3];
    gl_clops_strides(q, 4, qs);
    gl_clops_strides(k, kv, ks);
    gl_clops_strides(v, kv, vs);
    gl_clops_strides(y, 4, ys);
    gl_clops_args a = gl_clops_args_begin(kern);
    gl_clops_arg_tensor(&a, q);
    gl_clops_arg_tensor(&a, k);
    gl_clops_arg_tensor(&a, v);
    gl_clops_arg_tensor(&a, y);
    gl_clops_arg_u32(&a, hd);
    gl_clops_arg_u32(&a, (cl_uint)(q->ne[1] / k->ne[1]));
    gl_clops_arg_u32(&a, (cl_uint)n->p.i[0]);
    gl_clops_arg_u32(&a, qs[0]);
    gl_clops_arg_u32(&a, qs[1]);
    gl_clops_arg_u32(&a, ks[0]);
    gl_clops_arg_u32(&a, ks[1]);
    gl_clops_arg_u32(&a, vs[0]);
    gl_clops_arg_u32(&a, vs[1]);
    gl_clops_arg_u32(&a, ys[0]);
    gl_clops_arg_f32(&a, n->p.f[0]);
    /* V four values at a time when rows are whole columns of 4 that the items can cover */
    gl_clops_arg_u32(&a, hd % 4 == 0 && hd / 4 <= wg);
    gl_clops_arg_local(&a, (hd + 6 * wg) * sizeof(float));
    if (a.st) return a.st;
    const size_t global[2] = {wg * (size_t)q->ne[1], (size_t)q->ne[2]}, local[2] = {wg, 1};
    return gl_cl_enqueue(d, kern, 2, global, local);
}

const gl_cl_op gl_cl_op_attention = {.supports = attention_supports, .record = attention_record};

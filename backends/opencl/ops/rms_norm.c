/* RMS_NORM: one work-group per row (shaders/opencl/rms_norm.cl). */
#include "clops.h"

static bool rms_norm_supports(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *w = n->src[1], *y = n->dst;
    if (!x || !y || x->type != GLINT_TYPE_F32 || y->type != GLINT_TYPE_F32 ||
        !gl_clops_same_shape(x, y) || !gl_clops_fits(d, x, 4) || !gl_clops_fits(d, y, 4))
        return false;
    /* the weight is read from its first element on, like the CPU does */
    return !w || (w->type == GLINT_TYPE_F32 && w->ne[0] >= x->ne[0] && gl_clops_fits(d, w, 4));
}

static glint_status rms_norm_record(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *w = n->src[1], *y = n->dst;
    cl_kernel k;
    glint_status st = gl_cl_kernel(d, "rms_norm", "rms_norm_f32", "", &k);
    if (st) return st;
    const size_t wg = gl_clops_row_wg(d, k, (uint64_t)x->ne[0]);
    cl_uint xs[3], ys[3];
    gl_clops_strides(x, 4, xs);
    gl_clops_strides(y, 4, ys);
    gl_clops_args a = gl_clops_args_begin(k);
    gl_clops_arg_tensor(&a, x);
    gl_clops_arg_tensor(&a, w ? w : x); /* any buffer when there is no weight */
    gl_clops_arg_tensor(&a, y);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[0]);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[1]);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[2]);
    for (int i = 0; i < 3; i++) gl_clops_arg_u32(&a, xs[i]);
    for (int i = 0; i < 3; i++) gl_clops_arg_u32(&a, ys[i]);
    gl_clops_arg_u32(&a, w != NULL);
    gl_clops_arg_f32(&a, n->p.f[0]);
    gl_clops_arg_local(&a, wg * sizeof(float));
    if (a.st) return a.st;
    const size_t global[2] = {wg, (size_t)gl_clops_nrows(x)}, local[2] = {wg, 1};
    return gl_cl_enqueue(d, k, 2, global, local);
}

const gl_cl_op gl_cl_op_rms_norm = {.supports = rms_norm_supports, .record = rms_norm_record};

/* ARGMAX: one work-group per row, ties to the lowest index (shaders/opencl/argmax.cl). */
#include "clops.h"

static bool argmax_supports(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *y = n->dst;
    /* the CPU writes index r of the row count to element r of y */
    return x && y && x->type == GLINT_TYPE_F32 && y->type == GLINT_TYPE_I32 &&
           gl_clops_fits(d, x, 4) && gl_clops_fits(d, y, 4) && gl_tensor_is_contiguous(y) &&
           gl_tensor_nelements(y) >= gl_clops_nrows(x);
}

static glint_status argmax_record(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0];
    cl_kernel k;
    glint_status st = gl_cl_kernel(d, "argmax", "argmax_f32", "", &k);
    if (st) return st;
    const size_t wg = gl_clops_row_wg(d, k, (uint64_t)x->ne[0]);
    cl_uint xs[3];
    gl_clops_strides(x, 4, xs);
    gl_clops_args a = gl_clops_args_begin(k);
    gl_clops_arg_tensor(&a, x);
    gl_clops_arg_tensor(&a, n->dst);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[0]);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[1]);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[2]);
    for (int i = 0; i < 3; i++) gl_clops_arg_u32(&a, xs[i]);
    gl_clops_arg_local(&a, wg * sizeof(float));
    gl_clops_arg_local(&a, wg * sizeof(cl_uint));
    if (a.st) return a.st;
    const size_t global[2] = {wg, (size_t)gl_clops_nrows(x)}, local[2] = {wg, 1};
    return gl_cl_enqueue(d, k, 2, global, local);
}

const gl_cl_op gl_cl_op_argmax = {.supports = argmax_supports, .record = argmax_record};

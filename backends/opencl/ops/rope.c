/* ROPE (NORM and NEOX, optional frequency factors, linear scaling) over x [hd, n_head, n]
 * (shaders/opencl/rope.cl). */
#include "clops.h"

#include <math.h>

static bool rope_supports(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *pos = n->src[1], *ff = n->src[2], *y = n->dst;
    const int n_rot = n->p.i[0];
    if (!x || !y || !pos || x->type != GLINT_TYPE_F32 || y->type != GLINT_TYPE_F32 ||
        !gl_clops_same_shape(x, y) || x->ne[3] != 1 || pos->type != GLINT_TYPE_I32 ||
        pos->ne[0] < x->ne[2])
        return false;
    if (n_rot <= 0 || n_rot % 2 || n_rot > x->ne[0] ||
        (n->p.i[1] != GL_ROPE_NORM && n->p.i[1] != GL_ROPE_NEOX) || !(n->p.f[0] > 0))
        return false;
    /* positions and factors are read from their first element on, like the CPU does */
    if (ff && (ff->type != GLINT_TYPE_F32 || ff->ne[0] < n_rot / 2 || !gl_clops_fits(d, ff, 4)))
        return false;
    return gl_clops_fits(d, x, 4) && gl_clops_fits(d, y, 4) && gl_clops_fits(d, pos, 4);
}

static glint_status rope_record(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *ff = n->src[2], *y = n->dst;
    const int n_rot = n->p.i[0];
    cl_kernel k;
    glint_status st = gl_cl_kernel(d, "rope", "rope_f32", "", &k);
    if (st) return st;
    /* per row: n_rot/2 rotated pairs, then the unrotated tail one value each unless y is x */
    const bool inplace = y->buffer == x->buffer && y->offset == x->offset &&
                         y->nb[1] == x->nb[1] && y->nb[2] == x->nb[2];
    const cl_uint per_row = (cl_uint)(n_rot / 2 + (inplace ? 0 : x->ne[0] - n_rot));
    cl_uint xs[3], ys[3];
    gl_clops_strides(x, 4, xs);
    gl_clops_strides(y, 4, ys);
    gl_clops_args a = gl_clops_args_begin(k);
    gl_clops_arg_tensor(&a, x);
    gl_clops_arg_tensor(&a, n->src[1]);
    gl_clops_arg_tensor(&a, ff ? ff : x); /* any buffer when there are no factors */
    gl_clops_arg_tensor(&a, y);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[1]);
    gl_clops_arg_u32(&a, (cl_uint)x->ne[2]);
    gl_clops_arg_u32(&a, (cl_uint)n_rot);
    gl_clops_arg_u32(&a, per_row);
    gl_clops_arg_u32(&a, n->p.i[1] == GL_ROPE_NEOX);
    gl_clops_arg_u32(&a, ff != NULL);
    gl_clops_arg_u32(&a, xs[0]);
    gl_clops_arg_u32(&a, xs[1]);
    gl_clops_arg_u32(&a, ys[0]);
    gl_clops_arg_u32(&a, ys[1]);
    gl_clops_arg_f32(&a, n->p.f[1]);
    /* base^(-2k/n_rot) = exp2(k * this), the constant from double */
    gl_clops_arg_f32(&a, (float)(-2.0 * log2((double)n->p.f[0]) / n_rot));
    if (a.st) return a.st;
    size_t local[3];
    gl_clops_local_rows(per_row, gl_clops_wg(d, k, GL_CLOPS_WG), local);
    local[2] = 1;
    const size_t global[3] = {per_row, (size_t)x->ne[1], (size_t)x->ne[2]};
    return gl_cl_enqueue(d, k, 3, global, local);
}

const gl_cl_op gl_cl_op_rope = {.supports = rope_supports, .record = rope_record};

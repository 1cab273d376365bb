/* CPY f32 -> f32/f16 (shaders/opencl/cpy.cl), element-wise into strided views such as KV-cache
 * rows; same shape on both sides. */
#include "clops.h"

static bool cpy_supports(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *a = n->src[0], *y = n->dst;
    if (!a || !y || a->type != GLINT_TYPE_F32 ||
        (y->type != GLINT_TYPE_F32 && y->type != GLINT_TYPE_F16))
        return false;
    return gl_clops_same_shape(a, y) && gl_clops_fits(d, a, 4) &&
           gl_clops_fits(d, y, y->type == GLINT_TYPE_F16 ? 2 : 4);
}

static glint_status cpy_record(gl_cl_device *d, const gl_node *n) {
    const bool f16 = n->dst->type == GLINT_TYPE_F16;
    const gl_tensor *t[2] = {n->src[0], n->dst};
    const size_t es[2] = {4, f16 ? 2 : 4};
    const bool bc[2] = {false, false};
    return gl_clops_eltwise(d, "cpy", f16 ? "cpy_f32_f16" : "cpy_f32_f32", t, es, bc, 2);
}

const gl_cl_op gl_cl_op_cpy = {.supports = cpy_supports, .record = cpy_record};

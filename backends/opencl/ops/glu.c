/* GLU: y = act(g) * u for swiglu, geglu and reglu (shaders/opencl/glu.cl), element-wise over
 * tensors of one shape. */
#include "clops.h"

static bool glu_supports(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *g = n->src[0], *u = n->src[1], *y = n->dst;
    if (!g || !u || !y || n->p.i[0] < 0 || n->p.i[0] >= GL_GLU_COUNT) return false;
    return g->type == GLINT_TYPE_F32 && u->type == GLINT_TYPE_F32 && y->type == GLINT_TYPE_F32 &&
           gl_clops_same_shape(g, u) && gl_clops_same_shape(g, y) && gl_clops_fits(d, g, 4) &&
           gl_clops_fits(d, u, 4) && gl_clops_fits(d, y, 4);
}

static glint_status glu_record(gl_cl_device *d, const gl_node *n) {
    static const char *const kernels[GL_GLU_COUNT] = {
        [GL_GLU_SWIGLU] = "swiglu_f32", [GL_GLU_GEGLU] = "geglu_f32", [GL_GLU_REGLU] = "reglu_f32"};
    const gl_tensor *t[3] = {n->src[0], n->src[1], n->dst};
    const size_t es[3] = {4, 4, 4};
    const bool bc[3] = {false, false, false};
    return gl_clops_eltwise(d, "glu", kernels[n->p.i[0]], t, es, bc, 3);
}

const gl_cl_op gl_cl_op_glu = {.supports = glu_supports, .record = glu_record};

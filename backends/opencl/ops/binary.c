/* ADD and MUL (shaders/opencl/binary.cl), element-wise with src1 broadcast over rows when it
 * has one row; and the element-wise launcher they share with GLU and CPY. */
#include "clops.h"

#define ELT_MAX 4

glint_status gl_clops_eltwise(gl_cl_device *d, const char *program, const char *kernel,
                              const gl_tensor *const *t, const size_t *esize, const bool *bcast,
                              int nt) {
    if (nt < 1 || nt > ELT_MAX) return GLINT_ERROR_INTERNAL;
    cl_kernel k;
    glint_status st = gl_cl_kernel(d, program, kernel, "", &k);
    if (st) return st;
    cl_uint nb[ELT_MAX][3];
    cl_uint *nbp[ELT_MAX];
    for (int i = 0; i < nt; i++) {
        gl_clops_strides(t[i], esize[i], nb[i]);
        if (bcast[i]) nb[i][0] = nb[i][1] = nb[i][2] = 0;
        nbp[i] = nb[i];
    }
    const gl_tensor *s = t[0];
    uint64_t ne[4] = {(uint64_t)s->ne[0], (uint64_t)s->ne[1], (uint64_t)s->ne[2],
                      (uint64_t)s->ne[3]};
    gl_clops_collapse(ne, nbp, nt);
    gl_clops_args a = gl_clops_args_begin(k);
    for (int i = 0; i < nt; i++) gl_clops_arg_tensor(&a, t[i]);
    gl_clops_arg_u32(&a, (cl_uint)ne[0]);
    gl_clops_arg_u32(&a, (cl_uint)ne[1]);
    gl_clops_arg_u32(&a, (cl_uint)ne[2]);
    gl_clops_arg_u32(&a, (cl_uint)(ne[1] * ne[2] * ne[3]));
    for (int i = 0; i < nt; i++)
        for (int j = 0; j < 3; j++) gl_clops_arg_u32(&a, nb[i][j]);
    if (a.st) return a.st;
    size_t local[2];
    gl_clops_local_rows(ne[0], gl_clops_wg(d, k, GL_CLOPS_WG), local);
    const size_t global[2] = {(size_t)ne[0], (size_t)(ne[1] * ne[2] * ne[3])};
    return gl_cl_enqueue(d, k, 2, global, local);
}

static bool binary_supports(gl_cl_device *d, const gl_node *n) {
    const gl_tensor *a = n->src[0], *b = n->src[1], *y = n->dst;
    if (!a || !b || !y || a->type != GLINT_TYPE_F32 || b->type != GLINT_TYPE_F32 ||
        y->type != GLINT_TYPE_F32 || !gl_clops_same_shape(a, y) || b->ne[0] != a->ne[0])
        return false;
    if (!gl_clops_same_shape(a, b) && gl_clops_nrows(b) != 1) return false;
    return gl_clops_fits(d, a, 4) && gl_clops_fits(d, b, 4) && gl_clops_fits(d, y, 4);
}

static glint_status binary_record(gl_cl_device *d, const gl_node *n, const char *kernel) {
    const gl_tensor *t[3] = {n->src[0], n->src[1], n->dst};
    const size_t es[3] = {4, 4, 4};
    const bool bc[3] = {false, gl_clops_nrows(t[1]) == 1, false}; /* one row, read by all */
    return gl_clops_eltwise(d, "binary", kernel, t, es, bc, 3);
}

static glint_status add_record(gl_cl_device *d, const gl_node *n) {
    return binary_record(d, n, "add_f32");
}
static glint_status mul_record(gl_cl_device *d, const gl_node *n) {
    return binary_record(d, n, "mul_f32");
}

const gl_cl_op gl_cl_op_add = {.supports = binary_supports, .record = add_record};
const gl_cl_op gl_cl_op_mul = {.supports = binary_supports, .record = mul_record};

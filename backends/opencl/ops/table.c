/* The OpenCL op table: each op lives in its own file beside this one and defines
 * `const gl_cl_op gl_cl_op_<name>` (declared in clops.h). An op with no entry here is declined
 * (the CPU runs it). */
#include "clops.h"

const gl_cl_op *const gl_cl_ops[GL_OP_COUNT] = {
    [GL_OP_GET_ROWS] = &gl_cl_op_get_rows,
    [GL_OP_RMS_NORM] = &gl_cl_op_rms_norm,
    [GL_OP_MUL] = &gl_cl_op_mul,
    [GL_OP_ADD] = &gl_cl_op_add,
    [GL_OP_ROPE] = &gl_cl_op_rope,
    [GL_OP_GLU] = &gl_cl_op_glu,
    [GL_OP_MUL_MAT] = &gl_cl_op_mul_mat,
    [GL_OP_ATTENTION] = &gl_cl_op_attention,
    [GL_OP_CPY] = &gl_cl_op_cpy,
    [GL_OP_SOFTMAX] = &gl_cl_op_softmax,
    [GL_OP_ARGMAX] = &gl_cl_op_argmax,
};

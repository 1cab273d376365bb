/* The Vulkan op table: each op lives in its own file beside this one and defines
 * `const gl_vk_op gl_vk_op_<name>`. An op with no entry here is declined (the CPU runs it). */
#include "vk_internal.h"

extern const gl_vk_op gl_vk_op_mul_mat;
extern const gl_vk_op gl_vk_op_get_rows;
extern const gl_vk_op gl_vk_op_rms_norm;
extern const gl_vk_op gl_vk_op_mul;
extern const gl_vk_op gl_vk_op_add;
extern const gl_vk_op gl_vk_op_rope;
extern const gl_vk_op gl_vk_op_glu;
extern const gl_vk_op gl_vk_op_attention;
extern const gl_vk_op gl_vk_op_cpy;
extern const gl_vk_op gl_vk_op_softmax;
extern const gl_vk_op gl_vk_op_argmax;

const gl_vk_op *const gl_vk_ops[GL_OP_COUNT] = {
    [GL_OP_GET_ROWS] = &gl_vk_op_get_rows,
    [GL_OP_RMS_NORM] = &gl_vk_op_rms_norm,
    [GL_OP_MUL] = &gl_vk_op_mul,
    [GL_OP_ADD] = &gl_vk_op_add,
    [GL_OP_ROPE] = &gl_vk_op_rope,
    [GL_OP_GLU] = &gl_vk_op_glu,
    [GL_OP_MUL_MAT] = &gl_vk_op_mul_mat,
    [GL_OP_ATTENTION] = &gl_vk_op_attention,
    [GL_OP_CPY] = &gl_vk_op_cpy,
    [GL_OP_SOFTMAX] = &gl_vk_op_softmax,
    [GL_OP_ARGMAX] = &gl_vk_op_argmax,
};

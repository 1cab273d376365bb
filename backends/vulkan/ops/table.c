/* The Vulkan op table: each op lives in its own file beside this one and defines
 * `const gl_vk_op gl_vk_op_<name>`. An op with no entry here is declined (the CPU runs it). */
#include "vk_internal.h"

extern const gl_vk_op gl_vk_op_mul_mat;

const gl_vk_op *const gl_vk_ops[GL_OP_COUNT] = {
    [GL_OP_GET_ROWS] = NULL,
    [GL_OP_RMS_NORM] = NULL,
    [GL_OP_MUL] = NULL,
    [GL_OP_ADD] = NULL,
    [GL_OP_ROPE] = NULL,
    [GL_OP_GLU] = NULL,
    [GL_OP_MUL_MAT] = &gl_vk_op_mul_mat,
    [GL_OP_ATTENTION] = NULL,
    [GL_OP_CPY] = NULL,
    [GL_OP_SOFTMAX] = NULL,
    [GL_OP_ARGMAX] = NULL,
};

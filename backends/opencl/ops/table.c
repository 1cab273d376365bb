/* The OpenCL op table, indexed by gl_op (NULL = not supported). A placeholder with no ops
 * until the op files fill it in. */
#include "cl_internal.h"

const gl_cl_op *const gl_cl_ops[GL_OP_COUNT] = {0};

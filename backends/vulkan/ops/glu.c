/* GLU (swiglu, geglu, reglu) on the GPU: the binary.comp shader with the activation chosen by
 * its specialization constant. */
#include "vkops.h"

bool gl_vkops_binary_supports(const gl_vk_device *d, const gl_node *n, bool broadcast);
glint_status gl_vkops_binary_record(gl_vk_device *d, const gl_node *n, uint32_t op);

static bool glu_supports(const gl_vk_device *d, const gl_node *n) {
    return n->p.i[0] >= 0 && n->p.i[0] < GL_GLU_COUNT && gl_vkops_binary_supports(d, n, false);
}

static glint_status glu_record(gl_vk_device *d, const gl_node *n) {
    return gl_vkops_binary_record(d, n, 2 + (uint32_t)n->p.i[0]); /* 2 swiglu, 3 geglu, 4 reglu */
}

const gl_vk_op gl_vk_op_glu = {glu_supports, glu_record};

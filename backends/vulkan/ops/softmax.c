/* SOFTMAX on the GPU: one workgroup per row (shaders/vulkan/softmax.comp). */
#include "vkops.h"

typedef struct {
    uint32_t ne0, ne1, ne2, nrows;
    uint32_t x[4], y[4];
    float scale;
} softmax_push;

static bool softmax_supports(const gl_vk_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *y = n->dst;
    if (!x || !y) return false;
    return x->type == GLINT_TYPE_F32 && y->type == GLINT_TYPE_F32 && gl_vkops_same_shape(x, y) &&
           gl_vkops_fits(d, x, 4) && gl_vkops_fits(d, y, 4) && gl_vkops_nrows(x) <= UINT32_MAX;
}

static glint_status softmax_record(gl_vk_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0];
    softmax_push pc = {.ne0 = (uint32_t)x->ne[0],
                       .ne1 = (uint32_t)x->ne[1],
                       .ne2 = (uint32_t)x->ne[2],
                       .nrows = (uint32_t)gl_vkops_nrows(x),
                       .scale = n->p.f[0]};
    gl_vk_dispatch ds = {.shader = gl_vkops_tier(d, GL_VK_FEAT_SUBGROUP)
                                       ? GL_VK_SHADER_VK_SOFTMAX_SG
                                       : GL_VK_SHADER_VK_SOFTMAX,
                         .push = &pc,
                         .push_size = sizeof pc,
                         .n_bindings = 2};
    glint_status st;
    if ((st = gl_vkops_bind(d, x, false, 4, &ds.bindings[0], pc.x)) ||
        (st = gl_vkops_bind(d, n->dst, true, 4, &ds.bindings[1], pc.y)))
        return st;
    gl_vkops_grid(pc.nrows, ds.groups);
    return gl_vk_record_dispatch(d, &ds);
}

const gl_vk_op gl_vk_op_softmax = {softmax_supports, softmax_record};

/* RMS_NORM on the GPU: one workgroup per row (shaders/vulkan/rms_norm.comp). */
#include "vkops.h"

typedef struct {
    uint32_t ne0, ne1, ne2, nrows;
    uint32_t x[4], y[4];
    uint32_t ws, has_w;
    float eps;
} rms_norm_push;

static bool rms_norm_supports(const gl_vk_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *w = n->src[1], *y = n->dst;
    if (!x || !y) return false;
    if (x->type != GLINT_TYPE_F32 || y->type != GLINT_TYPE_F32 || !gl_vkops_same_shape(x, y))
        return false;
    if (!gl_vkops_fits(d, x, 4) || !gl_vkops_fits(d, y, 4) || gl_vkops_nrows(x) > UINT32_MAX)
        return false;
    /* the weight is read contiguously, like the CPU does */
    return !w || (w->type == GLINT_TYPE_F32 && w->ne[0] >= x->ne[0] && gl_vkops_fits(d, w, 4));
}

static glint_status rms_norm_record(gl_vk_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *w = n->src[1];
    rms_norm_push pc = {.ne0 = (uint32_t)x->ne[0],
                        .ne1 = (uint32_t)x->ne[1],
                        .ne2 = (uint32_t)x->ne[2],
                        .nrows = (uint32_t)gl_vkops_nrows(x),
                        .has_w = w != NULL,
                        .eps = n->p.f[0]};
    gl_vk_dispatch ds = {.shader = gl_vkops_tier(d, GL_VK_FEAT_SUBGROUP)
                                       ? GL_VK_SHADER_VK_RMS_NORM_SG
                                       : GL_VK_SHADER_VK_RMS_NORM,
                         .push = &pc,
                         .push_size = sizeof pc,
                         .n_bindings = 3};
    uint32_t wnb[4];
    glint_status st;
    if ((st = gl_vkops_bind(d, x, false, 4, &ds.bindings[0], pc.x)) ||
        (st = gl_vkops_bind(d, w ? w : x, false, 4, &ds.bindings[1], wnb)) ||
        (st = gl_vkops_bind(d, n->dst, true, 4, &ds.bindings[2], pc.y)))
        return st;
    pc.ws = wnb[0];
    gl_vkops_grid(pc.nrows, ds.groups);
    return gl_vk_record_dispatch(d, &ds);
}

const gl_vk_op gl_vk_op_rms_norm = {rms_norm_supports, rms_norm_record};

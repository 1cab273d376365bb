/* CPY f32 -> f32/f16 on the GPU, element-wise into strided views such as KV-cache rows
 * (shaders/vulkan/cpy.comp). */
#include "vkops.h"

typedef struct {
    uint32_t ne0, ne1, ne2, nrows;
    uint32_t a[4], y[4];
} cpy_push;

static bool cpy_supports(const gl_vk_device *d, const gl_node *n) {
    const gl_tensor *a = n->src[0], *y = n->dst;
    if (!a || !y) return false;
    if (a->type != GLINT_TYPE_F32 || (y->type != GLINT_TYPE_F32 && y->type != GLINT_TYPE_F16))
        return false;
    uint32_t grid[3];
    /* the shader walks both with the same indices */
    return gl_vkops_same_shape(a, y) && gl_vkops_fits(d, a, 4) &&
           gl_vkops_fits(d, y, y->type == GLINT_TYPE_F16 ? 2 : 4) &&
           gl_vkops_grid_rows((uint64_t)a->ne[0], (uint64_t)gl_vkops_nrows(a), grid);
}

static glint_status cpy_record(gl_vk_device *d, const gl_node *n) {
    const gl_tensor *a = n->src[0], *y = n->dst;
    const bool f16 = y->type == GLINT_TYPE_F16;
    cpy_push pc = {.ne0 = (uint32_t)a->ne[0],
                   .ne1 = (uint32_t)a->ne[1],
                   .ne2 = (uint32_t)a->ne[2],
                   .nrows = (uint32_t)gl_vkops_nrows(a)};
    gl_vk_dispatch ds = {.shader = !f16 ? GL_VK_SHADER_VK_CPY_F32
                                   : gl_vkops_tier(d, GL_VK_FEAT_STORAGE16)
                                       ? GL_VK_SHADER_VK_CPY_F16_S16
                                       : GL_VK_SHADER_VK_CPY_F16,
                         .push = &pc,
                         .push_size = sizeof pc,
                         .n_bindings = 2};
    glint_status st;
    if ((st = gl_vkops_bind(d, a, false, 4, &ds.bindings[0], pc.a)) ||
        (st = gl_vkops_bind(d, y, true, f16 ? 2 : 4, &ds.bindings[1], pc.y)))
        return st;
    uint32_t ne[4] = {pc.ne0, pc.ne1, pc.ne2, (uint32_t)a->ne[3]};
    gl_vkops_collapse(ne, (uint32_t *const[]){pc.a, pc.y}, 2);
    pc.ne0 = ne[0], pc.ne1 = ne[1], pc.ne2 = ne[2], pc.nrows = ne[1] * ne[2] * ne[3];
    if (!gl_vkops_grid_rows(pc.ne0, pc.nrows, ds.groups)) return GLINT_ERROR_UNSUPPORTED;
    return gl_vk_record_dispatch(d, &ds);
}

const gl_vk_op gl_vk_op_cpy = {cpy_supports, cpy_record};

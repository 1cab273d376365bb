/* ROPE (NORM and NEOX, optional frequency factors, linear scaling) on the GPU
 * (shaders/vulkan/rope.comp). */
#include "vkops.h"

#include <math.h>

typedef struct {
    uint32_t hd, n_head, n, n_rot;
    uint32_t neox, has_ff, per_row, total;
    uint32_t xs, xnb1, xnb2;
    uint32_t ys, ynb1, ynb2;
    uint32_t ps, fs;
    float freq_scale, log2_base_per_rot;
} rope_push;

static bool rope_supports(const gl_vk_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *pos = n->src[1], *ff = n->src[2], *y = n->dst;
    const int n_rot = n->p.i[0];
    if (!x || !y) return false;
    if (x->type != GLINT_TYPE_F32 || y->type != GLINT_TYPE_F32 || !gl_vkops_same_shape(x, y) ||
        x->ne[3] != 1 || !pos || pos->type != GLINT_TYPE_I32 || pos->ne[0] < x->ne[2])
        return false;
    if (n_rot <= 0 || n_rot % 2 || n_rot > x->ne[0] ||
        (n->p.i[1] != GL_ROPE_NORM && n->p.i[1] != GL_ROPE_NEOX) || !(n->p.f[0] > 0))
        return false;
    if (ff && (ff->type != GLINT_TYPE_F32 || ff->ne[0] < n_rot / 2 || !gl_vkops_fits(d, ff, 4)))
        return false;
    return gl_vkops_fits(d, x, 4) && gl_vkops_fits(d, y, 4) && gl_vkops_fits(d, pos, 4) &&
           gl_tensor_nelements(x) <= UINT32_MAX;
}

static glint_status rope_record(gl_vk_device *d, const gl_node *n) {
    const gl_tensor *x = n->src[0], *ff = n->src[2];
    const int n_rot = n->p.i[0];
    rope_push pc = {.hd = (uint32_t)x->ne[0],
                    .n_head = (uint32_t)x->ne[1],
                    .n = (uint32_t)x->ne[2],
                    .n_rot = (uint32_t)n_rot,
                    .neox = n->p.i[1] == GL_ROPE_NEOX,
                    .has_ff = ff != NULL,
                    .freq_scale = n->p.f[1],
                    .log2_base_per_rot = (float)(-2.0 * log2((double)n->p.f[0]) / n_rot)};
    /* per row: n_rot/2 rotated pairs, then the unrotated tail one value each */
    pc.per_row = pc.hd - (uint32_t)n_rot / 2;
    pc.total = pc.per_row * pc.n_head * pc.n;
    /* in place, the tail is already where it belongs */
    if (n->dst->buffer == x->buffer && n->dst->offset == x->offset && n->dst->nb[1] == x->nb[1] &&
        n->dst->nb[2] == x->nb[2]) {
        pc.per_row = (uint32_t)n_rot / 2;
        pc.total = pc.per_row * pc.n_head * pc.n;
    }
    gl_vk_dispatch ds = {
        .shader = GL_VK_SHADER_VK_ROPE, .push = &pc, .push_size = sizeof pc, .n_bindings = 4};
    uint32_t xnb[4], ynb[4], pnb[4], fnb[4];
    glint_status st;
    if ((st = gl_vkops_bind(d, x, false, 4, &ds.bindings[0], xnb)) ||
        (st = gl_vkops_bind(d, n->src[1], false, 4, &ds.bindings[1], pnb)) ||
        (st = gl_vkops_bind(d, ff ? ff : x, false, 4, &ds.bindings[2], fnb)) ||
        (st = gl_vkops_bind(d, n->dst, true, 4, &ds.bindings[3], ynb)))
        return st;
    pc.xs = xnb[0], pc.xnb1 = xnb[1], pc.xnb2 = xnb[2];
    pc.ys = ynb[0], pc.ynb1 = ynb[1], pc.ynb2 = ynb[2];
    pc.ps = pnb[0], pc.fs = fnb[0];
    gl_vkops_grid(((uint64_t)pc.total + GL_VKOPS_WG - 1) / GL_VKOPS_WG, ds.groups);
    return gl_vk_record_dispatch(d, &ds);
}

const gl_vk_op gl_vk_op_rope = {rope_supports, rope_record};

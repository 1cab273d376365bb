/* ATTENTION on the GPU: causal GQA over an f16 or f32 KV cache with an online softmax, one
 * workgroup per (head, query row) (shaders/vulkan/attention.comp). */
#include "vkops.h"

#define GL_VK_ATTN_MAX_HEAD_DIM 256

typedef struct {
    uint32_t hd, n_head, group, n_past;
    uint32_t qs, qnb1, qnb2;
    uint32_t ks, knb1, knb2;
    uint32_t vs, vnb1, vnb2;
    uint32_t ys, ynb1;
    float scale;
} attention_push;

static bool attention_supports(const gl_vk_device *d, const gl_node *n) {
    const gl_tensor *q = n->src[0], *k = n->src[1], *v = n->src[2], *y = n->dst;
    if (!q || !y) return false;
    if (!k || !v || q->type != GLINT_TYPE_F32 || y->type != GLINT_TYPE_F32 ||
        (k->type != GLINT_TYPE_F16 && k->type != GLINT_TYPE_F32) || v->type != k->type)
        return false;
    const int64_t hd = q->ne[0], n_head = q->ne[1], nq = q->ne[2];
    if (hd > GL_VK_ATTN_MAX_HEAD_DIM || k->ne[0] != hd || !gl_vkops_same_shape(k, v) ||
        k->ne[1] <= 0 || n_head % k->ne[1] || q->ne[3] != 1 || k->ne[3] != 1)
        return false;
    const int64_t n_past = n->p.i[0];
    if (n_past < 0 || n_past + nq > k->ne[2] || nq > GL_VKOPS_MAX_GROUPS ||
        n_head > GL_VKOPS_MAX_GROUPS)
        return false;
    if (y->ne[0] != hd * n_head || y->ne[1] != nq || y->nb[0] != 4) return false;
    const size_t kv = k->type == GLINT_TYPE_F16 ? 2 : 4;
    return gl_vkops_fits(d, q, 4) && gl_vkops_fits(d, k, kv) && gl_vkops_fits(d, v, kv) &&
           gl_vkops_fits(d, y, 4);
}

static glint_status attention_record(gl_vk_device *d, const gl_node *n) {
    const gl_tensor *q = n->src[0], *k = n->src[1], *v = n->src[2];
    const bool f16 = k->type == GLINT_TYPE_F16;
    const size_t kv = f16 ? 2 : 4;
    attention_push pc = {.hd = (uint32_t)q->ne[0],
                         .n_head = (uint32_t)q->ne[1],
                         .group = (uint32_t)(q->ne[1] / k->ne[1]),
                         .n_past = (uint32_t)n->p.i[0],
                         .scale = n->p.f[0]};
    /* [subgroup][kv type: f32, f16 packed, f16 with 16-bit storage] */
    static const gl_vk_shader_id shaders[2][3] = {
        {GL_VK_SHADER_VK_ATTN_F32, GL_VK_SHADER_VK_ATTN_F16, GL_VK_SHADER_VK_ATTN_F16_S16},
        {GL_VK_SHADER_VK_ATTN_F32_SG, GL_VK_SHADER_VK_ATTN_F16_SG, GL_VK_SHADER_VK_ATTN_F16_S16_SG},
    };
    const int kind = !f16 ? 0 : gl_vkops_tier(d, GL_VK_FEAT_STORAGE16) ? 2 : 1;
    gl_vk_dispatch ds = {.shader = shaders[gl_vkops_tier(d, GL_VK_FEAT_SUBGROUP)][kind],
                         .push = &pc,
                         .push_size = sizeof pc,
                         .n_bindings = 4,
                         .groups = {(uint32_t)q->ne[1], (uint32_t)q->ne[2], 1}};
    uint32_t qnb[4], knb[4], vnb[4], ynb[4];
    glint_status st;
    if ((st = gl_vkops_bind(d, q, false, 4, &ds.bindings[0], qnb)) ||
        (st = gl_vkops_bind(d, k, false, kv, &ds.bindings[1], knb)) ||
        (st = gl_vkops_bind(d, v, false, kv, &ds.bindings[2], vnb)) ||
        (st = gl_vkops_bind(d, n->dst, true, 4, &ds.bindings[3], ynb)))
        return st;
    pc.qs = qnb[0], pc.qnb1 = qnb[1], pc.qnb2 = qnb[2];
    pc.ks = knb[0], pc.knb1 = knb[1], pc.knb2 = knb[2];
    pc.vs = vnb[0], pc.vnb1 = vnb[1], pc.vnb2 = vnb[2];
    /* K and V rows in whole groups of 4 values: read as vectors */
    ds.spec[0] = pc.hd % 4 == 0 && pc.ks % 4 == 0 && pc.knb1 % 4 == 0 && pc.knb2 % 4 == 0 &&
                 pc.vs % 4 == 0 && pc.vnb1 % 4 == 0 && pc.vnb2 % 4 == 0;
    ds.n_spec = 1;
    pc.ys = ynb[0], pc.ynb1 = ynb[1];
    return gl_vk_record_dispatch(d, &ds);
}

const gl_vk_op gl_vk_op_attention = {attention_supports, attention_record};

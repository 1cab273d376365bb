/* GET_ROWS (embedding lookup) on the GPU: f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K,
 * q5_K and q6_K rows dequantized to f32 (shaders/vulkan/get_rows.comp); other types are
 * declined and run on the CPU. */
#include "vkops.h"

typedef struct {
    uint32_t ne0, n, total, n_rows;
    uint32_t ws, wnb1;
    uint32_t is, ys, ynb1;
} get_rows_push;

static bool get_rows_type(glint_type t) {
    switch (t) {
    case GLINT_TYPE_F32:
    case GLINT_TYPE_F16:
    case GLINT_TYPE_BF16:
    case GLINT_TYPE_Q4_0:
    case GLINT_TYPE_Q4_1:
    case GLINT_TYPE_Q5_0:
    case GLINT_TYPE_Q5_1:
    case GLINT_TYPE_Q8_0:
    case GLINT_TYPE_Q4_K:
    case GLINT_TYPE_Q5_K:
    case GLINT_TYPE_Q6_K:
        return true;
    default:
        return false;
    }
}

static bool get_rows_supports(const gl_vk_device *d, const gl_node *n) {
    const gl_tensor *w = n->src[0], *ids = n->src[1], *y = n->dst;
    if (!get_rows_type(w->type) || !ids || ids->type != GLINT_TYPE_I32 || y->type != GLINT_TYPE_F32)
        return false;
    if (gl_row_size(w->type, w->ne[0]) == 0 || y->ne[0] != w->ne[0] || y->ne[1] < ids->ne[0] ||
        w->nb[1] % 4 || w->ne[2] != 1 || w->ne[3] != 1)
        return false;
    /* the weight is addressed in bytes: the whole of it must fit one binding */
    return gl_vkops_fits(d, w, 1) && gl_vkops_fits(d, ids, 4) && gl_vkops_fits(d, y, 4) &&
           (uint64_t)w->ne[0] * (uint64_t)ids->ne[0] <= UINT32_MAX;
}

static glint_status get_rows_record(gl_vk_device *d, const gl_node *n) {
    const gl_tensor *w = n->src[0], *ids = n->src[1];
    get_rows_push pc = {.ne0 = (uint32_t)w->ne[0],
                        .n = (uint32_t)ids->ne[0],
                        .n_rows = (uint32_t)w->ne[1],
                        .wnb1 = (uint32_t)w->nb[1]};
    pc.total = pc.ne0 * pc.n;
    gl_vk_dispatch ds = {.shader = GL_VK_SHADER_VK_GET_ROWS,
                         .spec = {(uint32_t)w->type},
                         .n_spec = 1,
                         .push = &pc,
                         .push_size = sizeof pc,
                         .n_bindings = 3};
    uint32_t wnb[4], inb[4], ynb[4];
    glint_status st;
    if ((st = gl_vkops_bind(d, w, false, 1, &ds.bindings[0], wnb)) ||
        (st = gl_vkops_bind(d, ids, false, 4, &ds.bindings[1], inb)) ||
        (st = gl_vkops_bind(d, n->dst, true, 4, &ds.bindings[2], ynb)))
        return st;
    /* halves and f32 values are read whole from words: rows must start at such a boundary */
    if (wnb[0] % (w->type == GLINT_TYPE_F32 ? 4 : 2)) return GLINT_ERROR_INTERNAL;
    pc.ws = wnb[0], pc.is = inb[0], pc.ys = ynb[0], pc.ynb1 = ynb[1];
    gl_vkops_grid(((uint64_t)pc.total + GL_VKOPS_WG - 1) / GL_VKOPS_WG, ds.groups);
    return gl_vk_record_dispatch(d, &ds);
}

const gl_vk_op gl_vk_op_get_rows = {get_rows_supports, get_rows_record};

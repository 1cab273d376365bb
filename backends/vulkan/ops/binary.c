/* ADD and MUL on the GPU, element-wise with src1 broadcast over rows when it has one row
 * (shaders/vulkan/binary.comp, which also serves GLU). */
#include "vkops.h"

typedef struct {
    uint32_t ne0, ne1, ne2, nrows;
    uint32_t a[4], b[4], y[4];
} binary_push;

bool gl_vkops_binary_supports(const gl_vk_device *d, const gl_node *n, bool broadcast);
glint_status gl_vkops_binary_record(gl_vk_device *d, const gl_node *n, uint32_t op);

bool gl_vkops_binary_supports(const gl_vk_device *d, const gl_node *n, bool broadcast) {
    const gl_tensor *a = n->src[0], *b = n->src[1], *y = n->dst;
    if (!a || !b || !y || a->type != GLINT_TYPE_F32 || b->type != GLINT_TYPE_F32 ||
        y->type != GLINT_TYPE_F32 || !gl_vkops_same_shape(a, y) || b->ne[0] != a->ne[0])
        return false;
    if (!(gl_vkops_same_shape(a, b) || (broadcast && gl_vkops_nrows(b) == 1))) return false;
    uint32_t grid[3];
    return gl_vkops_fits(d, a, 4) && gl_vkops_fits(d, b, 4) && gl_vkops_fits(d, y, 4) &&
           gl_vkops_grid_rows((uint64_t)a->ne[0], (uint64_t)gl_vkops_nrows(a), grid);
}

glint_status gl_vkops_binary_record(gl_vk_device *d, const gl_node *n, uint32_t op) {
    const gl_tensor *a = n->src[0], *b = n->src[1];
    binary_push pc = {.ne0 = (uint32_t)a->ne[0],
                      .ne1 = (uint32_t)a->ne[1],
                      .ne2 = (uint32_t)a->ne[2],
                      .nrows = (uint32_t)gl_vkops_nrows(a)};
    gl_vk_dispatch ds = {.shader = GL_VK_SHADER_VK_BINARY,
                         .spec = {op},
                         .n_spec = 1,
                         .push = &pc,
                         .push_size = sizeof pc,
                         .n_bindings = 3};
    glint_status st;
    if ((st = gl_vkops_bind(d, a, false, 4, &ds.bindings[0], pc.a)) ||
        (st = gl_vkops_bind(d, b, false, 4, &ds.bindings[1], pc.b)) ||
        (st = gl_vkops_bind(d, n->dst, true, 4, &ds.bindings[2], pc.y)))
        return st;
    if (gl_vkops_nrows(b) == 1) pc.b[1] = pc.b[2] = pc.b[3] = 0; /* broadcast */
    uint32_t ne[4] = {pc.ne0, pc.ne1, pc.ne2, (uint32_t)a->ne[3]};
    gl_vkops_collapse(ne, (uint32_t *const[]){pc.a, pc.b, pc.y}, 3);
    pc.ne0 = ne[0], pc.ne1 = ne[1], pc.ne2 = ne[2], pc.nrows = ne[1] * ne[2] * ne[3];
    if (!gl_vkops_grid_rows(pc.ne0, pc.nrows, ds.groups)) return GLINT_ERROR_UNSUPPORTED;
    return gl_vk_record_dispatch(d, &ds);
}

static bool binary_supports(const gl_vk_device *d, const gl_node *n) {
    return gl_vkops_binary_supports(d, n, true);
}
static glint_status add_record(gl_vk_device *d, const gl_node *n) {
    return gl_vkops_binary_record(d, n, 0);
}
static glint_status mul_record(gl_vk_device *d, const gl_node *n) {
    return gl_vkops_binary_record(d, n, 1);
}

const gl_vk_op gl_vk_op_add = {binary_supports, add_record};
const gl_vk_op gl_vk_op_mul = {binary_supports, mul_record};

/* GET_ROWS (embedding lookup) on the GPU: f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K,
 * q5_K and q6_K rows dequantized to f32 (shaders/vulkan/get_rows.comp); other types are
 * declined and run on the CPU. An embedding larger than one storage-buffer binding (256 MiB on
 * many phones) is bound in pieces of whole rows, one dispatch per piece: the ids live on the
 * GPU, so each dispatch writes the outputs whose id falls in its piece. */
#include "vkops.h"

#include <stdlib.h>

typedef struct {
    uint32_t ne0, n, total, n_rows;
    uint32_t ws, wnb1;
    uint32_t is, ys, ynb1;
    uint32_t row_lo, row_cnt;
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

/* The largest binding of one piece: the device limit, lowered by GLINT_VK_MAX_RANGE (a test
 * hook that forces pieces on small tensors), below 4 GiB so byte offsets fit a uint. */
static uint64_t max_range(const gl_vk_caps *c) {
    uint64_t r = c->max_storage_buffer_range;
    const char *env = getenv("GLINT_VK_MAX_RANGE");
    if (env && *env) {
        char *end = NULL;
        const unsigned long long v = strtoull(env, &end, 0);
        if (end && *end == '\0' && v > 0 && v < r) r = v;
    }
    return GL_MIN(r, (uint64_t)UINT32_MAX - 3);
}

/* Whole rows per piece whatever the skew of its start and the binding's rounding up to 16
 * bytes; 0 when not even one fits. */
static uint64_t rows_per_piece(const gl_vk_caps *c, size_t row_bytes) {
    const uint64_t align = GL_MAX(c->min_storage_offset_alignment, (uint64_t)4);
    const uint64_t range = max_range(c);
    if (range < align + 16 + row_bytes) return 0;
    return (range - align - 16) / row_bytes;
}

static bool get_rows_supports(const gl_vk_device *d, const gl_node *n) {
    const gl_tensor *w = n->src[0], *ids = n->src[1], *y = n->dst;
    if (!w || !y) return false;
    if (!get_rows_type(w->type) || !ids || ids->type != GLINT_TYPE_I32 || y->type != GLINT_TYPE_F32)
        return false;
    const size_t row = gl_row_size(w->type, w->ne[0]);
    if (row == 0 || y->ne[0] != w->ne[0] || y->ne[1] < ids->ne[0] || w->nb[1] < row ||
        w->nb[1] % 4 || w->ne[1] <= 0 || w->ne[1] > INT32_MAX || w->ne[2] != 1 || w->ne[3] != 1)
        return false;
    uint32_t grid[3];
    return rows_per_piece(gl_vk_device_caps(d), w->nb[1]) > 0 && gl_vkops_fits(d, ids, 4) &&
           gl_vkops_grid_rows((uint64_t)w->ne[0], (uint64_t)ids->ne[0], grid) &&
           gl_vkops_fits(d, y, 4) && (uint64_t)w->ne[0] * (uint64_t)ids->ne[0] <= UINT32_MAX;
}

static glint_status get_rows_record(gl_vk_device *d, const gl_node *n) {
    const gl_tensor *w = n->src[0], *ids = n->src[1];
    const gl_vk_caps *c = gl_vk_device_caps(d);
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
    uint32_t inb[4], ynb[4];
    glint_status st;
    if ((st = gl_vkops_bind(d, ids, false, 4, &ds.bindings[1], inb)) ||
        (st = gl_vkops_bind(d, n->dst, true, 4, &ds.bindings[2], ynb)))
        return st;
    pc.is = inb[0], pc.ys = ynb[0], pc.ynb1 = ynb[1];
    const uint64_t per_piece = rows_per_piece(c, w->nb[1]);
    const size_t row = gl_row_size(w->type, w->ne[0]);
    if (!gl_vkops_grid_rows(pc.ne0, pc.n, ds.groups)) return GLINT_ERROR_UNSUPPORTED;
    for (uint64_t r0 = 0; r0 < (uint64_t)w->ne[1]; r0 += per_piece) {
        const uint64_t rows = GL_MIN(per_piece, (uint64_t)w->ne[1] - r0);
        const gl_vk_range piece =
            gl_vk_tensor_piece(d, w, r0 * w->nb[1], (rows - 1) * w->nb[1] + row, false);
        /* halves and f32 values are read whole from words */
        if (piece.buffer == VK_NULL_HANDLE || piece.skew % (w->type == GLINT_TYPE_F32 ? 4 : 2))
            return GLINT_ERROR_INTERNAL;
        ds.bindings[0] = piece;
        pc.ws = piece.skew;
        pc.row_lo = (uint32_t)r0;
        pc.row_cnt = (uint32_t)rows;
        if ((st = gl_vk_record_dispatch(d, &ds))) return st;
    }
    return GLINT_OK;
}

const gl_vk_op gl_vk_op_get_rows = {get_rows_supports, get_rows_record};

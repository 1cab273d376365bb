/* MUL_MAT on Vulkan: dst[m, n] f32 = w[k, m] (any weight type, GGUF block layout) x a[k, n] f32.
 * n <= 8: the matrix-vector shader (one workgroup per row of w, k split over the invocations);
 * n > 8: the tiled shader (64 rows x 8 columns per workgroup). Weights larger than the storage
 * buffer range are bound and dispatched in pieces of whole rows. Shaders: shaders/vulkan/
 * mul_mat*.comp, block layouts in types.glsl. */
#include "vk_internal.h"

#include <stdlib.h>

/* Columns the matrix-vector shader handles in one pass (MV_COLS in mul_mat_vec.comp) and the
 * tile of the tiled one (64 rows, MM_COLS columns). */
#define GL_MM_VEC_COLS   8
#define GL_MM_VEC_ROWS   4 /* rows per workgroup of the matrix-vector shader at n = 1 (MV_ROWS) */
#define GL_MM_TILE_ROWS  64
#define GL_MM_TILE_COLS  8
#define GL_MM_UNIT       32 /* values per unit of work in the shaders: k must be a multiple */
#define GL_MM_MAX_GROUPS 65535u

typedef struct gl_mm_shaders {
    bool ok;
    gl_vk_shader_id vec, vec_sg, tiled;
} gl_mm_shaders;

#define GL_MM_ROW(T)                                                                               \
    [GLINT_TYPE_##T] = {true, GL_VK_SHADER_MUL_MAT_VEC_##T, GL_VK_SHADER_MUL_MAT_VEC_##T##_SG,     \
                        GL_VK_SHADER_MUL_MAT_##T}

static const gl_mm_shaders g_mm_shaders[GLINT_TYPE_COUNT] = {
    GL_MM_ROW(F32),  GL_MM_ROW(F16),  GL_MM_ROW(BF16), GL_MM_ROW(Q4_0),
    GL_MM_ROW(Q4_1), GL_MM_ROW(Q5_0), GL_MM_ROW(Q5_1), GL_MM_ROW(Q8_0),
    GL_MM_ROW(Q4_K), GL_MM_ROW(Q5_K), GL_MM_ROW(Q6_K),
};

/* Mirrors `Params` in mul_mat_common.glsl. */
typedef struct gl_mm_push {
    uint32_t units, rows, n;
    uint32_t w_off, w_row;
    uint32_t a_off, a_stride;
    uint32_t d_off, d_stride;
} gl_mm_push;

static const gl_mm_shaders *mm_shaders(glint_type t) {
    if ((unsigned)t >= GLINT_TYPE_COUNT || !g_mm_shaders[t].ok) return NULL;
    return &g_mm_shaders[t];
}

static bool is_2d(const gl_tensor *t) {
    return t->ne[2] == 1 && t->ne[3] == 1;
}

/* The largest binding for one piece of the weight: the device limit, lowered by
 * GLINT_VK_MAX_RANGE (a test hook that forces the piecewise path on small tensors), and kept
 * below 4 GiB so byte offsets fit the shaders' uint. */
static uint64_t mm_max_range(const gl_vk_caps *c) {
    uint64_t r = c->max_storage_buffer_range;
    const char *env = getenv("GLINT_VK_MAX_RANGE");
    if (env && *env) {
        char *end = NULL;
        const unsigned long long v = strtoull(env, &end, 0);
        if (end && *end == '\0' && v > 0 && v < r) r = v;
    }
    return GL_MIN(r, (uint64_t)UINT32_MAX - 3);
}

/* Rows of w that fit one binding, whatever the skew of its start. */
static uint64_t mm_rows_per_piece(const gl_vk_caps *c, size_t row_bytes) {
    const uint64_t align = GL_MAX(c->min_storage_offset_alignment, (uint64_t)4);
    const uint64_t range = mm_max_range(c);
    if (range < align + 4 + row_bytes) return 0;
    return (range - align - 4) / row_bytes;
}

static bool mm_supports(const gl_vk_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *a = nd->src[1], *dst = nd->dst;
    if (!w || !a || !dst || !mm_shaders(w->type)) return false;
    if (a->type != GLINT_TYPE_F32 || dst->type != GLINT_TYPE_F32) return false;
    if (!is_2d(w) || !is_2d(a) || !is_2d(dst)) return false;
    const int64_t k = w->ne[0], m = w->ne[1], n = a->ne[1];
    if (k <= 0 || m <= 0 || n <= 0 || k % GL_MM_UNIT != 0 || a->ne[0] != k || dst->ne[0] != m ||
        dst->ne[1] != n)
        return false;
    const gl_type_traits *tr = gl_type_get(w->type);
    const size_t row = gl_row_size(w->type, k);
    if (!tr || !row || w->nb[0] != tr->type_size || w->nb[1] != row) return false;
    if (a->nb[0] != sizeof(float) || a->nb[1] % sizeof(float) || dst->nb[0] != sizeof(float) ||
        dst->nb[1] % sizeof(float))
        return false;
    const gl_vk_caps *c = gl_vk_device_caps(d);
    if (mm_rows_per_piece(c, row) == 0) return false;
    /* a and dst are bound whole; their float indices must fit uint. */
    const uint64_t a_span = (uint64_t)(n - 1) * a->nb[1] + (uint64_t)k * sizeof(float);
    const uint64_t d_span = (uint64_t)(n - 1) * dst->nb[1] + (uint64_t)m * sizeof(float);
    const uint64_t lim = GL_MIN(c->max_storage_buffer_range, (uint64_t)UINT32_MAX - 3);
    /* (+16: the recorder rounds bindings up to 16-byte words) */
    if (a_span + c->min_storage_offset_alignment + 16 > lim ||
        d_span + c->min_storage_offset_alignment + 16 > lim)
        return false;
    if ((uint64_t)(n + GL_MM_TILE_COLS - 1) / GL_MM_TILE_COLS > GL_MM_MAX_GROUPS) return false;
    return true;
}

/* Rounds a binding's size up to whole words (the shaders read w through a uint view), staying
 * inside the tensor's buffer. */
static VkDeviceSize mm_word_size(const gl_tensor *t, VkDeviceSize offset, VkDeviceSize size) {
    const gl_vk_buffer *vb = t->buffer ? (const gl_vk_buffer *)t->buffer->impl : NULL;
    VkDeviceSize want = (size + 3) & ~(VkDeviceSize)3;
    if (vb && offset + want > vb->offset + vb->size) want = vb->offset + vb->size - offset;
    return GL_MAX(want, size);
}

static glint_status mm_record(gl_vk_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *a = nd->src[1], *dst = nd->dst;
    const gl_mm_shaders *sh = mm_shaders(w->type);
    const gl_vk_caps *c = gl_vk_device_caps(d);
    if (!sh || !mm_supports(d, nd)) {
        GL_LOGE("vulkan mul_mat: cannot run node '%s'", dst->name ? dst->name : "?");
        return GLINT_ERROR_UNSUPPORTED;
    }
    const uint32_t k = (uint32_t)w->ne[0], m = (uint32_t)w->ne[1], n = (uint32_t)a->ne[1];
    const size_t row = w->nb[1];
    const uint64_t align = GL_MAX(c->min_storage_offset_alignment, (uint64_t)1);
    /* Also keeps the tiled grid within the 65535-workgroup limit. */
    const uint64_t per_piece =
        GL_MIN(mm_rows_per_piece(c, row), (uint64_t)GL_MM_MAX_GROUPS * GL_MM_TILE_ROWS);

    const gl_vk_range ra = gl_vk_tensor_range(d, a, false);
    const gl_vk_range rd = gl_vk_tensor_range(d, dst, true);
    const gl_vk_range rw = gl_vk_tensor_range(d, w, false);
    if (!ra.buffer || !rd.buffer || !rw.buffer) {
        GL_LOGE("vulkan mul_mat: '%s': a tensor is not inside a Vulkan buffer",
                dst->name ? dst->name : "?");
        return GLINT_ERROR_INVALID_ARGUMENT;
    }
    if (ra.skew % sizeof(float) || rd.skew % sizeof(float)) {
        GL_LOGE("vulkan mul_mat: '%s': activations or output not 4-byte aligned",
                dst->name ? dst->name : "?");
        return GLINT_ERROR_UNSUPPORTED;
    }
    const VkDeviceSize w_start = rw.offset + rw.skew; /* byte 0 of w in rw.buffer */
    /* The shaders read f32 weights as words and fp16 fields as aligned halves. */
    if (w_start % (w->type == GLINT_TYPE_F32 ? 4 : 2)) {
        GL_LOGE("vulkan mul_mat: weight '%s' starts at an odd offset", w->name ? w->name : "?");
        return GLINT_ERROR_UNSUPPORTED;
    }
    const bool vec = n <= GL_MM_VEC_COLS;
    const gl_vk_shader_id shader =
        vec ? ((c->enabled & GL_VK_FEAT_SUBGROUP) ? sh->vec_sg : sh->vec) : sh->tiled;

    for (uint64_t r0 = 0; r0 < m; r0 += per_piece) {
        const uint32_t rows = (uint32_t)GL_MIN(per_piece, (uint64_t)m - r0);
        const VkDeviceSize begin = w_start + r0 * row;
        const VkDeviceSize off = begin / align * align;
        const uint32_t skew = (uint32_t)(begin - off);
        gl_vk_range piece = rw;
        piece.offset = off;
        piece.skew = skew;
        piece.size = mm_word_size(w, off, skew + (VkDeviceSize)rows * row);
        piece.write = false;

        const gl_mm_push pc = {
            .units = k / GL_MM_UNIT,
            .rows = rows,
            .n = n,
            .w_off = skew,
            .w_row = (uint32_t)row,
            .a_off = ra.skew / (uint32_t)sizeof(float),
            .a_stride = (uint32_t)(a->nb[1] / sizeof(float)),
            .d_off = rd.skew / (uint32_t)sizeof(float) + (uint32_t)r0,
            .d_stride = (uint32_t)(dst->nb[1] / sizeof(float)),
        };
        gl_vk_dispatch ds = {
            .shader = shader,
            .push = &pc,
            .push_size = sizeof pc,
            .bindings = {piece, ra, rd},
            .n_bindings = 3,
        };
        if (vec) {
            const uint32_t wgs = n == 1 ? (rows + GL_MM_VEC_ROWS - 1) / GL_MM_VEC_ROWS : rows;
            ds.groups[0] = GL_MIN(wgs, GL_MM_MAX_GROUPS);
            ds.groups[1] = (wgs + ds.groups[0] - 1) / ds.groups[0];
        } else {
            ds.groups[0] = (rows + GL_MM_TILE_ROWS - 1) / GL_MM_TILE_ROWS;
            ds.groups[1] = (n + GL_MM_TILE_COLS - 1) / GL_MM_TILE_COLS;
        }
        ds.groups[2] = 1;
        const glint_status st = gl_vk_record_dispatch(d, &ds);
        if (st) return st;
    }
    return GLINT_OK;
}

const gl_vk_op gl_vk_op_mul_mat = {
    .supports = mm_supports,
    .record = mm_record,
};

/* Helpers shared by the vkops op files (everything but MUL_MAT): tensor strides and skews in
 * elements for push constants, shape checks for supports(), and dispatch grids. */
#ifndef GLINT_VKOPS_H
#define GLINT_VKOPS_H

#include "vk_internal.h"

/* Each op's shaders run WG invocations per workgroup (common.glsl). */
#define GL_VKOPS_WG         64
#define GL_VKOPS_MAX_GROUPS 65535u
/* Values per invocation along a row in row-wise grids (ROW_STEP in common.glsl). */
#define GL_VKOPS_ROW_STEP 4

static inline int64_t gl_vkops_nrows(const gl_tensor *t) {
    return t->ne[1] * t->ne[2] * t->ne[3];
}

/* Byte span from element 0 to one past the last element. */
static inline uint64_t gl_vkops_span(const gl_tensor *t) {
    const gl_type_traits *tr = gl_type_get(t->type);
    uint64_t s = tr ? (uint64_t)gl_row_size(t->type, t->ne[0]) : 0;
    for (int i = 1; i < GL_MAX_DIMS; i++) s += (uint64_t)(t->ne[i] - 1) * t->nb[i];
    return s;
}

/* Whether `t` is addressable by 32-bit element indices within one binding: strides are whole
 * elements of `esize` bytes, the span fits the device's storage-buffer range, and every dim
 * is positive. */
static inline bool gl_vkops_fits(const gl_vk_device *d, const gl_tensor *t, size_t esize) {
    if (!t) return false;
    for (int i = 0; i < GL_MAX_DIMS; i++) {
        if (t->ne[i] <= 0 || t->ne[i] > (int64_t)UINT32_MAX) return false;
        if (i > 0 && t->nb[i] % esize) return false;
    }
    const uint64_t span = gl_vkops_span(t);
    const uint64_t limit = gl_vk_device_caps(d)->max_storage_buffer_range;
    /* the binding starts up to one alignment before the tensor and ends rounded up to 16 */
    return span + gl_vk_device_caps(d)->min_storage_offset_alignment + 16 <=
           GL_MIN(limit, UINT32_MAX);
}

static inline bool gl_vkops_same_shape(const gl_tensor *a, const gl_tensor *b) {
    for (int i = 0; i < GL_MAX_DIMS; i++)
        if (a->ne[i] != b->ne[i]) return false;
    return true;
}

/* Binding of `t` plus its skew and strides in elements of `esize` bytes (nb[0] of the
 * result is the skew). */
static inline glint_status gl_vkops_bind(const gl_vk_device *d, const gl_tensor *t, bool write,
                                         size_t esize, gl_vk_range *r, uint32_t nb[4]) {
    *r = gl_vk_tensor_range(d, t, write);
    if (r->buffer == VK_NULL_HANDLE || r->skew % esize) return GLINT_ERROR_INTERNAL;
    nb[0] = (uint32_t)(r->skew / esize);
    for (int i = 1; i < 4; i++) nb[i] = (uint32_t)(t->nb[i] / esize);
    return GLINT_OK;
}

/* Workgroup counts for `groups` workgroups, spread over y past the 65535 limit of x
 * (common.glsl's flat_group() undoes it). */
static inline void gl_vkops_grid(uint64_t groups, uint32_t out[3]) {
    if (groups == 0) groups = 1;
    const uint64_t x = GL_MIN(groups, (uint64_t)GL_VKOPS_MAX_GROUPS);
    out[0] = (uint32_t)x;
    out[1] = (uint32_t)((groups + x - 1) / x);
    out[2] = 1;
}

/* Row-wise grids (common.glsl's grid_row): blocks of WG * ROW_STEP values along x, `rows` rows
 * over y and z. False when a row needs more than 65535 blocks or rows do not fit. */
static inline bool gl_vkops_grid_rows(uint64_t ne0, uint64_t rows, uint32_t out[3]) {
    const uint64_t x =
        (ne0 + GL_VKOPS_WG * GL_VKOPS_ROW_STEP - 1) / (GL_VKOPS_WG * GL_VKOPS_ROW_STEP);
    if (x == 0 || x > GL_VKOPS_MAX_GROUPS || rows == 0) return false;
    const uint64_t y = GL_MIN(rows, (uint64_t)GL_VKOPS_MAX_GROUPS);
    const uint64_t z = (rows + y - 1) / y;
    if (z > GL_VKOPS_MAX_GROUPS) return false;
    out[0] = (uint32_t)x, out[1] = (uint32_t)y, out[2] = (uint32_t)z;
    return true;
}

/* Element-wise ops over tensors of one shape: merges dim 1 into dim 0 while every tensor's
 * rows follow each other (nb1 == ne0 in elements), so short rows such as [hd, n_head, n]
 * views become one long row. ne[4] is the shape; nb[t] are tensor t's {skew, nb1, nb2, nb3}
 * in elements (a broadcast tensor has 0 strides and stops the merge). */
static inline void gl_vkops_collapse(uint32_t ne[4], uint32_t *const nb[], int nt) {
    while (ne[1] > 1 && (uint64_t)ne[0] * ne[1] <= (1u << 22)) {
        for (int t = 0; t < nt; t++)
            if (nb[t][1] != ne[0]) return;
        ne[0] *= ne[1];
        ne[1] = ne[2], ne[2] = ne[3], ne[3] = 1;
        for (int t = 0; t < nt; t++) nb[t][1] = nb[t][2], nb[t][2] = nb[t][3];
    }
}

static inline bool gl_vkops_tier(const gl_vk_device *d, uint32_t feat) {
    return (gl_vk_device_caps(d)->enabled & feat) != 0;
}

#endif

/* Helpers shared by the OpenCL op files: shape and stride checks for supports(), work sizes,
 * and kernel arguments. Kernels index a tensor with 32-bit element indices relative to its
 * first element (buffer + byte offset, cast to the element type), so a tensor qualifies when
 * its offset and strides are whole elements and its span fits 32 bits of them. */
#ifndef GLINT_CLOPS_H
#define GLINT_CLOPS_H

#include "cl_internal.h"

/* Work-group size of row kernels (reductions over a row, element-wise blocks). */
#define GL_CLOPS_WG 64

/* Each op file defines one of these; ops/table.c indexes them by gl_op. */
extern const gl_cl_op gl_cl_op_get_rows;
extern const gl_cl_op gl_cl_op_rms_norm;
extern const gl_cl_op gl_cl_op_mul;
extern const gl_cl_op gl_cl_op_add;
extern const gl_cl_op gl_cl_op_rope;
extern const gl_cl_op gl_cl_op_glu;
extern const gl_cl_op gl_cl_op_mul_mat;
extern const gl_cl_op gl_cl_op_attention;
extern const gl_cl_op gl_cl_op_cpy;
extern const gl_cl_op gl_cl_op_softmax;
extern const gl_cl_op gl_cl_op_argmax;

/* ---- weights (mul_mat.cl: MUL_MAT and GET_ROWS) --------------------------------------------- */

/* The build option that selects a weight type's decoder in mul_mat.cl; NULL: not supported. */
static inline const char *gl_clops_weight_option(glint_type t) {
    static const char *const opt[GLINT_TYPE_COUNT] = {
        [GLINT_TYPE_F32] = "-DTYPE_F32=1",   [GLINT_TYPE_F16] = "-DTYPE_F16=1",
        [GLINT_TYPE_BF16] = "-DTYPE_BF16=1", [GLINT_TYPE_Q4_0] = "-DTYPE_Q4_0=1",
        [GLINT_TYPE_Q4_1] = "-DTYPE_Q4_1=1", [GLINT_TYPE_Q5_0] = "-DTYPE_Q5_0=1",
        [GLINT_TYPE_Q5_1] = "-DTYPE_Q5_1=1", [GLINT_TYPE_Q8_0] = "-DTYPE_Q8_0=1",
        [GLINT_TYPE_Q4_K] = "-DTYPE_Q4_K=1", [GLINT_TYPE_Q5_K] = "-DTYPE_Q5_K=1",
        [GLINT_TYPE_Q6_K] = "-DTYPE_Q6_K=1",
    };
    return (unsigned)t < GLINT_TYPE_COUNT ? opt[t] : NULL;
}

/* f32 weights are read as floats, every other type's fp16 fields (f16 and bf16 values, quant
 * scales) as aligned halves (all block sizes are even), so rows start at multiples of this. */
static inline size_t gl_clops_weight_align(glint_type t) {
    return t == GLINT_TYPE_F32 ? 4 : 2;
}

/* ---- shapes --------------------------------------------------------------------------------- */

static inline int64_t gl_clops_nrows(const gl_tensor *t) {
    return t->ne[1] * t->ne[2] * t->ne[3];
}

static inline bool gl_clops_same_shape(const gl_tensor *a, const gl_tensor *b) {
    for (int i = 0; i < GL_MAX_DIMS; i++)
        if (a->ne[i] != b->ne[i]) return false;
    return true;
}

/* Bytes from element 0 to one past the last element (0 for an unknown type). */
static inline uint64_t gl_clops_span(const gl_tensor *t) {
    if (!gl_type_get(t->type)) return 0;
    uint64_t s = (uint64_t)gl_row_size(t->type, t->ne[0]);
    for (int i = 1; i < GL_MAX_DIMS; i++) s += (uint64_t)(t->ne[i] - 1) * t->nb[i];
    return s;
}

/* Whether kernels can address `t` with 32-bit indices in elements of `esize` bytes: every dim
 * positive, offset and strides whole elements, the span within UINT32_MAX elements and within
 * the device's largest allocation, and the row count (dims 1..3) within 32 bits. */
static inline bool gl_clops_fits(gl_cl_device *d, const gl_tensor *t, size_t esize) {
    if (!t || !t->buffer || !esize || t->offset % esize) return false;
    uint64_t rows = 1;
    for (int i = 0; i < GL_MAX_DIMS; i++) {
        if (t->ne[i] <= 0 || t->ne[i] > (int64_t)UINT32_MAX) return false;
        if (i > 0 && t->nb[i] % esize) return false;
        if (i > 0 && (rows *= (uint64_t)t->ne[i]) >= UINT32_MAX) return false; /* row counts */
    }
    const uint64_t span = gl_clops_span(t);
    return span > 0 && span / esize < UINT32_MAX && span <= gl_cl_device_caps(d)->max_alloc;
}

/* Strides nb[1..3] of `t` in elements of `esize` bytes (kernel arguments). */
static inline void gl_clops_strides(const gl_tensor *t, size_t esize, cl_uint out[3]) {
    for (int i = 0; i < 3; i++) out[i] = (cl_uint)(t->nb[i + 1] / esize);
}

/* Element-wise ops over tensors of one shape: merges dim 1 into dim 0 while every tensor's
 * rows follow each other (nb1 == ne0 in elements), so [hd, n_head, n] views of contiguous
 * memory become one long row. ne is the shape; nb[t] are tensor t's {nb1, nb2, nb3} in
 * elements (a broadcast tensor has 0 strides and stops the merge). */
static inline void gl_clops_collapse(uint64_t ne[4], cl_uint *const nb[], int nt) {
    while (ne[1] > 1 && ne[0] * ne[1] < UINT32_MAX) {
        for (int t = 0; t < nt; t++)
            if (nb[t][0] != ne[0]) return;
        ne[0] *= ne[1];
        ne[1] = ne[2], ne[2] = ne[3], ne[3] = 1;
        for (int t = 0; t < nt; t++) nb[t][0] = nb[t][1], nb[t][1] = nb[t][2];
    }
}

/* ---- work sizes ----------------------------------------------------------------------------- */

/* The work-group size for kernel k: `want` limited by the device and by what the compiled
 * kernel allows (register-heavy kernels get less on some GPUs), rounded down to a power of
 * two. */
static inline size_t gl_clops_wg(gl_cl_device *d, cl_kernel k, size_t want) {
    size_t max = gl_cl_device_caps(d)->max_wg, kmax = 0;
    if (clGetKernelWorkGroupInfo(k, NULL, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax, NULL) ==
            CL_SUCCESS &&
        kmax > 0)
        max = GL_MIN(max, kmax);
    size_t wg = 1;
    while (wg * 2 <= GL_MIN(want, max)) wg *= 2;
    return wg;
}

/* A 2-D local size of `wg` items for rows of ne0 values: short rows get several rows per
 * work-group instead of idle items. */
static inline void gl_clops_local_rows(uint64_t ne0, size_t wg, size_t local[2]) {
    size_t x = 1;
    while (x < wg && x < ne0) x *= 2;
    local[0] = x;
    local[1] = wg / x;
}

/* The work-group size for a kernel that reduces rows of ne0 values with one work-group per
 * row: about 4 values per item, at most 256 items. */
static inline size_t gl_clops_row_wg(gl_cl_device *d, cl_kernel k, uint64_t ne0) {
    size_t want = 1;
    while (want < 256 && want * 4 < ne0) want *= 2;
    return gl_clops_wg(d, k, want);
}

/* ---- kernel arguments ----------------------------------------------------------------------- */

/* Sets a kernel's arguments in order; the first failure is kept in st. */
typedef struct gl_clops_args {
    cl_kernel k;
    cl_uint n;
    glint_status st;
} gl_clops_args;

static inline gl_clops_args gl_clops_args_begin(cl_kernel k) {
    return (gl_clops_args){k, 0, GLINT_OK};
}

static inline void gl_clops_arg_raw(gl_clops_args *a, size_t size, const void *v) {
    if (a->st == GLINT_OK) {
        const cl_int e = clSetKernelArg(a->k, a->n, size, v);
        if (e != CL_SUCCESS) {
            GL_LOGE("opencl: clSetKernelArg(%u, %zu bytes) failed: %d", a->n, size, (int)e);
            a->st = GLINT_ERROR_INTERNAL;
        }
    }
    a->n++;
}

/* Two arguments: the tensor's buffer and its byte offset (ulong). */
static inline void gl_clops_arg_tensor(gl_clops_args *a, const gl_tensor *t) {
    if (a->st == GLINT_OK) a->st = gl_cl_set_tensor(a->k, a->n, t);
    a->n += 2;
}

static inline void gl_clops_arg_u32(gl_clops_args *a, cl_uint v) {
    gl_clops_arg_raw(a, sizeof v, &v);
}
static inline void gl_clops_arg_i32(gl_clops_args *a, cl_int v) {
    gl_clops_arg_raw(a, sizeof v, &v);
}
static inline void gl_clops_arg_f32(gl_clops_args *a, cl_float v) {
    gl_clops_arg_raw(a, sizeof v, &v);
}
static inline void gl_clops_arg_u64(gl_clops_args *a, cl_ulong v) {
    gl_clops_arg_raw(a, sizeof v, &v);
}
/* A `local` buffer of `bytes`. */
static inline void gl_clops_arg_local(gl_clops_args *a, size_t bytes) {
    gl_clops_arg_raw(a, bytes, NULL);
}

/* ---- element-wise kernels (ops/binary.c) ---------------------------------------------------- */

/* Enqueues `kernel` of `program` over tensors t[0..nt) of one shape (the last is the
 * destination; those marked in bcast are single rows broadcast over the others' rows). The
 * kernel's arguments: each tensor's buffer and offset, then ne0, ne1, ne2, nrows, then each
 * tensor's nb1, nb2, nb3 in elements of esize[i] bytes; its range is (values, rows). */
glint_status gl_clops_eltwise(gl_cl_device *d, const char *program, const char *kernel,
                              const gl_tensor *const *t, const size_t *esize, const bool *bcast,
                              int nt);

static inline bool gl_clops_tier(gl_cl_device *d, uint32_t tier) {
    return (gl_cl_device_caps(d)->enabled & tier) != 0;
}

#endif

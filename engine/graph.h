/* The op IR: tensors (shape + strides + where the bytes live) and nodes
 * {op, dst, src[<=4], params, layer}. A forward pass is a flat array of nodes built by an
 * architecture's graph builder and run by backends in contiguous runs. */
#ifndef GLINT_GRAPH_H
#define GLINT_GRAPH_H

#include "common.h"
#include "types.h"

#define GL_MAX_DIMS 4
#define GL_MAX_SRC  4

struct gl_buffer;

/* ne[0] is the innermost (contiguous) dimension: a matrix of m rows of k values has
 * ne = {k, m, 1, 1}. nb[] are byte strides; nb[0] is the type size (block size for quants). */
typedef struct gl_tensor {
    glint_type type;
    int64_t ne[GL_MAX_DIMS];
    size_t nb[GL_MAX_DIMS];
    void *data;               /* host address of element 0 when host-visible, else NULL */
    struct gl_buffer *buffer; /* the memory it lives in; NULL for host memory not owned here */
    size_t offset;            /* of element 0 within buffer */
    const char *name;         /* for messages; borrowed */
    uint8_t layout;           /* gl_layout: how the bytes in `buffer` are arranged (weights
                                 only); `data`, where it is not inside that buffer, is GGUF */
} gl_tensor;

/* GL_LAYOUT_Q4_0X8: a Q4_0 [k, m] weight (m % 8 == 0) in strips of 8 rows; strip s, block b
 * sits at byte (8 * s * (k / 32) + 8 * b) * 18: the 8 rows' halves d[0..7], then 128 bytes
 * where byte 32 * g + 4 * r + t is qs[4 * g + t] of row r (g < 4, t < 4). Same size as GGUF. */
/* GL_LAYOUT_SOA: a Q4_0 or Q8_0 [k, m] weight as two arrays, the quants of every block in
 * order (block b = row * (k / 32) + unit, 16 or 32 bytes each) and then every block's fp16
 * scale: one block's quants are whole aligned 16-byte words, what a GPU loads (or reads as an
 * image texel) in one go. Same size as GGUF; GPU backends only (OpenCL). */
typedef enum gl_layout { GL_LAYOUT_GGUF = 0, GL_LAYOUT_Q4_0X8 = 1, GL_LAYOUT_SOA = 2 } gl_layout;

#define GL_OP_LIST(X)                                                                              \
    X(GET_ROWS)  /* dst[:, i] = src0[:, src1[i]]; src0 any type, src1 i32, dst f32 */              \
    X(RMS_NORM)  /* dst = src0 / rms(src0) over ne0 (* src1 if given, broadcast over rows) */      \
    X(MUL)       /* dst = src0 * src1, src1 broadcast over rows when ne1 == 1 */                   \
    X(ADD)       /* dst = src0 + src1, src1 broadcast over rows when ne1 == 1 */                   \
    X(ROPE)      /* rotary embedding of src0 [hd, n_head, n] at positions src1 (i32 [n]);          \
                    src2: optional per-pair frequency factors (f32 [n_rot/2]) */                   \
    X(GLU)       /* dst = act(src0) * src1 (gated FFN); p.i[0] = gl_glu_kind */                    \
    X(MUL_MAT)   /* dst[m, n] = src0 (weights, [k, m], any type) . src1 (f32 [k, n]) */            \
    X(ATTENTION) /* causal GQA attention of q = src0 [hd, n_head, n] over the cache:               \
                    src1 = K cache [hd, n_kv_head, n_ctx], src2 = V cache (same shape);            \
                    dst [hd * n_head, n]; p.i[0] = n_past (position of q's first row),             \
                    p.f[0] = scale */                                                              \
    X(CPY)       /* dst = src0 converted to dst's type (f32 -> f16/f32); same element count */     \
    X(SOFTMAX)   /* dst = softmax(src0 * p.f[0]) over ne0 */                                       \
    X(ARGMAX)    /* dst (i32 [n]) = argmax over ne0 of src0, ties to the lowest index */

typedef enum gl_op {
#define GL_X_(name) GL_OP_##name,
    GL_OP_LIST(GL_X_)
#undef GL_X_
        GL_OP_COUNT
} gl_op;

const char *gl_op_name(gl_op op);

typedef enum gl_glu_kind { GL_GLU_SWIGLU, GL_GLU_GEGLU, GL_GLU_REGLU, GL_GLU_COUNT } gl_glu_kind;

typedef enum gl_rope_mode {
    GL_ROPE_NORM, /* rotates adjacent pairs (x[2i], x[2i+1]) — llama */
    GL_ROPE_NEOX, /* rotates (x[i], x[i + n_rot/2]) — qwen2, qwen3 */
} gl_rope_mode;

/* ROPE params: i[0] = n_rot, i[1] = gl_rope_mode; f[0] = freq_base, f[1] = freq_scale
 * (1 / linear factor). RMS_NORM: f[0] = eps. */
typedef struct gl_op_params {
    int32_t i[8];
    float f[8];
} gl_op_params;

typedef struct gl_node {
    gl_op op;
    gl_tensor *dst;
    gl_tensor *src[GL_MAX_SRC];
    gl_op_params p;
    int32_t layer; /* -1 for nodes before the first layer, n_layer for those after the last */
} gl_node;

/* Tensor helpers. */
int64_t gl_tensor_nelements(const gl_tensor *t);
size_t gl_tensor_nbytes(const gl_tensor *t); /* bytes spanned, for contiguous tensors */
bool gl_tensor_is_contiguous(const gl_tensor *t);
/* Sets ne and contiguous nb for `type`; unused dims are 1. */
void gl_tensor_init(gl_tensor *t, glint_type type, int n_dims, const int64_t *ne);
/* Host address of element (i1, i2, i3)'s row; only for host-visible tensors. */
static inline void *gl_tensor_row(const gl_tensor *t, int64_t i1, int64_t i2, int64_t i3) {
    return (char *)t->data + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
}

/* ---- building a forward pass ------------------------------------------------------------- */

struct gl_buffer;

/* Node and tensor arenas plus a bump allocator over one activation buffer. A builder run with
 * act == NULL only measures: tensors get no memory and act_peak says how much a real run needs. */
typedef struct gl_graph {
    gl_node *nodes;
    int n_nodes, cap_nodes;
    gl_tensor *tensors;
    int n_tensors, cap_tensors;
    struct gl_buffer *act;
    size_t act_used, act_peak;
    int32_t layer; /* stamped on new nodes */
    bool overflow; /* an arena was too small: the graph is incomplete */
} gl_graph;

void gl_graph_reset(gl_graph *g);
/* A new tensor with memory from the activation arena (64-byte aligned). */
gl_tensor *gl_graph_new(gl_graph *g, glint_type type, int64_t ne0, int64_t ne1, int64_t ne2);
/* A tensor header over existing memory: same bytes as `src` from byte `offset`, new shape and
 * strides (nb1, nb2 in bytes; 0 = contiguous). */
gl_tensor *gl_graph_view(gl_graph *g, const gl_tensor *src, size_t offset, int64_t ne0, int64_t ne1,
                         int64_t ne2, size_t nb1, size_t nb2);
/* Appends a node; returns dst for chaining. */
gl_tensor *gl_graph_op(gl_graph *g, gl_op op, gl_tensor *dst, gl_tensor *s0, gl_tensor *s1,
                       gl_tensor *s2, const gl_op_params *p);

#endif

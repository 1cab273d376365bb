/* The backend interface: a table of function pointers plus a context pointer. The engine
 * knows backends only through this. Every backend answers supports_op() before dispatch;
 * what it declines runs on the CPU backend. */
#ifndef GLINT_BACKEND_H
#define GLINT_BACKEND_H

#include "graph.h"

typedef struct gl_backend gl_backend;

/* A block of backend memory. `host` is non-NULL when the CPU can address it directly
 * (CPU memory, mapped unified memory). */
typedef struct gl_buffer {
    gl_backend *backend;
    void *host;
    size_t size;
    void *impl; /* the backend's own handle */
} gl_buffer;

typedef enum gl_buffer_usage {
    GL_BUFFER_WEIGHTS, /* written once at load, read by kernels */
    GL_BUFFER_COMPUTE, /* activations, KV cache: read and written by kernels */
} gl_buffer_usage;

/* Per-node timing from the last compute() with profiling on. */
typedef struct gl_node_timing {
    int32_t node; /* index into the node array given to compute() */
    double us;
} gl_node_timing;

struct gl_backend_i {
    /* Short name: "cpu", "vulkan", "opencl". */
    const char *(*name)(gl_backend *b);
    /* Device and capability lines for `glint devices`, NUL-terminated into buf. */
    void (*describe)(gl_backend *b, char *buf, size_t cap);
    /* One line naming the device and driver exactly enough that a plan measured on it is
     * valid only there (plan cache key), e.g. "vulkan:10de:2330:<driver>:<cache uuid>". */
    void (*identity)(gl_backend *b, char *buf, size_t cap);
    /* Whether compute() can run this node as it is (types, shapes, params). */
    bool (*supports_op)(gl_backend *b, const gl_node *node);

    glint_status (*buffer_alloc)(gl_backend *b, size_t size, gl_buffer_usage usage,
                                 gl_buffer **out);
    void (*buffer_free)(gl_backend *b, gl_buffer *buf);
    glint_status (*buffer_upload)(gl_backend *b, gl_buffer *buf, size_t offset, const void *src,
                                  size_t size);
    glint_status (*buffer_download)(gl_backend *b, gl_buffer *buf, size_t offset, void *dst,
                                    size_t size);

    /* Optional (NULL = upload as is): writes weight `t` (GGUF bytes at `src`) to where the
     * caller placed it, possibly rearranged (same size), and sets t->layout. The CPU backend
     * writes to t->data; a GPU backend to t->buffer at t->offset (the caller then points
     * t->data at GGUF bytes for CPU fallback nodes when the layout is not GGUF). With src ==
     * NULL it only answers GLINT_OK when it would rearrange t, so the caller copies nothing
     * else. */
    glint_status (*weight_prepare)(gl_backend *b, gl_tensor *t, const void *src);

    /* Optional: sizes scratch for graphs like nodes[0..n) now, so compute() allocates nothing
     * later (the session calls it once with its largest graph). */
    glint_status (*reserve)(gl_backend *b, gl_node *nodes, int n);

    /* Runs nodes[0..n) in order. GPU backends record them into one command buffer and submit;
     * the call may return before the work is done (see synchronize). */
    glint_status (*compute)(gl_backend *b, gl_node *nodes, int n);
    /* Waits for submitted work. */
    glint_status (*synchronize)(gl_backend *b);

    /* Optional: turns per-node timing on/off; timings of the last compute(). */
    void (*set_profiling)(gl_backend *b, bool on);
    int (*get_timings)(gl_backend *b, gl_node_timing *out, int cap);

    /* Optional (NULL = 64): the alignment tensor offsets within a buffer must have. */
    size_t (*get_alignment)(gl_backend *b);
    /* Optional (NULL = no limit): the largest buffer buffer_alloc can make. */
    size_t (*get_max_alloc)(gl_backend *b);

    void (*free)(gl_backend *b);
};

struct gl_backend {
    const struct gl_backend_i *iface;
    void *ctx;
};

/* The CPU backend: always available. n_threads <= 0 picks the core count. */
glint_status gl_backend_cpu_create(int n_threads, gl_backend **out, gl_err *err);

/* The Vulkan backend (built with GLINT_WITH_VULKAN): on the application's device when `ext`
 * is given, else on the device chosen by GLINT_VK_DEVICE=index|name or by type (discrete,
 * then integrated, then others; CPU-type devices such as lavapipe only when named or when
 * GLINT_VK_ALLOW_CPU=1). No loader or no usable device: GLINT_ERROR_BACKEND_UNAVAILABLE with
 * a message. */
glint_status gl_backend_vulkan_create(const glint_vulkan_external *ext, gl_backend **out,
                                      gl_err *err);

/* The OpenCL backend (built with GLINT_WITH_OPENCL): on the device chosen by
 * GLINT_CL_DEVICE=index|name or by type (GPUs, then accelerators; CPU-type devices such as
 * PoCL only when named or when GLINT_CL_ALLOW_CPU=1). GLINT_CL_DISABLE=fp16,subgroup,image,
 * int8dot turns kernel tiers off. No OpenCL library, platform or usable device:
 * GLINT_ERROR_BACKEND_UNAVAILABLE with a message. */
glint_status gl_backend_opencl_create(gl_backend **out, gl_err *err);

#endif

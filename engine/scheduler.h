/* The scheduler: runs a forward graph with each node on the backend its stage's plan names
 * (the CPU where that backend declines the node), and moves bytes between backends whose
 * memories are separate. Nothing here is API.
 *
 * The graph addresses activations, inputs and the KV cache through logical buffers: a tensor
 * points at a logical buffer's sentinel and an offset. Each backend that may touch a logical
 * buffer has a physical copy, shared where the memory is the same (a GPU buffer the CPU maps:
 * unified memory, nothing is copied). Which copies hold the current bytes of each range is
 * tracked, so a range is copied only when a node on another memory reads it: the residual
 * stream at a split point, a tensor around a CPU fallback node, and the KV cache once after a
 * prefill on one backend and a decode on another. */
#ifndef GLINT_SCHED_H
#define GLINT_SCHED_H

#include "backend.h"
#include "plan.h"

#define GL_SCHED_MAX_BACKENDS GL_PLAN_MAX_BACKENDS

/* Which backends' copies hold the current bytes, per range: entry i covers
 * [start[i], start[i + 1]) (the last one up to the buffer's size). */
typedef struct gl_ivmap {
    int n, cap;
    size_t *start;
    uint8_t *mask;
} gl_ivmap;

typedef struct gl_lbuf {
    gl_buffer sentinel; /* what graph tensors point to: backend NULL, impl = this */
    size_t size;
    gl_buffer *phys[GL_SCHED_MAX_BACKENDS]; /* NULL where the backend has no copy */
    bool owned[GL_SCHED_MAX_BACKENDS];      /* allocated for it (else borrowed from another) */
    uint8_t dom[GL_SCHED_MAX_BACKENDS];     /* backends sharing b's copy, b included */
    gl_ivmap valid;
    const char *name;
} gl_lbuf;

typedef struct gl_sched_stats {
    int64_t n_copies;
    size_t copied_bytes;
    int64_t nodes_run[GL_SCHED_MAX_BACKENDS]; /* nodes each backend ran */
} gl_sched_stats;

typedef struct gl_sched {
    int n_backend;
    gl_backend *be[GL_SCHED_MAX_BACKENDS]; /* 0 = the CPU */
    uint64_t gpu_ops_off; /* bit per gl_op never run on a GPU (GLINT_GPU_SKIP_OPS) */
    /* every backend its own copy even where the CPU could map a GPU's (GLINT_SCHED_SEPARATE:
     * tests the copy paths on unified-memory devices) */
    bool separate;
    uint64_t logged_fallback;
    bool flush_stages; /* finish every stage before the next starts (profiling) */ /* ops already reported as running on the CPU instead */
    /* per run: nodes rewritten onto physical memory, and the run waiting to be computed */
    gl_tensor *low;
    int n_low, cap_low;
    gl_node *pending;
    int *pending_idx;
    int n_pending, cap_pending;
    int cur, cur_stage;
    void *staging;
    size_t staging_size;
    /* profiling: microseconds per node of the last run (compute, plus copies it needed) */
    bool profiling;
    double *node_us;
    int cap_node_us;
    gl_sched_stats stats;
    char last_error[256];
} gl_sched;

/* backends[0] must be the CPU. cap_nodes bounds the graphs it will run. */
glint_status gl_sched_init(gl_sched *s, gl_backend *const *backends, int n_backend,
                           int cap_nodes, gl_err *err);
void gl_sched_free(gl_sched *s);

/* A logical buffer of `size` bytes with a copy on every backend b with want[b] (the CPU
 * always: a GPU's host-visible copy when there is one, else its own). */
glint_status gl_lbuf_alloc(gl_sched *s, gl_lbuf *l, const char *name, size_t size,
                           const bool want[GL_SCHED_MAX_BACKENDS], gl_err *err);
void gl_lbuf_free(gl_sched *s, gl_lbuf *l);
/* Forgets contents: every copy counts as current (nothing to copy until written). */
void gl_lbuf_reset(gl_lbuf *l);
/* Host bytes into every copy. */
glint_status gl_lbuf_write(gl_sched *s, gl_lbuf *l, size_t off, const void *src, size_t n);
/* Current bytes to the host. */
glint_status gl_lbuf_read(gl_sched *s, gl_lbuf *l, size_t off, void *dst, size_t n);
/* Zeros every copy (the profiler's KV cache). */
glint_status gl_lbuf_zero(gl_sched *s, gl_lbuf *l);

/* Tensor header over a logical buffer. */
void gl_lbuf_bind(gl_lbuf *l, gl_tensor *t, size_t off);

/* Runs nodes[0..n): node k on backend_of_stage[stage of its layer], or the CPU. n_layer maps
 * layers to stages. Waits for completion. */
glint_status gl_sched_run(gl_sched *s, gl_node *nodes, int n, const gl_plan *plan);

/* Lets every backend size its scratch for the nodes it may run (all, for the CPU). */
glint_status gl_sched_reserve(gl_sched *s, gl_node *nodes, int n, const gl_plan *const *plans,
                              int n_plans);

/* Times making all of l, written on a, current on b (the profiler's boundary cost). */
glint_status gl_sched_time_copy(gl_sched *s, gl_lbuf *l, int a, int b, double *us);

#endif

/* The CPU backend: host buffers, and a run of nodes executed by the persistent thread pool in
 * one wake-up, the threads meeting at a barrier between nodes. */
#include "backend.h"
#include "cpu_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gl_cpu_ctx {
    gl_threadpool *pool;
    const gl_cpu_kernels *k;
    void *wsp; /* shared scratch, grown on the first pass that needs more, then reused */
    size_t wsp_size;
    /* the run in flight */
    gl_node *nodes;
    int n_nodes;
    bool profiling;
    gl_node_timing *timings;
    int n_timings, cap_timings;
} gl_cpu_ctx;

static const char *cpu_name(gl_backend *b) {
    return "cpu";
}

static void cpu_describe(gl_backend *b, char *buf, size_t cap) {
    gl_cpu_ctx *c = b->ctx;
    snprintf(buf, cap, "cpu: %d threads, kernels %s, features: %s",
             gl_threadpool_n_threads(c->pool), c->k->name, gl_cpu_features_string());
}

static void cpu_identity(gl_backend *b, char *buf, size_t cap) {
    gl_cpu_ctx *c = b->ctx;
    snprintf(buf, cap, "cpu:%s:%dt:%s", c->k->name, gl_threadpool_n_threads(c->pool),
             gl_cpu_features_string());
}

static bool cpu_supports_op(gl_backend *b, const gl_node *node) {
    return gl_cpu_op_supported(node);
}

static glint_status cpu_buffer_alloc(gl_backend *b, size_t size, gl_buffer_usage usage,
                                     gl_buffer **out) {
    *out = NULL;
    gl_buffer *buf = calloc(1, sizeof *buf);
    void *mem = gl_aligned_alloc(size ? size : 1);
    if (!buf || !mem) {
        free(buf);
        gl_aligned_free(mem);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    buf->backend = b;
    buf->host = mem;
    buf->size = size;
    *out = buf;
    return GLINT_OK;
}

static void cpu_buffer_free(gl_backend *b, gl_buffer *buf) {
    if (!buf) return;
    gl_aligned_free(buf->host);
    free(buf);
}

static glint_status cpu_buffer_upload(gl_backend *b, gl_buffer *buf, size_t offset,
                                      const void *src, size_t size) {
    if (offset > buf->size || size > buf->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    memcpy((char *)buf->host + offset, src, size);
    return GLINT_OK;
}

static glint_status cpu_buffer_download(gl_backend *b, gl_buffer *buf, size_t offset, void *dst,
                                        size_t size) {
    if (offset > buf->size || size > buf->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    memcpy(dst, (char *)buf->host + offset, size);
    return GLINT_OK;
}

static void cpu_task(void *arg, int ith, int nth) {
    gl_cpu_ctx *c = arg;
    gl_cpu_task t = {.ith = ith, .nth = nth, .pool = c->pool, .wsp = c->wsp,
                     .wsp_size = c->wsp_size, .k = c->k};
    for (int i = 0; i < c->n_nodes; i++) {
        const int64_t t0 = c->profiling && ith == 0 ? gl_time_us() : 0;
        gl_cpu_op_run(&t, &c->nodes[i]);
        gl_threadpool_barrier(c->pool);
        if (c->profiling && ith == 0 && c->n_timings < c->cap_timings)
            c->timings[c->n_timings++] = (gl_node_timing){i, (double)(gl_time_us() - t0)};
    }
}

/* Q4_0 matrices get the 8-row interleaved layout where this level has its kernels; the rest
 * is copied as is. model.c has set t->data to the destination and offers only weights that
 * feed MUL_MAT alone; src == NULL asks whether t would be rearranged (GLINT_OK) or not. */
static glint_status cpu_weight_prepare(gl_backend *b, gl_tensor *t, const void *src) {
    gl_cpu_ctx *c = b->ctx;
    const bool repack = c->k->gemm_q4_0x8 && t->type == GLINT_TYPE_Q4_0 && t->ne[2] == 1 &&
                        t->ne[3] == 1 && t->ne[1] % 8 == 0 && t->ne[0] % GL_QK4_0 == 0 &&
                        gl_tensor_is_contiguous(t) && !getenv("GLINT_NO_REPACK");
    if (!src) return repack ? GLINT_OK : GLINT_ERROR_UNSUPPORTED;
    if (!t->data) return GLINT_ERROR_INVALID_ARGUMENT;
    if (repack) {
        gl_cpu_repack_q4_0x8(t->data, src, t->ne[0], t->ne[1]);
        t->layout = GL_LAYOUT_Q4_0X8;
        return GLINT_OK;
    }
    memcpy(t->data, src, gl_tensor_nbytes(t));
    t->layout = GL_LAYOUT_GGUF;
    return GLINT_OK;
}

static glint_status cpu_reserve(gl_backend *b, gl_node *nodes, int n) {
    gl_cpu_ctx *c = b->ctx;
    const int nth = gl_threadpool_n_threads(c->pool);
    size_t need = 0;
    for (int i = 0; i < n; i++) {
        if (!gl_cpu_op_supported(&nodes[i])) return GLINT_ERROR_UNSUPPORTED;
        need = GL_MAX(need, gl_cpu_op_wsize(&nodes[i], nth));
    }
    if (need > c->wsp_size) {
        void *w = gl_aligned_alloc(need);
        if (!w) return GLINT_ERROR_OUT_OF_MEMORY;
        gl_aligned_free(c->wsp);
        c->wsp = w;
        c->wsp_size = need;
    }
    return GLINT_OK;
}

static glint_status cpu_compute(gl_backend *b, gl_node *nodes, int n) {
    gl_cpu_ctx *c = b->ctx;
    glint_status st = cpu_reserve(b, nodes, n);
    if (st) return st;
    if (c->profiling && c->cap_timings < n) {
        gl_node_timing *tm = realloc(c->timings, (size_t)n * sizeof *tm);
        if (!tm) return GLINT_ERROR_OUT_OF_MEMORY;
        c->timings = tm;
        c->cap_timings = n;
    }
    c->nodes = nodes;
    c->n_nodes = n;
    c->n_timings = 0;
    gl_threadpool_run(c->pool, cpu_task, c);
    return GLINT_OK;
}

static glint_status cpu_synchronize(gl_backend *b) {
    return GLINT_OK;
}

static void cpu_set_profiling(gl_backend *b, bool on) {
    ((gl_cpu_ctx *)b->ctx)->profiling = on;
}

static int cpu_get_timings(gl_backend *b, gl_node_timing *out, int cap) {
    gl_cpu_ctx *c = b->ctx;
    const int n = GL_MIN(cap, c->n_timings);
    memcpy(out, c->timings, (size_t)n * sizeof *out);
    return n;
}

static void cpu_free(gl_backend *b) {
    if (!b) return;
    gl_cpu_ctx *c = b->ctx;
    gl_threadpool_free(c->pool);
    gl_aligned_free(c->wsp);
    free(c->timings);
    free(c);
    free(b);
}

static const struct gl_backend_i g_cpu_iface = {
    .name = cpu_name,
    .describe = cpu_describe,
    .identity = cpu_identity,
    .supports_op = cpu_supports_op,
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_free = cpu_buffer_free,
    .buffer_upload = cpu_buffer_upload,
    .buffer_download = cpu_buffer_download,
    .weight_prepare = cpu_weight_prepare,
    .reserve = cpu_reserve,
    .compute = cpu_compute,
    .synchronize = cpu_synchronize,
    .set_profiling = cpu_set_profiling,
    .get_timings = cpu_get_timings,
    .free = cpu_free,
};

glint_status gl_backend_cpu_create(int n_threads, gl_backend **out, gl_err *err) {
    *out = NULL;
    gl_backend *b = calloc(1, sizeof *b);
    gl_cpu_ctx *c = calloc(1, sizeof *c);
    if (!b || !c) {
        free(b);
        free(c);
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "cpu backend: out of memory");
    }
    c->k = gl_cpu_kernels_get();
    glint_status st = gl_threadpool_create(n_threads, &c->pool);
    if (st != GLINT_OK) {
        free(b);
        free(c);
        return gl_fail(err, st, "cpu backend: cannot start %d threads", n_threads);
    }
    b->iface = &g_cpu_iface;
    b->ctx = c;
    *out = b;
    return GLINT_OK;
}

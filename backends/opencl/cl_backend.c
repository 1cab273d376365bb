/* The OpenCL backend's vtable: buffers, a run of nodes enqueued through the op table on one
 * in-order queue, synchronization, per-node timings from profiling events; plus the helpers
 * op files use to pass tensors and enqueue kernels. */
#include "cl_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gl_cl_backend {
    gl_cl_device *d;
} gl_cl_backend;

static gl_cl_device *dev(gl_backend *b) {
    return ((gl_cl_backend *)b->ctx)->d;
}

/* ---- helpers for op files ------------------------------------------------------------------- */

gl_cl_arg gl_cl_tensor_arg(const gl_tensor *t) {
    gl_cl_arg a = {NULL, 0};
    if (!t || !t->buffer || !t->buffer->impl) return a;
    a.mem = ((const gl_cl_buffer *)t->buffer->impl)->mem;
    a.offset = (cl_ulong)t->offset;
    return a;
}

glint_status gl_cl_set_tensor(cl_kernel k, cl_uint i, const gl_tensor *t) {
    const gl_cl_arg a = gl_cl_tensor_arg(t);
    if (!a.mem) return GLINT_ERROR_INVALID_ARGUMENT;
    cl_int e = clSetKernelArg(k, i, sizeof a.mem, &a.mem);
    if (e == CL_SUCCESS) e = clSetKernelArg(k, i + 1, sizeof a.offset, &a.offset);
    if (e != CL_SUCCESS) {
        GL_LOGE("opencl: clSetKernelArg(%u) for %s failed: %s", i, t->name ? t->name : "tensor",
                gl_cl_error_string(e));
        return GLINT_ERROR_INTERNAL;
    }
    return GLINT_OK;
}

/* Keeps the event of an enqueue made for node d->cur_node. */
static glint_status keep_event(gl_cl_device *d, cl_event ev) {
    if (d->n_events == d->cap_events) {
        const int cap = d->cap_events ? d->cap_events * 2 : 256;
        cl_event *ne = realloc(d->events, sizeof *ne * (size_t)cap);
        if (ne) d->events = ne;
        int32_t *nn = realloc(d->event_node, sizeof *nn * (size_t)cap);
        if (nn) d->event_node = nn;
        if (!ne || !nn) {
            clReleaseEvent(ev);
            return GLINT_ERROR_OUT_OF_MEMORY;
        }
        d->cap_events = cap;
    }
    d->events[d->n_events] = ev;
    d->event_node[d->n_events] = d->cur_node;
    d->n_events++;
    return GLINT_OK;
}

glint_status gl_cl_enqueue(gl_cl_device *d, cl_kernel k, cl_uint dims, const size_t *global,
                           const size_t *local) {
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    if (dims < 1 || dims > 3 || !global) return GLINT_ERROR_INVALID_ARGUMENT;
    size_t g[3];
    for (cl_uint i = 0; i < dims; i++) {
        if (global[i] == 0) return GLINT_OK; /* nothing to do */
        g[i] = local && local[i] ? gl_align_up(global[i], local[i]) : global[i];
    }
    const bool timed = d->profiling && d->queue_profiling && d->cur_node >= 0;
    cl_event ev = NULL;
    cl_int e =
        clEnqueueNDRangeKernel(d->queue, k, dims, NULL, g, local, 0, NULL, timed ? &ev : NULL);
    if (e != CL_SUCCESS) {
        char what[160], name[96] = "";
        clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
        name[sizeof name - 1] = 0;
        snprintf(what, sizeof what, "clEnqueueNDRangeKernel(%s)", name);
        return gl_cl_check(d, e, what);
    }
    return ev ? keep_event(d, ev) : GLINT_OK;
}

/* ---- profiling ------------------------------------------------------------------------------ */

void gl_cl_profile_begin(gl_cl_device *d, int n_nodes) {
    for (int i = 0; i < d->n_events; i++) clReleaseEvent(d->events[i]);
    d->n_events = 0;
    d->n_timings = 0;
    d->n_nodes = n_nodes;
    d->cur_node = -1;
}

void gl_cl_profile_node(gl_cl_device *d, int32_t node) {
    d->cur_node = node;
}

/* Turns the kept events into one timing per node (0 for nodes that enqueued nothing timed). */
static glint_status read_timings(gl_cl_device *d) {
    if (d->n_nodes <= 0) return GLINT_OK;
    glint_status st = gl_cl_finish(d);
    if (st) return st;
    if (d->cap_timings < d->n_nodes) {
        gl_node_timing *t = realloc(d->timings, sizeof *t * (size_t)d->n_nodes);
        if (!t) return GLINT_ERROR_OUT_OF_MEMORY;
        d->timings = t;
        d->cap_timings = d->n_nodes;
    }
    for (int i = 0; i < d->n_nodes; i++) d->timings[i] = (gl_node_timing){.node = i, .us = 0.0};
    for (int i = 0; i < d->n_events; i++) {
        cl_ulong t0 = 0, t1 = 0;
        const int32_t node = d->event_node[i];
        if (node < 0 || node >= d->n_nodes) continue;
        if (clGetEventProfilingInfo(d->events[i], CL_PROFILING_COMMAND_START, sizeof t0, &t0,
                                    NULL) != CL_SUCCESS ||
            clGetEventProfilingInfo(d->events[i], CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) !=
                CL_SUCCESS)
            continue;
        if (t1 > t0) d->timings[node].us += (double)(t1 - t0) / 1000.0;
    }
    for (int i = 0; i < d->n_events; i++) clReleaseEvent(d->events[i]);
    d->n_events = 0;
    d->n_timings = d->n_nodes;
    d->n_nodes = 0;
    return GLINT_OK;
}

/* ---- the vtable ----------------------------------------------------------------------------- */

static const char *cl_name(gl_backend *b) {
    (void)b;
    return "opencl";
}

static void cl_describe(gl_backend *b, char *buf, size_t cap) {
    gl_cl_describe(dev(b), buf, cap);
}

static void cl_identity(gl_backend *b, char *buf, size_t cap) {
    const gl_cl_caps *c = &dev(b)->caps;
    snprintf(buf, cap, "opencl:%s:%s:%s:%s:tiers%x", c->platform, c->name, c->driver, c->version,
             c->enabled);
}

static bool on_device(gl_backend *b, const gl_tensor *t) {
    return t->buffer && t->buffer->backend == b && t->buffer->impl;
}

static bool cl_supports_op(gl_backend *b, const gl_node *n) {
    gl_cl_device *d = dev(b);
    if (d->lost || (unsigned)n->op >= GL_OP_COUNT) return false;
    const gl_cl_op *op = gl_cl_ops[n->op];
    if (!op || !op->supports || !op->record) return false;
    if (!n->dst || !on_device(b, n->dst)) return false;
    for (int i = 0; i < GL_MAX_SRC; i++)
        if (n->src[i] && !on_device(b, n->src[i])) return false;
    return op->supports(d, n);
}

static glint_status cl_buffer_alloc(gl_backend *b, size_t size, gl_buffer_usage usage,
                                    gl_buffer **out) {
    (void)usage;
    *out = NULL;
    gl_buffer *buf = calloc(1, sizeof *buf);
    gl_cl_buffer *cb = calloc(1, sizeof *cb);
    if (!buf || !cb) {
        free(buf);
        free(cb);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    glint_status st = gl_cl_buffer_create(dev(b), size, cb);
    if (st) {
        free(buf);
        free(cb);
        return st;
    }
    buf->backend = b;
    buf->host = cb->map;
    buf->size = size;
    buf->impl = cb;
    *out = buf;
    return GLINT_OK;
}

static void cl_buffer_free(gl_backend *b, gl_buffer *buf) {
    if (!buf) return;
    gl_cl_device *d = dev(b);
    /* queued kernels may still use it */
    if (!d->lost) clFinish(d->queue);
    gl_cl_buffer_release(d, buf->impl);
    free(buf->impl);
    free(buf);
}

static glint_status cl_buffer_upload(gl_backend *b, gl_buffer *buf, size_t offset, const void *src,
                                     size_t size) {
    if (offset > buf->size || size > buf->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    return gl_cl_write(dev(b), buf->impl, offset, src, size);
}

static glint_status cl_buffer_download(gl_backend *b, gl_buffer *buf, size_t offset, void *dst,
                                       size_t size) {
    if (offset > buf->size || size > buf->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    return gl_cl_read(dev(b), buf->impl, offset, dst, size);
}

static glint_status cl_compute(gl_backend *b, gl_node *nodes, int n) {
    gl_cl_device *d = dev(b);
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    glint_status st = GLINT_OK;
    if (d->profiling != d->queue_profiling && d->queue_profiling_ok &&
        (st = gl_cl_queue_set_profiling(d, d->profiling)))
        return st;
    /* no profiling queue: no timings, and the scheduler spreads the wall time instead */
    gl_cl_profile_begin(d, d->profiling && d->queue_profiling ? n : 0);
    d->node_seq++; /* no node of an earlier run counts as the one before */
    for (int i = 0; i < n && !st; i++) {
        d->node_seq++;
        const gl_node *node = &nodes[i];
        const gl_cl_op *op = (unsigned)node->op < GL_OP_COUNT ? gl_cl_ops[node->op] : NULL;
        if (!op || !op->record) {
            snprintf(d->last_error, sizeof d->last_error, "opencl: no kernel for %s",
                     gl_op_name(node->op));
            st = GLINT_ERROR_UNSUPPORTED;
            break;
        }
        gl_cl_profile_node(d, i);
        st = op->record(d, node);
    }
    d->cur_node = -1;
    /* start what was enqueued, also on failure: the queue stays consistent */
    cl_int e = d->lost ? CL_SUCCESS : clFlush(d->queue);
    if (st) return d->lost ? GLINT_ERROR_DEVICE_LOST : st;
    return gl_cl_check(d, e, "clFlush");
}

/* The scratch memory of the largest graph, so that running it allocates nothing. */
static glint_status cl_reserve(gl_backend *b, gl_node *nodes, int n) {
    gl_cl_device *d = dev(b);
    size_t need = 0;
    for (int i = 0; i < n; i++) {
        const gl_cl_op *op = (unsigned)nodes[i].op < GL_OP_COUNT ? gl_cl_ops[nodes[i].op] : NULL;
        if (op && op->scratch) need = GL_MAX(need, op->scratch(d, &nodes[i]));
    }
    cl_mem mem;
    return need ? gl_cl_scratch(d, need, &mem) : GLINT_OK;
}

static glint_status cl_synchronize(gl_backend *b) {
    return gl_cl_finish(dev(b));
}

static void cl_set_profiling(gl_backend *b, bool on) {
    /* the queue is remade with profiling at the next compute() */
    dev(b)->profiling = on;
}

static int cl_get_timings(gl_backend *b, gl_node_timing *out, int cap) {
    gl_cl_device *d = dev(b);
    if (d->n_nodes > 0 && read_timings(d)) return 0;
    const int n = GL_MIN(cap, d->n_timings);
    if (n > 0) memcpy(out, d->timings, sizeof *out * (size_t)n);
    return n;
}

static size_t cl_get_max_alloc(gl_backend *b) {
    const cl_ulong m = gl_cl_device_caps(gl_cl_backend_device(b))->max_alloc;
    return m > SIZE_MAX ? SIZE_MAX : (size_t)m;
}

static size_t cl_get_alignment(gl_backend *b) {
    return GL_MAX((size_t)dev(b)->caps.mem_base_align, (size_t)64);
}

static void cl_free(gl_backend *b) {
    if (!b) return;
    gl_cl_backend *c = b->ctx;
    gl_cl_device_free(c->d);
    free(c);
    free(b);
}

static const struct gl_backend_i g_cl_iface = {
    .name = cl_name,
    .describe = cl_describe,
    .identity = cl_identity,
    .supports_op = cl_supports_op,
    .buffer_alloc = cl_buffer_alloc,
    .buffer_free = cl_buffer_free,
    .buffer_upload = cl_buffer_upload,
    .buffer_download = cl_buffer_download,
    .weight_prepare = gl_cl_weight_prepare,
    .reserve = cl_reserve,
    .compute = cl_compute,
    .synchronize = cl_synchronize,
    .set_profiling = cl_set_profiling,
    .get_timings = cl_get_timings,
    .get_alignment = cl_get_alignment,
    .get_max_alloc = cl_get_max_alloc,
    .free = cl_free,
};

glint_status gl_backend_opencl_create(gl_backend **out, gl_err *err) {
    *out = NULL;
    gl_cl_device *d = NULL;
    glint_status st = gl_cl_device_create(&d, err);
    if (st) return st;
    gl_backend *b = calloc(1, sizeof *b);
    gl_cl_backend *c = calloc(1, sizeof *c);
    if (!b || !c) {
        free(b);
        free(c);
        gl_cl_device_free(d);
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    c->d = d;
    b->iface = &g_cl_iface;
    b->ctx = c;
    *out = b;
    return GLINT_OK;
}

gl_cl_device *gl_cl_backend_device(gl_backend *b) {
    return b && b->iface == &g_cl_iface ? dev(b) : NULL;
}

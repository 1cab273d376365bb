/* The Vulkan backend's vtable: buffers, a run of nodes recorded through the op table into
 * command buffers (split into several submissions when long), synchronization, timings. */
#include "vk_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Workgroups in one submission before it is split (64 invocations each: ~16M invocations). */
#define GL_VK_SPLIT_GROUPS (1u << 18)

typedef struct gl_vk_backend {
    gl_vk_device *d;
} gl_vk_backend;

static gl_vk_device *dev(gl_backend *b) {
    return ((gl_vk_backend *)b->ctx)->d;
}

static const char *vk_name(gl_backend *b) {
    (void)b;
    return "vulkan";
}

static void vk_describe(gl_backend *b, char *buf, size_t cap) {
    gl_vk_describe(dev(b), buf, cap);
}

static void vk_identity(gl_backend *b, char *buf, size_t cap) {
    const gl_vk_device *d = dev(b);
    char uuid[2 * VK_UUID_SIZE + 1];
    for (unsigned i = 0; i < VK_UUID_SIZE; i++)
        snprintf(uuid + 2 * i, 3, "%02x", d->caps.pipeline_cache_uuid[i]);
    snprintf(buf, cap, "vulkan:%04x:%04x:%08x:%s:tiers%x", d->caps.vendor_id, d->caps.device_id,
             d->caps.driver_version, uuid, d->caps.enabled);
}

static bool on_device(gl_backend *b, const gl_tensor *t) {
    return t->buffer && t->buffer->backend == b && t->buffer->impl;
}

static bool vk_supports_op(gl_backend *b, const gl_node *n) {
    gl_vk_device *d = dev(b);
    if (d->lost || (unsigned)n->op >= GL_OP_COUNT) return false;
    const gl_vk_op *op = gl_vk_ops[n->op];
    if (!op || !op->supports || !op->record) return false;
    if (!n->dst || !on_device(b, n->dst)) return false;
    for (int i = 0; i < GL_MAX_SRC; i++)
        if (n->src[i] && !on_device(b, n->src[i])) return false;
    return op->supports(d, n);
}

static glint_status vk_buffer_alloc(gl_backend *b, size_t size, gl_buffer_usage usage,
                                    gl_buffer **out) {
    *out = NULL;
    gl_vk_device *d = dev(b);
    gl_buffer *buf = calloc(1, sizeof *buf);
    gl_vk_buffer *vb = calloc(1, sizeof *vb);
    if (!buf || !vb) {
        free(buf);
        free(vb);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    glint_status st = gl_vk_alloc(
        d, usage == GL_BUFFER_WEIGHTS ? GL_VK_POOL_WEIGHTS : GL_VK_POOL_COMPUTE, size, vb);
    if (st) {
        free(buf);
        free(vb);
        return st;
    }
    buf->backend = b;
    buf->host = vb->host;
    buf->size = size;
    buf->impl = vb;
    *out = buf;
    return GLINT_OK;
}

static void vk_buffer_free(gl_backend *b, gl_buffer *buf) {
    if (!buf) return;
    gl_vk_device *d = dev(b);
    /* work in flight may still read it */
    gl_vk_wait_all(d);
    gl_vk_release(d, buf->impl);
    free(buf->impl);
    free(buf);
}

static glint_status vk_buffer_upload(gl_backend *b, gl_buffer *buf, size_t offset, const void *src,
                                     size_t size) {
    gl_vk_device *d = dev(b);
    if (offset > buf->size || size > buf->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    if (!size) return GLINT_OK;
    glint_status st = gl_vk_wait_all(d);
    return st ? st : gl_vk_write(d, buf->impl, offset, src, size);
}

static glint_status vk_buffer_download(gl_backend *b, gl_buffer *buf, size_t offset, void *dst,
                                       size_t size) {
    gl_vk_device *d = dev(b);
    if (offset > buf->size || size > buf->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    if (!size) return GLINT_OK;
    glint_status st = gl_vk_wait_all(d);
    return st ? st : gl_vk_read(d, buf->impl, offset, dst, size);
}

static glint_status ensure_queries(gl_vk_device *d, int n) {
    const uint32_t need = 2 * (uint32_t)n + 2;
    if (d->queries && d->n_queries_cap >= need) return GLINT_OK;
    if (d->queries) d->vk.vkDestroyQueryPool(d->device, d->queries, NULL);
    d->queries = VK_NULL_HANDLE;
    d->n_queries_cap = 0;
    int32_t *qn = realloc(d->query_node, sizeof *qn * need / 2);
    if (!qn) return GLINT_ERROR_OUT_OF_MEMORY;
    d->query_node = qn;
    VkQueryPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                .queryCount = need};
    VkResult r = d->vk.vkCreateQueryPool(d->device, &ci, NULL, &d->queries);
    if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkCreateQueryPool");
    d->n_queries_cap = need;
    return GLINT_OK;
}

static glint_status vk_compute(gl_backend *b, gl_node *nodes, int n) {
    gl_vk_device *d = dev(b);
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    const bool timing = d->profiling && d->caps.timestamps;
    glint_status st = GLINT_OK;
    if (timing) {
        /* the previous run's queries are reused: its results must be in */
        if ((st = gl_vk_wait_all(d))) return st;
        d->n_queries = 0;
        if ((st = ensure_queries(d, n))) return st;
    }
    for (int i = 0; i < n && !st; i++) {
        const gl_node *node = &nodes[i];
        const gl_vk_op *op = (unsigned)node->op < GL_OP_COUNT ? gl_vk_ops[node->op] : NULL;
        if (!op || !op->record) {
            snprintf(d->last_error, sizeof d->last_error, "vulkan: no kernel for %s",
                     gl_op_name(node->op));
            st = GLINT_ERROR_UNSUPPORTED;
            break;
        }
        if ((st = gl_vk_begin(d))) break;
        gl_vk_timestamp(d, i, false);
        st = op->record(d, node);
        gl_vk_timestamp(d, i, true);
        /* Split long runs at node boundaries: by dispatch count, and by workgroups so a few
         * huge dispatches (prefill) do not make one submission run for seconds. */
        if (!st && (d->n_recorded >= d->submit_every || d->groups_recorded >= GL_VK_SPLIT_GROUPS))
            st = gl_vk_submit(d);
    }
    if (st) {
        /* submit what was recorded so the command buffer is not left open */
        glint_status s2 = gl_vk_submit(d);
        (void)s2;
        return d->lost ? GLINT_ERROR_DEVICE_LOST : st;
    }
    return gl_vk_submit(d);
}

static glint_status vk_synchronize(gl_backend *b) {
    gl_vk_device *d = dev(b);
    glint_status st = gl_vk_wait_all(d);
    if (!st && d->profiling) gl_vk_read_timings(d);
    /* cheap when nothing new was compiled */
    gl_vk_pipelines_save(d);
    return st;
}

static void vk_set_profiling(gl_backend *b, bool on) {
    dev(b)->profiling = on;
}

static int vk_get_timings(gl_backend *b, gl_node_timing *out, int cap) {
    gl_vk_device *d = dev(b);
    if (d->n_queries) {
        if (gl_vk_wait_all(d)) return 0;
        gl_vk_read_timings(d);
    }
    const int n = GL_MIN(cap, d->n_timings);
    if (n > 0) memcpy(out, d->timings, sizeof *out * (size_t)n);
    return n;
}

static size_t vk_get_max_alloc(gl_backend *b) {
    const uint64_t m = dev(b)->caps.max_allocation_size;
    return m > SIZE_MAX ? SIZE_MAX : (size_t)m;
}

static size_t vk_get_alignment(gl_backend *b) {
    return (size_t)GL_MAX(dev(b)->caps.min_storage_offset_alignment, (VkDeviceSize)64);
}

static void vk_free(gl_backend *b) {
    if (!b) return;
    gl_vk_backend *c = b->ctx;
    gl_vk_device_free(c->d);
    free(c);
    free(b);
}

static const struct gl_backend_i g_vk_iface = {
    .name = vk_name,
    .describe = vk_describe,
    .identity = vk_identity,
    .supports_op = vk_supports_op,
    .buffer_alloc = vk_buffer_alloc,
    .buffer_free = vk_buffer_free,
    .buffer_upload = vk_buffer_upload,
    .buffer_download = vk_buffer_download,
    .weight_prepare = NULL,
    .reserve = NULL,
    .compute = vk_compute,
    .synchronize = vk_synchronize,
    .set_profiling = vk_set_profiling,
    .get_timings = vk_get_timings,
    .get_alignment = vk_get_alignment,
    .get_max_alloc = vk_get_max_alloc,
    .free = vk_free,
};

glint_status gl_backend_vulkan_create(const glint_vulkan_external *ext, gl_backend **out,
                                      gl_err *err) {
    *out = NULL;
    gl_vk_device *d = NULL;
    glint_status st = gl_vk_device_create(ext, &d, err);
    if (st) return st;
    gl_backend *b = calloc(1, sizeof *b);
    gl_vk_backend *c = calloc(1, sizeof *c);
    if (!b || !c) {
        free(b);
        free(c);
        gl_vk_device_free(d);
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    c->d = d;
    b->iface = &g_vk_iface;
    b->ctx = c;
    *out = b;
    return GLINT_OK;
}

gl_vk_device *gl_vk_backend_device(gl_backend *b) {
    return b && b->iface == &g_vk_iface ? dev(b) : NULL;
}

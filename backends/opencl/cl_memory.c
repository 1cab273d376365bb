/* Buffers: one cl_mem each. On unified memory it is allocated host-accessible
 * (CL_MEM_ALLOC_HOST_PTR) and mapped once for its lifetime, so the CPU reads and writes it in
 * place (gl_buffer.host); elsewhere it is device memory reached by copies. */
#include "cl_device.h"

#include <stdio.h>
#include <string.h>

glint_status gl_cl_finish(gl_cl_device *d) {
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    return gl_cl_check(d, clFinish(d->queue), "clFinish");
}

glint_status gl_cl_buffer_create(gl_cl_device *d, size_t size, gl_cl_buffer *out) {
    memset(out, 0, sizeof *out);
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    const gl_cl_caps *c = &d->caps;
    /* Room past the end: kernels may read whole vectors at a tensor's tail. */
    uint64_t need = gl_align_up(size ? size : 1, 64);
    if (size > c->max_alloc) {
        snprintf(d->last_error, sizeof d->last_error,
                 "opencl: a buffer of %llu bytes is larger than the device's largest allocation "
                 "(CL_DEVICE_MAX_MEM_ALLOC_SIZE, %llu bytes)",
                 (unsigned long long)size, (unsigned long long)c->max_alloc);
        GL_LOGW("%s", d->last_error);
        return GLINT_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    if (need > c->max_alloc) need = c->max_alloc;
    cl_int e = CL_SUCCESS;
    const cl_mem_flags flags = CL_MEM_READ_WRITE | (c->unified ? CL_MEM_ALLOC_HOST_PTR : 0);
    cl_mem mem = clCreateBuffer(d->context, flags, (size_t)need, NULL, &e);
    if (!mem || e != CL_SUCCESS) {
        glint_status st = gl_cl_check(d, e != CL_SUCCESS ? e : CL_MEM_OBJECT_ALLOCATION_FAILURE,
                                      "clCreateBuffer");
        /* some drivers answer INVALID_BUFFER_SIZE for what does not fit */
        return st == GLINT_ERROR_INTERNAL && e == CL_INVALID_BUFFER_SIZE
                   ? GLINT_ERROR_OUT_OF_DEVICE_MEMORY
                   : st;
    }
    void *map = NULL;
    if (c->unified) {
        map = clEnqueueMapBuffer(d->queue, mem, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0,
                                 (size_t)need, 0, NULL, NULL, &e);
        if (!map || e != CL_SUCCESS) {
            /* usable without the mapping: uploads then copy */
            GL_LOGW("opencl: mapping a buffer of %llu bytes failed (%s); it is copied to instead",
                    (unsigned long long)need, gl_cl_error_string(e));
            map = NULL;
        }
    }
    out->mem = mem;
    out->map = map;
    out->size = (size_t)need;
    return GLINT_OK;
}

void gl_cl_buffer_release(gl_cl_device *d, gl_cl_buffer *b) {
    if (!b || !b->mem) return;
    if (b->image) clReleaseMemObject(b->image);
    if (b->map && !d->lost) {
        cl_event ev = NULL;
        if (clEnqueueUnmapMemObject(d->queue, b->mem, b->map, 0, NULL, &ev) == CL_SUCCESS && ev) {
            clWaitForEvents(1, &ev);
            clReleaseEvent(ev);
        }
    }
    clReleaseMemObject(b->mem);
    memset(b, 0, sizeof *b);
}

glint_status gl_cl_write(gl_cl_device *d, const gl_cl_buffer *b, size_t offset, const void *src,
                         size_t size) {
    /* queued kernels may still read the old bytes */
    glint_status st = gl_cl_finish(d);
    if (st || !size) return st;
    if (b->map) {
        memcpy((char *)b->map + offset, src, size);
        return GLINT_OK;
    }
    return gl_cl_check(
        d, clEnqueueWriteBuffer(d->queue, b->mem, CL_TRUE, offset, size, src, 0, NULL, NULL),
        "clEnqueueWriteBuffer");
}

glint_status gl_cl_read(gl_cl_device *d, const gl_cl_buffer *b, size_t offset, void *dst,
                        size_t size) {
    glint_status st = gl_cl_finish(d);
    if (st || !size) return st;
    if (b->map) {
        memcpy(dst, (const char *)b->map + offset, size);
        return GLINT_OK;
    }
    return gl_cl_check(
        d, clEnqueueReadBuffer(d->queue, b->mem, CL_TRUE, offset, size, dst, 0, NULL, NULL),
        "clEnqueueReadBuffer");
}

/* 16-byte texels: one Q4_0 block's quants, half a Q8_0 block's. */
#define TEXEL_BYTES 16

static bool make_image(gl_cl_device *d, gl_cl_buffer *b) {
    const size_t texels = b->size / TEXEL_BYTES;
    if (texels == 0 || texels > d->caps.image_max_buffer || texels > (size_t)INT32_MAX) {
        GL_LOGI("opencl: a weight buffer of %zu texels exceeds the image limit (%zu); its "
                "weights are read as a buffer",
                texels, d->caps.image_max_buffer);
        return false;
    }
    const cl_image_format fmt = {CL_RGBA, CL_UNSIGNED_INT32};
    cl_image_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.image_type = CL_MEM_OBJECT_IMAGE1D_BUFFER;
    desc.image_width = texels;
    desc.buffer = b->mem;
    cl_int e = CL_SUCCESS;
    b->image = clCreateImage(d->context, CL_MEM_READ_ONLY, &fmt, &desc, NULL, &e);
    if (!b->image || e != CL_SUCCESS) {
        GL_LOGW("opencl: cannot make an image over a weight buffer (%s); weights are read as a "
                "buffer",
                gl_cl_error_string(e));
        if (b->image) clReleaseMemObject(b->image);
        b->image = NULL;
        return false;
    }
    return true;
}

bool gl_cl_weight_image(gl_cl_device *d, const gl_tensor *w, cl_mem *img, cl_uint *texel) {
    if (!(d->caps.enabled & GL_CL_TIER_IMAGE) || w->layout != GL_LAYOUT_SOA || !w->buffer ||
        !w->buffer->impl || w->offset % TEXEL_BYTES)
        return false;
    gl_cl_buffer *b = w->buffer->impl;
    if (b->image_state == 0) b->image_state = make_image(d, b) ? 1 : -1;
    if (b->image_state < 0) return false;
    *img = b->image;
    *texel = (cl_uint)(w->offset / TEXEL_BYTES);
    return true;
}

glint_status gl_cl_scratch(gl_cl_device *d, size_t size, cl_mem *out) {
    *out = NULL;
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    size = gl_align_up(size ? size : 1, 4096);
    if (d->scratch && d->scratch_size >= size) {
        *out = d->scratch;
        return GLINT_OK;
    }
    if (size > d->caps.max_alloc) {
        snprintf(d->last_error, sizeof d->last_error,
                 "opencl: %zu bytes of work memory exceed the largest allocation", size);
        return GLINT_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    /* the old one goes once the kernels already queued on it are done */
    if (d->scratch) clReleaseMemObject(d->scratch);
    d->scratch = NULL;
    d->scratch_size = 0;
    d->scratch_seq = 0;
    cl_int e = CL_SUCCESS;
    cl_mem mem = clCreateBuffer(d->context, CL_MEM_READ_WRITE, size, NULL, &e);
    if (!mem || e != CL_SUCCESS) {
        if (mem) clReleaseMemObject(mem);
        gl_cl_check(d, e != CL_SUCCESS ? e : CL_MEM_OBJECT_ALLOCATION_FAILURE, "work memory");
        return d->lost ? GLINT_ERROR_DEVICE_LOST : GLINT_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    d->scratch = mem;
    d->scratch_size = size;
    *out = mem;
    return GLINT_OK;
}

void gl_cl_scratch_keep(gl_cl_device *d, const uint64_t key[GL_CL_SCRATCH_KEY]) {
    memcpy(d->scratch_key, key, sizeof d->scratch_key);
    d->scratch_seq = d->node_seq;
}

bool gl_cl_scratch_reuse(gl_cl_device *d, const uint64_t key[GL_CL_SCRATCH_KEY]) {
    if (!d->scratch_seq || d->scratch_seq + 1 != d->node_seq ||
        memcmp(d->scratch_key, key, sizeof d->scratch_key) != 0)
        return false;
    d->scratch_seq = d->node_seq;
    return true;
}

/* The command recorder: dispatches go into an open command buffer with a descriptor set each
 * (from pools reset once all work is done) and a barrier only where a binding overlaps memory
 * written since the last barrier, or a write overlaps memory read since then. */
#include "vk_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GL_VK_SETS_PER_POOL 256
/* Submissions in flight before recording waits for the oldest. */
#define GL_VK_MAX_FRAMES 8

glint_status gl_vk_commands_init(gl_vk_device *d, gl_err *err) {
    VkCommandPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                  .queueFamilyIndex = d->queue_family};
    VkResult r = d->vk.vkCreateCommandPool(d->device, &ci, NULL, &d->cmd_pool);
    if (r != VK_SUCCESS)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "vkCreateCommandPool failed: %s",
                       gl_vk_result_string(r));
    /* A submission's length bounds how long the GPU runs without the host: phone drivers
     * reset the GPU after a few seconds in one submission. */
    d->submit_every = 64;
    const char *e = getenv("GLINT_VK_SUBMIT_EVERY");
    if (e && atoi(e) > 0) d->submit_every = atoi(e);
    d->cur_frame = -1;
    return GLINT_OK;
}

static void frame_destroy(gl_vk_device *d, gl_vk_frame *fr) {
    if (fr->fence) d->vk.vkDestroyFence(d->device, fr->fence, NULL);
    for (int i = 0; i < fr->n_pools; i++)
        d->vk.vkDestroyDescriptorPool(d->device, fr->pools[i], NULL);
    free(fr->pools);
}

void gl_vk_commands_free(gl_vk_device *d) {
    for (int i = 0; i < d->n_frames; i++) frame_destroy(d, &d->frames[i]);
    free(d->frames);
    d->frames = NULL;
    d->n_frames = 0;
    if (d->queries) d->vk.vkDestroyQueryPool(d->device, d->queries, NULL);
    d->queries = VK_NULL_HANDLE;
    if (d->cmd_pool) d->vk.vkDestroyCommandPool(d->device, d->cmd_pool, NULL);
    d->cmd_pool = VK_NULL_HANDLE;
    free(d->written);
    free(d->read);
    free(d->timings);
    free(d->query_node);
}

/* Everything earlier on the queue (shader and transfer writes, host writes) is visible to the
 * dispatches that follow. */
static void full_barrier(gl_vk_device *d, VkCommandBuffer cmd, VkPipelineStageFlags dst_stage,
                         VkAccessFlags dst_access) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
                          .dstAccessMask = dst_access};
    d->vk.vkCmdPipelineBarrier(cmd,
                               VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                   VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                               dst_stage, 0, 1, &mb, 0, NULL, 0, NULL);
}

/* Waits for frame f's submission; its command buffer and descriptor sets are free again. */
static glint_status frame_wait(gl_vk_device *d, gl_vk_frame *fr) {
    if (!fr->pending) return GLINT_OK;
    VkResult r = d->vk.vkWaitForFences(d->device, 1, &fr->fence, VK_TRUE, UINT64_MAX);
    if (r == VK_SUCCESS) r = d->vk.vkResetFences(d->device, 1, &fr->fence);
    fr->pending = false;
    return r == VK_SUCCESS ? GLINT_OK : gl_vk_check(d, r, "vkWaitForFences");
}

/* A frame whose last submission is done: a finished one, a new one, or (with
 * GL_VK_MAX_FRAMES in flight) the oldest after waiting for it. */
static glint_status frame_take(gl_vk_device *d, int *out) {
    int f = -1, oldest = -1;
    for (int i = 0; i < d->n_frames && f < 0; i++) {
        gl_vk_frame *fr = &d->frames[i];
        if (fr->pending && d->vk.vkGetFenceStatus(d->device, fr->fence) == VK_SUCCESS) {
            glint_status st = frame_wait(d, fr);
            if (st) return st;
        }
        if (!fr->pending)
            f = i;
        else if (oldest < 0 || fr->serial < d->frames[oldest].serial)
            oldest = i;
    }
    if (f < 0 && d->n_frames >= GL_VK_MAX_FRAMES) {
        glint_status st = frame_wait(d, &d->frames[oldest]);
        if (st) return st;
        f = oldest;
    }
    if (f < 0) {
        gl_vk_frame *fr = realloc(d->frames, sizeof *fr * (size_t)(d->n_frames + 1));
        if (!fr) return GLINT_ERROR_OUT_OF_MEMORY;
        d->frames = fr;
        f = d->n_frames;
        memset(&fr[f], 0, sizeof fr[f]);
        VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                          .commandPool = d->cmd_pool,
                                          .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                          .commandBufferCount = 1};
        VkResult r = d->vk.vkAllocateCommandBuffers(d->device, &ai, &fr[f].cmd);
        VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        if (r == VK_SUCCESS) r = d->vk.vkCreateFence(d->device, &fi, NULL, &fr[f].fence);
        if (r != VK_SUCCESS) {
            if (fr[f].cmd) d->vk.vkFreeCommandBuffers(d->device, d->cmd_pool, 1, &fr[f].cmd);
            if (fr[f].fence) d->vk.vkDestroyFence(d->device, fr[f].fence, NULL);
            return gl_vk_check(d, r, "command buffer setup");
        }
        d->n_frames++;
    }
    /* the frame's descriptor sets were used by its finished submission only */
    gl_vk_frame *fr = &d->frames[f];
    for (int i = 0; i < fr->n_pools; i++) d->vk.vkResetDescriptorPool(d->device, fr->pools[i], 0);
    fr->cur_pool = 0;
    *out = f;
    return GLINT_OK;
}

glint_status gl_vk_begin(gl_vk_device *d) {
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    if (d->cmd) return GLINT_OK;
    int f = -1;
    glint_status st = frame_take(d, &f);
    if (st) return st;
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult r = d->vk.vkBeginCommandBuffer(d->frames[f].cmd, &bi);
    if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkBeginCommandBuffer");
    d->cur_frame = f;
    d->cmd = d->frames[f].cmd;
    d->n_recorded = 0;
    d->groups_recorded = 0;
    d->n_written = d->n_read = 0;
    full_barrier(d, d->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                 VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    return GLINT_OK;
}

glint_status gl_vk_submit(gl_vk_device *d) {
    if (!d->cmd) return GLINT_OK;
    VkCommandBuffer cmd = d->cmd;
    gl_vk_frame *fr = &d->frames[d->cur_frame];
    d->cmd = VK_NULL_HANDLE;
    /* results readable by the host (mapped memory) and by staging copies */
    full_barrier(d, cmd, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                 VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT);
    VkResult r = d->vk.vkEndCommandBuffer(cmd);
    if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkEndCommandBuffer");
    glint_status st = gl_vk_queue_submit(d, cmd, fr->fence);
    if (!st) {
        fr->pending = true;
        fr->serial = ++d->frame_serial;
    }
    return st;
}

glint_status gl_vk_wait_all(gl_vk_device *d) {
    glint_status st = gl_vk_submit(d);
    for (int i = 0; i < d->n_frames; i++) {
        glint_status s2 = frame_wait(d, &d->frames[i]);
        if (!st) st = s2;
    }
    if (d->lost && !st) st = GLINT_ERROR_DEVICE_LOST;
    return st;
}

/* A descriptor set from the open frame's pools, adding a pool when they are full. */
static glint_status alloc_set(gl_vk_device *d, uint32_t nb, VkDescriptorSet *out) {
    gl_vk_frame *fr = &d->frames[d->cur_frame];
    for (;;) {
        if (fr->cur_pool == fr->n_pools) {
            VkDescriptorPool *p = realloc(fr->pools, sizeof *p * (size_t)(fr->n_pools + 1));
            if (!p) return GLINT_ERROR_OUT_OF_MEMORY;
            fr->pools = p;
            VkDescriptorPoolSize ps = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                       .descriptorCount = GL_VK_SETS_PER_POOL * GL_VK_MAX_BINDINGS};
            VkDescriptorPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                             .maxSets = GL_VK_SETS_PER_POOL,
                                             .poolSizeCount = 1,
                                             .pPoolSizes = &ps};
            VkResult r =
                d->vk.vkCreateDescriptorPool(d->device, &ci, NULL, &fr->pools[fr->n_pools]);
            if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkCreateDescriptorPool");
            fr->n_pools++;
        }
        VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                          .descriptorPool = fr->pools[fr->cur_pool],
                                          .descriptorSetCount = 1,
                                          .pSetLayouts = &d->set_layouts[nb]};
        VkResult r = d->vk.vkAllocateDescriptorSets(d->device, &ai, out);
        if (r == VK_SUCCESS) return GLINT_OK;
        if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
            return gl_vk_check(d, r, "vkAllocateDescriptorSets");
        fr->cur_pool++;
    }
}

static bool overlaps(const gl_vk_span *s, int n, VkBuffer b, VkDeviceSize begin, VkDeviceSize end) {
    for (int i = 0; i < n; i++)
        if (s[i].buffer == b && s[i].begin < end && begin < s[i].end) return true;
    return false;
}

static bool push_span(gl_vk_span **s, int *n, int *cap, gl_vk_span v) {
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 64;
        gl_vk_span *p = realloc(*s, sizeof *p * (size_t)c);
        if (!p) return false;
        *s = p;
        *cap = c;
    }
    (*s)[(*n)++] = v;
    return true;
}

/* Bytes spanned by `t`: the last element's row end, for views with any strides. */
static VkDeviceSize tensor_span(const gl_tensor *t) {
    const gl_type_traits *tt = gl_type_get(t->type);
    if (!tt) return 0;
    VkDeviceSize span = (VkDeviceSize)gl_row_size(t->type, t->ne[0]);
    if (!span)
        span = (VkDeviceSize)((t->ne[0] + tt->block_size - 1) / tt->block_size) * tt->type_size;
    for (int i = 1; i < GL_MAX_DIMS; i++)
        if (t->ne[i] > 1) span += (VkDeviceSize)(t->ne[i] - 1) * t->nb[i];
    return span;
}

gl_vk_range gl_vk_tensor_piece(const gl_vk_device *d, const gl_tensor *t, uint64_t begin,
                               uint64_t size, bool write) {
    gl_vk_range r = {0};
    if (!t || !t->buffer || !t->buffer->impl) return r;
    const gl_vk_buffer *vb = t->buffer->impl;
    uint64_t start;
    if (!gl_add_u64(t->offset, begin, &start) || start >= vb->size || size > vb->size - start)
        return r; /* not inside the allocation: no range */
    const VkDeviceSize a = GL_MAX(d->caps.min_storage_offset_alignment, (VkDeviceSize)1);
    const VkDeviceSize first = vb->offset + start;
    r.buffer = vb->buffer;
    r.offset = first / a * a;
    r.skew = (uint32_t)(first - r.offset);
    /* round up to whole 16-byte words for vector loads, never past our allocation */
    VkDeviceSize end = gl_align_up(first + GL_MAX(size, (uint64_t)1), 16);
    end = GL_MIN(end, vb->offset + vb->size);
    r.size = end - r.offset;
    r.write = write;
    return r;
}

gl_vk_range gl_vk_tensor_range(const gl_vk_device *d, const gl_tensor *t, bool write) {
    return t ? gl_vk_tensor_piece(d, t, 0, tensor_span(t), write) : (gl_vk_range){0};
}

glint_status gl_vk_record_dispatch(gl_vk_device *d, const gl_vk_dispatch *ds) {
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    if (ds->n_bindings > GL_VK_MAX_BINDINGS || ds->push_size > 128 || ds->n_spec > GL_VK_MAX_SPEC)
        return GLINT_ERROR_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < ds->n_bindings; i++) {
        if (!ds->bindings[i].buffer || !ds->bindings[i].size) return GLINT_ERROR_INVALID_ARGUMENT;
        if (ds->bindings[i].size > d->caps.max_storage_buffer_range) {
            snprintf(d->last_error, sizeof d->last_error,
                     "vulkan: binding %u spans %llu bytes, more than the device's storage range "
                     "(%llu): bind it in pieces",
                     i, (unsigned long long)ds->bindings[i].size,
                     (unsigned long long)d->caps.max_storage_buffer_range);
            GL_LOGE("%s", d->last_error);
            return GLINT_ERROR_UNSUPPORTED;
        }
    }
    VkPipeline pipe;
    glint_status st = gl_vk_pipeline_get(d, ds, &pipe);
    if (st) return st;
    if (!d->cmd && (st = gl_vk_begin(d))) return st;
    if (ds->groups[0] == 0 || ds->groups[1] == 0 || ds->groups[2] == 0) return GLINT_OK;

    /* Whole bound ranges, not just the tensors' bytes: neighbours sharing an alignment unit
     * get a barrier (cheap), which keeps sub-word stores and the validator's view safe. */
    bool hazard = false;
    for (uint32_t i = 0; i < ds->n_bindings && !hazard; i++) {
        const gl_vk_range *b = &ds->bindings[i];
        const VkDeviceSize end = b->offset + b->size;
        hazard = overlaps(d->written, d->n_written, b->buffer, b->offset, end) ||
                 (b->write && overlaps(d->read, d->n_read, b->buffer, b->offset, end));
    }
    if (hazard) {
        VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                              .dstAccessMask =
                                  VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
        d->vk.vkCmdPipelineBarrier(d->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, NULL, 0,
                                   NULL);
        d->n_written = d->n_read = 0;
        d->n_barriers++;
    }
    for (uint32_t i = 0; i < ds->n_bindings; i++) {
        const gl_vk_range *b = &ds->bindings[i];
        gl_vk_span s = {b->buffer, b->offset, b->offset + b->size};
        bool ok = b->write ? push_span(&d->written, &d->n_written, &d->cap_written, s)
                           : push_span(&d->read, &d->n_read, &d->cap_read, s);
        if (!ok) return GLINT_ERROR_OUT_OF_MEMORY;
    }

    VkDescriptorSet set = VK_NULL_HANDLE;
    if (ds->n_bindings) {
        if ((st = alloc_set(d, ds->n_bindings, &set))) return st;
        VkDescriptorBufferInfo bi[GL_VK_MAX_BINDINGS];
        VkWriteDescriptorSet w[GL_VK_MAX_BINDINGS];
        for (uint32_t i = 0; i < ds->n_bindings; i++) {
            bi[i] = (VkDescriptorBufferInfo){ds->bindings[i].buffer, ds->bindings[i].offset,
                                             ds->bindings[i].size};
            w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                          .dstSet = set,
                                          .dstBinding = i,
                                          .descriptorCount = 1,
                                          .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                          .pBufferInfo = &bi[i]};
        }
        d->vk.vkUpdateDescriptorSets(d->device, ds->n_bindings, w, 0, NULL);
    }
    d->vk.vkCmdBindPipeline(d->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
    if (set)
        d->vk.vkCmdBindDescriptorSets(d->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                                      d->layouts[ds->n_bindings], 0, 1, &set, 0, NULL);
    /* always the whole range, zero-padded: shaders never read stale push constants */
    uint32_t push[32] = {0};
    if (ds->push && ds->push_size) memcpy(push, ds->push, ds->push_size);
    d->vk.vkCmdPushConstants(d->cmd, d->layouts[ds->n_bindings], VK_SHADER_STAGE_COMPUTE_BIT, 0,
                             sizeof push, push);
    d->vk.vkCmdDispatch(d->cmd, ds->groups[0], ds->groups[1], ds->groups[2]);
    d->n_recorded++;
    d->groups_recorded += (uint64_t)ds->groups[0] * ds->groups[1] * ds->groups[2];
    d->n_dispatches++;
    return GLINT_OK;
}

/* ---- timestamps ---------------------------------------------------------------------------- */

void gl_vk_timestamp(gl_vk_device *d, int32_t node, bool end) {
    if (!d->profiling || !d->queries || !d->cmd || d->n_queries + 1 >= d->n_queries_cap) return;
    if (!end) {
        d->query_node[d->n_queries / 2] = node;
        d->vk.vkCmdResetQueryPool(d->cmd, d->queries, d->n_queries, 2);
    }
    d->vk.vkCmdWriteTimestamp(
        d->cmd, end ? VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT : VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
        d->queries, d->n_queries + (end ? 1 : 0));
    if (end) d->n_queries += 2;
}

void gl_vk_read_timings(gl_vk_device *d) {
    d->n_timings = 0;
    const uint32_t pairs = d->n_queries / 2;
    if (!pairs || !d->queries) return;
    uint64_t *ts = malloc(sizeof *ts * 2 * pairs);
    if (ts && (int)pairs > d->cap_timings) {
        gl_node_timing *t = realloc(d->timings, sizeof *t * pairs);
        if (t) d->timings = t, d->cap_timings = (int)pairs;
    }
    if (ts && d->cap_timings >= (int)pairs &&
        d->vk.vkGetQueryPoolResults(
            d->device, d->queries, 0, 2 * pairs, sizeof *ts * 2 * pairs, ts, sizeof *ts,
            VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS) {
        const uint64_t mask = d->caps.timestamp_valid_bits >= 64
                                  ? UINT64_MAX
                                  : ((uint64_t)1 << d->caps.timestamp_valid_bits) - 1;
        for (uint32_t i = 0; i < pairs; i++) {
            const uint64_t dt = ((ts[2 * i + 1] & mask) - (ts[2 * i] & mask)) & mask;
            d->timings[d->n_timings++] =
                (gl_node_timing){d->query_node[i], (double)dt * d->caps.timestamp_period_ns / 1e3};
        }
    }
    free(ts);
    d->n_queries = 0;
}

/* Device memory: large blocks (one VkDeviceMemory + one VkBuffer each, within
 * maxMemoryAllocationSize) sub-allocated first fit; mapped when the memory is unified, else
 * filled and read through a small ring of staging buffers. */
#include "vk_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gl_vk_free {
    VkDeviceSize offset, size;
} gl_vk_free;

struct gl_vk_block {
    gl_vk_block *next;
    VkDeviceMemory mem;
    VkBuffer buffer;
    VkDeviceSize size;
    void *map;
    gl_vk_free *free; /* sorted by offset, coalesced */
    int n_free, cap_free;
};

static VkDeviceSize mem_align(const gl_vk_device *d) {
    return GL_MAX(d->caps.min_storage_offset_alignment, (VkDeviceSize)64);
}

static bool pick_type(const gl_vk_device *d, uint32_t bits, VkMemoryPropertyFlags need,
                      VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid, uint32_t *out) {
    const VkPhysicalDeviceMemoryProperties *mp = &d->mem_props;
    int best = -1, best_score = -1;
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++) {
        const VkMemoryPropertyFlags f = mp->memoryTypes[t].propertyFlags;
        if (!(bits & (1u << t)) || (f & need) != need) continue;
        int score = 0;
        if ((f & want) == want) score += 2;
        if (!(f & avoid)) score += 1;
        if (score > best_score) best = (int)t, best_score = score;
    }
    if (best < 0) return false;
    *out = (uint32_t)best;
    return true;
}

/* The memory properties each pool asks for. */
static void pool_flags(const gl_vk_device *d, int pool, VkMemoryPropertyFlags *need,
                       VkMemoryPropertyFlags *want, VkMemoryPropertyFlags *avoid) {
    const VkMemoryPropertyFlags host =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    *avoid = 0;
    if (pool == GL_VK_POOL_STAGING) {
        *need = host;
        *want = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    } else if (d->caps.unified_memory) {
        *need = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | host;
        *want = 0;
    } else {
        *need = 0;
        *want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
        *avoid = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
    }
}

glint_status gl_vk_memory_init(gl_vk_device *d, gl_err *err) {
    (void)err;
    for (int p = 0; p < GL_VK_POOL_COUNT; p++) {
        d->pools[p].type_index = UINT32_MAX;
        d->pools[p].mapped = p == GL_VK_POOL_STAGING || d->caps.unified_memory;
    }
    /* big enough that a model's weights take few blocks, small enough for phones */
    d->block_size = GL_MIN((VkDeviceSize)64 << 20, d->caps.max_allocation_size);
    d->staging_size = 8 << 20;
    return GLINT_OK;
}

static void block_destroy(gl_vk_device *d, gl_vk_block *b) {
    if (b->buffer) d->vk.vkDestroyBuffer(d->device, b->buffer, NULL);
    if (b->mem) d->vk.vkFreeMemory(d->device, b->mem, NULL); /* unmaps */
    free(b->free);
    free(b);
}

static glint_status block_create(gl_vk_device *d, int pool, VkDeviceSize size, gl_vk_block **out) {
    gl_vk_pool *P = &d->pools[pool];
    gl_vk_block *b = calloc(1, sizeof *b);
    if (!b) return GLINT_ERROR_OUT_OF_MEMORY;
    b->size = size;
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = d->vk.vkCreateBuffer(d->device, &bi, NULL, &b->buffer);
    if (r != VK_SUCCESS) {
        block_destroy(d, b);
        return gl_vk_check(d, r, "vkCreateBuffer");
    }
    VkMemoryRequirements req;
    d->vk.vkGetBufferMemoryRequirements(d->device, b->buffer, &req);
    VkMemoryPropertyFlags need, want, avoid;
    pool_flags(d, pool, &need, &want, &avoid);
    uint32_t type;
    if (!pick_type(d, req.memoryTypeBits, need, want, avoid, &type)) {
        block_destroy(d, b);
        snprintf(d->last_error, sizeof d->last_error,
                 "vulkan: no memory type with flags 0x%x for buffers", (unsigned)need);
        GL_LOGE("%s", d->last_error);
        return GLINT_ERROR_UNSUPPORTED;
    }
    P->type_index = type;
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = type};
    r = d->vk.vkAllocateMemory(d->device, &ai, NULL, &b->mem);
    if (r == VK_SUCCESS) r = d->vk.vkBindBufferMemory(d->device, b->buffer, b->mem, 0);
    if (r == VK_SUCCESS && P->mapped)
        r = d->vk.vkMapMemory(d->device, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map);
    if (r != VK_SUCCESS) {
        block_destroy(d, b);
        if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) {
            snprintf(d->last_error, sizeof d->last_error,
                     "vulkan: out of device memory allocating a block of %llu MiB",
                     (unsigned long long)(size >> 20));
            GL_LOGW("%s", d->last_error);
            return GLINT_ERROR_OUT_OF_DEVICE_MEMORY;
        }
        return gl_vk_check(d, r, "vkAllocateMemory");
    }
    b->free = malloc(sizeof *b->free * 4);
    if (!b->free) {
        block_destroy(d, b);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    b->cap_free = 4;
    b->n_free = 1;
    b->free[0] = (gl_vk_free){0, size};
    *out = b;
    return GLINT_OK;
}

static bool block_take(gl_vk_block *b, VkDeviceSize size, VkDeviceSize *off) {
    for (int i = 0; i < b->n_free; i++) {
        if (b->free[i].size < size) continue;
        *off = b->free[i].offset;
        b->free[i].offset += size;
        b->free[i].size -= size;
        if (b->free[i].size == 0) {
            memmove(&b->free[i], &b->free[i + 1], sizeof *b->free * (size_t)(b->n_free - i - 1));
            b->n_free--;
        }
        return true;
    }
    return false;
}

static bool block_give(gl_vk_block *b, VkDeviceSize off, VkDeviceSize size) {
    int i = 0;
    while (i < b->n_free && b->free[i].offset < off) i++;
    const bool prev = i > 0 && b->free[i - 1].offset + b->free[i - 1].size == off;
    const bool next = i < b->n_free && off + size == b->free[i].offset;
    if (prev && next) {
        b->free[i - 1].size += size + b->free[i].size;
        memmove(&b->free[i], &b->free[i + 1], sizeof *b->free * (size_t)(b->n_free - i - 1));
        b->n_free--;
    } else if (prev) {
        b->free[i - 1].size += size;
    } else if (next) {
        b->free[i].offset = off;
        b->free[i].size += size;
    } else {
        if (b->n_free == b->cap_free) {
            gl_vk_free *f = realloc(b->free, sizeof *f * (size_t)b->cap_free * 2);
            if (!f) return false; /* the range leaks until the block goes */
            b->free = f;
            b->cap_free *= 2;
        }
        memmove(&b->free[i + 1], &b->free[i], sizeof *b->free * (size_t)(b->n_free - i));
        b->free[i] = (gl_vk_free){off, size};
        b->n_free++;
    }
    return true;
}

glint_status gl_vk_alloc(gl_vk_device *d, int pool, VkDeviceSize size, gl_vk_buffer *out) {
    memset(out, 0, sizeof *out);
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    const VkDeviceSize a = mem_align(d);
    const VkDeviceSize need = gl_align_up(size ? size : 1, a);
    if (need > d->caps.max_allocation_size) {
        snprintf(d->last_error, sizeof d->last_error,
                 "vulkan: a buffer of %llu bytes is larger than the device's largest "
                 "allocation (%llu bytes)",
                 (unsigned long long)size, (unsigned long long)d->caps.max_allocation_size);
        GL_LOGW("%s", d->last_error);
        return GLINT_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    gl_vk_pool *P = &d->pools[pool];
    gl_vk_block *b = P->blocks;
    VkDeviceSize off = 0;
    while (b && !block_take(b, need, &off)) b = b->next;
    if (!b) {
        VkDeviceSize bs = pool == GL_VK_POOL_STAGING ? need : GL_MAX(need, d->block_size);
        glint_status st = block_create(d, pool, bs, &b);
        if (st == GLINT_ERROR_OUT_OF_DEVICE_MEMORY && bs > need)
            st = block_create(d, pool, need, &b); /* no room for a whole block: exact fit */
        if (st) return st;
        b->next = P->blocks;
        P->blocks = b;
        block_take(b, need, &off);
    }
    out->buffer = b->buffer;
    out->offset = off;
    out->size = need;
    out->host = b->map ? (char *)b->map + off : NULL;
    out->block = b;
    return GLINT_OK;
}

void gl_vk_release(gl_vk_device *d, gl_vk_buffer *vb) {
    if (!vb || !vb->block) return;
    gl_vk_block *b = vb->block;
    block_give(b, vb->offset, vb->size);
    vb->block = NULL;
    if (b->n_free != 1 || b->free[0].size != b->size) return;
    /* an empty block goes back to the driver */
    for (int p = 0; p < GL_VK_POOL_COUNT; p++)
        for (gl_vk_block **pp = &d->pools[p].blocks; *pp; pp = &(*pp)->next)
            if (*pp == b) {
                *pp = b->next;
                block_destroy(d, b);
                return;
            }
}

void gl_vk_memory_free(gl_vk_device *d) {
    for (int i = 0; i < GL_VK_STAGING_SLOTS; i++) {
        gl_vk_staging_slot *s = &d->staging[i];
        if (s->fence) d->vk.vkDestroyFence(d->device, s->fence, NULL);
        s->fence = VK_NULL_HANDLE;
        gl_vk_release(d, &s->buf);
    }
    for (int p = 0; p < GL_VK_POOL_COUNT; p++) {
        gl_vk_block *b = d->pools[p].blocks;
        while (b) {
            gl_vk_block *n = b->next;
            block_destroy(d, b);
            b = n;
        }
        d->pools[p].blocks = NULL;
    }
}

/* ---- staging ---------------------------------------------------------------------------- */

static glint_status slot_ready(gl_vk_device *d, gl_vk_staging_slot *s) {
    if (!s->buf.block) {
        glint_status st = gl_vk_alloc(d, GL_VK_POOL_STAGING, d->staging_size, &s->buf);
        if (st) return st;
        VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                          .commandPool = d->cmd_pool,
                                          .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                          .commandBufferCount = 1};
        VkResult r = d->vk.vkAllocateCommandBuffers(d->device, &ai, &s->cmd);
        VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        if (r == VK_SUCCESS) r = d->vk.vkCreateFence(d->device, &fi, NULL, &s->fence);
        if (r != VK_SUCCESS) return gl_vk_check(d, r, "staging setup");
    }
    if (s->pending) {
        VkResult r = d->vk.vkWaitForFences(d->device, 1, &s->fence, VK_TRUE, UINT64_MAX);
        s->pending = false;
        if (r == VK_SUCCESS) r = d->vk.vkResetFences(d->device, 1, &s->fence);
        if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkWaitForFences (staging)");
    }
    return GLINT_OK;
}

static glint_status slot_copy(gl_vk_device *d, gl_vk_staging_slot *s, VkBuffer src,
                              VkDeviceSize src_off, VkBuffer dst, VkDeviceSize dst_off,
                              VkDeviceSize n, bool download) {
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult r = d->vk.vkBeginCommandBuffer(s->cmd, &bi);
    if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkBeginCommandBuffer");
    VkMemoryBarrier mb = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT};
    d->vk.vkCmdPipelineBarrier(
        s->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
        VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    VkBufferCopy c = {.srcOffset = src_off, .dstOffset = dst_off, .size = n};
    d->vk.vkCmdCopyBuffer(s->cmd, src, dst, 1, &c);
    if (download) {
        VkMemoryBarrier hb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
        d->vk.vkCmdPipelineBarrier(s->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                   VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &hb, 0, NULL, 0, NULL);
    }
    r = d->vk.vkEndCommandBuffer(s->cmd);
    if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkEndCommandBuffer");
    glint_status st = gl_vk_queue_submit(d, s->cmd, s->fence);
    if (!st) s->pending = true;
    return st;
}

static glint_status staging_drain(gl_vk_device *d) {
    glint_status st = GLINT_OK;
    for (int i = 0; i < GL_VK_STAGING_SLOTS; i++) {
        gl_vk_staging_slot *s = &d->staging[i];
        if (!s->pending) continue;
        glint_status s2 = slot_ready(d, s);
        if (!st) st = s2;
    }
    return st;
}

glint_status gl_vk_write(gl_vk_device *d, const gl_vk_buffer *b, VkDeviceSize offset,
                         const void *src, VkDeviceSize size) {
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    if (offset > b->size || size > b->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    if (b->host) {
        memcpy((char *)b->host + offset, src, size);
        return GLINT_OK;
    }
    /* two slots: the CPU fills one while the GPU copies from the other */
    for (VkDeviceSize done = 0; done < size;) {
        gl_vk_staging_slot *s = &d->staging[d->staging_next];
        d->staging_next = (d->staging_next + 1) % GL_VK_STAGING_SLOTS;
        glint_status st = slot_ready(d, s);
        if (st) return st;
        const VkDeviceSize n = GL_MIN(size - done, d->staging_size);
        memcpy(s->buf.host, (const char *)src + done, n);
        st = slot_copy(d, s, s->buf.buffer, s->buf.offset, b->buffer, b->offset + offset + done, n,
                       false);
        if (st) return st;
        done += n;
    }
    return staging_drain(d);
}

glint_status gl_vk_read(gl_vk_device *d, const gl_vk_buffer *b, VkDeviceSize offset, void *dst,
                        VkDeviceSize size) {
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    if (offset > b->size || size > b->size - offset) return GLINT_ERROR_INVALID_ARGUMENT;
    if (b->host) {
        memcpy(dst, (const char *)b->host + offset, size);
        return GLINT_OK;
    }
    gl_vk_staging_slot *s = &d->staging[0];
    for (VkDeviceSize done = 0; done < size;) {
        glint_status st = slot_ready(d, s);
        if (st) return st;
        const VkDeviceSize n = GL_MIN(size - done, d->staging_size);
        st = slot_copy(d, s, b->buffer, b->offset + offset + done, s->buf.buffer, s->buf.offset, n,
                       true);
        if (!st) st = slot_ready(d, s);
        if (st) return st;
        memcpy((char *)dst + done, s->buf.host, n);
        done += n;
    }
    return GLINT_OK;
}

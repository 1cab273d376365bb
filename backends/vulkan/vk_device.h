/* The Vulkan device object and the private interfaces between the backend's own files
 * (device, quirks, memory, pipelines, commands, backend). Op files use vk_internal.h only;
 * tests may use this header to drive the recorder directly. */
#ifndef GLINT_VK_DEVICE_H
#define GLINT_VK_DEVICE_H

#include "vk_internal.h"

/* ---- memory --------------------------------------------------------------------------------- */

typedef struct gl_vk_block gl_vk_block;

/* One pool per kind of memory: blocks of one memory type, each a VkDeviceMemory bound to one
 * VkBuffer, sub-allocated first fit. */
typedef struct gl_vk_pool {
    uint32_t type_index; /* UINT32_MAX: no such memory on this device */
    bool mapped;         /* blocks are host-visible, coherent and mapped */
    gl_vk_block *blocks;
} gl_vk_pool;

enum { GL_VK_POOL_WEIGHTS, GL_VK_POOL_COMPUTE, GL_VK_POOL_STAGING, GL_VK_POOL_COUNT };

#define GL_VK_STAGING_SLOTS 2

typedef struct gl_vk_staging_slot {
    gl_vk_buffer buf;
    VkCommandBuffer cmd;
    VkFence fence;
    bool pending;
} gl_vk_staging_slot;

/* ---- pipelines ------------------------------------------------------------------------------ */

typedef struct gl_vk_pipeline {
    gl_vk_shader_id shader;
    uint32_t spec[GL_VK_MAX_SPEC], n_spec, n_bindings;
    VkPipeline pipeline;
} gl_vk_pipeline;

/* ---- the recorder --------------------------------------------------------------------------- */

typedef struct gl_vk_span {
    VkBuffer buffer;
    VkDeviceSize begin, end;
} gl_vk_span;

/* One submission: its command buffer, fence and the descriptor pools its sets came from
 * (reset when the frame is reused, after its fence). */
typedef struct gl_vk_frame {
    VkCommandBuffer cmd;
    VkFence fence;
    bool pending;
    uint64_t serial; /* submission order */
    VkDescriptorPool *pools;
    int n_pools, cur_pool;
} gl_vk_frame;

struct gl_vk_device {
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    bool owns_device; /* false: the application's (never destroyed here) */
    glint_vulkan_external ext;
    VkDebugUtilsMessengerEXT messenger;
    struct VolkDeviceTable vk;
    gl_vk_caps caps;
    VkPhysicalDeviceMemoryProperties mem_props;
    bool lost; /* VK_ERROR_DEVICE_LOST seen: all further work is refused */
    char last_error[256];

    /* memory */
    gl_vk_pool pools[GL_VK_POOL_COUNT];
    VkDeviceSize block_size;
    gl_vk_staging_slot staging[GL_VK_STAGING_SLOTS];
    VkDeviceSize staging_size;
    int staging_next;

    /* pipelines */
    VkDescriptorSetLayout set_layouts[GL_VK_MAX_BINDINGS + 1];
    VkPipelineLayout layouts[GL_VK_MAX_BINDINGS + 1];
    VkShaderModule modules[GL_VK_SHADER_COUNT + 1];
    gl_vk_pipeline *pipelines;
    int n_pipelines, cap_pipelines;
    VkPipelineCache cache;
    char cache_path[1024];
    bool cache_dirty;
    size_t cache_loaded; /* bytes of pipeline cache accepted from the file */

    /* commands */
    VkCommandPool cmd_pool;
    gl_vk_frame *frames;
    int n_frames;
    VkCommandBuffer cmd; /* open for recording, or VK_NULL_HANDLE */
    int cur_frame;
    int n_recorded;           /* dispatches in the open command buffer */
    uint64_t groups_recorded; /* their workgroups, a rough measure of GPU time */
    int submit_every;         /* dispatches per submission before splitting */
    uint64_t frame_serial;
    gl_vk_span *written, *read;
    int n_written, n_read, cap_written, cap_read;
    uint64_t n_barriers, n_submits, n_dispatches; /* counters, for tests */

    /* profiling */
    bool profiling;
    VkQueryPool queries;
    uint32_t n_queries_cap, n_queries;
    gl_node_timing *timings;
    int n_timings, cap_timings;
    int32_t *query_node; /* node index of each timestamp pair */
};

/* vk_backend.c: the device behind a Vulkan backend, NULL for another backend (tests drive
 * the recorder through it). */
gl_vk_device *gl_vk_backend_device(gl_backend *b);

/* vk_device.c */
/* Opens (ext == NULL) or adopts (ext) a device and probes its caps. Caller frees with
 * gl_vk_device_free. */
glint_status gl_vk_device_create(const glint_vulkan_external *ext, gl_vk_device **out, gl_err *err);
void gl_vk_device_free(gl_vk_device *d);
const char *gl_vk_result_string(VkResult r);
/* Maps a failed VkResult to a status, marking the device lost when it is. */
glint_status gl_vk_check(gl_vk_device *d, VkResult r, const char *what);
/* Submits on the queue, holding the application's lock when shared. */
glint_status gl_vk_queue_submit(gl_vk_device *d, VkCommandBuffer cmd, VkFence fence);
/* Lines describing the caps ("  key: value\n"), NUL-terminated. */
void gl_vk_describe(const gl_vk_device *d, char *buf, size_t cap);

/* vk_quirks.c: the entry that applies to these caps, or NULL; *disable gets its features. */
const char *gl_vk_quirk_lookup(const gl_vk_caps *c, uint32_t *disable);
/* Parses GLINT_VK_DISABLE-style text ("fp16,int8dot") into GL_VK_FEAT_* bits. */
uint32_t gl_vk_parse_features(const char *s);

/* vk_memory.c */
glint_status gl_vk_memory_init(gl_vk_device *d, gl_err *err);
void gl_vk_memory_free(gl_vk_device *d);
glint_status gl_vk_alloc(gl_vk_device *d, int pool, VkDeviceSize size, gl_vk_buffer *out);
void gl_vk_release(gl_vk_device *d, gl_vk_buffer *b);
/* Copies between host memory and a buffer (mapped: memcpy; else through the staging ring).
 * The caller has waited for the GPU work touching the range. */
glint_status gl_vk_write(gl_vk_device *d, const gl_vk_buffer *b, VkDeviceSize offset,
                         const void *src, VkDeviceSize size);
glint_status gl_vk_read(gl_vk_device *d, const gl_vk_buffer *b, VkDeviceSize offset, void *dst,
                        VkDeviceSize size);

/* vk_pipeline.c */
glint_status gl_vk_pipelines_init(gl_vk_device *d, gl_err *err);
void gl_vk_pipelines_free(gl_vk_device *d);
/* The pipeline for (shader, spec, n_bindings), created on first use. */
glint_status gl_vk_pipeline_get(gl_vk_device *d, const gl_vk_dispatch *ds, VkPipeline *out);
/* Writes the on-disk cache when pipelines were created since the last save. */
void gl_vk_pipelines_save(gl_vk_device *d);

/* vk_commands.c */
glint_status gl_vk_commands_init(gl_vk_device *d, gl_err *err);
void gl_vk_commands_free(gl_vk_device *d);
/* Opens a command buffer (waits nothing: frames in flight keep theirs). */
glint_status gl_vk_begin(gl_vk_device *d);
/* Ends and submits the open command buffer, if any. */
glint_status gl_vk_submit(gl_vk_device *d);
/* Submits what is open and waits for every submission; resets descriptor pools. */
glint_status gl_vk_wait_all(gl_vk_device *d);
/* Timestamps around node `node` (when profiling and the queue has valid bits). */
void gl_vk_timestamp(gl_vk_device *d, int32_t node, bool end);
void gl_vk_read_timings(gl_vk_device *d);

#endif

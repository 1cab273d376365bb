/* Vulkan backend internals shared by its files: the device (one volk function table per
 * device, no process-wide function pointers), capabilities and tiers, memory, pipelines and
 * the command recorder the op files dispatch through. Nothing here is API. */
#ifndef GLINT_VK_INTERNAL_H
#define GLINT_VK_INTERNAL_H

#include "backend.h"
#include "gl_vk_shaders.h"
#include "volk.h"

/* ---- capabilities --------------------------------------------------------------------------- */

/* Kernel tiers. Each is used only where probed, and can be forced off with
 * GLINT_VK_DISABLE=fp16,int8dot,subgroup,storage16,storage8 (comma-separated), or by the
 * driver-quirk table. */
enum {
    GL_VK_FEAT_FP16 = 1u << 0,      /* shaderFloat16: fp16 arithmetic */
    GL_VK_FEAT_STORAGE16 = 1u << 1, /* storageBuffer16BitAccess: f16 loads/stores */
    GL_VK_FEAT_STORAGE8 = 1u << 2,  /* storageBuffer8BitAccess: int8 loads/stores */
    GL_VK_FEAT_INT8DOT = 1u << 3,   /* VK_KHR_shader_integer_dot_product, 4x8-bit packed */
    GL_VK_FEAT_SUBGROUP = 1u << 4,  /* subgroup arithmetic (add/max) in compute */
};

typedef struct gl_vk_caps {
    char name[256], driver_name[256], driver_info[256];
    uint32_t api_version, driver_version, vendor_id, device_id;
    VkPhysicalDeviceType type;
    uint8_t pipeline_cache_uuid[VK_UUID_SIZE];
    bool unified_memory;           /* device-local memory the host can map (UMA, ReBAR) */
    uint64_t device_local_bytes;   /* largest device-local heap */
    uint32_t subgroup_size;        /* treat as a runtime value: 16 Mali, 64/128 Adreno, 32 NV */
    VkSubgroupFeatureFlags subgroup_ops;
    uint64_t max_storage_buffer_range, max_allocation_size;
    uint32_t max_shared_memory, max_workgroup_invocations, max_push_constants;
    uint64_t min_storage_offset_alignment;
    bool timestamps;               /* compute queue reports valid timestamp bits */
    uint32_t timestamp_valid_bits;
    float timestamp_period_ns;
    uint32_t probed;               /* GL_VK_FEAT_* the device offers */
    uint32_t enabled;              /* after quirks and GLINT_VK_DISABLE */
    const char *quirk;             /* the quirk-table entry that applied, or NULL */
    bool int8dot_accelerated;      /* 4x8-bit packed dot product runs in hardware */
} gl_vk_caps;

/* ---- memory ----------------------------------------------------------------------------------- */

/* A range of one VkBuffer, sub-allocated from a larger block. `host` is its mapping when the
 * memory is host-visible. Lives in gl_buffer.impl. */
typedef struct gl_vk_buffer {
    VkBuffer buffer;
    VkDeviceSize offset, size; /* within `buffer` */
    void *host;
    void *block;               /* the allocator's block */
} gl_vk_buffer;

/* ---- the device ---------------------------------------------------------------------------- */

typedef struct gl_vk_device gl_vk_device;

/* Everything an op file needs to record a dispatch on the device. */
typedef struct gl_vk_range {
    VkBuffer buffer;
    VkDeviceSize offset; /* aligned down to min_storage_offset_alignment */
    VkDeviceSize size;
    uint32_t skew;       /* bytes from `offset` to the tensor's first byte: pass to the shader */
    bool write;
} gl_vk_range;

/* The bytes of tensor `t` (which must live in a Vulkan buffer) as a binding; `write` marks it
 * as written by the dispatch, for hazard tracking. */
gl_vk_range gl_vk_tensor_range(const gl_vk_device *d, const gl_tensor *t, bool write);
/* Bytes [begin, begin + size) of tensor `t` (counted from its first byte) as a binding: for
 * tensors larger than caps.max_storage_buffer_range, bound in pieces. A range outside the
 * tensor's buffer comes back with buffer == VK_NULL_HANDLE. gl_vk_record_dispatch refuses
 * (GLINT_ERROR_UNSUPPORTED) a binding larger than max_storage_buffer_range. */
gl_vk_range gl_vk_tensor_piece(const gl_vk_device *d, const gl_tensor *t, uint64_t begin,
                               uint64_t size, bool write);

#define GL_VK_MAX_BINDINGS 8
#define GL_VK_MAX_SPEC 8

typedef struct gl_vk_dispatch {
    gl_vk_shader_id shader;
    uint32_t spec[GL_VK_MAX_SPEC]; /* specialization constants 0..n_spec-1 (pipeline variant) */
    uint32_t n_spec;
    const void *push;              /* push constants, at most 128 bytes */
    uint32_t push_size;
    gl_vk_range bindings[GL_VK_MAX_BINDINGS]; /* set 0, binding i = bindings[i] */
    uint32_t n_bindings;
    uint32_t groups[3];            /* workgroup counts */
} gl_vk_dispatch;

/* Records one dispatch into the open command buffer: creates the pipeline on first use
 * (cached by shader + specialization), writes a descriptor set, and inserts a barrier only
 * when a binding overlaps memory written since the last barrier (or a write overlaps memory
 * read since then). */
glint_status gl_vk_record_dispatch(gl_vk_device *d, const gl_vk_dispatch *ds);

const gl_vk_caps *gl_vk_device_caps(const gl_vk_device *d);

/* Validation-layer warnings and errors seen by this process (GLINT_VK_VALIDATE=1): tests
 * assert it stays 0. */
uint64_t gl_vk_validation_messages(void);

/* ---- ops: one file each under ops/, with a supports and a record function ---------------- */

typedef struct gl_vk_op {
    bool (*supports)(const gl_vk_device *d, const gl_node *n);
    glint_status (*record)(gl_vk_device *d, const gl_node *n);
} gl_vk_op;

/* Indexed by gl_op (ops/table.c); NULL for ops the backend does not implement. Each op file
 * defines `const gl_vk_op gl_vk_op_<name>` and its line in the table points at it. */
extern const gl_vk_op *const gl_vk_ops[GL_OP_COUNT];

#endif

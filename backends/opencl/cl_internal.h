/* OpenCL backend internals shared by its files: the device (context, queue, capabilities),
 * the program cache, tensor arguments and the op table. Nothing here is API.
 *
 * Kernels live in shaders/opencl/<program>.cl, embedded at build time. A tensor reaches a
 * kernel as two arguments: its buffer (global memory, `global uchar *` or a typed pointer)
 * and its byte offset (ulong): OpenCL 1.2 sub-buffers need aligned origins, offsets do not.
 * The base tier needs OpenCL 1.2 only (fp16 storage through vload_half/vstore_half); the
 * other tiers are used where the device reports them and GLINT_CL_DISABLE does not force
 * them off. */
#ifndef GLINT_CL_INTERNAL_H
#define GLINT_CL_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

/* cl* calls go through the entry-point table (linked, or dlopen on Android). */
#include "cl_api.h"

#include "backend.h"

/* Tiers (bits of gl_cl_caps.enabled). */
enum {
    GL_CL_TIER_FP16 = 1u << 0,     /* cl_khr_fp16: half arithmetic */
    GL_CL_TIER_SUBGROUP = 1u << 1, /* cl_khr_subgroups / cl_intel_subgroups / qcom: reductions */
    GL_CL_TIER_IMAGE = 1u << 2,    /* image1d_buffer_t weight reads (Adreno) */
    GL_CL_TIER_INT8DOT = 1u << 3, /* cl_khr_integer_dot_product / cl_arm_integer_dot_product_int8 */
};

typedef struct gl_cl_caps {
    char name[128], vendor[128], version[128], driver[128], platform[256];
    int cl_major, cl_minor;
    cl_device_type type;
    cl_uint compute_units;
    cl_ulong global_mem, max_alloc, local_mem;
    size_t max_wg;
    bool unified; /* CL_DEVICE_HOST_UNIFIED_MEMORY: buffers are host-mapped */
    bool images;
    size_t image_max_buffer; /* CL_DEVICE_IMAGE_MAX_BUFFER_SIZE (texels) */
    bool fp16, subgroups, int8dot, qcom_subgroup_size;
    cl_uint mem_base_align;   /* bytes */
    uint32_t probed, enabled; /* GL_CL_TIER_* the device offers / that are on */
} gl_cl_caps;

typedef struct gl_cl_device gl_cl_device;

const gl_cl_caps *gl_cl_device_caps(const gl_cl_device *d);

/* The kernel `kernel` of program `program` (the file shaders/opencl/<program>.cl), built with
 * `options` (e.g. "-DTYPE_Q4_0=1"; the device's tier defines GL_FP16, GL_SUBGROUP, ... are
 * added) on first use, from the binary cache when it holds this exact build. The kernel object
 * is owned by the device and reused; set its arguments and enqueue right away. */
glint_status gl_cl_kernel(gl_cl_device *d, const char *program, const char *kernel,
                          const char *options, cl_kernel *out);

/* A tensor as a kernel sees it: the cl_mem of its buffer and its byte offset within. */
typedef struct gl_cl_arg {
    cl_mem mem;
    cl_ulong offset;
} gl_cl_arg;

gl_cl_arg gl_cl_tensor_arg(const gl_tensor *t);

/* Sets arguments i and i + 1 of k to the tensor's buffer and offset. */
glint_status gl_cl_set_tensor(cl_kernel k, cl_uint i, const gl_tensor *t);

/* The image over the quants of GL_LAYOUT_SOA weight `w` (image tier): an RGBA32UI
 * image1d_buffer over w's whole buffer, made once per buffer, and the texel where w starts.
 * False where there is none (tier off, a format or size the device refuses, an offset that is
 * not whole texels): the kernels read the buffer instead. */
bool gl_cl_weight_image(gl_cl_device *d, const gl_tensor *w, cl_mem *img, cl_uint *texel);

/* Device-only work memory of at least `size` bytes for an op's intermediate results (the
 * quantized activations of int8 MUL_MAT). One allocation shared by all ops: the queue is in
 * order, so each op's use ends before the next op's starts. Grows when asked for more. */
glint_status gl_cl_scratch(gl_cl_device *d, size_t size, cl_mem *out);

/* What the scratch memory holds, as a key the op that filled it chose: keep() records it for
 * the node being recorded; reuse() is true when the node just before this one, in the same
 * run, left (or reused) the same key, so the contents are still current. */
#define GL_CL_SCRATCH_KEY 5
void gl_cl_scratch_keep(gl_cl_device *d, const uint64_t key[GL_CL_SCRATCH_KEY]);
bool gl_cl_scratch_reuse(gl_cl_device *d, const uint64_t key[GL_CL_SCRATCH_KEY]);

/* Enqueues an NDRange (local may be NULL; global is rounded up to a multiple of local). */
glint_status gl_cl_enqueue(gl_cl_device *d, cl_kernel k, cl_uint dims, const size_t *global,
                           const size_t *local);

/* The message of the last failure, for logs. */
const char *gl_cl_last_error(const gl_cl_device *d);

/* One op: whether the device can run this node (shapes, types, strides; all its tensors are
 * known to be in this backend's buffers), and enqueueing it. */
typedef struct gl_cl_op {
    bool (*supports)(gl_cl_device *d, const gl_node *n);
    glint_status (*record)(gl_cl_device *d, const gl_node *n);
    /* Optional: the scratch memory (gl_cl_scratch) record() will ask for, so the backend's
     * reserve() allocates it before the first run. */
    size_t (*scratch)(gl_cl_device *d, const gl_node *n);
} gl_cl_op;

/* Indexed by gl_op; NULL = not supported (backends/opencl/ops/table.c). */
extern const gl_cl_op *const gl_cl_ops[GL_OP_COUNT];

#endif

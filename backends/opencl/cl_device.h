/* The OpenCL device object and the private interfaces between the backend's own files
 * (loader, device, memory, programs, backend). Op files use cl_internal.h only; tests may use
 * this header to reach the device behind a backend.
 *
 * Programs are built with these defines, for the tiers that are on:
 *   GL_FP16=1      cl_khr_fp16 (the kernel still enables the pragma); GL_FP16_EMU=1 instead
 *                  where GLINT_CL_FORCE=fp16 turned the tier on without it (tests: half
 *                  rounding emulated in float)
 *   GL_SUBGROUP=1  plus GL_SUBGROUP_KHR=1 (cl_khr_subgroups) or GL_SUBGROUP_INTEL=1
 *   GL_IMAGE=1     image1d_buffer_t reads
 *   GL_INT8DOT=1   plus GL_INT8DOT_KHR=1 (cl_khr_integer_dot_product) or GL_INT8DOT_ARM=1,
 *                  or GL_INT8DOT_EMU=1 where GLINT_CL_FORCE=int8dot turned the tier on for a
 *                  device without either (tests: the int8 kernels with plain multiplies)
 *   GL_QCOM_REQD_SUB_GROUP_SIZE=1 when cl_qcom_reqd_sub_group_size is there (any tier)
 * A program may `#include "name.clh"` any embedded shaders/opencl/name.clh: the text is
 * inlined before the build (each header once), so no include path is needed at run time. */
#ifndef GLINT_CL_DEVICE_H
#define GLINT_CL_DEVICE_H

#include "cl_internal.h"

/* ---- memory --------------------------------------------------------------------------------- */

/* gl_buffer.impl of this backend: one cl_mem per buffer, mapped for its lifetime on unified
 * memory (map = gl_buffer.host). */
typedef struct gl_cl_buffer {
    cl_mem mem;
    void *map;
    size_t size;     /* bytes allocated (the request rounded up) */
    cl_mem image;    /* an RGBA32UI image1d_buffer over mem, made on first use (image tier) */
    int image_state; /* 0: not tried; 1: made; -1: cannot be made (buffer reads instead) */
} gl_cl_buffer;

/* ---- programs ------------------------------------------------------------------------------- */

/* A program built with one set of options (failed builds are remembered too, so a kernel
 * that does not compile is tried once). */
typedef struct gl_cl_program {
    uint64_t hash;
    char *name, *options; /* options: the full build options */
    cl_program program;   /* NULL: the build failed */
    char *error;          /* why, when it failed */
} gl_cl_program;

typedef struct gl_cl_kernel_entry {
    uint64_t hash;
    char *program, *kernel, *options; /* options: the caller's */
    cl_kernel kernel_obj;
} gl_cl_kernel_entry;

/* Program-cache counters, for tests and logs. */
typedef struct gl_cl_cache_stats {
    uint64_t built;    /* programs compiled from source */
    uint64_t loaded;   /* programs created from a cached binary */
    uint64_t rejected; /* cache files ignored: bad header, size, checksum, or the driver
                          refused the binary */
    uint64_t written;  /* cache files written */
} gl_cl_cache_stats;

/* ---- the device ----------------------------------------------------------------------------- */

struct gl_cl_device {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    gl_cl_caps caps;
    int c_major, c_minor;     /* CL_DEVICE_OPENCL_C_VERSION */
    const char *subgroup_ext; /* the extension behind GL_CL_TIER_SUBGROUP, or NULL */
    const char *int8dot_ext;  /* the extension behind GL_CL_TIER_INT8DOT, or NULL */
    bool queue_profiling_ok;  /* the device offers CL_QUEUE_PROFILING_ENABLE */
    bool queue_profiling;     /* the current queue was made with it */
    bool lost;                /* a device-lost error was seen: all work is refused */
    char last_error[512];
    char build_options[256]; /* -cl-std and the tier defines, before the caller's */
    cl_mem scratch;          /* device-only work memory of ops (gl_cl_scratch) */
    size_t scratch_size;
    uint64_t node_seq;                       /* counts recorded nodes; skips between runs */
    uint64_t scratch_key[GL_CL_SCRATCH_KEY]; /* what scratch holds (gl_cl_scratch_keep) */
    uint64_t scratch_seq;                    /* the node that last used it; 0: nothing */

    /* programs */
    gl_cl_program *programs;
    int n_programs, cap_programs;
    gl_cl_kernel_entry *kernels;
    int n_kernels, cap_kernels;
    char cache_dir[900]; /* empty: no disk cache */
    gl_cl_cache_stats stats;

    /* profiling: events of the enqueues of the current compute(), by node */
    bool profiling;
    int32_t cur_node;
    int n_nodes; /* nodes of the last compute() */
    cl_event *events;
    int32_t *event_node;
    int n_events, cap_events;
    gl_node_timing *timings;
    int n_timings, cap_timings;
};

/* ---- cl_device.c ---------------------------------------------------------------------------- */

/* Loads OpenCL, picks a device (GLINT_CL_DEVICE, GLINT_CL_ALLOW_CPU), probes its caps (tiers
 * off per GLINT_CL_DISABLE), makes the context and queue. BACKEND_UNAVAILABLE with a message
 * when there is no library, platform or usable device. */
glint_status gl_cl_device_create(gl_cl_device **out, gl_err *err);
void gl_cl_device_free(gl_cl_device *d);
/* Parses GLINT_CL_DISABLE-style text ("fp16,image") into GL_CL_TIER_* bits. */
uint32_t gl_cl_parse_tiers(const char *s);
/* "CL_OUT_OF_RESOURCES" etc. */
const char *gl_cl_error_string(cl_int e);
/* Maps a failed cl_int to a status, keeping a message in last_error and marking the device
 * lost where it is. */
glint_status gl_cl_check(gl_cl_device *d, cl_int e, const char *what);
/* Capability lines ("opencl: ...\n  key: value\n"), NUL-terminated. */
void gl_cl_describe(const gl_cl_device *d, char *buf, size_t cap);
/* Recreates the queue with or without CL_QUEUE_PROFILING_ENABLE (after finishing its work). */
glint_status gl_cl_queue_set_profiling(gl_cl_device *d, bool on);

/* ---- cl_memory.c ---------------------------------------------------------------------------- */

glint_status gl_cl_buffer_create(gl_cl_device *d, size_t size, gl_cl_buffer *out);
void gl_cl_buffer_release(gl_cl_device *d, gl_cl_buffer *b);
/* Blocking copies, after the queued work. */
glint_status gl_cl_write(gl_cl_device *d, const gl_cl_buffer *b, size_t offset, const void *src,
                         size_t size);
glint_status gl_cl_read(gl_cl_device *d, const gl_cl_buffer *b, size_t offset, void *dst,
                        size_t size);
/* clFinish, mapped to a status. */
glint_status gl_cl_finish(gl_cl_device *d);

/* ---- cl_program.c --------------------------------------------------------------------------- */

/* Sets the cache directory (gl_cache_dir(), created if needed; none if it cannot be). */
void gl_cl_programs_init(gl_cl_device *d);
void gl_cl_programs_free(gl_cl_device *d);
void gl_cl_cache_stats_get(const gl_cl_device *d, gl_cl_cache_stats *out);
/* The cache file a build of (program, full options) uses on this device, for tests. */
void gl_cl_cache_file(const gl_cl_device *d, const char *program, const char *caller_options,
                      char *buf, size_t cap);
/* 64-bit FNV-1a, continued from h (start with GL_CL_FNV_SEED). */
#define GL_CL_FNV_SEED 0xcbf29ce484222325ull
uint64_t gl_cl_fnv1a(uint64_t h, const void *p, size_t n);

/* ---- cl_repack.c ---------------------------------------------------------------------------- */

/* gl_backend_i.weight_prepare: Q4_0 / Q8_0 matrices into GL_LAYOUT_SOA, nothing else. */
glint_status gl_cl_weight_prepare(gl_backend *b, gl_tensor *t, const void *src);

/* ---- cl_backend.c --------------------------------------------------------------------------- */

/* The device behind an OpenCL backend, NULL for another backend. */
gl_cl_device *gl_cl_backend_device(gl_backend *b);
/* Profiling by hand (what compute() does around each node): forget the last run's events,
 * then attribute the following enqueues to node i. */
void gl_cl_profile_begin(gl_cl_device *d, int n_nodes);
void gl_cl_profile_node(gl_cl_device *d, int32_t node);

#endif

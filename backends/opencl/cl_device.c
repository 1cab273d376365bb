/* Platform and device choice, the capability probe (tiers from extensions), the context and
 * queue, error mapping and the capability lines. */
#include "cl_device.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR -1001
#endif
/* cl_khr_integer_dot_product (cl_ext.h, spelled out to need only cl.h) */
#define GL_CL_DEVICE_INTEGER_DOT_PRODUCT_CAPABILITIES_KHR 0x1073
#define GL_CL_INTEGER_DOT_PRODUCT_INPUT_4x8BIT_PACKED_KHR (1u << 0)

#define GL_CL_MAX_PLATFORMS 16
#define GL_CL_MAX_DEVICES   64

const char *gl_cl_error_string(cl_int e) {
    switch (e) {
#define E_(x)                                                                                      \
    case x:                                                                                        \
        return #x;
        E_(CL_SUCCESS)
        E_(CL_DEVICE_NOT_FOUND)
        E_(CL_DEVICE_NOT_AVAILABLE)
        E_(CL_COMPILER_NOT_AVAILABLE)
        E_(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        E_(CL_OUT_OF_RESOURCES)
        E_(CL_OUT_OF_HOST_MEMORY)
        E_(CL_PROFILING_INFO_NOT_AVAILABLE)
        E_(CL_MEM_COPY_OVERLAP)
        E_(CL_IMAGE_FORMAT_MISMATCH)
        E_(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        E_(CL_BUILD_PROGRAM_FAILURE)
        E_(CL_MAP_FAILURE)
        E_(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        E_(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        E_(CL_COMPILE_PROGRAM_FAILURE)
        E_(CL_LINKER_NOT_AVAILABLE)
        E_(CL_LINK_PROGRAM_FAILURE)
        E_(CL_DEVICE_PARTITION_FAILED)
        E_(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        E_(CL_INVALID_VALUE)
        E_(CL_INVALID_DEVICE_TYPE)
        E_(CL_INVALID_PLATFORM)
        E_(CL_INVALID_DEVICE)
        E_(CL_INVALID_CONTEXT)
        E_(CL_INVALID_QUEUE_PROPERTIES)
        E_(CL_INVALID_COMMAND_QUEUE)
        E_(CL_INVALID_HOST_PTR)
        E_(CL_INVALID_MEM_OBJECT)
        E_(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
        E_(CL_INVALID_IMAGE_SIZE)
        E_(CL_INVALID_SAMPLER)
        E_(CL_INVALID_BINARY)
        E_(CL_INVALID_BUILD_OPTIONS)
        E_(CL_INVALID_PROGRAM)
        E_(CL_INVALID_PROGRAM_EXECUTABLE)
        E_(CL_INVALID_KERNEL_NAME)
        E_(CL_INVALID_KERNEL_DEFINITION)
        E_(CL_INVALID_KERNEL)
        E_(CL_INVALID_ARG_INDEX)
        E_(CL_INVALID_ARG_VALUE)
        E_(CL_INVALID_ARG_SIZE)
        E_(CL_INVALID_KERNEL_ARGS)
        E_(CL_INVALID_WORK_DIMENSION)
        E_(CL_INVALID_WORK_GROUP_SIZE)
        E_(CL_INVALID_WORK_ITEM_SIZE)
        E_(CL_INVALID_GLOBAL_OFFSET)
        E_(CL_INVALID_EVENT_WAIT_LIST)
        E_(CL_INVALID_EVENT)
        E_(CL_INVALID_OPERATION)
        E_(CL_INVALID_BUFFER_SIZE)
        E_(CL_INVALID_GLOBAL_WORK_SIZE)
        E_(CL_INVALID_PROPERTY)
        E_(CL_INVALID_IMAGE_DESCRIPTOR)
        E_(CL_INVALID_COMPILER_OPTIONS)
        E_(CL_INVALID_LINKER_OPTIONS)
        E_(CL_INVALID_DEVICE_PARTITION_COUNT)
        E_(CL_PLATFORM_NOT_FOUND_KHR)
#undef E_
    default:
        return "OpenCL error";
    }
}

glint_status gl_cl_check(gl_cl_device *d, cl_int e, const char *what) {
    if (e == CL_SUCCESS) return GLINT_OK;
    glint_status st = GLINT_ERROR_INTERNAL;
    switch (e) {
    case CL_OUT_OF_HOST_MEMORY:
        st = GLINT_ERROR_OUT_OF_MEMORY;
        break;
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
    case CL_OUT_OF_RESOURCES:
        st = GLINT_ERROR_OUT_OF_DEVICE_MEMORY;
        break;
    /* the device went away, or a kernel faulted and took the queue with it (-9999: NVIDIA's
     * illegal memory access) */
    case CL_DEVICE_NOT_AVAILABLE:
    case CL_DEVICE_NOT_FOUND:
    case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST:
    case CL_INVALID_COMMAND_QUEUE:
    case -9999:
        st = GLINT_ERROR_DEVICE_LOST;
        d->lost = true;
        break;
    default:
        break;
    }
    snprintf(d->last_error, sizeof d->last_error, "opencl: %s failed: %s (%d)", what,
             gl_cl_error_string(e), (int)e);
    GL_LOGE("%s", d->last_error);
    return st;
}

const gl_cl_caps *gl_cl_device_caps(const gl_cl_device *d) {
    return &d->caps;
}

const char *gl_cl_last_error(const gl_cl_device *d) {
    return d->last_error;
}

static bool env_on(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* Whether the space-separated list holds `name` as a whole word. */
static bool has_ext(const char *list, const char *name) {
    const size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        while (*p == ' ') p++;
        const char *end = p;
        while (*end && *end != ' ') end++;
        if ((size_t)(end - p) == n && memcmp(p, name, n) == 0) return true;
        p = end;
    }
    return false;
}

uint32_t gl_cl_parse_tiers(const char *s) {
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"fp16", GL_CL_TIER_FP16},          {"subgroup", GL_CL_TIER_SUBGROUP},
                 {"subgroups", GL_CL_TIER_SUBGROUP}, {"image", GL_CL_TIER_IMAGE},
                 {"images", GL_CL_TIER_IMAGE},       {"int8dot", GL_CL_TIER_INT8DOT}};
    uint32_t bits = 0;
    while (s && *s) {
        while (*s == ',' || isspace((unsigned char)*s)) s++;
        const char *end = s;
        while (*end && *end != ',') end++;
        size_t n = (size_t)(end - s);
        while (n && isspace((unsigned char)s[n - 1])) n--;
        bool known = n == 0;
        for (size_t i = 0; i < GL_ARRAY_LEN(names); i++)
            if (strlen(names[i].name) == n && strncasecmp(s, names[i].name, n) == 0) {
                bits |= names[i].bit;
                known = true;
            }
        if (!known)
            GL_LOGW("opencl: GLINT_CL_DISABLE / GLINT_CL_FORCE: unknown tier '%.*s'", (int)n, s);
        s = end;
    }
    return bits;
}

/* ---- device queries ------------------------------------------------------------------------- */

static void dev_str(cl_device_id dev, cl_device_info what, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    if (clGetDeviceInfo(dev, what, cap, buf, &n) != CL_SUCCESS) {
        /* too long for buf: take the start */
        char *tmp = n ? malloc(n + 1) : NULL;
        if (tmp && clGetDeviceInfo(dev, what, n, tmp, NULL) == CL_SUCCESS)
            snprintf(buf, cap, "%s", tmp);
        free(tmp);
    }
    buf[cap - 1] = 0;
}

/* The whole (possibly long) string; caller frees. Never NULL unless out of memory. */
static char *dev_str_alloc(cl_device_id dev, cl_device_info what) {
    size_t n = 0;
    if (clGetDeviceInfo(dev, what, 0, NULL, &n) != CL_SUCCESS) n = 0;
    char *s = calloc(n + 1, 1);
    if (s && n && clGetDeviceInfo(dev, what, n, s, NULL) != CL_SUCCESS) s[0] = 0;
    return s;
}

static void platform_str(cl_platform_id p, cl_platform_info what, char *buf, size_t cap) {
    buf[0] = 0;
    if (clGetPlatformInfo(p, what, cap, buf, NULL) != CL_SUCCESS) buf[0] = 0;
    buf[cap - 1] = 0;
}

static cl_ulong dev_ulong(cl_device_id dev, cl_device_info what) {
    cl_ulong v = 0;
    if (clGetDeviceInfo(dev, what, sizeof v, &v, NULL) != CL_SUCCESS) v = 0;
    return v;
}

static cl_uint dev_uint(cl_device_id dev, cl_device_info what) {
    cl_uint v = 0;
    if (clGetDeviceInfo(dev, what, sizeof v, &v, NULL) != CL_SUCCESS) v = 0;
    return v;
}

static size_t dev_size(cl_device_id dev, cl_device_info what) {
    size_t v = 0;
    if (clGetDeviceInfo(dev, what, sizeof v, &v, NULL) != CL_SUCCESS) v = 0;
    return v;
}

static bool dev_bool(cl_device_id dev, cl_device_info what) {
    cl_bool v = CL_FALSE;
    if (clGetDeviceInfo(dev, what, sizeof v, &v, NULL) != CL_SUCCESS) v = CL_FALSE;
    return v == CL_TRUE;
}

/* "OpenCL 3.0 ..." / "OpenCL C 1.2 ..." -> major, minor (0.0 when unreadable). */
static void parse_version(const char *s, const char *prefix, int *major, int *minor) {
    *major = *minor = 0;
    const size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0 || sscanf(s + n, "%d.%d", major, minor) != 2)
        *major = *minor = 0;
}

static const char *type_name(cl_device_type t) {
    if (t & CL_DEVICE_TYPE_GPU) return "gpu";
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
    if (t & CL_DEVICE_TYPE_CPU) return "cpu";
    return "custom";
}

/* ---- device choice -------------------------------------------------------------------------- */

typedef struct candidate {
    cl_platform_id platform;
    cl_device_id device;
    cl_device_type type;
    char name[128];
    int major, minor, c_major, c_minor;
    bool usable; /* available, has a compiler, OpenCL (C) 1.2 or later */
} candidate;

static int type_rank(cl_device_type t) {
    if (t & CL_DEVICE_TYPE_GPU) return 0;
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return 1;
    return 2;
}

static glint_status pick_device(gl_cl_device *d, gl_err *err) {
    cl_platform_id plats[GL_CL_MAX_PLATFORMS];
    cl_uint n_plat = 0;
    cl_int e = clGetPlatformIDs(GL_CL_MAX_PLATFORMS, plats, &n_plat);
    if (e == CL_PLATFORM_NOT_FOUND_KHR || (e == CL_SUCCESS && n_plat == 0))
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE,
                       "no OpenCL platform: the ICD loader found no driver (see "
                       "/etc/OpenCL/vendors, OCL_ICD_VENDORS)");
    if (e != CL_SUCCESS)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "clGetPlatformIDs failed: %s (%d)",
                       gl_cl_error_string(e), (int)e);
    if (n_plat > GL_CL_MAX_PLATFORMS) n_plat = GL_CL_MAX_PLATFORMS;

    candidate *c = calloc(GL_CL_MAX_DEVICES, sizeof *c);
    if (!c) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    int n = 0;
    for (cl_uint p = 0; p < n_plat && n < GL_CL_MAX_DEVICES; p++) {
        cl_device_id devs[GL_CL_MAX_DEVICES];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, GL_CL_MAX_DEVICES, devs, &nd) !=
            CL_SUCCESS)
            continue;
        for (cl_uint i = 0; i < nd && i < GL_CL_MAX_DEVICES && n < GL_CL_MAX_DEVICES; i++) {
            candidate *k = &c[n++];
            char ver[128];
            k->platform = plats[p];
            k->device = devs[i];
            clGetDeviceInfo(devs[i], CL_DEVICE_TYPE, sizeof k->type, &k->type, NULL);
            dev_str(devs[i], CL_DEVICE_NAME, k->name, sizeof k->name);
            dev_str(devs[i], CL_DEVICE_VERSION, ver, sizeof ver);
            parse_version(ver, "OpenCL ", &k->major, &k->minor);
            dev_str(devs[i], CL_DEVICE_OPENCL_C_VERSION, ver, sizeof ver);
            parse_version(ver, "OpenCL C ", &k->c_major, &k->c_minor);
            k->usable = dev_bool(devs[i], CL_DEVICE_AVAILABLE) &&
                        dev_bool(devs[i], CL_DEVICE_COMPILER_AVAILABLE) &&
                        k->major * 10 + k->minor >= 12 && k->c_major * 10 + k->c_minor >= 12;
        }
    }

    const char *want = getenv("GLINT_CL_DEVICE");
    if (want && !*want) want = NULL;
    const bool allow_cpu = env_on("GLINT_CL_ALLOW_CPU");
    char found[512] = "";
    size_t used = 0;
    int best = -1, best_rank = 99;
    for (int i = 0; i < n; i++) {
        int w = snprintf(found + used, sizeof found - used, "%s%d: %s (%s, OpenCL %d.%d%s)",
                         i ? "; " : "", i, c[i].name, type_name(c[i].type), c[i].major, c[i].minor,
                         c[i].usable ? "" : ", unusable");
        if (w > 0) used = GL_MIN(sizeof found - 1, used + (size_t)w);
        if (!c[i].usable) continue;
        if (want) {
            char *end;
            long idx = strtol(want, &end, 10);
            bool named = *end == 0 ? idx == i : strcasestr(c[i].name, want) != NULL;
            if (named && best < 0) best = i;
            continue;
        }
        if ((c[i].type & CL_DEVICE_TYPE_GPU) == 0 &&
            (c[i].type & CL_DEVICE_TYPE_ACCELERATOR) == 0 && !allow_cpu)
            continue;
        const int rank = type_rank(c[i].type);
        if (rank < best_rank) best = i, best_rank = rank;
    }
    glint_status st = GLINT_OK;
    if (best < 0) {
        st = gl_fail(
            err, GLINT_ERROR_BACKEND_UNAVAILABLE, "no usable OpenCL device%s%s (found: %s)%s",
            want ? " matching " : "", want ? want : "", n ? found : "none",
            !want && n ? "; CPU devices need GLINT_CL_ALLOW_CPU=1 or GLINT_CL_DEVICE" : "");
    } else {
        d->platform = c[best].platform;
        d->device = c[best].device;
        d->c_major = c[best].c_major;
        d->c_minor = c[best].c_minor;
    }
    free(c);
    return st;
}

/* ---- capabilities --------------------------------------------------------------------------- */

static void probe_caps(gl_cl_device *d) {
    gl_cl_caps *c = &d->caps;
    const cl_device_id dev = d->device;
    char pname[128], pver[128];
    dev_str(dev, CL_DEVICE_NAME, c->name, sizeof c->name);
    dev_str(dev, CL_DEVICE_VENDOR, c->vendor, sizeof c->vendor);
    dev_str(dev, CL_DEVICE_VERSION, c->version, sizeof c->version);
    dev_str(dev, CL_DRIVER_VERSION, c->driver, sizeof c->driver);
    platform_str(d->platform, CL_PLATFORM_NAME, pname, sizeof pname);
    platform_str(d->platform, CL_PLATFORM_VERSION, pver, sizeof pver);
    snprintf(c->platform, sizeof c->platform, "%.120s (%.120s)", pname, pver);
    parse_version(c->version, "OpenCL ", &c->cl_major, &c->cl_minor);
    clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof c->type, &c->type, NULL);
    c->compute_units = dev_uint(dev, CL_DEVICE_MAX_COMPUTE_UNITS);
    c->global_mem = dev_ulong(dev, CL_DEVICE_GLOBAL_MEM_SIZE);
    c->max_alloc = dev_ulong(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    /* tests: a phone-sized limit on a desktop driver */
    const char *lim = getenv("GLINT_CL_MAX_ALLOC");
    if (lim && strtoull(lim, NULL, 10) > 0)
        c->max_alloc = GL_MIN(c->max_alloc, (cl_ulong)strtoull(lim, NULL, 10));
    c->local_mem = dev_ulong(dev, CL_DEVICE_LOCAL_MEM_SIZE);
    c->max_wg = dev_size(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE);
    /* deprecated in 2.0 but still answered; the test hook forces the copying path */
    c->unified = dev_bool(dev, CL_DEVICE_HOST_UNIFIED_MEMORY) && !env_on("GLINT_CL_NO_UNIFIED");
    c->images = dev_bool(dev, CL_DEVICE_IMAGE_SUPPORT);
    c->image_max_buffer = c->images ? dev_size(dev, CL_DEVICE_IMAGE_MAX_BUFFER_SIZE) : 0;
    c->mem_base_align = dev_uint(dev, CL_DEVICE_MEM_BASE_ADDR_ALIGN) / 8;

    cl_command_queue_properties qp = 0;
    clGetDeviceInfo(dev, CL_DEVICE_QUEUE_PROPERTIES, sizeof qp, &qp, NULL);
    d->queue_profiling_ok = (qp & CL_QUEUE_PROFILING_ENABLE) != 0;

    char *ext = dev_str_alloc(dev, CL_DEVICE_EXTENSIONS);
    c->fp16 = has_ext(ext, "cl_khr_fp16");
    if (has_ext(ext, "cl_khr_subgroups"))
        d->subgroup_ext = "cl_khr_subgroups";
    else if (has_ext(ext, "cl_intel_subgroups"))
        d->subgroup_ext = "cl_intel_subgroups";
    c->subgroups = d->subgroup_ext != NULL;
    c->qcom_subgroup_size = has_ext(ext, "cl_qcom_reqd_sub_group_size");
    if (has_ext(ext, "cl_khr_integer_dot_product")) {
        /* the extension may offer only the unpacked form: the kernels use the packed one */
        cl_uint caps = 0;
        if (clGetDeviceInfo(dev, GL_CL_DEVICE_INTEGER_DOT_PRODUCT_CAPABILITIES_KHR, sizeof caps,
                            &caps, NULL) == CL_SUCCESS &&
            (caps & GL_CL_INTEGER_DOT_PRODUCT_INPUT_4x8BIT_PACKED_KHR))
            d->int8dot_ext = "cl_khr_integer_dot_product";
    }
    if (!d->int8dot_ext && has_ext(ext, "cl_arm_integer_dot_product_int8"))
        d->int8dot_ext = "cl_arm_integer_dot_product_int8";
    c->int8dot = d->int8dot_ext != NULL;
    free(ext);

    uint32_t t = 0;
    if (c->fp16) t |= GL_CL_TIER_FP16;
    if (c->subgroups) t |= GL_CL_TIER_SUBGROUP;
    /* image1d_buffer_t is OpenCL 1.2 */
    if (c->images && c->image_max_buffer > 0 && c->cl_major * 10 + c->cl_minor >= 12)
        t |= GL_CL_TIER_IMAGE;
    if (c->int8dot) t |= GL_CL_TIER_INT8DOT;
    c->probed = t;
    /* tests: the int8 kernels on a device without a dot instruction (plain multiplies), the
     * half-arithmetic kernels on one without cl_khr_fp16 (emulated rounding) */
    const uint32_t forced =
        gl_cl_parse_tiers(getenv("GLINT_CL_FORCE")) & (GL_CL_TIER_INT8DOT | GL_CL_TIER_FP16);
    c->enabled = (t | forced) & ~gl_cl_parse_tiers(getenv("GLINT_CL_DISABLE"));

    /* Kernels are OpenCL C 1.2: say so on newer compilers (3.0 defaults to optional
     * features off otherwise), then the tier defines. */
    char *o = d->build_options;
    const size_t cap = sizeof d->build_options;
    size_t used = 0;
#define OPT_(...)                                                                                  \
    do {                                                                                           \
        int w_ = snprintf(o + used, cap - used, __VA_ARGS__);                                      \
        if (w_ > 0) used = GL_MIN(cap - 1, used + (size_t)w_);                                     \
    } while (0)
    if (d->c_major * 10 + d->c_minor >= 12) OPT_("-cl-std=CL1.2");
    if (c->enabled & GL_CL_TIER_FP16) OPT_(c->fp16 ? " -DGL_FP16=1" : " -DGL_FP16_EMU=1");
    if (c->enabled & GL_CL_TIER_SUBGROUP)
        OPT_(" -DGL_SUBGROUP=1 -DGL_SUBGROUP_%s=1",
             strcmp(d->subgroup_ext, "cl_khr_subgroups") == 0 ? "KHR" : "INTEL");
    if (c->enabled & GL_CL_TIER_IMAGE) OPT_(" -DGL_IMAGE=1");
    if (c->enabled & GL_CL_TIER_INT8DOT)
        OPT_(" -DGL_INT8DOT=1 -DGL_INT8DOT_%s=1",
             !d->int8dot_ext                                             ? "EMU"
             : strcmp(d->int8dot_ext, "cl_khr_integer_dot_product") == 0 ? "KHR"
                                                                         : "ARM");
    if (c->qcom_subgroup_size) OPT_(" -DGL_QCOM_REQD_SUB_GROUP_SIZE=1");
#undef OPT_
}

/* ---- create / free -------------------------------------------------------------------------- */

static void CL_CALLBACK context_notify(const char *info, const void *priv, size_t cb, void *user) {
    (void)priv;
    (void)cb;
    (void)user;
    GL_LOGW("opencl driver: %s", info ? info : "(no message)");
}

glint_status gl_cl_queue_set_profiling(gl_cl_device *d, bool on) {
    on = on && d->queue_profiling_ok;
    if (d->queue && d->queue_profiling == on) return GLINT_OK;
    if (d->queue) {
        glint_status st = gl_cl_finish(d);
        if (st) return st;
        clReleaseCommandQueue(d->queue);
        d->queue = NULL;
    }
    cl_int e = CL_SUCCESS;
    d->queue = clCreateCommandQueue(d->context, d->device, on ? CL_QUEUE_PROFILING_ENABLE : 0, &e);
    if (!d->queue || e != CL_SUCCESS) {
        d->queue = NULL;
        return gl_cl_check(d, e != CL_SUCCESS ? e : CL_OUT_OF_RESOURCES, "clCreateCommandQueue");
    }
    d->queue_profiling = on;
    return GLINT_OK;
}

glint_status gl_cl_device_create(gl_cl_device **out, gl_err *err) {
    *out = NULL;
    glint_status st = gl_cl_api_load(err);
    if (st) return st;
    gl_cl_device *d = calloc(1, sizeof *d);
    if (!d) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    d->cur_node = -1;
    if ((st = pick_device(d, err))) {
        free(d);
        return st;
    }
    probe_caps(d);

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)d->platform, 0};
    cl_int e = CL_SUCCESS;
    d->context = clCreateContext(props, 1, &d->device, context_notify, NULL, &e);
    if (!d->context || e != CL_SUCCESS) {
        d->context = NULL;
        st = gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "clCreateContext on %s failed: %s (%d)",
                     d->caps.name, gl_cl_error_string(e), (int)e);
    } else if ((st = gl_cl_queue_set_profiling(d, false))) {
        st = gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "%s", d->last_error);
    }
    if (st) {
        gl_cl_device_free(d);
        return st;
    }
    gl_cl_programs_init(d);
    GL_LOGI("opencl: %s (%s, %s), tiers 0x%x of 0x%x, OpenCL from %s", d->caps.name,
            d->caps.platform, d->caps.driver, d->caps.enabled, d->caps.probed, gl_cl_api_source());
    *out = d;
    return GLINT_OK;
}

void gl_cl_device_free(gl_cl_device *d) {
    if (!d) return;
    if (d->queue) clFinish(d->queue);
    gl_cl_programs_free(d);
    if (d->scratch) clReleaseMemObject(d->scratch);
    for (int i = 0; i < d->n_events; i++) clReleaseEvent(d->events[i]);
    free(d->events);
    free(d->event_node);
    free(d->timings);
    if (d->queue) clReleaseCommandQueue(d->queue);
    if (d->context) clReleaseContext(d->context);
    free(d);
}

/* ---- describe ------------------------------------------------------------------------------- */

static void tier_list(uint32_t t, char *buf, size_t cap) {
    static const char *const names[] = {"fp16", "subgroup", "image", "int8dot"};
    size_t used = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < GL_ARRAY_LEN(names); i++)
        if (t & (1u << i)) {
            int w = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", names[i]);
            if (w > 0) used = GL_MIN(cap - 1, used + (size_t)w);
        }
    if (!used) snprintf(buf, cap, "none");
}

void gl_cl_describe(const gl_cl_device *d, char *buf, size_t cap) {
    const gl_cl_caps *c = &d->caps;
    char probed[64], enabled[64], images[96];
    tier_list(c->probed, probed, sizeof probed);
    tier_list(c->enabled, enabled, sizeof enabled);
    if (c->images)
        snprintf(images, sizeof images, "yes, 1d buffer up to %llu texels",
                 (unsigned long long)c->image_max_buffer);
    else
        snprintf(images, sizeof images, "no");
    snprintf(buf, cap,
             "opencl: %s (%s, %s)\n"
             "  version: %s, OpenCL C %d.%d, driver %s, platform %s\n"
             "  compute units: %u, workgroup %zu, local memory %llu KiB\n"
             "  memory: %.1f GiB, max allocation %llu MiB, %s, base alignment %u\n"
             "  images: %s\n"
             "  cl_khr_fp16: %s; subgroups: %s%s; int8 dot: %s\n"
             "  tiers: %s; enabled: %s\n",
             c->name, type_name(c->type), c->vendor, c->version, d->c_major, d->c_minor, c->driver,
             c->platform, c->compute_units, c->max_wg, (unsigned long long)(c->local_mem >> 10),
             (double)c->global_mem / (1 << 30), (unsigned long long)(c->max_alloc >> 20),
             c->unified ? "unified (mapped buffers)" : "separate (copied)", c->mem_base_align,
             images, c->fp16 ? "yes" : "no", d->subgroup_ext ? d->subgroup_ext : "none",
             c->qcom_subgroup_size ? ", cl_qcom_reqd_sub_group_size" : "",
             d->int8dot_ext ? d->int8dot_ext : "none", probed, enabled);
}

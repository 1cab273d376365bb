/* The runtime: logging and the backends of the process (the CPU always). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

glint_runtime_params glint_runtime_default_params(void) {
    return (glint_runtime_params){.n_threads = 0, .log_level = GLINT_LOG_LEVEL_WARN};
}

/* Physical cores are not visible portably; online CPUs is the safe default. */
static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)GL_MIN(n, 64) : 1;
}

glint_status glint_runtime_create(const glint_runtime_params *p, glint_runtime **out) {
    if (!out) return GLINT_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    const glint_runtime_params defaults = glint_runtime_default_params();
    if (!p) p = &defaults;
    if (p->n_threads < 0 || p->n_threads > 1024 || (unsigned)p->log_level >= GLINT_LOG_LEVEL_COUNT)
        return GLINT_ERROR_INVALID_ARGUMENT;
    glint_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) return GLINT_ERROR_OUT_OF_MEMORY;
    rt->params = *p;
    if (p->vulkan) {
        rt->vk_ext = *p->vulkan;
        rt->params.vulkan = &rt->vk_ext;
    }
    if (rt->params.n_threads == 0) rt->params.n_threads = default_threads();
    gl_log_set(p->log_level, p->log_fn, p->log_user);
    gl_err err = {{0}};
    glint_status st = gl_backend_cpu_create(rt->params.n_threads, &rt->cpu, &err);
    if (st) {
        GL_LOGE("%s", err.msg);
        free(rt);
        return st;
    }
    *out = rt;
    return GLINT_OK;
}

gl_backend *gl_runtime_vulkan(glint_runtime *rt) {
    if (rt->vulkan_tried) return rt->vulkan;
    rt->vulkan_tried = true;
#ifdef GLINT_WITH_VULKAN
    gl_err err = {{0}};
    glint_status st = gl_backend_vulkan_create(rt->params.vulkan, &rt->vulkan, &err);
    if (st != GLINT_OK) {
        rt->vulkan = NULL;
        snprintf(rt->vulkan_error, sizeof rt->vulkan_error, "%s",
                 err.msg[0] ? err.msg : glint_status_string(st));
    }
#else
    snprintf(rt->vulkan_error, sizeof rt->vulkan_error, "not built in this version");
#endif
    return rt->vulkan;
}

gl_backend *gl_runtime_opencl(glint_runtime *rt) {
    if (rt->opencl_tried) return rt->opencl;
    rt->opencl_tried = true;
#ifdef GLINT_WITH_OPENCL
    gl_err err = {{0}};
    glint_status st = gl_backend_opencl_create(&rt->opencl, &err);
    if (st != GLINT_OK) {
        rt->opencl = NULL;
        snprintf(rt->opencl_error, sizeof rt->opencl_error, "%s",
                 err.msg[0] ? err.msg : glint_status_string(st));
    }
#else
    snprintf(rt->opencl_error, sizeof rt->opencl_error, "not built in this version");
#endif
    return rt->opencl;
}

void glint_runtime_free(glint_runtime *rt) {
    if (!rt) return;
    if (rt->opencl) rt->opencl->iface->free(rt->opencl);
    if (rt->vulkan) rt->vulkan->iface->free(rt->vulkan);
    if (rt->cpu) rt->cpu->iface->free(rt->cpu);
    free(rt);
}

const char *glint_runtime_last_error(const glint_runtime *rt) {
    return rt ? rt->last_error : "";
}

glint_status glint_runtime_describe(glint_runtime *rt, char *buf, size_t cap, size_t *n_out) {
    if (!rt || (!buf && cap) || !n_out) return GLINT_ERROR_INVALID_ARGUMENT;
    char cpu[1024], vk[4096], cl[4096];
    rt->cpu->iface->describe(rt->cpu, cpu, sizeof cpu);
    gl_backend *v = gl_runtime_vulkan(rt);
    if (v) {
        v->iface->describe(v, vk, sizeof vk);
    } else {
        snprintf(vk, sizeof vk, "vulkan: no device (%s)", rt->vulkan_error);
    }
    gl_backend *c = gl_runtime_opencl(rt);
    if (c) {
        c->iface->describe(c, cl, sizeof cl);
    } else {
        snprintf(cl, sizeof cl, "opencl: no device (%s)", rt->opencl_error);
    }
    const int n = snprintf(buf, cap, "%s\n%s\n%s\n", cpu, vk, cl);
    *n_out = n > 0 ? (size_t)n : 0;
    return *n_out >= cap ? GLINT_ERROR_BUFFER_TOO_SMALL : GLINT_OK;
}

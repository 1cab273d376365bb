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

void glint_runtime_free(glint_runtime *rt) {
    if (!rt) return;
    if (rt->cpu) rt->cpu->iface->free(rt->cpu);
    free(rt);
}

const char *glint_runtime_last_error(const glint_runtime *rt) {
    return rt ? rt->last_error : "";
}

glint_status glint_runtime_describe(glint_runtime *rt, char *buf, size_t cap, size_t *n_out) {
    if (!rt || (!buf && cap) || !n_out) return GLINT_ERROR_INVALID_ARGUMENT;
    char line[1024];
    rt->cpu->iface->describe(rt->cpu, line, sizeof line);
    const int n = snprintf(buf, cap, "%s\nvulkan: not built in this version\n"
                           "opencl: not built in this version\n", line);
    *n_out = n > 0 ? (size_t)n : 0;
    return *n_out >= cap ? GLINT_ERROR_BUFFER_TOO_SMALL : GLINT_OK;
}

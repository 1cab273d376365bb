#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

glint_status gl_fail(gl_err *e, glint_status st, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

static struct {
    _Atomic int level;
    glint_log_fn fn;
    void *user;
} g_log = {GLINT_LOG_LEVEL_WARN, NULL, NULL};

void gl_log_set(glint_log_level level, glint_log_fn fn, void *user) {
    g_log.fn = fn;
    g_log.user = user;
    atomic_store(&g_log.level, (int)level);
}

void gl_log(glint_log_level level, const char *fmt, ...) {
    if ((int)level > atomic_load(&g_log.level)) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (g_log.fn) {
        g_log.fn(level, buf, g_log.user);
    } else {
        static const char *tag[] = {"error", "warn", "info", "debug"};
        fprintf(stderr, "glint %s: %s\n", tag[level < GLINT_LOG_LEVEL_COUNT ? level : 0], buf);
    }
}

void gl_cache_dir(char *buf, size_t cap) {
    const char *e = getenv("GLINT_CACHE_DIR");
    if (e && *e)
        snprintf(buf, cap, "%s", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && *e)
        snprintf(buf, cap, "%s/glint", e);
    else if ((e = getenv("HOME")) && *e)
        snprintf(buf, cap, "%s/.cache/glint", e);
    else
        snprintf(buf, cap, "/tmp/glint-cache");
}

int64_t gl_time_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void *gl_aligned_alloc(size_t size) {
    if (size == 0) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, gl_align_up(size, 64)) != 0) return NULL;
    return p;
}

void gl_aligned_free(void *p) {
    free(p);
}

/* Internal helpers shared by every part of the library: error text, logging, checked math.
 * Nothing here is API. */
#ifndef GLINT_COMMON_H
#define GLINT_COMMON_H

#include "glint.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define GL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define GL_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define GL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define GL_UNUSED __attribute__((unused))
#else
#define GL_PRINTF(f, a)
#define GL_UNUSED
#endif

/* Where an internal call writes why it failed. May be NULL: the text is then dropped. */
typedef struct gl_err {
    char msg[512];
} gl_err;

/* Formats the message into `e` (if not NULL) and returns `st`, so a failure reads
 * `return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tensor '%s': ...", name);` */
glint_status gl_fail(gl_err *e, glint_status st, const char *fmt, ...) GL_PRINTF(3, 4);

/* Process-wide log sink; the runtime installs its callback and level. */
void gl_log_set(glint_log_level level, glint_log_fn fn, void *user);
void gl_log(glint_log_level level, const char *fmt, ...) GL_PRINTF(2, 3);
#define GL_LOGE(...) gl_log(GLINT_LOG_LEVEL_ERROR, __VA_ARGS__)
#define GL_LOGW(...) gl_log(GLINT_LOG_LEVEL_WARN, __VA_ARGS__)
#define GL_LOGI(...) gl_log(GLINT_LOG_LEVEL_INFO, __VA_ARGS__)
#define GL_LOGD(...) gl_log(GLINT_LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Overflow-checked arithmetic: false on overflow, *out untouched then. */
static inline bool gl_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (a > UINT64_MAX - b) return false;
    *out = a + b;
    return true;
}
static inline bool gl_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (a != 0 && b > UINT64_MAX / a) return false;
    *out = a * b;
    return true;
}
static inline uint64_t gl_align_up(uint64_t x, uint64_t a) {
    return (x + a - 1) / a * a;
}

/* Glint's cache directory (pipeline cache, plans, synthetic models): $GLINT_CACHE_DIR, else
 * $XDG_CACHE_HOME/glint, else $HOME/.cache/glint, else /tmp/glint-cache. */
void gl_cache_dir(char *buf, size_t cap);

/* Monotonic clock in microseconds. */
int64_t gl_time_us(void);

/* 64-byte aligned allocation; free with gl_aligned_free. NULL on failure or size 0. */
void *gl_aligned_alloc(size_t size);
void gl_aligned_free(void *p);

#endif

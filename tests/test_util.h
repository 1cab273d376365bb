/* Tiny test harness: CHECK macros print both values and keep going; a test's main returns
 * gl_test_finish(). */
#ifndef GLINT_TEST_UTIL_H
#define GLINT_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

extern int gl_test_failures;
extern int gl_test_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        gl_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            gl_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);              \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        gl_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            gl_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    CHECK_MSG((long long)(a) == (long long)(b), "%s = %lld, %s = %lld", #a, (long long)(a), #b,   \
              (long long)(b))

#define CHECK_NEAR(a, b, tol)                                                                      \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%s = %.9g, %s = %.9g, tol %g", #a,       \
              (double)(a), #b, (double)(b), (double)(tol))

#define CHECK_STATUS(expr, want)                                                                   \
    do {                                                                                           \
        glint_status st_ = (expr);                                                                 \
        CHECK_MSG(st_ == (want), "%s returned %s, want %s", #expr, glint_status_string(st_),      \
                  glint_status_string(want));                                                      \
    } while (0)

/* The models directory ($GLINT_TEST_MODELS, else the build's default); path of a file in it,
 * or NULL (after printing a skip message) when it is absent. */
const char *gl_test_models_dir(void);
const char *gl_test_model_path(const char *rel, char *buf, size_t cap);
/* Reads a whole file; caller frees. NULL if unreadable. */
char *gl_test_read_file(const char *path, size_t *size);
/* Deterministic random numbers for tests. */
uint64_t gl_test_rand(uint64_t *state);
float gl_test_randf(uint64_t *state); /* uniform in [-1, 1) */

/* Prints "N checks, F failed" and returns 0 / 1. */
int gl_test_finish(const char *name);
#define GL_TEST_SKIP 77

#endif

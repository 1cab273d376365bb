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

/* Index of the largest value, ties to the lowest. */
int32_t gl_test_argmax(const float *x, int32_t n);

/* Teacher-forces the tokens of a golden file (llama.cpp's top-10 logits per position, one JSON
 * line each; prefill lines skipped) through `s` one per pass, checking each golden logit within
 * `tol` (CHECK). With `other` (may be NULL), feeds it too and tracks the largest difference over
 * the first n_cmp logits in *worst_other. Returns the largest |logit - golden|; *n_pos gets the
 * positions run. Consumes `golden` (strtok). */
struct glint_session;
double gl_test_golden(struct glint_session *s, char *golden, const char *name, double tol,
                      struct glint_session *other, int32_t n_cmp, double *worst_other,
                      int *n_pos);

/* Prints "N checks, F failed" and returns 0 / 1. */
int gl_test_finish(const char *name);
#define GL_TEST_SKIP 77

#endif

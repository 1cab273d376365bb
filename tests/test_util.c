#include "test_util.h"
#include "glint.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int gl_test_failures = 0;
int gl_test_checks = 0;

const char *gl_test_models_dir(void) {
    const char *env = getenv("GLINT_TEST_MODELS");
    return env && *env ? env : GLINT_DEFAULT_MODELS_DIR;
}

const char *gl_test_model_path(const char *rel, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s", gl_test_models_dir(), rel);
    struct stat st;
    if (stat(buf, &st) != 0) {
        printf("skip: %s not found (set GLINT_TEST_MODELS to the shared models folder)\n", buf);
        return NULL;
    }
    return buf;
}

char *gl_test_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (size) *size = (size_t)n;
    }
    return buf;
}

uint64_t gl_test_rand(uint64_t *s) {
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float gl_test_randf(uint64_t *s) {
    return (float)((gl_test_rand(s) >> 40) * (1.0 / 8388608.0)) - 1.0f;
}

int gl_test_finish(const char *name) {
    printf("%s: %d checks, %d failed\n", name, gl_test_checks, gl_test_failures);
    return gl_test_failures ? 1 : 0;
}

int32_t gl_test_argmax(const float *x, int32_t n) {
    int32_t b = 0;
    for (int32_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

double gl_test_golden(glint_session *s, char *golden, const char *name, double tol,
                      glint_session *other, int32_t n_cmp, double *worst_other, int *n_pos) {
    double worst = 0;
    int pos = 0;
    if (worst_other) *worst_other = 0;
    for (char *line = strtok(golden, "\n"); line && s; line = strtok(NULL, "\n")) {
        if (!strstr(line, "\"pos\":") || strstr(line, "\"prefill\"")) continue;
        const char *tp = strstr(line, "\"token\":");
        const char *top = strstr(line, "\"top\":[");
        if (!tp || !top) continue;
        const int32_t tok = (int32_t)strtol(tp + 8, NULL, 10);
        const float *lg, *lo = NULL;
        CHECK_STATUS(glint_session_decode(s, &tok, 1), GLINT_OK);
        if (other) CHECK_STATUS(glint_session_decode(other, &tok, 1), GLINT_OK);
        if (glint_session_get_logits(s, -1, &lg) ||
            (other && glint_session_get_logits(other, -1, &lo)))
            break;
        const char *p = top + 6; /* the outer [ */
        for (int i = 0; p && i < 10; i++) {
            p = strchr(p + 1, '[');
            if (!p) break;
            char *end;
            const int32_t id = (int32_t)strtol(p + 1, &end, 10);
            const double want = strtod(end + 1, NULL);
            worst = fmax(worst, fabs(lg[id] - want));
            CHECK_MSG(fabs(lg[id] - want) <= tol, "%s pos %d id %d: %.6f, golden %.6f", name, pos,
                      id, lg[id], want);
        }
        /* A plain compare, not an fmax reduction: aarch64 gcc 12 -O3 crashes vectorising that. */
        double w = worst_other ? *worst_other : 0;
        for (int32_t i = 0; lo && i < n_cmp; i++) {
            const double d = fabs((double)lg[i] - (double)lo[i]);
            if (d > w) w = d;
        }
        if (worst_other) *worst_other = w;
        pos++;
    }
    if (n_pos) *n_pos = pos;
    return worst;
}

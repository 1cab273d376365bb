#include "test_util.h"

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

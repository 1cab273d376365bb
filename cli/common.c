#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *cli_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "glint: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

bool cli_int(const char *s, long lo, long hi, long *out) {
    if (!s) return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "glint: '%s' is not a whole number in [%ld, %ld]\n", s, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_float(const char *s, float *out) {
    if (!s) return false;
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (errno || end == s || *end) {
        fprintf(stderr, "glint: '%s' is not a number\n", s);
        return false;
    }
    *out = v;
    return true;
}

bool cli_backend(const char *s, glint_backend_kind *out) {
    for (int k = 0; s && k < GLINT_BACKEND_COUNT; k++) {
        if (strcmp(s, glint_backend_kind_name((glint_backend_kind)k)) == 0) {
            *out = (glint_backend_kind)k;
            return true;
        }
    }
    fprintf(stderr, "glint: unknown backend '%s' (auto, cpu, vulkan, opencl)\n", s ? s : "");
    return false;
}

int cli_load(glint_runtime **rt, glint_model **m, const char *path, int n_threads,
             glint_backend_kind backend, bool verbose) {
    *rt = NULL;
    *m = NULL;
    if (!path) {
        fprintf(stderr, "glint: no model given (-m MODEL)\n");
        return 2;
    }
    glint_runtime_params rp = glint_runtime_default_params();
    rp.n_threads = n_threads;
    if (verbose) rp.log_level = GLINT_LOG_LEVEL_INFO;
    glint_status st = glint_runtime_create(&rp, rt);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint: cannot start: %s\n", glint_status_string(st));
        return 1;
    }
    glint_model_params mp = glint_model_default_params();
    mp.backend = backend;
    st = glint_model_load(*rt, path, &mp, m);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint: cannot load %s: %s (%s)\n", path, glint_runtime_last_error(*rt),
                glint_status_string(st));
        glint_runtime_free(*rt);
        *rt = NULL;
        return 1;
    }
    return 0;
}

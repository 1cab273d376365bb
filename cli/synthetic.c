/* --synthetic SHAPE:TYPE: a random-weight model written by Glint itself into the cache
 * directory, so a fresh machine can run and benchmark without downloading anything. */
#include "cli.h"
#include "synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p */
static bool make_dirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        bool ok = mkdir(path, 0755) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok) return false;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

int cli_synthetic_model(const char *spec, char *path, size_t cap) {
    char shape_name[32];
    const char *colon = strchr(spec, ':');
    const size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n == 0 || n >= sizeof shape_name) goto bad;
    memcpy(shape_name, spec, n);
    shape_name[n] = 0;
    const gl_synth_shape *shape = gl_synth_shape_find(shape_name);
    glint_type type = GLINT_TYPE_Q4_0;
    if (!shape || (colon && glint_type_from_name(colon + 1, &type) != GLINT_OK)) goto bad;

    char dir[900];
    gl_cache_dir(dir, sizeof dir);
    if (!make_dirs(dir)) {
        fprintf(stderr, "glint: cannot create cache directory %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, cap, "%s/synthetic-%s-%s.gguf", dir, shape->name, glint_type_name(type));
    struct stat st;
    if (stat(path, &st) == 0) return 0;
    fprintf(stderr, "glint: writing synthetic model %s (random weights) ...\n", path);
    gl_err err = {{0}};
    glint_status s = gl_synth_write(shape, type, 1, path, &err);
    if (s != GLINT_OK) {
        fprintf(stderr, "glint: cannot write %s: %s\n", path, err.msg);
        return 1;
    }
    return 0;
bad:
    fprintf(stderr, "glint: bad --synthetic '%s': want SHAPE:TYPE, SHAPE one of tiny, 110m, 1b "
            "and TYPE one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k\n",
            spec);
    return 2;
}

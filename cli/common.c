#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
             const glint_model_params *params, bool verbose) {
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
    glint_model_params mp = *params;
    cli_progress bar;
    cli_progress_init(&bar);
    if (!mp.progress) { /* profiling at load takes seconds: show it */
        mp.progress = cli_progress_fn;
        mp.progress_user = &bar;
    }
    st = glint_model_load(*rt, path, &mp, m);
    cli_progress_end(&bar);
    if (st != GLINT_OK) {
        fprintf(stderr, "glint: cannot load %s: %s (%s)\n", path, glint_runtime_last_error(*rt),
                glint_status_string(st));
        glint_runtime_free(*rt);
        *rt = NULL;
        return 1;
    }
    return 0;
}

void cli_progress_init(cli_progress *p) {
    *p = (cli_progress){.tty = isatty(STDERR_FILENO) == 1, .last_pct = -1};
}

void cli_progress_fn(float frac, const char *what, void *user) {
    cli_progress *p = user;
    if (!p) return;
    if (!(frac >= 0)) frac = 0; /* NaN too */
    if (frac > 1) frac = 1;
    if (!what) what = "";
    const int pct = (int)(frac * 100.0f + 0.5f);
    const bool same_what = strncmp(what, p->last_what, sizeof p->last_what - 1) == 0;
    if (!p->tty) {
        /* a line per step, not per tick */
        if (same_what && p->last_pct >= 0) return;
        fprintf(stderr, "progress: %3d%% %s\n", pct, what);
    } else {
        if (same_what && pct == p->last_pct) return;
        enum { W = 30 };
        char bar[W + 1];
        const int fill = (int)(frac * W + 0.5f);
        for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
        bar[W] = 0;
        int len = fprintf(stderr, "\r[%s] %3d%% %.70s", bar, pct, what);
        /* blank out the rest of a longer previous label */
        if (len < p->last_len) fprintf(stderr, "%*s", p->last_len - len, "");
        p->last_len = len;
        p->open = true;
    }
    fflush(stderr);
    p->last_pct = pct;
    snprintf(p->last_what, sizeof p->last_what, "%s", what);
}

void cli_progress_end(cli_progress *p) {
    if (p->open) fputc('\n', stderr);
    p->open = false;
    p->last_len = 0;
}

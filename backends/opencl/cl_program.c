/* Programs and kernels: the embedded source of shaders/opencl/<program>.cl (its #include
 * "x.clh" lines inlined), built with the tier defines and the caller's options on first use.
 * Built programs are kept on disk as driver binaries in gl_cache_dir(), one file per build:
 * cl-<key>.bin, key = hash of the source, options, device, driver, device and platform
 * versions; the file carries a checked header, and anything that does not match, is cut short,
 * fails its checksum or that the driver refuses is rebuilt from source and rewritten. Kernels
 * are kept per (program, kernel, options) for the device's lifetime. */
#include "cl_device.h"
#include "gl_cl_programs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GL_CL_CACHE_MAGIC "GLCLBIN1"
#define GL_CL_CACHE_FORMAT 1u
#define GL_CL_CACHE_MAX ((uint64_t)256 << 20)
#define GL_CL_INCLUDE_DEPTH 8

typedef struct cache_header {
    char magic[8];
    uint32_t format, reserved;
    uint64_t key;      /* as in the file name */
    uint64_t size;     /* bytes of binary after the header */
    uint64_t checksum; /* FNV-1a of them */
} cache_header;

uint64_t gl_cl_fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t hash_str(uint64_t h, const char *s) {
    /* the terminator too, so ("ab", "c") and ("a", "bc") differ */
    return gl_cl_fnv1a(h, s, strlen(s) + 1);
}

static char *dup_str(const char *s) {
    const size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

/* ---- source --------------------------------------------------------------------------------- */

typedef struct strbuf {
    char *p;
    size_t n, cap;
    bool oom;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

/* The name in `#include "name"` when the line is one, else false. */
static bool include_name(const char *line, const char *end, char *name, size_t cap) {
    const char *p = line;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p == end || *p != '#') return false;
    p++;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (end - p < 7 || strncmp(p, "include", 7) != 0) return false;
    p += 7;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p == end || *p != '"') return false;
    const char *q = ++p;
    while (q < end && *q != '"') q++;
    if (q == end || (size_t)(q - p) >= cap) return false;
    memcpy(name, p, (size_t)(q - p));
    name[q - p] = 0;
    return true;
}

/* Appends `text` with the embedded headers it includes inlined, each once (`seen`). */
static void resolve(strbuf *b, const char *text, size_t size, int depth, const char **seen,
                    int *n_seen) {
    int line_no = 1;
    for (const char *p = text, *end = text + size; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        char name[128];
        const gl_cl_source *inc = NULL;
        if (include_name(p, eol ? eol : end, name, sizeof name)) inc = gl_cl_source_find(name);
        if (inc && depth < GL_CL_INCLUDE_DEPTH) {
            bool done = false;
            for (int i = 0; i < *n_seen; i++) done |= seen[i] == inc->name;
            if (!done && *n_seen < 64) {
                seen[(*n_seen)++] = inc->name;
                resolve(b, inc->text, inc->size, depth + 1, seen, n_seen);
            }
            /* compiler messages keep this file's line numbers */
            char ln[32];
            int w = snprintf(ln, sizeof ln, "\n#line %d\n", line_no + 1);
            sb_put(b, ln, (size_t)w);
        } else {
            sb_put(b, p, (size_t)(next - p));
        }
        line_no++;
        p = next;
    }
}

/* The full source of a program; caller frees. NULL when it is not embedded (or no memory). */
static char *program_source(const char *program, size_t *len) {
    const gl_cl_source *src = gl_cl_source_find(program);
    if (!src) return NULL;
    strbuf b = {0};
    const char *seen[64];
    int n_seen = 0;
    resolve(&b, src->text, src->size, 0, seen, &n_seen);
    if (b.oom || !b.p) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p;
}

/* ---- the disk cache --------------------------------------------------------------------------- */

static bool mkdirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST) return false;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

void gl_cl_programs_init(gl_cl_device *d) {
    char dir[sizeof d->cache_dir];
    gl_cache_dir(dir, sizeof dir);
    if (!mkdirs(dir)) {
        GL_LOGI("opencl: cannot create the cache directory %s (%s): programs are not cached",
                dir, strerror(errno));
        d->cache_dir[0] = 0;
        return;
    }
    snprintf(d->cache_dir, sizeof d->cache_dir, "%s", dir);
}

static uint64_t build_key(const gl_cl_device *d, const char *source, const char *options) {
    const gl_cl_caps *c = &d->caps;
    uint64_t k = GL_CL_FNV_SEED;
    k = hash_str(k, source);
    k = hash_str(k, options);
    k = hash_str(k, c->name);
    k = hash_str(k, c->driver);
    k = hash_str(k, c->version);
    k = hash_str(k, c->platform);
    return k;
}

static void key_path(const gl_cl_device *d, uint64_t key, char *buf, size_t cap) {
    if (!d->cache_dir[0]) {
        buf[0] = 0;
        return;
    }
    snprintf(buf, cap, "%s/cl-%016llx.bin", d->cache_dir, (unsigned long long)key);
}

/* The cached binary for `key`, or NULL (logged) when there is none that can be trusted. */
static unsigned char *cache_read(gl_cl_device *d, const char *path, uint64_t key, size_t *size) {
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cache_header h;
    unsigned char *data = NULL;
    const char *why = NULL;
    if (fread(&h, sizeof h, 1, f) != 1)
        why = "truncated header";
    else if (memcmp(h.magic, GL_CL_CACHE_MAGIC, 8) != 0)
        why = "not a glint program binary";
    else if (h.format != GL_CL_CACHE_FORMAT)
        why = "another format version";
    else if (h.key != key)
        why = "made for another build";
    else if (h.size == 0 || h.size > GL_CL_CACHE_MAX)
        why = "bad size";
    else if (!(data = malloc(h.size)))
        why = "out of memory";
    else if (fread(data, 1, h.size, f) != h.size)
        why = "truncated binary";
    else if (gl_cl_fnv1a(GL_CL_FNV_SEED, data, h.size) != h.checksum)
        why = "bad checksum";
    else if (fgetc(f) != EOF)
        why = "trailing bytes";
    fclose(f);
    if (why) {
        GL_LOGW("opencl: ignoring cached program %s (%s); it is rebuilt", path, why);
        d->stats.rejected++;
        free(data);
        return NULL;
    }
    *size = h.size;
    return data;
}

static void cache_write(gl_cl_device *d, const char *path, uint64_t key, cl_program prog) {
    size_t n = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof n, &n, NULL) != CL_SUCCESS ||
        n == 0 || n > GL_CL_CACHE_MAX)
        return;
    unsigned char *data = malloc(n);
    if (!data) return;
    unsigned char *ptrs[1] = {data};
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof ptrs, ptrs, NULL) != CL_SUCCESS) {
        free(data);
        return;
    }
    cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, GL_CL_CACHE_MAGIC, 8);
    h.format = GL_CL_CACHE_FORMAT;
    h.key = key;
    h.size = n;
    h.checksum = gl_cl_fnv1a(GL_CL_FNV_SEED, data, n);
    /* write then rename: processes sharing the directory never see half a file */
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(&h, sizeof h, 1, f) == 1 && fwrite(data, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = false;
    if (ok && rename(tmp, path) == 0) {
        d->stats.written++;
    } else {
        GL_LOGI("opencl: cannot write the program cache %s", path);
        remove(tmp);
    }
    free(data);
}

/* ---- building ----------------------------------------------------------------------------------- */

/* The build log, for messages; caller frees. */
static char *build_log(gl_cl_device *d, cl_program prog) {
    size_t n = 0;
    if (clGetProgramBuildInfo(prog, d->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) != CL_SUCCESS)
        n = 0;
    char *log = calloc(n + 1, 1);
    if (log && n &&
        clGetProgramBuildInfo(prog, d->device, CL_PROGRAM_BUILD_LOG, n, log, NULL) != CL_SUCCESS)
        log[0] = 0;
    return log;
}

static cl_program from_binary(gl_cl_device *d, const char *path, const unsigned char *bin,
                              size_t size, const char *options) {
    cl_int e = CL_SUCCESS, bin_status = CL_SUCCESS;
    cl_program prog =
        clCreateProgramWithBinary(d->context, 1, &d->device, &size, &bin, &bin_status, &e);
    if (prog && e == CL_SUCCESS && bin_status == CL_SUCCESS)
        e = clBuildProgram(prog, 1, &d->device, options, NULL, NULL);
    else if (e == CL_SUCCESS)
        e = bin_status != CL_SUCCESS ? bin_status : CL_INVALID_BINARY;
    if (e == CL_SUCCESS) return prog;
    GL_LOGW("opencl: the driver refused the cached program %s (%s); it is rebuilt", path,
            gl_cl_error_string(e));
    d->stats.rejected++;
    if (prog) clReleaseProgram(prog);
    return NULL;
}

/* Builds (program, options); NULL with p->error set when it does not build. */
static cl_program build(gl_cl_device *d, gl_cl_program *p) {
    size_t len = 0;
    char *src = program_source(p->name, &len);
    if (!src) {
        p->error = malloc(256);
        if (p->error)
            snprintf(p->error, 256, "opencl: no embedded program '%s' (shaders/opencl/%s.cl)",
                     p->name, p->name);
        return NULL;
    }
    const uint64_t key = build_key(d, src, p->options);
    char path[1024];
    key_path(d, key, path, sizeof path);
    cl_program prog = NULL;
    if (path[0]) {
        size_t n = 0;
        unsigned char *bin = cache_read(d, path, key, &n);
        if (bin) prog = from_binary(d, path, bin, n, p->options);
        free(bin);
        if (prog) {
            d->stats.loaded++;
            GL_LOGD("opencl: program %s [%s] from the cache", p->name, p->options);
            free(src);
            return prog;
        }
    }
    const int64_t t0 = gl_time_us();
    cl_int e = CL_SUCCESS;
    const char *srcs[1] = {src};
    prog = clCreateProgramWithSource(d->context, 1, srcs, &len, &e);
    free(src);
    if (!prog || e != CL_SUCCESS) {
        gl_cl_check(d, e != CL_SUCCESS ? e : CL_OUT_OF_HOST_MEMORY, "clCreateProgramWithSource");
        p->error = dup_str(d->last_error);
        return NULL;
    }
    e = clBuildProgram(prog, 1, &d->device, p->options, NULL, NULL);
    char *log = build_log(d, prog);
    if (e != CL_SUCCESS) {
        GL_LOGE("opencl: program %s [%s] does not build (%s):\n%s", p->name, p->options,
                gl_cl_error_string(e), log ? log : "");
        p->error = malloc(512);
        if (p->error)
            snprintf(p->error, 512, "opencl: program %s [%s] does not build (%s): %.300s", p->name,
                     p->options, gl_cl_error_string(e), log ? log : "");
        free(log);
        clReleaseProgram(prog);
        if (e == CL_DEVICE_NOT_AVAILABLE || e == CL_OUT_OF_HOST_MEMORY) gl_cl_check(d, e, "build");
        return NULL;
    }
    if (log && log[strspn(log, " \t\r\n")])
        GL_LOGD("opencl: program %s [%s] build log:\n%s", p->name, p->options, log);
    free(log);
    d->stats.built++;
    GL_LOGI("opencl: built program %s [%s] in %.1f ms", p->name, p->options,
            (double)(gl_time_us() - t0) / 1000.0);
    if (path[0]) cache_write(d, path, key, prog);
    return prog;
}

static void full_options(const gl_cl_device *d, const char *caller, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s%s", d->build_options, caller[0] && d->build_options[0] ? " " : "",
             caller);
}

/* The (possibly failed) program entry for (name, full options), building it on first use. */
static gl_cl_program *program_get(gl_cl_device *d, const char *name, const char *options) {
    const uint64_t h = hash_str(hash_str(GL_CL_FNV_SEED, name), options);
    for (int i = 0; i < d->n_programs; i++) {
        gl_cl_program *p = &d->programs[i];
        if (p->hash == h && strcmp(p->name, name) == 0 && strcmp(p->options, options) == 0)
            return p;
    }
    if (d->n_programs == d->cap_programs) {
        const int cap = d->cap_programs ? d->cap_programs * 2 : 16;
        gl_cl_program *np = realloc(d->programs, sizeof *np * (size_t)cap);
        if (!np) return NULL;
        d->programs = np;
        d->cap_programs = cap;
    }
    gl_cl_program *p = &d->programs[d->n_programs];
    memset(p, 0, sizeof *p);
    p->hash = h;
    p->name = dup_str(name);
    p->options = dup_str(options);
    if (!p->name || !p->options) {
        free(p->name);
        free(p->options);
        return NULL;
    }
    d->n_programs++;
    p->program = build(d, p);
    return p;
}

glint_status gl_cl_kernel(gl_cl_device *d, const char *program, const char *kernel,
                          const char *options, cl_kernel *out) {
    *out = NULL;
    if (!options) options = "";
    if (!program || !kernel) return GLINT_ERROR_INVALID_ARGUMENT;
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    const uint64_t h = hash_str(hash_str(hash_str(GL_CL_FNV_SEED, program), kernel), options);
    for (int i = 0; i < d->n_kernels; i++) {
        const gl_cl_kernel_entry *k = &d->kernels[i];
        if (k->hash == h && strcmp(k->kernel, kernel) == 0 && strcmp(k->program, program) == 0 &&
            strcmp(k->options, options) == 0) {
            *out = k->kernel_obj;
            return GLINT_OK;
        }
    }
    char opts[1024];
    full_options(d, options, opts, sizeof opts);
    gl_cl_program *p = program_get(d, program, opts);
    if (!p) return GLINT_ERROR_OUT_OF_MEMORY;
    if (!p->program) {
        snprintf(d->last_error, sizeof d->last_error, "%s",
                 p->error ? p->error : "opencl: program does not build");
        return d->lost ? GLINT_ERROR_DEVICE_LOST : GLINT_ERROR_UNSUPPORTED;
    }
    if (d->n_kernels == d->cap_kernels) {
        const int cap = d->cap_kernels ? d->cap_kernels * 2 : 32;
        gl_cl_kernel_entry *nk = realloc(d->kernels, sizeof *nk * (size_t)cap);
        if (!nk) return GLINT_ERROR_OUT_OF_MEMORY;
        d->kernels = nk;
        d->cap_kernels = cap;
    }
    cl_int e = CL_SUCCESS;
    cl_kernel k = clCreateKernel(p->program, kernel, &e);
    if (!k || e != CL_SUCCESS) {
        snprintf(d->last_error, sizeof d->last_error,
                 "opencl: no kernel %.64s in program %.64s [%.200s]: %s", kernel, program, opts,
                 gl_cl_error_string(e));
        GL_LOGE("%s", d->last_error);
        return e == CL_INVALID_KERNEL_NAME ? GLINT_ERROR_INVALID_ARGUMENT
                                           : gl_cl_check(d, e, "clCreateKernel");
    }
    gl_cl_kernel_entry *ke = &d->kernels[d->n_kernels];
    ke->hash = h;
    ke->program = dup_str(program);
    ke->kernel = dup_str(kernel);
    ke->options = dup_str(options);
    ke->kernel_obj = k;
    if (!ke->program || !ke->kernel || !ke->options) {
        free(ke->program);
        free(ke->kernel);
        free(ke->options);
        clReleaseKernel(k);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    d->n_kernels++;
    *out = k;
    return GLINT_OK;
}

void gl_cl_programs_free(gl_cl_device *d) {
    for (int i = 0; i < d->n_kernels; i++) {
        clReleaseKernel(d->kernels[i].kernel_obj);
        free(d->kernels[i].program);
        free(d->kernels[i].kernel);
        free(d->kernels[i].options);
    }
    free(d->kernels);
    d->kernels = NULL;
    d->n_kernels = d->cap_kernels = 0;
    for (int i = 0; i < d->n_programs; i++) {
        if (d->programs[i].program) clReleaseProgram(d->programs[i].program);
        free(d->programs[i].name);
        free(d->programs[i].options);
        free(d->programs[i].error);
    }
    free(d->programs);
    d->programs = NULL;
    d->n_programs = d->cap_programs = 0;
}

void gl_cl_cache_stats_get(const gl_cl_device *d, gl_cl_cache_stats *out) {
    *out = d->stats;
}

void gl_cl_cache_file(const gl_cl_device *d, const char *program, const char *caller_options,
                      char *buf, size_t cap) {
    buf[0] = 0;
    size_t len = 0;
    char *src = program_source(program, &len);
    if (!src) return;
    char opts[1024];
    full_options(d, caller_options ? caller_options : "", opts, sizeof opts);
    key_path(d, build_key(d, src, opts), buf, cap);
    free(src);
}

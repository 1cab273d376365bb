/* The OpenCL backend core on PoCL: no OpenCL (OCL_ICD_VENDORS at an empty directory) ->
 * BACKEND_UNAVAILABLE, device choice, caps and the capability lines, GLINT_CL_DISABLE and the
 * tier defines programs see, buffer round trips (mapped and copied, offsets, > 1 MiB, bounds,
 * larger than the largest allocation), the program cache (second instance loads, corrupt,
 * truncated, foreign or driver-refused files rebuilt) and per-node profiling. Skips when no
 * OpenCL device exists. */
#include "backend.h"
#include "test_util.h"

#ifndef GLINT_WITH_OPENCL
int main(void) {
    printf("SKIP: built without the OpenCL backend\n");
    return GL_TEST_SKIP;
}
#else
#include "cl_device.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_cache_dir[512];

/* In a child, before this process touched OpenCL: the ICD loader pointed at no driver. */
static void test_no_opencl(void) {
    char empty[600];
    snprintf(empty, sizeof empty, "%s/no-icd", g_cache_dir);
    CHECK(mkdir(empty, 0755) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("OCL_ICD_VENDORS", empty, 1);
        gl_backend *b = NULL;
        gl_err err = {{0}};
        glint_status st = gl_backend_opencl_create(&b, &err);
        if (st != GLINT_ERROR_BACKEND_UNAVAILABLE || b || !strstr(err.msg, "OpenCL")) {
            fprintf(stderr, "no OpenCL: got %s, message '%s'\n", glint_status_string(st),
                    err.msg);
            _exit(1);
        }
        printf("no OpenCL: %s\n", err.msg);
        fflush(stdout);
        _exit(0);
    }
    int ws = 0;
    CHECK(pid > 0 && waitpid(pid, &ws, 0) == pid);
    CHECK_MSG(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child status %d", ws);
    rmdir(empty);
}

static gl_backend *create(glint_status want, gl_err *err_out) {
    gl_backend *b = NULL;
    gl_err err = {{0}};
    glint_status st = gl_backend_opencl_create(&b, &err);
    CHECK_MSG(st == want, "create: %s (%s)", glint_status_string(st), err.msg);
    if (err_out) *err_out = err;
    if (st && b) b = NULL;
    return b;
}

static bool pow2(uint64_t x) {
    return x && !(x & (x - 1));
}

static void test_caps(gl_backend *b) {
    gl_cl_device *d = gl_cl_backend_device(b);
    CHECK(d != NULL);
    const gl_cl_caps *c = gl_cl_device_caps(d);
    CHECK(c->name[0] && c->vendor[0] && c->version[0] && c->driver[0] && c->platform[0]);
    CHECK_MSG(c->cl_major * 10 + c->cl_minor >= 12, "OpenCL %d.%d", c->cl_major, c->cl_minor);
    CHECK(c->compute_units > 0);
    CHECK(c->global_mem > 0);
    CHECK(c->max_alloc > 0 && c->max_alloc <= c->global_mem);
    CHECK(c->local_mem >= 16384);
    CHECK(c->max_wg >= 1);
    CHECK_MSG(pow2(c->mem_base_align) && c->mem_base_align <= 4096, "align %u",
              c->mem_base_align);
    CHECK_EQ_INT(c->enabled & ~c->probed, 0);
    CHECK_EQ_INT(c->fp16, (c->probed & GL_CL_TIER_FP16) != 0);
    CHECK_EQ_INT(c->subgroups, (c->probed & GL_CL_TIER_SUBGROUP) != 0);
    CHECK_EQ_INT(c->int8dot, (c->probed & GL_CL_TIER_INT8DOT) != 0);
    if (c->probed & GL_CL_TIER_IMAGE) CHECK(c->images && c->image_max_buffer > 0);
    if (strstr(c->platform, "Portable Computing Language")) {
        /* PoCL's pthread device: CPU memory, images */
        CHECK(c->type & CL_DEVICE_TYPE_CPU);
        CHECK(c->unified);
        CHECK(c->probed & GL_CL_TIER_IMAGE);
    }
    CHECK_EQ_INT(strcmp(b->iface->name(b), "opencl"), 0);
    char desc[2048];
    b->iface->describe(b, desc, sizeof desc);
    static const char *const words[] = {"opencl: ", "version:", "compute units:", "memory:",
                                        "max allocation", "images:", "cl_khr_fp16:",
                                        "subgroups:", "int8 dot:", "tiers:"};
    for (size_t i = 0; i < GL_ARRAY_LEN(words); i++)
        CHECK_MSG(strstr(desc, words[i]) != NULL, "'%s' not in the description", words[i]);
    CHECK(strncmp(desc, "opencl: ", 8) == 0);
    CHECK(strstr(desc, c->name) != NULL);
    if (c->images) CHECK(strstr(desc, "1d buffer up to") != NULL);
    char id[512];
    b->iface->identity(b, id, sizeof id);
    CHECK(strncmp(id, "opencl:", 7) == 0 && strstr(id, c->name) && strstr(id, c->driver));
    const size_t align = b->iface->get_alignment(b);
    CHECK(align >= 64 && align % c->mem_base_align == 0);
    printf("%s", desc);
}

/* GLINT_CL_DEVICE by index and by name, unknown names, CPU devices without permission. */
static void test_choice(const gl_cl_caps *c) {
    gl_err err;
    setenv("GLINT_CL_DEVICE", "0", 1);
    gl_backend *b = create(GLINT_OK, NULL);
    if (b) b->iface->free(b);

    /* a part of the name, lower case, picks the device even when CPU devices are not allowed */
    char part[8] = {0};
    for (int i = 0; i < 6 && c->name[i]; i++) part[i] = (char)(c->name[i] | 0x20);
    unsetenv("GLINT_CL_ALLOW_CPU");
    setenv("GLINT_CL_DEVICE", part, 1);
    b = create(GLINT_OK, NULL);
    if (b) {
        CHECK(strcmp(gl_cl_device_caps(gl_cl_backend_device(b))->name, c->name) == 0);
        b->iface->free(b);
    }

    setenv("GLINT_CL_DEVICE", "no-such-device", 1);
    b = create(GLINT_ERROR_BACKEND_UNAVAILABLE, &err);
    CHECK_MSG(strstr(err.msg, "no-such-device") && strstr(err.msg, "found:"), "%s", err.msg);
    setenv("GLINT_CL_DEVICE", "99", 1);
    b = create(GLINT_ERROR_BACKEND_UNAVAILABLE, &err);
    unsetenv("GLINT_CL_DEVICE");

    /* by type: a GPU or accelerator, or nothing with a hint when there are only CPUs */
    gl_backend *any = NULL;
    err.msg[0] = 0;
    glint_status st = gl_backend_opencl_create(&any, &err);
    if (st == GLINT_OK) {
        CHECK(!(gl_cl_device_caps(gl_cl_backend_device(any))->type & CL_DEVICE_TYPE_CPU));
        any->iface->free(any);
    } else {
        CHECK_EQ_INT(st, GLINT_ERROR_BACKEND_UNAVAILABLE);
        CHECK_MSG(strstr(err.msg, "GLINT_CL_ALLOW_CPU") != NULL, "%s", err.msg);
    }
    setenv("GLINT_CL_ALLOW_CPU", "1", 1);
}

/* ---- buffers ------------------------------------------------------------------------------ */

static void fill_random(unsigned char *p, size_t n, uint64_t *rng) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)gl_test_rand(rng);
}

static void test_buffers(gl_backend *b, bool want_mapped) {
    static const size_t sizes[] = {0, 1, 100, 4096, 3u << 20};
    uint64_t rng = 7;
    for (size_t s = 0; s < GL_ARRAY_LEN(sizes); s++) {
        const size_t n = sizes[s];
        gl_buffer *buf = NULL;
        CHECK_STATUS(b->iface->buffer_alloc(b, n, GL_BUFFER_COMPUTE, &buf), GLINT_OK);
        if (!buf) continue;
        CHECK(buf->backend == b && buf->size == n && buf->impl);
        CHECK_MSG((buf->host != NULL) == want_mapped, "size %zu: host %p", n, buf->host);
        unsigned char *src = malloc(n + 1), *dst = malloc(n + 1);
        fill_random(src, n, &rng);
        CHECK_STATUS(b->iface->buffer_upload(b, buf, 0, src, n), GLINT_OK);
        memset(dst, 0xee, n + 1);
        CHECK_STATUS(b->iface->buffer_download(b, buf, 0, dst, n), GLINT_OK);
        CHECK_MSG(memcmp(src, dst, n) == 0, "round trip of %zu bytes", n);
        if (buf->host) CHECK(memcmp(buf->host, src, n) == 0);
        if (n >= 100) {
            /* a range inside: only it changes */
            const size_t off = n / 3 + 1, len = n / 4;
            unsigned char *part = malloc(len);
            fill_random(part, len, &rng);
            CHECK_STATUS(b->iface->buffer_upload(b, buf, off, part, len), GLINT_OK);
            memcpy(src + off, part, len);
            CHECK_STATUS(b->iface->buffer_download(b, buf, 0, dst, n), GLINT_OK);
            CHECK_MSG(memcmp(src, dst, n) == 0, "range upload in %zu bytes", n);
            memset(dst, 0, len);
            CHECK_STATUS(b->iface->buffer_download(b, buf, off, dst, len), GLINT_OK);
            CHECK(memcmp(dst, part, len) == 0);
            free(part);
            /* the CPU writes the mapping in place; downloads see it */
            if (buf->host) {
                memset((char *)buf->host + 5, 0x5a, 17);
                CHECK_STATUS(b->iface->buffer_download(b, buf, 5, dst, 17), GLINT_OK);
                bool same = true;
                for (int i = 0; i < 17; i++) same &= dst[i] == 0x5a;
                CHECK(same);
            }
        }
        /* out of bounds */
        CHECK_STATUS(b->iface->buffer_upload(b, buf, n, src, 1), GLINT_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(b->iface->buffer_download(b, buf, 1, dst, n), GLINT_ERROR_INVALID_ARGUMENT);
        CHECK_STATUS(b->iface->buffer_upload(b, buf, n, src, 0), GLINT_OK);
        free(src);
        free(dst);
        b->iface->buffer_free(b, buf);
    }
    /* larger than the device's largest allocation: refused with a message */
    gl_cl_device *d = gl_cl_backend_device(b);
    const gl_cl_caps *c = gl_cl_device_caps(d);
    gl_buffer *big = (gl_buffer *)1;
    CHECK_STATUS(b->iface->buffer_alloc(b, (size_t)c->max_alloc + 1, GL_BUFFER_WEIGHTS, &big),
                 GLINT_ERROR_OUT_OF_DEVICE_MEMORY);
    CHECK(big == NULL);
    CHECK_MSG(strstr(gl_cl_last_error(d), "CL_DEVICE_MAX_MEM_ALLOC_SIZE") != NULL, "%s",
              gl_cl_last_error(d));
    b->iface->buffer_free(b, NULL);
}

/* ---- kernels ------------------------------------------------------------------------------- */

/* Runs test_fill's fill over n floats at byte offset `off` of a fresh buffer and checks them
 * (value * scale + i / 4), and that the bytes before are untouched. */
static void run_fill(gl_backend *b, const char *options, float scale) {
    gl_cl_device *d = gl_cl_backend_device(b);
    cl_kernel k = NULL;
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "fill", options, &k), GLINT_OK);
    if (!k) return;
    const uint32_t n = 1000;
    const size_t off = 256;
    gl_buffer *buf = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, off + n * sizeof(float), GL_BUFFER_COMPUTE, &buf),
                 GLINT_OK);
    if (!buf) return;
    unsigned char zero[256] = {0};
    CHECK_STATUS(b->iface->buffer_upload(b, buf, 0, zero, sizeof zero), GLINT_OK);
    gl_tensor t = {.type = GLINT_TYPE_F32, .buffer = buf, .offset = off, .name = "fill"};
    const float value = 1.5f;
    CHECK_STATUS(gl_cl_set_tensor(k, 0, &t), GLINT_OK);
    CHECK_EQ_INT(clSetKernelArg(k, 2, sizeof value, &value), CL_SUCCESS);
    CHECK_EQ_INT(clSetKernelArg(k, 3, sizeof n, &n), CL_SUCCESS);
    /* 1000 is no multiple of 64: the range is rounded up and the kernel guards */
    const size_t global = n, local = 64;
    CHECK_STATUS(gl_cl_enqueue(d, k, 1, &global, &local), GLINT_OK);
    CHECK_STATUS(b->iface->synchronize(b), GLINT_OK);
    float *y = malloc(n * sizeof(float));
    CHECK_STATUS(b->iface->buffer_download(b, buf, off, y, n * sizeof(float)), GLINT_OK);
    int bad = 0;
    for (uint32_t i = 0; i < n; i++)
        if (y[i] != value * scale + 0.25f * (float)i) bad++;
    CHECK_MSG(bad == 0, "fill [%s]: %d of %u wrong (y[1] = %g)", options, bad, n, (double)y[1]);
    if (buf->host) CHECK(memcmp((char *)buf->host + off, y, n * sizeof(float)) == 0);
    unsigned char before[256];
    CHECK_STATUS(b->iface->buffer_download(b, buf, 0, before, off), GLINT_OK);
    CHECK(memcmp(before, zero, off) == 0);
    free(y);
    b->iface->buffer_free(b, buf);
}

/* The tier bits the program saw as defines. */
static uint32_t run_tiers(gl_backend *b) {
    gl_cl_device *d = gl_cl_backend_device(b);
    cl_kernel k = NULL;
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "tiers", "", &k), GLINT_OK);
    gl_buffer *buf = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, 64, GL_BUFFER_COMPUTE, &buf), GLINT_OK);
    if (!k || !buf) return 0xffffffffu;
    gl_cl_arg a = gl_cl_tensor_arg(&(gl_tensor){.buffer = buf});
    CHECK(a.mem != NULL && a.offset == 0);
    CHECK_EQ_INT(clSetKernelArg(k, 0, sizeof a.mem, &a.mem), CL_SUCCESS);
    const size_t one = 1;
    CHECK_STATUS(gl_cl_enqueue(d, k, 1, &one, NULL), GLINT_OK);
    uint32_t t = 0xffffffffu;
    CHECK_STATUS(b->iface->buffer_download(b, buf, 0, &t, sizeof t), GLINT_OK);
    b->iface->buffer_free(b, buf);
    return t;
}

static void test_disable(uint32_t probed) {
    static const struct {
        const char *env;
        uint32_t off;
    } cases[] = {
        {"fp16,subgroup,image,int8dot", 0xf},
        {"image", GL_CL_TIER_IMAGE},
        {"fp16", GL_CL_TIER_FP16},
        {"subgroup", GL_CL_TIER_SUBGROUP},
        {"int8dot", GL_CL_TIER_INT8DOT},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        setenv("GLINT_CL_DISABLE", cases[i].env, 1);
        gl_backend *b = create(GLINT_OK, NULL);
        unsetenv("GLINT_CL_DISABLE");
        if (!b) continue;
        const gl_cl_caps *c = gl_cl_device_caps(gl_cl_backend_device(b));
        CHECK_MSG((c->enabled & cases[i].off) == 0, "%s: enabled 0x%x", cases[i].env, c->enabled);
        CHECK_MSG(c->probed == probed, "%s: probed 0x%x, want 0x%x", cases[i].env, c->probed,
                  probed);
        CHECK_EQ_INT(c->enabled, probed & ~cases[i].off);
        /* programs are built with exactly the tiers that are on */
        CHECK_EQ_INT(run_tiers(b), c->enabled);
        b->iface->free(b);
    }
    CHECK_EQ_INT(gl_cl_parse_tiers("FP16, image,bogus"), GL_CL_TIER_FP16 | GL_CL_TIER_IMAGE);
    CHECK_EQ_INT(gl_cl_parse_tiers(""), 0);
    CHECK_EQ_INT(gl_cl_parse_tiers(NULL), 0);
}

static gl_cl_cache_stats stats_of(gl_backend *b) {
    gl_cl_cache_stats s;
    gl_cl_cache_stats_get(gl_cl_backend_device(b), &s);
    return s;
}

static void corrupt(const char *path, int how) {
    size_t n = 0;
    unsigned char *data = (unsigned char *)gl_test_read_file(path, &n);
    CHECK_MSG(data && n > 100, "cache file %s: %zu bytes", path, n);
    if (!data || n <= 100) {
        free(data);
        return;
    }
    FILE *f = fopen(path, "wb");
    if (how == 0) {
        /* cut in half, a few bytes flipped */
        for (size_t i = 60; i < n / 2; i += 97) data[i] ^= 0x5a;
        fwrite(data, 1, n / 2, f);
    } else if (how == 1) {
        /* whole length, bytes flipped: the checksum catches it */
        for (size_t i = 64; i < n; i += 131) data[i] ^= 0xff;
        fwrite(data, 1, n, f);
    } else {
        /* a consistent file the driver cannot use: junk with a matching checksum */
        const size_t hdr = 40;
        for (size_t i = hdr; i < n; i++) data[i] = (unsigned char)(i * 7 + 3);
        const uint64_t sum = gl_cl_fnv1a(GL_CL_FNV_SEED, data + hdr, n - hdr);
        memcpy(data + 32, &sum, sizeof sum);
        fwrite(data, 1, n, f);
    }
    fclose(f);
    free(data);
}

static void test_cache(void) {
    char path[1024] = "";
    /* first instance: built from source, written */
    gl_backend *b = create(GLINT_OK, NULL);
    if (!b) return;
    gl_cl_device *d = gl_cl_backend_device(b);
    run_fill(b, "", 1.0f);
    gl_cl_cache_stats s = stats_of(b);
    CHECK_EQ_INT(s.built, 1);
    CHECK_EQ_INT(s.loaded, 0);
    CHECK_EQ_INT(s.written, 1);
    /* the same kernel again, and another kernel of the same build: nothing new */
    cl_kernel k1 = NULL, k2 = NULL, k3 = NULL;
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "fill", "", &k1), GLINT_OK);
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "fill", NULL, &k2), GLINT_OK);
    CHECK(k1 && k1 == k2);
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "tiers", "", &k3), GLINT_OK);
    CHECK(k3 && k3 != k1);
    CHECK_EQ_INT(stats_of(b).built, 1);
    /* other options: another build */
    run_fill(b, "-DGL_TEST_SCALE=2.0f", 2.0f);
    CHECK_EQ_INT(stats_of(b).built, 2);
    /* what does not exist */
    cl_kernel none = (cl_kernel)1;
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "no_such_kernel", "", &none),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK(none == NULL);
    CHECK(strstr(gl_cl_last_error(d), "no_such_kernel") != NULL);
    CHECK_STATUS(gl_cl_kernel(d, "no_such_program", "fill", "", &none), GLINT_ERROR_UNSUPPORTED);
    CHECK(strstr(gl_cl_last_error(d), "no embedded program") != NULL);
    /* a program that does not compile: refused with the log, once */
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "fill", "-DGL_TEST_SCALE=)", &none),
                 GLINT_ERROR_UNSUPPORTED);
    CHECK(strstr(gl_cl_last_error(d), "does not build") != NULL);
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "fill", "-DGL_TEST_SCALE=)", &none),
                 GLINT_ERROR_UNSUPPORTED);
    CHECK_EQ_INT(stats_of(b).built, 2);
    gl_cl_cache_file(d, "test_fill", "", path, sizeof path);
    char scaled[1024];
    gl_cl_cache_file(d, "test_fill", "-DGL_TEST_SCALE=2.0f", scaled, sizeof scaled);
    CHECK(path[0] && strstr(path, g_cache_dir) == path && strcmp(path, scaled) != 0);
    struct stat st;
    CHECK_MSG(stat(path, &st) == 0 && st.st_size > 40, "%s", path);
    b->iface->free(b);

    /* second instance: from the cache, nothing compiled */
    b = create(GLINT_OK, NULL);
    if (!b) return;
    run_fill(b, "", 1.0f);
    s = stats_of(b);
    CHECK_EQ_INT(s.built, 0);
    CHECK_EQ_INT(s.loaded, 1);
    CHECK_EQ_INT(s.rejected, 0);
    b->iface->free(b);

    /* corrupt entries are rebuilt, not trusted, and rewritten */
    for (int how = 0; how < 4; how++) {
        if (how < 3) {
            corrupt(path, how);
        } else {
            /* another build's file under this name */
            size_t n = 0;
            char *other = gl_test_read_file(scaled, &n);
            FILE *f = fopen(path, "wb");
            if (other && f) fwrite(other, 1, n, f);
            if (f) fclose(f);
            free(other);
        }
        b = create(GLINT_OK, NULL);
        if (!b) return;
        run_fill(b, "", 1.0f);
        s = stats_of(b);
        CHECK_MSG(s.built == 1 && s.loaded == 0 && s.rejected == 1 && s.written == 1,
                  "corruption %d: built %llu loaded %llu rejected %llu written %llu", how,
                  (unsigned long long)s.built, (unsigned long long)s.loaded,
                  (unsigned long long)s.rejected, (unsigned long long)s.written);
        b->iface->free(b);
        /* the rewritten file is good again */
        b = create(GLINT_OK, NULL);
        if (!b) return;
        run_fill(b, "", 1.0f);
        s = stats_of(b);
        CHECK_MSG(s.built == 0 && s.loaded == 1, "after corruption %d: built %llu loaded %llu",
                  how, (unsigned long long)s.built, (unsigned long long)s.loaded);
        b->iface->free(b);
    }
}

/* ---- profiling and the op path --------------------------------------------------------------- */

static void test_profiling(gl_backend *b) {
    gl_cl_device *d = gl_cl_backend_device(b);
    cl_kernel k = NULL;
    CHECK_STATUS(gl_cl_kernel(d, "test_fill", "fill", "", &k), GLINT_OK);
    gl_buffer *buf = NULL;
    const uint32_t n = 1 << 16;
    CHECK_STATUS(b->iface->buffer_alloc(b, n * sizeof(float), GL_BUFFER_COMPUTE, &buf), GLINT_OK);
    if (!k || !buf) return;
    gl_tensor t = {.type = GLINT_TYPE_F32, .buffer = buf, .name = "t"};
    const float v = 3.0f;
    gl_cl_set_tensor(k, 0, &t);
    clSetKernelArg(k, 2, sizeof v, &v);
    clSetKernelArg(k, 3, sizeof n, &n);
    const size_t global = n;

    b->iface->set_profiling(b, true);
    /* compute() of no nodes brings the profiling queue */
    CHECK_STATUS(b->iface->compute(b, NULL, 0), GLINT_OK);
    CHECK(d->queue_profiling || !d->queue_profiling_ok);
    /* three nodes as compute() runs them: one dispatch, two, none */
    gl_cl_profile_begin(d, 3);
    gl_cl_profile_node(d, 0);
    CHECK_STATUS(gl_cl_enqueue(d, k, 1, &global, NULL), GLINT_OK);
    gl_cl_profile_node(d, 1);
    CHECK_STATUS(gl_cl_enqueue(d, k, 1, &global, NULL), GLINT_OK);
    CHECK_STATUS(gl_cl_enqueue(d, k, 1, &global, NULL), GLINT_OK);
    gl_cl_profile_node(d, 2);
    CHECK_STATUS(b->iface->synchronize(b), GLINT_OK);
    gl_node_timing tm[8];
    const int got = b->iface->get_timings(b, tm, 8);
    if (d->queue_profiling_ok) {
        CHECK_EQ_INT(got, 3);
        for (int i = 0; i < got; i++) CHECK_EQ_INT(tm[i].node, i);
        CHECK(got == 3 && tm[0].us > 0 && tm[1].us > 0 && tm[2].us == 0);
        if (got == 3) printf("timings: %.1f us, %.1f us, %.1f us\n", tm[0].us, tm[1].us, tm[2].us);
        /* read once: asking again gives the same */
        CHECK_EQ_INT(b->iface->get_timings(b, tm, 8), 3);
        CHECK_EQ_INT(b->iface->get_timings(b, tm, 2), 2);
    }
    b->iface->set_profiling(b, false);
    CHECK_STATUS(b->iface->compute(b, NULL, 0), GLINT_OK);
    CHECK(!d->queue_profiling);
    CHECK_EQ_INT(b->iface->get_timings(b, tm, 8), 0);
    /* the buffer survived the queue changes */
    float y[4];
    CHECK_STATUS(b->iface->buffer_download(b, buf, 0, y, sizeof y), GLINT_OK);
    CHECK(y[0] == 3.0f && y[3] == 3.0f + 0.25f * 3.0f);

    /* the op path: tensors elsewhere are declined; an op without a kernel fails cleanly */
    gl_tensor host = {.type = GLINT_TYPE_F32, .ne = {4, 1, 1, 1}, .nb = {4, 16, 16, 16}};
    gl_tensor dev_t = host;
    dev_t.buffer = buf;
    gl_node node = {.op = GL_OP_ADD, .dst = &dev_t, .src = {&host, &dev_t}};
    CHECK(!b->iface->supports_op(b, &node));
    node.op = GL_OP_COUNT;
    node.src[0] = &dev_t;
    CHECK(!b->iface->supports_op(b, &node));
    CHECK_STATUS(b->iface->compute(b, &node, 1), GLINT_ERROR_UNSUPPORTED);
    CHECK(strstr(gl_cl_last_error(d), "no kernel") != NULL);
    b->iface->buffer_free(b, buf);
}

static void remove_dir(const char *dir) {
    DIR *dd = opendir(dir);
    if (!dd) return;
    struct dirent *e;
    char p[1200];
    while ((e = readdir(dd))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove(p);
    }
    closedir(dd);
    rmdir(dir);
}

int main(void) {
    /* before anything touches OpenCL: a fresh cache, CPU devices allowed */
    snprintf(g_cache_dir, sizeof g_cache_dir, "%s/cl-device-XXXXXX", GLINT_TEST_TMP);
    if (!mkdtemp(g_cache_dir)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("GLINT_CACHE_DIR", g_cache_dir, 1);
    setenv("GLINT_CL_ALLOW_CPU", "1", 1);
    unsetenv("GLINT_CL_DEVICE");
    unsetenv("GLINT_CL_DISABLE");
    unsetenv("GLINT_CL_NO_UNIFIED");

    test_no_opencl();

    gl_backend *b = NULL;
    gl_err err = {{0}};
    glint_status st = gl_backend_opencl_create(&b, &err);
    if (st == GLINT_ERROR_BACKEND_UNAVAILABLE) {
        printf("SKIP: no OpenCL device: %s\n", err.msg);
        remove_dir(g_cache_dir);
        return gl_test_failures ? gl_test_finish("test_cl_device") : GL_TEST_SKIP;
    }
    CHECK_STATUS(st, GLINT_OK);
    if (!b) return gl_test_finish("test_cl_device");
    test_caps(b);
    const gl_cl_caps caps = *gl_cl_device_caps(gl_cl_backend_device(b));
    test_buffers(b, caps.unified);
    test_profiling(b);
    b->iface->free(b);

    test_choice(&caps);
    if (caps.unified) {
        /* the copying path of devices with their own memory */
        setenv("GLINT_CL_NO_UNIFIED", "1", 1);
        b = create(GLINT_OK, NULL);
        unsetenv("GLINT_CL_NO_UNIFIED");
        if (b) {
            CHECK(!gl_cl_device_caps(gl_cl_backend_device(b))->unified);
            test_buffers(b, false);
            run_fill(b, "", 1.0f);
            b->iface->free(b);
        }
    }
    test_disable(caps.probed);
    /* the cache test counts builds from a cold cache */
    remove_dir(g_cache_dir);
    mkdir(g_cache_dir, 0755);
    test_cache();
    remove_dir(g_cache_dir);
    return gl_test_finish("test_cl_device");
}
#endif

/* The Vulkan device layer on lavapipe with validation on: no driver -> BACKEND_UNAVAILABLE,
 * caps, GLINT_VK_DISABLE, buffer round trips (mapped and staged), sub-allocation, out of
 * device memory, the on-disk pipeline cache (reused; corrupt, truncated or foreign files
 * ignored and rewritten), and zero validation messages. */
#include "backend.h"
#include "test_util.h"

#ifndef GLINT_WITH_VULKAN
int main(void) {
    printf("SKIP: built without the Vulkan backend\n");
    return GL_TEST_SKIP;
}
#else
#include "vk_device.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_cache_dir[512];

/* In a child, before any loader state exists: the loader pointed at no driver. */
static void test_no_driver(void) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("VK_DRIVER_FILES", "/nonexistent", 1);
        setenv("VK_ICD_FILENAMES", "/nonexistent", 1);
        gl_backend *b = NULL;
        gl_err err = {{0}};
        glint_status st = gl_backend_vulkan_create(NULL, &b, &err);
        if (st != GLINT_ERROR_BACKEND_UNAVAILABLE || b || !err.msg[0]) {
            fprintf(stderr, "no driver: got %s, message '%s'\n", glint_status_string(st), err.msg);
            _exit(1);
        }
        printf("no driver: %s\n", err.msg);
        fflush(stdout);
        _exit(0);
    }
    int ws = 0;
    CHECK(pid > 0 && waitpid(pid, &ws, 0) == pid);
    CHECK_MSG(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child status %d", ws);
}

static gl_backend *create(glint_status want) {
    gl_backend *b = NULL;
    gl_err err = {{0}};
    glint_status st = gl_backend_vulkan_create(NULL, &b, &err);
    CHECK_MSG(st == want, "create: %s (%s)", glint_status_string(st), err.msg);
    return b;
}

static bool pow2(uint64_t x) {
    return x && !(x & (x - 1));
}

static void test_caps(gl_backend *b) {
    gl_vk_device *d = gl_vk_backend_device(b);
    const gl_vk_caps *c = gl_vk_device_caps(d);
    CHECK(c->name[0] != 0);
    CHECK_MSG(c->api_version >= VK_API_VERSION_1_1, "api 0x%x", c->api_version);
    CHECK_MSG(pow2(c->subgroup_size), "subgroup size %u", c->subgroup_size);
    CHECK_MSG(pow2(c->min_storage_offset_alignment) && c->min_storage_offset_alignment <= 256,
              "alignment %llu", (unsigned long long)c->min_storage_offset_alignment);
    CHECK(c->max_storage_buffer_range >= (1u << 27));
    CHECK(c->max_allocation_size >= (1u << 30));
    CHECK(c->max_shared_memory >= 16384);
    CHECK(c->max_workgroup_invocations >= 128);
    CHECK(c->max_push_constants >= 128);
    CHECK(c->device_local_bytes > 0);
    CHECK_EQ_INT(c->enabled & ~c->probed, 0);
    /* lavapipe: a CPU device whose memory is all host-visible, and Vulkan 1.3 features */
    CHECK_EQ_INT(c->type, VK_PHYSICAL_DEVICE_TYPE_CPU);
    CHECK(c->unified_memory);
    CHECK(c->probed & GL_VK_FEAT_STORAGE16);
    CHECK(c->probed & GL_VK_FEAT_SUBGROUP);
    CHECK(strstr(c->driver_name, "llvmpipe") != NULL);
    char desc[2048];
    b->iface->describe(b, desc, sizeof desc);
    CHECK(strncmp(desc, "vulkan: ", 8) == 0);
    CHECK(strstr(desc, c->name) != NULL);
    CHECK(strstr(desc, "subgroup: size") != NULL);
    CHECK(strstr(desc, "timestamps:") != NULL);
    CHECK_EQ_INT(b->iface->get_alignment(b) % c->min_storage_offset_alignment, 0);
    printf("%s", desc);
}

static void test_disable(uint32_t probed) {
    static const struct {
        const char *env;
        uint32_t off;
    } cases[] = {
        {"fp16,int8dot,subgroup", GL_VK_FEAT_FP16 | GL_VK_FEAT_INT8DOT | GL_VK_FEAT_SUBGROUP},
        {"fp16", GL_VK_FEAT_FP16},
        {"int8dot", GL_VK_FEAT_INT8DOT},
        {"subgroup", GL_VK_FEAT_SUBGROUP},
        {"storage16", GL_VK_FEAT_STORAGE16 | GL_VK_FEAT_FP16}, /* fp16 needs 16-bit storage */
        {"storage8", GL_VK_FEAT_STORAGE8 | GL_VK_FEAT_INT8DOT},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        setenv("GLINT_VK_DISABLE", cases[i].env, 1);
        gl_backend *b = create(GLINT_OK);
        unsetenv("GLINT_VK_DISABLE");
        if (!b) continue;
        const gl_vk_caps *c = gl_vk_device_caps(gl_vk_backend_device(b));
        CHECK_MSG((c->enabled & cases[i].off) == 0, "%s: enabled 0x%x", cases[i].env, c->enabled);
        CHECK_MSG(c->probed == probed, "%s: probed 0x%x, want 0x%x", cases[i].env, c->probed,
                  probed);
        /* what was not named stays on */
        const uint32_t rest = probed & ~cases[i].off;
        CHECK_MSG((c->enabled & rest) == rest, "%s: enabled 0x%x, want 0x%x on", cases[i].env,
                  c->enabled, rest);
        b->iface->free(b);
    }
    CHECK_EQ_INT(gl_vk_parse_features("FP16, subgroup,bogus"),
                 GL_VK_FEAT_FP16 | GL_VK_FEAT_SUBGROUP);
}

/* The driver-bug table matches vendor, device name and driver name. */
static void test_quirks(void) {
    static const struct {
        uint32_t vendor;
        const char *name, *driver;
        uint32_t off;
    } cases[] = {
        {0x5143, "Adreno (TM) 740", "Qualcomm Technologies Inc. Adreno Vulkan Driver",
         GL_VK_FEAT_STORAGE8 | GL_VK_FEAT_INT8DOT},
        {0x5143, "Turnip Adreno (TM) 740", "turnip Mesa driver", 0},
        {0x8086, "Intel(R) Arc(tm) A770 Graphics (DG2)", "Intel open-source Mesa driver",
         GL_VK_FEAT_FP16},
        {0x106b, "Apple M2", "KosmicKrisp", GL_VK_FEAT_SUBGROUP},
        {0x13b5, "Mali-G715", "Mali-G715", 0},
        {0x10005, "llvmpipe (LLVM 15.0.6, 256 bits)", "llvmpipe", 0},
    };
    for (size_t i = 0; i < GL_ARRAY_LEN(cases); i++) {
        gl_vk_caps c = {0};
        c.vendor_id = cases[i].vendor;
        snprintf(c.name, sizeof c.name, "%s", cases[i].name);
        snprintf(c.driver_name, sizeof c.driver_name, "%s", cases[i].driver);
        c.driver_version = 0x801f6000;
        uint32_t off = 0xdead;
        const char *what = gl_vk_quirk_lookup(&c, &off);
        CHECK_MSG(off == cases[i].off && (what != NULL) == (cases[i].off != 0),
                  "%s: disables 0x%x (%s), want 0x%x", cases[i].name, off, what ? what : "none",
                  cases[i].off);
    }
}

/* GLINT_VK_DEVICE picks by name or index (CPU devices too); CPU devices otherwise need
 * GLINT_VK_ALLOW_CPU=1. */
static void test_device_choice(void) {
    unsetenv("GLINT_VK_ALLOW_CPU");
    gl_backend *b = NULL;
    gl_err err = {{0}};
    setenv("GLINT_VK_DEVICE", "LLVMPIPE", 1);
    CHECK_STATUS(gl_backend_vulkan_create(NULL, &b, &err), GLINT_OK);
    if (b) {
        CHECK(strstr(gl_vk_device_caps(gl_vk_backend_device(b))->name, "llvmpipe") != NULL);
        b->iface->free(b);
    }
    setenv("GLINT_VK_DEVICE", "no-such-gpu", 1);
    CHECK_STATUS(gl_backend_vulkan_create(NULL, &b, &err), GLINT_ERROR_BACKEND_UNAVAILABLE);
    CHECK_MSG(strstr(err.msg, "no-such-gpu") && strstr(err.msg, "found: ") &&
                  strstr(err.msg, "llvmpipe"),
              "message: %s", err.msg);
    setenv("GLINT_VK_DEVICE", "99", 1);
    CHECK_STATUS(gl_backend_vulkan_create(NULL, &b, &err), GLINT_ERROR_BACKEND_UNAVAILABLE);
    unsetenv("GLINT_VK_DEVICE");
    /* by type: a real GPU when there is one, else refused with a hint */
    glint_status st = gl_backend_vulkan_create(NULL, &b, &err);
    if (st == GLINT_OK) {
        CHECK(gl_vk_device_caps(gl_vk_backend_device(b))->type != VK_PHYSICAL_DEVICE_TYPE_CPU);
        b->iface->free(b);
    } else {
        CHECK_STATUS(st, GLINT_ERROR_BACKEND_UNAVAILABLE);
        CHECK_MSG(strstr(err.msg, "GLINT_VK_ALLOW_CPU=1") != NULL, "message: %s", err.msg);
    }
    setenv("GLINT_VK_ALLOW_CPU", "1", 1);
}

/* Writes then reads back odd sizes at odd offsets. */
static void round_trips(gl_backend *b, bool want_mapped) {
    static const size_t sizes[] = {1, 3, 1000, 4097, (3u << 20) + 5, (20u << 20) + 3};
    static const size_t offs[] = {0, 1, 7, 123};
    uint64_t rs = 42;
    for (size_t si = 0; si < GL_ARRAY_LEN(sizes); si++)
        for (size_t oi = 0; oi < GL_ARRAY_LEN(offs); oi++) {
            if (sizes[si] > 4096 && oi > 1) continue; /* keep it quick */
            const size_t n = sizes[si], off = offs[oi];
            gl_buffer *buf = NULL;
            CHECK_STATUS(b->iface->buffer_alloc(
                             b, n + off, oi & 1 ? GL_BUFFER_WEIGHTS : GL_BUFFER_COMPUTE, &buf),
                         GLINT_OK);
            unsigned char *src = malloc(n), *dst = malloc(n);
            if (!buf || !src || !dst) {
                free(src), free(dst);
                if (buf) b->iface->buffer_free(b, buf);
                continue;
            }
            CHECK_MSG((buf->host != NULL) == want_mapped, "size %zu: host %p", n, buf->host);
            for (size_t i = 0; i < n; i++) src[i] = (unsigned char)gl_test_rand(&rs);
            memset(dst, 0xee, n);
            CHECK_STATUS(b->iface->buffer_upload(b, buf, off, src, n), GLINT_OK);
            CHECK_STATUS(b->iface->buffer_download(b, buf, off, dst, n), GLINT_OK);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += src[i] != dst[i];
            CHECK_MSG(bad == 0, "size %zu offset %zu%s: %zu bytes differ", n, off,
                      want_mapped ? "" : " (staged)", bad);
            /* partial read from the middle */
            if (n > 10) {
                CHECK_STATUS(b->iface->buffer_download(b, buf, off + n / 3, dst, 5), GLINT_OK);
                CHECK(memcmp(dst, src + n / 3, 5) == 0);
            }
            CHECK_STATUS(b->iface->buffer_upload(b, buf, off + 1, src, n),
                         GLINT_ERROR_INVALID_ARGUMENT);
            free(src);
            free(dst);
            b->iface->buffer_free(b, buf);
        }
}

/* Many buffers from shared blocks never overlap; freed space is reused; empty blocks go. */
static void test_suballoc(gl_backend *b) {
    gl_vk_device *d = gl_vk_backend_device(b);
    enum { NB = 40 };
    gl_buffer *bufs[NB] = {0};
    uint64_t rs = 5;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < NB; i++) {
            if (bufs[i]) continue;
            const size_t n = 1 + gl_test_rand(&rs) % 100000;
            CHECK_STATUS(b->iface->buffer_alloc(b, n, GL_BUFFER_COMPUTE, &bufs[i]), GLINT_OK);
            if (!bufs[i]) continue;
            const gl_vk_buffer *vb = bufs[i]->impl;
            CHECK_EQ_INT(vb->offset % d->caps.min_storage_offset_alignment, 0);
            unsigned char *p = malloc(n);
            memset(p, i + 1, n);
            CHECK_STATUS(b->iface->buffer_upload(b, bufs[i], 0, p, n), GLINT_OK);
            free(p);
        }
        for (int i = 0; i < NB; i++) {
            if (!bufs[i]) continue;
            const size_t n = bufs[i]->size;
            unsigned char *p = malloc(n);
            CHECK_STATUS(b->iface->buffer_download(b, bufs[i], 0, p, n), GLINT_OK);
            size_t bad = 0;
            for (size_t k = 0; k < n; k++) bad += p[k] != (unsigned char)(i + 1);
            CHECK_MSG(bad == 0, "round %d buffer %d: %zu bytes overwritten", round, i, bad);
            free(p);
        }
        for (int i = round; i < NB; i += 2) {
            b->iface->buffer_free(b, bufs[i]);
            bufs[i] = NULL;
        }
    }
    for (int i = 0; i < NB; i++) b->iface->buffer_free(b, bufs[i]);
    CHECK(d->pools[GL_VK_POOL_COMPUTE].blocks == NULL);

    /* a buffer bigger than a block gets its own; one beyond the device's limit fails cleanly */
    gl_buffer *big = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, (size_t)d->block_size + 12345, GL_BUFFER_WEIGHTS, &big),
                 GLINT_OK);
    if (big) {
        const size_t tail = 4096;
        unsigned char src[4096], dst[4096];
        for (size_t i = 0; i < tail; i++) src[i] = (unsigned char)(i * 7);
        CHECK_STATUS(b->iface->buffer_upload(b, big, big->size - tail, src, tail), GLINT_OK);
        CHECK_STATUS(b->iface->buffer_download(b, big, big->size - tail, dst, tail), GLINT_OK);
        CHECK(memcmp(src, dst, tail) == 0);
        b->iface->buffer_free(b, big);
    }
    gl_buffer *huge = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, (size_t)d->caps.max_allocation_size + 1,
                                        GL_BUFFER_COMPUTE, &huge),
                 GLINT_ERROR_OUT_OF_DEVICE_MEMORY);
    CHECK(huge == NULL);
    CHECK(strstr(d->last_error, "larger than the device") != NULL);
}

/* ---- pipeline cache ------------------------------------------------------------------------ */

static bool cache_file(gl_backend *b, char *path, size_t cap, long *size) {
    snprintf(path, cap, "%s", gl_vk_backend_device(b)->cache_path);
    struct stat st;
    *size = stat(path, &st) == 0 ? (long)st.st_size : -1;
    return *size > 0;
}

/* Creates a backend, builds one pipeline, frees it (which saves the cache). Returns the bytes
 * of cache it accepted at creation. */
static size_t cache_round(char *path, size_t cap, long *size) {
    gl_backend *b = create(GLINT_OK);
    if (!b) return 0;
    gl_vk_device *d = gl_vk_backend_device(b);
    const size_t loaded = d->cache_loaded;
    gl_vk_dispatch ds = {
        .shader = GL_VK_SHADER_TEST_FILL, .n_spec = 1, .spec = {1}, .n_bindings = 3};
    VkPipeline p;
    CHECK_STATUS(gl_vk_pipeline_get(d, &ds, &p), GLINT_OK);
    CHECK(p != VK_NULL_HANDLE);
    b->iface->free(b);
    snprintf(path, cap, "%s", ""), *size = -1;
    /* the path is the same for every backend on this device */
    gl_backend *b2 = create(GLINT_OK);
    if (b2) {
        cache_file(b2, path, cap, size);
        /* b2 made no pipeline: freeing it must not clobber the file */
        b2->iface->free(b2);
    }
    return loaded;
}

static void corrupt(const char *path, long at, unsigned char x) {
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ x, f);
    fclose(f);
}

static void test_pipeline_cache(void) {
    char path[1100];
    long size = -1;
    cache_round(path, sizeof path, &size);
    CHECK_MSG(size > 64, "cache file %s: size %ld", path, size);
    CHECK(strstr(path, g_cache_dir) == path && strstr(path, "/vk-pipelines-") != NULL);
    /* reused */
    size_t loaded = cache_round(path, sizeof path, &size);
    CHECK_MSG(loaded > 0 && (long)loaded + 64 >= size, "loaded %zu of a %ld-byte file", loaded,
              size);
    /* corrupt data (bad checksum), then foreign header, then truncated: each ignored, rewritten */
    corrupt(path, size - 3, 0x5a);
    CHECK_EQ_INT(cache_round(path, sizeof path, &size), 0);
    CHECK(cache_round(path, sizeof path, &size) > 0);
    corrupt(path, 8, 0x01); /* vendor id */
    CHECK_EQ_INT(cache_round(path, sizeof path, &size), 0);
    CHECK(cache_round(path, sizeof path, &size) > 0);
    CHECK(truncate(path, 20) == 0);
    CHECK_EQ_INT(cache_round(path, sizeof path, &size), 0);
    CHECK(cache_round(path, sizeof path, &size) > 0);
    FILE *f = fopen(path, "wb");
    if (f) fputs("not a cache at all", f), fclose(f);
    CHECK_EQ_INT(cache_round(path, sizeof path, &size), 0);
    CHECK(cache_round(path, sizeof path, &size) > 0);
}

int main(void) {
    test_no_driver();
    test_quirks();
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_VALIDATE", "1", 0);
    /* a private cache directory: this test checks the file itself */
    snprintf(g_cache_dir, sizeof g_cache_dir, "%s/vkcache-device-%ld", GLINT_TEST_TMP,
             (long)getpid());
    setenv("GLINT_CACHE_DIR", g_cache_dir, 1);

    gl_backend *b = NULL;
    gl_err err = {{0}};
    glint_status st = gl_backend_vulkan_create(NULL, &b, &err);
    if (st == GLINT_ERROR_BACKEND_UNAVAILABLE) {
        printf("SKIP: no Vulkan device: %s\n", err.msg);
        return GL_TEST_SKIP;
    }
    CHECK_STATUS(st, GLINT_OK);
    if (!b) return gl_test_finish("test_vk_device");
    const uint32_t probed = gl_vk_device_caps(gl_vk_backend_device(b))->probed;
    test_caps(b);
    round_trips(b, true);
    test_suballoc(b);
    b->iface->free(b);

    test_disable(probed);
    test_device_choice();

    /* the discrete-GPU path: device-local memory filled through the staging ring */
    setenv("GLINT_VK_NO_UNIFIED", "1", 1);
    b = create(GLINT_OK);
    unsetenv("GLINT_VK_NO_UNIFIED");
    if (b) {
        CHECK(!gl_vk_device_caps(gl_vk_backend_device(b))->unified_memory);
        round_trips(b, false);
        b->iface->free(b);
    }

    test_pipeline_cache();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_cache_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_cache_dir);

    CHECK_EQ_INT(gl_vk_validation_messages(), 0);
    return gl_test_finish("test_vk_device");
}
#endif

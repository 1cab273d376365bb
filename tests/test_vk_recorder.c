/* The Vulkan command recorder on lavapipe, with the validation layer (synchronization checks
 * included) on: RAW/WAR/WAW chains get barriers and the right data, independent dispatches get
 * none, misaligned views (skew) work, long runs split over several submissions, and a device
 * owned by the application is shared with lock callbacks around every submit. */
#include "backend.h"
#include "test_util.h"

#ifndef GLINT_WITH_VULKAN
int main(void) {
    printf("SKIP: built without the Vulkan backend\n");
    return GL_TEST_SKIP;
}
#else
#include "vk_device.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_env(void) {
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_VK_VALIDATE", "1", 0);
    /* synchronization validation: a missing barrier is a validation error */
    setenv("VK_LAYER_ENABLES", "VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
}

/* A float tensor of n values at byte `offset` of `buf`. */
static gl_tensor tensor_at(gl_buffer *buf, size_t offset, int64_t n) {
    gl_tensor t;
    const int64_t ne[1] = {n};
    gl_tensor_init(&t, GLINT_TYPE_F32, 1, ne);
    t.buffer = buf;
    t.offset = offset;
    t.data = buf->host ? (char *)buf->host + offset : NULL;
    t.name = "t";
    return t;
}

/* dst = (a [+ b]) * mul + add over n floats, through the recorder. */
static glint_status fill(gl_vk_device *d, const gl_tensor *dst, const gl_tensor *a,
                         const gl_tensor *b, float mul, float add) {
    gl_vk_dispatch ds = {.shader = GL_VK_SHADER_TEST_FILL, .n_spec = 1, .n_bindings = 3};
    ds.spec[0] = b ? 1 : 0;
    ds.bindings[0] = gl_vk_tensor_range(d, a, false);
    ds.bindings[1] = gl_vk_tensor_range(d, dst, true);
    ds.bindings[2] = gl_vk_tensor_range(d, b ? b : a, false);
    struct {
        uint32_t n, skew_a, skew_d, skew_b;
        float mul, add;
    } push = {(uint32_t)dst->ne[0],
              ds.bindings[0].skew / 4,
              ds.bindings[1].skew / 4,
              ds.bindings[2].skew / 4,
              mul,
              add};
    ds.push = &push;
    ds.push_size = sizeof push;
    ds.groups[0] = (uint32_t)((dst->ne[0] + 63) / 64);
    ds.groups[1] = ds.groups[2] = 1;
    return gl_vk_record_dispatch(d, &ds);
}

static void upload_f(gl_backend *b, gl_buffer *buf, size_t off, const float *x, size_t n) {
    CHECK_STATUS(b->iface->buffer_upload(b, buf, off, x, n * sizeof *x), GLINT_OK);
}

static int check_values(const char *what, const float *got, const float *want, size_t n) {
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(got[i] - want[i]) > 1e-5f * (1 + fabsf(want[i]))) {
            if (bad++ < 3)
                fprintf(stderr, "%s: [%zu] = %g, want %g\n", what, i, (double)got[i],
                        (double)want[i]);
        }
    CHECK_MSG(bad == 0, "%s: %d of %zu values wrong", what, bad, n);
    return bad;
}

/* RAW, WAR and WAW chains on one buffer; independent dispatches need no barrier. */
static void test_hazards(gl_backend *b, gl_vk_device *d) {
    enum { N = 1000 };
    const size_t A = 256 * 64; /* region size in bytes: far apart, aligned */
    gl_buffer *buf = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, 5 * A, GL_BUFFER_COMPUTE, &buf), GLINT_OK);
    if (!buf) return;
    gl_tensor x = tensor_at(buf, 0 * A, N), y = tensor_at(buf, 1 * A, N),
              z = tensor_at(buf, 2 * A, N), w = tensor_at(buf, 3 * A, N),
              u = tensor_at(buf, 4 * A, N);
    float in[N], want_z[N], want_w[N], want_x[N], got[N];
    uint64_t rs = 7;
    for (int i = 0; i < N; i++) in[i] = gl_test_randf(&rs);
    upload_f(b, buf, 0, in, N);

    uint64_t bar0 = d->n_barriers;
    CHECK_STATUS(fill(d, &y, &x, NULL, 2, 1), GLINT_OK);  /* y = 2x + 1 */
    CHECK_STATUS(fill(d, &z, &y, NULL, 3, 0), GLINT_OK);  /* RAW on y */
    CHECK_STATUS(fill(d, &w, &z, &x, 1, 0), GLINT_OK);    /* RAW on z: w = z + x */
    CHECK_STATUS(fill(d, &x, &x, NULL, -1, 0), GLINT_OK); /* WAR on x (read by the last) */
    CHECK_STATUS(fill(d, &u, &w, NULL, 1, 5), GLINT_OK);  /* w was fenced by the last barrier */
    CHECK_STATUS(fill(d, &u, &w, NULL, 1, 0), GLINT_OK);  /* WAW on u */
    CHECK_STATUS(gl_vk_wait_all(d), GLINT_OK);
    CHECK_EQ_INT(d->n_barriers - bar0, 4);
    for (int i = 0; i < N; i++) {
        want_z[i] = 3 * (2 * in[i] + 1);
        want_w[i] = want_z[i] + in[i];
        want_x[i] = -in[i];
    }
    CHECK_STATUS(b->iface->buffer_download(b, buf, 2 * A, got, sizeof got), GLINT_OK);
    check_values("RAW z", got, want_z, N);
    CHECK_STATUS(b->iface->buffer_download(b, buf, 3 * A, got, sizeof got), GLINT_OK);
    check_values("RAW w", got, want_w, N);
    CHECK_STATUS(b->iface->buffer_download(b, buf, 0, got, sizeof got), GLINT_OK);
    check_values("WAR x", got, want_x, N);
    CHECK_STATUS(b->iface->buffer_download(b, buf, 4 * A, got, sizeof got), GLINT_OK);
    check_values("WAW u", got, want_w, N);

    /* reads of the same data and writes to disjoint ranges: no barrier at all */
    bar0 = d->n_barriers;
    CHECK_STATUS(fill(d, &y, &x, NULL, 1, 0), GLINT_OK);
    CHECK_STATUS(fill(d, &z, &x, NULL, 2, 0), GLINT_OK);
    CHECK_STATUS(fill(d, &w, &x, NULL, 3, 0), GLINT_OK);
    CHECK_STATUS(gl_vk_wait_all(d), GLINT_OK);
    CHECK_EQ_INT(d->n_barriers - bar0, 0);
    CHECK_STATUS(b->iface->buffer_download(b, buf, 3 * A, got, sizeof got), GLINT_OK);
    for (int i = 0; i < N; i++) want_w[i] = -3 * in[i];
    check_values("independent w", got, want_w, N);
    b->iface->buffer_free(b, buf);
}

/* Tensors at offsets that are not multiples of minStorageBufferOffsetAlignment. */
static void test_skew(gl_backend *b, gl_vk_device *d) {
    enum { N = 333 };
    gl_buffer *buf = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, 64 * 1024, GL_BUFFER_COMPUTE, &buf), GLINT_OK);
    if (!buf) return;
    float in[N], got[N], want[N];
    for (int i = 0; i < N; i++) in[i] = (float)i * 0.5f - 7;
    const size_t offs[][3] = {
        {4, 12 * 1024 + 20, 30000 + 8}, {60, 16384 + 4, 40000 + 44}, {0, 20000 + 36, 50000 + 12}};
    for (size_t k = 0; k < GL_ARRAY_LEN(offs); k++) {
        upload_f(b, buf, offs[k][0], in, N);
        upload_f(b, buf, offs[k][2], in, N);
        gl_tensor a = tensor_at(buf, offs[k][0], N), dst = tensor_at(buf, offs[k][1], N),
                  bb = tensor_at(buf, offs[k][2], N);
        gl_vk_range r = gl_vk_tensor_range(d, &a, false);
        CHECK_EQ_INT(r.offset % d->caps.min_storage_offset_alignment, 0);
        CHECK_EQ_INT(r.offset + r.skew, ((gl_vk_buffer *)buf->impl)->offset + offs[k][0]);
        CHECK(r.size >= r.skew + N * sizeof(float));
        CHECK_STATUS(fill(d, &dst, &a, &bb, 2, 0.25f), GLINT_OK);
        CHECK_STATUS(gl_vk_wait_all(d), GLINT_OK);
        CHECK_STATUS(b->iface->buffer_download(b, buf, offs[k][1], got, sizeof got), GLINT_OK);
        for (int i = 0; i < N; i++) want[i] = (in[i] + in[i]) * 2 + 0.25f;
        char what[64];
        snprintf(what, sizeof what, "skew case %zu", k);
        check_values(what, got, want, N);
    }
    b->iface->buffer_free(b, buf);
}

/* A tensor larger than maxStorageBufferRange: refused whole, works bound in pieces. */
static void test_pieces(gl_backend *b, gl_vk_device *d) {
    const uint64_t range = d->caps.max_storage_buffer_range;
    if (range > (512u << 20)) {
        printf("note: storage range %llu MiB: large-binding check skipped\n",
               (unsigned long long)(range >> 20));
        return;
    }
    const size_t bytes = (size_t)range + (1u << 20);
    gl_buffer *buf = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, bytes + 4096, GL_BUFFER_COMPUTE, &buf), GLINT_OK);
    if (!buf) return;
    const int64_t n = (int64_t)(bytes / sizeof(float));
    gl_tensor big = tensor_at(buf, 0, n);
    CHECK_STATUS(fill(d, &big, &big, NULL, 1, 0), GLINT_ERROR_UNSUPPORTED);
    CHECK(strstr(d->last_error, "in pieces") != NULL);
    /* the last 1000 floats, through a piece at a skewed offset */
    enum { M = 1000 };
    float in[M], got[M], want[M];
    for (int i = 0; i < M; i++) in[i] = (float)i;
    const size_t tail = bytes - M * sizeof(float) - 4;
    upload_f(b, buf, tail, in, M);
    gl_vk_dispatch ds = {.shader = GL_VK_SHADER_TEST_FILL, .n_spec = 1, .n_bindings = 3};
    ds.bindings[0] = gl_vk_tensor_piece(d, &big, tail, M * sizeof(float), false);
    ds.bindings[1] = gl_vk_tensor_piece(d, &big, tail, M * sizeof(float), true);
    ds.bindings[2] = ds.bindings[0];
    CHECK(ds.bindings[0].buffer != VK_NULL_HANDLE && ds.bindings[0].size < 8192);
    struct {
        uint32_t n, skew_a, skew_d, skew_b;
        float mul, add;
    } push = {M, ds.bindings[0].skew / 4, ds.bindings[1].skew / 4, ds.bindings[0].skew / 4, 2, 0};
    ds.push = &push;
    ds.push_size = sizeof push;
    ds.groups[0] = (M + 63) / 64;
    ds.groups[1] = ds.groups[2] = 1;
    CHECK_STATUS(gl_vk_record_dispatch(d, &ds), GLINT_OK);
    CHECK_STATUS(gl_vk_wait_all(d), GLINT_OK);
    CHECK_STATUS(b->iface->buffer_download(b, buf, tail, got, sizeof got), GLINT_OK);
    for (int i = 0; i < M; i++) want[i] = 2.0f * (float)i;
    check_values("piece", got, want, M);
    /* outside the allocation: no range */
    CHECK(gl_vk_tensor_piece(d, &big, bytes + 8192, 4, false).buffer == VK_NULL_HANDLE);
    b->iface->buffer_free(b, buf);
}

/* A long dependent chain split over many submissions keeps its order. */
static void test_split(gl_backend *b, gl_vk_device *d) {
    enum { N = 4096, STEPS = 200, EVERY = 16 };
    gl_buffer *buf = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, 2 * N * sizeof(float), GL_BUFFER_COMPUTE, &buf),
                 GLINT_OK);
    if (!buf) return;
    float in[N], got[N], want[N];
    for (int i = 0; i < N; i++) in[i] = (float)(i % 97);
    upload_f(b, buf, 0, in, N);
    gl_tensor t[2] = {tensor_at(buf, 0, N), tensor_at(buf, N * sizeof(float), N)};
    const uint64_t sub0 = d->n_submits;
    for (int s = 0; s < STEPS; s++) {
        CHECK_STATUS(fill(d, &t[(s + 1) % 2], &t[s % 2], NULL, 1, 1), GLINT_OK);
        if (d->n_recorded >= EVERY) CHECK_STATUS(gl_vk_submit(d), GLINT_OK);
    }
    CHECK_STATUS(gl_vk_wait_all(d), GLINT_OK);
    CHECK_EQ_INT(d->n_submits - sub0, (STEPS + EVERY - 1) / EVERY);
    CHECK_STATUS(
        b->iface->buffer_download(b, buf, (STEPS % 2) * N * sizeof(float), got, sizeof got),
        GLINT_OK);
    for (int i = 0; i < N; i++) want[i] = in[i] + STEPS;
    check_values("split chain", got, want, N);
    CHECK_MSG(d->n_frames <= 8, "%d command buffers", d->n_frames);

    /* one submission with more dispatches than a descriptor pool holds */
    const uint64_t sub1 = d->n_submits;
    for (int s = 0; s < 300; s++)
        CHECK_STATUS(fill(d, &t[(s + 1) % 2], &t[s % 2], NULL, 1, -1), GLINT_OK);
    CHECK_STATUS(gl_vk_wait_all(d), GLINT_OK);
    CHECK_EQ_INT(d->n_submits - sub1, 1);
    CHECK_STATUS(b->iface->buffer_download(b, buf, 0, got, sizeof got), GLINT_OK);
    for (int i = 0; i < N; i++) want[i] = in[i] + STEPS - 300;
    check_values("300 dispatches", got, want, N);
    for (int i = 0; i < N; i++) in[i] = got[i] - STEPS; /* the base of the checks below */

    /* through compute(): nodes of the vkops ADD kernel, when it exists, split by submit_every */
    const gl_vk_op *add = gl_vk_ops[GL_OP_ADD];
    if (add) {
        enum { NODES = 40 };
        gl_node nodes[NODES];
        gl_tensor one = tensor_at(buf, N * sizeof(float), N);
        float ones[N];
        for (int i = 0; i < N; i++) ones[i] = 1;
        upload_f(b, buf, N * sizeof(float), ones, N);
        for (int i = 0; i < NODES; i++)
            nodes[i] = (gl_node){.op = GL_OP_ADD, .dst = &t[0], .src = {&t[0], &one}};
        const int saved = d->submit_every;
        d->submit_every = 8;
        const uint64_t s0 = d->n_submits;
        CHECK(b->iface->supports_op(b, &nodes[0]));
        b->iface->set_profiling(b, true);
        CHECK_STATUS(b->iface->compute(b, nodes, NODES), GLINT_OK);
        CHECK_STATUS(b->iface->synchronize(b), GLINT_OK);
        CHECK_EQ_INT(d->n_submits - s0, NODES / 8);
        d->submit_every = saved;
        /* per-node timestamps (lavapipe reports valid bits) */
        gl_node_timing tm[NODES + 4];
        const int nt = b->iface->get_timings(b, tm, NODES + 4);
        CHECK_EQ_INT(nt, d->caps.timestamps ? NODES : 0);
        for (int i = 0; i < nt; i++)
            CHECK_MSG(tm[i].node == i && tm[i].us >= 0 && tm[i].us < 1e7,
                      "timing %d: node %d, %g us", i, (int)tm[i].node, tm[i].us);
        b->iface->set_profiling(b, false);
        CHECK_STATUS(b->iface->buffer_download(b, buf, 0, got, sizeof got), GLINT_OK);
        for (int i = 0; i < N; i++) want[i] = in[i] + STEPS + NODES;
        check_values("compute() split", got, want, N);
    } else {
        printf("note: no Vulkan ADD kernel yet; compute() splitting not checked\n");
    }
    b->iface->buffer_free(b, buf);
}

/* After VK_ERROR_DEVICE_LOST the backend refuses work with GLINT_ERROR_DEVICE_LOST. */
static void test_lost(void) {
    gl_backend *b = NULL;
    CHECK_STATUS(gl_backend_vulkan_create(NULL, &b, NULL), GLINT_OK);
    if (!b) return;
    gl_vk_device *d = gl_vk_backend_device(b);
    gl_buffer *buf = NULL;
    CHECK_STATUS(b->iface->buffer_alloc(b, 4096, GL_BUFFER_COMPUTE, &buf), GLINT_OK);
    if (buf) {
        gl_tensor x = tensor_at(buf, 0, 256), y = tensor_at(buf, 2048, 256);
        gl_node node = {.op = GL_OP_ADD, .dst = &y, .src = {&x, &x}};
        /* what a failed submit or wait reports */
        CHECK_STATUS(gl_vk_check(d, VK_ERROR_DEVICE_LOST, "vkQueueSubmit"),
                     GLINT_ERROR_DEVICE_LOST);
        CHECK(strstr(d->last_error, "VK_ERROR_DEVICE_LOST") != NULL);
        CHECK(!b->iface->supports_op(b, &node));
        CHECK_STATUS(b->iface->compute(b, &node, 1), GLINT_ERROR_DEVICE_LOST);
        CHECK_STATUS(fill(d, &y, &x, NULL, 1, 0), GLINT_ERROR_DEVICE_LOST);
        float v[4] = {0};
        CHECK_STATUS(b->iface->buffer_upload(b, buf, 0, v, sizeof v), GLINT_ERROR_DEVICE_LOST);
        CHECK_STATUS(b->iface->buffer_download(b, buf, 0, v, sizeof v), GLINT_ERROR_DEVICE_LOST);
        CHECK_STATUS(b->iface->synchronize(b), GLINT_ERROR_DEVICE_LOST);
        gl_buffer *more = NULL;
        CHECK_STATUS(b->iface->buffer_alloc(b, 4096, GL_BUFFER_COMPUTE, &more),
                     GLINT_ERROR_DEVICE_LOST);
        b->iface->buffer_free(b, buf);
    }
    b->iface->free(b);
}

/* ---- shared device ------------------------------------------------------------------------ */

static int g_locks, g_unlocks, g_depth, g_bad_nesting;
static void lock_cb(void *user) {
    (void)user;
    if (g_depth++ != 0) g_bad_nesting++;
    g_locks++;
}
static void unlock_cb(void *user) {
    (void)user;
    if (--g_depth != 0) g_bad_nesting++;
    g_unlocks++;
}

static uint64_t g_app_messages;
static VKAPI_ATTR VkBool32 VKAPI_CALL app_debug(VkDebugUtilsMessageSeverityFlagBitsEXT s,
                                                VkDebugUtilsMessageTypeFlagsEXT t,
                                                const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                void *u) {
    (void)s, (void)t, (void)u;
    g_app_messages++;
    fprintf(stderr, "app validation: %s\n", data->pMessage);
    return VK_FALSE;
}

static void test_shared_device(void) {
    if (volkInitialize() != VK_SUCCESS) return;
    VkDebugUtilsMessengerCreateInfoEXT dbg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
        .pfnUserCallback = app_debug};
    const char *layer = "VK_LAYER_KHRONOS_validation";
    const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_1};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pNext = &dbg,
                                .pApplicationInfo = &app,
                                .enabledLayerCount = 1,
                                .ppEnabledLayerNames = &layer,
                                .enabledExtensionCount = 1,
                                .ppEnabledExtensionNames = &ext};
    VkInstance inst;
    if (vkCreateInstance(&ici, NULL, &inst) != VK_SUCCESS) {
        ici.enabledLayerCount = 0;
        ici.enabledExtensionCount = 0;
        ici.pNext = NULL;
        if (vkCreateInstance(&ici, NULL, &inst) != VK_SUCCESS) {
            printf("note: shared-device part skipped: no instance\n");
            return;
        }
    }
    volkLoadInstanceOnly(inst);
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    if (ici.enabledExtensionCount && vkCreateDebugUtilsMessengerEXT)
        vkCreateDebugUtilsMessengerEXT(inst, &dbg, NULL, &messenger);
    VkPhysicalDevice phys[8];
    uint32_t n = 8;
    vkEnumeratePhysicalDevices(inst, &n, phys);
    CHECK(n > 0);
    if (!n) {
        vkDestroyInstance(inst, NULL);
        return;
    }
    VkPhysicalDevice pd = phys[0];
    uint32_t nq = 0, fam = UINT32_MAX;
    VkQueueFamilyProperties qp[16];
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    nq = nq > 16 ? 16 : nq;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qp);
    for (uint32_t i = 0; i < nq && fam == UINT32_MAX; i++)
        if (qp[i].queueFlags & VK_QUEUE_COMPUTE_BIT) fam = i;
    const float prio = 1;
    VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                  .queueFamilyIndex = fam,
                                  .queueCount = 1,
                                  .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qi};
    VkDevice dev;
    CHECK(vkCreateDevice(pd, &dci, NULL, &dev) == VK_SUCCESS);
    struct VolkDeviceTable vk;
    volkLoadDeviceTable(&vk, dev);
    VkQueue q;
    vk.vkGetDeviceQueue(dev, fam, 0, &q);

    glint_vulkan_external ext_dev = {.instance = inst,
                                     .physical_device = pd,
                                     .device = dev,
                                     .queue = q,
                                     .queue_family = fam,
                                     .lock_queue = lock_cb,
                                     .unlock_queue = unlock_cb};
    gl_backend *b = NULL;
    gl_err err = {{0}};
    CHECK_STATUS(gl_backend_vulkan_create(&ext_dev, &b, &err), GLINT_OK);
    if (b) {
        gl_vk_device *d = gl_vk_backend_device(b);
        CHECK(d != NULL && !d->owns_device);
        CHECK_EQ_INT(d->caps.enabled & ~(uint32_t)GL_VK_FEAT_SUBGROUP, 0);
        char desc[2048];
        b->iface->describe(b, desc, sizeof desc);
        CHECK(strstr(desc, "shared with the application") != NULL);
        enum { N = 500 };
        gl_buffer *buf = NULL;
        CHECK_STATUS(b->iface->buffer_alloc(b, 4 * N * sizeof(float), GL_BUFFER_COMPUTE, &buf),
                     GLINT_OK);
        if (buf) {
            float in[N], got[N], want[N];
            for (int i = 0; i < N; i++) in[i] = (float)i;
            upload_f(b, buf, 0, in, N);
            gl_tensor x = tensor_at(buf, 0, N), y = tensor_at(buf, 1024 * 4, N);
            for (int s = 0; s < 5; s++) {
                CHECK_STATUS(fill(d, &y, &x, NULL, 1, 1), GLINT_OK);
                CHECK_STATUS(fill(d, &x, &y, NULL, 1, 1), GLINT_OK);
                CHECK_STATUS(gl_vk_submit(d), GLINT_OK);
            }
            CHECK_STATUS(b->iface->synchronize(b), GLINT_OK);
            CHECK_STATUS(b->iface->buffer_download(b, buf, 0, got, sizeof got), GLINT_OK);
            for (int i = 0; i < N; i++) want[i] = in[i] + 10;
            check_values("shared device", got, want, N);
            CHECK(d->n_submits >= 5);
            CHECK_EQ_INT(g_locks, (long long)d->n_submits);
            CHECK_EQ_INT(g_unlocks, g_locks);
            CHECK_EQ_INT(g_bad_nesting, 0);
            b->iface->buffer_free(b, buf);
        }
        b->iface->free(b);
    } else {
        fprintf(stderr, "shared create: %s\n", err.msg);
    }

    /* the device is still ours and still works: a dispatch of our own (the test shader,
     * dst = a * 2 + 1) on our own pipeline, memory and queue */
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 8192,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT};
    VkBuffer vb;
    CHECK(vk.vkCreateBuffer(dev, &bi, NULL, &vb) == VK_SUCCESS);
    VkMemoryRequirements req;
    vk.vkGetBufferMemoryRequirements(dev, vb, &req);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    uint32_t type = 0;
    const VkMemoryPropertyFlags hv =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    for (uint32_t t = 0; t < mp.memoryTypeCount; t++)
        if ((req.memoryTypeBits & (1u << t)) && (mp.memoryTypes[t].propertyFlags & hv) == hv) {
            type = t;
            break;
        }
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = type};
    VkDeviceMemory mem;
    CHECK(vk.vkAllocateMemory(dev, &ai, NULL, &mem) == VK_SUCCESS);
    vk.vkBindBufferMemory(dev, vb, mem, 0);
    float *p = NULL;
    CHECK(vk.vkMapMemory(dev, mem, 0, VK_WHOLE_SIZE, 0, (void **)&p) == VK_SUCCESS);
    if (p)
        for (int i = 0; i < 2048; i++) p[i] = i < 1024 ? (float)i : -1.0f;

    const gl_vk_shader_code *code = gl_vk_shader_get(GL_VK_SHADER_TEST_FILL);
    VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = code->size,
                                   .pCode = code->code};
    VkShaderModule module;
    CHECK(vk.vkCreateShaderModule(dev, &mi, NULL, &module) == VK_SUCCESS);
    VkDescriptorSetLayoutBinding lb[3];
    for (uint32_t i = 0; i < 3; i++)
        lb[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                               .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                               .descriptorCount = 1,
                                               .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo lci = {.sType =
                                               VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                           .bindingCount = 3,
                                           .pBindings = lb};
    VkDescriptorSetLayout sl;
    CHECK(vk.vkCreateDescriptorSetLayout(dev, &lci, NULL, &sl) == VK_SUCCESS);
    VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = 24};
    VkPipelineLayoutCreateInfo plci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &sl,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &pr};
    VkPipelineLayout pl;
    CHECK(vk.vkCreatePipelineLayout(dev, &plci, NULL, &pl) == VK_SUCCESS);
    VkComputePipelineCreateInfo cpci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main"},
        .layout = pl};
    VkPipeline pipe;
    CHECK(vk.vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci, NULL, &pipe) == VK_SUCCESS);
    VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 3};
    VkDescriptorPoolCreateInfo dpci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .maxSets = 1,
                                       .poolSizeCount = 1,
                                       .pPoolSizes = &ps};
    VkDescriptorPool dp;
    CHECK(vk.vkCreateDescriptorPool(dev, &dpci, NULL, &dp) == VK_SUCCESS);
    VkDescriptorSetAllocateInfo dsai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorPool = dp,
                                        .descriptorSetCount = 1,
                                        .pSetLayouts = &sl};
    VkDescriptorSet set;
    CHECK(vk.vkAllocateDescriptorSets(dev, &dsai, &set) == VK_SUCCESS);
    VkDescriptorBufferInfo dbi[3] = {{vb, 0, 4096}, {vb, 4096, 4096}, {vb, 0, 4096}};
    VkWriteDescriptorSet w[3];
    for (uint32_t i = 0; i < 3; i++)
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = set,
                                      .dstBinding = i,
                                      .descriptorCount = 1,
                                      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &dbi[i]};
    vk.vkUpdateDescriptorSets(dev, 3, w, 0, NULL);

    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .queueFamilyIndex = fam};
    VkCommandPool pool;
    vk.vkCreateCommandPool(dev, &pci, NULL, &pool);
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer cmd;
    vk.vkAllocateCommandBuffers(dev, &cai, &cmd);
    VkCommandBufferBeginInfo cbi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vk.vkBeginCommandBuffer(cmd, &cbi);
    vk.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
    vk.vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pl, 0, 1, &set, 0, NULL);
    const struct {
        uint32_t n, sa, sd, sb;
        float mul, add;
    } push = {1024, 0, 0, 0, 2, 1};
    vk.vkCmdPushConstants(cmd, pl, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof push, &push);
    vk.vkCmdDispatch(cmd, 1024 / 64, 1, 1);
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vk.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                            0, 1, &mb, 0, NULL, 0, NULL);
    vk.vkEndCommandBuffer(cmd);
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    CHECK(vk.vkQueueSubmit(q, 1, &si, VK_NULL_HANDLE) == VK_SUCCESS);
    CHECK(vk.vkQueueWaitIdle(q) == VK_SUCCESS);
    if (p) {
        int bad = 0;
        for (int i = 0; i < 1024; i++) bad += p[1024 + i] != 2.0f * (float)i + 1;
        CHECK_MSG(bad == 0, "own dispatch: %d wrong, dst[5] = %g", bad, (double)p[1029]);
    }
    vk.vkUnmapMemory(dev, mem);
    vk.vkDestroyCommandPool(dev, pool, NULL);
    vk.vkDestroyDescriptorPool(dev, dp, NULL);
    vk.vkDestroyPipeline(dev, pipe, NULL);
    vk.vkDestroyPipelineLayout(dev, pl, NULL);
    vk.vkDestroyDescriptorSetLayout(dev, sl, NULL);
    vk.vkDestroyShaderModule(dev, module, NULL);
    vk.vkDestroyBuffer(dev, vb, NULL);
    vk.vkFreeMemory(dev, mem, NULL);
    vk.vkDestroyDevice(dev, NULL);
    if (messenger) vkDestroyDebugUtilsMessengerEXT(inst, messenger, NULL);
    vkDestroyInstance(inst, NULL);
    CHECK_EQ_INT(g_app_messages, 0);
}

int main(void) {
    test_env();
    gl_backend *b = NULL;
    gl_err err = {{0}};
    glint_status st = gl_backend_vulkan_create(NULL, &b, &err);
    if (st == GLINT_ERROR_BACKEND_UNAVAILABLE) {
        printf("SKIP: no Vulkan device: %s\n", err.msg);
        return GL_TEST_SKIP;
    }
    CHECK_STATUS(st, GLINT_OK);
    if (!b) return gl_test_finish("test_vk_recorder");
    gl_vk_device *d = gl_vk_backend_device(b);
    CHECK(d != NULL);
    if (d) {
        test_hazards(b, d);
        test_skew(b, d);
        test_pieces(b, d);
        test_split(b, d);
    }
    b->iface->free(b);
    test_lost();
    test_shared_device();
    CHECK_EQ_INT(gl_vk_validation_messages(), 0);
    return gl_test_finish("test_vk_recorder");
}
#endif

/* A game engine's device: the test creates its own instance, device and queue with volk,
 * hands them to Glint, runs stories260K to llama2.c's text, checks that Glint held the queue
 * lock around every submit, then uses its device itself and destroys it itself. */
#include "glint.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#ifndef GLINT_WITH_VULKAN
int main(void) {
    printf("skip: built without the Vulkan backend\n");
    return GL_TEST_SKIP;
}
#else
#include "volk.h"

static int g_locks, g_unlocks, g_depth, g_bad_nesting;

static void lock_queue(void *user) {
    (void)user;
    g_locks++;
    if (++g_depth != 1) g_bad_nesting++;
}

static void unlock_queue(void *user) {
    (void)user;
    g_unlocks++;
    if (--g_depth != 0) g_bad_nesting++;
}

typedef struct app_vk {
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    struct VolkDeviceTable t;
} app_vk;

static bool app_create(app_vk *a) {
    if (volkInitialize() != VK_SUCCESS) return false;
    VkApplicationInfo ai = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                            .pApplicationName = "glint-shared-test",
                            .apiVersion = VK_API_VERSION_1_1};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &ai};
    if (vkCreateInstance(&ici, NULL, &a->instance) != VK_SUCCESS) return false;
    volkLoadInstanceOnly(a->instance);
    uint32_t n = 0;
    vkEnumeratePhysicalDevices(a->instance, &n, NULL);
    if (n == 0) return false;
    VkPhysicalDevice devs[16];
    n = n > 16 ? 16 : n;
    vkEnumeratePhysicalDevices(a->instance, &n, devs);
    a->phys = devs[0];
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(a->phys, &nq, NULL);
    VkQueueFamilyProperties qp[16];
    nq = nq > 16 ? 16 : nq;
    vkGetPhysicalDeviceQueueFamilyProperties(a->phys, &nq, qp);
    a->family = UINT32_MAX;
    for (uint32_t i = 0; i < nq; i++)
        if (qp[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
            a->family = i;
            break;
        }
    if (a->family == UINT32_MAX) return false;
    const float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = a->family, .queueCount = 1,
                                   .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1, .pQueueCreateInfos = &qci};
    if (vkCreateDevice(a->phys, &dci, NULL, &a->device) != VK_SUCCESS) return false;
    volkLoadDeviceTable(&a->t, a->device);
    a->t.vkGetDeviceQueue(a->device, a->family, 0, &a->queue);
    return true;
}

/* The application's own work after Glint: fill a buffer on the GPU and read it back. */
static bool app_use_device(app_vk *a) {
    const struct VolkDeviceTable t = a->t;
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 4096,
                              .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer buf;
    if (t.vkCreateBuffer(a->device, &bci, NULL, &buf) != VK_SUCCESS) return false;
    VkMemoryRequirements req;
    t.vkGetBufferMemoryRequirements(a->device, buf, &req);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(a->phys, &mp);
    uint32_t type = UINT32_MAX;
    const VkMemoryPropertyFlags want =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
        if ((req.memoryTypeBits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) {
            type = i;
            break;
        }
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size, .memoryTypeIndex = type};
    VkDeviceMemory mem;
    bool ok = type != UINT32_MAX && t.vkAllocateMemory(a->device, &mai, NULL, &mem) == VK_SUCCESS;
    if (!ok) return false;
    t.vkBindBufferMemory(a->device, buf, mem, 0);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .queueFamilyIndex = a->family};
    VkCommandPool pool;
    t.vkCreateCommandPool(a->device, &pci, NULL, &pool);
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    VkCommandBuffer cmd;
    t.vkAllocateCommandBuffers(a->device, &cai, &cmd);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    t.vkBeginCommandBuffer(cmd, &bi);
    t.vkCmdFillBuffer(cmd, buf, 0, 4096, 0x5eedf00du);
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    t.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                           &mb, 0, NULL, 0, NULL);
    t.vkEndCommandBuffer(cmd);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                       .pCommandBuffers = &cmd};
    ok = t.vkQueueSubmit(a->queue, 1, &si, VK_NULL_HANDLE) == VK_SUCCESS &&
         t.vkQueueWaitIdle(a->queue) == VK_SUCCESS;
    uint32_t *p = NULL;
    if (ok && t.vkMapMemory(a->device, mem, 0, 4096, 0, (void **)&p) == VK_SUCCESS) {
        for (int i = 0; i < 1024; i++) ok &= p[i] == 0x5eedf00du;
        t.vkUnmapMemory(a->device, mem);
    } else {
        ok = false;
    }
    t.vkDestroyCommandPool(a->device, pool, NULL);
    t.vkDestroyBuffer(a->device, buf, NULL);
    t.vkFreeMemory(a->device, mem, NULL);
    return ok;
}

int main(void) {
    char path[1024], exp_path[1024];
    if (!gl_test_model_path("stories260K/stories260K.gguf", path, sizeof path) ||
        !gl_test_model_path("reference/stories260K.llama2c-runc-t0-n200.expected.txt", exp_path,
                            sizeof exp_path))
        return GL_TEST_SKIP;
    setenv("GLINT_VK_VALIDATE", "1", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
    app_vk a = {0};
    if (!app_create(&a)) {
        printf("skip: no Vulkan device for the application\n");
        return GL_TEST_SKIP;
    }
    glint_vulkan_external ext = {
        .instance = a.instance, .physical_device = a.phys, .device = a.device, .queue = a.queue,
        .queue_family = a.family, .get_instance_proc_addr = (void *)vkGetInstanceProcAddr,
        .lock_queue = lock_queue, .unlock_queue = unlock_queue};
    glint_runtime_params rp = glint_runtime_default_params();
    rp.vulkan = &ext;
    glint_runtime *rt;
    CHECK_STATUS(glint_runtime_create(&rp, &rt), GLINT_OK);
    glint_model_params mp = glint_model_default_params();
    mp.backend = GLINT_BACKEND_VULKAN;
    glint_model *m = NULL;
    CHECK_STATUS(glint_model_load(rt, path, &mp, &m), GLINT_OK);
    size_t exp_len;
    char *expected = gl_test_read_file(exp_path, &exp_len);
    if (m && expected) {
        glint_model_info info;
        glint_model_get_info(m, &info);
        CHECK_MSG(strcmp(info.backend, "vulkan") == 0, "runs on %s", info.backend);
        glint_session *s;
        CHECK_STATUS(glint_session_create(m, NULL, &s), GLINT_OK);
        char text[4096];
        size_t len = 0;
        int32_t tok = 1;
        for (int i = 0; s && i < 200; i++) {
            const float *lg;
            if (glint_session_decode(s, &tok, 1) || glint_session_get_logits(s, -1, &lg)) break;
            int32_t best = 0;
            for (int32_t j = 1; j < info.n_vocab; j++)
                if (lg[j] > lg[best]) best = j;
            tok = best;
            if (tok == 1) break;
            char piece[64];
            size_t n;
            glint_model_token_to_piece(m, tok, false, piece, sizeof piece, &n);
            const char *p = piece;
            if (i == 0 && n && *p == ' ') p++, n--;
            if (len + n < sizeof text) memcpy(text + len, p, n), len += n;
        }
        CHECK_MSG(len == exp_len && memcmp(text, expected, len) == 0, "text differs:\n%.*s",
                  (int)len, text);
        glint_session_free(s);
    }
    free(expected);
    glint_model_free(m);
    glint_runtime_free(rt);
    printf("queue lock %d, unlock %d, bad nesting %d\n", g_locks, g_unlocks, g_bad_nesting);
    CHECK(g_locks > 0);
    CHECK_EQ_INT(g_locks, g_unlocks);
    CHECK_EQ_INT(g_bad_nesting, 0);
    /* Glint is gone; the application's device still works and is destroyed by it */
    CHECK(app_use_device(&a));
    a.t.vkDestroyDevice(a.device, NULL);
    vkDestroyInstance(a.instance, NULL);
    return gl_test_finish("test_vk_shared");
}
#endif

/* Instance, device choice, capability probe and device creation through volk: one
 * VolkDeviceTable per device, so several devices (ours, the application's) coexist. */
#include "vk_device.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static atomic_uint_fast64_t g_validation_messages;

uint64_t gl_vk_validation_messages(void) {
    return (uint64_t)atomic_load(&g_validation_messages);
}

const char *gl_vk_result_string(VkResult r) {
    switch (r) {
#define R_(x)                                                                                      \
    case x:                                                                                        \
        return #x;
        R_(VK_SUCCESS)
        R_(VK_NOT_READY)
        R_(VK_TIMEOUT)
        R_(VK_INCOMPLETE)
        R_(VK_ERROR_OUT_OF_HOST_MEMORY)
        R_(VK_ERROR_OUT_OF_DEVICE_MEMORY) R_(VK_ERROR_INITIALIZATION_FAILED)
            R_(VK_ERROR_DEVICE_LOST) R_(VK_ERROR_MEMORY_MAP_FAILED) R_(VK_ERROR_LAYER_NOT_PRESENT)
                R_(VK_ERROR_EXTENSION_NOT_PRESENT) R_(VK_ERROR_FEATURE_NOT_PRESENT)
                    R_(VK_ERROR_INCOMPATIBLE_DRIVER) R_(VK_ERROR_TOO_MANY_OBJECTS)
                        R_(VK_ERROR_FORMAT_NOT_SUPPORTED) R_(VK_ERROR_FRAGMENTED_POOL)
                            R_(VK_ERROR_OUT_OF_POOL_MEMORY)
#undef R_
                                default : return "VkResult error";
    }
}

glint_status gl_vk_check(gl_vk_device *d, VkResult r, const char *what) {
    if (r == VK_SUCCESS) return GLINT_OK;
    glint_status st = GLINT_ERROR_INTERNAL;
    if (r == VK_ERROR_DEVICE_LOST) {
        d->lost = true;
        st = GLINT_ERROR_DEVICE_LOST;
    } else if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY) {
        st = GLINT_ERROR_OUT_OF_DEVICE_MEMORY;
    } else if (r == VK_ERROR_OUT_OF_HOST_MEMORY) {
        st = GLINT_ERROR_OUT_OF_MEMORY;
    }
    snprintf(d->last_error, sizeof d->last_error, "vulkan: %s failed: %s (%d)", what,
             gl_vk_result_string(r), (int)r);
    GL_LOGE("%s", d->last_error);
    return st;
}

glint_status gl_vk_queue_submit(gl_vk_device *d, VkCommandBuffer cmd, VkFence fence) {
    if (d->lost) return GLINT_ERROR_DEVICE_LOST;
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    if (d->ext.lock_queue) d->ext.lock_queue(d->ext.user);
    VkResult r = d->vk.vkQueueSubmit(d->queue, 1, &si, fence);
    if (d->ext.unlock_queue) d->ext.unlock_queue(d->ext.user);
    d->n_submits++;
    return gl_vk_check(d, r, "vkQueueSubmit");
}

static VKAPI_ATTR VkBool32 VKAPI_CALL debug_cb(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                               VkDebugUtilsMessageTypeFlagsEXT type,
                                               const VkDebugUtilsMessengerCallbackDataEXT *data,
                                               void *user) {
    (void)type;
    (void)user;
    atomic_fetch_add(&g_validation_messages, 1);
    const char *msg = data && data->pMessage ? data->pMessage : "(no message)";
    if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)
        GL_LOGE("vulkan validation: %s", msg);
    else
        GL_LOGW("vulkan validation: %s", msg);
    return VK_FALSE;
}

static bool env_on(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

static bool has_ext(const VkExtensionProperties *e, uint32_t n, const char *name) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(e[i].extensionName, name) == 0) return true;
    return false;
}

/* ---- instance ---------------------------------------------------------------------------- */

static glint_status create_instance(gl_vk_device *d, gl_err *err) {
    uint32_t api = VK_API_VERSION_1_1;
    if (vkEnumerateInstanceVersion) vkEnumerateInstanceVersion(&api);
    if (api < VK_API_VERSION_1_1)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE,
                       "Vulkan loader supports only API %u.%u (1.1 needed)",
                       VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api));
    if (api > VK_API_VERSION_1_3) api = VK_API_VERSION_1_3;

    uint32_t n_ext = 0;
    vkEnumerateInstanceExtensionProperties(NULL, &n_ext, NULL);
    VkExtensionProperties *exts = calloc(n_ext + 1, sizeof *exts);
    if (!exts) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    vkEnumerateInstanceExtensionProperties(NULL, &n_ext, exts);

    const char *enable_ext[4];
    uint32_t n_enable = 0;
    VkInstanceCreateFlags flags = 0;
    if (has_ext(exts, n_ext, "VK_KHR_portability_enumeration")) {
        enable_ext[n_enable++] = "VK_KHR_portability_enumeration";
        flags |= 0x00000001; /* VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR */
    }
    const char *layers[1];
    uint32_t n_layers = 0;
    bool validate = env_on("GLINT_VK_VALIDATE");
    if (validate) {
        uint32_t n_lp = 0;
        vkEnumerateInstanceLayerProperties(&n_lp, NULL);
        VkLayerProperties *lp = calloc(n_lp + 1, sizeof *lp);
        bool found = false;
        if (lp) {
            vkEnumerateInstanceLayerProperties(&n_lp, lp);
            for (uint32_t i = 0; i < n_lp; i++)
                if (strcmp(lp[i].layerName, "VK_LAYER_KHRONOS_validation") == 0) found = true;
            free(lp);
        }
        if (found) {
            layers[n_layers++] = "VK_LAYER_KHRONOS_validation";
        } else {
            GL_LOGW("vulkan: GLINT_VK_VALIDATE=1 but VK_LAYER_KHRONOS_validation is not installed");
        }
        /* the layer provides debug_utils itself */
        if (found || has_ext(exts, n_ext, VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
            enable_ext[n_enable++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        else
            validate = false;
    }
    free(exts);

    VkDebugUtilsMessengerCreateInfoEXT dbg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = debug_cb,
    };
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "glint",
                             .pEngineName = "glint",
                             .apiVersion = api};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pNext = validate ? &dbg : NULL,
                               .flags = flags,
                               .pApplicationInfo = &app,
                               .enabledLayerCount = n_layers,
                               .ppEnabledLayerNames = layers,
                               .enabledExtensionCount = n_enable,
                               .ppEnabledExtensionNames = enable_ext};
    VkResult r = vkCreateInstance(&ci, NULL, &d->instance);
    if (r != VK_SUCCESS)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE,
                       "no usable Vulkan driver: vkCreateInstance failed with %s",
                       gl_vk_result_string(r));
    volkLoadInstanceOnly(d->instance);
    if (validate && vkCreateDebugUtilsMessengerEXT) {
        r = vkCreateDebugUtilsMessengerEXT(d->instance, &dbg, NULL, &d->messenger);
        if (r != VK_SUCCESS) GL_LOGW("vulkan: no debug messenger (%s)", gl_vk_result_string(r));
    }
    return GLINT_OK;
}

/* ---- device choice ----------------------------------------------------------------------- */

static int type_rank(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return 2;
    case VK_PHYSICAL_DEVICE_TYPE_OTHER:
        return 3;
    default:
        return 4; /* CPU */
    }
}

static const char *type_name(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "cpu";
    default:
        return "other";
    }
}

static bool compute_family(VkPhysicalDevice p, uint32_t *family) {
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(p, &n, NULL);
    VkQueueFamilyProperties q[32];
    if (n > 32) n = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(p, &n, q);
    /* a compute-only family first: it does not compete with graphics work */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < n; i++) {
            if (!(q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || q[i].queueCount == 0) continue;
            if (pass == 0 && (q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) continue;
            *family = i;
            return true;
        }
    return false;
}

static glint_status pick_device(gl_vk_device *d, gl_err *err) {
    uint32_t n = 0;
    VkResult r = vkEnumeratePhysicalDevices(d->instance, &n, NULL);
    VkPhysicalDevice devs[16];
    if (n > 16) n = 16;
    if (r == VK_SUCCESS || r == VK_INCOMPLETE)
        r = vkEnumeratePhysicalDevices(d->instance, &n, devs);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) n = 0;
    const char *want = getenv("GLINT_VK_DEVICE");
    if (want && !*want) want = NULL;
    const bool allow_cpu = env_on("GLINT_VK_ALLOW_CPU");
    char found[512] = "";
    size_t used = 0;
    int best = -1, best_rank = 99;
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceProperties pr;
        vkGetPhysicalDeviceProperties(devs[i], &pr);
        int w = snprintf(found + used, sizeof found - used, "%s%u: %s (%s)", i ? "; " : "", i,
                         pr.deviceName, type_name(pr.deviceType));
        if (w > 0) used = GL_MIN(sizeof found - 1, used + (size_t)w);
        uint32_t fam;
        if (pr.apiVersion < VK_API_VERSION_1_1 || !compute_family(devs[i], &fam)) continue;
        if (want) {
            char *end;
            long idx = strtol(want, &end, 10);
            bool named = (*end == 0) ? idx == (long)i : strcasestr(pr.deviceName, want) != NULL;
            if (named && best < 0) best = (int)i;
            continue;
        }
        if (pr.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && !allow_cpu) continue;
        const int rank = type_rank(pr.deviceType);
        if (rank < best_rank) best = (int)i, best_rank = rank;
    }
    if (best < 0)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE,
                       "no usable Vulkan device%s%s (found: %s)%s", want ? " matching " : "",
                       want ? want : "", n ? found : "none",
                       !want && n ? "; CPU devices need GLINT_VK_ALLOW_CPU=1" : "");
    d->phys = devs[best];
    compute_family(d->phys, &d->queue_family);
    return GLINT_OK;
}

/* ---- capabilities ------------------------------------------------------------------------ */

/* Feature structs probed (and, for our own device, enabled as probed). */
typedef struct probe {
    VkPhysicalDeviceFeatures2 f2;
    VkPhysicalDevice16BitStorageFeatures s16;
    VkPhysicalDevice8BitStorageFeatures s8;
    VkPhysicalDeviceShaderFloat16Int8Features f16i8;
    VkPhysicalDeviceShaderIntegerDotProductFeatures dot;
    bool has_s8, has_f16i8, has_dot, has_driver_props, has_portability;
    const char *exts[8];
    uint32_t n_exts;
} probe;

static void probe_features(gl_vk_device *d, probe *p) {
    const uint32_t api = d->caps.api_version;
    uint32_t n = 0;
    vkEnumerateDeviceExtensionProperties(d->phys, NULL, &n, NULL);
    VkExtensionProperties *e = calloc(n + 1, sizeof *e);
    if (e)
        vkEnumerateDeviceExtensionProperties(d->phys, NULL, &n, e);
    else
        n = 0;
    const bool v12 = api >= VK_API_VERSION_1_2, v13 = api >= VK_API_VERSION_1_3;
    p->has_s8 = v12 || has_ext(e, n, "VK_KHR_8bit_storage");
    p->has_f16i8 = v12 || has_ext(e, n, "VK_KHR_shader_float16_int8");
    p->has_dot = v13 || has_ext(e, n, "VK_KHR_shader_integer_dot_product");
    p->has_driver_props = v12 || has_ext(e, n, "VK_KHR_driver_properties");
    p->has_portability = has_ext(e, n, "VK_KHR_portability_subset");
    if (!v12 && p->has_s8) p->exts[p->n_exts++] = "VK_KHR_8bit_storage";
    if (!v12 && p->has_f16i8) p->exts[p->n_exts++] = "VK_KHR_shader_float16_int8";
    if (!v13 && p->has_dot) p->exts[p->n_exts++] = "VK_KHR_shader_integer_dot_product";
    if (p->has_portability) p->exts[p->n_exts++] = "VK_KHR_portability_subset";
    free(e);

    p->f2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    p->s16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
    p->s8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
    p->f16i8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
    p->dot.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES;
    void **tail = &p->f2.pNext;
    *tail = &p->s16, tail = &p->s16.pNext;
    if (p->has_s8) *tail = &p->s8, tail = &p->s8.pNext;
    if (p->has_f16i8) *tail = &p->f16i8, tail = &p->f16i8.pNext;
    if (p->has_dot) *tail = &p->dot, tail = &p->dot.pNext;
    vkGetPhysicalDeviceFeatures2(d->phys, &p->f2);
}

/* Keeps only the features Glint uses, so the device enables nothing else. */
static void trim_features(probe *p) {
    VkPhysicalDeviceFeatures keep = {0};
    keep.shaderInt16 = p->f2.features.shaderInt16;
    keep.shaderInt64 = VK_FALSE;
    p->f2.features = keep;
    p->s16.uniformAndStorageBuffer16BitAccess = VK_FALSE;
    p->s16.storagePushConstant16 = VK_FALSE;
    p->s16.storageInputOutput16 = VK_FALSE;
    p->s8.uniformAndStorageBuffer8BitAccess = VK_FALSE;
    p->s8.storagePushConstant8 = VK_FALSE;
}

static void probe_caps(gl_vk_device *d, probe *p, bool shared) {
    gl_vk_caps *c = &d->caps;
    VkPhysicalDeviceProperties2 pr = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    VkPhysicalDeviceSubgroupProperties sg = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceDriverProperties drv = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceShaderIntegerDotProductProperties dotp = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    pr.pNext = &sg;
    sg.pNext = &m3;
    void **tail = &m3.pNext;
    if (p->has_driver_props) *tail = &drv, tail = &drv.pNext;
    if (p->has_dot) *tail = &dotp, tail = &dotp.pNext;
    vkGetPhysicalDeviceProperties2(d->phys, &pr);
    const VkPhysicalDeviceLimits *l = &pr.properties.limits;

    snprintf(c->name, sizeof c->name, "%s", pr.properties.deviceName);
    snprintf(c->driver_name, sizeof c->driver_name, "%s",
             p->has_driver_props ? drv.driverName : "unknown");
    snprintf(c->driver_info, sizeof c->driver_info, "%s",
             p->has_driver_props ? drv.driverInfo : "");
    c->api_version = pr.properties.apiVersion;
    c->driver_version = pr.properties.driverVersion;
    c->vendor_id = pr.properties.vendorID;
    c->device_id = pr.properties.deviceID;
    c->type = pr.properties.deviceType;
    memcpy(c->pipeline_cache_uuid, pr.properties.pipelineCacheUUID, VK_UUID_SIZE);
    c->subgroup_size = sg.subgroupSize;
    c->subgroup_ops = sg.supportedOperations;
    c->max_storage_buffer_range = l->maxStorageBufferRange;
    c->max_allocation_size = m3.maxMemoryAllocationSize ? m3.maxMemoryAllocationSize : (1u << 30);
    c->max_shared_memory = l->maxComputeSharedMemorySize;
    c->max_workgroup_invocations = l->maxComputeWorkGroupInvocations;
    c->max_push_constants = l->maxPushConstantsSize;
    c->min_storage_offset_alignment = l->minStorageBufferOffsetAlignment;
    c->timestamp_period_ns = l->timestampPeriod;
    c->int8dot_accelerated = p->has_dot && dotp.integerDotProduct4x8BitPackedSignedAccelerated;

    uint32_t nq = 0;
    VkQueueFamilyProperties q[32];
    vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, NULL);
    if (nq > 32) nq = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, q);
    if (d->queue_family < nq) c->timestamp_valid_bits = q[d->queue_family].timestampValidBits;
    c->timestamps = c->timestamp_valid_bits > 0 && l->timestampPeriod > 0;

    vkGetPhysicalDeviceMemoryProperties(d->phys, &d->mem_props);
    const VkPhysicalDeviceMemoryProperties *mp = &d->mem_props;
    uint32_t big_heap = 0;
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++) {
        if (!(mp->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)) continue;
        if (mp->memoryHeaps[h].size > c->device_local_bytes) {
            c->device_local_bytes = mp->memoryHeaps[h].size;
            big_heap = h;
        }
    }
    /* unified: the main device-local heap is host-mappable and coherent (UMA, or ReBAR) */
    const VkMemoryPropertyFlags uma = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    for (uint32_t t = 0; t < mp->memoryTypeCount; t++)
        if ((mp->memoryTypes[t].propertyFlags & uma) == uma &&
            mp->memoryTypes[t].heapIndex == big_heap)
            c->unified_memory = true;
    if (env_on("GLINT_VK_NO_UNIFIED")) c->unified_memory = false; /* tests the staging path */

    uint32_t f = 0;
    if (p->s16.storageBuffer16BitAccess) f |= GL_VK_FEAT_STORAGE16;
    if (p->has_s8 && p->s8.storageBuffer8BitAccess) f |= GL_VK_FEAT_STORAGE8;
    if (p->has_f16i8 && p->f16i8.shaderFloat16) f |= GL_VK_FEAT_FP16;
    if (p->has_dot && p->dot.shaderIntegerDotProduct) f |= GL_VK_FEAT_INT8DOT;
    const VkSubgroupFeatureFlags need_sg =
        VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
    if ((sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
        (sg.supportedOperations & need_sg) == need_sg && sg.subgroupSize >= 4)
        f |= GL_VK_FEAT_SUBGROUP;
    /* An application's device has only what it enabled, which cannot be queried: use only
     * what needs no enabling. */
    if (shared) f &= GL_VK_FEAT_SUBGROUP;
    c->probed = f;

    uint32_t off = 0;
    c->quirk = gl_vk_quirk_lookup(c, &off);
    if (c->quirk) GL_LOGI("vulkan: driver quirk applies: %s", c->quirk);
    off |= gl_vk_parse_features(getenv("GLINT_VK_DISABLE"));
    c->enabled = f & ~off;
    /* fp16 arithmetic on values loaded from f16 storage needs that storage */
    if (!(c->enabled & GL_VK_FEAT_STORAGE16)) c->enabled &= ~(uint32_t)GL_VK_FEAT_FP16;
    if (!(c->enabled & GL_VK_FEAT_STORAGE8)) c->enabled &= ~(uint32_t)GL_VK_FEAT_INT8DOT;

    /* enable exactly the enabled tiers */
    trim_features(p);
    p->s16.storageBuffer16BitAccess = (c->enabled & GL_VK_FEAT_STORAGE16) != 0;
    p->s8.storageBuffer8BitAccess = (c->enabled & GL_VK_FEAT_STORAGE8) != 0;
    p->f16i8.shaderFloat16 = (c->enabled & GL_VK_FEAT_FP16) != 0;
    p->f16i8.shaderInt8 = (c->enabled & GL_VK_FEAT_INT8DOT) != 0 && p->f16i8.shaderInt8;
    p->dot.shaderIntegerDotProduct = (c->enabled & GL_VK_FEAT_INT8DOT) != 0;
}

const gl_vk_caps *gl_vk_device_caps(const gl_vk_device *d) {
    return &d->caps;
}

/* ---- create / free ----------------------------------------------------------------------- */

static glint_status create_device(gl_vk_device *d, probe *p, gl_err *err) {
    const float prio = 1.0f;
    VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                  .queueFamilyIndex = d->queue_family,
                                  .queueCount = 1,
                                  .pQueuePriorities = &prio};
    /* the feature chain as probed, minus structs of extensions not enabled */
    p->f2.pNext = &p->s16;
    void **tail = &p->s16.pNext;
    p->s16.pNext = NULL;
    if (p->has_s8) *tail = &p->s8, tail = &p->s8.pNext;
    if (p->has_f16i8) *tail = &p->f16i8, tail = &p->f16i8.pNext;
    if (p->has_dot) *tail = &p->dot, tail = &p->dot.pNext;
    *tail = NULL;
    VkDeviceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                             .pNext = &p->f2,
                             .queueCreateInfoCount = 1,
                             .pQueueCreateInfos = &qi,
                             .enabledExtensionCount = p->n_exts,
                             .ppEnabledExtensionNames = p->exts};
    VkResult r = vkCreateDevice(d->phys, &ci, NULL, &d->device);
    if (r != VK_SUCCESS)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "vkCreateDevice on %s failed: %s",
                       d->caps.name, gl_vk_result_string(r));
    return GLINT_OK;
}

glint_status gl_vk_device_create(const glint_vulkan_external *ext, gl_vk_device **out,
                                 gl_err *err) {
    *out = NULL;
    VkResult r =
        ext && ext->get_instance_proc_addr
            ? (volkInitializeCustom((PFN_vkGetInstanceProcAddr)ext->get_instance_proc_addr),
               VK_SUCCESS)
            : volkInitialize();
    if (r != VK_SUCCESS)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "Vulkan loader not found");
    gl_vk_device *d = calloc(1, sizeof *d);
    if (!d) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    glint_status st = GLINT_OK;
    probe p = {0};
    if (ext) {
        if (!ext->instance || !ext->physical_device || !ext->device || !ext->queue) {
            free(d);
            return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                           "glint_vulkan_external needs instance, physical_device, device and "
                           "queue");
        }
        d->ext = *ext;
        d->instance = (VkInstance)ext->instance;
        d->phys = (VkPhysicalDevice)ext->physical_device;
        d->device = (VkDevice)ext->device;
        d->queue = (VkQueue)ext->queue;
        d->queue_family = ext->queue_family;
        volkLoadInstanceOnly(d->instance);
        if (!vkGetPhysicalDeviceFeatures2 || !vkGetPhysicalDeviceProperties2) {
            free(d);
            return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                           "the application's VkInstance must be created with apiVersion 1.1 or "
                           "later");
        }
        VkPhysicalDeviceProperties pr;
        vkGetPhysicalDeviceProperties(d->phys, &pr);
        d->caps.api_version = pr.apiVersion;
        if (pr.apiVersion < VK_API_VERSION_1_1) {
            free(d);
            return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                           "the application's device %s has "
                           "Vulkan %u.%u (1.1 needed)",
                           pr.deviceName, VK_API_VERSION_MAJOR(pr.apiVersion),
                           VK_API_VERSION_MINOR(pr.apiVersion));
        }
        probe_features(d, &p);
        probe_caps(d, &p, true);
        volkLoadDeviceTable(&d->vk, d->device);
    } else {
        d->owns_device = true;
        st = create_instance(d, err);
        if (!st) st = pick_device(d, err);
        if (!st) {
            VkPhysicalDeviceProperties pr;
            vkGetPhysicalDeviceProperties(d->phys, &pr);
            d->caps.api_version = pr.apiVersion;
            probe_features(d, &p);
            probe_caps(d, &p, false);
            st = create_device(d, &p, err);
        }
        if (!st) {
            volkLoadDeviceTable(&d->vk, d->device);
            d->vk.vkGetDeviceQueue(d->device, d->queue_family, 0, &d->queue);
        }
    }
    if (!st) st = gl_vk_memory_init(d, err);
    if (!st) st = gl_vk_pipelines_init(d, err);
    if (!st) st = gl_vk_commands_init(d, err);
    if (st) {
        gl_vk_device_free(d);
        return st;
    }
    GL_LOGI("vulkan: %s (%s %s), tiers 0x%x of 0x%x", d->caps.name, d->caps.driver_name,
            d->caps.driver_info, d->caps.enabled, d->caps.probed);
    *out = d;
    return GLINT_OK;
}

void gl_vk_device_free(gl_vk_device *d) {
    if (!d) return;
    if (d->device && d->vk.vkDeviceWaitIdle) {
        /* only our own work: waiting on the whole shared device would stall the application */
        gl_vk_wait_all(d);
        gl_vk_commands_free(d);
        gl_vk_pipelines_free(d);
        gl_vk_memory_free(d);
    }
    if (d->owns_device) {
        if (d->device && d->vk.vkDestroyDevice) d->vk.vkDestroyDevice(d->device, NULL);
        if (d->messenger) vkDestroyDebugUtilsMessengerEXT(d->instance, d->messenger, NULL);
        if (d->instance) vkDestroyInstance(d->instance, NULL);
    }
    free(d);
}

/* ---- describe ---------------------------------------------------------------------------- */

static void feat_list(uint32_t f, char *buf, size_t cap) {
    static const char *const names[] = {"fp16", "storage16", "storage8", "int8dot", "subgroup"};
    size_t used = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < GL_ARRAY_LEN(names); i++)
        if (f & (1u << i)) {
            int w = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", names[i]);
            if (w > 0) used = GL_MIN(cap - 1, used + (size_t)w);
        }
    if (!used) snprintf(buf, cap, "none");
}

void gl_vk_describe(const gl_vk_device *d, char *buf, size_t cap) {
    const gl_vk_caps *c = &d->caps;
    char probed[96], enabled[96];
    feat_list(c->probed, probed, sizeof probed);
    feat_list(c->enabled, enabled, sizeof enabled);
    snprintf(buf, cap,
             "vulkan: %s (%s)%s\n"
             "  api: %u.%u.%u, driver: %s %s (version 0x%x), vendor 0x%04x device 0x%04x\n"
             "  memory: %.1f GiB device-local, %s\n"
             "  subgroup: size %u, ops 0x%x; int8 dot %s\n"
             "  features: %s; enabled: %s%s%s\n"
             "  timestamps: %s (%u valid bits, %.3f ns period)\n"
             "  limits: storage range %llu MiB, allocation %llu MiB, shared %u KiB, "
             "workgroup %u, offset alignment %llu\n",
             c->name, type_name(c->type), d->owns_device ? "" : ", shared with the application",
             VK_API_VERSION_MAJOR(c->api_version), VK_API_VERSION_MINOR(c->api_version),
             VK_API_VERSION_PATCH(c->api_version), c->driver_name, c->driver_info,
             c->driver_version, c->vendor_id, c->device_id,
             (double)c->device_local_bytes / (1 << 30),
             c->unified_memory ? "unified (host-visible)" : "separate (staged uploads)",
             c->subgroup_size, (unsigned)c->subgroup_ops,
             c->int8dot_accelerated ? "accelerated" : "emulated", probed, enabled,
             c->quirk ? "; quirk: " : "", c->quirk ? c->quirk : "", c->timestamps ? "yes" : "no",
             c->timestamp_valid_bits, (double)c->timestamp_period_ns,
             (unsigned long long)(c->max_storage_buffer_range >> 20),
             (unsigned long long)(c->max_allocation_size >> 20), c->max_shared_memory >> 10,
             c->max_workgroup_invocations, (unsigned long long)c->min_storage_offset_alignment);
}

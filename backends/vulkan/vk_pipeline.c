/* Compute pipelines: one per (shader, specialization constants, binding count), created on
 * first use from the embedded SPIR-V, through a VkPipelineCache kept on disk under
 * gl_cache_dir(). The file is keyed by
 * vendor, device, driver version and pipelineCacheUUID, in its name and in a checked header. */
#include "vk_device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GL_VK_PUSH_BYTES 128

typedef struct cache_header {
    char magic[8]; /* "GLVKPC01" */
    uint32_t vendor_id, device_id, driver_version, reserved;
    uint8_t uuid[VK_UUID_SIZE];
    uint64_t data_size, checksum;
} cache_header;

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

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

static void cache_path(gl_vk_device *d) {
    char dir[900];
    gl_cache_dir(dir, sizeof dir);
    if (!mkdirs(dir)) {
        GL_LOGI("vulkan: cannot create the cache directory %s: %s", dir, strerror(errno));
        return;
    }
    const gl_vk_caps *c = &d->caps;
    uint64_t k = 0xcbf29ce484222325ull;
    k = fnv1a(k, &c->vendor_id, 4);
    k = fnv1a(k, &c->device_id, 4);
    k = fnv1a(k, &c->driver_version, 4);
    k = fnv1a(k, c->pipeline_cache_uuid, VK_UUID_SIZE);
    snprintf(d->cache_path, sizeof d->cache_path, "%s/vk-pipelines-%016llx.bin", dir,
             (unsigned long long)k);
}

static void fill_header(const gl_vk_device *d, cache_header *h) {
    memset(h, 0, sizeof *h);
    memcpy(h->magic, "GLVKPC01", 8);
    h->vendor_id = d->caps.vendor_id;
    h->device_id = d->caps.device_id;
    h->driver_version = d->caps.driver_version;
    memcpy(h->uuid, d->caps.pipeline_cache_uuid, VK_UUID_SIZE);
}

/* The cache file's data when it is ours and intact; NULL (logged) otherwise. */
static void *cache_load(gl_vk_device *d, size_t *size) {
    *size = 0;
    if (!d->cache_path[0]) return NULL;
    FILE *f = fopen(d->cache_path, "rb");
    if (!f) return NULL;
    cache_header h, want;
    void *data = NULL;
    const char *why = NULL;
    fill_header(d, &want);
    if (fread(&h, sizeof h, 1, f) != 1)
        why = "truncated header";
    else if (memcmp(h.magic, want.magic, 8) != 0)
        why = "not a glint pipeline cache";
    else if (h.vendor_id != want.vendor_id || h.device_id != want.device_id ||
             h.driver_version != want.driver_version || memcmp(h.uuid, want.uuid, VK_UUID_SIZE))
        why = "made for another device or driver";
    else if (h.data_size == 0 || h.data_size > ((uint64_t)1 << 30))
        why = "bad size";
    else if (!(data = malloc(h.data_size)))
        why = "out of memory";
    else if (fread(data, 1, h.data_size, f) != h.data_size)
        why = "truncated data";
    else if (fnv1a(0xcbf29ce484222325ull, data, h.data_size) != h.checksum)
        why = "bad checksum";
    fclose(f);
    if (why) {
        GL_LOGI("vulkan: ignoring pipeline cache %s (%s); it will be rewritten", d->cache_path,
                why);
        free(data);
        d->cache_dirty = true;
        return NULL;
    }
    *size = h.data_size;
    return data;
}

void gl_vk_pipelines_save(gl_vk_device *d) {
    if (!d->cache || !d->cache_dirty || !d->cache_path[0]) return;
    size_t n = 0;
    if (d->vk.vkGetPipelineCacheData(d->device, d->cache, &n, NULL) != VK_SUCCESS || !n) return;
    void *data = malloc(n);
    if (!data) return;
    if (d->vk.vkGetPipelineCacheData(d->device, d->cache, &n, data) != VK_SUCCESS) {
        free(data);
        return;
    }
    cache_header h;
    fill_header(d, &h);
    h.data_size = n;
    h.checksum = fnv1a(0xcbf29ce484222325ull, data, n);
    /* write then rename: processes sharing the directory never see half a file */
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", d->cache_path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(&h, sizeof h, 1, f) == 1 && fwrite(data, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = false;
    if (ok && rename(tmp, d->cache_path) == 0) {
        d->cache_dirty = false;
    } else {
        GL_LOGI("vulkan: cannot write the pipeline cache %s", d->cache_path);
        remove(tmp);
    }
    free(data);
}

glint_status gl_vk_pipelines_init(gl_vk_device *d, gl_err *err) {
    cache_path(d);
    size_t n = 0;
    void *data = cache_load(d, &n);
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = n,
                                    .pInitialData = data};
    VkResult r = d->vk.vkCreatePipelineCache(d->device, &ci, NULL, &d->cache);
    if (r != VK_SUCCESS && data) {
        GL_LOGI("vulkan: the driver rejected the pipeline cache %s", d->cache_path);
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        r = d->vk.vkCreatePipelineCache(d->device, &ci, NULL, &d->cache);
    }
    d->cache_loaded = ci.initialDataSize;
    free(data);
    if (r != VK_SUCCESS) {
        d->cache = VK_NULL_HANDLE;
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "vkCreatePipelineCache failed: %s",
                       gl_vk_result_string(r));
    }
    for (uint32_t nb = 0; nb <= GL_VK_MAX_BINDINGS; nb++) {
        VkDescriptorSetLayoutBinding b[GL_VK_MAX_BINDINGS];
        for (uint32_t i = 0; i < nb; i++)
            b[i] =
                (VkDescriptorSetLayoutBinding){.binding = i,
                                               .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                               .descriptorCount = 1,
                                               .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
        VkDescriptorSetLayoutCreateInfo li = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
            .bindingCount = nb,
            .pBindings = b};
        r = d->vk.vkCreateDescriptorSetLayout(d->device, &li, NULL, &d->set_layouts[nb]);
        if (r != VK_SUCCESS) break;
        VkPushConstantRange pr = {
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = GL_VK_PUSH_BYTES};
        VkPipelineLayoutCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                         .setLayoutCount = 1,
                                         .pSetLayouts = &d->set_layouts[nb],
                                         .pushConstantRangeCount = 1,
                                         .pPushConstantRanges = &pr};
        r = d->vk.vkCreatePipelineLayout(d->device, &pi, NULL, &d->layouts[nb]);
        if (r != VK_SUCCESS) break;
    }
    if (r != VK_SUCCESS)
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE, "pipeline layout creation failed: %s",
                       gl_vk_result_string(r));
    return GLINT_OK;
}

void gl_vk_pipelines_free(gl_vk_device *d) {
    gl_vk_pipelines_save(d);
    for (int i = 0; i < d->n_pipelines; i++)
        d->vk.vkDestroyPipeline(d->device, d->pipelines[i].pipeline, NULL);
    free(d->pipelines);
    d->pipelines = NULL;
    d->n_pipelines = 0;
    for (int i = 0; i <= GL_VK_SHADER_COUNT; i++)
        if (d->modules[i]) d->vk.vkDestroyShaderModule(d->device, d->modules[i], NULL);
    for (int i = 0; i <= GL_VK_MAX_BINDINGS; i++) {
        if (d->layouts[i]) d->vk.vkDestroyPipelineLayout(d->device, d->layouts[i], NULL);
        if (d->set_layouts[i])
            d->vk.vkDestroyDescriptorSetLayout(d->device, d->set_layouts[i], NULL);
    }
    if (d->cache) d->vk.vkDestroyPipelineCache(d->device, d->cache, NULL);
    d->cache = VK_NULL_HANDLE;
}

glint_status gl_vk_pipeline_get(gl_vk_device *d, const gl_vk_dispatch *ds, VkPipeline *out) {
    *out = VK_NULL_HANDLE;
    if (ds->n_spec > GL_VK_MAX_SPEC || ds->n_bindings > GL_VK_MAX_BINDINGS ||
        ds->push_size > GL_VK_PUSH_BYTES)
        return GLINT_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < d->n_pipelines; i++) {
        const gl_vk_pipeline *p = &d->pipelines[i];
        if (p->shader == ds->shader && p->n_spec == ds->n_spec && p->n_bindings == ds->n_bindings &&
            memcmp(p->spec, ds->spec, sizeof(uint32_t) * ds->n_spec) == 0) {
            *out = p->pipeline;
            return GLINT_OK;
        }
    }
    const gl_vk_shader_code *code = gl_vk_shader_get(ds->shader);
    if (!code) return GLINT_ERROR_INVALID_ARGUMENT;
    VkResult r = VK_SUCCESS;
    if (!d->modules[ds->shader]) {
        VkShaderModuleCreateInfo mi = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                       .codeSize = code->size,
                                       .pCode = code->code};
        r = d->vk.vkCreateShaderModule(d->device, &mi, NULL, &d->modules[ds->shader]);
        if (r != VK_SUCCESS) return gl_vk_check(d, r, "vkCreateShaderModule");
    }
    if (d->n_pipelines == d->cap_pipelines) {
        int cap = d->cap_pipelines ? d->cap_pipelines * 2 : 32;
        gl_vk_pipeline *p = realloc(d->pipelines, sizeof *p * (size_t)cap);
        if (!p) return GLINT_ERROR_OUT_OF_MEMORY;
        d->pipelines = p;
        d->cap_pipelines = cap;
    }
    VkSpecializationMapEntry me[GL_VK_MAX_SPEC];
    for (uint32_t i = 0; i < ds->n_spec; i++)
        me[i] = (VkSpecializationMapEntry){.constantID = i, .offset = 4 * i, .size = 4};
    VkSpecializationInfo si = {.mapEntryCount = ds->n_spec,
                               .pMapEntries = me,
                               .dataSize = 4 * ds->n_spec,
                               .pData = ds->spec};
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = d->modules[ds->shader],
                  .pName = "main",
                  .pSpecializationInfo = ds->n_spec ? &si : NULL},
        .layout = d->layouts[ds->n_bindings]};
    gl_vk_pipeline *p = &d->pipelines[d->n_pipelines];
    r = d->vk.vkCreateComputePipelines(d->device, d->cache, 1, &ci, NULL, &p->pipeline);
    if (r != VK_SUCCESS) {
        snprintf(d->last_error, sizeof d->last_error, "vulkan: pipeline for shader %s failed: %s",
                 code->name, gl_vk_result_string(r));
        GL_LOGE("%s", d->last_error);
        return r == VK_ERROR_DEVICE_LOST ? gl_vk_check(d, r, "vkCreateComputePipelines")
                                         : GLINT_ERROR_UNSUPPORTED;
    }
    p->shader = ds->shader;
    p->n_spec = ds->n_spec;
    p->n_bindings = ds->n_bindings;
    memset(p->spec, 0, sizeof p->spec);
    memcpy(p->spec, ds->spec, sizeof(uint32_t) * ds->n_spec);
    d->n_pipelines++;
    d->cache_dirty = true;
    *out = p->pipeline;
    return GLINT_OK;
}

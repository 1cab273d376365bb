/* Known driver bugs: (vendor, device-name substring, driver-name substring, driver version
 * range) -> capability tiers to turn off. Each entry names the public report it comes from.
 * Tiers are otherwise chosen from probed features only, never from vendor names. */
#include "vk_device.h"

#include <string.h>
#include <strings.h>

typedef struct gl_vk_quirk {
    uint32_t vendor_id;              /* 0: any */
    const char *device;              /* substring of deviceName, case-insensitive; NULL: any */
    const char *driver;              /* substring of driverName; NULL: any */
    uint32_t driver_min, driver_max; /* inclusive driverVersion range (vendor encoding) */
    uint32_t disable;                /* GL_VK_FEAT_* */
    const char *what;                /* shown in `glint devices` */
} gl_vk_quirk;

static const gl_vk_quirk g_quirks[] = {
    /* Qualcomm's proprietary Adreno driver: 8-bit storage / int8 shaders miscompile (q4_0
     * kernels break while f16 works).
     * https://github.com/ggml-org/llama.cpp/issues/5186 */
    {0x5143, "Adreno", "Qualcomm", 0, UINT32_MAX, GL_VK_FEAT_STORAGE8 | GL_VK_FEAT_INT8DOT,
     "Adreno proprietary: int8 storage/dot miscompiles (llama.cpp#5186)"},
    /* Intel ANV (Mesa): fp16 arithmetic in quantized matmul shaders gives wrong results.
     * https://github.com/ggml-org/llama.cpp/issues/17106,
     * https://github.com/ggml-org/llama.cpp/pull/18814 */
    {0x8086, NULL, "Intel open-source Mesa", 0, UINT32_MAX, GL_VK_FEAT_FP16,
     "Intel ANV: wrong fp16 results in quantized matmul (llama.cpp#17106)"},
    /* KosmicKrisp (Mesa's Vulkan on Metal): subgroupAdd reductions return wrong sums at
     * real matrix sizes. https://github.com/ericcurtin/vllm-vulkan/pull/22 */
    {0x106b, NULL, "KosmicKrisp", 0, UINT32_MAX, GL_VK_FEAT_SUBGROUP,
     "KosmicKrisp: wrong subgroupAdd reductions (vllm-vulkan#22)"},
};

const char *gl_vk_quirk_lookup(const gl_vk_caps *c, uint32_t *disable) {
    *disable = 0;
    for (size_t i = 0; i < GL_ARRAY_LEN(g_quirks); i++) {
        const gl_vk_quirk *q = &g_quirks[i];
        if (q->vendor_id && q->vendor_id != c->vendor_id) continue;
        if (q->device && !strcasestr(c->name, q->device)) continue;
        if (q->driver && !strcasestr(c->driver_name, q->driver)) continue;
        if (c->driver_version < q->driver_min || c->driver_version > q->driver_max) continue;
        *disable = q->disable;
        return q->what;
    }
    return NULL;
}

uint32_t gl_vk_parse_features(const char *s) {
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"fp16", GL_VK_FEAT_FP16},         {"storage16", GL_VK_FEAT_STORAGE16},
                 {"storage8", GL_VK_FEAT_STORAGE8}, {"int8dot", GL_VK_FEAT_INT8DOT},
                 {"subgroup", GL_VK_FEAT_SUBGROUP}, {"all", 0x1f}};
    uint32_t f = 0;
    while (s && *s) {
        size_t n = strcspn(s, ", ");
        bool known = false;
        for (size_t i = 0; i < GL_ARRAY_LEN(names); i++)
            if (n == strlen(names[i].name) && strncasecmp(s, names[i].name, n) == 0) {
                f |= names[i].bit;
                known = true;
            }
        if (!known && n)
            GL_LOGW("vulkan: GLINT_VK_DISABLE: unknown feature '%.*s' (fp16, storage16, storage8, "
                    "int8dot, subgroup, all)",
                    (int)n, s);
        s += n;
        while (*s == ',' || *s == ' ') s++;
    }
    return f;
}

/* Version, status and type names: the small tables behind the public header. */
#include "common.h"
#include "types.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define GL_STR2(x) #x
#define GL_STR(x) GL_STR2(x)

const char *glint_version(void) {
    return GL_STR(GLINT_VERSION_MAJOR) "." GL_STR(GLINT_VERSION_MINOR) "." GL_STR(
        GLINT_VERSION_PATCH);
}

int glint_version_number(void) {
    return GLINT_VERSION_NUMBER;
}

const char *glint_status_string(glint_status st) {
    static const char *const text[] = {
#define GL_X_(name, txt) txt,
        GLINT_STATUS_LIST(GL_X_)
#undef GL_X_
    };
    if ((unsigned)st >= GL_ARRAY_LEN(text)) return "unknown status";
    return text[st];
}

const char *glint_backend_kind_name(glint_backend_kind k) {
    static const char *const names[] = {"auto", "cpu", "vulkan", "opencl"};
    if ((unsigned)k >= GL_ARRAY_LEN(names)) return NULL;
    return names[k];
}

const char *glint_type_name(glint_type t) {
    const gl_type_traits *tr = gl_type_get(t);
    return tr ? tr->name : NULL;
}

glint_status glint_type_from_name(const char *name, glint_type *out) {
    if (!name || !out) return GLINT_ERROR_INVALID_ARGUMENT;
    char low[16];
    size_t n = strlen(name);
    if (n >= sizeof low) return GLINT_ERROR_NOT_FOUND;
    for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)name[i]);
    /* File-type mixes name their main type: q4_k_m / q4_k_s -> q4_k, q5_k_m -> q5_k. */
    if (n == 6 && low[3] == 'k' && low[4] == '_' && (low[5] == 'm' || low[5] == 's')) low[4] = 0;
    for (int t = 0; t < GLINT_TYPE_COUNT; t++) {
        const gl_type_traits *tr = gl_type_get((glint_type)t);
        if (tr && strcasecmp(tr->name, low) == 0) {
            *out = (glint_type)t;
            return GLINT_OK;
        }
    }
    return GLINT_ERROR_NOT_FOUND;
}

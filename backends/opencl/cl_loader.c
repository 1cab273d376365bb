/* Fills the OpenCL entry-point table: from the ICD loader Glint links against (Linux), or
 * from a library found with dlopen (Android, where vendors ship libOpenCL.so outside the NDK
 * and the app cannot link it; GLINT_CL_DLOPEN). */
#define GL_CL_API_NO_MACROS
#include "cl_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef GLINT_CL_DLOPEN
#include <dlfcn.h>
#endif

gl_cl_api_table gl_cl_api;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static glint_status g_status;
static char g_msg[512];
static char g_source[256];

#ifdef GLINT_CL_DLOPEN

/* Where vendors put their library: Qualcomm, Arm (Mali's driver is the GLES library), Google
 * Pixel, Imagination, then the generic names (desktop ICD loader). */
static const char *const g_paths[] = {
#if defined(__LP64__)
    "libOpenCL.so",
    "/vendor/lib64/libOpenCL.so",
    "/system/vendor/lib64/libOpenCL.so",
    "/vendor/lib64/egl/libGLES_mali.so",
    "/system/vendor/lib64/egl/libGLES_mali.so",
    "/vendor/lib64/libOpenCL-pixel.so",
    "/system/vendor/lib64/libOpenCL-pixel.so",
    "/vendor/lib64/libPVROCL.so",
    "/system/lib64/libOpenCL.so",
#else
    "libOpenCL.so",
    "/vendor/lib/libOpenCL.so",
    "/system/vendor/lib/libOpenCL.so",
    "/vendor/lib/egl/libGLES_mali.so",
    "/system/vendor/lib/egl/libGLES_mali.so",
    "/vendor/lib/libPVROCL.so",
    "/system/lib/libOpenCL.so",
#endif
    "libOpenCL.so.1",
};

/* Fills the table from `h`; false (naming the missing symbol) when one is absent. */
static bool fill_from(void *h, const char *path) {
    gl_cl_api_table t;
#define GL_CL_SYM_(name)                                                                           \
    *(void **)&t.name = dlsym(h, #name);                                                           \
    if (!t.name) {                                                                                 \
        snprintf(g_msg, sizeof g_msg, "%s has no %s (OpenCL 1.2 needed)", path, #name);           \
        return false;                                                                              \
    }
    GL_CL_API_LIST(GL_CL_SYM_)
#undef GL_CL_SYM_
    gl_cl_api = t;
    return true;
}

static void load_once(void) {
    const char *env = getenv("GLINT_OPENCL_LIBRARY");
    char tried[400] = "";
    size_t used = 0;
    const size_t n = GL_ARRAY_LEN(g_paths) + 1;
    for (size_t i = 0; i < n; i++) {
        const char *path = i == 0 ? env : g_paths[i - 1];
        if (!path || !*path) continue;
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            int w = snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", path);
            if (w > 0) used = GL_MIN(sizeof tried - 1, used + (size_t)w);
            continue;
        }
        if (fill_from(h, path)) {
            snprintf(g_source, sizeof g_source, "%s", path);
            g_status = GLINT_OK;
            return;
        }
        /* a library without the 1.2 entry points: keep looking, report it if nothing else */
        GL_LOGI("opencl: %s", g_msg);
        dlclose(h);
        int w = snprintf(tried + used, sizeof tried - used, "%s%s (not 1.2)", used ? ", " : "",
                         path);
        if (w > 0) used = GL_MIN(sizeof tried - 1, used + (size_t)w);
    }
    snprintf(g_msg, sizeof g_msg,
             "no OpenCL library found (tried %s); GLINT_OPENCL_LIBRARY names another",
             used ? tried : "nothing");
    g_status = GLINT_ERROR_BACKEND_UNAVAILABLE;
}

#else /* linked */

static void load_once(void) {
#define GL_CL_SYM_(name) gl_cl_api.name = name;
    GL_CL_API_LIST(GL_CL_SYM_)
#undef GL_CL_SYM_
    snprintf(g_source, sizeof g_source, "linked");
    g_status = GLINT_OK;
}

#endif

glint_status gl_cl_api_load(gl_err *err) {
    pthread_once(&g_once, load_once);
    if (g_status) return gl_fail(err, g_status, "%s", g_msg);
    return GLINT_OK;
}

const char *gl_cl_api_source(void) {
    return g_source[0] ? g_source : "not loaded";
}

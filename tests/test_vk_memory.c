/* On a unified-memory device the weights exist once: loading a model on Vulkan copies them
 * from the mapped file straight into mapped device memory and releases the file's pages, so
 * the process's resident memory grows by about one copy of the weights, not two. */
#include "glint.h"
#include "synth.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double rss_mib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

int main(void) {
    setenv("GLINT_VK_ALLOW_CPU", "1", 0);
    setenv("GLINT_CACHE_DIR", GLINT_TEST_TMP "/vkcache", 0);
    glint_runtime *rt;
    if (glint_runtime_create(NULL, &rt) != GLINT_OK) return 1;
    char devs[8192];
    size_t n;
    glint_runtime_describe(rt, devs, sizeof devs, &n);
    if (strstr(devs, "vulkan: no device")) {
        printf("skip: no Vulkan device\n");
        glint_runtime_free(rt);
        return GL_TEST_SKIP;
    }
    if (!strstr(devs, "unified (host-visible)")) {
        printf("skip: the Vulkan device has no unified memory\n%s", devs);
        glint_runtime_free(rt);
        return GL_TEST_SKIP;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/mem_110m_q4_0_%d.gguf", GLINT_TEST_TMP, (int)getpid());
    gl_err err = {{0}};
    CHECK_STATUS(gl_synth_write(gl_synth_shape_find("110m"), GLINT_TYPE_Q4_0, 1, path, &err),
                 GLINT_OK);

    const double before = rss_mib();
    glint_model_params mp = glint_model_default_params();
    mp.backend = GLINT_BACKEND_VULKAN;
    glint_model *m = NULL;
    CHECK_STATUS(glint_model_load(rt, path, &mp, &m), GLINT_OK);
    if (m) {
        glint_model_info info;
        glint_model_get_info(m, &info);
        const double after = rss_mib(), weights = (double)info.weight_bytes / (1 << 20);
        printf("weights %.1f MiB; resident before load %.1f MiB, after %.1f MiB (+%.1f)\n",
               weights, before, after, after - before);
        CHECK_MSG(strcmp(info.backend, "vulkan") == 0, "runs on %s", info.backend);
        /* one copy plus driver overhead; a second copy would be >= 2x */
        CHECK_MSG(after - before < 1.5 * weights, "resident grew %.1f MiB for %.1f MiB of weights",
                  after - before, weights);
        /* and the device copy really holds them: a greedy step runs */
        glint_session *s;
        CHECK_STATUS(glint_session_create(m, NULL, &s), GLINT_OK);
        int32_t tok = 1;
        CHECK_STATUS(glint_session_decode(s, &tok, 1), GLINT_OK);
        glint_session_free(s);
        glint_model_free(m);
    }
    unlink(path);
    glint_runtime_free(rt);
    return gl_test_finish("test_vk_memory");
}

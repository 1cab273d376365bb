/* Kernel tables per CPU level. The reference table holds the scalar functions of engine/types.c;
 * each higher level starts as a copy of the level below and overrides what it implements. */
#include "kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static gl_cpu_kernels g_tables[GL_CPU_LEVEL_COUNT];
static bool g_usable[GL_CPU_LEVEL_COUNT];
static const gl_cpu_kernels *g_best;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const char *const g_level_names[GL_CPU_LEVEL_COUNT] = {
    [GL_CPU_REF] = "ref",   [GL_CPU_AVX2] = "avx2",       [GL_CPU_AVX512] = "avx512",
    [GL_CPU_NEON] = "neon", [GL_CPU_DOTPROD] = "dotprod", [GL_CPU_I8MM] = "i8mm",
};

static void init_ref(gl_cpu_kernels *k) {
    memset(k, 0, sizeof *k);
    k->level = GL_CPU_REF;
    k->name = "ref";
    for (int t = 0; t < GLINT_TYPE_COUNT; t++) {
        const gl_type_traits *tr = gl_type_get((glint_type)t);
        if (!tr) continue;
        k->vec_dot[t] = tr->vec_dot;
        k->from_float[t] = tr->from_float;
    }
}

/* Builds level `lv` on top of level `below`. */
static void derive(gl_cpu_level lv, gl_cpu_level below, const char *name,
                   void (*init)(gl_cpu_kernels *)) {
    g_tables[lv] = g_tables[below];
    g_tables[lv].level = lv;
    g_tables[lv].name = name;
    init(&g_tables[lv]);
    g_usable[lv] = true;
}

static void build_tables(void) {
    const gl_cpu_features *f = gl_cpu_features_get();
    init_ref(&g_tables[GL_CPU_REF]);
    g_usable[GL_CPU_REF] = true;
#if defined(__x86_64__) || defined(_M_X64)
    if (f->avx2 && f->fma && f->f16c) {
        derive(GL_CPU_AVX2, GL_CPU_REF, "avx2", gl_cpu_kernels_init_avx2);
        if (f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->avx512vnni)
            derive(GL_CPU_AVX512, GL_CPU_AVX2, "avx512", gl_cpu_kernels_init_avx512);
    }
#endif
#if defined(__aarch64__)
    derive(GL_CPU_NEON, GL_CPU_REF, "neon", gl_cpu_kernels_init_neon);
    if (f->dotprod) {
        derive(GL_CPU_DOTPROD, GL_CPU_NEON, "neon-dotprod", gl_cpu_kernels_init_dotprod);
        if (f->i8mm) derive(GL_CPU_I8MM, GL_CPU_DOTPROD, "neon-i8mm", gl_cpu_kernels_init_i8mm);
    }
#endif
    (void)f;

    /* The cap: GLINT_CPU_LEVEL names the highest level to use (on this architecture). */
    int cap = GL_CPU_LEVEL_COUNT - 1;
    const char *env = getenv("GLINT_CPU_LEVEL");
    if (env && env[0]) {
        bool known = false;
        for (int lv = 0; lv < GL_CPU_LEVEL_COUNT; lv++) {
            if (strcmp(env, g_level_names[lv]) == 0) {
                cap = lv;
                known = true;
            }
        }
        if (!known)
            GL_LOGW("GLINT_CPU_LEVEL=%s is not one of ref|avx2|avx512|neon|dotprod|i8mm; "
                    "ignored",
                    env);
    }
    g_best = &g_tables[GL_CPU_REF];
    for (int lv = 0; lv <= cap; lv++)
        if (g_usable[lv]) g_best = &g_tables[lv];
}

const gl_cpu_kernels *gl_cpu_kernels_get(void) {
    pthread_once(&g_once, build_tables);
    return g_best;
}

const gl_cpu_kernels *gl_cpu_kernels_for(gl_cpu_level level) {
    if ((unsigned)level >= GL_CPU_LEVEL_COUNT) return NULL;
    pthread_once(&g_once, build_tables);
    return g_usable[level] ? &g_tables[level] : NULL;
}

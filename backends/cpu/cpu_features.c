/* Runtime CPU feature detection: cpuid + xgetbv on x86 (an instruction set is usable only when
 * the OS saves its register state), getauxval(AT_HWCAP/AT_HWCAP2) on arm64 Linux. */
#include "kernels.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

static gl_cpu_features g_features;
static char g_features_str[256];
static pthread_once_t g_features_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(_M_X64)
static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void detect_x86(gl_cpu_features *f) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const bool osxsave = (c >> 27) & 1;
    const bool cpu_avx = (c >> 28) & 1;
    const bool cpu_fma = (c >> 12) & 1;
    const bool cpu_f16c = (c >> 29) & 1;
    if (!osxsave || !cpu_avx) return;
    const uint64_t xcr0 = read_xcr0();
    const bool os_avx = (xcr0 & 0x6) == 0x6;      /* XMM + YMM state */
    const bool os_avx512 = (xcr0 & 0xe6) == 0xe6; /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (!os_avx) return;
    f->avx = true;
    f->fma = cpu_fma;
    f->f16c = cpu_f16c;
    if (__get_cpuid_max(0, NULL) < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    f->avx2 = (b >> 5) & 1;
    if (!os_avx512) return;
    f->avx512f = (b >> 16) & 1;
    f->avx512dq = (b >> 17) & 1;
    f->avx512bw = (b >> 30) & 1;
    f->avx512vl = (b >> 31) & 1;
    f->avx512vnni = (c >> 11) & 1;
}
#endif

#if defined(__aarch64__)
/* Bit numbers from the Linux arm64 uapi hwcap.h, spelled out so older headers build. */
#define GL_HWCAP_FPHP    (1ul << 9)
#define GL_HWCAP_ASIMDHP (1ul << 10)
#define GL_HWCAP_ASIMDDP (1ul << 20)
#define GL_HWCAP2_I8MM   (1ul << 13)

static void detect_arm(gl_cpu_features *f) {
    f->neon = true; /* mandatory on arm64 */
#if defined(__linux__)
    const unsigned long hw = getauxval(AT_HWCAP);
    const unsigned long hw2 = getauxval(AT_HWCAP2);
    f->dotprod = (hw & GL_HWCAP_ASIMDDP) != 0;
    f->fp16 = (hw & GL_HWCAP_FPHP) && (hw & GL_HWCAP_ASIMDHP);
    f->i8mm = (hw2 & GL_HWCAP2_I8MM) != 0;
#endif
}
#endif

static void append(char *s, size_t cap, bool on, const char *name) {
    if (!on) return;
    size_t len = strlen(s);
    snprintf(s + len, cap - len, "%s%s", len ? " " : "", name);
}

static void detect_once(void) {
    gl_cpu_features *f = &g_features;
#if defined(__x86_64__) || defined(_M_X64)
    detect_x86(f);
#endif
#if defined(__aarch64__)
    detect_arm(f);
#endif
    char *s = g_features_str;
    const size_t cap = sizeof g_features_str;
    append(s, cap, f->avx, "avx");
    append(s, cap, f->avx2, "avx2");
    append(s, cap, f->fma, "fma");
    append(s, cap, f->f16c, "f16c");
    append(s, cap, f->avx512f, "avx512f");
    append(s, cap, f->avx512dq, "avx512dq");
    append(s, cap, f->avx512bw, "avx512bw");
    append(s, cap, f->avx512vl, "avx512vl");
    append(s, cap, f->avx512vnni, "avx512vnni");
    append(s, cap, f->neon, "neon");
    append(s, cap, f->fp16, "fp16");
    append(s, cap, f->dotprod, "dotprod");
    append(s, cap, f->i8mm, "i8mm");
    if (!s[0]) snprintf(s, cap, "none");
}

const gl_cpu_features *gl_cpu_features_get(void) {
    pthread_once(&g_features_once, detect_once);
    return &g_features;
}

const char *gl_cpu_features_string(void) {
    pthread_once(&g_features_once, detect_once);
    return g_features_str;
}

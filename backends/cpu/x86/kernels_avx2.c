/* AVX2 + FMA + F16C kernels: the code is x86.h, built here for this target. */
#include "x86/x86.h"

void gl_cpu_kernels_init_avx2(gl_cpu_kernels *k) {
    gl_x86_fill(k);
}

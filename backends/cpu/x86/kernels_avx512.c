/* AVX-512 F/BW/VL/DQ + VNNI kernels: the code is x86.h, built here for this target (VNNI
 * pair dots, 4 x 4 gemm tiles in the 32 vector registers). */
#include "x86/x86.h"

#if !GL_X86_VNNI
#error "kernels_avx512.c must be built with -mavx512vl -mavx512vnni"
#endif

void gl_cpu_kernels_init_avx512(gl_cpu_kernels *k) {
    gl_x86_fill(k);
}

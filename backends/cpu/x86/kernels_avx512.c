/* AVX-512 F/BW/VL/DQ + VNNI kernels. */
#include "x86/x86.h"

void gl_cpu_kernels_init_avx512(gl_cpu_kernels *k) {
    (void)k;
}

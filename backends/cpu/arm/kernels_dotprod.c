/* ARMv8.2 dotprod: the quantized dots of arm.h compiled with SDOT (vdotq_s32). The float dots
 * and the quantizers stay those of the NEON table. */
#include "arm.h"

#if !defined(__ARM_FEATURE_DOTPROD)
#error "kernels_dotprod.c needs -march=armv8.2-a+dotprod (cmake/sources.cmake sets it)"
#endif

void gl_cpu_kernels_init_dotprod(gl_cpu_kernels *k) {
    gl_arm_set_quant_dots(k);
}

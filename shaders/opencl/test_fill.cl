/* Test program of the OpenCL backend core (tests/test_cl_device.c): fills a buffer, reports
 * the tier defines the program was built with, and reads a helper from an included header. */
#include "test_fill.clh"

/* y[i] = value (times GL_TEST_SCALE when built with it) for i < n; y at byte offset yo. */
kernel void fill(global uchar *y, ulong yo, float value, uint n) {
    const uint i = get_global_id(0);
    if (i >= n) return;
#ifdef GL_TEST_SCALE
    value *= GL_TEST_SCALE;
#endif
    ((global float *)(y + yo))[i] = test_fill_value(value, i);
}

/* y[0] = the tier defines seen, as GL_CL_TIER_* bits. */
kernel void tiers(global uint *y) {
    uint t = 0;
#ifdef GL_FP16
    t |= 1u;
#endif
#ifdef GL_SUBGROUP
    t |= 2u;
#endif
#ifdef GL_IMAGE
    t |= 4u;
#endif
#ifdef GL_INT8DOT
    t |= 8u;
#endif
    y[0] = t;
}

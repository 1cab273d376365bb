/* Bindings and push constants shared by the MUL_MAT shaders (backends/vulkan/ops/mul_mat.c
 * fills them): dst[m, n] = w[k, m] . a[k, n], for the rows of w bound in this dispatch. */
#ifndef MUL_MAT_COMMON_GLSL
#define MUL_MAT_COMMON_GLSL

layout(std430, set = 0, binding = 0) readonly buffer WBuf { uint W[]; };
layout(std430, set = 0, binding = 1) readonly buffer ABuf { float A[]; };
layout(std430, set = 0, binding = 2) writeonly buffer DBuf { float D[]; };

/* Offsets and strides in bytes for w (rows are not word-aligned), in floats for a and dst. */
layout(push_constant) uniform Params {
    uint units;    /* k / 32 */
    uint rows;     /* rows of w in this dispatch */
    uint n;        /* columns of a and dst */
    uint w_off;    /* byte of the first bound row within the binding */
    uint w_row;    /* bytes per row of w */
    uint a_off;    /* float index of a[0, 0] */
    uint a_stride; /* floats between columns of a */
    uint d_off;    /* float index of dst[row0 of this dispatch, 0] */
    uint d_stride; /* floats between columns of dst */
}
p;

#define WBUF W
#include "types.glsl"

#endif

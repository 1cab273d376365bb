#version 450
// CPY: f32 -> f32 or f16, element-wise over up to 4 dims (KV-cache writes into strided views).
// DST_F16 with STORAGE16 stores float16_t; DST_F16 alone writes halves into packed words with
// atomics, since two invocations may share a word.
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"

layout(local_size_x = WG) in;
layout(binding = 0) readonly buffer A { float a[]; };
#if defined(DST_F16) && defined(STORAGE16)
layout(binding = 1) writeonly buffer Y { float16_t y[]; };
#elif defined(DST_F16)
layout(binding = 1) buffer Y { uint y[]; };
#else
layout(binding = 1) writeonly buffer Y { float y[]; };
#endif
layout(push_constant) uniform P {
    uint ne0, ne1, ne2, nrows;
    uint as_, anb1, anb2, anb3;
    uint ys, ynb1, ynb2, ynb3;
} p;

void main() {
    // one row per (y, z) workgroup: row offsets are uniform, values along x contiguous;
    // each invocation does ROW_STEP values so small rows need few workgroups
    const uint r = grid_row();
    if (r >= p.nrows) return;
    const uint i1 = r % p.ne1, i2 = (r / p.ne1) % p.ne2, i3 = r / (p.ne1 * p.ne2);
    const uint ao = p.as_ + i1 * p.anb1 + i2 * p.anb2 + i3 * p.anb3;
    const uint yo = p.ys + i1 * p.ynb1 + i2 * p.ynb2 + i3 * p.ynb3;
    for (uint k = 0; k < ROW_STEP; k++) {
        const uint i0 = gl_WorkGroupID.x * (WG * ROW_STEP) + k * WG + gl_LocalInvocationID.x;
        if (i0 >= p.ne0) break;
        const float x = a[ao + i0];
        const uint o = yo + i0;
#if defined(DST_F16) && defined(STORAGE16)
        y[o] = float16_t(x);
#elif defined(DST_F16)
        const uint sh = (o & 1u) * 16u;
        const uint h = packHalf2x16(vec2(x, 0.0)) & 0xffffu;
        atomicAnd(y[o >> 1], ~(0xffffu << sh));
        atomicOr(y[o >> 1], h << sh);
#else
        y[o] = x;
#endif
    }
}

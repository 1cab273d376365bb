#version 450
// Element-wise ops on f32 tensors of up to 4 dims, one invocation per element:
// ADD, MUL (b broadcast over rows when its strides are 0) and the gated activations
// y = act(a) * b. OP is specialization constant 0.
#include "common.glsl"

layout(local_size_x = WG) in;
layout(constant_id = 0) const uint OP = 0; // 0 add, 1 mul, 2 swiglu, 3 geglu, 4 reglu
layout(binding = 0) readonly buffer A { float a[]; };
layout(binding = 1) readonly buffer B { float b[]; };
layout(binding = 2) buffer Y { float y[]; };
layout(push_constant) uniform P {
    uint ne0, ne1, ne2, nrows;
    uint as_, anb1, anb2, anb3;
    uint bs, bnb1, bnb2, bnb3;
    uint ys, ynb1, ynb2, ynb3;
} p;

float op(float x, float u) {
    if (OP == 0) return x + u;
    if (OP == 1) return x * u;
    if (OP == 2) return x / (1.0 + exp(-x)) * u;
    if (OP == 3) {
        // tanh written with exp so large |t| saturates instead of overflowing
        const float t = 0.7978845608 * (x + 0.044715 * x * x * x);
        const float e = exp(-2.0 * abs(t));
        const float th = sign(t) * (1.0 - e) / (1.0 + e);
        return 0.5 * x * (1.0 + th) * u;
    }
    return max(x, 0.0) * u;
}

void main() {
    // one row per (y, z) workgroup: row offsets are uniform, values along x contiguous;
    // each invocation does ROW_STEP values so small rows need few workgroups
    const uint r = grid_row();
    if (r >= p.nrows) return;
    const uint i1 = r % p.ne1, i2 = (r / p.ne1) % p.ne2, i3 = r / (p.ne1 * p.ne2);
    const uint ao = p.as_ + i1 * p.anb1 + i2 * p.anb2 + i3 * p.anb3;
    const uint bo = p.bs + i1 * p.bnb1 + i2 * p.bnb2 + i3 * p.bnb3;
    const uint yo = p.ys + i1 * p.ynb1 + i2 * p.ynb2 + i3 * p.ynb3;
    for (uint k = 0; k < ROW_STEP; k++) {
        const uint i0 = gl_WorkGroupID.x * (WG * ROW_STEP) + k * WG + gl_LocalInvocationID.x;
        if (i0 < p.ne0) y[yo + i0] = op(a[ao + i0], b[bo + i0]);
    }
}

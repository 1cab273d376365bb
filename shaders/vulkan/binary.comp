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
    uint ne0, ne1, ne2, n;
    uint as_, anb1, anb2, anb3;
    uint bs, bnb1, bnb2, bnb3;
    uint ys, ynb1, ynb2, ynb3;
} p;

void main() {
    const uint idx = flat_invocation();
    if (idx >= p.n) return;
    const uint i0 = idx % p.ne0, r = idx / p.ne0;
    const uint i1 = r % p.ne1, i2 = (r / p.ne1) % p.ne2, i3 = r / (p.ne1 * p.ne2);
    const float x = a[p.as_ + i0 + i1 * p.anb1 + i2 * p.anb2 + i3 * p.anb3];
    const float u = b[p.bs + i0 + i1 * p.bnb1 + i2 * p.bnb2 + i3 * p.bnb3];
    float v;
    if (OP == 0) {
        v = x + u;
    } else if (OP == 1) {
        v = x * u;
    } else if (OP == 2) {
        v = x / (1.0 + exp(-x)) * u;
    } else if (OP == 3) {
        // tanh written with exp so large |t| saturates instead of overflowing
        const float t = 0.7978845608 * (x + 0.044715 * x * x * x);
        const float e = exp(-2.0 * abs(t));
        const float th = sign(t) * (1.0 - e) / (1.0 + e);
        v = 0.5 * x * (1.0 + th) * u;
    } else {
        v = max(x, 0.0) * u;
    }
    y[p.ys + i0 + i1 * p.ynb1 + i2 * p.ynb2 + i3 * p.ynb3] = v;
}

/* Gated activations of f32 tensors of up to 4 dims: y = act(g) * u for swiglu (silu), geglu
 * (gelu, tanh approximation) and reglu (relu); same 2-D range and arguments as binary.cl.
 * y may be g (in place, as the FFN does). */
#include "common.clh"

static inline float silu(float x) {
    return x / (1.0f + exp(-x));
}

/* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as the GGUF models expect */
static inline float gelu_tanh(float x) {
    return 0.5f * x * (1.0f + tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
}

static inline float relu(float x) {
    return x > 0.0f ? x : 0.0f;
}

#define GLU(name, act)                                                                             \
    kernel void name(global const float *g, ulong go, global const float *u, ulong uo,             \
                     global float *y, ulong yo, uint ne0, uint ne1, uint ne2, uint nrows,          \
                     uint g1, uint g2, uint g3, uint u1, uint u2, uint u3, uint y1, uint y2,       \
                     uint y3) {                                                                    \
        const uint i = get_global_id(0), r = get_global_id(1);                                     \
        if (i >= ne0 || r >= nrows) return;                                                        \
        const float x = AT_CONST(float, g, go)[row_offset(r, ne1, ne2, g1, g2, g3) + i];           \
        const float v = AT_CONST(float, u, uo)[row_offset(r, ne1, ne2, u1, u2, u3) + i];           \
        AT(float, y, yo)[row_offset(r, ne1, ne2, y1, y2, y3) + i] = act(x) * v;                    \
    }

GLU(swiglu_f32, silu)
GLU(geglu_f32, gelu_tanh)
GLU(reglu_f32, relu)

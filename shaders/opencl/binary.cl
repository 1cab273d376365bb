/* ADD and MUL of f32 tensors of up to 4 dims: y = a + b, y = a * b, one item per value over a
 * 2-D range (values of a row, rows counted over dims 1..3). b is broadcast over the rows of a
 * when its strides are 0. y may be a (in place): each item reads its own value first. */
#include "common.clh"

#define BINARY(name, expr)                                                                         \
    kernel void name(global const float *a, ulong ao, global const float *b, ulong bo,             \
                     global float *y, ulong yo, uint ne0, uint ne1, uint ne2, uint nrows,          \
                     uint a1, uint a2, uint a3, uint b1, uint b2, uint b3, uint y1, uint y2,       \
                     uint y3) {                                                                    \
        const uint i = get_global_id(0), r = get_global_id(1);                                     \
        if (i >= ne0 || r >= nrows) return;                                                        \
        const float x = AT_CONST(float, a, ao)[row_offset(r, ne1, ne2, a1, a2, a3) + i];           \
        const float u = AT_CONST(float, b, bo)[row_offset(r, ne1, ne2, b1, b2, b3) + i];           \
        AT(float, y, yo)[row_offset(r, ne1, ne2, y1, y2, y3) + i] = (expr);                        \
    }

BINARY(add_f32, x + u)
BINARY(mul_f32, x * u)

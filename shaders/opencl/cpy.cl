/* CPY: f32 values into f32 or f16 of the same shape (KV-cache rows are strided views), one
 * item per value over a 2-D range (values of a row, rows counted over dims 1..3). f16 goes
 * through vstore_half_rte (round to nearest even, as the CPU converts): OpenCL 1.2 only. */
#include "common.clh"

kernel void cpy_f32_f32(global const float *a, ulong ao, global float *y, ulong yo, uint ne0,
                        uint ne1, uint ne2, uint nrows, uint a1, uint a2, uint a3, uint y1,
                        uint y2, uint y3) {
    const uint i = get_global_id(0), r = get_global_id(1);
    if (i >= ne0 || r >= nrows) return;
    AT(float, y, yo)[row_offset(r, ne1, ne2, y1, y2, y3) + i] =
        AT_CONST(float, a, ao)[row_offset(r, ne1, ne2, a1, a2, a3) + i];
}

kernel void cpy_f32_f16(global const float *a, ulong ao, global half *y, ulong yo, uint ne0,
                        uint ne1, uint ne2, uint nrows, uint a1, uint a2, uint a3, uint y1,
                        uint y2, uint y3) {
    const uint i = get_global_id(0), r = get_global_id(1);
    if (i >= ne0 || r >= nrows) return;
    const float x = AT_CONST(float, a, ao)[row_offset(r, ne1, ne2, a1, a2, a3) + i];
    vstore_half_rte(x, row_offset(r, ne1, ne2, y1, y2, y3) + i, AT(half, y, yo));
}

/* Load-time rearrangement of Q4_0 weights into GL_LAYOUT_Q4_0X8 (see engine/graph.h): one
 * 32-byte load then holds 4 quant bytes of each of 8 rows, so the kernels get one int32 lane
 * per row and convert 8 rows' scales at once. */
#include "kernels.h"

#include <string.h>

void gl_cpu_repack_q4_0x8(void *dst, const void *src, int64_t k, int64_t m) {
    const int64_t nb = k / GL_QK4_0;
    const gl_block_q4_0 *x = src;
    uint8_t *out = dst;
    for (int64_t s = 0; s < m / 8; s++) {
        for (int64_t b = 0; b < nb; b++, out += 8 * sizeof(gl_block_q4_0)) {
            for (int r = 0; r < 8; r++) {
                const gl_block_q4_0 *blk = &x[(8 * s + r) * nb + b];
                memcpy(out + 2 * r, &blk->d, 2);
                for (int g = 0; g < 4; g++) memcpy(out + 16 + 32 * g + 4 * r, blk->qs + 4 * g, 4);
            }
        }
    }
}

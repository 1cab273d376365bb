#version 450
// GET_ROWS: y[:, i] = w[:, ids[i]] as f32, one output row per workgroup row. The weight is
// read as bytes of a uint array (no 8/16-bit storage needed; blocks are not word-aligned).
// TYPE (specialization constant 0) is the glint_type number.
#include "common.glsl"

layout(local_size_x = WG) in;
layout(constant_id = 0) const uint TYPE = 0;
layout(binding = 0) readonly buffer W { uint w[]; };
layout(binding = 1) readonly buffer Ids { int ids[]; };
layout(binding = 2) writeonly buffer Y { float y[]; };
// A weight larger than one binding comes in pieces of rows [row_lo, row_lo + row_cnt), one
// dispatch each; ws is the skew of row row_lo in its piece.
layout(push_constant) uniform P {
    uint ne0, n, total, n_rows; // total is unused
    uint ws, wnb1;      // bytes
    uint is_, ys, ynb1; // elements
    uint row_lo, row_cnt;
} p;

float q_byte(uint o) { return float(BYTE_AT(w, o)); }
float s_byte(uint o) { return float(int(BYTE_AT(w, o) << 24) >> 24); }
float half_at(uint o) { return HALF_BYTES_AT(w, o); }

// 6-bit scale and min of sub-block j of a q4_K/q5_K block whose scales start at byte o.
vec2 k4_scale_min(uint o, uint j) {
    if (j < 4) return vec2(BYTE_AT(w, o + j) & 63u, BYTE_AT(w, o + j + 4) & 63u);
    const uint a = BYTE_AT(w, o + j + 4), lo = BYTE_AT(w, o + j - 4), hi = BYTE_AT(w, o + j);
    return vec2((a & 15u) | ((lo >> 6) << 4), (a >> 4) | ((hi >> 6) << 4));
}

float value(uint row, uint i) {
    if (TYPE == 0) return uintBitsToFloat(w[(row >> 2) + i]); // f32
    if (TYPE == 1) return half_at(row + 2 * i);              // f16
    if (TYPE == 30) return uintBitsToFloat(BYTE_AT(w, row + 2 * i) << 16 |
                                           BYTE_AT(w, row + 2 * i + 1) << 24); // bf16
    const uint j = i % 32;
    if (TYPE == 2) { // q4_0: 18 bytes
        const uint b = row + (i / 32) * 18;
        const uint q = (BYTE_AT(w, b + 2 + (j & 15u)) >> (4 * (j / 16))) & 15u;
        return half_at(b) * (float(q) - 8.0);
    }
    if (TYPE == 3) { // q4_1: 20 bytes
        const uint b = row + (i / 32) * 20;
        const uint q = (BYTE_AT(w, b + 4 + (j & 15u)) >> (4 * (j / 16))) & 15u;
        return half_at(b) * float(q) + half_at(b + 2);
    }
    if (TYPE == 6 || TYPE == 7) { // q5_0: 22 bytes, q5_1: 24 bytes
        const uint b = row + (i / 32) * (TYPE == 6 ? 22 : 24);
        const uint qh = TYPE == 6 ? b + 2 : b + 4;
        const uint q = ((BYTE_AT(w, qh + 4 + (j & 15u)) >> (4 * (j / 16))) & 15u) |
                       (((BYTE_AT(w, qh + j / 8) >> (j % 8)) & 1u) << 4);
        return TYPE == 6 ? half_at(b) * (float(q) - 16.0) : half_at(b) * float(q) + half_at(b + 2);
    }
    if (TYPE == 8) { // q8_0: 34 bytes
        const uint b = row + (i / 32) * 34;
        return half_at(b) * s_byte(b + 2 + j);
    }
    const uint l = i % 256;
    if (TYPE == 12 || TYPE == 13) { // q4_K: 144 bytes, q5_K: 176 bytes
        const uint b = row + (i / 256) * (TYPE == 12 ? 144 : 176);
        const uint sb = l / 32, jj = l % 32;
        const vec2 sm = k4_scale_min(b + 4, sb);
        const uint qs = b + (TYPE == 12 ? 16 : 48);
        uint q = (BYTE_AT(w, qs + 32 * (sb / 2) + jj) >> (4 * (sb & 1u))) & 15u;
        if (TYPE == 13) q |= ((BYTE_AT(w, b + 16 + jj) >> sb) & 1u) << 4;
        return half_at(b) * sm.x * float(q) - half_at(b + 2) * sm.y;
    }
    if (TYPE == 14) { // q6_K: 210 bytes: ql[128], qh[64], scales[16], d
        const uint b = row + (i / 256) * 210;
        const uint h = l / 128, k = (l % 128) / 32, ll = l % 32;
        const uint lo = (BYTE_AT(w, b + 64 * h + 32 * (k % 2) + ll) >> (4 * (k / 2))) & 15u;
        const uint hi = (BYTE_AT(w, b + 128 + 32 * h + ll) >> (2 * k)) & 3u;
        return half_at(b + 208) * s_byte(b + 192 + l / 16) * float(int(lo | hi << 4) - 32);
    }
    return 0.0;
}

void main() {
    // one output row per (y, z) workgroup, ROW_STEP values per invocation along it
    const uint r = grid_row();
    if (r >= p.n) return;
    int id = ids[p.is_ + r];
    if (id < 0 || uint(id) >= p.n_rows) id = 0; // ids are validated by the session
    const uint row = uint(id) - p.row_lo;
    if (uint(id) < p.row_lo || row >= p.row_cnt) return; // another piece's row
    for (uint k = 0; k < ROW_STEP; k++) {
        const uint i = gl_WorkGroupID.x * (WG * ROW_STEP) + k * WG + gl_LocalInvocationID.x;
        if (i < p.ne0) y[p.ys + r * p.ynb1 + i] = value(p.ws + row * p.wnb1, i);
    }
}

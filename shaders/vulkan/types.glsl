/* Mirrors of the GGUF block layouts of engine/types.h as they sit in a Vulkan buffer, and
 * their dequantization. Blocks are 18..210 bytes, so not 4-byte aligned: everything is read
 * through a 32-bit word view (no 8/16-bit storage needed) and the bytes are extracted.
 *
 * The includer defines WBUF as the name of a `uint[]` storage array before including this
 * file. Byte offsets are uint (a binding is at most 4 GiB).
 *
 * Every dequantizer produces one "unit" of 32 consecutive values of a row: one block for the
 * 32-value types, one eighth of a super-block for the k-quants, 32 values for f32/f16/bf16.
 * The arithmetic is that of engine/types.c's to_float in the same order; `precise` keeps the
 * compiler from fusing a multiply and an add the C code rounds separately. */
#ifndef TYPES_GLSL
#define TYPES_GLSL

#ifndef WBUF
#error "define WBUF (a uint[] storage array) before including types.glsl"
#endif

/* Constant-trip loops are unrolled where the includer enabled GL_EXT_control_flow_attributes
 * (and defined TYPES_UNROLL): the 32 values then live in registers, not in indexed memory. */
#ifdef TYPES_UNROLL
#define UNROLL [[unroll]]
#else
#define UNROLL
#endif

/* Values per unit of work, for every type. */
#define UNIT 32u

/* ---- block layouts: size and byte offsets of the fields (engine/types.h names) ---------- */

/* block_q4_0 { fp16 d; uint8 qs[16]; } */
#define block_q4_0_size 18u
#define block_q4_0_d 0u
#define block_q4_0_qs 2u
/* block_q4_1 { fp16 d, m; uint8 qs[16]; } */
#define block_q4_1_size 20u
#define block_q4_1_d 0u
#define block_q4_1_m 2u
#define block_q4_1_qs 4u
/* block_q5_0 { fp16 d; uint8 qh[4]; uint8 qs[16]; } */
#define block_q5_0_size 22u
#define block_q5_0_d 0u
#define block_q5_0_qh 2u
#define block_q5_0_qs 6u
/* block_q5_1 { fp16 d, m; uint8 qh[4]; uint8 qs[16]; } */
#define block_q5_1_size 24u
#define block_q5_1_d 0u
#define block_q5_1_m 2u
#define block_q5_1_qh 4u
#define block_q5_1_qs 8u
/* block_q8_0 { fp16 d; int8 qs[32]; } */
#define block_q8_0_size 34u
#define block_q8_0_d 0u
#define block_q8_0_qs 2u
/* block_q4_k { fp16 d, dmin; uint8 scales[12]; uint8 qs[128]; } */
#define block_q4_k_size 144u
#define block_q4_k_d 0u
#define block_q4_k_dmin 2u
#define block_q4_k_scales 4u
#define block_q4_k_qs 16u
/* block_q5_k { fp16 d, dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]; } */
#define block_q5_k_size 176u
#define block_q5_k_d 0u
#define block_q5_k_dmin 2u
#define block_q5_k_scales 4u
#define block_q5_k_qh 16u
#define block_q5_k_qs 48u
/* block_q6_k { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; fp16 d; } */
#define block_q6_k_size 210u
#define block_q6_k_ql 0u
#define block_q6_k_qh 128u
#define block_q6_k_scales 192u
#define block_q6_k_d 208u

/* ---- byte access through the word view ---------------------------------------------------- */

uint ld8(uint off) {
    return (WBUF[off >> 2] >> ((off & 3u) << 3)) & 0xffu;
}
/* off must be even (every fp16 field is). */
uint ld16(uint off) {
    return (WBUF[off >> 2] >> ((off & 2u) << 3)) & 0xffffu;
}
/* Four bytes at any offset, little-endian. */
uint ld32(uint off) {
    const uint s = (off & 3u) << 3;
    const uint lo = WBUF[off >> 2];
    if (s == 0u) return lo;
    return (lo >> s) | (WBUF[(off >> 2) + 1u] << (32u - s));
}
float ldh(uint off) {
    return unpackHalf2x16(ld16(off)).x;
}
/* Byte b (0..3) of a word as a signed value. */
int s8(uint w, uint b) {
    return bitfieldExtract(int(w), int(b << 3), 8);
}

/* ---- dequantizers: unit u of the row starting at byte `row` ------------------------------ */

void deq_f32(uint row, uint u, out float v[32]) {
    const uint w0 = (row >> 2) + u * 32u; /* f32 rows are 4-byte aligned */
    UNROLL for (uint i = 0u; i < 32u; i++) v[i] = uintBitsToFloat(WBUF[w0 + i]);
}

void deq_f16(uint row, uint u, out float v[32]) {
    const uint o = row + u * 64u;
    UNROLL for (uint i = 0u; i < 16u; i++) {
        const vec2 h = unpackHalf2x16(ld32(o + 4u * i));
        v[2u * i] = h.x;
        v[2u * i + 1u] = h.y;
    }
}

void deq_bf16(uint row, uint u, out float v[32]) {
    const uint o = row + u * 64u;
    UNROLL for (uint i = 0u; i < 16u; i++) {
        const uint w = ld32(o + 4u * i);
        v[2u * i] = uintBitsToFloat(w << 16);
        v[2u * i + 1u] = uintBitsToFloat(w & 0xffff0000u);
    }
}

void deq_q4_0(uint row, uint u, out float v[32]) {
    const uint b = row + u * block_q4_0_size;
    const float d = ldh(b + block_q4_0_d);
    UNROLL for (uint i = 0u; i < 4u; i++) {
        const uint w = ld32(b + block_q4_0_qs + 4u * i);
        UNROLL for (uint k = 0u; k < 4u; k++) {
            const uint q = (w >> (8u * k)) & 0xffu;
            v[4u * i + k] = float(int(q & 0xfu) - 8) * d;
            v[4u * i + k + 16u] = float(int(q >> 4) - 8) * d;
        }
    }
}

void deq_q4_1(uint row, uint u, out float v[32]) {
    const uint b = row + u * block_q4_1_size;
    const float d = ldh(b + block_q4_1_d), m = ldh(b + block_q4_1_m);
    UNROLL for (uint i = 0u; i < 4u; i++) {
        const uint w = ld32(b + block_q4_1_qs + 4u * i);
        UNROLL for (uint k = 0u; k < 4u; k++) {
            const uint q = (w >> (8u * k)) & 0xffu;
            precise float y0 = float(q & 0xfu) * d + m;
            precise float y1 = float(q >> 4) * d + m;
            v[4u * i + k] = y0;
            v[4u * i + k + 16u] = y1;
        }
    }
}

void deq_q5_0(uint row, uint u, out float v[32]) {
    const uint b = row + u * block_q5_0_size;
    const float d = ldh(b + block_q5_0_d);
    const uint qh = ld32(b + block_q5_0_qh);
    UNROLL for (uint i = 0u; i < 4u; i++) {
        const uint w = ld32(b + block_q5_0_qs + 4u * i);
        UNROLL for (uint k = 0u; k < 4u; k++) {
            const uint j = 4u * i + k, q = (w >> (8u * k)) & 0xffu;
            const uint q0 = (q & 0xfu) | (((qh >> j) & 1u) << 4);
            const uint q1 = (q >> 4) | (((qh >> (j + 16u)) & 1u) << 4);
            v[j] = float(int(q0) - 16) * d;
            v[j + 16u] = float(int(q1) - 16) * d;
        }
    }
}

void deq_q5_1(uint row, uint u, out float v[32]) {
    const uint b = row + u * block_q5_1_size;
    const float d = ldh(b + block_q5_1_d), m = ldh(b + block_q5_1_m);
    const uint qh = ld32(b + block_q5_1_qh);
    UNROLL for (uint i = 0u; i < 4u; i++) {
        const uint w = ld32(b + block_q5_1_qs + 4u * i);
        UNROLL for (uint k = 0u; k < 4u; k++) {
            const uint j = 4u * i + k, q = (w >> (8u * k)) & 0xffu;
            const uint q0 = (q & 0xfu) | (((qh >> j) & 1u) << 4);
            const uint q1 = (q >> 4) | (((qh >> (j + 16u)) & 1u) << 4);
            precise float y0 = float(q0) * d + m;
            precise float y1 = float(q1) * d + m;
            v[j] = y0;
            v[j + 16u] = y1;
        }
    }
}

void deq_q8_0(uint row, uint u, out float v[32]) {
    const uint b = row + u * block_q8_0_size;
    const float d = ldh(b + block_q8_0_d);
    UNROLL for (uint i = 0u; i < 8u; i++) {
        const uint w = ld32(b + block_q8_0_qs + 4u * i);
        UNROLL for (uint k = 0u; k < 4u; k++) v[4u * i + k] = float(s8(w, k)) * d;
    }
}

/* Sub-block j (0..7) of a q4_k/q5_k block: 6-bit scale and min (engine/quants.h's
 * k4_scale_min). */
uvec2 k4_scale_min(uint scales, uint j) {
    if (j < 4u) return uvec2(ld8(scales + j) & 63u, ld8(scales + j + 4u) & 63u);
    const uint c = ld8(scales + j + 4u);
    return uvec2((c & 0xfu) | ((ld8(scales + j - 4u) >> 6) << 4),
                 (c >> 4) | ((ld8(scales + j) >> 6) << 4));
}

void deq_q4_k(uint row, uint u, out float v[32]) {
    const uint b = row + (u >> 3) * block_q4_k_size, j = u & 7u;
    const float d = ldh(b + block_q4_k_d), dmin = ldh(b + block_q4_k_dmin);
    const uvec2 sm = k4_scale_min(b + block_q4_k_scales, j);
    precise float ds = d * float(sm.x);
    precise float dm = dmin * float(sm.y);
    const uint qs = b + block_q4_k_qs + 32u * (j >> 1), sh = 4u * (j & 1u);
    UNROLL for (uint i = 0u; i < 8u; i++) {
        const uint w = ld32(qs + 4u * i) >> sh;
        UNROLL for (uint k = 0u; k < 4u; k++) {
            precise float y = ds * float((w >> (8u * k)) & 0xfu) - dm;
            v[4u * i + k] = y;
        }
    }
}

void deq_q5_k(uint row, uint u, out float v[32]) {
    const uint b = row + (u >> 3) * block_q5_k_size, j = u & 7u;
    const float d = ldh(b + block_q5_k_d), dmin = ldh(b + block_q5_k_dmin);
    const uvec2 sm = k4_scale_min(b + block_q5_k_scales, j);
    precise float ds = d * float(sm.x);
    precise float dm = dmin * float(sm.y);
    const uint qs = b + block_q5_k_qs + 32u * (j >> 1), sh = 4u * (j & 1u);
    UNROLL for (uint i = 0u; i < 8u; i++) {
        const uint w = ld32(qs + 4u * i) >> sh;
        const uint h = ld32(b + block_q5_k_qh + 4u * i) >> j;
        UNROLL for (uint k = 0u; k < 4u; k++) {
            const uint q = ((w >> (8u * k)) & 0xfu) | (((h >> (8u * k)) & 1u) << 4);
            precise float y = ds * float(q) - dm;
            v[4u * i + k] = y;
        }
    }
}

/* Unit u covers values 32 * (u % 8) .. + 31 of super-block u / 8: half h = (u % 8) / 4 of 128,
 * quarter kq = u % 4 within it, scales 2 * (u % 8) and the next. */
void deq_q6_k(uint row, uint u, out float v[32]) {
    const uint b = row + (u >> 3) * block_q6_k_size, s = u & 7u;
    const uint h = s >> 2, kq = s & 3u;
    const float d = ldh(b + block_q6_k_d);
    const uint sc = ld16(b + block_q6_k_scales + 2u * s);
    precise float ds0 = d * float(s8(sc, 0u));
    precise float ds1 = d * float(s8(sc, 1u));
    const uint ql = b + block_q6_k_ql + 64u * h + 32u * (kq & 1u), lsh = 4u * (kq >> 1);
    const uint qh = b + block_q6_k_qh + 32u * h, hsh = 2u * kq;
    UNROLL for (uint i = 0u; i < 8u; i++) {
        const uint wl = ld32(ql + 4u * i) >> lsh;
        const uint wh = ld32(qh + 4u * i) >> hsh;
        UNROLL for (uint k = 0u; k < 4u; k++) {
            const int q = int(((wl >> (8u * k)) & 0xfu) | (((wh >> (8u * k)) & 3u) << 4)) - 32;
            precise float y = (i < 4u ? ds0 : ds1) * float(q);
            v[4u * i + k] = y;
        }
    }
}

/* DEQ(row, u, v): the dequantizer of the type the shader is compiled for (TYPE_*). */
#if defined(TYPE_F32)
#define DEQ deq_f32
#elif defined(TYPE_F16)
#define DEQ deq_f16
#elif defined(TYPE_BF16)
#define DEQ deq_bf16
#elif defined(TYPE_Q4_0)
#define DEQ deq_q4_0
#elif defined(TYPE_Q4_1)
#define DEQ deq_q4_1
#elif defined(TYPE_Q5_0)
#define DEQ deq_q5_0
#elif defined(TYPE_Q5_1)
#define DEQ deq_q5_1
#elif defined(TYPE_Q8_0)
#define DEQ deq_q8_0
#elif defined(TYPE_Q4_K)
#define DEQ deq_q4_k
#elif defined(TYPE_Q5_K)
#define DEQ deq_q5_k
#elif defined(TYPE_Q6_K)
#define DEQ deq_q6_k
#endif

#endif

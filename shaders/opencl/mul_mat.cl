/* Kernels that read weights of any type: MUL_MAT (dst[m, n] f32 = w[k, m] . a[k, n] f32) and
 * GET_ROWS (y[:, i] = w[:, ids[i]] as f32). One program per weight type, chosen by the build
 * option -DTYPE_<NAME>=1 (backends/opencl/ops/mul_mat.c, get_rows.c); both ops share it, so
 * the block decoders below exist once.
 *
 * A tensor arrives as its buffer and a byte offset. Weights are read as bytes (GGUF blocks are
 * 18..210 bytes, not word-aligned); fp16 fields through vload_half (the host keeps every half
 * 2-byte aligned: all block sizes are even and rows start at even offsets), f32 weights
 * through float loads (4-byte aligned rows). Only OpenCL 1.2 is needed; GL_SUBGROUP (defined
 * by the device when its tier is on) switches the matrix-vector reductions to subgroup adds.
 *
 * Q4_0 and Q8_0 weights may come repacked at upload (-DGL_SOA=1, GL_LAYOUT_SOA in
 * engine/graph.h): the quants of every block first, 16 (32) bytes each, so one block's quants
 * are one (two) aligned uint4, then the fp16 scales. With -DGL_WIMG=1 the quants are read
 * through an image1d_buffer_t of RGBA32UI texels over the same memory (the texture path,
 * which Adreno serves from its L1), the scales still from the buffer.
 *
 * With -DGL_Q8ACT=1 (the device's int8dot tier, Q4_0 and Q8_0) the activations come
 * quantized to 8 bits per 32-value block (quantize.cl, the CPU's q8_0 rounding) and every
 * block's dot product is an exact int32 sum: dot_4x8packed_ss_int (cl_khr_integer_dot_product),
 * arm_dot (cl_arm_integer_dot_product_int8), or plain multiplies where neither is there.
 *
 * Every decoder yields one "unit" of 32 consecutive values of a row: a block of the 32-value
 * types, an eighth of a k-quant super-block, 32 values of f32/f16/bf16; lo = values 0..15,
 * hi = 16..31. Their arithmetic is engine/quants*.c's to_float in the same order, with
 * contraction off, so GET_ROWS matches the CPU bit for bit. */

#include "common.clh" /* USE_SUBGROUP: the subgroup extension, where the tier is on */

#pragma OPENCL FP_CONTRACT OFF

#define UNIT 32u

typedef global const uchar *wptr;

#if !defined(TYPE_F32) && !defined(TYPE_BF16)
/* The half at p (2-byte aligned). */
static inline float ldh(wptr p) {
    return vload_half(0, (global const half *)p);
}
#endif

#if defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
/* The little-endian uint at p (any alignment). */
static inline uint ld32(wptr p) {
    const uchar4 b = vload4(0, p);
    return (uint)b.s0 | (uint)b.s1 << 8 | (uint)b.s2 << 16 | (uint)b.s3 << 24;
}

/* Bit 4 of the 5-bit quants: bit j of qh for value j (j < 16) and bit j + 16 for value j + 16. */
static inline void bit4(uint qh, uint16 *lo, uint16 *hi) {
    const uint16 sh = (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    *lo = (((uint16)(qh) >> sh) & 1u) << 4;
    *hi = (((uint16)(qh) >> (sh + 16u)) & 1u) << 4;
}
#endif

#if defined(TYPE_F32)
#define BLOCK_VALUES 1u
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    global const float *p = (global const float *)row + u * UNIT;
    *lo = vload16(0, p);
    *hi = vload16(1, p);
}
static inline float value(wptr row, uint i) {
    return ((global const float *)row)[i];
}

#elif defined(TYPE_F16)
#define BLOCK_VALUES 1u
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    global const half *p = (global const half *)row + u * UNIT;
    *lo = vload_half16(0, p);
    *hi = vload_half16(1, p);
}
static inline float value(wptr row, uint i) {
    return ldh(row + 2u * i);
}

#elif defined(TYPE_BF16)
#define BLOCK_VALUES 1u
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    global const ushort *p = (global const ushort *)row + u * UNIT;
    *lo = as_float16(convert_uint16(vload16(0, p)) << 16);
    *hi = as_float16(convert_uint16(vload16(1, p)) << 16);
}
static inline float value(wptr row, uint i) {
    return as_float((uint)((global const ushort *)row)[i] << 16);
}

#elif defined(TYPE_Q4_0)
/* { half d; uchar qs[16]; }: d * (q - 8), low nibbles values 0..15, high nibbles 16..31 */
#define BLOCK_VALUES 32u
#define QBYTES 16u /* quant bytes of a block */
static inline void q4_0_values(float d, uchar16 qb, float16 *lo, float16 *hi) {
    const int16 q = convert_int16(qb);
    *lo = convert_float16((q & 15) - 8) * d;
    *hi = convert_float16((q >> 4) - 8) * d;
}
static inline float q4_0_quants(float d, uchar16 qb, char16 *lo, char16 *hi) {
    *lo = as_char16(qb & (uchar)15) - (char)8;
    *hi = as_char16(qb >> (uchar)4) - (char)8;
    return d;
}
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + u * 18u;
    q4_0_values(ldh(b), vload16(0, b + 2), lo, hi);
}
static inline float deq_i8(wptr row, uint u, char16 *lo, char16 *hi) {
    wptr b = row + u * 18u;
    return q4_0_quants(ldh(b), vload16(0, b + 2), lo, hi);
}

#elif defined(TYPE_Q4_1)
/* { half d, m; uchar qs[16]; }: d * q + m */
#define BLOCK_VALUES 32u
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + u * 20u;
    const float d = ldh(b), m = ldh(b + 2);
    const uint16 q = convert_uint16(vload16(0, b + 4));
    *lo = convert_float16(q & 15u) * d + m;
    *hi = convert_float16(q >> 4) * d + m;
}

#elif defined(TYPE_Q5_0)
/* { half d; uchar qh[4]; uchar qs[16]; }: d * (q - 16), q 5-bit */
#define BLOCK_VALUES 32u
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + u * 22u;
    const float d = ldh(b);
    uint16 h0, h1;
    bit4(ld32(b + 2), &h0, &h1);
    const uint16 q = convert_uint16(vload16(0, b + 6));
    *lo = convert_float16(convert_int16((q & 15u) | h0) - 16) * d;
    *hi = convert_float16(convert_int16((q >> 4) | h1) - 16) * d;
}

#elif defined(TYPE_Q5_1)
/* { half d, m; uchar qh[4]; uchar qs[16]; }: d * q + m, q 5-bit */
#define BLOCK_VALUES 32u
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + u * 24u;
    const float d = ldh(b), m = ldh(b + 2);
    uint16 h0, h1;
    bit4(ld32(b + 4), &h0, &h1);
    const uint16 q = convert_uint16(vload16(0, b + 8));
    *lo = convert_float16((q & 15u) | h0) * d + m;
    *hi = convert_float16((q >> 4) | h1) * d + m;
}

#elif defined(TYPE_Q8_0)
/* { half d; char qs[32]; }: d * q */
#define BLOCK_VALUES 32u
#define QBYTES 32u
static inline void q8_0_values(float d, char16 q0, char16 q1, float16 *lo, float16 *hi) {
    *lo = convert_float16(q0) * d;
    *hi = convert_float16(q1) * d;
}
static inline float q8_0_quants(float d, char16 q0, char16 q1, char16 *lo, char16 *hi) {
    *lo = q0;
    *hi = q1;
    return d;
}
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + u * 34u;
    global const char *q = (global const char *)(b + 2);
    q8_0_values(ldh(b), vload16(0, q), vload16(1, q), lo, hi);
}
static inline float deq_i8(wptr row, uint u, char16 *lo, char16 *hi) {
    wptr b = row + u * 34u;
    global const char *q = (global const char *)(b + 2);
    return q8_0_quants(ldh(b), vload16(0, q), vload16(1, q), lo, hi);
}

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
/* { half d, dmin; uchar scales[12]; [q5_K: uchar qh[32];] uchar qs[128]; }: sub-block j of 32
 * values is d * sc[j] * q - dmin * m[j] with 6-bit sc, m packed in scales; its quants are the
 * low (j even) or high (j odd) nibbles of qs[32 * (j / 2) ..]; q5_K's bit 4 is bit j of qh[l]. */
#define BLOCK_VALUES 256u
static inline uint2 k4_scale_min(wptr s, uint j) {
    if (j < 4u) return (uint2)(s[j] & 63u, s[j + 4u] & 63u);
    const uint c = s[j + 4u];
    return (uint2)((c & 15u) | (uint)(s[j - 4u] >> 6) << 4, (c >> 4) | (uint)(s[j] >> 6) << 4);
}
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
#if defined(TYPE_Q4_K)
    wptr b = row + (u >> 3) * 144u;
    wptr qs = b + 16u;
#else
    wptr b = row + (u >> 3) * 176u;
    wptr qs = b + 48u;
#endif
    const uint j = u & 7u, sh = 4u * (j & 1u);
    const float d = ldh(b), dmin = ldh(b + 2);
    const uint2 sm = k4_scale_min(b + 4, j);
    const float ds = d * (float)sm.x, dm = dmin * (float)sm.y;
    qs += 32u * (j >> 1);
    uint16 q0 = (convert_uint16(vload16(0, qs)) >> sh) & 15u;
    uint16 q1 = (convert_uint16(vload16(1, qs)) >> sh) & 15u;
#if defined(TYPE_Q5_K)
    q0 |= ((convert_uint16(vload16(0, b + 16)) >> j) & 1u) << 4;
    q1 |= ((convert_uint16(vload16(1, b + 16)) >> j) & 1u) << 4;
#endif
    *lo = ds * convert_float16(q0) - dm;
    *hi = ds * convert_float16(q1) - dm;
}

#elif defined(TYPE_Q6_K)
/* { uchar ql[128]; uchar qh[64]; char scales[16]; half d; }: value p = 128 h + 32 k + l is
 * d * scales[p / 16] * (q - 32), low bits nibble k / 2 of ql[64 h + 32 (k % 2) + l], top bits
 * bits 2k, 2k + 1 of qh[32 h + l]. Unit s = u % 8 is (h, k) = (s / 4, s % 4). */
#define BLOCK_VALUES 256u
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + (u >> 3) * 210u;
    const uint s = u & 7u, h = s >> 2, k = s & 3u;
    const float d = ldh(b + 208);
    global const char *sc = (global const char *)(b + 192);
    const float ds0 = d * (float)sc[2u * s], ds1 = d * (float)sc[2u * s + 1u];
    wptr ql = b + 64u * h + 32u * (k & 1u), qh = b + 128u + 32u * h;
    const uint lsh = 4u * (k >> 1), hsh = 2u * k;
    const int16 q0 = convert_int16(((convert_uint16(vload16(0, ql)) >> lsh) & 15u) |
                                   ((convert_uint16(vload16(0, qh)) >> hsh) & 3u) << 4) - 32;
    const int16 q1 = convert_int16(((convert_uint16(vload16(1, ql)) >> lsh) & 15u) |
                                   ((convert_uint16(vload16(1, qh)) >> hsh) & 3u) << 4) - 32;
    *lo = ds0 * convert_float16(q0);
    *hi = ds1 * convert_float16(q1);
}

#else
#error "build with -DTYPE_<NAME>=1"
#endif

/* ---- where a row's units come from -------------------------------------------------------- */
/* W_KARGS: the kernel arguments that carry the weights; W_SETUP: the pointers a function
 * derives from them; W_ROW(r): a handle on row r; DEQ / DEQ_I8 (handle, unit, lo, hi): a unit
 * as floats / as int8 quants (returning the block's scale). */
#if defined(GL_SOA)
#if !defined(TYPE_Q4_0) && !defined(TYPE_Q8_0)
#error "GL_SOA is a layout of Q4_0 and Q8_0 only"
#endif
typedef uint wrow; /* the row's first block */
#if defined(GL_WIMG)
#define W_KARGS                                                                                    \
    read_only image1d_buffer_t wimg, uint wimg_off, global const uchar *w, ulong w_off
#define W_PASS wimg, wimg_off, w, w_off
#define QTEXEL(i) read_imageui(wimg, (int)(wimg_off + (i)))
#define W_SETUP_Q
#else
#define W_KARGS global const uchar *w, ulong w_off
#define W_PASS w, w_off
#define QTEXEL(i) wq[i]
#define W_SETUP_Q global const uint4 *wq = (global const uint4 *)(w + w_off);
#endif
/* the scales follow the quants of all `rows` rows */
#define W_SETUP                                                                                    \
    global const half *ws = (global const half *)(w + w_off + (ulong)QBYTES * units * rows);   \
    W_SETUP_Q
#define W_ROW(r) ((r) * units)
#if defined(TYPE_Q4_0)
#define DEQ(r, u, lo, hi) q4_0_values(vload_half((r) + (u), ws), as_uchar16(QTEXEL((r) + (u))), lo, hi)
#define DEQ_I8(r, u, lo, hi)                                                                       \
    q4_0_quants(vload_half((r) + (u), ws), as_uchar16(QTEXEL((r) + (u))), lo, hi)
#else
#define DEQ(r, u, lo, hi)                                                                          \
    q8_0_values(vload_half((r) + (u), ws), as_char16(QTEXEL(2u * ((r) + (u)))),               \
                as_char16(QTEXEL(2u * ((r) + (u)) + 1u)), lo, hi)
#define DEQ_I8(r, u, lo, hi)                                                                       \
    q8_0_quants(vload_half((r) + (u), ws), as_char16(QTEXEL(2u * ((r) + (u)))),               \
                as_char16(QTEXEL(2u * ((r) + (u)) + 1u)), lo, hi)
#endif
#else
typedef wptr wrow; /* the row's first byte */
#define W_KARGS global const uchar *w, ulong w_off
#define W_PASS w, w_off
#define W_SETUP
#define W_ROW(r) (w + w_off + (ulong)(r) * w_row)
#define DEQ(r, u, lo, hi) deq(r, u, lo, hi)
#define DEQ_I8(r, u, lo, hi) deq_i8(r, u, lo, hi)
#endif

/* Below, the dot products may be contracted (fma is only more accurate). */
#pragma OPENCL FP_CONTRACT ON

static inline float hsum16(float16 v) {
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
}

/* Half arithmetic for the tiled kernel (the fp16 tier, GL_FP16; GL_FP16_EMU where tests force
 * the tier on a device without cl_khr_fp16: float values rounded to half after every operation,
 * as half arithmetic rounds them). The activation tile is stored as halves either way. */
#if defined(GL_FP16)
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#define TILE_HALF 1
typedef half16 h16;
static inline h16 to_h16(float16 v) {
    return convert_half16(v);
}
static inline h16 tile_h16(local const ushort *p) {
    return vload16(0, (local const half *)p);
}
static inline h16 h16_mad(h16 a, h16 b, h16 c) {
    return a * b + c;
}
static inline float h16_sum(h16 v) {
    return hsum16(convert_float16(v));
}
#elif defined(GL_FP16_EMU)
#define TILE_HALF 1
typedef float16 h16;
static inline h16 to_h16(float16 v) {
    ushort16 t;
    vstore_half16(v, 0, (private half *)&t);
    return vload_half16(0, (private const half *)&t);
}
static inline h16 tile_h16(local const ushort *p) {
    return vload_half16(0, (local const half *)p);
}
static inline h16 h16_mad(h16 a, h16 b, h16 c) {
    return to_h16(to_h16(a * b) + c);
}
static inline float h16_sum(h16 v) {
    return hsum16(v);
}
#else
#define TILE_HALF 0
#endif

#if defined(GL_Q8ACT)
#if !defined(TYPE_Q4_0) && !defined(TYPE_Q8_0)
#error "GL_Q8ACT is for Q4_0 and Q8_0 weights"
#endif
/* The exact int32 dot product of 16 int8 pairs. */
#if defined(GL_INT8DOT_KHR) && (defined(cl_khr_integer_dot_product) ||                         \
                                 defined(__opencl_c_integer_dot_product_input_4x8bit_packed))
#if defined(cl_khr_integer_dot_product)
#pragma OPENCL EXTENSION cl_khr_integer_dot_product : enable
#endif
static inline int idot16(char16 a, char16 b) {
    const uint4 x = as_uint4(a), y = as_uint4(b);
    return dot_4x8packed_ss_int(x.s0, y.s0) + dot_4x8packed_ss_int(x.s1, y.s1) +
           dot_4x8packed_ss_int(x.s2, y.s2) + dot_4x8packed_ss_int(x.s3, y.s3);
}
#elif defined(GL_INT8DOT_ARM) && defined(cl_arm_integer_dot_product_int8)
#pragma OPENCL EXTENSION cl_arm_integer_dot_product_int8 : enable
static inline int idot16(char16 a, char16 b) {
    return arm_dot(a.s0123, b.s0123) + arm_dot(a.s4567, b.s4567) + arm_dot(a.s89ab, b.s89ab) +
           arm_dot(a.scdef, b.scdef);
}
#else
/* no dot instruction (or the compiler does not expose it): 16-bit products, |p| <= 16256 */
static inline int idot16(char16 a, char16 b) {
    const int16 p = convert_int16(convert_short16(a) * convert_short16(b));
    const int8 s8 = p.lo + p.hi;
    const int4 s4 = s8.lo + s8.hi;
    const int2 s2 = s4.lo + s4.hi;
    return s2.x + s2.y;
}
#endif

/* One block: (d_w * d_a) * isum, the CPU's order. */
static inline float block_dot(float dw, char16 q0, char16 q1, float da, char16 x0, char16 x1) {
    return (dw * da) * (float)(idot16(q0, x0) + idot16(q1, x1));
}
#endif

/* ---- MUL_MAT ---------------------------------------------------------------------------- */
/* Common arguments: the weights (W_KARGS), a, a_off (bytes), dst, d_off (bytes), units (k / 32),
 * rows (m), n, w_row (bytes per row of w), a_stride, d_stride (floats between columns). With
 * GL_Q8ACT, a is the quantized activations: quants at a_buf + a_off, a_stride bytes per column,
 * and their fp16 scales `as_off` bytes further (one more argument), `units` per column. */
#if defined(GL_Q8ACT)
#define MM_Q8_ARG , ulong as_off
#define MM_Q8_PASS , as_off
#else
#define MM_Q8_ARG
#define MM_Q8_PASS
#endif
#define MM_ARGS                                                                                    \
    W_KARGS, global const uchar *a_buf, ulong a_off, global uchar *d_buf, ulong d_off,         \
        uint units, uint rows, uint n, ulong w_row, ulong a_stride, ulong d_stride MM_Q8_ARG
#define MM_PASS                                                                                    \
    W_PASS, a_buf, a_off, d_buf, d_off, units, rows, n, w_row, a_stride, d_stride MM_Q8_PASS

/* Matrix x vector, n = C <= 4 (decode): a work-group of MV_WG work-items computes R rows x C
 * columns; the work-items split k in units (adjacent items read adjacent blocks), each unit is
 * dequantized once and dotted with every column. At R > 1 the unit of activations, loaded once,
 * serves R rows (activation reads would otherwise outnumber weight bytes). Partial sums are
 * reduced by subgroup adds, then across subgroups, or by a local-memory tree. */
#define MV_WG 64u
#define MV_MAX 4u /* R * C */

/* Sums every item's acc[0 .. R * C) over the work-group; item t writes sum t: row r0 + t % R
 * of column t / R. */
static inline void mv_finish(const float *acc, local float *red, uint R, uint C, uint r0,
                             uint rows, global float *dst, ulong d_stride) {
    const uint t = get_local_id(0);
    float s = 0.0f;
#if USE_SUBGROUP
    const uint sg = get_sub_group_id(), ns = get_num_sub_groups();
    for (uint i = 0; i < R * C; i++) {
        const float v = sub_group_reduce_add(acc[i]);
        if (get_sub_group_local_id() == 0) red[i * MV_WG + sg] = v;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t < R * C) {
        for (uint g = 0; g < ns; g++) s += red[t * MV_WG + g];
    }
#else
    for (uint i = 0; i < R * C; i++) red[i * MV_WG + t] = acc[i];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint h = MV_WG / 2u; h > 0u; h >>= 1) {
        if (t < h) {
            for (uint i = 0; i < R * C; i++) red[i * MV_WG + t] += red[i * MV_WG + t + h];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t < R * C) s = red[t * MV_WG];
#endif
    if (t < R * C && r0 + t % R < rows) dst[(t / R) * d_stride + r0 + t % R] = s;
}

static inline void mul_mat_vec(MM_ARGS, local float *red, const uint R, const uint C) {
    W_SETUP
    const uint t = get_local_id(0);
    const uint r0 = get_group_id(0) * R;
#if defined(GL_Q8ACT)
    global const char *aq = (global const char *)(a_buf + a_off);
    global const half *as = (global const half *)(a_buf + a_off + as_off);
#else
    global const float *a = (global const float *)(a_buf + a_off);
#endif
    wrow rp[MV_MAX];
    float acc[MV_MAX];
    /* rows past the end repeat the last one; their sums are not written */
    for (uint rr = 0; rr < R; rr++) rp[rr] = W_ROW(min(r0 + rr, rows - 1u));
    for (uint i = 0; i < R * C; i++) acc[i] = 0.0f;

    for (uint u = t; u < units; u += MV_WG) {
#if defined(GL_Q8ACT)
        char16 q0, q1;
        if (R > 1) { /* C == 1: the activations stay in registers across the rows */
            const char16 x0 = vload16(0, aq + u * UNIT), x1 = vload16(1, aq + u * UNIT);
            const float dx = vload_half(u, as);
            for (uint rr = 0; rr < R; rr++) {
                const float dw = DEQ_I8(rp[rr], u, &q0, &q1);
                acc[rr] += block_dot(dw, q0, q1, dx, x0, x1);
            }
        } else {
            const float dw = DEQ_I8(rp[0], u, &q0, &q1);
            for (uint c = 0; c < C; c++) {
                global const char *xc = aq + c * a_stride + u * UNIT;
                acc[c] += block_dot(dw, q0, q1, vload_half(c * units + u, as), vload16(0, xc),
                                    vload16(1, xc));
            }
        }
#else
        float16 v0, v1;
        if (R > 1) { /* C == 1: the activations stay in registers across the rows */
            const float16 a0 = vload16(0, a + u * UNIT), a1 = vload16(1, a + u * UNIT);
            for (uint rr = 0; rr < R; rr++) {
                DEQ(rp[rr], u, &v0, &v1);
                acc[rr] += hsum16(v0 * a0 + v1 * a1);
            }
        } else {
            DEQ(rp[0], u, &v0, &v1);
            for (uint c = 0; c < C; c++) {
                global const float *ac = a + c * a_stride + u * UNIT;
                acc[c] += hsum16(v0 * vload16(0, ac) + v1 * vload16(1, ac));
            }
        }
#endif
    }
    mv_finish(acc, red, R, C, r0, rows, (global float *)(d_buf + d_off), d_stride);
}

#define MV_KERNEL(C, R)                                                                            \
    kernel __attribute__((reqd_work_group_size(MV_WG, 1, 1))) void mul_mat_vec##C(MM_ARGS) {       \
        local float red[MV_MAX * MV_WG];                                                           \
        mul_mat_vec(MM_PASS, red, R, C);                                                           \
    }
MV_KERNEL(1, 4)
MV_KERNEL(2, 1)
MV_KERNEL(3, 1)
MV_KERNEL(4, 1)

/* Tiled (n > 4, prefill): a work-group of MM_WG items computes MM_WG rows x MM_COLS columns,
 * one row per item. Weights go from memory straight to registers (Mali and Adreno have no
 * fast local memory to stage them in); MM_STAGE units of the MM_COLS activation columns sit in
 * local memory, read by every row: as floats; as int8 quants and their scales (GL_Q8ACT); or
 * as halves (TILE_HALF), each item then summing a stage's products per column in 16 half
 * lanes (8 products a lane) added to its float total once per stage: twice the ALU rate on
 * Adreno and Mali, half the local memory, and no half sum longer than 8 terms. */
#define MM_WG 64u
#define MM_COLS 8u
#define MM_STAGE 4u
#define MM_SPAN (MM_STAGE * UNIT) /* values of one column in the tile */

kernel __attribute__((reqd_work_group_size(MM_WG, 1, 1))) void mul_mat_tiled(MM_ARGS) {
#if defined(GL_Q8ACT)
    local char tile[MM_COLS * MM_SPAN];
    local float tile_d[MM_COLS * MM_STAGE]; /* the scales */
    global const char *aq = (global const char *)(a_buf + a_off);
    global const half *as = (global const half *)(a_buf + a_off + as_off);
#elif TILE_HALF
    local ushort tile[MM_COLS * MM_SPAN]; /* halves */
    global const float *a = (global const float *)(a_buf + a_off);
#else
    local float tile[MM_COLS * MM_SPAN];
    global const float *a = (global const float *)(a_buf + a_off);
#endif
    W_SETUP
    const uint t = get_local_id(0);
    const uint r = get_group_id(0) * MM_WG + t;
    const uint c0 = get_group_id(1) * MM_COLS;
    const bool live = r < rows;
    const wrow row = W_ROW(min(r, rows - 1u));

    float acc[MM_COLS];
    for (uint j = 0; j < MM_COLS; j++) acc[j] = 0.0f;
    for (uint u0 = 0; u0 < units; u0 += MM_STAGE) {
        barrier(CLK_LOCAL_MEM_FENCE);
#if defined(GL_Q8ACT)
        /* char16 e of the tile: column e / (MM_SPAN / 16), byte 16 * (e % (MM_SPAN / 16)) */
        for (uint e = t; e < MM_COLS * MM_SPAN / 16u; e += MM_WG) {
            const uint c = c0 + e / (MM_SPAN / 16u), o = 16u * (e % (MM_SPAN / 16u));
            char16 x = (char16)(0);
            if (c < n && u0 + o / UNIT < units) x = vload16(0, aq + c * a_stride + u0 * UNIT + o);
            vstore16(x, 0, tile + 16u * e);
        }
        for (uint e = t; e < MM_COLS * MM_STAGE; e += MM_WG) {
            const uint c = c0 + e / MM_STAGE, uu = e % MM_STAGE;
            tile_d[e] = c < n && u0 + uu < units ? vload_half(c * units + u0 + uu, as) : 0.0f;
        }
#else
        /* float4 e of the tile: column e / (MM_SPAN / 4), unit u0 + (e % (MM_SPAN / 4)) / 8 */
        for (uint e = t; e < MM_COLS * MM_SPAN / 4u; e += MM_WG) {
            const uint c = c0 + e / (MM_SPAN / 4u), o = 4u * (e % (MM_SPAN / 4u));
            float4 x = (float4)(0.0f);
            if (c < n && u0 + o / UNIT < units) x = vload4(0, a + c * a_stride + u0 * UNIT + o);
#if TILE_HALF
            vstore_half4(x, 0, (local half *)(tile + 4u * e));
#else
            vstore4(x, 0, tile + 4u * e);
#endif
        }
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
        if (!live) continue;
        const uint nu = min(MM_STAGE, units - u0);
#if defined(GL_Q8ACT)
        for (uint uu = 0; uu < nu; uu++) {
            char16 q0, q1;
            const float dw = DEQ_I8(row, u0 + uu, &q0, &q1);
            for (uint j = 0; j < MM_COLS; j++) {
                local const char *x = tile + j * MM_SPAN + uu * UNIT;
                acc[j] += block_dot(dw, q0, q1, tile_d[j * MM_STAGE + uu], vload16(0, x),
                                    vload16(1, x));
            }
        }
#elif TILE_HALF
        h16 hs[MM_COLS];
        for (uint j = 0; j < MM_COLS; j++) hs[j] = (h16)(0);
        for (uint uu = 0; uu < nu; uu++) {
            float16 v0, v1;
            DEQ(row, u0 + uu, &v0, &v1);
            const h16 w0 = to_h16(v0), w1 = to_h16(v1);
            for (uint j = 0; j < MM_COLS; j++) {
                local const ushort *x = tile + j * MM_SPAN + uu * UNIT;
                hs[j] = h16_mad(w1, tile_h16(x + 16), h16_mad(w0, tile_h16(x), hs[j]));
            }
        }
        for (uint j = 0; j < MM_COLS; j++) acc[j] += h16_sum(hs[j]);
#else
        for (uint uu = 0; uu < nu; uu++) {
            float16 v0, v1;
            DEQ(row, u0 + uu, &v0, &v1);
            for (uint j = 0; j < MM_COLS; j++) {
                local const float *x = tile + j * MM_SPAN + uu * UNIT;
                acc[j] += hsum16(v0 * vload16(0, x) + v1 * vload16(1, x));
            }
        }
#endif
    }
    if (!live) return;
    global float *dst = (global float *)(d_buf + d_off);
    for (uint j = 0; j < MM_COLS; j++) {
        if (c0 + j < n) dst[(c0 + j) * d_stride + r] = acc[j];
    }
}

/* ---- GET_ROWS --------------------------------------------------------------------------- */
/* y[:, i] = w[:, ids[i]]: item (x, i) writes unit x (32 values) of output row i. Plain types
 * may have rows that are not a multiple of 32 (their last unit goes value by value); quant rows
 * are whole blocks. An id out of range reads row 0, as the CPU does (ids are validated by the
 * session). GGUF layout only (repacked weights feed MUL_MAT alone). */
#if !defined(GL_SOA)
kernel void get_rows(global const uchar *w, ulong w_off, global const uchar *ids_buf,
                     ulong ids_off, global uchar *y_buf, ulong y_off, uint ne0, uint n,
                     uint n_rows, ulong w_nb1, ulong y_nb1) {
    const uint x = get_global_id(0), i = get_global_id(1);
    if (i >= n || x * UNIT >= ne0) return;
    int id = ((global const int *)(ids_buf + ids_off))[i];
    if (id < 0 || (uint)id >= n_rows) id = 0;
    wptr row = w + w_off + (ulong)id * w_nb1;
    global float *y = (global float *)(y_buf + y_off + (ulong)i * y_nb1);
#if BLOCK_VALUES == 1u
    if ((x + 1u) * UNIT > ne0) {
        for (uint e = x * UNIT; e < ne0; e++) y[e] = value(row, e);
        return;
    }
#endif
    float16 v0, v1;
    deq(row, x, &v0, &v1);
    vstore16(v0, 0, y + x * UNIT);
    vstore16(v1, 1, y + x * UNIT);
}
#endif

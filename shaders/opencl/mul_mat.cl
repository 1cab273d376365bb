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
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + u * 18u;
    const float d = ldh(b);
    const int16 q = convert_int16(vload16(0, b + 2));
    *lo = convert_float16((q & 15) - 8) * d;
    *hi = convert_float16((q >> 4) - 8) * d;
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
static inline void deq(wptr row, uint u, float16 *lo, float16 *hi) {
    wptr b = row + u * 34u;
    const float d = ldh(b);
    global const char *q = (global const char *)(b + 2);
    *lo = convert_float16(vload16(0, q)) * d;
    *hi = convert_float16(vload16(1, q)) * d;
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

/* Below, the dot products may be contracted (fma is only more accurate). */
#pragma OPENCL FP_CONTRACT ON

static inline float hsum16(float16 v) {
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
}

/* ---- MUL_MAT ---------------------------------------------------------------------------- */
/* Common arguments: w, w_off (bytes), a, a_off (bytes), dst, d_off (bytes), units (k / 32),
 * rows (m), n, w_row (bytes per row of w), a_stride, d_stride (floats between columns). */
#define MM_ARGS                                                                                    \
    global const uchar *w, ulong w_off, global const uchar *a_buf, ulong a_off,                   \
        global uchar *d_buf, ulong d_off, uint units, uint rows, uint n, ulong w_row,             \
        ulong a_stride, ulong d_stride

/* Matrix x vector, n = C <= 4 (decode): a work-group of MV_WG work-items computes R rows x C
 * columns; the work-items split k in units (adjacent items read adjacent blocks), each unit is
 * dequantized once and dotted with every column. At R > 1 the unit of activations, loaded once,
 * serves R rows (activation reads would otherwise outnumber weight bytes). Partial sums are
 * reduced by subgroup adds, then across subgroups, or by a local-memory tree. */
#define MV_WG 64u
#define MV_MAX 4u /* R * C */

static inline void mul_mat_vec(MM_ARGS, local float *red, const uint R, const uint C) {
    const uint t = get_local_id(0);
    const uint r0 = get_group_id(0) * R;
    global const float *a = (global const float *)(a_buf + a_off);
    global float *dst = (global float *)(d_buf + d_off);
    wptr rp[MV_MAX];
    float acc[MV_MAX];
    for (uint rr = 0; rr < R; rr++) {
        /* rows past the end repeat the last one; their sums are not written */
        rp[rr] = w + w_off + (ulong)min(r0 + rr, rows - 1u) * w_row;
    }
    for (uint i = 0; i < R * C; i++) acc[i] = 0.0f;

    for (uint u = t; u < units; u += MV_WG) {
        float16 v0, v1;
        if (R > 1) { /* C == 1: the activations stay in registers across the rows */
            const float16 a0 = vload16(0, a + u * UNIT), a1 = vload16(1, a + u * UNIT);
            for (uint rr = 0; rr < R; rr++) {
                deq(rp[rr], u, &v0, &v1);
                acc[rr] += hsum16(v0 * a0 + v1 * a1);
            }
        } else {
            deq(rp[0], u, &v0, &v1);
            for (uint c = 0; c < C; c++) {
                global const float *ac = a + c * a_stride + u * UNIT;
                acc[c] += hsum16(v0 * vload16(0, ac) + v1 * vload16(1, ac));
            }
        }
    }

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
    /* item t writes sum t: row r0 + t % R of column t / R */
    if (t < R * C && r0 + t % R < rows) dst[(t / R) * d_stride + r0 + t % R] = s;
}

#define MV_KERNEL(C, R)                                                                            \
    kernel __attribute__((reqd_work_group_size(MV_WG, 1, 1))) void mul_mat_vec##C(MM_ARGS) {       \
        local float red[MV_MAX * MV_WG];                                                           \
        mul_mat_vec(w, w_off, a_buf, a_off, d_buf, d_off, units, rows, n, w_row, a_stride,        \
                    d_stride, red, R, C);                                                          \
    }
MV_KERNEL(1, 4)
MV_KERNEL(2, 1)
MV_KERNEL(3, 1)
MV_KERNEL(4, 1)

/* Tiled (n > 4, prefill): a work-group of MM_WG items computes MM_WG rows x MM_COLS columns,
 * one row per item. Weights go from memory straight to registers (Mali and Adreno have no
 * fast local memory to stage them in); MM_STAGE units of the MM_COLS activation columns sit in
 * local memory, read by every row. */
#define MM_WG 64u
#define MM_COLS 8u
#define MM_STAGE 4u
#define MM_SPAN (MM_STAGE * UNIT) /* floats of one column in the tile */

kernel __attribute__((reqd_work_group_size(MM_WG, 1, 1))) void mul_mat_tiled(MM_ARGS) {
    local float tile[MM_COLS * MM_SPAN];
    const uint t = get_local_id(0);
    const uint r = get_group_id(0) * MM_WG + t;
    const uint c0 = get_group_id(1) * MM_COLS;
    const bool live = r < rows;
    global const float *a = (global const float *)(a_buf + a_off);
    global float *dst = (global float *)(d_buf + d_off);
    wptr row = w + w_off + (ulong)min(r, rows - 1u) * w_row;

    float acc[MM_COLS];
    for (uint j = 0; j < MM_COLS; j++) acc[j] = 0.0f;
    for (uint u0 = 0; u0 < units; u0 += MM_STAGE) {
        barrier(CLK_LOCAL_MEM_FENCE);
        /* float4 e of the tile: column e / (MM_SPAN / 4), unit u0 + (e % (MM_SPAN / 4)) / 8 */
        for (uint e = t; e < MM_COLS * MM_SPAN / 4u; e += MM_WG) {
            const uint c = c0 + e / (MM_SPAN / 4u), o = 4u * (e % (MM_SPAN / 4u));
            float4 x = (float4)(0.0f);
            if (c < n && u0 + o / UNIT < units) x = vload4(0, a + c * a_stride + u0 * UNIT + o);
            vstore4(x, 0, tile + 4u * e);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (live) {
            const uint nu = min(MM_STAGE, units - u0);
            for (uint uu = 0; uu < nu; uu++) {
                float16 v0, v1;
                deq(row, u0 + uu, &v0, &v1);
                for (uint j = 0; j < MM_COLS; j++) {
                    local const float *x = tile + j * MM_SPAN + uu * UNIT;
                    acc[j] += hsum16(v0 * vload16(0, x) + v1 * vload16(1, x));
                }
            }
        }
    }
    if (!live) return;
    for (uint j = 0; j < MM_COLS; j++) {
        if (c0 + j < n) dst[(c0 + j) * d_stride + r] = acc[j];
    }
}

/* ---- GET_ROWS --------------------------------------------------------------------------- */
/* y[:, i] = w[:, ids[i]]: item (x, i) writes unit x (32 values) of output row i. Plain types
 * may have rows that are not a multiple of 32 (their last unit goes value by value); quant rows
 * are whole blocks. An id out of range reads row 0, as the CPU does (ids are validated by the
 * session). */
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

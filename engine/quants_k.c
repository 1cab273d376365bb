/* Scalar references for the 256-value k-quant super-blocks.
 *
 * Layouts (what the unpack functions below decode):
 * - q4_k: value = d * sc[j] * q - dmin * m[j], j = the 32-value sub-block (0..7), q 4-bit.
 *   qs byte 32 * p + l holds weight 64 * p + l (low nibble) and 64 * p + 32 + l (high).
 * - q5_k: as q4_k with q 5-bit: bit 4 of weight 32 * j + l is bit j of qh[l].
 * - q6_k: value = d * scales[p / 16] * (q - 32), q 6-bit. For weight p = 128 * h + 32 * k + l
 *   (h 0..1, k 0..3, l 0..31) the low four bits are nibble k / 2 of ql[64 * h + 32 * (k % 2) + l]
 *   and the top two bits are bits 2k..2k+1 of qh[32 * h + l].
 * - q8_k: value = d * q (f32 d, q in -127..127); bsums[i] = sum of q[16 i .. 16 i + 15].
 *
 * q8_k quantizes like ggml's reference (activations must match bit for bit): m = the value of
 * largest magnitude (first on ties), iscale = -127 / m, q = min(127, nearest_int(iscale * x))
 * with ties to even, d = 1 / iscale (so d < 0 when m > 0); an all-zero block is all zeros.
 *
 * The q4_k/q5_k/q6_k quantizers are Glint's own: per sub-block a search over candidate scales
 * (each followed by a weighted least-squares fit of scale and min to the rounded quants), then
 * 6-bit (8-bit for q6_k) quantization of the sub-block scales against one fp16 super-scale, then
 * for each sub-block a search of its quantized scale (and min) +-1 with the quants re-rounded,
 * keeping the pair with the least weighted squared error of the values the block will decode to.
 */
#include "quants.h"

#include <math.h>

/* ---- unpacking ---------------------------------------------------------------------------- */

void gl_k4_pack_scales(const uint8_t sc[8], const uint8_t m[8], uint8_t scales[GL_K_SCALE_SIZE]) {
    for (int j = 0; j < 4; j++) {
        scales[j] = (uint8_t)((sc[j] & 63) | (sc[j + 4] >> 4) << 6);
        scales[j + 4] = (uint8_t)((m[j] & 63) | (m[j + 4] >> 4) << 6);
        scales[j + 8] = (uint8_t)((sc[j + 4] & 0xf) | (m[j + 4] & 0xf) << 4);
    }
}

void gl_q4_k_unpack(const gl_block_q4_k *b, uint8_t q[GL_QK_K], uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 8; j++) {
        gl_k4_scale_min(j, b->scales, &sc[j], &m[j]);
        const uint8_t *qs = b->qs + 32 * (j / 2);
        const int shift = 4 * (j & 1);
        for (int l = 0; l < 32; l++) q[32 * j + l] = (uint8_t)((qs[l] >> shift) & 0xf);
    }
}

void gl_q5_k_unpack(const gl_block_q5_k *b, uint8_t q[GL_QK_K], uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 8; j++) {
        gl_k4_scale_min(j, b->scales, &sc[j], &m[j]);
        const uint8_t *qs = b->qs + 32 * (j / 2);
        const int shift = 4 * (j & 1);
        for (int l = 0; l < 32; l++) {
            q[32 * j + l] = (uint8_t)(((qs[l] >> shift) & 0xf) | ((b->qh[l] >> j) & 1) << 4);
        }
    }
}

void gl_q6_k_unpack(const gl_block_q6_k *b, int8_t q[GL_QK_K]) {
    for (int p = 0; p < GL_QK_K; p++) {
        const int h = p / 128, k = (p % 128) / 32, l = p % 32;
        const int lo = (b->ql[64 * h + 32 * (k % 2) + l] >> (4 * (k / 2))) & 0xf;
        const int hi = (b->qh[32 * h + l] >> (2 * k)) & 3;
        q[p] = (int8_t)((lo | hi << 4) - 32);
    }
}

/* ---- dequantize --------------------------------------------------------------------------- */

void gl_q4_k_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q4_k *x = vx;
    uint8_t q[GL_QK_K], sc[8], m[8];
    for (int64_t i = 0; i < n / GL_QK_K; i++, y += GL_QK_K) {
        gl_q4_k_unpack(&x[i], q, sc, m);
        const float d = gl_fp16_to_f32(x[i].d), dmin = gl_fp16_to_f32(x[i].dmin);
        for (int j = 0; j < 8; j++) {
            const float ds = d * (float)sc[j], dm = dmin * (float)m[j];
            for (int l = 0; l < 32; l++) y[32 * j + l] = ds * (float)q[32 * j + l] - dm;
        }
    }
}

void gl_q5_k_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q5_k *x = vx;
    uint8_t q[GL_QK_K], sc[8], m[8];
    for (int64_t i = 0; i < n / GL_QK_K; i++, y += GL_QK_K) {
        gl_q5_k_unpack(&x[i], q, sc, m);
        const float d = gl_fp16_to_f32(x[i].d), dmin = gl_fp16_to_f32(x[i].dmin);
        for (int j = 0; j < 8; j++) {
            const float ds = d * (float)sc[j], dm = dmin * (float)m[j];
            for (int l = 0; l < 32; l++) y[32 * j + l] = ds * (float)q[32 * j + l] - dm;
        }
    }
}

void gl_q6_k_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q6_k *x = vx;
    int8_t q[GL_QK_K];
    for (int64_t i = 0; i < n / GL_QK_K; i++, y += GL_QK_K) {
        gl_q6_k_unpack(&x[i], q);
        const float d = gl_fp16_to_f32(x[i].d);
        for (int j = 0; j < 16; j++) {
            const float ds = d * (float)x[i].scales[j];
            for (int l = 0; l < 16; l++) y[16 * j + l] = ds * (float)q[16 * j + l];
        }
    }
}

void gl_q8_k_to_float_ref(const void *vx, float *y, int64_t n) {
    const gl_block_q8_k *x = vx;
    for (int64_t i = 0; i < n / GL_QK_K; i++, y += GL_QK_K) {
        for (int j = 0; j < GL_QK_K; j++) y[j] = x[i].d * (float)x[i].qs[j];
    }
}

/* ---- dot products against q8_k ------------------------------------------------------------ */
/* Per super-block, with exact int32 sums:
 *   q4_k/q5_k: isum = sum_j sc[j] * dot(q_j, a_j), msum = sum_j m[j] * (bsums[2j] + bsums[2j+1])
 *              sum += (d * ya.d) * isum - (dmin * ya.d) * msum
 *   q6_k:      isum = sum_j scales[j] * dot(q_j - 32, a_j) over the 16-value sub-blocks
 *              sum += (d * ya.d) * isum */

void gl_vec_dot_q4_k_q8_k_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q4_k *x = vx;
    const gl_block_q8_k *y = vy;
    uint8_t q[GL_QK_K], sc[8], m[8];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        gl_q4_k_unpack(&x[i], q, sc, m);
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < 8; j++) {
            int32_t dot = 0;
            for (int l = 0; l < 32; l++) dot += q[32 * j + l] * y[i].qs[32 * j + l];
            isum += sc[j] * dot;
            msum += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
        }
        sum += (gl_fp16_to_f32(x[i].d) * y[i].d) * (float)isum -
               (gl_fp16_to_f32(x[i].dmin) * y[i].d) * (float)msum;
    }
    *s = sum;
}

void gl_vec_dot_q5_k_q8_k_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q5_k *x = vx;
    const gl_block_q8_k *y = vy;
    uint8_t q[GL_QK_K], sc[8], m[8];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        gl_q5_k_unpack(&x[i], q, sc, m);
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < 8; j++) {
            int32_t dot = 0;
            for (int l = 0; l < 32; l++) dot += q[32 * j + l] * y[i].qs[32 * j + l];
            isum += sc[j] * dot;
            msum += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
        }
        sum += (gl_fp16_to_f32(x[i].d) * y[i].d) * (float)isum -
               (gl_fp16_to_f32(x[i].dmin) * y[i].d) * (float)msum;
    }
    *s = sum;
}

void gl_vec_dot_q6_k_q8_k_ref(int64_t n, float *s, const void *vx, const void *vy) {
    const gl_block_q6_k *x = vx;
    const gl_block_q8_k *y = vy;
    int8_t q[GL_QK_K];
    float sum = 0.0f;
    for (int64_t i = 0; i < n / GL_QK_K; i++) {
        gl_q6_k_unpack(&x[i], q);
        int32_t isum = 0;
        for (int j = 0; j < 16; j++) {
            int32_t dot = 0;
            for (int l = 0; l < 16; l++) dot += q[16 * j + l] * y[i].qs[16 * j + l];
            isum += x[i].scales[j] * dot;
        }
        sum += (gl_fp16_to_f32(x[i].d) * y[i].d) * (float)isum;
    }
    *s = sum;
}

/* ---- q8_k (activations) ------------------------------------------------------------------- */

void gl_q8_k_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q8_k *y = vy;
    for (int64_t i = 0; i < n / GL_QK_K; i++, x += GL_QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < GL_QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < GL_QK_K; j++) {
            const int v = gl_nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
        }
        for (int j = 0; j < GL_QK_K / 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[16 * j + l];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1.0f / iscale;
    }
}

/* ---- k-quant weight quantizers ------------------------------------------------------------ */

/* Clamped round-to-nearest-even of a quant; nan goes to lo. */
static inline int quant_clamp(float v, int lo, int hi) {
    if (!(v > (float)lo)) return lo;
    if (v >= (float)hi) return hi;
    return gl_nearest_int(v);
}

/* Rounds x to the grid L = clamp(round(iscale * (x + off)), 0, nmax), then fits s >= 0 and
 * m >= 0 to x ~ s * L - m by weighted least squares (through the origin if the free fit wants
 * m < 0, which the format cannot store). Returns the fit's weighted squared error, or INFINITY
 * when the grid is degenerate. One pass: the error comes from the sums in closed form. */
static float fit_grid(int n, int nmax, const float *x, const float *w, float iscale, float off,
                      float *s_out, float *m_out) {
    /* double sums: the closed-form error below cancels to a small difference of large terms */
    double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        const double l = quant_clamp(iscale * (x[i] + off), 0, nmax);
        const double wi = w[i], xi = x[i];
        sw += wi;
        sl += wi * l;
        sll += wi * l * l;
        sx += wi * xi;
        slx += wi * l * xi;
        sxx += wi * xi * xi;
    }
    const double det = sw * sll - sl * sl;
    if (!(det > 0.0)) return INFINITY;
    double sc = (sw * slx - sl * sx) / det;
    double b = (sll * sx - sl * slx) / det;
    if (b > 0.0) {
        b = 0.0;
        sc = slx / sll;
    }
    if (!(sc > 0.0)) return INFINITY;
    /* sum w (sc * l + b - x)^2 expanded */
    const double e =
        sc * sc * sll + b * b * sw + sxx + 2.0 * sc * b * sl - 2.0 * sc * slx - 2.0 * b * sx;
    *s_out = (float)sc;
    *m_out = (float)-b;
    return e > 0.0 ? (float)e : 0.0f;
}

/* Sub-block scale s >= 0 and min m >= 0 with x ~ s * L - m, L in 0..nmax, minimizing the
 * weighted squared error over a set of candidate grids. */
static void search_affine(int n, int nmax, const float *x, const float *w, float *s_out,
                          float *m_out) {
    float lo = x[0], hi = x[0];
    for (int i = 1; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    if (lo > 0.0f) lo = 0.0f;
    if (!(hi > lo)) { /* constant block <= 0 (or nan): all quants 0 */
        *s_out = 0.0f;
        *m_out = lo == lo ? -lo : 0.0f;
        return;
    }
    float best_s = (hi - lo) / (float)nmax, best_m = -lo, best_e = INFINITY;
    /* candidate grids: the range [lo, hi] split into nmax - 1 .. nmax + 1 steps */
    for (int k = -10; k <= 10; k++) {
        const float iscale = ((float)nmax + 0.1f * (float)k) / (hi - lo);
        float sc, m;
        const float e = fit_grid(n, nmax, x, w, iscale, -lo, &sc, &m);
        if (e < best_e) {
            best_e = e;
            best_s = sc;
            best_m = m;
        }
    }
    /* re-round to the fitted grid and refit while that helps */
    for (int it = 0; it < 3 && best_e < INFINITY; it++) {
        float sc, m;
        const float e = fit_grid(n, nmax, x, w, 1.0f / best_s, best_m, &sc, &m);
        if (!(e < best_e)) break;
        best_e = e;
        best_s = sc;
        best_m = m;
    }
    *s_out = best_s;
    *m_out = best_m;
}

/* Weighted squared error of one sub-block decoded with effective scale ds and min dm, its quants
 * re-rounded to that grid (written to L). */
static float affine_requant(int n, int nmax, const float *x, const float *w, float ds, float dm,
                            uint8_t *L) {
    const float ids = ds > 0.0f ? 1.0f / ds : 0.0f;
    float e = 0;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)quant_clamp((x[i] + dm) * ids, 0, nmax);
        const float diff = ds * (float)L[i] - dm - x[i];
        e += w[i] * diff * diff;
    }
    return e;
}

/* Weight of each value in the squared error the searches minimize. Uniform: for activations
 * with no known structure the expected squared error of a dot product is proportional to the
 * plain squared error of the weights (measured: uniform beats |x|- or x^2-emphasis in RMS on
 * Gaussian and on the synthetic models). The hook is where an importance matrix would go. */
static void importance(int n, const float *x, float *w) {
    (void)x;
    for (int i = 0; i < n; i++) w[i] = 1.0f;
}

/* One q4_k/q5_k super-block: fills d, dmin, scales and L[256] (quants 0..nmax). */
static void quantize_k4_block(const float *x, int nmax, gl_fp16 *d_out, gl_fp16 *dmin_out,
                              uint8_t scales[GL_K_SCALE_SIZE], uint8_t L[GL_QK_K]) {
    float w[GL_QK_K], s[8], m[8];
    importance(GL_QK_K, x, w);
    float max_s = 0, max_m = 0;
    for (int j = 0; j < 8; j++) {
        search_affine(32, nmax, x + 32 * j, w + 32 * j, &s[j], &m[j]);
        max_s = s[j] > max_s ? s[j] : max_s;
        max_m = m[j] > max_m ? m[j] : max_m;
    }
    *d_out = gl_f32_to_fp16(max_s / 63.0f);
    *dmin_out = gl_f32_to_fp16(max_m / 63.0f);
    const float d = gl_fp16_to_f32(*d_out), dmin = gl_fp16_to_f32(*dmin_out);
    uint8_t sc[8], mc[8], tmp[32];
    for (int j = 0; j < 8; j++) {
        const int sc0 = d > 0.0f ? quant_clamp(s[j] / d, 0, 63) : 0;
        const int mc0 = dmin > 0.0f ? quant_clamp(m[j] / dmin, 0, 63) : 0;
        float best = INFINITY;
        sc[j] = (uint8_t)sc0;
        mc[j] = (uint8_t)mc0;
        for (int a = sc0 - 1; a <= sc0 + 1; a++) {
            for (int b = mc0 - 1; b <= mc0 + 1; b++) {
                if (a < 0 || a > 63 || b < 0 || b > 63) continue;
                const float e = affine_requant(32, nmax, x + 32 * j, w + 32 * j, d * (float)a,
                                               dmin * (float)b, tmp);
                if (e < best || (e == best && a == sc0 && b == mc0)) {
                    best = e;
                    sc[j] = (uint8_t)a;
                    mc[j] = (uint8_t)b;
                    memcpy(L + 32 * j, tmp, 32);
                }
            }
        }
        if (!(best < INFINITY)) memset(L + 32 * j, 0, 32); /* nan input */
    }
    gl_k4_pack_scales(sc, mc, scales);
}

void gl_q4_k_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q4_k *y = vy;
    uint8_t L[GL_QK_K];
    for (int64_t i = 0; i < n / GL_QK_K; i++, x += GL_QK_K) {
        quantize_k4_block(x, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                y[i].qs[32 * p + l] = (uint8_t)(L[64 * p + l] | L[64 * p + 32 + l] << 4);
            }
        }
    }
}

void gl_q5_k_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q5_k *y = vy;
    uint8_t L[GL_QK_K];
    for (int64_t i = 0; i < n / GL_QK_K; i++, x += GL_QK_K) {
        quantize_k4_block(x, 31, &y[i].d, &y[i].dmin, y[i].scales, L);
        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                const uint8_t a = L[64 * p + l], b = L[64 * p + 32 + l];
                y[i].qs[32 * p + l] = (uint8_t)((a & 0xf) | (b & 0xf) << 4);
            }
        }
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 32; l++) y[i].qh[l] |= (uint8_t)((L[32 * j + l] >> 4) << j);
        }
    }
}

/* Sub-block scale s (either sign) with x ~ s * L, L in -32..31, minimizing the weighted squared
 * error over candidate grids that put the largest value near -32 or near +31. */
static float search_sym(int n, const float *x, const float *w) {
    float amax = 0, max = 0;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            max = x[i];
        }
    }
    if (!(amax > 0.0f)) return 0.0f;
    float best_s = max / -32.0f, best_e = INFINITY;
    for (int side = 0; side < 2; side++) {
        for (int k = -10; k <= 10; k++) {
            const float top = side == 0 ? -32.0f - 0.1f * (float)k : 31.0f + 0.1f * (float)k;
            const float iscale = top / max;
            double sxl = 0, sll = 0, sxx = 0;
            for (int i = 0; i < n; i++) {
                const double l = quant_clamp(iscale * x[i], -32, 31);
                sxl += w[i] * x[i] * l;
                sll += w[i] * l * l;
                sxx += w[i] * x[i] * x[i];
            }
            if (!(sll > 0.0)) continue;
            /* least-squares scale for this grid and its error, sum w (s l - x)^2 */
            const double e = sxx - sxl * sxl / sll;
            if (e < best_e) {
                best_e = (float)e;
                best_s = (float)(sxl / sll);
            }
        }
    }
    /* re-round to the fitted scale and refit while that helps */
    for (int it = 0; it < 3; it++) {
        const float iscale = 1.0f / best_s;
        double sxl = 0, sll = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            const double l = quant_clamp(iscale * x[i], -32, 31);
            sxl += w[i] * x[i] * l;
            sll += w[i] * l * l;
            sxx += w[i] * x[i] * x[i];
        }
        if (!(sll > 0.0)) break;
        const double e = sxx - sxl * sxl / sll;
        if (!(e < best_e)) break;
        best_e = (float)e;
        best_s = (float)(sxl / sll);
    }
    return best_s;
}

void gl_q6_k_from_float_ref(const float *x, void *vy, int64_t n) {
    gl_block_q6_k *y = vy;
    for (int64_t i = 0; i < n / GL_QK_K; i++, x += GL_QK_K) {
        float w[GL_QK_K], s[16];
        importance(GL_QK_K, x, w);
        float smax = 0;
        for (int j = 0; j < 16; j++) {
            s[j] = search_sym(16, x + 16 * j, w + 16 * j);
            smax = fabsf(s[j]) > fabsf(smax) ? s[j] : smax;
        }
        /* the largest sub-scale maps to -128, the one value int8 has beyond +-127 */
        y[i].d = gl_f32_to_fp16(smax / -128.0f);
        const float d = gl_fp16_to_f32(y[i].d);
        int8_t L[GL_QK_K];
        for (int j = 0; j < 16; j++) {
            const int sc0 = d != 0.0f ? quant_clamp(s[j] / d, -128, 127) : 0;
            float best = INFINITY;
            int best_sc = sc0;
            for (int a = sc0 - 1; a <= sc0 + 1; a++) {
                if (a < -128 || a > 127) continue;
                const float ds = d * (float)a;
                float e = 0;
                for (int l = 0; l < 16; l++) {
                    const int q = ds != 0.0f ? quant_clamp(x[16 * j + l] / ds, -32, 31) : 0;
                    const float diff = ds * (float)q - x[16 * j + l];
                    e += w[16 * j + l] * diff * diff;
                }
                if (e < best || (e == best && a == sc0)) {
                    best = e;
                    best_sc = a;
                }
            }
            y[i].scales[j] = (int8_t)best_sc;
            const float ds = d * (float)best_sc;
            for (int l = 0; l < 16; l++) {
                L[16 * j + l] = (int8_t)(ds != 0.0f ? quant_clamp(x[16 * j + l] / ds, -32, 31) : 0);
            }
        }
        for (int p = 0; p < GL_QK_K; p++) {
            const int h = p / 128, k = (p % 128) / 32, l = p % 32;
            const int q = L[p] + 32;
            uint8_t *lo = &y[i].ql[64 * h + 32 * (k % 2) + l];
            uint8_t *hi = &y[i].qh[32 * h + l];
            if (k < 2) *lo = 0; /* the k = 0, 1 pass starts each byte */
            if (k == 0) *hi = 0;
            *lo |= (uint8_t)((q & 0xf) << (4 * (k / 2)));
            *hi |= (uint8_t)((q >> 4) << (2 * k));
        }
    }
}

/* MUL_MAT on OpenCL: dst[m, n] f32 = w[k, m] (any weight type) x a[k, n] f32. n <= 4
 * (decode): the matrix-vector kernels mul_mat_vec<n> (one work-group per 4 rows at n = 1, per
 * row otherwise; k split over the work-items); n > 4: the tiled kernel (64 rows x 8 columns per
 * work-group). Kernels: shaders/opencl/mul_mat.cl, one program per weight type (and layout),
 * which GET_ROWS shares (ops/get_rows.c).
 *
 * Q4_0 / Q8_0 weights come in GL_LAYOUT_SOA (cl_repack.c), read through an image where the
 * image tier is on. With the int8dot tier their activations are first quantized to 8 bits
 * (quantize.cl) into the device's scratch memory (once for consecutive MUL_MATs of the same
 * activations: Q, K, V; gate, up) and the kernels, built with -DGL_Q8ACT, sum exact int32 dot
 * products per block, as the CPU does. */
#include "clops.h"

#include <stdio.h>

/* The kernels' fixed shapes (MV_WG, MM_WG, MM_COLS and UNIT in mul_mat.cl). */
#define GL_MM_WG        64
#define GL_MM_VEC_MAX_N 4
#define GL_MM_VEC1_ROWS 4 /* rows per work-group of mul_mat_vec1 */
#define GL_MM_TILE_COLS 8
#define GL_MM_UNIT      32 /* values per unit of work: k must be a multiple */

static bool is_2d(const gl_tensor *t) {
    return t->ne[2] == 1 && t->ne[3] == 1;
}

static bool is_q8_able(glint_type t) {
    return t == GLINT_TYPE_Q4_0 || t == GLINT_TYPE_Q8_0;
}

static bool mm_supports(gl_cl_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *a = nd->src[1], *dst = nd->dst;
    if (!w || !a || !dst || !gl_clops_weight_option(w->type)) return false;
    if (a->type != GLINT_TYPE_F32 || dst->type != GLINT_TYPE_F32) return false;
    if (!is_2d(w) || !is_2d(a) || !is_2d(dst)) return false;
    const int64_t k = w->ne[0], m = w->ne[1], n = a->ne[1];
    if (k <= 0 || m <= 0 || n <= 0 || k % GL_MM_UNIT || a->ne[0] != k || dst->ne[0] != m ||
        dst->ne[1] != n || k / GL_MM_UNIT > (int64_t)UINT32_MAX || m > (int64_t)UINT32_MAX ||
        n > (int64_t)UINT32_MAX)
        return false;
    const gl_type_traits *tr = gl_type_get(w->type);
    const size_t row = gl_row_size(w->type, k);
    if (!tr || !row || w->nb[0] != tr->type_size || w->nb[1] < row) return false;
    /* repacked: whole rows back to back, the quants of all blocks within 32-bit indices */
    if (w->layout == GL_LAYOUT_SOA && (!is_q8_able(w->type) || w->nb[1] != row || w->offset % 16 ||
                                       (uint64_t)m * (uint64_t)(k / 32) * 2 > UINT32_MAX))
        return false;
    if (w->layout != GL_LAYOUT_GGUF && w->layout != GL_LAYOUT_SOA) return false;
    if (!gl_clops_fits(d, w, gl_clops_weight_align(w->type))) return false;
    if (a->nb[0] != sizeof(float) || dst->nb[0] != sizeof(float)) return false;
    if (!gl_clops_fits(d, a, sizeof(float)) || !gl_clops_fits(d, dst, sizeof(float))) return false;
    return gl_cl_device_caps(d)->max_wg >= GL_MM_WG;
}

/* The quantized activations in scratch memory: n columns of k int8 quants, then n * k / 32
 * fp16 scales (at byte `scales`). */
typedef struct q8_act {
    cl_mem mem;
    uint64_t scales;
} q8_act;

static uint64_t q8_scales_at(uint64_t k, uint64_t n) {
    return gl_align_up(k * n, 16);
}

static bool uses_q8(gl_cl_device *d, const gl_node *nd) {
    return is_q8_able(nd->src[0]->type) && gl_clops_tier(d, GL_CL_TIER_INT8DOT);
}

static size_t mm_scratch(gl_cl_device *d, const gl_node *nd) {
    if (!nd->src[0] || !nd->src[1] || !uses_q8(d, nd)) return 0;
    const uint64_t k = (uint64_t)nd->src[0]->ne[0], n = (uint64_t)nd->src[1]->ne[1];
    return (size_t)(q8_scales_at(k, n) + 2 * (k / GL_MM_UNIT) * n);
}

static glint_status quantize_act(gl_cl_device *d, const gl_node *nd, q8_act *out) {
    const gl_tensor *a = nd->src[1];
    const uint64_t k = (uint64_t)a->ne[0], n = (uint64_t)a->ne[1], units = k / GL_MM_UNIT;
    out->scales = q8_scales_at(k, n);
    glint_status st = gl_cl_scratch(d, mm_scratch(d, nd), &out->mem);
    if (st) return st;
    const gl_cl_arg src = gl_cl_tensor_arg(a);
    const uint64_t key[GL_CL_SCRATCH_KEY] = {(uint64_t)(uintptr_t)src.mem, src.offset, k, n,
                                             a->nb[1]};
    if (gl_cl_scratch_reuse(d, key)) return GLINT_OK; /* the MUL_MAT before read the same */
    cl_kernel kern;
    if ((st = gl_cl_kernel(d, "quantize", "quantize_q8_0", "", &kern))) return st;
    gl_clops_args args = gl_clops_args_begin(kern);
    gl_clops_arg_tensor(&args, a);
    gl_clops_arg_raw(&args, sizeof out->mem, &out->mem);
    gl_clops_arg_u64(&args, 0);
    gl_clops_arg_u64(&args, out->scales);
    gl_clops_arg_u32(&args, (cl_uint)units);
    gl_clops_arg_u32(&args, (cl_uint)n);
    gl_clops_arg_u64(&args, a->nb[1] / sizeof(float));
    if (args.st) return args.st;
    size_t local[2];
    gl_clops_local_rows(units, gl_clops_wg(d, kern, GL_CLOPS_WG), local);
    const size_t global[2] = {(size_t)units, (size_t)n};
    if ((st = gl_cl_enqueue(d, kern, 2, global, local))) return st;
    gl_cl_scratch_keep(d, key);
    return GLINT_OK;
}

static glint_status mm_record(gl_cl_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *a = nd->src[1], *dst = nd->dst;
    const char *name = dst->name ? dst->name : "?";
    if (!mm_supports(d, nd)) {
        GL_LOGE("opencl mul_mat: cannot run node '%s'", name);
        return GLINT_ERROR_UNSUPPORTED;
    }
    const bool soa = w->layout == GL_LAYOUT_SOA;
    const uint64_t k = (uint64_t)w->ne[0], m = (uint64_t)w->ne[1], n = (uint64_t)a->ne[1];
    const bool vec = n <= GL_MM_VEC_MAX_N;
    const bool q8 = uses_q8(d, nd);
    cl_mem img = NULL;
    cl_uint texel = 0;
    const bool image = soa && gl_cl_weight_image(d, w, &img, &texel);

    char options[96];
    snprintf(options, sizeof options, "%s%s%s%s", gl_clops_weight_option(w->type),
             soa ? " -DGL_SOA=1" : "", image ? " -DGL_WIMG=1" : "", q8 ? " -DGL_Q8ACT=1" : "");
    static const char *const vec_names[GL_MM_VEC_MAX_N + 1] = {"", "mul_mat_vec1", "mul_mat_vec2",
                                                               "mul_mat_vec3", "mul_mat_vec4"};
    const char *kname = vec ? vec_names[n] : "mul_mat_tiled";

    q8_act act = {NULL, 0};
    glint_status st = q8 ? quantize_act(d, nd, &act) : GLINT_OK;
    if (st) {
        GL_LOGE("opencl mul_mat: '%s': quantizing the activations failed", name);
        return st;
    }
    cl_kernel kern;
    if ((st = gl_cl_kernel(d, "mul_mat", kname, options, &kern))) return st;

    gl_clops_args args = gl_clops_args_begin(kern);
    if (image) {
        gl_clops_arg_raw(&args, sizeof img, &img);
        gl_clops_arg_u32(&args, texel);
    }
    gl_clops_arg_tensor(&args, w);
    if (q8) {
        gl_clops_arg_raw(&args, sizeof act.mem, &act.mem);
        gl_clops_arg_u64(&args, 0);
    } else {
        gl_clops_arg_tensor(&args, a);
    }
    gl_clops_arg_tensor(&args, dst);
    gl_clops_arg_u32(&args, (cl_uint)(k / GL_MM_UNIT));
    gl_clops_arg_u32(&args, (cl_uint)m);
    gl_clops_arg_u32(&args, (cl_uint)n);
    gl_clops_arg_u64(&args, w->nb[1]);
    gl_clops_arg_u64(&args, q8 ? k : a->nb[1] / sizeof(float));
    gl_clops_arg_u64(&args, dst->nb[1] / sizeof(float));
    if (q8) gl_clops_arg_u64(&args, act.scales);
    if (args.st) {
        GL_LOGE("opencl mul_mat: '%s': setting the arguments of %s failed", name, kname);
        return args.st;
    }
    const size_t local[2] = {GL_MM_WG, 1};
    if (vec) {
        const uint64_t rows_per_wg = n == 1 ? GL_MM_VEC1_ROWS : 1;
        const size_t global[1] = {(size_t)((m + rows_per_wg - 1) / rows_per_wg * GL_MM_WG)};
        return gl_cl_enqueue(d, kern, 1, global, local);
    }
    const size_t global[2] = {(size_t)m, (size_t)((n + GL_MM_TILE_COLS - 1) / GL_MM_TILE_COLS)};
    return gl_cl_enqueue(d, kern, 2, global, local);
}

const gl_cl_op gl_cl_op_mul_mat = {
    .supports = mm_supports,
    .record = mm_record,
    .scratch = mm_scratch,
};

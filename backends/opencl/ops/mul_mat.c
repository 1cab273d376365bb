/* MUL_MAT on OpenCL: dst[m, n] f32 = w[k, m] (any weight type, GGUF block layout) x a[k, n]
 * f32. n <= 4 (decode): the matrix-vector kernels mul_mat_vec<n> (one work-group per 4 rows at
 * n = 1, per row otherwise; k split over the work-items); n > 4: the tiled kernel (64 rows x 8
 * columns per work-group). Kernels: shaders/opencl/mul_mat.cl, one program per weight type,
 * which GET_ROWS shares (ops/get_rows.c). */
#include "clops.h"

/* The kernels' fixed shapes (MV_WG, MM_WG, MM_COLS and UNIT in mul_mat.cl). */
#define GL_MM_WG        64
#define GL_MM_VEC_MAX_N 4
#define GL_MM_VEC1_ROWS 4 /* rows per work-group of mul_mat_vec1 */
#define GL_MM_TILE_COLS 8
#define GL_MM_UNIT      32 /* values per unit of work: k must be a multiple */

/* The build option that selects the weight type's decoder; NULL: not supported. */
static const char *const g_type_option[GLINT_TYPE_COUNT] = {
    [GLINT_TYPE_F32] = "-DTYPE_F32=1",   [GLINT_TYPE_F16] = "-DTYPE_F16=1",
    [GLINT_TYPE_BF16] = "-DTYPE_BF16=1", [GLINT_TYPE_Q4_0] = "-DTYPE_Q4_0=1",
    [GLINT_TYPE_Q4_1] = "-DTYPE_Q4_1=1", [GLINT_TYPE_Q5_0] = "-DTYPE_Q5_0=1",
    [GLINT_TYPE_Q5_1] = "-DTYPE_Q5_1=1", [GLINT_TYPE_Q8_0] = "-DTYPE_Q8_0=1",
    [GLINT_TYPE_Q4_K] = "-DTYPE_Q4_K=1", [GLINT_TYPE_Q5_K] = "-DTYPE_Q5_K=1",
    [GLINT_TYPE_Q6_K] = "-DTYPE_Q6_K=1",
};

static const char *type_option(glint_type t) {
    return (unsigned)t < GLINT_TYPE_COUNT ? g_type_option[t] : NULL;
}

/* The kernels read f32 weights as floats and every other type's fp16 fields as aligned halves
 * (all block sizes are even), so rows must start at multiples of this. */
static size_t weight_align(glint_type t) {
    return t == GLINT_TYPE_F32 ? 4 : 2;
}

static bool is_2d(const gl_tensor *t) {
    return t->ne[2] == 1 && t->ne[3] == 1;
}

static bool mm_supports(gl_cl_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *a = nd->src[1], *dst = nd->dst;
    if (!w || !a || !dst || !type_option(w->type)) return false;
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
    if (!gl_clops_fits(d, w, weight_align(w->type))) return false;
    if (a->nb[0] != sizeof(float) || dst->nb[0] != sizeof(float)) return false;
    if (!gl_clops_fits(d, a, sizeof(float)) || !gl_clops_fits(d, dst, sizeof(float))) return false;
    return gl_cl_device_caps(d)->max_wg >= GL_MM_WG;
}

static glint_status mm_record(gl_cl_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *a = nd->src[1], *dst = nd->dst;
    const char *name = dst->name ? dst->name : "?";
    if (!mm_supports(d, nd)) {
        GL_LOGE("opencl mul_mat: cannot run node '%s'", name);
        return GLINT_ERROR_UNSUPPORTED;
    }
    /* The buffer's own placement within its cl_mem must keep the alignment too. */
    if (gl_cl_tensor_arg(w).offset % weight_align(w->type) || gl_cl_tensor_arg(a).offset % 4 ||
        gl_cl_tensor_arg(dst).offset % 4) {
        GL_LOGE("opencl mul_mat: '%s': a tensor starts at a misaligned offset", name);
        return GLINT_ERROR_UNSUPPORTED;
    }
    const uint64_t k = (uint64_t)w->ne[0], m = (uint64_t)w->ne[1], n = (uint64_t)a->ne[1];
    const bool vec = n <= GL_MM_VEC_MAX_N;
    static const char *const vec_names[GL_MM_VEC_MAX_N + 1] = {
        "", "mul_mat_vec1", "mul_mat_vec2", "mul_mat_vec3", "mul_mat_vec4"};
    const char *kname = vec ? vec_names[n] : "mul_mat_tiled";
    cl_kernel kern;
    glint_status st = gl_cl_kernel(d, "mul_mat", kname, type_option(w->type), &kern);
    if (st) return st;

    gl_clops_args args = gl_clops_args_begin(kern);
    gl_clops_arg_tensor(&args, w);
    gl_clops_arg_tensor(&args, a);
    gl_clops_arg_tensor(&args, dst);
    gl_clops_arg_u32(&args, (cl_uint)(k / GL_MM_UNIT));
    gl_clops_arg_u32(&args, (cl_uint)m);
    gl_clops_arg_u32(&args, (cl_uint)n);
    gl_clops_arg_u64(&args, w->nb[1]);
    gl_clops_arg_u64(&args, a->nb[1] / sizeof(float));
    gl_clops_arg_u64(&args, dst->nb[1] / sizeof(float));
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
};

/* GET_ROWS (embedding lookup) on OpenCL: y[:, i] = w[:, ids[i]] dequantized to f32, for f32,
 * f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K and q6_K weights; other types are
 * declined and run on the CPU. The kernel lives in shaders/opencl/mul_mat.cl beside the
 * MUL_MAT kernels: they share the block decoders, so one program build per weight type serves
 * both ops. */
#include "clops.h"

#define GL_GR_UNIT 32 /* values one work-item writes (UNIT in mul_mat.cl) */

static bool get_rows_supports(gl_cl_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *ids = nd->src[1], *y = nd->dst;
    if (!w || !ids || !y || !gl_clops_weight_option(w->type)) return false;
    if (w->layout != GL_LAYOUT_GGUF) return false; /* repacked weights feed MUL_MAT alone */
    if (ids->type != GLINT_TYPE_I32 || y->type != GLINT_TYPE_F32) return false;
    const gl_type_traits *tr = gl_type_get(w->type);
    const size_t row = gl_row_size(w->type, w->ne[0]);
    if (!tr || row == 0 || w->nb[0] != tr->type_size || w->nb[1] < row || w->ne[2] != 1 ||
        w->ne[3] != 1 || w->ne[0] > (int64_t)UINT32_MAX || w->ne[1] > (int64_t)INT32_MAX)
        return false;
    /* ids: one row of n; y: at least n rows of ne0 floats */
    if (ids->ne[1] != 1 || ids->ne[2] != 1 || ids->ne[3] != 1 || ids->nb[0] != sizeof(int32_t))
        return false;
    if (y->ne[0] != w->ne[0] || y->ne[1] < ids->ne[0] || y->ne[2] != 1 || y->ne[3] != 1 ||
        y->nb[0] != sizeof(float))
        return false;
    return gl_clops_fits(d, w, gl_clops_weight_align(w->type)) &&
           gl_clops_fits(d, ids, sizeof(int32_t)) && gl_clops_fits(d, y, sizeof(float));
}

static glint_status get_rows_record(gl_cl_device *d, const gl_node *nd) {
    const gl_tensor *w = nd->src[0], *ids = nd->src[1], *y = nd->dst;
    const char *name = y->name ? y->name : "?";
    if (!get_rows_supports(d, nd)) {
        GL_LOGE("opencl get_rows: cannot run node '%s'", name);
        return GLINT_ERROR_UNSUPPORTED;
    }
    if (gl_cl_tensor_arg(w).offset % gl_clops_weight_align(w->type) ||
        gl_cl_tensor_arg(ids).offset % 4 || gl_cl_tensor_arg(y).offset % 4) {
        GL_LOGE("opencl get_rows: '%s': a tensor starts at a misaligned offset", name);
        return GLINT_ERROR_UNSUPPORTED;
    }
    cl_kernel kern;
    glint_status st =
        gl_cl_kernel(d, "mul_mat", "get_rows", gl_clops_weight_option(w->type), &kern);
    if (st) return st;
    const uint64_t ne0 = (uint64_t)w->ne[0], n = (uint64_t)ids->ne[0];
    gl_clops_args args = gl_clops_args_begin(kern);
    gl_clops_arg_tensor(&args, w);
    gl_clops_arg_tensor(&args, ids);
    gl_clops_arg_tensor(&args, y);
    gl_clops_arg_u32(&args, (cl_uint)ne0);
    gl_clops_arg_u32(&args, (cl_uint)n);
    gl_clops_arg_u32(&args, (cl_uint)w->ne[1]);
    gl_clops_arg_u64(&args, w->nb[1]);
    gl_clops_arg_u64(&args, y->nb[1]);
    if (args.st) {
        GL_LOGE("opencl get_rows: '%s': setting the kernel arguments failed", name);
        return args.st;
    }
    /* one item per unit of 32 values of an output row; short rows share a work-group */
    const uint64_t units = (ne0 + GL_GR_UNIT - 1) / GL_GR_UNIT;
    size_t local[2];
    gl_clops_local_rows(units, gl_clops_wg(d, kern, GL_CLOPS_WG), local);
    const size_t global[2] = {(size_t)units, (size_t)n};
    return gl_cl_enqueue(d, kern, 2, global, local);
}

const gl_cl_op gl_cl_op_get_rows = {
    .supports = get_rows_supports,
    .record = get_rows_record,
};

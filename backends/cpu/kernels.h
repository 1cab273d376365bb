/* CPU kernel table: the scalar references of engine/types.c and the SIMD versions in x86/ and
 * arm/ share these signatures; the best the running CPU supports is picked at run time. */
#ifndef GLINT_CPU_KERNELS_H
#define GLINT_CPU_KERNELS_H

#include "graph.h"
#include "threadpool.h"

/* c[j * ldc + i] = dot(row i of w, row j of a) for i < nr, j < nc. w rows are `w_stride`
 * bytes apart (weight type), a rows `a_stride` bytes apart (the weight type's vec_dot_type).
 * Any nr, nc >= 1 (gl_cpu_mul_mat passes whole tiles, e.g. 64 x 64, and nc = 1 for decode). */
typedef void (*gl_gemm_fn)(int64_t k, const void *w, size_t w_stride, const void *a,
                           size_t a_stride, float *c, size_t ldc, int nr, int nc);

typedef enum gl_cpu_level {
    GL_CPU_REF,     /* scalar reference */
    GL_CPU_AVX2,    /* x86: AVX2 + FMA + F16C */
    GL_CPU_AVX512,  /* x86: AVX-512 F/BW/VL + VNNI */
    GL_CPU_NEON,    /* arm64 baseline */
    GL_CPU_DOTPROD, /* arm64 + SDOT */
    GL_CPU_I8MM,    /* arm64 + SMMLA */
    GL_CPU_LEVEL_COUNT
} gl_cpu_level;

typedef struct gl_cpu_kernels {
    gl_cpu_level level;
    const char *name;                              /* "avx512", "neon-dotprod" ... */
    gl_vec_dot_fn vec_dot[GLINT_TYPE_COUNT];       /* by weight type */
    gl_from_float_fn from_float[GLINT_TYPE_COUNT]; /* activation quantizers, by their type */
    gl_gemm_fn gemm[GLINT_TYPE_COUNT];             /* by weight type; NULL = use vec_dot */
    /* Q4_0 weights in GL_LAYOUT_Q4_0X8 (NULL = this level keeps the GGUF layout): w points at
     * a strip start, w_stride is the GGUF row size, nr is a multiple of 8. */
    gl_gemm_fn gemm_q4_0x8;
} gl_cpu_kernels;

/* Rearranges a GGUF Q4_0 [k, m] matrix (m % 8 == 0) into GL_LAYOUT_Q4_0X8; dst != src. */
void gl_cpu_repack_q4_0x8(void *dst, const void *src, int64_t k, int64_t m);

/* Per-level initializers: each fills the entries it implements into a table that already holds
 * the next lower level's kernels (kernels.c copies that table first). */
#if defined(__x86_64__) || defined(_M_X64)
void gl_cpu_kernels_init_avx2(gl_cpu_kernels *k);
void gl_cpu_kernels_init_avx512(gl_cpu_kernels *k);
#endif
#if defined(__aarch64__)
void gl_cpu_kernels_init_neon(gl_cpu_kernels *k);
void gl_cpu_kernels_init_dotprod(gl_cpu_kernels *k);
void gl_cpu_kernels_init_i8mm(gl_cpu_kernels *k);
#endif

/* The best table for this CPU (decided once; GLINT_CPU_LEVEL=ref|avx2|... caps it). */
const gl_cpu_kernels *gl_cpu_kernels_get(void);
/* The table of one level; NULL when this CPU or build cannot run it. */
const gl_cpu_kernels *gl_cpu_kernels_for(gl_cpu_level level);
/* What the running CPU (and its OS) supports; detected once. */
typedef struct gl_cpu_features {
    bool avx, avx2, fma, f16c;                              /* x86 */
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512vnni; /* x86, OS-enabled state */
    bool neon, dotprod, i8mm, fp16;                         /* arm64 */
} gl_cpu_features;
const gl_cpu_features *gl_cpu_features_get(void);
/* CPU features found, e.g. "avx2 fma f16c avx512f avx512bw avx512vnni". */
const char *gl_cpu_features_string(void);

/* What one thread of a CPU op knows. All threads of a task share wsp. */
typedef struct gl_cpu_task {
    int ith, nth;
    gl_threadpool *pool;
    void *wsp;
    size_t wsp_size;
    const gl_cpu_kernels *k;
} gl_cpu_task;

/* dst [m, n] f32 = w [k, m] (any weight type, contiguous rows) x a [k, n] (f32, rows a->nb[1]
 * apart). Called by all nth threads together; uses gl_threadpool_barrier internally. It returns
 * without a final barrier: the caller meets at one before anything reads dst or reuses wsp. */
void gl_cpu_mul_mat(const gl_cpu_task *t, const gl_tensor *w, const gl_tensor *a, gl_tensor *dst);
/* Scratch bytes gl_cpu_mul_mat needs for these shapes (quantized activations). */
size_t gl_cpu_mul_mat_wsize(const gl_tensor *w, const gl_tensor *a);

#endif

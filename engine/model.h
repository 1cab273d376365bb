/* Model-level internals: hyper-parameters, weights bound to GGUF tensors, the runtime and
 * model objects behind the public handles. */
#ifndef GLINT_MODEL_H
#define GLINT_MODEL_H

#include "backend.h"
#include "gguf.h"
#include "plan.h"
#include "tokenizer/vocab.h"

struct glint_runtime {
    glint_runtime_params params;
    glint_vulkan_external vk_ext; /* copy of params.vulkan's target */
    gl_backend *cpu;
    gl_backend *vulkan;      /* created on first use; NULL when unavailable */
    bool vulkan_tried;
    char vulkan_error[512];  /* why it is unavailable */
    gl_backend *opencl;      /* likewise */
    bool opencl_tried;
    char opencl_error[512];
    char last_error[512];
};

/* The Vulkan backend of the runtime, created on first call; NULL (and the reason in
 * rt->vulkan_error) when there is none. */
gl_backend *gl_runtime_vulkan(glint_runtime *rt);
/* The same for OpenCL (rt->opencl_error). */
gl_backend *gl_runtime_opencl(glint_runtime *rt);

typedef struct gl_hparams {
    char arch[32];
    int32_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, n_ff;
    int32_t head_dim, n_rot;
    float rms_eps, rope_freq_base, rope_freq_scale;
    gl_rope_mode rope_mode;
    bool qkv_bias; /* qwen2 */
    bool qk_norm;  /* qwen3 */
} gl_hparams;

typedef struct gl_arch gl_arch;

typedef struct gl_layer {
    gl_tensor *attn_norm, *wq, *wk, *wv, *wo;
    gl_tensor *bq, *bk, *bv;         /* NULL unless qkv_bias */
    gl_tensor *q_norm, *k_norm;      /* NULL unless qk_norm */
    gl_tensor *ffn_norm, *ffn_gate, *ffn_up, *ffn_down;
} gl_layer;

/* Stages of the forward pass as the planner counts them: 0 = embedding, 1..n_layer = layers,
 * n_layer + 1 = head. Weights are grouped by the one stage that uses them; those used by
 * several (a tied output, rope factors) form the shared group. */
#define GL_STAGE_MAX (GL_PLAN_MAX_LAYERS + 2)

/* One backend's view of the weights: tensor headers pointing into its memory. */
typedef struct gl_weights {
    gl_tensor *tensors; /* [n_tensors]; NULL when the backend holds none */
    gl_layer *layers;   /* [n_layer], pointing into tensors */
    gl_tensor *tok_embd, *output_norm, *output, *rope_freqs;
    bool held[GL_STAGE_MAX + 1]; /* groups this copy holds (index GL_STAGE_MAX: shared) */
    gl_buffer **bufs;            /* its buffers; bufs_group[i] says for which group */
    int *bufs_group;
    int n_bufs, cap_bufs;
} gl_weights;

struct glint_model {
    glint_runtime *rt;
    const gl_arch *arch;
    gl_gguf *gguf;
    gl_vocab *vocab;
    gl_hparams hp;
    gl_tensor *tensors;  /* one per GGUF tensor, in file order; data in the mapped file */
    int64_t n_tensors;
    int *tensor_group;   /* [n_tensors]: stage that uses it, or GL_STAGE_MAX (shared) */
    gl_tensor *tok_embd, *output_norm, *output, *rope_freqs;
    gl_layer *layers;
    /* The backends the model may run on (0 = the CPU, always) and each one's weights. The
     * CPU's copy addresses every weight: in place in the file, or repacked where it runs. */
    int n_backend;
    gl_backend *backends[GL_PLAN_MAX_BACKENDS];
    gl_weights w[GL_PLAN_MAX_BACKENDS];
    gl_plan plan[GL_PLAN_PHASE_COUNT]; /* prefill, decode */
    struct gl_profile *profile; /* what profiling measured, when this load profiled */
    uint64_t n_params, weight_bytes;
    glint_type main_type;
    char name[128];
    char backend_desc[64]; /* "vulkan+cpu" */
    char plan_desc[512];
    char last_error[512];
};

/* The stage of a node's layer field (-1 = embedding, n_layer = head). */
static inline int gl_stage_of_layer(int32_t layer, int n_layer) {
    return layer < 0 ? 0 : layer >= n_layer ? n_layer + 1 : layer + 1;
}

/* The backend a plan puts a stage on. */
static inline int gl_plan_stage_backend(const gl_plan *p, int stage) {
    return stage == 0 ? p->embed : stage > p->n_layer ? p->head : p->backend[stage - 1];
}

/* Makes every backend b >= 1 hold the weights of exactly the stages with need[b][s] (and the
 * shared group when it holds any), freeing the rest, and repacks for the CPU the weights of
 * the stages with need[0][s] (others it reads in place). need[b] beyond n_backend is ignored. */
glint_status gl_model_place(glint_model *m, bool need[GL_PLAN_MAX_BACKENDS][GL_STAGE_MAX],
                            gl_err *err);

/* Frees every backend's weight copy (model teardown). */
void gl_model_weights_free(glint_model *m);

/* Places the weights for the model's plans (each stage where either phase runs it) and
 * writes backend_desc/plan_desc. */
glint_status gl_model_apply_plans(glint_model *m, gl_err *err);

/* Chooses the backends and plans at load from the params (plan file, gpu layers, plan cache,
 * profiling, static) and places the weights. */
glint_status gl_model_setup(glint_model *m, const glint_model_params *p, gl_err *err);

/* The plan-cache key of the model on its backends. */
void gl_model_plan_key(const glint_model *m, gl_plan_key *key);

/* The weights to use for stage s on backend b: b's copy when it holds that stage, else the
 * CPU's (whose nodes then run on the CPU). */
const gl_weights *gl_model_stage_weights(const glint_model *m, int b, int stage);

/* One forward pass over n tokens at positions n_past.. (all tensors prepared by the session).
 * The weights of each stage come from the backend the plan puts it on. */
typedef struct gl_forward {
    int32_t n, n_past;
    gl_tensor *tokens;           /* i32 [n] */
    gl_tensor *pos;              /* i32 [n] */
    gl_tensor *k_cache, *v_cache; /* [n_layer] each, [head_dim, n_head_kv, n_ctx] */
    gl_tensor *logits;           /* f32 [n_vocab, logits_all ? n : 1] */
    bool logits_all;
    const gl_weights *const *w;  /* [n_layer + 2]: the weights of each stage */
} gl_forward;

/* One architecture: reads hyper-parameters, binds the weights, builds the forward graph. */
struct gl_arch {
    const char *name;
    glint_status (*load_hparams)(const gl_gguf *g, const char *arch, gl_hparams *hp, gl_err *err);
    glint_status (*bind)(glint_model *m, bool *used, gl_err *err);
    void (*build)(const glint_model *m, gl_graph *g, const gl_forward *fw);
};

/* NULL when the architecture is unknown. */
const gl_arch *gl_arch_find(const char *name);

/* Binds `name` (formatted) to a tensor of the model with the given shape, marking it used.
 * Missing tensors: GLINT_ERROR_INVALID_FILE unless `optional` (then *out = NULL). */
glint_status gl_model_bind(glint_model *m, bool *used, gl_tensor **out, bool optional,
                           int n_dims, const int64_t *ne, gl_err *err, const char *fmt, ...)
    GL_PRINTF(8, 9);

#endif

/* Model-level internals: hyper-parameters, weights bound to GGUF tensors, the runtime and
 * model objects behind the public handles. */
#ifndef GLINT_MODEL_H
#define GLINT_MODEL_H

#include "backend.h"
#include "gguf.h"
#include "tokenizer/vocab.h"

struct glint_runtime {
    glint_runtime_params params;
    glint_vulkan_external vk_ext; /* copy of params.vulkan's target */
    gl_backend *cpu;
    gl_backend *vulkan;      /* created on first use; NULL when unavailable */
    bool vulkan_tried;
    char vulkan_error[512];  /* why it is unavailable */
    char last_error[512];
};

/* The Vulkan backend of the runtime, created on first call; NULL (and the reason in
 * rt->vulkan_error) when there is none. */
gl_backend *gl_runtime_vulkan(glint_runtime *rt);

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

struct glint_model {
    glint_runtime *rt;
    const gl_arch *arch;
    gl_gguf *gguf;
    gl_vocab *vocab;
    gl_hparams hp;
    gl_backend *backend; /* where the weights live and the layers run */
    gl_buffer **weight_bufs; /* the backend's buffers holding the weights (CPU: repacked ones) */
    int n_weight_bufs;
    gl_tensor *tensors;  /* one per GGUF tensor, in file order */
    int64_t n_tensors;
    gl_tensor *tok_embd, *output_norm, *output, *rope_freqs;
    gl_layer *layers;
    uint64_t n_params, weight_bytes;
    glint_type main_type;
    char name[128];
    char last_error[512];
};

/* One forward pass over n tokens at positions n_past.. (all tensors prepared by the session). */
typedef struct gl_forward {
    int32_t n, n_past;
    gl_tensor *tokens;           /* i32 [n] */
    gl_tensor *pos;              /* i32 [n] */
    gl_tensor *k_cache, *v_cache; /* [n_layer] each, [head_dim, n_head_kv, n_ctx] */
    gl_tensor *logits;           /* f32 [n_vocab, logits_all ? n : 1] */
    bool logits_all;
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

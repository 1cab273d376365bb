/* Model loading: map the GGUF, pick the architecture, read hyper-parameters and vocab, bind
 * every tensor (an unknown one is refused by name) and place the weights on the backend. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

glint_model_params glint_model_default_params(void) {
    return (glint_model_params){.backend = GLINT_BACKEND_AUTO, .gpu_layers = -1,
                                .use_mmap = true};
}

glint_status gl_model_bind(glint_model *m, bool *used, gl_tensor **out, bool optional,
                           int n_dims, const int64_t *ne, gl_err *err, const char *fmt, ...) {
    char name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    *out = NULL;
    const gl_gguf_tensor *gt = gl_gguf_find_tensor(m->gguf, name);
    if (!gt) {
        if (optional) return GLINT_OK;
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tensor '%s' is missing", name);
    }
    const int64_t idx = gt - gl_gguf_tensor_at(m->gguf, 0);
    gl_tensor *t = &m->tensors[idx];
    for (int i = 0; i < GL_MAX_DIMS; i++) {
        const int64_t want = i < n_dims ? ne[i] : 1;
        if (t->ne[i] != want)
            return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                           "tensor '%s' has shape [%lld, %lld, %lld, %lld], expected dim %d = %lld",
                           name, (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                           (long long)t->ne[3], i, (long long)want);
    }
    const gl_type_traits *tr = gl_type_get(t->type);
    if (n_dims == 1 && t->type != GLINT_TYPE_F32)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "tensor '%s': type %s for a vector (only f32)",
                       name, tr ? tr->name : "?");
    if (n_dims == 2 && (!tr || !tr->vec_dot || !tr->to_float))
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "tensor '%s': type %s is not supported for "
                       "weights", name, tr ? tr->name : "?");
    used[idx] = true;
    *out = t;
    return GLINT_OK;
}

/* The stage each weight serves (GROUP: shared when several). */
static glint_status model_group_tensors(glint_model *m, gl_err *err) {
    m->tensor_group = malloc((size_t)GL_MAX(m->n_tensors, 1) * sizeof *m->tensor_group);
    if (!m->tensor_group) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    for (int64_t i = 0; i < m->n_tensors; i++) m->tensor_group[i] = -1;
    const int n_layer = m->hp.n_layer;
#define MARK(t, stage)                                                                             \
    do {                                                                                           \
        if (t) {                                                                                   \
            int *g = &m->tensor_group[(t) - m->tensors];                                          \
            *g = (*g == -1 || *g == (stage)) ? (stage) : GL_STAGE_MAX;                             \
        }                                                                                          \
    } while (0)
    MARK(m->tok_embd, 0);
    MARK(m->output_norm, n_layer + 1);
    MARK(m->output, n_layer + 1);
    for (int l = 0; l < n_layer; l++) {
        const gl_layer *L = &m->layers[l];
        const gl_tensor *ts[] = {L->attn_norm, L->wq, L->wk, L->wv, L->wo, L->bq, L->bk,
                                 L->bv, L->q_norm, L->k_norm, L->ffn_norm, L->ffn_gate,
                                 L->ffn_up, L->ffn_down, m->rope_freqs};
        for (size_t i = 0; i < GL_ARRAY_LEN(ts); i++) MARK(ts[i], l + 1);
    }
#undef MARK
    for (int64_t i = 0; i < m->n_tensors; i++)
        if (m->tensor_group[i] == -1) m->tensor_group[i] = GL_STAGE_MAX;
    return GLINT_OK;
}

static glint_status model_load(glint_model *m, const char *path, const glint_model_params *p,
                               gl_err *err) {
    glint_status st = gl_gguf_open(path, &m->gguf, err);
    if (st) return st;

    gl_str arch;
    st = gl_gguf_get_str(m->gguf, "general.architecture", &arch, err);
    if (st == GLINT_ERROR_NOT_FOUND)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "%s: no general.architecture key", path);
    if (st) return st;
    char arch_name[32];
    snprintf(arch_name, sizeof arch_name, "%.*s", (int)GL_MIN(arch.len, 31), arch.ptr);
    m->arch = gl_arch_find(arch_name);
    if (!m->arch || arch.len >= sizeof arch_name)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "architecture '%.*s' is not supported (supported: llama, qwen2, qwen3)",
                       (int)GL_MIN(arch.len, 64), arch.ptr);
    if ((st = m->arch->load_hparams(m->gguf, arch_name, &m->hp, err))) return st;

    gl_str name;
    if (gl_gguf_get_str(m->gguf, "general.name", &name, NULL) == GLINT_OK)
        snprintf(m->name, sizeof m->name, "%.*s", (int)GL_MIN(name.len, 127), name.ptr);

    if ((st = gl_vocab_load(m->gguf, &m->vocab, err))) return st;

    /* Tensors: headers over the mapped file (the CPU reads weights in place). */
    m->n_tensors = gl_gguf_n_tensors(m->gguf);
    m->tensors = calloc((size_t)GL_MAX(m->n_tensors, 1), sizeof *m->tensors);
    m->layers = calloc((size_t)m->hp.n_layer, sizeof *m->layers);
    bool *used = calloc((size_t)GL_MAX(m->n_tensors, 1), sizeof *used);
    if (!m->tensors || !m->layers || !used) {
        free(used);
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory for the tensor table");
    }
    uint64_t type_bytes[GLINT_TYPE_COUNT] = {0};
    for (int64_t i = 0; i < m->n_tensors; i++) {
        const gl_gguf_tensor *gt = gl_gguf_tensor_at(m->gguf, i);
        gl_tensor *t = &m->tensors[i];
        gl_tensor_init(t, gt->type, (int)gt->n_dims, gt->ne);
        t->data = (void *)gt->data;
        t->name = gt->name;
        m->n_params += (uint64_t)gl_tensor_nelements(t);
        m->weight_bytes += gt->size;
        type_bytes[gt->type] += gt->size;
    }
    m->main_type = GLINT_TYPE_F32;
    for (int t = 0; t < GLINT_TYPE_COUNT; t++)
        if (type_bytes[t] > type_bytes[m->main_type]) m->main_type = (glint_type)t;

    const gl_gguf_tensor *emb = gl_gguf_find_tensor(m->gguf, "token_embd.weight");
    if (!emb) {
        free(used);
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "tensor 'token_embd.weight' is missing");
    }
    m->hp.n_vocab = (int32_t)emb->ne[1];
    if (m->hp.n_vocab != gl_vocab_n_tokens(m->vocab)) {
        free(used);
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "token_embd has %d rows but the vocab %d "
                       "tokens", m->hp.n_vocab, gl_vocab_n_tokens(m->vocab));
    }
    st = m->arch->bind(m, used, err);
    for (int64_t i = 0; st == GLINT_OK && i < m->n_tensors; i++)
        if (!used[i])
            st = gl_fail(err, GLINT_ERROR_UNSUPPORTED, "tensor '%s' is not known to the %s "
                         "architecture", m->tensors[i].name, arch_name);
    free(used);
    if (st) return st;

    if (m->hp.n_layer > GL_PLAN_MAX_LAYERS)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "%d layers: at most %d are supported",
                       m->hp.n_layer, GL_PLAN_MAX_LAYERS);
    if ((st = model_group_tensors(m, err))) return st;
    return gl_model_setup(m, p, err);
}

glint_status glint_model_load(glint_runtime *rt, const char *path, const glint_model_params *p,
                              glint_model **out) {
    if (!out) return GLINT_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    if (!rt || !path) return GLINT_ERROR_INVALID_ARGUMENT;
    const glint_model_params defaults = glint_model_default_params();
    if (!p) p = &defaults;
    glint_model *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(rt->last_error, sizeof rt->last_error, "out of memory");
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    m->rt = rt;
    gl_err err = {{0}};
    glint_status st = model_load(m, path, p, &err);
    if (st != GLINT_OK) {
        snprintf(rt->last_error, sizeof rt->last_error, "%s", err.msg[0] ? err.msg :
                 glint_status_string(st));
        glint_model_free(m);
        return st;
    }
    rt->last_error[0] = 0;
    *out = m;
    return GLINT_OK;
}

void glint_model_free(glint_model *m) {
    if (!m) return;
    gl_model_weights_free(m);
    free(m->profile);
    free(m->tensor_group);
    gl_vocab_free(m->vocab);
    free(m->tensors);
    free(m->layers);
    gl_gguf_close(m->gguf);
    free(m);
}

const char *glint_model_last_error(const glint_model *m) {
    return m ? m->last_error : "";
}

glint_status glint_model_get_info(const glint_model *m, glint_model_info *out) {
    if (!m || !out) return GLINT_ERROR_INVALID_ARGUMENT;
    const gl_hparams *hp = &m->hp;
    *out = (glint_model_info){
        .arch = hp->arch, .name = m->name, .n_vocab = hp->n_vocab,
        .n_ctx_train = hp->n_ctx_train, .n_embd = hp->n_embd, .n_layer = hp->n_layer,
        .n_head = hp->n_head, .n_head_kv = hp->n_head_kv, .n_ff = hp->n_ff,
        .head_dim = hp->head_dim, .n_params = m->n_params, .weight_bytes = m->weight_bytes,
        .main_type = m->main_type, .backend = m->backend_desc,
        .plan = m->plan_desc};
    return GLINT_OK;
}

int32_t glint_model_token_bos(const glint_model *m) {
    return m ? gl_vocab_bos(m->vocab) : -1;
}

int32_t glint_model_token_eos(const glint_model *m) {
    return m ? gl_vocab_eos(m->vocab) : -1;
}

bool glint_model_token_is_eog(const glint_model *m, int32_t token) {
    return m && gl_vocab_is_eog(m->vocab, token);
}

glint_status glint_model_tokenize(const glint_model *m, const char *text, size_t len,
                                  bool add_special, bool parse_special, int32_t *out, size_t cap,
                                  size_t *n_out) {
    if (!m || (!text && len) || (!out && cap) || !n_out) return GLINT_ERROR_INVALID_ARGUMENT;
    return gl_vocab_tokenize(m->vocab, text ? text : "", len, add_special, parse_special, out,
                             cap, n_out);
}

glint_status glint_model_token_to_piece(const glint_model *m, int32_t token, bool special,
                                        char *buf, size_t cap, size_t *n_out) {
    if (!m || (!buf && cap) || !n_out) return GLINT_ERROR_INVALID_ARGUMENT;
    return gl_vocab_token_to_piece(m->vocab, token, special, buf, cap, n_out);
}

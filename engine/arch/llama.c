/* The llama family: llama (Llama 2/3.x, TinyLlama, SmolLM), qwen2 (QKV bias, NeoX rope) and
 * qwen3 (per-head Q/K RMS norm, NeoX rope). One pre-norm decoder; the differences are flags. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static glint_status get_i32(const gl_gguf *g, const char *arch, const char *key, int32_t *out,
                            bool required, gl_err *err) {
    char full[128];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    glint_status st = gl_gguf_get_i32(g, full, out, err);
    if (st == GLINT_ERROR_NOT_FOUND && required)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "missing hyper-parameter '%s'", full);
    if (st == GLINT_OK && *out < 0)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "'%s' = %d is negative", full, *out);
    return st == GLINT_ERROR_NOT_FOUND ? GLINT_OK : st;
}

static glint_status get_f32(const gl_gguf *g, const char *arch, const char *key, float *out,
                            gl_err *err) {
    char full[128];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    glint_status st = gl_gguf_get_f32(g, full, out, err);
    return st == GLINT_ERROR_NOT_FOUND ? GLINT_OK : st;
}

static glint_status llama_load_hparams(const gl_gguf *g, const char *arch, gl_hparams *hp,
                                       gl_err *err) {
    glint_status st;
    memset(hp, 0, sizeof *hp);
    snprintf(hp->arch, sizeof hp->arch, "%s", arch);
    hp->n_ctx_train = 2048;
    if ((st = get_i32(g, arch, "context_length", &hp->n_ctx_train, false, err)) ||
        (st = get_i32(g, arch, "embedding_length", &hp->n_embd, true, err)) ||
        (st = get_i32(g, arch, "block_count", &hp->n_layer, true, err)) ||
        (st = get_i32(g, arch, "feed_forward_length", &hp->n_ff, true, err)) ||
        (st = get_i32(g, arch, "attention.head_count", &hp->n_head, true, err)))
        return st;
    hp->n_head_kv = hp->n_head;
    if ((st = get_i32(g, arch, "attention.head_count_kv", &hp->n_head_kv, false, err))) return st;
    if (hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_head <= 0 || hp->n_head_kv <= 0 ||
        hp->n_ff <= 0 || hp->n_head % hp->n_head_kv)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                       "bad hyper-parameters: n_embd %d, n_layer %d, n_head %d, n_head_kv %d, "
                       "n_ff %d",
                       hp->n_embd, hp->n_layer, hp->n_head, hp->n_head_kv, hp->n_ff);
    if (hp->n_layer > 4096 || hp->n_embd > (1 << 20) || hp->n_head > 4096)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "absurd hyper-parameters: %d layers, "
                       "n_embd %d, %d heads", hp->n_layer, hp->n_embd, hp->n_head);
    hp->head_dim = hp->n_embd / hp->n_head;
    int32_t vlen = hp->head_dim;
    if ((st = get_i32(g, arch, "attention.key_length", &hp->head_dim, false, err)) ||
        (st = get_i32(g, arch, "attention.value_length", &vlen, false, err)))
        return st;
    if (hp->head_dim <= 0 || hp->head_dim % 2 || vlen != hp->head_dim)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "head dimension %d (value length %d) is not "
                       "supported", hp->head_dim, vlen);
    hp->n_rot = hp->head_dim;
    if ((st = get_i32(g, arch, "rope.dimension_count", &hp->n_rot, false, err))) return st;
    if (hp->n_rot <= 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "rope.dimension_count %d with head dim %d",
                       hp->n_rot, hp->head_dim);
    hp->rms_eps = 1e-5f;
    hp->rope_freq_base = 10000.0f;
    hp->rope_freq_scale = 1.0f;
    if ((st = get_f32(g, arch, "attention.layer_norm_rms_epsilon", &hp->rms_eps, err)) ||
        (st = get_f32(g, arch, "rope.freq_base", &hp->rope_freq_base, err)))
        return st;

    /* Rope scaling: linear is a position scale; llama-3 style factors come as the rope_freqs
     * tensor; other kinds would silently give wrong text, so they are refused. */
    char key[128];
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    gl_str type;
    st = gl_gguf_get_str(g, key, &type, err);
    if (st == GLINT_OK) {
        float factor = 1.0f;
        if ((st = get_f32(g, arch, "rope.scaling.factor", &factor, err))) return st;
        if (type.len == 6 && memcmp(type.ptr, "linear", 6) == 0) {
            if (!(factor > 0)) return gl_fail(err, GLINT_ERROR_INVALID_FILE, "rope scaling factor");
            hp->rope_freq_scale = 1.0f / factor;
        } else if (!(type.len == 4 && memcmp(type.ptr, "none", 4) == 0) &&
                   !(type.len == 5 && memcmp(type.ptr, "llama", 5) == 0)) {
            return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "rope scaling type '%.*s' is not "
                           "supported", (int)GL_MIN(type.len, 32), type.ptr);
        }
    } else if (st != GLINT_ERROR_NOT_FOUND) {
        return st;
    }
    if (!(hp->rms_eps > 0) || !(hp->rope_freq_base > 0))
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "bad rms epsilon or rope base");

    const bool qwen = strncmp(arch, "qwen", 4) == 0;
    hp->rope_mode = qwen ? GL_ROPE_NEOX : GL_ROPE_NORM;
    hp->qkv_bias = strcmp(arch, "qwen2") == 0;
    hp->qk_norm = strcmp(arch, "qwen3") == 0;
    return GLINT_OK;
}

/* Binds tensor `name` (printf format) with shape {ne0, ne1} (ne1 ignored when nd == 1). */
#define BIND(dst, optional, nd, ne0, ne1, ...)                                                     \
    if ((st = gl_model_bind(m, used, &(dst), optional, nd, (const int64_t[]){ne0, ne1}, err,      \
                            __VA_ARGS__)))                                                         \
    return st

static glint_status llama_bind(glint_model *m, bool *used, gl_err *err) {
    const gl_hparams *hp = &m->hp;
    const int64_t E = hp->n_embd, V = hp->n_vocab, F = hp->n_ff, D = hp->head_dim;
    const int64_t Q = hp->n_head * D, K = hp->n_head_kv * D;
    glint_status st;
    BIND(m->tok_embd, false, 2, E, V, "token_embd.weight");
    BIND(m->output_norm, false, 1, E, 1, "output_norm.weight");
    BIND(m->output, true, 2, E, V, "output.weight");
    BIND(m->rope_freqs, true, 1, hp->n_rot / 2, 1, "rope_freqs.weight");
    if (!m->output) m->output = m->tok_embd; /* tied embeddings */
    for (int l = 0; l < hp->n_layer; l++) {
        gl_layer *L = &m->layers[l];
        BIND(L->attn_norm, false, 1, E, 1, "blk.%d.attn_norm.weight", l);
        BIND(L->wq, false, 2, E, Q, "blk.%d.attn_q.weight", l);
        BIND(L->wk, false, 2, E, K, "blk.%d.attn_k.weight", l);
        BIND(L->wv, false, 2, E, K, "blk.%d.attn_v.weight", l);
        BIND(L->wo, false, 2, Q, E, "blk.%d.attn_output.weight", l);
        BIND(L->bq, !hp->qkv_bias, 1, Q, 1, "blk.%d.attn_q.bias", l);
        BIND(L->bk, !hp->qkv_bias, 1, K, 1, "blk.%d.attn_k.bias", l);
        BIND(L->bv, !hp->qkv_bias, 1, K, 1, "blk.%d.attn_v.bias", l);
        BIND(L->q_norm, !hp->qk_norm, 1, D, 1, "blk.%d.attn_q_norm.weight", l);
        BIND(L->k_norm, !hp->qk_norm, 1, D, 1, "blk.%d.attn_k_norm.weight", l);
        BIND(L->ffn_norm, false, 1, E, 1, "blk.%d.ffn_norm.weight", l);
        BIND(L->ffn_gate, false, 2, E, F, "blk.%d.ffn_gate.weight", l);
        BIND(L->ffn_up, false, 2, E, F, "blk.%d.ffn_up.weight", l);
        BIND(L->ffn_down, false, 2, F, E, "blk.%d.ffn_down.weight", l);
    }
    return GLINT_OK;
}
#undef BIND

/* The forward pass, as nodes. x is the residual stream [n_embd, n]; each layer's
 * intermediates come from the arena and are released when the layer ends. */
static void llama_build(const glint_model *m, gl_graph *g, const gl_forward *fw) {
    const gl_hparams *hp = &m->hp;
    const int64_t n = fw->n, E = hp->n_embd, D = hp->head_dim;
    const int64_t H = hp->n_head, HK = hp->n_head_kv;
    const glint_type F32 = GLINT_TYPE_F32;
    gl_op_params norm = {.f = {hp->rms_eps}};
    gl_op_params rope = {.i = {hp->n_rot, hp->rope_mode}, .f = {hp->rope_freq_base,
                                                                 hp->rope_freq_scale}};
    gl_op_params attn = {.i = {fw->n_past}, .f = {1.0f / sqrtf((float)D)}};
    gl_op_params swiglu = {.i = {GL_GLU_SWIGLU}};
    const int n_layer = hp->n_layer;

    g->layer = -1;
    gl_tensor *x = gl_graph_new(g, F32, E, n, 1); /* [E, n] */
    gl_graph_op(g, GL_OP_GET_ROWS, x, fw->w[0]->tok_embd, fw->tokens, NULL, NULL);

    for (int l = 0; l < n_layer; l++) {
        const gl_weights *W = fw->w[l + 1];
        const gl_layer *L = &W->layers[l];
        const size_t mark = g->act_used;
        g->layer = l;

        /* attention: q [D, H, n], k/v [D, HK, n] */
        gl_tensor *h = gl_graph_new(g, F32, E, n, 1);
        gl_graph_op(g, GL_OP_RMS_NORM, h, x, L->attn_norm, NULL, &norm);
        gl_tensor *q = gl_graph_new(g, F32, D * H, n, 1);
        gl_tensor *k = gl_graph_new(g, F32, D * HK, n, 1);
        gl_tensor *v = gl_graph_new(g, F32, D * HK, n, 1);
        gl_graph_op(g, GL_OP_MUL_MAT, q, L->wq, h, NULL, NULL);
        gl_graph_op(g, GL_OP_MUL_MAT, k, L->wk, h, NULL, NULL);
        gl_graph_op(g, GL_OP_MUL_MAT, v, L->wv, h, NULL, NULL);
        if (L->bq) gl_graph_op(g, GL_OP_ADD, q, q, L->bq, NULL, NULL);
        if (L->bk) gl_graph_op(g, GL_OP_ADD, k, k, L->bk, NULL, NULL);
        if (L->bv) gl_graph_op(g, GL_OP_ADD, v, v, L->bv, NULL, NULL);
        gl_tensor *q3 = gl_graph_view(g, q, 0, D, H, n, 0, 0);
        gl_tensor *k3 = gl_graph_view(g, k, 0, D, HK, n, 0, 0);
        gl_tensor *v3 = gl_graph_view(g, v, 0, D, HK, n, 0, 0);
        if (L->q_norm) gl_graph_op(g, GL_OP_RMS_NORM, q3, q3, L->q_norm, NULL, &norm);
        if (L->k_norm) gl_graph_op(g, GL_OP_RMS_NORM, k3, k3, L->k_norm, NULL, &norm);
        gl_graph_op(g, GL_OP_ROPE, q3, q3, fw->pos, W->rope_freqs, &rope);
        gl_graph_op(g, GL_OP_ROPE, k3, k3, fw->pos, W->rope_freqs, &rope);

        /* the cache rows of positions n_past .. n_past + n - 1 are contiguous */
        gl_tensor *kc = &fw->k_cache[l], *vc = &fw->v_cache[l];
        gl_tensor *kdst = gl_graph_view(g, kc, (size_t)fw->n_past * kc->nb[2], D, HK, n, 0, 0);
        gl_tensor *vdst = gl_graph_view(g, vc, (size_t)fw->n_past * vc->nb[2], D, HK, n, 0, 0);
        gl_graph_op(g, GL_OP_CPY, kdst, k3, NULL, NULL, NULL);
        gl_graph_op(g, GL_OP_CPY, vdst, v3, NULL, NULL, NULL);

        gl_tensor *a = gl_graph_new(g, F32, D * H, n, 1);
        gl_graph_op(g, GL_OP_ATTENTION, a, q3, kc, vc, &attn);
        gl_tensor *o = gl_graph_new(g, F32, E, n, 1);
        gl_graph_op(g, GL_OP_MUL_MAT, o, L->wo, a, NULL, NULL);
        gl_graph_op(g, GL_OP_ADD, x, x, o, NULL, NULL);

        /* feed-forward: down(silu(gate(h)) * up(h)) */
        h = gl_graph_new(g, F32, E, n, 1);
        gl_graph_op(g, GL_OP_RMS_NORM, h, x, L->ffn_norm, NULL, &norm);
        gl_tensor *gate = gl_graph_new(g, F32, hp->n_ff, n, 1);
        gl_tensor *up = gl_graph_new(g, F32, hp->n_ff, n, 1);
        gl_graph_op(g, GL_OP_MUL_MAT, gate, L->ffn_gate, h, NULL, NULL);
        gl_graph_op(g, GL_OP_MUL_MAT, up, L->ffn_up, h, NULL, NULL);
        gl_graph_op(g, GL_OP_GLU, gate, gate, up, NULL, &swiglu);
        gl_tensor *down = gl_graph_new(g, F32, E, n, 1);
        gl_graph_op(g, GL_OP_MUL_MAT, down, L->ffn_down, gate, NULL, NULL);
        gl_graph_op(g, GL_OP_ADD, x, x, down, NULL, NULL);

        g->act_used = mark;
    }

    /* output: only the rows whose logits are wanted */
    g->layer = n_layer;
    const int64_t n_out = fw->logits_all ? n : 1;
    gl_tensor *xo = fw->logits_all ? x : gl_graph_view(g, x, (size_t)(n - 1) * x->nb[1], E, 1, 1,
                                                       0, 0);
    gl_tensor *h = gl_graph_new(g, F32, E, n_out, 1);
    const gl_weights *W = fw->w[n_layer + 1];
    gl_graph_op(g, GL_OP_RMS_NORM, h, xo, W->output_norm, NULL, &norm);
    gl_graph_op(g, GL_OP_MUL_MAT, fw->logits, W->output, h, NULL, NULL);
}

static const gl_arch g_archs[] = {
    {"llama", llama_load_hparams, llama_bind, llama_build},
    {"qwen2", llama_load_hparams, llama_bind, llama_build},
    {"qwen3", llama_load_hparams, llama_bind, llama_build},
};

const gl_arch *gl_arch_find(const char *name) {
    for (size_t i = 0; i < GL_ARRAY_LEN(g_archs); i++)
        if (strcmp(g_archs[i].name, name) == 0) return &g_archs[i];
    return NULL;
}

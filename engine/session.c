/* A session: the KV cache, the work buffers sized once for the largest batch, and the forward
 * passes. Nothing is allocated on the decode path. */
#include "session.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct glint_session {
    glint_model *m;
    glint_session_params p;
    gl_backend *be;
    gl_buffer *kv_buf, *act_buf, *io_buf; /* io: token ids, positions, logits */
    gl_tensor *k_cache, *v_cache; /* [n_layer] */
    gl_tensor tokens_t, pos_t, logits_t;
    int32_t *tokens, *pos;
    float *logits;
    int32_t n_logits; /* rows of logits from the last batch */
    gl_graph g;
    int32_t n_past;
    glint_session_stats stats;
    int32_t *queue; /* tokens submitted for step() */
    size_t q_len, q_head, q_cap;
    char last_error[512];
};

glint_session_params glint_session_default_params(void) {
    return (glint_session_params){.n_ctx = 0, .n_batch = 512, .kv_type = GLINT_TYPE_F16,
                                  .logits_all = false};
}

static glint_status session_fail(glint_session *s, glint_status st, const char *fmt, ...)
    GL_PRINTF(3, 4);
static glint_status session_fail(glint_session *s, glint_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->last_error, sizeof s->last_error, fmt, ap);
    va_end(ap);
    return st;
}

static void session_forward_args(glint_session *s, int32_t n, gl_forward *fw) {
    s->tokens_t.ne[0] = s->pos_t.ne[0] = n;
    const int32_t n_out = s->p.logits_all ? n : 1;
    const int64_t ne[2] = {s->m->hp.n_vocab, n_out};
    gl_tensor_init(&s->logits_t, GLINT_TYPE_F32, 2, ne);
    if (!s->io_buf) s->logits_t.data = s->logits;
    *fw = (gl_forward){.n = n, .n_past = s->n_past, .tokens = &s->tokens_t, .pos = &s->pos_t,
                       .k_cache = s->k_cache, .v_cache = s->v_cache, .logits = &s->logits_t,
                       .logits_all = s->p.logits_all};
}

glint_status glint_session_create(glint_model *m, const glint_session_params *p,
                                  glint_session **out) {
    if (!out) return GLINT_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    if (!m) return GLINT_ERROR_INVALID_ARGUMENT;
    const glint_session_params defaults = glint_session_default_params();
    if (!p) p = &defaults;
    const gl_hparams *hp = &m->hp;
    if (p->n_ctx < 0 || p->n_batch < 0 ||
        (p->kv_type != GLINT_TYPE_F16 && p->kv_type != GLINT_TYPE_F32)) {
        snprintf(m->last_error, sizeof m->last_error,
                 "session: bad params (n_ctx %d, n_batch %d, kv type %d; kv is f16 or f32)",
                 p->n_ctx, p->n_batch, (int)p->kv_type);
        return GLINT_ERROR_INVALID_ARGUMENT;
    }
    glint_session *s = calloc(1, sizeof *s);
    if (!s) return GLINT_ERROR_OUT_OF_MEMORY;
    s->m = m;
    s->p = *p;
    if (s->p.n_ctx == 0) s->p.n_ctx = GL_MIN(hp->n_ctx_train > 0 ? hp->n_ctx_train : 4096, 4096);
    if (s->p.n_batch == 0) s->p.n_batch = 512;
    s->p.n_batch = GL_MIN(s->p.n_batch, s->p.n_ctx);
    s->be = m->backend;
    const int32_t nb = s->p.n_batch, n_layer = hp->n_layer;

    /* KV cache: per layer [head_dim, n_head_kv, n_ctx] in one buffer. */
    const size_t esz = p->kv_type == GLINT_TYPE_F16 ? 2 : 4;
    const size_t layer_bytes = gl_align_up(
        (size_t)hp->head_dim * (size_t)hp->n_head_kv * (size_t)s->p.n_ctx * esz, 256);
    s->k_cache = calloc((size_t)n_layer, sizeof *s->k_cache);
    s->v_cache = calloc((size_t)n_layer, sizeof *s->v_cache);
    s->tokens = calloc((size_t)nb, sizeof *s->tokens);
    s->pos = calloc((size_t)nb, sizeof *s->pos);
    const size_t logits_bytes =
        (size_t)hp->n_vocab * (size_t)(p->logits_all ? nb : 1) * sizeof(float);
    s->logits = calloc(1, logits_bytes);
    s->g.cap_nodes = n_layer * 32 + 16;
    s->g.cap_tensors = n_layer * 48 + 32;
    s->g.nodes = calloc((size_t)s->g.cap_nodes, sizeof *s->g.nodes);
    s->g.tensors = calloc((size_t)s->g.cap_tensors, sizeof *s->g.tensors);
    glint_status st = GLINT_ERROR_OUT_OF_MEMORY;
    if (!s->k_cache || !s->v_cache || !s->tokens || !s->pos || !s->logits || !s->g.nodes ||
        !s->g.tensors)
        goto fail;
    st = s->be->iface->buffer_alloc(s->be, 2 * layer_bytes * (size_t)n_layer, GL_BUFFER_COMPUTE,
                                     &s->kv_buf);
    if (st) goto fail;
    for (int l = 0; l < n_layer; l++) {
        const int64_t ne[3] = {hp->head_dim, hp->n_head_kv, s->p.n_ctx};
        gl_tensor *kv[2] = {&s->k_cache[l], &s->v_cache[l]};
        for (int j = 0; j < 2; j++) {
            gl_tensor_init(kv[j], p->kv_type, 3, ne);
            kv[j]->buffer = s->kv_buf;
            kv[j]->offset = (size_t)(2 * l + j) * layer_bytes;
            kv[j]->data = s->kv_buf->host ? (char *)s->kv_buf->host + kv[j]->offset : NULL;
            kv[j]->name = j ? "v_cache" : "k_cache";
        }
    }
    const int64_t ntok = nb;
    gl_tensor_init(&s->tokens_t, GLINT_TYPE_I32, 1, &ntok);
    gl_tensor_init(&s->pos_t, GLINT_TYPE_I32, 1, &ntok);
    s->tokens_t.data = s->tokens;
    s->pos_t.data = s->pos;
    if (s->be != m->rt->cpu) {
        /* inputs and logits live on the device; the host arrays are staged through them */
        const size_t io_tok = gl_align_up((size_t)nb * sizeof(int32_t), 256);
        st = s->be->iface->buffer_alloc(s->be, 2 * io_tok + logits_bytes, GL_BUFFER_COMPUTE,
                                        &s->io_buf);
        if (st) goto fail;
        gl_tensor *io[3] = {&s->tokens_t, &s->pos_t, &s->logits_t};
        for (int j = 0; j < 3; j++) {
            io[j]->buffer = s->io_buf;
            io[j]->offset = (size_t)j * io_tok;
            io[j]->data = s->io_buf->host ? (char *)s->io_buf->host + io[j]->offset : NULL;
        }
    }

    /* Measure the largest graph, then give it memory and let the backend size its scratch. */
    gl_forward fw;
    session_forward_args(s, nb, &fw);
    gl_graph_reset(&s->g);
    m->arch->build(m, &s->g, &fw);
    if (s->g.overflow) {
        st = GLINT_ERROR_INTERNAL;
        goto fail;
    }
    st = s->be->iface->buffer_alloc(s->be, s->g.act_peak, GL_BUFFER_COMPUTE, &s->act_buf);
    if (st) goto fail;
    s->g.act = s->act_buf;
    gl_graph_reset(&s->g);
    m->arch->build(m, &s->g, &fw);
    if (s->be->iface->reserve && (st = s->be->iface->reserve(s->be, s->g.nodes, s->g.n_nodes)))
        goto fail;
    *out = s;
    return GLINT_OK;
fail:
    snprintf(m->last_error, sizeof m->last_error, "session: %s while creating (n_ctx %d, "
             "n_batch %d)", glint_status_string(st), s->p.n_ctx, s->p.n_batch);
    glint_session_free(s);
    return st;
}

void glint_session_free(glint_session *s) {
    if (!s) return;
    if (s->be) {
        s->be->iface->buffer_free(s->be, s->kv_buf);
        s->be->iface->buffer_free(s->be, s->act_buf);
        s->be->iface->buffer_free(s->be, s->io_buf);
    }
    free(s->k_cache);
    free(s->v_cache);
    free(s->tokens);
    free(s->pos);
    free(s->logits);
    free(s->g.nodes);
    free(s->g.tensors);
    free(s->queue);
    free(s);
}

const char *glint_session_last_error(const glint_session *s) {
    return s ? s->last_error : "";
}

int32_t gl_session_n_vocab(const glint_session *s) {
    return s ? s->m->hp.n_vocab : 0;
}

/* Token ids and positions into the device's io buffer (nothing to do on the CPU). */
static glint_status session_stage_inputs(glint_session *s, int32_t n) {
    if (!s->io_buf) return GLINT_OK;
    const size_t bytes = (size_t)n * sizeof(int32_t);
    if (s->io_buf->host) {
        memcpy(s->tokens_t.data, s->tokens, bytes);
        memcpy(s->pos_t.data, s->pos, bytes);
        return GLINT_OK;
    }
    glint_status st = s->be->iface->buffer_upload(s->be, s->io_buf, s->tokens_t.offset,
                                                  s->tokens, bytes);
    if (st == GLINT_OK)
        st = s->be->iface->buffer_upload(s->be, s->io_buf, s->pos_t.offset, s->pos, bytes);
    return st ? session_fail(s, st, "cannot upload the batch: %s", glint_status_string(st)) : st;
}

static glint_status session_fetch_logits(glint_session *s, int32_t n) {
    if (!s->io_buf) return GLINT_OK;
    const size_t bytes = (size_t)s->m->hp.n_vocab * (size_t)(s->p.logits_all ? n : 1) * 4;
    if (s->io_buf->host) {
        memcpy(s->logits, s->logits_t.data, bytes);
        return GLINT_OK;
    }
    glint_status st = s->be->iface->buffer_download(s->be, s->io_buf, s->logits_t.offset,
                                                    s->logits, bytes);
    return st ? session_fail(s, st, "cannot read the logits: %s", glint_status_string(st)) : st;
}

/* Host-addressable: every tensor of the node has a CPU address. */
static bool node_on_host(const gl_node *nd) {
    if (!nd->dst->data) return false;
    for (int i = 0; i < GL_MAX_SRC; i++)
        if (nd->src[i] && !nd->src[i]->data) return false;
    return true;
}

/* Runs the graph: contiguous runs of nodes on the session's backend, and the nodes it
 * declines on the CPU (possible where its memory is host-visible; moving tensors between
 * separate memories is the scheduler's job). */
static glint_status session_compute(glint_session *s) {
    gl_backend *be = s->be, *cpu = s->m->rt->cpu;
    gl_node *nodes = s->g.nodes;
    const int n = s->g.n_nodes;
    glint_status st = GLINT_OK;
    for (int i = 0; i < n && st == GLINT_OK;) {
        const bool on_be = be == cpu || be->iface->supports_op(be, &nodes[i]);
        int j = i + 1;
        while (j < n && (be == cpu || be->iface->supports_op(be, &nodes[j])) == on_be) j++;
        if (on_be) {
            st = be->iface->compute(be, nodes + i, j - i);
        } else {
            for (int k = i; k < j; k++)
                if (!node_on_host(&nodes[k]))
                    return session_fail(s, GLINT_ERROR_UNSUPPORTED,
                                        "%s (layer %d) cannot run on %s, and its tensors are not "
                                        "host-visible for the CPU", gl_op_name(nodes[k].op),
                                        nodes[k].layer, be->iface->name(be));
            st = be->iface->synchronize(be); /* the CPU reads what the device wrote */
            if (st == GLINT_OK) st = cpu->iface->compute(cpu, nodes + i, j - i);
        }
        i = j;
    }
    if (st == GLINT_OK) st = be->iface->synchronize(be);
    return st ? session_fail(s, st, "forward pass failed on %s: %s", be->iface->name(be),
                             glint_status_string(st)) : st;
}

/* One forward pass over n <= n_batch tokens. */
static glint_status session_batch(glint_session *s, const int32_t *tokens, int32_t n) {
    const int64_t t0 = gl_time_us();
    for (int32_t i = 0; i < n; i++) {
        s->tokens[i] = tokens[i];
        s->pos[i] = s->n_past + i;
    }
    gl_forward fw;
    session_forward_args(s, n, &fw);
    gl_graph_reset(&s->g);
    s->g.act = s->act_buf;
    s->m->arch->build(s->m, &s->g, &fw);
    if (s->g.overflow) return session_fail(s, GLINT_ERROR_INTERNAL, "graph arena overflow");
    glint_status st = session_stage_inputs(s, n);
    if (st == GLINT_OK) st = session_compute(s);
    if (st == GLINT_OK) st = session_fetch_logits(s, n);
    if (st) return st;
    s->n_past += n;
    s->n_logits = s->p.logits_all ? n : 1;
    const double ms = (double)(gl_time_us() - t0) / 1000.0;
    if (n > 1) {
        s->stats.n_prompt_tokens += n;
        s->stats.prompt_ms += ms;
    } else {
        s->stats.n_gen_tokens += n;
        s->stats.gen_ms += ms;
    }
    return GLINT_OK;
}

static glint_status session_check(glint_session *s, const int32_t *tokens, size_t n) {
    if (n > (size_t)(s->p.n_ctx - s->n_past))
        return session_fail(s, GLINT_ERROR_CONTEXT_FULL,
                            "context full: %d positions held, %zu more do not fit in n_ctx %d",
                            s->n_past, n, s->p.n_ctx);
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= s->m->hp.n_vocab)
            return session_fail(s, GLINT_ERROR_INVALID_ARGUMENT,
                                "token %d at index %zu is outside the vocab (%d tokens)",
                                tokens[i], i, s->m->hp.n_vocab);
    return GLINT_OK;
}

glint_status glint_session_decode(glint_session *s, const int32_t *tokens, size_t n) {
    if (!s || (!tokens && n)) return GLINT_ERROR_INVALID_ARGUMENT;
    glint_status st = session_check(s, tokens, n);
    if (st) return st;
    for (size_t i = 0; i < n; i += (size_t)s->p.n_batch) {
        const int32_t nb = (int32_t)GL_MIN((size_t)s->p.n_batch, n - i);
        if ((st = session_batch(s, tokens + i, nb))) return st;
    }
    return GLINT_OK;
}

glint_status glint_session_submit(glint_session *s, const int32_t *tokens, size_t n) {
    if (!s || (!tokens && n)) return GLINT_ERROR_INVALID_ARGUMENT;
    const size_t pending = s->q_len - s->q_head;
    if (pending + n > (size_t)(s->p.n_ctx - s->n_past))
        return session_fail(s, GLINT_ERROR_CONTEXT_FULL,
                            "context full: %d positions held and %zu queued, %zu more do not fit "
                            "in n_ctx %d", s->n_past, pending, n, s->p.n_ctx);
    glint_status st = session_check(s, tokens, n);
    if (st || n == 0) return st;
    if (s->q_len + n > s->q_cap) {
        if (pending) memmove(s->queue, s->queue + s->q_head, pending * sizeof *s->queue);
        s->q_len = pending;
        s->q_head = 0;
        if (s->q_len + n > s->q_cap) {
            int32_t *q = realloc(s->queue, (s->q_len + n) * sizeof *q);
            if (!q) return GLINT_ERROR_OUT_OF_MEMORY;
            s->queue = q;
            s->q_cap = s->q_len + n;
        }
    }
    memcpy(s->queue + s->q_len, tokens, n * sizeof *tokens);
    s->q_len += n;
    return GLINT_OK;
}

glint_status glint_session_step(glint_session *s, uint64_t budget_us, bool *done) {
    if (!s || !done) return GLINT_ERROR_INVALID_ARGUMENT;
    const int64_t start = gl_time_us();
    do {
        const size_t pending = s->q_len - s->q_head;
        if (!pending) break;
        const int32_t nb = (int32_t)GL_MIN((size_t)s->p.n_batch, pending);
        glint_status st = session_batch(s, s->queue + s->q_head, nb);
        if (st) return st;
        s->q_head += (size_t)nb;
    } while ((uint64_t)(gl_time_us() - start) < budget_us);
    *done = s->q_head == s->q_len;
    return GLINT_OK;
}

glint_status glint_session_get_logits(const glint_session *s, int32_t i, const float **out) {
    if (!out) return GLINT_ERROR_INVALID_ARGUMENT;
    *out = NULL;
    if (!s || s->n_logits == 0) return GLINT_ERROR_INVALID_ARGUMENT;
    if (i < 0) i += s->n_logits;
    if (i < 0 || i >= s->n_logits) return GLINT_ERROR_INVALID_ARGUMENT;
    *out = s->logits + (size_t)i * (size_t)s->m->hp.n_vocab;
    return GLINT_OK;
}

int32_t glint_session_n_past(const glint_session *s) {
    return s ? s->n_past : 0;
}

int32_t glint_session_n_ctx(const glint_session *s) {
    return s ? s->p.n_ctx : 0;
}

glint_status glint_session_rewind(glint_session *s, int32_t n_keep) {
    if (!s || n_keep < 0) return GLINT_ERROR_INVALID_ARGUMENT;
    if (n_keep < s->n_past) s->n_past = n_keep;
    s->n_logits = 0;
    s->q_len = s->q_head = 0;
    return GLINT_OK;
}

glint_status glint_session_get_stats(const glint_session *s, glint_session_stats *out) {
    if (!s || !out) return GLINT_ERROR_INVALID_ARGUMENT;
    *out = s->stats;
    return GLINT_OK;
}

void glint_session_reset_stats(glint_session *s) {
    if (s) memset(&s->stats, 0, sizeof s->stats);
}

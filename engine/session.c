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
    gl_sched sched;
    bool sched_ready;
    gl_lbuf act, io; /* io: token ids, positions, logits */
    gl_lbuf *kv;     /* [n_layer]: K then V of the layer */
    int n_kv;
    gl_tensor *k_cache, *v_cache; /* [n_layer] */
    gl_tensor tokens_t, pos_t, logits_t;
    size_t io_tok;                /* bytes of the token and position arrays in io */
    int32_t *tokens, *pos;
    float *logits;
    int32_t n_logits; /* rows of logits from the last batch */
    gl_graph g;
    gl_plan plan[GL_PLAN_PHASE_COUNT];
    const gl_weights **w[GL_PLAN_PHASE_COUNT]; /* [n_layer + 2] per phase */
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

static gl_plan_phase phase_of(int32_t n) {
    return n > 1 ? GL_PLAN_PHASE_PREFILL : GL_PLAN_PHASE_DECODE;
}

static void session_forward_args(glint_session *s, int32_t n, gl_forward *fw) {
    s->tokens_t.ne[0] = s->pos_t.ne[0] = n;
    const int32_t n_out = s->p.logits_all ? n : 1;
    const int64_t ne[2] = {s->m->hp.n_vocab, n_out};
    gl_tensor_init(&s->logits_t, GLINT_TYPE_F32, 2, ne);
    gl_lbuf_bind(&s->io, &s->logits_t, 2 * s->io_tok);
    *fw = (gl_forward){.n = n, .n_past = s->n_past, .tokens = &s->tokens_t, .pos = &s->pos_t,
                       .k_cache = s->k_cache, .v_cache = s->v_cache, .logits = &s->logits_t,
                       .logits_all = s->p.logits_all, .w = s->w[phase_of(n)]};
}

void gl_session_set_plans(glint_session *s, const gl_plan plans[GL_PLAN_PHASE_COUNT]) {
    const int n_stage = s->m->hp.n_layer + 2;
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        s->plan[ph] = plans[ph];
        for (int st = 0; st < n_stage; st++)
            s->w[ph][st] = gl_model_stage_weights(s->m, gl_plan_stage_backend(&plans[ph], st), st);
    }
}

/* Backend b (>= 1) gets memory for a stage it runs in a plan, or whose weights it holds
 * (a model loaded for profiling). */
static bool backend_wants_stage(const glint_session *s, int b, int stage) {
    const glint_model *m = s->m;
    if (m->w[b].tensors && m->w[b].held[stage]) return true;
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
        if (gl_plan_stage_backend(&s->plan[ph], stage) == b) return true;
    return false;
}

static glint_status session_alloc(glint_session *s, size_t layer_bytes, size_t logits_bytes,
                                  gl_err *err) {
    const glint_model *m = s->m;
    const int n_layer = m->hp.n_layer;
    bool want[GL_SCHED_MAX_BACKENDS] = {false};
    for (int b = 1; b < m->n_backend; b++)
        for (int st = 0; st < n_layer + 2 && !want[b]; st++) want[b] = backend_wants_stage(s, b, st);
    s->io_tok = gl_align_up((size_t)s->p.n_batch * sizeof(int32_t), 256);
    glint_status st = gl_lbuf_alloc(&s->sched, &s->io, "inputs and logits",
                                    2 * s->io_tok + logits_bytes, want, err);
    if (st) return st;
    for (int l = 0; l < n_layer; l++) {
        bool kw[GL_SCHED_MAX_BACKENDS] = {false};
        for (int b = 1; b < m->n_backend; b++) kw[b] = backend_wants_stage(s, b, l + 1);
        if ((st = gl_lbuf_alloc(&s->sched, &s->kv[l], "kv cache", 2 * layer_bytes, kw, err)))
            return st;
        s->n_kv = l + 1;
        const int64_t ne[3] = {m->hp.head_dim, m->hp.n_head_kv, s->p.n_ctx};
        gl_tensor *kv[2] = {&s->k_cache[l], &s->v_cache[l]};
        for (int j = 0; j < 2; j++) {
            gl_tensor_init(kv[j], s->p.kv_type, 3, ne);
            gl_lbuf_bind(&s->kv[l], kv[j], (size_t)j * layer_bytes);
            kv[j]->name = j ? "v_cache" : "k_cache";
        }
    }
    gl_lbuf_bind(&s->io, &s->tokens_t, 0);
    gl_lbuf_bind(&s->io, &s->pos_t, s->io_tok);
    /* the largest graph says how much activation memory a pass needs */
    gl_forward fw;
    session_forward_args(s, s->p.n_batch, &fw);
    gl_graph_reset(&s->g);
    s->g.act = NULL;
    m->arch->build(m, &s->g, &fw);
    if (s->g.overflow) return gl_fail(err, GLINT_ERROR_INTERNAL, "graph arena overflow");
    if ((st = gl_lbuf_alloc(&s->sched, &s->act, "activations", s->g.act_peak, want, err)))
        return st;
    s->g.act = &s->act.sentinel;
    gl_graph_reset(&s->g);
    m->arch->build(m, &s->g, &fw);
    const gl_plan *plans[GL_PLAN_PHASE_COUNT] = {&s->plan[0], &s->plan[1]};
    if ((st = gl_sched_reserve(&s->sched, s->g.nodes, s->g.n_nodes, plans, 2)))
        return gl_fail(err, st, "cannot reserve scratch memory");
    return GLINT_OK;
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
    const int32_t nb = s->p.n_batch, n_layer = hp->n_layer;
    gl_err err = {{0}};

    const size_t esz = p->kv_type == GLINT_TYPE_F16 ? 2 : 4;
    const size_t layer_bytes = gl_align_up(
        (size_t)hp->head_dim * (size_t)hp->n_head_kv * (size_t)s->p.n_ctx * esz, 256);
    s->k_cache = calloc((size_t)n_layer, sizeof *s->k_cache);
    s->v_cache = calloc((size_t)n_layer, sizeof *s->v_cache);
    s->kv = calloc((size_t)n_layer, sizeof *s->kv);
    s->tokens = calloc((size_t)nb, sizeof *s->tokens);
    s->pos = calloc((size_t)nb, sizeof *s->pos);
    const size_t logits_bytes =
        (size_t)hp->n_vocab * (size_t)(p->logits_all ? nb : 1) * sizeof(float);
    s->logits = calloc(1, logits_bytes);
    s->g.cap_nodes = n_layer * 32 + 16;
    s->g.cap_tensors = n_layer * 48 + 32;
    s->g.nodes = calloc((size_t)s->g.cap_nodes, sizeof *s->g.nodes);
    s->g.tensors = calloc((size_t)s->g.cap_tensors, sizeof *s->g.tensors);
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
        s->w[ph] = calloc((size_t)n_layer + 2, sizeof *s->w[ph]);
    glint_status st = GLINT_ERROR_OUT_OF_MEMORY;
    if (!s->k_cache || !s->v_cache || !s->kv || !s->tokens || !s->pos || !s->logits ||
        !s->g.nodes || !s->g.tensors || !s->w[0] || !s->w[1])
        goto fail;
    if ((st = gl_sched_init(&s->sched, m->backends, m->n_backend, s->g.cap_nodes, &err)))
        goto fail;
    s->sched_ready = true;
    gl_session_set_plans(s, m->plan);

    const int64_t ntok = nb;
    gl_tensor_init(&s->tokens_t, GLINT_TYPE_I32, 1, &ntok);
    gl_tensor_init(&s->pos_t, GLINT_TYPE_I32, 1, &ntok);
    if ((st = session_alloc(s, layer_bytes, logits_bytes, &err))) goto fail;
    *out = s;
    return GLINT_OK;
fail:
    snprintf(m->last_error, sizeof m->last_error, "session (n_ctx %d, n_batch %d): %.400s",
             s->p.n_ctx, s->p.n_batch, err.msg[0] ? err.msg : glint_status_string(st));
    glint_session_free(s);
    return st;
}

void glint_session_free(glint_session *s) {
    if (!s) return;
    if (s->sched_ready) {
        gl_lbuf_free(&s->sched, &s->act);
        gl_lbuf_free(&s->sched, &s->io);
        for (int l = 0; l < s->n_kv; l++) gl_lbuf_free(&s->sched, &s->kv[l]);
        gl_sched_free(&s->sched);
    }
    free(s->kv);
    free(s->k_cache);
    free(s->v_cache);
    free(s->tokens);
    free(s->pos);
    free(s->logits);
    free(s->g.nodes);
    free(s->g.tensors);
    free(s->w[0]);
    free(s->w[1]);
    free(s->queue);
    free(s);
}

const char *glint_session_last_error(const glint_session *s) {
    return s ? s->last_error : "";
}

int32_t gl_session_n_vocab(const glint_session *s) {
    return s ? s->m->hp.n_vocab : 0;
}

void gl_session_set_profiling(glint_session *s, bool on) {
    s->sched.profiling = on;
    for (int b = 0; b < s->sched.n_backend; b++)
        if (s->sched.be[b]->iface->set_profiling) s->sched.be[b]->iface->set_profiling(s->sched.be[b], on);
}

void gl_session_stage_ms(const glint_session *s, double *out, int n_stage) {
    const int n_layer = s->m->hp.n_layer;
    for (int i = 0; i < n_stage; i++) out[i] = 0;
    for (int k = 0; k < s->g.n_nodes; k++) {
        const int st = gl_stage_of_layer(s->g.nodes[k].layer, n_layer);
        if (st < n_stage) out[st] += s->sched.node_us[k] / 1000.0;
    }
}

void gl_session_set_flush_stages(glint_session *s, bool on) {
    s->sched.flush_stages = on;
}

glint_status gl_session_set_n_past(glint_session *s, int32_t n_past) {
    if (n_past < 0 || n_past >= s->p.n_ctx) return GLINT_ERROR_INVALID_ARGUMENT;
    s->n_past = n_past;
    return GLINT_OK;
}

glint_status gl_session_zero_kv(glint_session *s) {
    for (int l = 0; l < s->n_kv; l++) {
        glint_status st = gl_lbuf_zero(&s->sched, &s->kv[l]);
        if (st) return st;
    }
    return GLINT_OK;
}

gl_sched_stats gl_session_sched_stats(const glint_session *s) {
    return s->sched.stats;
}

unsigned gl_session_backends(const glint_session *s) {
    unsigned mask = 0;
    for (int b = 0; b < s->sched.n_backend; b++)
        if (s->act.phys[b] && s->act.owned[b]) mask |= 1u << b;
    return mask;
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
    s->g.act = &s->act.sentinel;
    s->m->arch->build(s->m, &s->g, &fw);
    if (s->g.overflow) return session_fail(s, GLINT_ERROR_INTERNAL, "graph arena overflow");
    gl_lbuf_reset(&s->act);
    const size_t bytes = (size_t)n * sizeof(int32_t);
    glint_status st = gl_lbuf_write(&s->sched, &s->io, 0, s->tokens, bytes);
    if (!st) st = gl_lbuf_write(&s->sched, &s->io, s->io_tok, s->pos, bytes);
    if (!st) st = gl_sched_run(&s->sched, s->g.nodes, s->g.n_nodes, &s->plan[phase_of(n)]);
    if (!st)
        st = gl_lbuf_read(&s->sched, &s->io, 2 * s->io_tok, s->logits,
                          gl_tensor_nbytes(&s->logits_t));
    if (st) return session_fail(s, st, "forward pass failed: %s", s->sched.last_error[0] ?
                                s->sched.last_error : glint_status_string(st));
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

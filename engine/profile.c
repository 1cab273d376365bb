/* The profiler (see profile.h). Every stage is timed with each backend running the whole
 * model (per-node GPU timestamps or CPU wall clock, scaled so the stages add up to the pass's
 * measured wall time, which includes what timestamps miss: recording and submission). A
 * boundary costs the copy of the activations plus one submission round trip on each GPU side. */
#include "profile.h"
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPS 32

gl_profile_opts gl_profile_default_opts(void) {
    gl_profile_opts o = {.reps = 3, .n_prefill = 128};
    const char *e;
    if ((e = getenv("GLINT_PROFILE_REPS"))) o.reps = GL_MAX(1, GL_MIN(atoi(e), MAX_REPS));
    if ((e = getenv("GLINT_PROFILE_PREFILL"))) o.n_prefill = GL_MAX(2, atoi(e));
    if ((e = getenv("GLINT_PROFILE_CTX"))) {
        while (*e && o.n_ctx < GL_PROFILE_MAX_CTX) {
            char *end;
            const long v = strtol(e, &end, 10);
            if (end == e) break;
            if (v >= 0) o.ctx[o.n_ctx++] = (int32_t)v;
            e = *end == ',' ? end + 1 : end;
        }
    }
    return o;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct prof_run {
    glint_model *m;
    glint_session *s;
    const gl_profile_opts *o;
    int32_t *tokens;
    int step, n_steps;
    char what[96];
} prof_run;

static void progress(prof_run *r) {
    r->step++;
    if (r->o->progress)
        r->o->progress((float)r->step / (float)GL_MAX(r->n_steps, 1), r->what, r->o->progress_user);
}

/* Median wall ms of one pass of n tokens at position n_past, and the median ms per stage. */
static glint_status time_pass(prof_run *r, int32_t n, int32_t n_past, double *wall,
                              double *stage, int n_stage, gl_err *err) {
    static double walls[MAX_REPS];
    double *stages = malloc((size_t)MAX_REPS * (size_t)n_stage * sizeof *stages);
    if (!stages) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    const int reps = GL_MAX(1, GL_MIN(r->o->reps, MAX_REPS));
    glint_status st = GLINT_OK;
    for (int k = -1; k < reps && !st; k++) { /* k = -1: warm-up */
        if ((st = gl_session_set_n_past(r->s, n_past))) break;
        const int64_t t0 = gl_time_us();
        if ((st = glint_session_decode(r->s, r->tokens, (size_t)n))) break;
        const double ms = (double)(gl_time_us() - t0) / 1000.0;
        if (k >= 0) {
            walls[k] = ms;
            gl_session_stage_ms(r->s, stages + (size_t)k * (size_t)n_stage, n_stage);
        }
        progress(r);
    }
    if (st) {
        free(stages);
        return gl_fail(err, st, "%s", glint_session_last_error(r->s));
    }
    *wall = median(walls, reps);
    double sum = 0, col[MAX_REPS];
    for (int i = 0; i < n_stage; i++) {
        for (int k = 0; k < reps; k++) col[k] = stages[(size_t)k * (size_t)n_stage + (size_t)i];
        stage[i] = median(col, reps);
        sum += stage[i];
    }
    /* what per-node times miss (recording, submission, waits) is spread over the stages */
    if (sum > 0)
        for (int i = 0; i < n_stage; i++) stage[i] *= *wall / sum;
    free(stages);
    return GLINT_OK;
}

/* Median ms to make `bytes` of activations written on a current on b. */
static double copy_ms(prof_run *r, int a, int b, size_t bytes) {
    gl_sched sc;
    gl_err err = {{0}};
    double t[MAX_REPS];
    int n = 0;
    if (gl_sched_init(&sc, r->m->backends, r->m->n_backend, 1, &err)) return 0;
    bool want[GL_SCHED_MAX_BACKENDS] = {false};
    want[a] = want[b] = true;
    gl_lbuf l;
    if (gl_lbuf_alloc(&sc, &l, "profile", bytes, want, &err) == GLINT_OK) {
        const int reps = GL_MAX(1, GL_MIN(r->o->reps, MAX_REPS));
        for (int k = 0; k < reps; k++) {
            double us = 0;
            if (gl_sched_time_copy(&sc, &l, a, b, &us)) break;
            t[n++] = us / 1000.0;
        }
    }
    gl_lbuf_free(&sc, &l);
    gl_sched_free(&sc);
    return n ? median(t, n) : 0;
}

static void pick_contexts(const glint_model *m, const gl_profile_opts *o, gl_profile *p) {
    const int32_t limit = GL_MIN(m->hp.n_ctx_train > 0 ? m->hp.n_ctx_train : 4096, 4096);
    p->n_ctx = 0;
    if (o->n_ctx > 0) {
        for (int i = 0; i < o->n_ctx; i++)
            if (o->ctx[i] + 1 < limit) p->ctx[p->n_ctx++] = o->ctx[i];
    } else {
        static const int32_t want[] = {0, 512, 2048};
        for (size_t i = 0; i < GL_ARRAY_LEN(want); i++)
            if (want[i] + 1 < limit) p->ctx[p->n_ctx++] = want[i];
        /* a short-context model still gets a second point */
        if (p->n_ctx == 1 && limit > 8) p->ctx[p->n_ctx++] = limit / 2;
    }
    if (p->n_ctx == 0) p->ctx[p->n_ctx++] = 0;
}

glint_status gl_profile_run(glint_model *m, const gl_profile_opts *o, gl_profile *out,
                            gl_err *err) {
    memset(out, 0, sizeof *out);
    const int n_layer = m->hp.n_layer, n_stage = n_layer + 2, nb = m->n_backend;
    out->n_backend = nb;
    out->n_layer = n_layer;
    for (int b = 0; b < nb; b++)
        snprintf(out->names[b], sizeof out->names[b], "%s", m->backends[b]->iface->name(m->backends[b]));
    pick_contexts(m, o, out);
    int32_t max_ctx = 0;
    for (int i = 0; i < out->n_ctx; i++) max_ctx = GL_MAX(max_ctx, out->ctx[i]);
    const int32_t limit = GL_MIN(m->hp.n_ctx_train > 0 ? m->hp.n_ctx_train : 4096, 4096);
    out->n_prefill = GL_MAX(2, GL_MIN(o->n_prefill > 0 ? o->n_prefill : 128, limit - 1));

    glint_session_params sp = glint_session_default_params();
    sp.n_ctx = GL_MIN(limit, GL_MAX(max_ctx + 2, out->n_prefill + 1));
    sp.n_batch = out->n_prefill;
    prof_run r = {.m = m, .o = o};
    glint_status st = glint_session_create(m, &sp, &r.s);
    if (st) return gl_fail(err, st, "profiling: %s", m->last_error);
    r.tokens = malloc((size_t)out->n_prefill * sizeof *r.tokens);
    if (!r.tokens) {
        glint_session_free(r.s);
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    }
    for (int i = 0; i < out->n_prefill; i++) r.tokens[i] = 1 + (i * 7919) % (m->hp.n_vocab - 1);
    const int reps = GL_MAX(1, GL_MIN(o->reps, MAX_REPS));
    r.n_steps = nb * (reps + 1) * (1 + out->n_ctx) + (nb - 1) * (reps + 1) + 1;

    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT && !st; ph++)
        st = gl_plan_costs_init(&out->costs[ph], nb, n_layer, err);
    double rt[GL_PLAN_MAX_BACKENDS] = {0}; /* ms one more submission and wait cost on b */
    double *stage = malloc((size_t)n_stage * sizeof *stage);
    if (!stage) st = gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    if (!st) st = gl_session_zero_kv(r.s);
    gl_session_set_profiling(r.s, true);
    for (int b = 0; b < nb && !st; b++) {
        gl_plan plans[GL_PLAN_PHASE_COUNT];
        for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
            gl_plan_uniform(n_layer, nb, b, &plans[ph], NULL);
        gl_session_set_plans(r.s, plans);
        /* prefill */
        snprintf(r.what, sizeof r.what, "profiling %s prefill %d", out->names[b], out->n_prefill);
        gl_plan_costs *c = &out->costs[GL_PLAN_PHASE_PREFILL];
        if ((st = time_pass(&r, out->n_prefill, 0, &out->whole[GL_PLAN_PHASE_PREFILL][b], stage,
                            n_stage, err)))
            break;
        c->embed[b] = stage[0];
        for (int l = 0; l < n_layer; l++) c->layer[b][l] = stage[l + 1];
        c->head[b] = stage[n_layer + 1];
        /* decode at each context length; the planner gets the mean */
        gl_plan_costs *d = &out->costs[GL_PLAN_PHASE_DECODE];
        for (int i = 0; i < out->n_ctx && !st; i++) {
            snprintf(r.what, sizeof r.what, "profiling %s decode ctx %d", out->names[b],
                     out->ctx[i]);
            double wall;
            if ((st = time_pass(&r, 1, out->ctx[i], &wall, stage, n_stage, err))) break;
            out->whole[GL_PLAN_PHASE_DECODE][b] += wall / out->n_ctx;
            for (int sg = 0; sg < n_stage; sg++) out->decode_stage[i][b][sg] = stage[sg];
            if (i == 0 && b > 0) {
                /* what a boundary costs a GPU: the same pass, waited for after every stage */
                double flushed;
                gl_session_set_flush_stages(r.s, true);
                st = time_pass(&r, 1, out->ctx[i], &flushed, stage, n_stage, err);
                gl_session_set_flush_stages(r.s, false);
                rt[b] = GL_MAX(0.0, (flushed - wall) / (n_stage - 1));
            }
            d->embed[b] += stage[0] / out->n_ctx;
            for (int l = 0; l < n_layer; l++) d->layer[b][l] += stage[l + 1] / out->n_ctx;
            d->head[b] += stage[n_layer + 1] / out->n_ctx;
        }
    }
    gl_session_set_profiling(r.s, false);
    glint_session_free(r.s);
    free(r.tokens);
    free(stage);
    if (st) return st;

    /* boundaries: the residual stream [n_embd, n] in f32 */
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        const int32_t n = ph == GL_PLAN_PHASE_PREFILL ? out->n_prefill : 1;
        const size_t bytes = (size_t)m->hp.n_embd * (size_t)n * sizeof(float);
        for (int a = 0; a < nb; a++)
            for (int b = 0; b < nb; b++)
                if (a != b)
                    gl_plan_costs_set_move(&out->costs[ph], a, b,
                                           copy_ms(&r, a, b, bytes) + rt[a] + rt[b]);
    }
    snprintf(r.what, sizeof r.what, "planning");
    progress(&r);
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
        if ((st = gl_plan_solve(&out->costs[ph], &out->plan[ph], err))) return st;
    return GLINT_OK;
}

glint_status gl_profile_measure(glint_model *m, const gl_profile_opts *o,
                                double out_ms[GL_PLAN_PHASE_COUNT], gl_err *err) {
    gl_profile *p = calloc(1, sizeof *p);
    if (!p) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    pick_contexts(m, o, p);
    int32_t max_ctx = 0;
    for (int i = 0; i < p->n_ctx; i++) max_ctx = GL_MAX(max_ctx, p->ctx[i]);
    const int32_t limit = GL_MIN(m->hp.n_ctx_train > 0 ? m->hp.n_ctx_train : 4096, 4096);
    const int32_t n_prefill = GL_MAX(2, GL_MIN(o->n_prefill > 0 ? o->n_prefill : 128, limit - 1));
    glint_session_params sp = glint_session_default_params();
    sp.n_ctx = GL_MIN(limit, GL_MAX(max_ctx + 2, n_prefill + 1));
    sp.n_batch = n_prefill;
    prof_run r = {.m = m, .o = o};
    glint_status st = glint_session_create(m, &sp, &r.s);
    if (st) {
        free(p);
        return gl_fail(err, st, "%s", m->last_error);
    }
    r.tokens = malloc((size_t)n_prefill * sizeof *r.tokens);
    const int n_stage = m->hp.n_layer + 2;
    double *stage = malloc((size_t)n_stage * sizeof *stage);
    if (!r.tokens || !stage) st = gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; !st && i < n_prefill; i++) r.tokens[i] = 1 + (i * 7919) % (m->hp.n_vocab - 1);
    if (!st) st = gl_session_zero_kv(r.s);
    r.n_steps = (GL_MAX(1, o->reps) + 1) * (1 + p->n_ctx);
    snprintf(r.what, sizeof r.what, "measuring the plan");
    out_ms[0] = out_ms[1] = 0;
    if (!st) st = time_pass(&r, n_prefill, 0, &out_ms[GL_PLAN_PHASE_PREFILL], stage, n_stage, err);
    for (int i = 0; i < p->n_ctx && !st; i++) {
        double wall;
        st = time_pass(&r, 1, p->ctx[i], &wall, stage, n_stage, err);
        out_ms[GL_PLAN_PHASE_DECODE] += wall / p->n_ctx;
    }
    glint_session_free(r.s);
    free(r.tokens);
    free(stage);
    free(p);
    return st;
}

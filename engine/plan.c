/* Layer placement by dynamic programming over the chain of stages (embedding, layers, head). */
#include "plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static glint_status check_counts(int n_backend, int n_layer, gl_err *err) {
    if (n_backend < 1 || n_backend > GL_PLAN_MAX_BACKENDS)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: %d backends (want 1..%d)",
                       n_backend, GL_PLAN_MAX_BACKENDS);
    if (n_layer < 1 || n_layer > GL_PLAN_MAX_LAYERS)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: %d layers (want 1..%d)", n_layer,
                       GL_PLAN_MAX_LAYERS);
    return GLINT_OK;
}

glint_status gl_plan_costs_init(gl_plan_costs *c, int n_backend, int n_layer, gl_err *err) {
    if (!c) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: NULL cost table");
    glint_status st = check_counts(n_backend, n_layer, err);
    if (st != GLINT_OK) return st;
    memset(c, 0, sizeof *c);
    c->n_backend = n_backend;
    c->n_layer = n_layer;
    return GLINT_OK;
}

void gl_plan_costs_set_move(gl_plan_costs *c, int from, int to, double cost) {
    if (!c || from < 0 || to < 0 || from >= GL_PLAN_MAX_BACKENDS || to >= GL_PLAN_MAX_BACKENDS)
        return;
    for (int i = 0; i <= GL_PLAN_MAX_LAYERS; i++) c->move[i][from][to] = cost;
}

/* Stage s: 0 = embedding, 1..n_layer = layer s-1, n_layer+1 = head. */
static double stage_cost(const gl_plan_costs *c, int s, int b) {
    if (s == 0) return c->embed[b];
    if (s <= c->n_layer) return c->layer[b][s - 1];
    return c->head[b];
}

/* Handing over from the backend of stage s-1 to that of stage s crosses boundary s-1. */
static double move_cost(const gl_plan_costs *c, int s, int from, int to) {
    return from == to ? 0.0 : c->move[s - 1][from][to];
}

static bool bad_cost(double v) {
    return isnan(v) || v < 0;
}

static glint_status check_costs(const gl_plan_costs *c, gl_err *err) {
    if (!c) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: NULL cost table");
    glint_status st = check_counts(c->n_backend, c->n_layer, err);
    if (st != GLINT_OK) return st;
    const int nb = c->n_backend, ns = c->n_layer + 2;
    for (int s = 0; s < ns; s++) {
        for (int b = 0; b < nb; b++) {
            if (bad_cost(stage_cost(c, s, b)))
                return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                               "plan: cost of stage %d on backend %d is %g", s, b,
                               stage_cost(c, s, b));
            if (s == 0) continue;
            for (int a = 0; a < nb; a++) {
                if (a != b && bad_cost(move_cost(c, s, a, b)))
                    return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                                   "plan: move cost at boundary %d from %d to %d is %g", s - 1, a,
                                   b, move_cost(c, s, a, b));
            }
        }
    }
    return GLINT_OK;
}

static int plan_stage_backend(const gl_plan *p, int s) {
    if (s == 0) return p->embed;
    if (s <= p->n_layer) return p->backend[s - 1];
    return p->head;
}

glint_status gl_plan_eval(const gl_plan_costs *c, const gl_plan *p, double *cost, gl_err *err) {
    glint_status st = check_costs(c, err);
    if (st != GLINT_OK) return st;
    if (!p || !cost) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: NULL plan");
    if (p->n_layer != c->n_layer || p->n_backend != c->n_backend)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                       "plan for %d layers / %d backends, table for %d / %d", p->n_layer,
                       p->n_backend, c->n_layer, c->n_backend);
    const int ns = c->n_layer + 2;
    double sum = 0;
    int prev = -1;
    for (int s = 0; s < ns; s++) {
        const int b = plan_stage_backend(p, s);
        if (b >= c->n_backend)
            return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: stage %d on backend %d of %d",
                           s, b, c->n_backend);
        if (s > 0) sum += move_cost(c, s, prev, b);
        sum += stage_cost(c, s, b);
        prev = b;
    }
    *cost = sum;
    return GLINT_OK;
}

glint_status gl_plan_solve(const gl_plan_costs *c, gl_plan *out, gl_err *err) {
    glint_status st = check_costs(c, err);
    if (st != GLINT_OK) return st;
    if (!out) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: NULL output");
    const int nb = c->n_backend, ns = c->n_layer + 2;
    double best[GL_PLAN_MAX_BACKENDS] = {0}, next[GL_PLAN_MAX_BACKENDS] = {0};
    uint8_t from[GL_PLAN_MAX_LAYERS + 2][GL_PLAN_MAX_BACKENDS];

    for (int b = 0; b < nb; b++) best[b] = stage_cost(c, 0, b);
    for (int s = 1; s < ns; s++) {
        for (int b = 0; b < nb; b++) {
            double m = INFINITY;
            int arg = 0;
            for (int a = 0; a < nb; a++) {
                const double v = best[a] + move_cost(c, s, a, b);
                if (v < m) {
                    m = v;
                    arg = a;
                }
            }
            next[b] = m + stage_cost(c, s, b);
            from[s][b] = (uint8_t)arg;
        }
        memcpy(best, next, sizeof best);
    }
    int last = 0;
    for (int b = 1; b < nb; b++)
        if (best[b] < best[last]) last = b;
    if (isinf(best[last]))
        return gl_fail(err, GLINT_ERROR_BACKEND_UNAVAILABLE,
                       "plan: no backend assignment can run every stage (all costs infinite)");

    memset(out, 0, sizeof *out);
    out->n_layer = c->n_layer;
    out->n_backend = nb;
    int b = last;
    for (int s = ns - 1; s >= 0; s--) {
        if (s == 0)
            out->embed = (uint8_t)b;
        else if (s <= c->n_layer)
            out->backend[s - 1] = (uint8_t)b;
        else
            out->head = (uint8_t)b;
        if (s > 0) b = from[s][b];
    }
    /* Report the plain sum of the entries the plan uses, in stage order, so a caller that
     * recomputes it gets the same number bit for bit. */
    return gl_plan_eval(c, out, &out->cost, err);
}

glint_status gl_plan_uniform(int n_layer, int n_backend, int b, gl_plan *out, gl_err *err) {
    glint_status st = check_counts(n_backend, n_layer, err);
    if (st != GLINT_OK) return st;
    if (!out) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: NULL output");
    if (b < 0 || b >= n_backend)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: backend %d of %d", b, n_backend);
    memset(out, 0, sizeof *out);
    out->n_layer = n_layer;
    out->n_backend = n_backend;
    out->embed = out->head = (uint8_t)b;
    for (int l = 0; l < n_layer; l++) out->backend[l] = (uint8_t)b;
    return GLINT_OK;
}

glint_status gl_plan_static(int n_layer, int n_backend, int gpu, int cpu, gl_plan *out,
                            gl_err *err) {
    return gl_plan_uniform(n_layer, n_backend, gpu >= 0 ? gpu : cpu, out, err);
}

glint_status gl_plan_from_gpu_layers(int n_layer, int n_backend, int n_gpu_layers, int gpu, int cpu,
                                     gl_plan *out, gl_err *err) {
    glint_status st = check_counts(n_backend, n_layer, err);
    if (st != GLINT_OK) return st;
    if (gpu < 0 || gpu >= n_backend || cpu < 0 || cpu >= n_backend)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan: gpu %d / cpu %d of %d backends",
                       gpu, cpu, n_backend);
    st = gl_plan_uniform(n_layer, n_backend, cpu, out, err);
    if (st != GLINT_OK) return st;
    const int n = GL_MAX(0, GL_MIN(n_gpu_layers, n_layer));
    for (int l = 0; l < n; l++) out->backend[l] = (uint8_t)gpu;
    out->embed = out->backend[0];
    out->head = out->backend[n_layer - 1];
    return GLINT_OK;
}

static int describe_one(char *buf, size_t cap, const char *const *names, const char *sep, int first,
                        int last, int b) {
    char who[48];
    if (names && names[b])
        snprintf(who, sizeof who, "%s", names[b]);
    else
        snprintf(who, sizeof who, "%d", b);
    if (first < 0) return snprintf(buf, cap, "%s%s:%s", sep, last == -1 ? "embed" : "head", who);
    if (first == last) return snprintf(buf, cap, "%s%d:%s", sep, first, who);
    return snprintf(buf, cap, "%s%d-%d:%s", sep, first, last, who);
}

void gl_plan_describe(const gl_plan *p, const char *const *names, char *buf, size_t cap) {
    if (!buf || cap == 0) return;
    buf[0] = 0;
    if (!p || p->n_layer < 1 || p->n_layer > GL_PLAN_MAX_LAYERS) return;
    size_t used = 0;
    int w = describe_one(buf, cap, names, "", -1, -1, p->embed);
    if (w < 0 || (size_t)w >= cap) return;
    used += (size_t)w;
    int start = 0;
    for (int l = 1; l <= p->n_layer; l++) {
        if (l < p->n_layer && p->backend[l] == p->backend[start]) continue;
        w = describe_one(buf + used, cap - used, names, " ", start, l - 1, p->backend[start]);
        if (w < 0 || (size_t)w >= cap - used) return;
        used += (size_t)w;
        start = l;
    }
    describe_one(buf + used, cap - used, names, " ", -1, -2, p->head);
}

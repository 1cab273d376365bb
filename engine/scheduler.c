/* The scheduler: per-node backend choice, logical buffers with per-backend copies, and the
 * copies between them (see sched.h). */
#include "scheduler.h"
#include "model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALL_BACKENDS 0xffu
#define STAGING_SIZE ((size_t)4 << 20)

/* ---- which copies are current, per byte range ----------------------------------------- */

static glint_status iv_init(gl_ivmap *m) {
    m->cap = 64;
    m->start = malloc((size_t)m->cap * sizeof *m->start);
    m->mask = malloc((size_t)m->cap * sizeof *m->mask);
    if (!m->start || !m->mask) return GLINT_ERROR_OUT_OF_MEMORY;
    m->n = 1;
    m->start[0] = 0;
    m->mask[0] = ALL_BACKENDS;
    return GLINT_OK;
}

static void iv_free(gl_ivmap *m) {
    free(m->start);
    free(m->mask);
    memset(m, 0, sizeof *m);
}

/* The entry holding byte pos. */
static int iv_find(const gl_ivmap *m, size_t pos) {
    int lo = 0, hi = m->n - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (m->start[mid] <= pos) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static glint_status iv_reserve(gl_ivmap *m, int extra) {
    if (m->n + extra <= m->cap) return GLINT_OK;
    const int cap = GL_MAX(2 * m->cap, m->n + extra);
    size_t *st = realloc(m->start, (size_t)cap * sizeof *st);
    if (!st) return GLINT_ERROR_OUT_OF_MEMORY;
    m->start = st;
    uint8_t *mk = realloc(m->mask, (size_t)cap * sizeof *mk);
    if (!mk) return GLINT_ERROR_OUT_OF_MEMORY;
    m->mask = mk;
    m->cap = cap;
    return GLINT_OK;
}

/* Makes an entry start at pos (0 < pos < size). */
static void iv_split(gl_ivmap *m, size_t pos) {
    const int i = iv_find(m, pos);
    if (m->start[i] == pos) return;
    memmove(m->start + i + 2, m->start + i + 1, (size_t)(m->n - i - 1) * sizeof *m->start);
    memmove(m->mask + i + 2, m->mask + i + 1, (size_t)(m->n - i - 1) * sizeof *m->mask);
    m->start[i + 1] = pos;
    m->mask[i + 1] = m->mask[i];
    m->n++;
}

static glint_status iv_set(gl_ivmap *m, size_t size, size_t lo, size_t hi, uint8_t mask) {
    hi = GL_MIN(hi, size);
    if (lo >= hi) return GLINT_OK;
    glint_status st = iv_reserve(m, 2);
    if (st) return st;
    if (lo > 0) iv_split(m, lo);
    if (hi < size) iv_split(m, hi);
    const int i = iv_find(m, lo);
    const int j = hi < size ? iv_find(m, hi) : m->n; /* entries [i, j) lie in [lo, hi) */
    m->mask[i] = mask;
    memmove(m->start + i + 1, m->start + j, (size_t)(m->n - j) * sizeof *m->start);
    memmove(m->mask + i + 1, m->mask + j, (size_t)(m->n - j) * sizeof *m->mask);
    m->n -= j - i - 1;
    /* merge with equal neighbours */
    if (i + 1 < m->n && m->mask[i + 1] == mask) {
        memmove(m->start + i + 1, m->start + i + 2, (size_t)(m->n - i - 2) * sizeof *m->start);
        memmove(m->mask + i + 1, m->mask + i + 2, (size_t)(m->n - i - 2) * sizeof *m->mask);
        m->n--;
    }
    if (i > 0 && m->mask[i - 1] == mask) {
        memmove(m->start + i, m->start + i + 1, (size_t)(m->n - i - 1) * sizeof *m->start);
        memmove(m->mask + i, m->mask + i + 1, (size_t)(m->n - i - 1) * sizeof *m->mask);
        m->n--;
    }
    return GLINT_OK;
}

/* ---- logical buffers ------------------------------------------------------------------- */

static glint_status sched_fail(gl_sched *s, glint_status st, const char *fmt, ...)
    GL_PRINTF(3, 4);
static glint_status sched_fail(gl_sched *s, glint_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->last_error, sizeof s->last_error, fmt, ap);
    va_end(ap);
    return st;
}

glint_status gl_lbuf_alloc(gl_sched *s, gl_lbuf *l, const char *name, size_t size,
                           const bool want[GL_SCHED_MAX_BACKENDS], gl_err *err) {
    memset(l, 0, sizeof *l);
    l->size = size;
    l->name = name;
    l->sentinel.size = size;
    l->sentinel.impl = l;
    if (iv_init(&l->valid)) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory");
    for (int b = 1; b < s->n_backend; b++) {
        if (!want[b]) continue;
        glint_status st = s->be[b]->iface->buffer_alloc(s->be[b], size, GL_BUFFER_COMPUTE,
                                                        &l->phys[b]);
        if (st == GLINT_ERROR_OUT_OF_DEVICE_MEMORY || st == GLINT_ERROR_OUT_OF_MEMORY) {
            /* the nodes that need it on this backend run on the CPU instead */
            GL_LOGW("cannot allocate %zu KiB for the %s on %s: the cpu runs what needs it",
                    size >> 10, name, s->be[b]->iface->name(s->be[b]));
            l->phys[b] = NULL;
            continue;
        }
        if (st)
            return gl_fail(err, st, "cannot allocate %zu KiB for the %s on %s", size >> 10,
                           name, s->be[b]->iface->name(s->be[b]));
        l->owned[b] = true;
    }
    for (int b = 1; b < s->n_backend && !l->phys[0] && !s->separate; b++)
        if (l->phys[b] && l->phys[b]->host) l->phys[0] = l->phys[b];
    if (!l->phys[0]) {
        glint_status st = s->be[0]->iface->buffer_alloc(s->be[0], size, GL_BUFFER_COMPUTE,
                                                        &l->phys[0]);
        if (st) return gl_fail(err, st, "cannot allocate %zu KiB for the %s", size >> 10, name);
        l->owned[0] = true;
    }
    for (int b = 0; b < s->n_backend; b++)
        for (int c = 0; c < s->n_backend; c++)
            if (l->phys[b] && l->phys[b] == l->phys[c]) l->dom[b] |= (uint8_t)(1u << c);
    return GLINT_OK;
}

void gl_lbuf_free(gl_sched *s, gl_lbuf *l) {
    for (int b = 0; b < s->n_backend; b++)
        if (l->owned[b]) s->be[b]->iface->buffer_free(s->be[b], l->phys[b]);
    iv_free(&l->valid);
    memset(l, 0, sizeof *l);
}

void gl_lbuf_reset(gl_lbuf *l) {
    l->valid.n = 1;
    l->valid.start[0] = 0;
    l->valid.mask[0] = ALL_BACKENDS;
}

void gl_lbuf_bind(gl_lbuf *l, gl_tensor *t, size_t off) {
    t->buffer = &l->sentinel;
    t->offset = off;
    t->data = NULL;
}

glint_status gl_lbuf_write(gl_sched *s, gl_lbuf *l, size_t off, const void *src, size_t n) {
    for (int b = 0; b < s->n_backend; b++) {
        gl_buffer *p = l->phys[b];
        if (!l->owned[b]) continue;
        glint_status st = p->host ? (memcpy((char *)p->host + off, src, n), GLINT_OK)
                                  : s->be[b]->iface->buffer_upload(s->be[b], p, off, src, n);
        if (st) return sched_fail(s, st, "cannot write the %s on %s", l->name,
                                  s->be[b]->iface->name(s->be[b]));
    }
    return iv_set(&l->valid, l->size, off, off + n, ALL_BACKENDS);
}

static int lowest_with_copy(const gl_lbuf *l, unsigned mask, int n_backend) {
    for (int b = 0; b < n_backend; b++)
        if ((mask >> b & 1u) && l->phys[b]) return b;
    return -1;
}

glint_status gl_lbuf_read(gl_sched *s, gl_lbuf *l, size_t off, void *dst, size_t n) {
    const size_t hi = off + n;
    for (int i = iv_find(&l->valid, off); i < l->valid.n && l->valid.start[i] < hi; i++) {
        const size_t a = GL_MAX(l->valid.start[i], off);
        const size_t e = GL_MIN(i + 1 < l->valid.n ? l->valid.start[i + 1] : l->size, hi);
        const int b = lowest_with_copy(l, l->valid.mask[i], s->n_backend);
        if (b < 0) return sched_fail(s, GLINT_ERROR_INTERNAL, "%s: no current copy", l->name);
        gl_buffer *p = l->phys[b];
        glint_status st = p->host ? (memcpy((char *)dst + (a - off), (char *)p->host + a, e - a),
                                     GLINT_OK)
                                  : s->be[b]->iface->buffer_download(s->be[b], p, a,
                                                                     (char *)dst + (a - off), e - a);
        if (st) return sched_fail(s, st, "cannot read the %s from %s", l->name,
                                  s->be[b]->iface->name(s->be[b]));
    }
    return GLINT_OK;
}

glint_status gl_lbuf_zero(gl_sched *s, gl_lbuf *l) {
    static const char zeros[65536];
    for (int b = 0; b < s->n_backend; b++) {
        if (!l->owned[b]) continue;
        gl_buffer *p = l->phys[b];
        if (p->host) {
            memset(p->host, 0, l->size);
            continue;
        }
        for (size_t off = 0; off < l->size; off += sizeof zeros) {
            glint_status st = s->be[b]->iface->buffer_upload(
                s->be[b], p, off, zeros, GL_MIN(sizeof zeros, l->size - off));
            if (st) return st;
        }
    }
    gl_lbuf_reset(l);
    return GLINT_OK;
}

/* Bytes [off, off + n) of l from copy a to copy b (both backends idle). */
static glint_status lbuf_copy(gl_sched *s, gl_lbuf *l, int a, int b, size_t off, size_t n) {
    gl_buffer *pa = l->phys[a], *pb = l->phys[b];
    gl_backend *ba = s->be[a], *bb = s->be[b];
    glint_status st = GLINT_OK;
    if (pa->host && pb->host) {
        memcpy((char *)pb->host + off, (char *)pa->host + off, n);
    } else if (pa->host) {
        st = bb->iface->buffer_upload(bb, pb, off, (char *)pa->host + off, n);
    } else if (pb->host) {
        st = ba->iface->buffer_download(ba, pa, off, (char *)pb->host + off, n);
    } else {
        if (!s->staging && !(s->staging = malloc(STAGING_SIZE)))
            return GLINT_ERROR_OUT_OF_MEMORY;
        for (size_t done = 0; done < n && !st; done += STAGING_SIZE) {
            const size_t k = GL_MIN(STAGING_SIZE, n - done);
            st = ba->iface->buffer_download(ba, pa, off + done, s->staging, k);
            if (!st) st = bb->iface->buffer_upload(bb, pb, off + done, s->staging, k);
        }
    }
    if (st)
        return sched_fail(s, st, "cannot copy %zu bytes of the %s from %s to %s", n, l->name,
                          ba->iface->name(ba), bb->iface->name(bb));
    s->stats.n_copies++;
    s->stats.copied_bytes += n;
    return GLINT_OK;
}

/* ---- running a graph ------------------------------------------------------------------- */

static uint64_t parse_ops_off(void) {
    const char *e = getenv("GLINT_GPU_SKIP_OPS");
    uint64_t mask = 0;
    if (!e) return 0;
    while (*e) {
        size_t len = strcspn(e, ",");
        for (int op = 0; op < GL_OP_COUNT; op++) {
            const char *name = gl_op_name((gl_op)op);
            bool same = strlen(name) == len;
            for (size_t i = 0; same && i < len; i++)
                same = toupper((unsigned char)e[i]) == name[i];
            if (same) mask |= 1ull << op;
        }
        e += len + (e[len] == ',');
    }
    if (mask) GL_LOGI("GLINT_GPU_SKIP_OPS: those ops run on the cpu");
    return mask;
}

glint_status gl_sched_init(gl_sched *s, gl_backend *const *backends, int n_backend,
                           int cap_nodes, gl_err *err) {
    memset(s, 0, sizeof *s);
    if (n_backend < 1 || n_backend > GL_SCHED_MAX_BACKENDS)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "bad backend count %d", n_backend);
    s->n_backend = n_backend;
    for (int b = 0; b < n_backend; b++) s->be[b] = backends[b];
    s->gpu_ops_off = parse_ops_off();
    s->separate = getenv("GLINT_SCHED_SEPARATE") != NULL;
    s->cap_low = cap_nodes * (GL_MAX_SRC + 1);
    s->cap_pending = cap_nodes;
    s->cap_node_us = cap_nodes;
    s->low = calloc((size_t)s->cap_low, sizeof *s->low);
    s->pending = calloc((size_t)cap_nodes, sizeof *s->pending);
    s->pending_idx = calloc((size_t)cap_nodes, sizeof *s->pending_idx);
    s->node_us = calloc((size_t)cap_nodes, sizeof *s->node_us);
    if (!s->low || !s->pending || !s->pending_idx || !s->node_us)
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "out of memory for the scheduler");
    return GLINT_OK;
}

void gl_sched_free(gl_sched *s) {
    free(s->low);
    free(s->pending);
    free(s->pending_idx);
    free(s->node_us);
    free(s->staging);
    memset(s, 0, sizeof *s);
}

static bool is_logical(const gl_tensor *t) {
    return t && t->buffer && !t->buffer->backend;
}

/* t as backend b addresses it; NULL when b has no copy of its logical buffer. */
static gl_tensor *lower_tensor(gl_sched *s, gl_tensor *t, int b) {
    if (!is_logical(t)) return t;
    const gl_lbuf *l = t->buffer->impl;
    gl_buffer *p = l->phys[b];
    if (!p) return NULL;
    gl_tensor *c = &s->low[s->n_low++];
    *c = *t;
    c->buffer = p;
    c->data = p->host ? (char *)p->host + t->offset : NULL;
    return c;
}

static bool lower_node(gl_sched *s, const gl_node *nd, int b, gl_node *out) {
    if (s->n_low + GL_MAX_SRC + 1 > s->cap_low) return false;
    *out = *nd;
    if (!(out->dst = lower_tensor(s, nd->dst, b))) return false;
    for (int i = 0; i < GL_MAX_SRC; i++)
        if (nd->src[i] && !(out->src[i] = lower_tensor(s, nd->src[i], b))) return false;
    return true;
}

/* Bytes of t a node reads: ATTENTION reads only the cache rows up to its last query. */
static void read_range(const gl_node *nd, int i, size_t *lo, size_t *hi) {
    const gl_tensor *t = nd->src[i];
    *lo = t->offset;
    if (nd->op == GL_OP_ATTENTION && (i == 1 || i == 2)) {
        const int64_t rows = (int64_t)nd->p.i[0] + nd->src[0]->ne[2];
        *hi = *lo + (size_t)GL_MIN(rows, t->ne[2]) * t->nb[2];
    } else {
        *hi = *lo + gl_tensor_nbytes(t);
    }
}

static glint_status flush(gl_sched *s) {
    if (s->n_pending == 0 || s->cur < 0) return GLINT_OK;
    gl_backend *be = s->be[s->cur];
    const int64_t t0 = s->profiling ? gl_time_us() : 0;
    glint_status st = be->iface->compute(be, s->pending, s->n_pending);
    if (st == GLINT_OK) st = be->iface->synchronize(be);
    if (st) {
        const int k = s->pending_idx[0];
        return sched_fail(s, st, "%s failed on %s (nodes from %d): %s",
                          gl_op_name(s->pending[0].op), be->iface->name(be), k,
                          glint_status_string(st));
    }
    if (s->profiling) {
        gl_node_timing tm[512];
        int got = 0;
        if (be->iface->get_timings && s->n_pending <= (int)GL_ARRAY_LEN(tm))
            got = be->iface->get_timings(be, tm, (int)GL_ARRAY_LEN(tm));
        if (got == s->n_pending) {
            for (int j = 0; j < got; j++)
                if (tm[j].node >= 0 && tm[j].node < s->n_pending)
                    s->node_us[s->pending_idx[tm[j].node]] += tm[j].us;
        } else {
            /* no per-node times: spread the run's wall time evenly */
            const double us = (double)(gl_time_us() - t0) / s->n_pending;
            for (int j = 0; j < s->n_pending; j++) s->node_us[s->pending_idx[j]] += us;
        }
    }
    s->n_pending = 0;
    return GLINT_OK;
}

/* Makes [lo, hi) of l current in backend b's copy, copying from another copy where needed. */
static glint_status ensure(gl_sched *s, gl_lbuf *l, size_t lo, size_t hi, int b, int node) {
    hi = GL_MIN(hi, l->size);
    const unsigned bit = 1u << b;
    bool flushed = false;
    const int64_t t0 = s->profiling ? gl_time_us() : 0;
    for (size_t pos = lo; pos < hi;) {
        const int i = iv_find(&l->valid, pos);
        const size_t end = GL_MIN(i + 1 < l->valid.n ? l->valid.start[i + 1] : l->size, hi);
        const uint8_t mask = l->valid.mask[i];
        if (!(mask & bit)) {
            if (!flushed) {
                /* the pending run may read what the copy overwrites: finish it first */
                glint_status st = flush(s);
                if (st) return st;
                flushed = true;
            }
            const int a = lowest_with_copy(l, mask, s->n_backend);
            if (a < 0) return sched_fail(s, GLINT_ERROR_INTERNAL, "%s: no current copy", l->name);
            glint_status st = lbuf_copy(s, l, a, b, pos, end - pos);
            if (!st) st = iv_set(&l->valid, l->size, pos, end, (uint8_t)(mask | l->dom[b]));
            if (st) return st;
        }
        pos = end;
    }
    if (flushed && s->profiling) s->node_us[node] += (double)(gl_time_us() - t0);
    return GLINT_OK;
}

glint_status gl_sched_run(gl_sched *s, gl_node *nodes, int n, const gl_plan *plan) {
    s->n_low = 0;
    s->n_pending = 0;
    s->cur = -1;
    s->cur_stage = -1;
    if (n > s->cap_pending)
        return sched_fail(s, GLINT_ERROR_INTERNAL, "graph of %d nodes, room for %d", n,
                          s->cap_pending);
    if (s->profiling) memset(s->node_us, 0, (size_t)n * sizeof *s->node_us);
    for (int k = 0; k < n; k++) {
        const gl_node *nd = &nodes[k];
        int b = gl_plan_stage_backend(plan, gl_stage_of_layer(nd->layer, plan->n_layer));
        gl_node low;
        const int mark = s->n_low;
        if (b >= s->n_backend) b = 0;
        if (b != 0 && ((s->gpu_ops_off >> nd->op & 1) || !lower_node(s, nd, b, &low) ||
                       !s->be[b]->iface->supports_op(s->be[b], &low))) {
            s->n_low = mark;
            if (!(s->logged_fallback >> nd->op & 1))
                GL_LOGI("%s (layer %d) runs on the cpu: %s declines it", gl_op_name(nd->op),
                        nd->layer, s->be[b]->iface->name(s->be[b]));
            s->logged_fallback |= 1ull << nd->op;
            b = 0;
        }
        if (b == 0 && !lower_node(s, nd, 0, &low))
            return sched_fail(s, GLINT_ERROR_INTERNAL, "%s (layer %d): no CPU copy of its "
                              "buffers", gl_op_name(nd->op), nd->layer);
        const int stage = gl_stage_of_layer(nd->layer, plan->n_layer);
        if (b != s->cur || (s->flush_stages && stage != s->cur_stage)) {
            glint_status st = flush(s);
            if (st) return st;
            s->cur = b;
        }
        for (int i = 0; i < GL_MAX_SRC; i++) {
            if (!is_logical(nd->src[i])) continue;
            size_t lo, hi;
            read_range(nd, i, &lo, &hi);
            glint_status st = ensure(s, nd->src[i]->buffer->impl, lo, hi, b, k);
            if (st) return st;
        }
        if (is_logical(nd->dst)) {
            gl_lbuf *l = nd->dst->buffer->impl;
            const size_t lo = nd->dst->offset, hi = lo + gl_tensor_nbytes(nd->dst);
            /* a strided write leaves gaps that must already be current here */
            glint_status st = gl_tensor_is_contiguous(nd->dst) ? GLINT_OK
                                                               : ensure(s, l, lo, hi, b, k);
            if (!st) st = iv_set(&l->valid, l->size, lo, hi, l->dom[b]);
            if (st) return st;
        }
        s->cur_stage = stage;
        s->stats.nodes_run[b]++;
        s->pending[s->n_pending] = low;
        s->pending_idx[s->n_pending++] = k;
    }
    return flush(s);
}

glint_status gl_sched_reserve(gl_sched *s, gl_node *nodes, int n, const gl_plan *const *plans,
                              int n_plans) {
    gl_node *low = malloc((size_t)GL_MAX(n, 1) * sizeof *low);
    if (!low) return GLINT_ERROR_OUT_OF_MEMORY;
    glint_status st = GLINT_OK;
    for (int b = 0; b < s->n_backend && !st; b++) {
        gl_backend *be = s->be[b];
        if (!be->iface->reserve) continue;
        s->n_low = 0;
        int m = 0;
        for (int k = 0; k < n; k++) {
            bool mine = b == 0;
            for (int p = 0; p < n_plans && !mine; p++)
                mine = gl_plan_stage_backend(plans[p], gl_stage_of_layer(
                                                           nodes[k].layer, plans[p]->n_layer)) == b;
            const int mark = s->n_low;
            if (!mine || !lower_node(s, &nodes[k], b, &low[m])) {
                s->n_low = mark;
                continue;
            }
            if (b == 0 || be->iface->supports_op(be, &low[m])) m++;
        }
        if (m) st = be->iface->reserve(be, low, m);
    }
    s->n_low = 0;
    free(low);
    return st;
}

glint_status gl_sched_time_copy(gl_sched *s, gl_lbuf *l, int a, int b, double *us) {
    glint_status st = iv_set(&l->valid, l->size, 0, l->size, l->dom[a]);
    if (st) return st;
    const int64_t t0 = gl_time_us();
    s->cur = -1;
    s->n_pending = 0;
    st = ensure(s, l, 0, l->size, b, 0);
    *us = (double)(gl_time_us() - t0);
    return st;
}

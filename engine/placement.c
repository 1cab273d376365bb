/* Weight placement: each backend holds the weights of the stages its plans give it, grouped
 * per stage so that a stage can be dropped after profiling. The CPU addresses every weight:
 * repacked for its kernels where it runs a stage, else in place (the file's mapping, or a GPU's
 * mapped memory when that is host-visible, so unified memory holds one copy). */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#define GROUP_SHARED GL_STAGE_MAX
#define CHUNK_MAX    ((size_t)256 << 20) /* many phones bind no larger range */

static gl_tensor *remap(const glint_model *m, gl_tensor *base, const gl_tensor *t) {
    return t ? base + (t - m->tensors) : NULL;
}

/* Headers for backend b: a copy of the file view, with the layer table pointing into it. */
static glint_status weights_init(glint_model *m, gl_weights *w) {
    if (w->tensors) return GLINT_OK;
    w->tensors = calloc((size_t)GL_MAX(m->n_tensors, 1), sizeof *w->tensors);
    w->layers = calloc((size_t)m->hp.n_layer, sizeof *w->layers);
    if (!w->tensors || !w->layers) return GLINT_ERROR_OUT_OF_MEMORY;
    memcpy(w->tensors, m->tensors, (size_t)m->n_tensors * sizeof *w->tensors);
    gl_tensor *b = w->tensors;
    w->tok_embd = remap(m, b, m->tok_embd);
    w->output_norm = remap(m, b, m->output_norm);
    w->output = remap(m, b, m->output);
    w->rope_freqs = remap(m, b, m->rope_freqs);
    for (int l = 0; l < m->hp.n_layer; l++) {
        const gl_layer *s = &m->layers[l];
        gl_layer *d = &w->layers[l];
        gl_tensor *const *src[] = {&s->attn_norm, &s->wq,       &s->wk,     &s->wv,      &s->wo,
                                   &s->bq,        &s->bk,       &s->bv,     &s->q_norm,  &s->k_norm,
                                   &s->ffn_norm,  &s->ffn_gate, &s->ffn_up, &s->ffn_down};
        gl_tensor **dst[] = {&d->attn_norm, &d->wq,       &d->wk,     &d->wv,      &d->wo,
                             &d->bq,        &d->bk,       &d->bv,     &d->q_norm,  &d->k_norm,
                             &d->ffn_norm,  &d->ffn_gate, &d->ffn_up, &d->ffn_down};
        for (size_t i = 0; i < GL_ARRAY_LEN(src); i++) *dst[i] = remap(m, b, *src[i]);
    }
    return GLINT_OK;
}

static void weights_free(glint_model *m, int b) {
    gl_weights *w = &m->w[b];
    gl_backend *be = m->backends[b];
    for (int i = 0; i < w->n_bufs; i++) be->iface->buffer_free(be, w->bufs[i]);
    free(w->bufs);
    free(w->bufs_group);
    free(w->tensors);
    free(w->layers);
    memset(w, 0, sizeof *w);
}

void gl_model_weights_free(glint_model *m) {
    for (int b = 0; b < m->n_backend; b++) weights_free(m, b);
}

static glint_status add_buf(gl_weights *w, gl_buffer *buf, int group) {
    if (w->n_bufs == w->cap_bufs) {
        const int cap = w->cap_bufs ? 2 * w->cap_bufs : 16;
        gl_buffer **nb = realloc(w->bufs, (size_t)cap * sizeof *nb);
        if (!nb) return GLINT_ERROR_OUT_OF_MEMORY;
        w->bufs = nb;
        int *ng = realloc(w->bufs_group, (size_t)cap * sizeof *ng);
        if (!ng) return GLINT_ERROR_OUT_OF_MEMORY;
        w->bufs_group = ng;
        w->cap_bufs = cap;
    }
    w->bufs[w->n_bufs] = buf;
    w->bufs_group[w->n_bufs++] = group;
    return GLINT_OK;
}

/* Frees group g's buffers on backend b and points its headers back at the file. */
static void drop_group(glint_model *m, int b, int g) {
    gl_weights *w = &m->w[b];
    gl_backend *be = m->backends[b];
    int keep = 0;
    for (int i = 0; i < w->n_bufs; i++) {
        if (w->bufs_group[i] == g) {
            be->iface->buffer_free(be, w->bufs[i]);
        } else {
            w->bufs[keep] = w->bufs[i];
            w->bufs_group[keep++] = w->bufs_group[i];
        }
    }
    w->n_bufs = keep;
    for (int64_t i = 0; i < m->n_tensors; i++) {
        if (m->tensor_group[i] != g) continue;
        gl_tensor *t = &w->tensors[i];
        t->buffer = NULL;
        t->offset = 0;
        t->data = m->tensors[i].data;
        t->layout = GL_LAYOUT_GGUF;
    }
    w->held[g] = false;
}

/* Only 2-D weights other than token_embd (also the tied output, read by GET_ROWS) are offered
 * to a backend's repacking: they feed MUL_MAT alone. */
static bool offers_repack(gl_backend *b, const gl_tensor *t) {
    return b->iface->weight_prepare && t->ne[1] > 1 && t->ne[2] == 1 && t->ne[3] == 1 &&
           strcmp(t->name, "token_embd.weight") != 0 &&
           b->iface->weight_prepare(b, (gl_tensor *)t, NULL) == GLINT_OK;
}

/* Uploads group g to GPU backend b, in buffers of at most CHUNK_MAX. */
static glint_status upload_group(glint_model *m, int b, int g, gl_err *err) {
    gl_weights *w = &m->w[b];
    gl_backend *be = m->backends[b];
    const size_t align = be->iface->get_alignment ? be->iface->get_alignment(be) : 64;
    const size_t max = be->iface->get_max_alloc ? be->iface->get_max_alloc(be) : SIZE_MAX;
    const size_t chunk_max = GL_MIN(CHUNK_MAX, max);
    for (int64_t i = 0; i < m->n_tensors;) {
        /* the next chunk: tensors of the group from i while they fit */
        size_t total = 0;
        int64_t end = i;
        for (; end < m->n_tensors; end++) {
            if (m->tensor_group[end] != g) continue;
            const size_t sz = gl_align_up(gl_tensor_nbytes(&m->tensors[end]), align);
            if (total > 0 && total + sz > chunk_max) break;
            total += sz;
        }
        if (total == 0) break;
        gl_buffer *buf = NULL;
        glint_status st = be->iface->buffer_alloc(be, total, GL_BUFFER_WEIGHTS, &buf);
        if (st)
            return gl_fail(err, st, "cannot allocate %zu KiB of weights on %s", total >> 10,
                           be->iface->name(be));
        if ((st = add_buf(w, buf, g))) {
            be->iface->buffer_free(be, buf);
            return gl_fail(err, st, "out of memory");
        }
        size_t off = 0;
        for (int64_t j = i; j < end; j++) {
            if (m->tensor_group[j] != g) continue;
            const gl_tensor *src = &m->tensors[j];
            gl_tensor *t = &w->tensors[j];
            const size_t n = gl_tensor_nbytes(src);
            t->buffer = buf;
            t->offset = off;
            t->layout = GL_LAYOUT_GGUF;
            if (offers_repack(be, src)) {
                if ((st = be->iface->weight_prepare(be, t, src->data)))
                    return gl_fail(err, st, "cannot prepare '%s' on %s", src->name,
                                   be->iface->name(be));
            } else if (buf->host) {
                memcpy((char *)buf->host + off, src->data, n);
            } else if ((st = be->iface->buffer_upload(be, buf, off, src->data, n))) {
                return gl_fail(err, st, "cannot upload '%s' to %s", src->name, be->iface->name(be));
            }
            /* a CPU fallback node reads it here: the mapped memory, or the file where the
             * backend rearranged it */
            t->data =
                buf->host && t->layout == GL_LAYOUT_GGUF ? (char *)buf->host + off : src->data;
            off += gl_align_up(n, align);
        }
        i = end;
    }
    w->held[g] = true;
    return GLINT_OK;
}

static glint_status repack_group(glint_model *m, int g, gl_err *err) {
    gl_weights *w = &m->w[0];
    gl_backend *be = m->backends[0];
    size_t total = 0;
    for (int64_t i = 0; i < m->n_tensors; i++)
        if (m->tensor_group[i] == g && offers_repack(be, &m->tensors[i]))
            total += gl_align_up(gl_tensor_nbytes(&m->tensors[i]), 64);
    w->held[g] = true;
    if (total == 0) return GLINT_OK;
    gl_buffer *buf = NULL;
    glint_status st = be->iface->buffer_alloc(be, total, GL_BUFFER_WEIGHTS, &buf);
    if (st) return gl_fail(err, st, "cannot allocate %zu MiB for repacked weights", total >> 20);
    if ((st = add_buf(w, buf, g))) {
        be->iface->buffer_free(be, buf);
        return gl_fail(err, st, "out of memory");
    }
    size_t off = 0;
    for (int64_t i = 0; i < m->n_tensors; i++) {
        const gl_tensor *src = &m->tensors[i];
        if (m->tensor_group[i] != g || !offers_repack(be, src)) continue;
        gl_tensor *t = &w->tensors[i];
        t->buffer = buf;
        t->offset = off;
        t->data = (char *)buf->host + off;
        if ((st = be->iface->weight_prepare(be, t, src->data)))
            return gl_fail(err, st, "cannot prepare '%s' on the cpu", src->name);
        off += gl_align_up(gl_tensor_nbytes(t), 64);
    }
    return GLINT_OK;
}

/* CPU headers of weights it does not repack: a GPU's mapped copy when there is one (unified
 * memory: nothing resident twice), else the file. A GPU header's data is always GGUF bytes
 * (upload_group points it at the file where that backend rearranged the weight). */
static void link_cpu_views(glint_model *m) {
    gl_weights *c = &m->w[0];
    for (int64_t i = 0; i < m->n_tensors; i++) {
        gl_tensor *t = &c->tensors[i];
        if (t->buffer) continue; /* repacked */
        t->data = m->tensors[i].data;
        for (int b = 1; b < m->n_backend; b++) {
            const gl_tensor *g = m->w[b].tensors ? &m->w[b].tensors[i] : NULL;
            if (g && g->buffer && g->buffer->host) {
                t->data = g->data;
                break;
            }
        }
    }
}

glint_status gl_model_place(glint_model *m, bool need[GL_PLAN_MAX_BACKENDS][GL_STAGE_MAX],
                            gl_err *err) {
    const int n_stage = m->hp.n_layer + 2;
    bool moved = false;
    for (int b = 0; b < m->n_backend; b++) {
        glint_status st = weights_init(m, &m->w[b]);
        if (st) return gl_fail(err, st, "out of memory for weight headers");
        bool any = false;
        for (int s = 0; s < n_stage; s++) any = any || need[b][s];
        for (int g = 0; g <= GROUP_SHARED; g++) {
            if (g >= n_stage && g != GROUP_SHARED) continue;
            const bool want = g == GROUP_SHARED ? any : need[b][g];
            if (want == m->w[b].held[g]) continue;
            if (!want) {
                drop_group(m, b, g);
                continue;
            }
            st = b == 0 ? repack_group(m, g, err) : upload_group(m, b, g, err);
            if (st && b > 0 &&
                (st == GLINT_ERROR_OUT_OF_DEVICE_MEMORY || st == GLINT_ERROR_OUT_OF_MEMORY)) {
                /* a tensor larger than the device allows, or a full device: that stage's
                 * nodes run on the CPU (they find no weights on this backend) */
                GL_LOGW("%s; that part of the model runs on the cpu", err->msg);
                drop_group(m, b, g);
                continue;
            }
            if (st) return st;
            moved = true;
        }
    }
    link_cpu_views(m);
    /* the copies are what is read now; the file's pages come back if touched */
    if (moved) gl_gguf_release_pages(m->gguf);
    return GLINT_OK;
}

const gl_weights *gl_model_stage_weights(const glint_model *m, int b, int stage) {
    const gl_weights *w = &m->w[b];
    if (b > 0 && b < m->n_backend && w->tensors && w->held[stage]) return w;
    return &m->w[0];
}

#include "graph.h"

#include <string.h>

const char *gl_op_name(gl_op op) {
    static const char *const names[] = {
#define GL_X_(name) #name,
        GL_OP_LIST(GL_X_)
#undef GL_X_
    };
    if ((unsigned)op >= GL_ARRAY_LEN(names)) return "?";
    return names[op];
}

int64_t gl_tensor_nelements(const gl_tensor *t) {
    return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
}

size_t gl_tensor_nbytes(const gl_tensor *t) {
    const gl_type_traits *tr = gl_type_get(t->type);
    if (!tr) return 0;
    size_t n = (size_t)(t->ne[0] / tr->block_size) * tr->type_size;
    for (int i = 1; i < GL_MAX_DIMS; i++) n += (size_t)(t->ne[i] - 1) * t->nb[i];
    return n;
}

bool gl_tensor_is_contiguous(const gl_tensor *t) {
    const gl_type_traits *tr = gl_type_get(t->type);
    if (!tr || t->nb[0] != tr->type_size) return false;
    size_t expect = (size_t)(t->ne[0] / tr->block_size) * tr->type_size;
    for (int i = 1; i < GL_MAX_DIMS; i++) {
        if (t->ne[i] > 1 && t->nb[i] != expect) return false;
        expect *= (size_t)t->ne[i];
    }
    return true;
}

void gl_tensor_init(gl_tensor *t, glint_type type, int n_dims, const int64_t *ne) {
    const gl_type_traits *tr = gl_type_get(type);
    t->type = type;
    t->layout = GL_LAYOUT_GGUF;
    for (int i = 0; i < GL_MAX_DIMS; i++) t->ne[i] = i < n_dims ? ne[i] : 1;
    t->nb[0] = tr ? tr->type_size : 0;
    t->nb[1] = tr ? (size_t)(t->ne[0] / tr->block_size) * tr->type_size : 0;
    for (int i = 2; i < GL_MAX_DIMS; i++) t->nb[i] = t->nb[i - 1] * (size_t)t->ne[i - 1];
}

#include "backend.h"

void gl_graph_reset(gl_graph *g) {
    g->n_nodes = g->n_tensors = 0;
    g->act_used = g->act_peak = 0;
    g->layer = -1;
    g->overflow = false;
}

static gl_tensor *gl_graph_tensor(gl_graph *g) {
    if (g->n_tensors >= g->cap_tensors) {
        g->overflow = true;
        return NULL;
    }
    gl_tensor *t = &g->tensors[g->n_tensors++];
    memset(t, 0, sizeof *t);
    return t;
}

gl_tensor *gl_graph_new(gl_graph *g, glint_type type, int64_t ne0, int64_t ne1, int64_t ne2) {
    gl_tensor *t = gl_graph_tensor(g);
    if (!t) return NULL;
    const int64_t ne[3] = {ne0, ne1, ne2};
    gl_tensor_init(t, type, 3, ne);
    const size_t size = gl_align_up(gl_tensor_nbytes(t), 64);
    t->offset = g->act_used;
    g->act_used += size;
    g->act_peak = GL_MAX(g->act_peak, g->act_used);
    if (g->act) {
        if (g->act_used > g->act->size) {
            g->overflow = true;
            return NULL;
        }
        t->buffer = g->act;
        t->data = g->act->host ? (char *)g->act->host + t->offset : NULL;
    }
    return t;
}

gl_tensor *gl_graph_view(gl_graph *g, const gl_tensor *src, size_t offset, int64_t ne0,
                         int64_t ne1, int64_t ne2, size_t nb1, size_t nb2) {
    if (!src) {
        g->overflow = true;
        return NULL;
    }
    gl_tensor *t = gl_graph_tensor(g);
    if (!t) return NULL;
    const int64_t ne[3] = {ne0, ne1, ne2};
    gl_tensor_init(t, src->type, 3, ne);
    if (nb1) t->nb[1] = nb1;
    if (nb2) t->nb[2] = nb2;
    t->nb[3] = t->nb[2] * (size_t)ne2;
    t->buffer = src->buffer;
    t->offset = src->offset + offset;
    t->data = src->data ? (char *)src->data + offset : NULL;
    t->name = src->name;
    t->layout = src->layout; /* a view of a repacked weight keeps its layout */
    return t;
}

gl_tensor *gl_graph_op(gl_graph *g, gl_op op, gl_tensor *dst, gl_tensor *s0, gl_tensor *s1,
                       gl_tensor *s2, const gl_op_params *p) {
    if (!dst || !s0 || g->n_nodes >= g->cap_nodes) {
        g->overflow = true;
        return dst;
    }
    gl_node *n = &g->nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->dst = dst;
    n->src[0] = s0;
    n->src[1] = s1;
    n->src[2] = s2;
    if (p) n->p = *p;
    n->layer = g->layer;
    return dst;
}

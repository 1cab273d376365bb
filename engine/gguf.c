/* GGUF v2/v3 reader. Every count, length and offset in the file is checked against the bytes
 * that are really there before it is used, so a hostile file can neither make us read outside
 * the mapping nor allocate more than a small multiple of its own size. */
#include "gguf.h"
#include "types.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* GGUF names are limited to 63 bytes (64 with the NUL), as llama.cpp requires. */
#define GL_GGUF_MAX_NAME 63

typedef struct gl_gguf_kv {
    char *key;
    gl_gguf_type type;
    gl_gguf_type arr_type; /* element type for arrays, GL_GGUF_TYPE_COUNT otherwise */
    uint64_t arr_n;
    uint64_t val_off;  /* absolute offset of the value (arrays: of the first element) */
    uint64_t val_size; /* bytes of the value as stored (strings with length prefixes) */
    uint64_t *str_off; /* string arrays: absolute offset of each element's length prefix */
} gl_gguf_kv;

/* Name -> index, sorted by name: duplicate detection and O(log n) lookup. */
typedef struct gl_name_idx {
    const char *name;
    int64_t idx;
} gl_name_idx;

struct gl_gguf {
    const uint8_t *base;
    uint64_t size;
    bool mapped;
    uint32_t version;
    uint64_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    gl_gguf_kv *kv;
    gl_name_idx *kv_sorted;
    int64_t n_tensors;
    gl_gguf_tensor *tensors;
    gl_name_idx *tensor_sorted;
};

/* ---- little-endian reads, independent of the host's byte order ---------------------------- */

static uint16_t rd16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) {
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

static const char *const g_type_names[GL_GGUF_TYPE_COUNT] = {
    [GL_GGUF_UINT8] = "u8",    [GL_GGUF_INT8] = "i8",    [GL_GGUF_UINT16] = "u16",
    [GL_GGUF_INT16] = "i16",   [GL_GGUF_UINT32] = "u32", [GL_GGUF_INT32] = "i32",
    [GL_GGUF_FLOAT32] = "f32", [GL_GGUF_BOOL] = "bool",  [GL_GGUF_STRING] = "str",
    [GL_GGUF_ARRAY] = "arr",   [GL_GGUF_UINT64] = "u64", [GL_GGUF_INT64] = "i64",
    [GL_GGUF_FLOAT64] = "f64",
};

const char *gl_gguf_type_name(gl_gguf_type t) {
    if ((unsigned)t >= GL_GGUF_TYPE_COUNT) return "?";
    return g_type_names[t];
}

/* Bytes of one scalar of type t; 0 for STRING/ARRAY (variable) and unknown types. */
static uint64_t scalar_size(gl_gguf_type t) {
    switch (t) {
    case GL_GGUF_UINT8:
    case GL_GGUF_INT8:
    case GL_GGUF_BOOL:
        return 1;
    case GL_GGUF_UINT16:
    case GL_GGUF_INT16:
        return 2;
    case GL_GGUF_UINT32:
    case GL_GGUF_INT32:
    case GL_GGUF_FLOAT32:
        return 4;
    case GL_GGUF_UINT64:
    case GL_GGUF_INT64:
    case GL_GGUF_FLOAT64:
        return 8;
    default:
        return 0;
    }
}

glint_status gl_gguf_tensor_nbytes(glint_type type, uint32_t n_dims, const int64_t *ne,
                                   uint64_t *out, gl_err *err) {
    if (n_dims < 1 || n_dims > GL_GGUF_MAX_DIMS)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "%u dimensions (want 1..%d)", n_dims,
                       GL_GGUF_MAX_DIMS);
    const gl_type_traits *tr = gl_type_get(type);
    if (!tr)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "type %u is not supported", (unsigned)type);
    uint64_t nel = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] < 0)
            return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "dimension %u is negative (%lld)", d,
                           (long long)ne[d]);
        if (!gl_mul_u64(nel, (uint64_t)ne[d], &nel) || nel > (uint64_t)INT64_MAX)
            return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                           "element count overflows at dimension %u", d);
    }
    if (ne[0] % tr->block_size != 0)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                       "row length %lld is not a multiple of the %s block size %lld",
                       (long long)ne[0], tr->name, (long long)tr->block_size);
    uint64_t bytes = 0;
    if (!gl_mul_u64(nel / (uint64_t)tr->block_size, tr->type_size, &bytes))
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "byte size overflows");
    *out = bytes;
    return GLINT_OK;
}

/* ---- parsing ---------------------------------------------------------------------------- */

typedef struct gl_rd {
    const uint8_t *p;
    uint64_t size;
    uint64_t pos;
    gl_err *err;
} gl_rd;

static uint64_t rd_left(const gl_rd *r) {
    return r->size - r->pos;
}

static glint_status rd_need(gl_rd *r, uint64_t n, const char *what) {
    if (n <= rd_left(r)) return GLINT_OK;
    return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                   "%s at byte %llu: needs %llu bytes, only %llu left in the file (size %llu)",
                   what, (unsigned long long)r->pos, (unsigned long long)n,
                   (unsigned long long)rd_left(r), (unsigned long long)r->size);
}

static glint_status rd_u32(gl_rd *r, uint32_t *v, const char *what) {
    glint_status st = rd_need(r, 4, what);
    if (st) return st;
    *v = rd32(r->p + r->pos);
    r->pos += 4;
    return GLINT_OK;
}

static glint_status rd_u64(gl_rd *r, uint64_t *v, const char *what) {
    glint_status st = rd_need(r, 8, what);
    if (st) return st;
    *v = rd64(r->p + r->pos);
    r->pos += 8;
    return GLINT_OK;
}

/* A length-prefixed string: checks the length against the bytes left, then skips it. */
static glint_status rd_str(gl_rd *r, uint64_t *off, uint64_t *len, const char *what) {
    const uint64_t at = r->pos;
    glint_status st = rd_u64(r, len, what);
    if (st) return st;
    if (*len > rd_left(r))
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                       "%s at byte %llu: string length %llu exceeds the %llu bytes left in the "
                       "file (size %llu)",
                       what, (unsigned long long)at, (unsigned long long)*len,
                       (unsigned long long)rd_left(r), (unsigned long long)r->size);
    *off = r->pos;
    r->pos += *len;
    return GLINT_OK;
}

/* Copies a name (key or tensor name) into a NUL-terminated string. */
static glint_status copy_name(gl_rd *r, uint64_t off, uint64_t len, const char *what, char **out) {
    if (len == 0)
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE, "%s at byte %llu is empty", what,
                       (unsigned long long)off);
    if (memchr(r->p + off, 0, (size_t)len))
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE, "%s at byte %llu contains a NUL byte",
                       what, (unsigned long long)off);
    char *s = malloc((size_t)len + 1);
    if (!s) return gl_fail(r->err, GLINT_ERROR_OUT_OF_MEMORY, "%s: out of memory", what);
    memcpy(s, r->p + off, (size_t)len);
    s[len] = 0;
    *out = s;
    return GLINT_OK;
}

static int cmp_name_idx(const void *a, const void *b) {
    return strcmp(((const gl_name_idx *)a)->name, ((const gl_name_idx *)b)->name);
}

static glint_status parse_kv(gl_gguf *g, gl_rd *r, int64_t i) {
    gl_gguf_kv *kv = &g->kv[i];
    char what[96];
    snprintf(what, sizeof what, "key %lld", (long long)i);
    uint64_t off = 0, len = 0;
    glint_status st = rd_str(r, &off, &len, what);
    if (st) return st;
    if ((st = copy_name(r, off, len, what, &kv->key))) return st;
    /* From here on messages name the key (truncated in the message only). */
    snprintf(what, sizeof what, "key '%.60s'", kv->key);
    const uint64_t type_at = r->pos;
    uint32_t type;
    if ((st = rd_u32(r, &type, what))) return st;
    if (type >= GL_GGUF_TYPE_COUNT)
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE, "%s at byte %llu: unknown value type %u",
                       what, (unsigned long long)type_at, type);
    kv->type = (gl_gguf_type)type;
    kv->arr_type = GL_GGUF_TYPE_COUNT;
    kv->val_off = r->pos;
    if (kv->type == GL_GGUF_STRING) {
        if ((st = rd_str(r, &off, &len, what))) return st;
        kv->val_size = 8 + len;
        return GLINT_OK;
    }
    if (kv->type != GL_GGUF_ARRAY) {
        const uint64_t n = scalar_size(kv->type);
        if ((st = rd_need(r, n, what))) return st;
        r->pos += n;
        kv->val_size = n;
        return GLINT_OK;
    }
    uint32_t et;
    if ((st = rd_u32(r, &et, what))) return st;
    if (et >= GL_GGUF_TYPE_COUNT)
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                       "%s at byte %llu: unknown array element type %u", what,
                       (unsigned long long)(r->pos - 4), et);
    if (et == GL_GGUF_ARRAY)
        return gl_fail(r->err, GLINT_ERROR_UNSUPPORTED,
                       "%s at byte %llu: arrays of arrays are not supported", what,
                       (unsigned long long)(r->pos - 4));
    kv->arr_type = (gl_gguf_type)et;
    const uint64_t n_at = r->pos;
    if ((st = rd_u64(r, &kv->arr_n, what))) return st;
    kv->val_off = r->pos;
    const uint64_t n = kv->arr_n;
    if (kv->arr_type != GL_GGUF_STRING) {
        const uint64_t es = scalar_size(kv->arr_type);
        if (n > rd_left(r) / es)
            return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                           "%s at byte %llu: array of %llu %s needs %llu bytes each, only %llu "
                           "bytes left in the file (size %llu)",
                           what, (unsigned long long)n_at, (unsigned long long)n,
                           gl_gguf_type_name(kv->arr_type), (unsigned long long)es,
                           (unsigned long long)rd_left(r), (unsigned long long)r->size);
        kv->val_size = n * es;
        r->pos += kv->val_size;
        return GLINT_OK;
    }
    /* Every string takes at least its 8-byte length: bounds n before the index is allocated. */
    if (n > rd_left(r) / 8)
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                       "%s at byte %llu: array of %llu strings cannot fit in the %llu bytes left "
                       "in the file (size %llu)",
                       what, (unsigned long long)n_at, (unsigned long long)n,
                       (unsigned long long)rd_left(r), (unsigned long long)r->size);
    if (n > 0) {
        kv->str_off = malloc((size_t)n * sizeof *kv->str_off);
        if (!kv->str_off)
            return gl_fail(r->err, GLINT_ERROR_OUT_OF_MEMORY, "%s: %llu strings: out of memory",
                           what, (unsigned long long)n);
    }
    for (uint64_t j = 0; j < n; j++) {
        kv->str_off[j] = r->pos;
        char ewhat[128];
        snprintf(ewhat, sizeof ewhat, "%s element %llu", what, (unsigned long long)j);
        if ((st = rd_str(r, &off, &len, ewhat))) return st;
    }
    kv->val_size = r->pos - kv->val_off;
    return GLINT_OK;
}

static glint_status parse_tensor_info(gl_gguf *g, gl_rd *r, int64_t i) {
    gl_gguf_tensor *t = &g->tensors[i];
    char what[96];
    snprintf(what, sizeof what, "tensor %lld", (long long)i);
    uint64_t off = 0, len = 0;
    glint_status st = rd_str(r, &off, &len, what);
    if (st) return st;
    if (len > GL_GGUF_MAX_NAME)
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                       "%s at byte %llu: name is %llu bytes, over the limit of %d", what,
                       (unsigned long long)(off - 8), (unsigned long long)len, GL_GGUF_MAX_NAME);
    char *name = NULL;
    if ((st = copy_name(r, off, len, what, &name))) return st;
    t->name = name;
    snprintf(what, sizeof what, "tensor '%s'", name);
    if ((st = rd_u32(r, &t->n_dims, what))) return st;
    if (t->n_dims < 1 || t->n_dims > GL_GGUF_MAX_DIMS)
        return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                       "%s at byte %llu: %u dimensions (want 1..%d)", what,
                       (unsigned long long)(r->pos - 4), t->n_dims, GL_GGUF_MAX_DIMS);
    for (int d = 0; d < GL_GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        uint64_t v;
        if ((st = rd_u64(r, &v, what))) return st;
        if (v > (uint64_t)INT64_MAX)
            return gl_fail(r->err, GLINT_ERROR_INVALID_FILE,
                           "%s at byte %llu: dimension %u is negative (%lld)", what,
                           (unsigned long long)(r->pos - 8), d, (long long)(int64_t)v);
        t->ne[d] = (int64_t)v;
    }
    uint32_t type;
    if ((st = rd_u32(r, &type, what))) return st;
    if (type >= GLINT_TYPE_COUNT || !gl_type_get((glint_type)type))
        return gl_fail(r->err, GLINT_ERROR_UNSUPPORTED,
                       "%s at byte %llu: tensor type %u is not supported", what,
                       (unsigned long long)(r->pos - 4), type);
    t->type = (glint_type)type;
    if ((st = rd_u64(r, &t->offset, what))) return st;
    gl_err serr;
    st = gl_gguf_tensor_nbytes(t->type, t->n_dims, t->ne, &t->size, &serr);
    if (st) {
        return gl_fail(r->err, st == GLINT_ERROR_INVALID_ARGUMENT ? GLINT_ERROR_INVALID_FILE : st,
                       "%s [%lld, %lld, %lld, %lld] %s: %s", what, (long long)t->ne[0],
                       (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3],
                       gl_type_get(t->type)->name, serr.msg);
    }
    return GLINT_OK;
}

typedef struct gl_span {
    uint64_t begin, end;
    int64_t idx;
} gl_span;

static int cmp_span(const void *a, const void *b) {
    const gl_span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static glint_status check_tensor_data(gl_gguf *g, gl_err *err) {
    const int64_t n = g->n_tensors;
    for (int64_t i = 0; i < n; i++) {
        gl_gguf_tensor *t = &g->tensors[i];
        if (t->offset % g->alignment != 0)
            return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                           "tensor '%s': data offset %llu is not a multiple of the alignment %llu",
                           t->name, (unsigned long long)t->offset,
                           (unsigned long long)g->alignment);
        uint64_t begin = 0, end = 0;
        if (!gl_add_u64(g->data_offset, t->offset, &begin) || !gl_add_u64(begin, t->size, &end))
            return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                           "tensor '%s': data offset %llu + size %llu overflows, past end of file "
                           "(size %llu)",
                           t->name, (unsigned long long)t->offset, (unsigned long long)t->size,
                           (unsigned long long)g->size);
        if (end > g->size)
            return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                           "tensor '%s': data [%llu..%llu) past end of file (size %llu)", t->name,
                           (unsigned long long)begin, (unsigned long long)end,
                           (unsigned long long)g->size);
        t->data = g->base + begin;
    }
    if (n < 2) return GLINT_OK;
    gl_span *spans = malloc((size_t)n * sizeof *spans);
    if (!spans) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "tensor table: out of memory");
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        const gl_gguf_tensor *t = &g->tensors[i];
        if (t->size == 0) continue; /* an empty tensor shares no bytes with anything */
        spans[m++] = (gl_span){t->offset, t->offset + t->size, i};
    }
    qsort(spans, (size_t)m, sizeof *spans, cmp_span);
    glint_status st = GLINT_OK;
    for (int64_t k = 1; k < m; k++) {
        if (spans[k].begin < spans[k - 1].end) {
            const gl_gguf_tensor *a = &g->tensors[spans[k - 1].idx], *b = &g->tensors[spans[k].idx];
            st = gl_fail(err, GLINT_ERROR_INVALID_FILE,
                         "tensors '%s' [%llu..%llu) and '%s' [%llu..%llu) overlap", a->name,
                         (unsigned long long)(g->data_offset + a->offset),
                         (unsigned long long)(g->data_offset + a->offset + a->size), b->name,
                         (unsigned long long)(g->data_offset + b->offset),
                         (unsigned long long)(g->data_offset + b->offset + b->size));
            break;
        }
    }
    free(spans);
    return st;
}

/* Sorts names and reports the first duplicate. */
static glint_status index_names(gl_name_idx **out, int64_t n,
                                const char *(*name_of)(const gl_gguf *, int64_t), const gl_gguf *g,
                                const char *what, gl_err *err) {
    if (n == 0) return GLINT_OK;
    gl_name_idx *ix = malloc((size_t)n * sizeof *ix);
    if (!ix) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "%s index: out of memory", what);
    for (int64_t i = 0; i < n; i++) ix[i] = (gl_name_idx){name_of(g, i), i};
    qsort(ix, (size_t)n, sizeof *ix, cmp_name_idx);
    for (int64_t i = 1; i < n; i++) {
        if (strcmp(ix[i - 1].name, ix[i].name) == 0) {
            const int64_t a = GL_MIN(ix[i - 1].idx, ix[i].idx),
                          b = GL_MAX(ix[i - 1].idx, ix[i].idx);
            glint_status st = gl_fail(err, GLINT_ERROR_INVALID_FILE,
                                      "%s '%s' appears twice (entries %lld and %lld)", what,
                                      ix[i].name, (long long)a, (long long)b);
            free(ix);
            return st;
        }
    }
    *out = ix;
    return GLINT_OK;
}

static const char *kv_name_of(const gl_gguf *g, int64_t i) {
    return g->kv[i].key;
}
static const char *tensor_name_of(const gl_gguf *g, int64_t i) {
    return g->tensors[i].name;
}

static glint_status parse(gl_gguf *g, gl_err *err) {
    gl_rd r = {g->base, g->size, 0, err};
    glint_status st;
    if (g->size < 4 || memcmp(g->base, "GGUF", 4) != 0)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                       "not a GGUF file: the first 4 bytes are not \"GGUF\" (size %llu)",
                       (unsigned long long)g->size);
    r.pos = 4;
    if ((st = rd_u32(&r, &g->version, "header version"))) return st;
    const uint32_t v = g->version;
    if (v == 1)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "GGUF version 1 is not supported (only 2 and 3); convert the file again");
    if (v == 0) return gl_fail(err, GLINT_ERROR_INVALID_FILE, "GGUF version 0 is invalid");
    if ((v & 0xffffu) == 0 && (v >> 24) >= 1 && (v >> 24) <= 3)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "big-endian GGUF (version %u byte-swapped) is not supported", v >> 24);
    if (v > 3)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "GGUF version %u is newer than the supported versions 2 and 3", v);
    uint64_t n_tensors, n_kv;
    if ((st = rd_u64(&r, &n_tensors, "header tensor count"))) return st;
    if ((st = rd_u64(&r, &n_kv, "header key/value count"))) return st;
    /* Smallest possible entries: a key/value is 8+1+4+1 bytes, a tensor info 8+1+4+8+4+8. */
    const uint64_t left = rd_left(&r);
    if (n_kv > left / 14)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                       "header: %llu key/values cannot fit in the %llu bytes after the header",
                       (unsigned long long)n_kv, (unsigned long long)left);
    if (n_tensors > left / 33 || n_kv * 14 + n_tensors * 33 > left)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                       "header: %llu tensors and %llu key/values cannot fit in the %llu bytes "
                       "after the header",
                       (unsigned long long)n_tensors, (unsigned long long)n_kv,
                       (unsigned long long)left);

    g->n_kv = (int64_t)n_kv;
    if (n_kv) {
        g->kv = calloc((size_t)n_kv, sizeof *g->kv);
        if (!g->kv) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "key/values: out of memory");
    }
    for (int64_t i = 0; i < g->n_kv; i++) {
        if ((st = parse_kv(g, &r, i))) {
            g->n_kv = i + 1; /* free what this one allocated too */
            return st;
        }
    }
    if ((st = index_names(&g->kv_sorted, g->n_kv, kv_name_of, g, "key", err))) return st;

    g->alignment = GL_GGUF_DEFAULT_ALIGNMENT;
    const int64_t ai = gl_gguf_find_key(g, "general.alignment");
    if (ai >= 0) {
        const gl_gguf_kv *kv = &g->kv[ai];
        if (kv->type != GL_GGUF_UINT32)
            return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                           "key 'general.alignment' is %s, must be a u32",
                           gl_gguf_type_name(kv->type));
        const uint32_t a = rd32(g->base + kv->val_off);
        if (a == 0 || (a & (a - 1)) != 0)
            return gl_fail(err, GLINT_ERROR_INVALID_FILE,
                           "key 'general.alignment' = %u is not a nonzero power of 2", a);
        g->alignment = a;
    }

    g->n_tensors = (int64_t)n_tensors;
    if (n_tensors) {
        g->tensors = calloc((size_t)n_tensors, sizeof *g->tensors);
        if (!g->tensors) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "tensors: out of memory");
    }
    for (int64_t i = 0; i < g->n_tensors; i++)
        if ((st = parse_tensor_info(g, &r, i))) return st;
    if ((st = index_names(&g->tensor_sorted, g->n_tensors, tensor_name_of, g, "tensor", err)))
        return st;

    /* r.pos <= size, so this cannot overflow for any alignment below 2^32. */
    g->data_offset = gl_align_up(r.pos, g->alignment);
    return check_tensor_data(g, err);
}

static glint_status open_bytes(const void *data, uint64_t size, bool mapped, gl_gguf **out,
                               gl_err *err) {
    gl_gguf *g = calloc(1, sizeof *g);
    if (!g) {
        if (mapped) munmap((void *)data, (size_t)size);
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "gguf: out of memory");
    }
    g->base = data;
    g->size = size;
    g->mapped = mapped;
    glint_status st = parse(g, err);
    if (st) {
        gl_gguf_close(g);
        return st;
    }
    *out = g;
    return GLINT_OK;
}

glint_status gl_gguf_open_memory(const void *data, size_t size, gl_gguf **out, gl_err *err) {
    if (!out) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "gl_gguf_open_memory: out is NULL");
    *out = NULL;
    if (!data && size)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "gl_gguf_open_memory: data is NULL");
    static const uint8_t empty[1];
    return open_bytes(data ? data : empty, size, false, out, err);
}

glint_status gl_gguf_open(const char *path, gl_gguf **out, gl_err *err) {
    if (!out || !path)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "gl_gguf_open: NULL argument");
    *out = NULL;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return gl_fail(err, GLINT_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        const int e = errno;
        close(fd);
        return gl_fail(err, GLINT_ERROR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return gl_fail(err, GLINT_ERROR_IO, "%s: not a regular file", path);
    }
    const uint64_t size = (uint64_t)sb.st_size;
    if (size == 0) { /* cannot be mapped; the parser reports everything else */
        close(fd);
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "%s: empty file, not a GGUF file", path);
    }
    if (size > (uint64_t)SIZE_MAX) {
        close(fd);
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "%s: %llu bytes cannot be mapped here", path,
                       (unsigned long long)size);
    }
    void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return gl_fail(err, GLINT_ERROR_IO, "%s: cannot map: %s", path, strerror(e));
    glint_status st = open_bytes(p, size, true, out, err);
    if (st && err) {
        /* Prefix the path, keeping the reader's message. */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gl_fail(err, st, "%s: %s", path, msg);
    }
    return st;
}

void gl_gguf_close(gl_gguf *g) {
    if (!g) return;
    for (int64_t i = 0; i < g->n_kv; i++) {
        free(g->kv[i].key);
        free(g->kv[i].str_off);
    }
    free(g->kv);
    free(g->kv_sorted);
    for (int64_t i = 0; i < g->n_tensors; i++) free((void *)g->tensors[i].name);
    free(g->tensors);
    free(g->tensor_sorted);
    if (g->mapped) munmap((void *)g->base, (size_t)g->size);
    free(g);
}

void gl_gguf_release_pages(const gl_gguf *g) {
    if (!g || !g->mapped || g->data_offset >= g->size) return;
    const long page = sysconf(_SC_PAGESIZE);
    const uint64_t start = gl_align_up(g->data_offset, page > 0 ? (uint64_t)page : 4096);
    if (start < g->size)
        madvise((void *)(g->base + start), (size_t)(g->size - start), MADV_DONTNEED);
}

/* ---- accessors -------------------------------------------------------------------------- */

uint32_t gl_gguf_version(const gl_gguf *g) {
    return g->version;
}
uint64_t gl_gguf_alignment(const gl_gguf *g) {
    return g->alignment;
}
uint64_t gl_gguf_data_offset(const gl_gguf *g) {
    return g->data_offset;
}
const void *gl_gguf_base(const gl_gguf *g) {
    return g->base;
}
uint64_t gl_gguf_file_size(const gl_gguf *g) {
    return g->size;
}

int64_t gl_gguf_n_kv(const gl_gguf *g) {
    return g->n_kv;
}

static int64_t find_sorted(const gl_name_idx *ix, int64_t n, const char *name) {
    if (!ix || !name) return -1;
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        const int c = strcmp(ix[mid].name, name);
        if (c == 0) return ix[mid].idx;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int64_t gl_gguf_find_key(const gl_gguf *g, const char *key) {
    return find_sorted(g->kv_sorted, g->n_kv, key);
}

static const gl_gguf_kv *kv_at(const gl_gguf *g, int64_t i) {
    return (i >= 0 && i < g->n_kv) ? &g->kv[i] : NULL;
}

const char *gl_gguf_kv_key(const gl_gguf *g, int64_t i) {
    const gl_gguf_kv *kv = kv_at(g, i);
    return kv ? kv->key : NULL;
}

gl_gguf_type gl_gguf_kv_type(const gl_gguf *g, int64_t i) {
    const gl_gguf_kv *kv = kv_at(g, i);
    return kv ? kv->type : GL_GGUF_TYPE_COUNT;
}

/* An integer value: signed types in *s (is_signed true), unsigned in *u. */
static bool kv_int(const gl_gguf *g, const gl_gguf_kv *kv, bool *is_signed, int64_t *s,
                   uint64_t *u) {
    const uint8_t *p = g->base + kv->val_off;
    *is_signed = false;
    switch (kv->type) {
    case GL_GGUF_UINT8:
        *u = p[0];
        return true;
    case GL_GGUF_UINT16:
        *u = rd16(p);
        return true;
    case GL_GGUF_UINT32:
        *u = rd32(p);
        return true;
    case GL_GGUF_UINT64:
        *u = rd64(p);
        return true;
    default:
        break;
    }
    *is_signed = true;
    switch (kv->type) {
    case GL_GGUF_INT8:
        *s = (int8_t)p[0];
        return true;
    case GL_GGUF_INT16:
        *s = (int16_t)rd16(p);
        return true;
    case GL_GGUF_INT32:
        *s = (int32_t)rd32(p);
        return true;
    case GL_GGUF_INT64:
        *s = (int64_t)rd64(p);
        return true;
    default:
        return false;
    }
}

static glint_status bad_index(gl_err *err, int64_t i) {
    return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "key index %lld out of range", (long long)i);
}

static glint_status wrong_type(const gl_gguf_kv *kv, const char *want, gl_err *err) {
    return gl_fail(err, GLINT_ERROR_INVALID_FILE, "key '%s' is %s, want %s", kv->key,
                   gl_gguf_type_name(kv->type), want);
}

static glint_status get_int_range(const gl_gguf *g, int64_t i, int64_t lo, uint64_t hi,
                                  const char *want, int64_t *sv, uint64_t *uv, bool *neg,
                                  gl_err *err) {
    const gl_gguf_kv *kv = kv_at(g, i);
    if (!kv) return bad_index(err, i);
    bool is_signed;
    int64_t s = 0;
    uint64_t u = 0;
    if (!kv_int(g, kv, &is_signed, &s, &u)) return wrong_type(kv, want, err);
    if (is_signed && s < 0) {
        if (s < lo)
            return gl_fail(err, GLINT_ERROR_INVALID_FILE, "key '%s' = %lld does not fit %s",
                           kv->key, (long long)s, want);
        *neg = true;
        *sv = s;
        return GLINT_OK;
    }
    const uint64_t v = is_signed ? (uint64_t)s : u;
    if (v > hi)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "key '%s' = %llu does not fit %s", kv->key,
                       (unsigned long long)v, want);
    *neg = false;
    *uv = v;
    return GLINT_OK;
}

glint_status gl_gguf_kv_u32(const gl_gguf *g, int64_t i, uint32_t *out, gl_err *err) {
    int64_t s = 0;
    uint64_t u = 0;
    bool neg = false;
    glint_status st = get_int_range(g, i, 0, UINT32_MAX, "u32", &s, &u, &neg, err);
    if (!st) *out = (uint32_t)u;
    return st;
}

glint_status gl_gguf_kv_i32(const gl_gguf *g, int64_t i, int32_t *out, gl_err *err) {
    int64_t s = 0;
    uint64_t u = 0;
    bool neg = false;
    glint_status st = get_int_range(g, i, INT32_MIN, INT32_MAX, "i32", &s, &u, &neg, err);
    if (!st) *out = neg ? (int32_t)s : (int32_t)u;
    return st;
}

glint_status gl_gguf_kv_u64(const gl_gguf *g, int64_t i, uint64_t *out, gl_err *err) {
    int64_t s = 0;
    uint64_t u = 0;
    bool neg = false;
    glint_status st = get_int_range(g, i, 0, UINT64_MAX, "u64", &s, &u, &neg, err);
    if (!st) *out = u;
    return st;
}

glint_status gl_gguf_kv_f32(const gl_gguf *g, int64_t i, float *out, gl_err *err) {
    const gl_gguf_kv *kv = kv_at(g, i);
    if (!kv) return bad_index(err, i);
    const uint8_t *p = g->base + kv->val_off;
    if (kv->type == GL_GGUF_FLOAT32) {
        *out = gl_bits_to_f32(rd32(p));
        return GLINT_OK;
    }
    if (kv->type == GL_GGUF_FLOAT64) {
        const uint64_t b = rd64(p);
        double d;
        memcpy(&d, &b, 8);
        *out = (float)d;
        return GLINT_OK;
    }
    bool is_signed;
    int64_t s = 0;
    uint64_t u = 0;
    if (!kv_int(g, kv, &is_signed, &s, &u)) return wrong_type(kv, "f32", err);
    *out = is_signed ? (float)s : (float)u;
    return GLINT_OK;
}

glint_status gl_gguf_kv_bool(const gl_gguf *g, int64_t i, bool *out, gl_err *err) {
    const gl_gguf_kv *kv = kv_at(g, i);
    if (!kv) return bad_index(err, i);
    if (kv->type != GL_GGUF_BOOL) return wrong_type(kv, "bool", err);
    /* Any nonzero byte is true, as llama.cpp reads it. */
    *out = g->base[kv->val_off] != 0;
    return GLINT_OK;
}

glint_status gl_gguf_kv_str(const gl_gguf *g, int64_t i, gl_str *out, gl_err *err) {
    const gl_gguf_kv *kv = kv_at(g, i);
    if (!kv) return bad_index(err, i);
    if (kv->type != GL_GGUF_STRING) return wrong_type(kv, "str", err);
    out->len = kv->val_size - 8;
    out->ptr = (const char *)g->base + kv->val_off + 8;
    return GLINT_OK;
}

#define GL_GET_BY_KEY(fn, T)                                                                       \
    glint_status gl_gguf_get_##fn(const gl_gguf *g, const char *key, T *out, gl_err *err) {        \
        const int64_t i = gl_gguf_find_key(g, key);                                                \
        if (i < 0) return GLINT_ERROR_NOT_FOUND;                                                   \
        return gl_gguf_kv_##fn(g, i, out, err);                                                    \
    }
GL_GET_BY_KEY(u32, uint32_t)
GL_GET_BY_KEY(i32, int32_t)
GL_GET_BY_KEY(f32, float)
GL_GET_BY_KEY(bool, bool)
GL_GET_BY_KEY(str, gl_str)
#undef GL_GET_BY_KEY

gl_gguf_type gl_gguf_kv_arr_type(const gl_gguf *g, int64_t i) {
    const gl_gguf_kv *kv = kv_at(g, i);
    return kv ? kv->arr_type : GL_GGUF_TYPE_COUNT;
}

uint64_t gl_gguf_kv_arr_n(const gl_gguf *g, int64_t i) {
    const gl_gguf_kv *kv = kv_at(g, i);
    return kv && kv->type == GL_GGUF_ARRAY ? kv->arr_n : 0;
}

const void *gl_gguf_kv_arr_data(const gl_gguf *g, int64_t i) {
    const gl_gguf_kv *kv = kv_at(g, i);
    if (!kv || kv->type != GL_GGUF_ARRAY || kv->arr_type == GL_GGUF_STRING) return NULL;
    return g->base + kv->val_off;
}

gl_str gl_gguf_kv_arr_str(const gl_gguf *g, int64_t i, uint64_t j) {
    const gl_gguf_kv *kv = kv_at(g, i);
    gl_str s = {NULL, 0};
    if (!kv || kv->type != GL_GGUF_ARRAY || kv->arr_type != GL_GGUF_STRING || j >= kv->arr_n)
        return s;
    const uint64_t off = kv->str_off[j];
    s.len = rd64(g->base + off);
    s.ptr = (const char *)g->base + off + 8;
    return s;
}

gl_str gl_gguf_kv_raw(const gl_gguf *g, int64_t i) {
    const gl_gguf_kv *kv = kv_at(g, i);
    gl_str s = {NULL, 0};
    if (!kv) return s;
    s.ptr = (const char *)g->base + kv->val_off;
    s.len = kv->val_size;
    return s;
}

int64_t gl_gguf_n_tensors(const gl_gguf *g) {
    return g->n_tensors;
}

const gl_gguf_tensor *gl_gguf_tensor_at(const gl_gguf *g, int64_t i) {
    return (i >= 0 && i < g->n_tensors) ? &g->tensors[i] : NULL;
}

const gl_gguf_tensor *gl_gguf_find_tensor(const gl_gguf *g, const char *name) {
    const int64_t i = find_sorted(g->tensor_sorted, g->n_tensors, name);
    return i >= 0 ? &g->tensors[i] : NULL;
}

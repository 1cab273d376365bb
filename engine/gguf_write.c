/* GGUF v3 writer. The layout is the one llama.cpp writes and requires: header, key/values in
 * insertion order, tensor infos in insertion order, zero padding to the alignment, then each
 * tensor's data at the next aligned offset with zero padding after it (the last one too).
 * Tensor data is streamed, so a model never has to sit in memory whole; the file appears under
 * its name only once complete (written to a temporary name, then renamed). */
#include "gguf.h"
#include "types.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF writer copies numeric arrays as they are in memory: little-endian hosts only"
#endif

/* Fill callbacks get at most this many bytes at a time. */
#define GL_GGUF_FILL_PIECE ((uint64_t)16 << 20)

typedef struct gl_wkv {
    char *key;
    gl_gguf_type type;
    uint8_t *val; /* the value exactly as stored after the type field */
    size_t val_size;
} gl_wkv;

typedef struct gl_wtensor {
    char *name;
    glint_type type;
    uint32_t n_dims;
    int64_t ne[GL_GGUF_MAX_DIMS];
    uint64_t size;
    uint64_t offset; /* assigned at write */
    const void *data;
    gl_gguf_fill_fn fill;
    void *user;
} gl_wtensor;

struct gl_gguf_writer {
    gl_wkv *kv;
    size_t n_kv, cap_kv;
    gl_wtensor *t;
    size_t n_t, cap_t;
};

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static size_t elem_size(gl_gguf_type t) {
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

glint_status gl_gguf_writer_create(gl_gguf_writer **out) {
    if (!out) return GLINT_ERROR_INVALID_ARGUMENT;
    *out = calloc(1, sizeof **out);
    return *out ? GLINT_OK : GLINT_ERROR_OUT_OF_MEMORY;
}

void gl_gguf_writer_free(gl_gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].val);
    }
    free(w->kv);
    for (size_t i = 0; i < w->n_t; i++) free(w->t[i].name);
    free(w->t);
    free(w);
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return true;
    const size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, nc * elem);
    if (!p) return false;
    *arr = p;
    *cap = nc;
    return true;
}

/* Takes ownership of `val` (freed on failure too). */
static glint_status put_kv(gl_gguf_writer *w, const char *key, gl_gguf_type type, uint8_t *val,
                           size_t val_size) {
    if (!w || !key || !*key || (!val && val_size)) {
        free(val);
        return GLINT_ERROR_INVALID_ARGUMENT;
    }
    /* The reader (and llama.cpp) accept only a u32 power of two here. */
    if (strcmp(key, "general.alignment") == 0) {
        uint32_t a = 0;
        if (type == GL_GGUF_UINT32)
            a = (uint32_t)val[0] | ((uint32_t)val[1] << 8) | ((uint32_t)val[2] << 16) |
                ((uint32_t)val[3] << 24);
        if (a == 0 || (a & (a - 1)) != 0) {
            free(val);
            return GLINT_ERROR_INVALID_ARGUMENT;
        }
    }
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key) == 0) {
            free(w->kv[i].val);
            w->kv[i].type = type;
            w->kv[i].val = val;
            w->kv[i].val_size = val_size;
            return GLINT_OK;
        }
    }
    char *k = strdup(key);
    if (!k || !grow((void **)&w->kv, &w->cap_kv, w->n_kv, sizeof *w->kv)) {
        free(k);
        free(val);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    w->kv[w->n_kv++] = (gl_wkv){k, type, val, val_size};
    return GLINT_OK;
}

static glint_status put_bytes(gl_gguf_writer *w, const char *key, gl_gguf_type type, const void *v,
                              size_t n) {
    uint8_t *val = malloc(n);
    if (!val) return GLINT_ERROR_OUT_OF_MEMORY;
    memcpy(val, v, n);
    return put_kv(w, key, type, val, n);
}

glint_status gl_gguf_writer_set_val(gl_gguf_writer *w, const char *key, gl_gguf_type type,
                                    const void *v) {
    const size_t n = elem_size(type);
    if (!n || !v) return GLINT_ERROR_INVALID_ARGUMENT;
    uint8_t b[8];
    switch (n) {
    case 1:
        b[0] = type == GL_GGUF_BOOL ? (uint8_t)(*(const bool *)v ? 1 : 0) : *(const uint8_t *)v;
        break;
    case 2:
        put16(b, *(const uint16_t *)v);
        break;
    case 4: {
        uint32_t u;
        memcpy(&u, v, 4);
        put32(b, u);
        break;
    }
    default: {
        uint64_t u;
        memcpy(&u, v, 8);
        put64(b, u);
        break;
    }
    }
    return put_bytes(w, key, type, b, n);
}

glint_status gl_gguf_writer_set_u8(gl_gguf_writer *w, const char *key, uint8_t v) {
    return gl_gguf_writer_set_val(w, key, GL_GGUF_UINT8, &v);
}
glint_status gl_gguf_writer_set_u32(gl_gguf_writer *w, const char *key, uint32_t v) {
    return gl_gguf_writer_set_val(w, key, GL_GGUF_UINT32, &v);
}
glint_status gl_gguf_writer_set_i32(gl_gguf_writer *w, const char *key, int32_t v) {
    return gl_gguf_writer_set_val(w, key, GL_GGUF_INT32, &v);
}
glint_status gl_gguf_writer_set_u64(gl_gguf_writer *w, const char *key, uint64_t v) {
    return gl_gguf_writer_set_val(w, key, GL_GGUF_UINT64, &v);
}
glint_status gl_gguf_writer_set_f32(gl_gguf_writer *w, const char *key, float v) {
    return gl_gguf_writer_set_val(w, key, GL_GGUF_FLOAT32, &v);
}
glint_status gl_gguf_writer_set_bool(gl_gguf_writer *w, const char *key, bool v) {
    return gl_gguf_writer_set_val(w, key, GL_GGUF_BOOL, &v);
}

glint_status gl_gguf_writer_set_str(gl_gguf_writer *w, const char *key, const char *v) {
    if (!v) return GLINT_ERROR_INVALID_ARGUMENT;
    const size_t n = strlen(v);
    if (n > SIZE_MAX - 8) return GLINT_ERROR_INVALID_ARGUMENT;
    uint8_t *val = malloc(8 + n);
    if (!val) return GLINT_ERROR_OUT_OF_MEMORY;
    put64(val, n);
    memcpy(val + 8, v, n);
    return put_kv(w, key, GL_GGUF_STRING, val, 8 + n);
}

glint_status gl_gguf_writer_set_arr(gl_gguf_writer *w, const char *key, gl_gguf_type elem,
                                    const void *data, uint64_t n) {
    const size_t es = elem_size(elem);
    if (!es || (!data && n)) return GLINT_ERROR_INVALID_ARGUMENT;
    if (n > (SIZE_MAX - 12) / es) return GLINT_ERROR_OUT_OF_MEMORY;
    const size_t bytes = (size_t)n * es;
    uint8_t *val = malloc(12 + bytes);
    if (!val) return GLINT_ERROR_OUT_OF_MEMORY;
    put32(val, (uint32_t)elem);
    put64(val + 4, n);
    if (bytes) memcpy(val + 12, data, bytes);
    if (elem == GL_GGUF_BOOL)
        for (size_t i = 0; i < bytes; i++) val[12 + i] = val[12 + i] ? 1 : 0;
    return put_kv(w, key, GL_GGUF_ARRAY, val, 12 + bytes);
}

glint_status gl_gguf_writer_set_arr_str(gl_gguf_writer *w, const char *key, const gl_str *strs,
                                        uint64_t n) {
    if (!strs && n) return GLINT_ERROR_INVALID_ARGUMENT;
    uint64_t total = 12;
    for (uint64_t i = 0; i < n; i++) {
        if (!strs[i].ptr && strs[i].len) return GLINT_ERROR_INVALID_ARGUMENT;
        if (!gl_add_u64(total, 8, &total) || !gl_add_u64(total, strs[i].len, &total))
            return GLINT_ERROR_OUT_OF_MEMORY;
    }
    if (total > SIZE_MAX) return GLINT_ERROR_OUT_OF_MEMORY;
    uint8_t *val = malloc((size_t)total);
    if (!val) return GLINT_ERROR_OUT_OF_MEMORY;
    put32(val, GL_GGUF_STRING);
    put64(val + 4, n);
    size_t pos = 12;
    for (uint64_t i = 0; i < n; i++) {
        put64(val + pos, strs[i].len);
        pos += 8;
        if (strs[i].len) memcpy(val + pos, strs[i].ptr, (size_t)strs[i].len);
        pos += (size_t)strs[i].len;
    }
    return put_kv(w, key, GL_GGUF_ARRAY, val, (size_t)total);
}

glint_status gl_gguf_writer_copy_kv(gl_gguf_writer *w, const gl_gguf *src, int64_t i) {
    if (!w || !src || i < 0 || i >= gl_gguf_n_kv(src)) return GLINT_ERROR_INVALID_ARGUMENT;
    const gl_gguf_type type = gl_gguf_kv_type(src, i);
    const gl_str raw = gl_gguf_kv_raw(src, i);
    if (type != GL_GGUF_ARRAY)
        return put_bytes(w, gl_gguf_kv_key(src, i), type, raw.ptr, (size_t)raw.len);
    if (raw.len > SIZE_MAX - 12) return GLINT_ERROR_OUT_OF_MEMORY;
    uint8_t *val = malloc(12 + (size_t)raw.len);
    if (!val) return GLINT_ERROR_OUT_OF_MEMORY;
    put32(val, (uint32_t)gl_gguf_kv_arr_type(src, i));
    put64(val + 4, gl_gguf_kv_arr_n(src, i));
    if (raw.len) memcpy(val + 12, raw.ptr, (size_t)raw.len);
    return put_kv(w, gl_gguf_kv_key(src, i), GL_GGUF_ARRAY, val, 12 + (size_t)raw.len);
}

glint_status gl_gguf_writer_add_tensor(gl_gguf_writer *w, const char *name, glint_type type,
                                       uint32_t n_dims, const int64_t *ne, const void *data,
                                       gl_gguf_fill_fn fill, void *user) {
    if (!w || !name || !ne || (data && fill)) return GLINT_ERROR_INVALID_ARGUMENT;
    const size_t len = strlen(name);
    if (len == 0 || len > 63) return GLINT_ERROR_INVALID_ARGUMENT;
    uint64_t size = 0;
    glint_status st = gl_gguf_tensor_nbytes(type, n_dims, ne, &size, NULL);
    if (st) return st;
    if (size && !data && !fill) return GLINT_ERROR_INVALID_ARGUMENT;
    for (size_t i = 0; i < w->n_t; i++)
        if (strcmp(w->t[i].name, name) == 0) return GLINT_ERROR_INVALID_ARGUMENT;
    char *nm = strdup(name);
    if (!nm || !grow((void **)&w->t, &w->cap_t, w->n_t, sizeof *w->t)) {
        free(nm);
        return GLINT_ERROR_OUT_OF_MEMORY;
    }
    gl_wtensor *t = &w->t[w->n_t++];
    *t = (gl_wtensor){.name = nm,
                      .type = type,
                      .n_dims = n_dims,
                      .size = size,
                      .data = data,
                      .fill = fill,
                      .user = user};
    for (int d = 0; d < GL_GGUF_MAX_DIMS; d++) t->ne[d] = (uint32_t)d < n_dims ? ne[d] : 1;
    return GLINT_OK;
}

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct gl_out {
    FILE *f;
    uint64_t pos;
    const char *path;
    gl_err *err;
} gl_out;

static glint_status out_write(gl_out *o, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, o->f) != n)
        return gl_fail(o->err, GLINT_ERROR_IO, "%s: write failed at byte %llu: %s", o->path,
                       (unsigned long long)o->pos, strerror(errno));
    o->pos += n;
    return GLINT_OK;
}

static glint_status out_u32(gl_out *o, uint32_t v) {
    uint8_t b[4];
    put32(b, v);
    return out_write(o, b, 4);
}
static glint_status out_u64(gl_out *o, uint64_t v) {
    uint8_t b[8];
    put64(b, v);
    return out_write(o, b, 8);
}
static glint_status out_str(gl_out *o, const char *s) {
    const size_t n = strlen(s);
    glint_status st = out_u64(o, n);
    return st ? st : out_write(o, s, n);
}
static glint_status out_pad(gl_out *o, uint64_t align) {
    static const uint8_t zeros[256];
    while (o->pos % align) {
        const uint64_t n = GL_MIN(align - o->pos % align, (uint64_t)sizeof zeros);
        glint_status st = out_write(o, zeros, (size_t)n);
        if (st) return st;
    }
    return GLINT_OK;
}

static uint64_t writer_alignment(const gl_gguf_writer *w) {
    for (size_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->kv[i].key, "general.alignment") == 0) {
            const uint8_t *v = w->kv[i].val; /* checked to be a u32 power of 2 by put_kv */
            return (uint64_t)v[0] | ((uint64_t)v[1] << 8) | ((uint64_t)v[2] << 16) |
                   ((uint64_t)v[3] << 24);
        }
    return GL_GGUF_DEFAULT_ALIGNMENT;
}

static glint_status write_all(gl_gguf_writer *w, gl_out *o) {
    const uint64_t align = writer_alignment(w);
    glint_status st;
    uint64_t off = 0, max_fill = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        gl_wtensor *t = &w->t[i];
        t->offset = off;
        if (!gl_add_u64(off, t->size, &off) || off > UINT64_MAX - align)
            return gl_fail(o->err, GLINT_ERROR_INVALID_ARGUMENT,
                           "tensor '%s': data offset overflows", t->name);
        off = gl_align_up(off, align);
        if (t->fill) max_fill = GL_MAX(max_fill, GL_MIN(t->size, GL_GGUF_FILL_PIECE));
    }

    if ((st = out_write(o, "GGUF", 4)) || (st = out_u32(o, 3)) || (st = out_u64(o, w->n_t)) ||
        (st = out_u64(o, w->n_kv)))
        return st;
    for (size_t i = 0; i < w->n_kv; i++) {
        const gl_wkv *kv = &w->kv[i];
        if ((st = out_str(o, kv->key)) || (st = out_u32(o, (uint32_t)kv->type)) ||
            (st = out_write(o, kv->val, kv->val_size)))
            return st;
    }
    for (size_t i = 0; i < w->n_t; i++) {
        const gl_wtensor *t = &w->t[i];
        if ((st = out_str(o, t->name)) || (st = out_u32(o, t->n_dims))) return st;
        for (uint32_t d = 0; d < t->n_dims; d++)
            if ((st = out_u64(o, (uint64_t)t->ne[d]))) return st;
        if ((st = out_u32(o, (uint32_t)t->type)) || (st = out_u64(o, t->offset))) return st;
    }
    if ((st = out_pad(o, align))) return st;

    const uint64_t data_start = o->pos;
    uint8_t *buf = NULL;
    if (max_fill) {
        buf = malloc((size_t)max_fill);
        if (!buf)
            return gl_fail(o->err, GLINT_ERROR_OUT_OF_MEMORY, "%s: fill buffer: out of memory",
                           o->path);
    }
    for (size_t i = 0; i < w->n_t && !st; i++) {
        const gl_wtensor *t = &w->t[i];
        if (t->data) {
            st = out_write(o, t->data, (size_t)t->size);
        } else {
            for (uint64_t done = 0; done < t->size && !st; done += max_fill) {
                const uint64_t n = GL_MIN(max_fill, t->size - done);
                st = t->fill(t->user, buf, done, n);
                if (st) {
                    st = gl_fail(o->err, st, "tensor '%s': fill of bytes [%llu..%llu) failed: %s",
                                 t->name, (unsigned long long)done, (unsigned long long)(done + n),
                                 glint_status_string(st));
                    break;
                }
                st = out_write(o, buf, (size_t)n);
            }
        }
        if (!st) st = out_pad(o, align);
        if (!st && o->pos != data_start + gl_align_up(t->offset + t->size, align))
            st = gl_fail(o->err, GLINT_ERROR_INTERNAL, "tensor '%s': written at the wrong offset",
                         t->name);
    }
    free(buf);
    return st;
}

glint_status gl_gguf_writer_write(gl_gguf_writer *w, const char *path, gl_err *err) {
    if (!w || !path)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "gl_gguf_writer_write: NULL argument");
    static atomic_uint counter;
    char tmp[4096];
    int fd = -1;
    for (int tries = 0; tries < 100 && fd < 0; tries++) {
        const int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
                               atomic_fetch_add(&counter, 1));
        if (n < 0 || (size_t)n >= sizeof tmp)
            return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "%s: path too long", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            return gl_fail(err, GLINT_ERROR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    if (fd < 0) return gl_fail(err, GLINT_ERROR_IO, "%s: no free temporary name", path);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        const int e = errno;
        close(fd);
        unlink(tmp);
        return gl_fail(err, GLINT_ERROR_IO, "%s: fdopen: %s", tmp, strerror(e));
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    gl_out o = {f, 0, path, err};
    glint_status st = write_all(w, &o);
    if (!st && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        st = gl_fail(err, GLINT_ERROR_IO, "%s: flush failed: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && !st)
        st = gl_fail(err, GLINT_ERROR_IO, "%s: close failed: %s", tmp, strerror(errno));
    if (!st && rename(tmp, path) != 0)
        st = gl_fail(err, GLINT_ERROR_IO, "%s: cannot rename %s to it: %s", path, tmp,
                     strerror(errno));
    if (st) unlink(tmp);
    return st;
}

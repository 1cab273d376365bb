/* Plan cache: records as JSON files in the cache directory, with a tiny writer and a strict
 * reader for exactly the format the writer produces. A file that does not match is a miss,
 * never a crash. */
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLAN_FORMAT_NAME "glint-plan"
#define PLAN_FILE_MAX    (8u << 20) /* far above the largest record (~1 MiB) */

static const char *const k_phase_name[GL_PLAN_PHASE_COUNT] = {"prefill", "decode"};

uint64_t gl_plan_hash64(const void *data, size_t n, uint64_t seed) {
    const unsigned char *p = data;
    uint64_t h = seed;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- record checks shared by writer and reader ------------------------------------------ */

static glint_status check_plan(const gl_plan *p, int n_backend, int n_layer, const char *what,
                               gl_err *err) {
    if (p->n_backend != n_backend || p->n_layer != n_layer)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                       "%s plan is for %d layers / %d backends, record has %d / %d", what,
                       p->n_layer, p->n_backend, n_layer, n_backend);
    bool ok = p->embed < n_backend && p->head < n_backend && !isnan(p->cost) && p->cost >= 0;
    for (int l = 0; l < n_layer; l++) ok = ok && p->backend[l] < n_backend;
    if (!ok)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                       "%s plan names a backend beyond %d or has a bad cost", what, n_backend);
    return GLINT_OK;
}

static glint_status check_record(const gl_plan_record *r, gl_err *err) {
    const int nb = r->key.n_backend, nl = r->plan[0].n_layer;
    if (nb < 1 || nb > GL_PLAN_MAX_BACKENDS)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan record: %d backends", nb);
    if (nl < 1 || nl > GL_PLAN_MAX_LAYERS)
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan record: %d layers", nl);
    for (int b = 0; b < nb; b++)
        if (!memchr(r->key.device[b], 0, GL_PLAN_DEVICE_MAX))
            return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                           "plan record: device string %d is not terminated", b);
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        glint_status st = check_plan(&r->plan[ph], nb, nl, k_phase_name[ph], err);
        if (st != GLINT_OK) return st;
        if (!r->has_costs) continue;
        const gl_plan_costs *c = &r->costs[ph];
        if (c->n_backend != nb || c->n_layer != nl)
            return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT,
                           "%s cost table is for %d layers / %d backends, record has %d / %d",
                           k_phase_name[ph], c->n_layer, c->n_backend, nl, nb);
        double unused;
        st = gl_plan_eval(c, &r->plan[ph], &unused, err); /* rejects NaN and negative costs */
        if (st != GLINT_OK) return st;
    }
    return GLINT_OK;
}

/* ---- writer ------------------------------------------------------------------------------ */

typedef struct jw {
    char *buf;
    size_t len, cap;
    bool oom;
} jw;

static void jw_put(jw *w, const char *s, size_t n) {
    if (w->oom) return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (w->len + n + 1 > cap) cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) {
            w->oom = true;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = 0;
}

static void jw_s(jw *w, const char *s) {
    jw_put(w, s, strlen(s));
}

static void jw_printf(jw *w, const char *fmt, ...) GL_PRINTF(2, 3);
static void jw_printf(jw *w, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) jw_put(w, tmp, GL_MIN((size_t)n, sizeof tmp - 1));
}

/* INFINITY (a stage a backend cannot run) has no JSON number: it is written as null. */
static void jw_num(jw *w, double v) {
    if (isinf(v))
        jw_s(w, "null");
    else
        jw_printf(w, "%.17g", v);
}

static void jw_str(jw *w, const char *s) {
    jw_s(w, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            jw_printf(w, "\\%c", *p);
        else if (*p < 0x20)
            jw_printf(w, "\\u%04x", *p);
        else
            jw_put(w, (const char *)p, 1);
    }
    jw_s(w, "\"");
}

static void jw_nums(jw *w, const double *v, int n) {
    jw_s(w, "[");
    for (int i = 0; i < n; i++) {
        if (i) jw_s(w, ", ");
        jw_num(w, v[i]);
    }
    jw_s(w, "]");
}

static void write_plan(jw *w, const gl_plan *p) {
    jw_s(w, "{\"cost\": ");
    jw_num(w, p->cost);
    jw_printf(w, ", \"embed\": %d, \"head\": %d, \"layers\": [", p->embed, p->head);
    for (int l = 0; l < p->n_layer; l++) jw_printf(w, "%s%d", l ? ", " : "", p->backend[l]);
    jw_s(w, "]}");
}

static void write_costs(jw *w, const gl_plan_costs *c) {
    const int nb = c->n_backend, nl = c->n_layer;
    jw_s(w, "{\n      \"embed\": ");
    jw_nums(w, c->embed, nb);
    jw_s(w, ",\n      \"head\": ");
    jw_nums(w, c->head, nb);
    jw_s(w, ",\n      \"layers\": [");
    for (int l = 0; l < nl; l++) {
        double row[GL_PLAN_MAX_BACKENDS];
        for (int b = 0; b < nb; b++) row[b] = c->layer[b][l];
        jw_s(w, l ? ",\n        " : "\n        ");
        jw_nums(w, row, nb);
    }
    jw_s(w, "\n      ],\n      \"move\": [");
    for (int i = 0; i <= nl; i++) {
        jw_s(w, i ? ",\n        [" : "\n        [");
        for (int a = 0; a < nb; a++) {
            if (a) jw_s(w, ", ");
            jw_nums(w, c->move[i][a], nb);
        }
        jw_s(w, "]");
    }
    jw_s(w, "\n      ]\n    }");
}

glint_status gl_plan_record_to_json(const gl_plan_record *r, char **out, size_t *len, gl_err *err) {
    if (out) *out = NULL;
    if (!r || !out) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan record: NULL");
    glint_status st = check_record(r, err);
    if (st != GLINT_OK) return st;
    jw w = {0};
    jw_printf(&w, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n", PLAN_FORMAT_NAME,
              GL_PLAN_FORMAT_VERSION);
    jw_printf(&w, "  \"model_size\": %llu,\n  \"model_hash\": \"%016llx\",\n",
              (unsigned long long)r->key.model_size, (unsigned long long)r->key.model_hash);
    jw_s(&w, "  \"backends\": [");
    for (int b = 0; b < r->key.n_backend; b++) {
        if (b) jw_s(&w, ", ");
        jw_str(&w, r->key.device[b]);
    }
    jw_printf(&w, "],\n  \"n_layer\": %d,\n", r->plan[0].n_layer);
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
        jw_printf(&w, "  \"%s\": ", k_phase_name[ph]);
        write_plan(&w, &r->plan[ph]);
        jw_s(&w, ",\n");
    }
    if (!r->has_costs) {
        jw_s(&w, "  \"costs\": null\n}\n");
    } else {
        jw_s(&w, "  \"costs\": {\n");
        for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++) {
            jw_printf(&w, "    \"%s\": ", k_phase_name[ph]);
            write_costs(&w, &r->costs[ph]);
            jw_s(&w, ph + 1 < GL_PLAN_PHASE_COUNT ? ",\n" : "\n");
        }
        jw_s(&w, "  }\n}\n");
    }
    if (w.oom) {
        free(w.buf);
        return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "plan record: out of memory");
    }
    *out = w.buf;
    if (len) *len = w.len;
    return GLINT_OK;
}

/* ---- strict reader ----------------------------------------------------------------------- */

typedef struct jr {
    const char *start, *p, *end;
    gl_err *err;
    bool failed;
} jr;

static bool jr_fail(jr *r, const char *want) {
    if (!r->failed)
        gl_fail(r->err, GLINT_ERROR_INVALID_FILE, "plan file: at byte %zu: expected %s",
                (size_t)(r->p - r->start), want);
    r->failed = true;
    return false;
}

static void jr_ws(jr *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
        r->p++;
}

static bool jr_lit(jr *r, const char *lit) {
    jr_ws(r);
    const size_t n = strlen(lit);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0) {
        char want[48];
        snprintf(want, sizeof want, "'%s'", lit);
        return jr_fail(r, want);
    }
    r->p += n;
    return true;
}

static bool jr_peek(jr *r, char c) {
    jr_ws(r);
    return r->p < r->end && *r->p == c;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A string with the escapes the writer produces, plus \/ \n \t \r \b \f and \u00XX. */
static bool jr_string(jr *r, char *buf, size_t cap) {
    if (!jr_lit(r, "\"")) return false;
    size_t n = 0;
    for (;;) {
        if (r->p >= r->end) return jr_fail(r, "end of string");
        char c = *r->p++;
        if (c == '"') break;
        if ((unsigned char)c < 0x20) return jr_fail(r, "no control character in a string");
        if (c == '\\') {
            if (r->p >= r->end) return jr_fail(r, "escape");
            char e = *r->p++;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                c = e;
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u': {
                if (r->end - r->p < 4) return jr_fail(r, "\\uXXXX");
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(r->p[i]);
                    if (h < 0) return jr_fail(r, "\\uXXXX");
                    v = v * 16 + h;
                }
                if (v == 0 || v >= 0x80) return jr_fail(r, "\\u escape of an ASCII character");
                r->p += 4;
                c = (char)v;
                break;
            }
            default:
                return jr_fail(r, "a known escape");
            }
        }
        if (n + 1 >= cap) return jr_fail(r, "a shorter string");
        buf[n++] = c;
    }
    buf[n] = 0;
    return true;
}

static bool jr_key(jr *r, const char *key) {
    char k[32];
    if (!jr_string(r, k, sizeof k)) return false;
    if (strcmp(k, key) != 0) {
        r->p--; /* point at the key */
        char want[48];
        snprintf(want, sizeof want, "key \"%s\"", key);
        return jr_fail(r, want);
    }
    return jr_lit(r, ":");
}

static bool jr_u64(jr *r, uint64_t *v) {
    jr_ws(r);
    const char *q = r->p;
    if (q >= r->end || *q < '0' || *q > '9') return jr_fail(r, "an unsigned integer");
    if (*q == '0' && q + 1 < r->end && q[1] >= '0' && q[1] <= '9')
        return jr_fail(r, "an integer without leading zeros");
    uint64_t x = 0;
    for (; q < r->end && *q >= '0' && *q <= '9'; q++)
        if (!gl_mul_u64(x, 10, &x) || !gl_add_u64(x, (uint64_t)(*q - '0'), &x))
            return jr_fail(r, "an integer below 2^64");
    if (q < r->end && (*q == '.' || *q == 'e' || *q == 'E')) return jr_fail(r, "an integer");
    r->p = q;
    *v = x;
    return true;
}

static bool jr_int(jr *r, int *v, int lo, int hi) {
    uint64_t x;
    if (!jr_u64(r, &x)) return false;
    if (x < (uint64_t)lo || x > (uint64_t)hi) {
        char want[64];
        snprintf(want, sizeof want, "an integer in %d..%d", lo, hi);
        return jr_fail(r, want);
    }
    *v = (int)x;
    return true;
}

/* A JSON number (checked against the grammar before strtod, which would take more), or null
 * for INFINITY. */
static bool jr_num(jr *r, double *v) {
    jr_ws(r);
    if (r->end - r->p >= 4 && memcmp(r->p, "null", 4) == 0) {
        r->p += 4;
        *v = INFINITY;
        return true;
    }
    const char *q = r->p;
    if (q < r->end && *q == '-') q++;
    if (q >= r->end || *q < '0' || *q > '9') return jr_fail(r, "a number");
    if (*q == '0')
        q++;
    else
        while (q < r->end && *q >= '0' && *q <= '9') q++;
    if (q < r->end && *q == '.') {
        q++;
        if (q >= r->end || *q < '0' || *q > '9') return jr_fail(r, "digits after '.'");
        while (q < r->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < r->end && (*q == '+' || *q == '-')) q++;
        if (q >= r->end || *q < '0' || *q > '9') return jr_fail(r, "an exponent");
        while (q < r->end && *q >= '0' && *q <= '9') q++;
    }
    char tmp[64];
    const size_t n = (size_t)(q - r->p);
    if (n >= sizeof tmp) return jr_fail(r, "a shorter number");
    memcpy(tmp, r->p, n);
    tmp[n] = 0;
    double x = strtod(tmp, NULL);
    if (isinf(x) || isnan(x)) return jr_fail(r, "a finite number");
    r->p = q;
    *v = x;
    return true;
}

static bool jr_nums(jr *r, double *v, int n) {
    if (!jr_lit(r, "[")) return false;
    for (int i = 0; i < n; i++)
        if ((i && !jr_lit(r, ",")) || !jr_num(r, &v[i])) return false;
    return jr_lit(r, "]");
}

static bool read_plan(jr *r, gl_plan *p, int nb, int nl) {
    memset(p, 0, sizeof *p);
    p->n_backend = nb;
    p->n_layer = nl;
    int e = 0, h = 0;
    if (!jr_lit(r, "{") || !jr_key(r, "cost") || !jr_num(r, &p->cost) || !jr_lit(r, ",") ||
        !jr_key(r, "embed") || !jr_int(r, &e, 0, nb - 1) || !jr_lit(r, ",") || !jr_key(r, "head") ||
        !jr_int(r, &h, 0, nb - 1) || !jr_lit(r, ",") || !jr_key(r, "layers") || !jr_lit(r, "["))
        return false;
    p->embed = (uint8_t)e;
    p->head = (uint8_t)h;
    for (int l = 0; l < nl; l++) {
        int b;
        if ((l && !jr_lit(r, ",")) || !jr_int(r, &b, 0, nb - 1)) return false;
        p->backend[l] = (uint8_t)b;
    }
    return jr_lit(r, "]") && jr_lit(r, "}");
}

static bool read_costs(jr *r, gl_plan_costs *c, int nb, int nl) {
    gl_plan_costs_init(c, nb, nl, NULL); /* counts already checked */
    if (!jr_lit(r, "{") || !jr_key(r, "embed") || !jr_nums(r, c->embed, nb) || !jr_lit(r, ",") ||
        !jr_key(r, "head") || !jr_nums(r, c->head, nb) || !jr_lit(r, ",") || !jr_key(r, "layers") ||
        !jr_lit(r, "["))
        return false;
    for (int l = 0; l < nl; l++) {
        double row[GL_PLAN_MAX_BACKENDS];
        if ((l && !jr_lit(r, ",")) || !jr_nums(r, row, nb)) return false;
        for (int b = 0; b < nb; b++) c->layer[b][l] = row[b];
    }
    if (!jr_lit(r, "]") || !jr_lit(r, ",") || !jr_key(r, "move") || !jr_lit(r, "[")) return false;
    for (int i = 0; i <= nl; i++) {
        if ((i && !jr_lit(r, ",")) || !jr_lit(r, "[")) return false;
        for (int a = 0; a < nb; a++)
            if ((a && !jr_lit(r, ",")) || !jr_nums(r, c->move[i][a], nb)) return false;
        if (!jr_lit(r, "]")) return false;
    }
    return jr_lit(r, "]") && jr_lit(r, "}");
}

glint_status gl_plan_record_from_json(const char *text, size_t len, gl_plan_record *out,
                                      gl_err *err) {
    if (!text || !out) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan record: NULL");
    memset(out, 0, sizeof *out);
    jr r = {text, text, text + len, err, false};
    char name[32];
    int version = 0;
    if (!jr_lit(&r, "{") || !jr_key(&r, "format") || !jr_string(&r, name, sizeof name))
        return GLINT_ERROR_INVALID_FILE;
    if (strcmp(name, PLAN_FORMAT_NAME) != 0)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "plan file: format \"%s\", not \"%s\"", name,
                       PLAN_FORMAT_NAME);
    if (!jr_lit(&r, ",") || !jr_key(&r, "version") || !jr_int(&r, &version, 0, 1 << 30))
        return GLINT_ERROR_INVALID_FILE;
    if (version != GL_PLAN_FORMAT_VERSION)
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED, "plan file: format version %d, this is %d",
                       version, GL_PLAN_FORMAT_VERSION);

    gl_plan_key *k = &out->key;
    char hash[20];
    if (!jr_lit(&r, ",") || !jr_key(&r, "model_size") || !jr_u64(&r, &k->model_size) ||
        !jr_lit(&r, ",") || !jr_key(&r, "model_hash") || !jr_string(&r, hash, sizeof hash) ||
        !jr_lit(&r, ",") || !jr_key(&r, "backends") || !jr_lit(&r, "["))
        return GLINT_ERROR_INVALID_FILE;
    if (strlen(hash) != 16) return gl_fail(err, GLINT_ERROR_INVALID_FILE, "plan file: model_hash");
    for (int i = 0; i < 16; i++) {
        const int h = hexval(hash[i]);
        if (h < 0) return gl_fail(err, GLINT_ERROR_INVALID_FILE, "plan file: model_hash");
        k->model_hash = k->model_hash << 4 | (uint64_t)h;
    }
    for (;;) {
        if (k->n_backend == GL_PLAN_MAX_BACKENDS) {
            jr_fail(&r, "at most 4 backends");
            return GLINT_ERROR_INVALID_FILE;
        }
        if (!jr_string(&r, k->device[k->n_backend], GL_PLAN_DEVICE_MAX))
            return GLINT_ERROR_INVALID_FILE;
        k->n_backend++;
        if (jr_peek(&r, ']')) break;
        if (!jr_lit(&r, ",")) return GLINT_ERROR_INVALID_FILE;
    }
    int nl = 0;
    const int nb = k->n_backend;
    if (!jr_lit(&r, "]") || !jr_lit(&r, ",") || !jr_key(&r, "n_layer") ||
        !jr_int(&r, &nl, 1, GL_PLAN_MAX_LAYERS))
        return GLINT_ERROR_INVALID_FILE;
    for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
        if (!jr_lit(&r, ",") || !jr_key(&r, k_phase_name[ph]) ||
            !read_plan(&r, &out->plan[ph], nb, nl))
            return GLINT_ERROR_INVALID_FILE;
    if (!jr_lit(&r, ",") || !jr_key(&r, "costs")) return GLINT_ERROR_INVALID_FILE;
    jr_ws(&r);
    if (r.end - r.p >= 4 && memcmp(r.p, "null", 4) == 0) {
        r.p += 4;
    } else {
        out->has_costs = true;
        if (!jr_lit(&r, "{")) return GLINT_ERROR_INVALID_FILE;
        for (int ph = 0; ph < GL_PLAN_PHASE_COUNT; ph++)
            if ((ph && !jr_lit(&r, ",")) || !jr_key(&r, k_phase_name[ph]) ||
                !read_costs(&r, &out->costs[ph], nb, nl))
                return GLINT_ERROR_INVALID_FILE;
        if (!jr_lit(&r, "}")) return GLINT_ERROR_INVALID_FILE;
    }
    if (!jr_lit(&r, "}")) return GLINT_ERROR_INVALID_FILE;
    jr_ws(&r);
    if (r.p != r.end) {
        jr_fail(&r, "end of file");
        return GLINT_ERROR_INVALID_FILE;
    }
    gl_err why;
    if (check_record(out, &why) != GLINT_OK)
        return gl_fail(err, GLINT_ERROR_INVALID_FILE, "plan file: %s", why.msg);
    return GLINT_OK;
}

/* ---- files ------------------------------------------------------------------------------- */

glint_status gl_plan_file_write(const char *path, const gl_plan_record *r, gl_err *err) {
    if (!path) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan file: NULL path");
    char *text = NULL;
    size_t len = 0;
    glint_status st = gl_plan_record_to_json(r, &text, &len, err);
    if (st != GLINT_OK) return st;
    char tmp[1100];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        free(text);
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan file: path too long: %s", path);
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = gl_fail(err, GLINT_ERROR_IO, "plan file: cannot create %s: %s", tmp, strerror(errno));
        free(text);
        return st;
    }
    bool ok = fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    ok = fclose(f) == 0 && ok;
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        if (ok) saved = errno;
        unlink(tmp);
        return gl_fail(err, GLINT_ERROR_IO, "plan file: cannot write %s: %s", path,
                       strerror(saved));
    }
    return GLINT_OK;
}

glint_status gl_plan_file_read(const char *path, gl_plan_record *out, gl_err *err) {
    if (!path || !out) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan file: NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return gl_fail(err, errno == ENOENT ? GLINT_ERROR_NOT_FOUND : GLINT_ERROR_IO,
                       "plan file: cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    glint_status st = GLINT_OK;
    while (buf) {
        if (len == cap) {
            if (cap >= PLAN_FILE_MAX) {
                st = gl_fail(err, GLINT_ERROR_INVALID_FILE, "plan file: %s is over %u bytes", path,
                             PLAN_FILE_MAX);
                break;
            }
            char *b = realloc(buf, cap * 2);
            if (!b) {
                st = gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "plan file: out of memory");
                break;
            }
            buf = b;
            cap *= 2;
        }
        const size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) st = gl_fail(err, GLINT_ERROR_IO, "plan file: cannot read %s", path);
            break;
        }
    }
    fclose(f);
    if (!buf) return gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "plan file: out of memory");
    if (st == GLINT_OK) st = gl_plan_record_from_json(buf, len, out, err);
    free(buf);
    return st;
}

/* ---- cache ------------------------------------------------------------------------------- */


static bool make_dirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        const bool ok = mkdir(path, 0755) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok) return false;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static uint64_t device_hash(const gl_plan_key *k) {
    uint64_t h = gl_plan_hash64(&k->n_backend, sizeof k->n_backend, GL_PLAN_HASH_SEED);
    for (int b = 0; b < k->n_backend; b++)
        h = gl_plan_hash64(k->device[b], strlen(k->device[b]) + 1, h);
    return h;
}

static bool key_ok(const gl_plan_key *k) {
    if (k->n_backend < 1 || k->n_backend > GL_PLAN_MAX_BACKENDS) return false;
    for (int b = 0; b < k->n_backend; b++)
        if (!memchr(k->device[b], 0, GL_PLAN_DEVICE_MAX)) return false;
    return true;
}

glint_status gl_plan_cache_path(const char *dir, const gl_plan_key *key, char *buf, size_t cap,
                                gl_err *err) {
    if (!key || !buf || !key_ok(key))
        return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan cache: bad key");
    char d[1024];
    if (dir)
        snprintf(d, sizeof d, "%s", dir);
    else
        gl_cache_dir(d, sizeof d);
    int n = snprintf(buf, cap, "%s/plan-%llu-%016llx-%016llx.json", d,
                     (unsigned long long)key->model_size, (unsigned long long)key->model_hash,
                     (unsigned long long)device_hash(key));
    if (n < 0 || (size_t)n >= cap)
        return gl_fail(err, GLINT_ERROR_BUFFER_TOO_SMALL, "plan cache: path too long");
    return GLINT_OK;
}

glint_status gl_plan_cache_save(const char *dir, const gl_plan_record *r, gl_err *err) {
    if (!r) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan cache: NULL record");
    char d[1024], path[1200];
    if (dir)
        snprintf(d, sizeof d, "%s", dir);
    else
        gl_cache_dir(d, sizeof d);
    glint_status st = gl_plan_cache_path(d, &r->key, path, sizeof path, err);
    if (st != GLINT_OK) return st;
    if (!make_dirs(d))
        return gl_fail(err, GLINT_ERROR_IO, "plan cache: cannot create directory %s: %s", d,
                       strerror(errno));
    return gl_plan_file_write(path, r, err);
}

static bool same_key(const gl_plan_key *want, const gl_plan_key *got, const char *path) {
    if (want->model_size != got->model_size || want->model_hash != got->model_hash) {
        GL_LOGI("ignoring stale plan %s: it is for another model (size %llu, hash %016llx)", path,
                (unsigned long long)got->model_size, (unsigned long long)got->model_hash);
        return false;
    }
    if (want->n_backend != got->n_backend) {
        GL_LOGI("ignoring stale plan %s: it is for %d backends, now %d", path, got->n_backend,
                want->n_backend);
        return false;
    }
    for (int b = 0; b < want->n_backend; b++) {
        if (strcmp(want->device[b], got->device[b]) != 0) {
            GL_LOGI("ignoring stale plan %s: backend %d was \"%s\", now \"%s\"", path, b,
                    got->device[b], want->device[b]);
            return false;
        }
    }
    return true;
}

glint_status gl_plan_cache_load(const char *dir, const gl_plan_key *key, gl_plan_record *out,
                                bool *hit, gl_err *err) {
    if (hit) *hit = false;
    if (!out || !hit) return gl_fail(err, GLINT_ERROR_INVALID_ARGUMENT, "plan cache: NULL");
    memset(out, 0, sizeof *out);
    char path[1200];
    glint_status st = gl_plan_cache_path(dir, key, path, sizeof path, err);
    if (st != GLINT_OK) return st;
    gl_err why = {{0}};
    st = gl_plan_file_read(path, out, &why);
    if (st == GLINT_ERROR_NOT_FOUND) {
        GL_LOGD("no cached plan at %s", path);
    } else if (st == GLINT_ERROR_UNSUPPORTED) {
        GL_LOGI("ignoring plan %s: %s", path, why.msg);
    } else if (st != GLINT_OK) {
        GL_LOGW("ignoring unreadable or corrupt plan %s: %s", path, why.msg);
    } else if (same_key(key, &out->key, path)) {
        *hit = true;
        return GLINT_OK;
    }
    memset(out, 0, sizeof *out);
    return GLINT_OK;
}

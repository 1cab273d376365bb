/* glint_model_quantize: an F32/F16/BF16 GGUF to a quantized one that loads in Glint and in
 * llama.cpp. Every key is copied (general.file_type updated), tensors keep their order; 2-D
 * "*.weight" matrices whose rows are whole blocks become `type`, 1-D tensors become F32 and
 * anything else is copied as it is. The output is produced piece by piece while the writer
 * writes it, the rows of a piece spread over threads. */
#include "common.h"
#include "gguf.h"
#include "synth.h"
#include "types.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QZ_MAX_THREADS 16

typedef struct qz_tensor {
    const gl_gguf_tensor *src;
    glint_type type; /* output type */
    int64_t ne0, n_rows;
    size_t src_row, dst_row; /* bytes per row */
    uint8_t *scratch;        /* rows of the current piece, output type */
    size_t scratch_rows;
    int n_threads;
} qz_tensor;

typedef struct qz_job {
    const qz_tensor *t;
    int64_t r0, r1; /* rows [r0, r1) of the tensor */
    uint8_t *dst;   /* where row r0 goes */
    float *tmp;     /* ne0 floats */
} qz_job;

static bool is_float_type(glint_type t) {
    return t == GLINT_TYPE_F32 || t == GLINT_TYPE_F16 || t == GLINT_TYPE_BF16;
}

/* One row of the source's float type into `dst` of type `out`. */
static void convert_row(const qz_tensor *t, const void *src, void *dst, float *tmp) {
    const float *x;
    if (t->src->type == GLINT_TYPE_F32) {
        x = src;
    } else {
        gl_type_get(t->src->type)->to_float(src, tmp, t->ne0);
        x = tmp;
    }
    if (t->type == GLINT_TYPE_F32)
        memcpy(dst, x, (size_t)t->ne0 * sizeof(float));
    else
        gl_type_get(t->type)->from_float(x, dst, t->ne0);
}

static void *run_job(void *arg) {
    qz_job *j = arg;
    const qz_tensor *t = j->t;
    const uint8_t *src = t->src->data;
    for (int64_t r = j->r0; r < j->r1; r++)
        convert_row(t, src + (size_t)r * t->src_row, j->dst + (size_t)(r - j->r0) * t->dst_row,
                    j->tmp);
    return NULL;
}

/* Writer callback: bytes [offset, offset + size) of the output tensor. Pieces need not start
 * or end on a row, so whole rows are converted into scratch and the slice copied out. */
static glint_status fill_tensor(void *user, void *dst, uint64_t offset, uint64_t size) {
    qz_tensor *t = user;
    if (size == 0) return GLINT_OK;
    const int64_t r0 = (int64_t)(offset / t->dst_row);
    const int64_t r1 = (int64_t)((offset + size + t->dst_row - 1) / t->dst_row);
    const size_t need = (size_t)(r1 - r0);
    if (need > t->scratch_rows) {
        uint8_t *p = realloc(t->scratch, need * t->dst_row);
        if (!p) return GLINT_ERROR_OUT_OF_MEMORY;
        t->scratch = p;
        t->scratch_rows = need;
    }
    int n_thr = (int)GL_MIN((int64_t)t->n_threads, r1 - r0);
    if (n_thr < 1) n_thr = 1;
    qz_job jobs[QZ_MAX_THREADS];
    pthread_t tid[QZ_MAX_THREADS];
    bool started[QZ_MAX_THREADS] = {false};
    float *tmp = malloc((size_t)n_thr * (size_t)t->ne0 * sizeof(float));
    if (!tmp) return GLINT_ERROR_OUT_OF_MEMORY;
    const int64_t per = (r1 - r0 + n_thr - 1) / n_thr;
    for (int i = 0; i < n_thr; i++) {
        const int64_t a = r0 + per * i, b = GL_MIN(r1, a + per);
        jobs[i] = (qz_job){.t = t,
                           .r0 = a,
                           .r1 = b > a ? b : a,
                           .dst = t->scratch + (size_t)(a - r0) * t->dst_row,
                           .tmp = tmp + (size_t)i * (size_t)t->ne0};
        if (i > 0) started[i] = pthread_create(&tid[i], NULL, run_job, &jobs[i]) == 0;
    }
    run_job(&jobs[0]);
    for (int i = 1; i < n_thr; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            run_job(&jobs[i]); /* could not start a thread: do its share here */
    }
    free(tmp);
    memcpy(dst, t->scratch + (offset - (uint64_t)r0 * t->dst_row), (size_t)size);
    return GLINT_OK;
}

static bool ends_with(const char *s, const char *tail) {
    const size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* The output type of one tensor. */
static glint_type choose_type(const gl_gguf_tensor *src, glint_type type) {
    if (src->n_dims == 1) return GLINT_TYPE_F32;
    if (src->n_dims == 2 && ends_with(src->name, "weight") &&
        src->ne[0] % gl_type_get(type)->block_size == 0)
        return type;
    return src->type;
}

/* A type weights can be written in: a reference quantizer and a llama.cpp file type. */
static bool quantizable(glint_type type) {
    const gl_type_traits *tr = gl_type_get(type);
    return tr && gl_synth_file_type(type) >= 0 && (type == GLINT_TYPE_F32 || tr->from_float);
}

static glint_status quantize(const char *in_path, const char *out_path, glint_type type,
                             gl_err *err) {
    const gl_type_traits *tr = gl_type_get(type);
    if (!quantizable(type)) {
        char list[256] = "";
        size_t n = 0;
        for (int t = 0; t < GLINT_TYPE_COUNT && n < sizeof list; t++)
            if (quantizable((glint_type)t))
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "",
                                      gl_type_get((glint_type)t)->name);
        return gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                       "quantize: cannot write weights of type %s (%d); the types are %s",
                       glint_type_name(type) ? glint_type_name(type) : "unknown", (int)type, list);
    }
    gl_gguf *g = NULL;
    glint_status st = gl_gguf_open(in_path, &g, err);
    if (st != GLINT_OK) return st;

    gl_gguf_writer *w = NULL;
    qz_tensor *ts = NULL;
    const int64_t nt = gl_gguf_n_tensors(g);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    const int n_threads = ncpu < 1 ? 1 : (int)GL_MIN(ncpu, QZ_MAX_THREADS);

    /* The source must be a float model: re-quantizing quantized weights loses twice. */
    for (int64_t i = 0; i < nt; i++) {
        const gl_gguf_tensor *s = gl_gguf_tensor_at(g, i);
        if (!is_float_type(s->type)) {
            st = gl_fail(err, GLINT_ERROR_UNSUPPORTED,
                         "quantize: %s: tensor '%s' is %s; the source must be an f32, f16 or "
                         "bf16 model",
                         in_path, s->name, glint_type_name(s->type));
            goto done;
        }
    }
    if ((st = gl_gguf_writer_create(&w)) != GLINT_OK) {
        gl_fail(err, st, "quantize: cannot create the GGUF writer");
        goto done;
    }
    for (int64_t i = 0; i < gl_gguf_n_kv(g); i++) {
        if ((st = gl_gguf_writer_copy_kv(w, g, i)) != GLINT_OK) {
            gl_fail(err, st, "quantize: cannot copy key '%s'", gl_gguf_kv_key(g, i));
            goto done;
        }
    }
    st = gl_gguf_writer_set_u32(w, "general.file_type", (uint32_t)gl_synth_file_type(type));
    if (st == GLINT_OK && tr->is_quantized)
        st = gl_gguf_writer_set_u32(w, "general.quantization_version", 2);
    if (st != GLINT_OK) {
        gl_fail(err, st, "quantize: cannot set general.file_type");
        goto done;
    }

    ts = calloc(nt > 0 ? (size_t)nt : 1, sizeof *ts);
    if (!ts) {
        st = gl_fail(err, GLINT_ERROR_OUT_OF_MEMORY, "quantize: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < nt; i++) {
        const gl_gguf_tensor *s = gl_gguf_tensor_at(g, i);
        qz_tensor *t = &ts[i];
        t->src = s;
        t->type = choose_type(s, type);
        t->ne0 = s->ne[0];
        t->n_rows = s->ne[1] * s->ne[2] * s->ne[3];
        t->src_row = gl_row_size(s->type, t->ne0);
        t->dst_row = gl_row_size(t->type, t->ne0);
        t->n_threads = n_threads;
        const bool copy = t->type == s->type || t->ne0 == 0 || t->n_rows == 0;
        st = gl_gguf_writer_add_tensor(w, s->name, t->type, s->n_dims, s->ne, copy ? s->data : NULL,
                                       copy ? NULL : fill_tensor, t);
        if (st != GLINT_OK) {
            gl_fail(err, st, "quantize: cannot add tensor '%s'", s->name);
            goto done;
        }
    }
    st = gl_gguf_writer_write(w, out_path, err);

done:
    for (int64_t i = 0; ts && i < nt; i++) free(ts[i].scratch);
    free(ts);
    gl_gguf_writer_free(w);
    gl_gguf_close(g);
    return st;
}

glint_status glint_model_quantize(const char *in_path, const char *out_path, glint_type type,
                                  char *err, size_t err_cap) {
    gl_err e = {{0}};
    glint_status st;
    if (!in_path || !out_path)
        st = gl_fail(&e, GLINT_ERROR_INVALID_ARGUMENT, "quantize: input and output paths needed");
    else
        st = quantize(in_path, out_path, type, &e);
    if (err && err_cap) snprintf(err, err_cap, "%s", st == GLINT_OK ? "" : e.msg);
    return st;
}

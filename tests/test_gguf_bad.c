/* GGUF reader on hostile input: every malformed file gets the right status and a message that
 * says what is wrong, never a crash, an out-of-bounds read or a huge allocation. Each buffer is
 * copied into an allocation of exactly its size so ASan (CI builds this test with
 * -DGLINT_SANITIZE=ON) catches any read past the end. */
#include "gguf.h"
#include "test_util.h"
#include "types.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a little GGUF builder ----------------------------------------------------------------- */

typedef struct buf {
    uint8_t d[4096];
    size_t n;
} buf;

static void b_raw(buf *b, const void *p, size_t n) {
    if (b->n + n > sizeof b->d) abort(); /* a test bug, not an input */
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void b_u8(buf *b, uint8_t v) {
    b_raw(b, &v, 1);
}
static void b_u32(buf *b, uint32_t v) {
    uint8_t x[4];
    for (int i = 0; i < 4; i++) x[i] = (uint8_t)(v >> (8 * i));
    b_raw(b, x, 4);
}
static void b_u64(buf *b, uint64_t v) {
    uint8_t x[8];
    for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
    b_raw(b, x, 8);
}
static void b_str(buf *b, const char *s) {
    b_u64(b, strlen(s));
    b_raw(b, s, strlen(s));
}
static void b_header(buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    b->n = 0;
    b_raw(b, "GGUF", 4);
    b_u32(b, version);
    b_u64(b, n_tensors);
    b_u64(b, n_kv);
}
static void b_kv_u32(buf *b, const char *key, uint32_t v) {
    b_str(b, key);
    b_u32(b, GL_GGUF_UINT32);
    b_u32(b, v);
}
/* A tensor info with n_dims dims from `ne`. */
static void b_tensor(buf *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type,
                     uint64_t offset) {
    b_str(b, name);
    b_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) b_u64(b, ne[d]);
    b_u32(b, type);
    b_u64(b, offset);
}
/* Pads to `align` and appends `n` data bytes (a counting pattern). */
static void b_data(buf *b, size_t align, size_t n) {
    while (b->n % align) b_u8(b, 0);
    for (size_t i = 0; i < n; i++) b_u8(b, (uint8_t)(i * 7 + 1));
}

/* ---- expectations -------------------------------------------------------------------------- */

/* Opens exactly `n` bytes; checks the status, that a failure leaves *out NULL with a
 * non-empty message containing `needle`, and that success is fully readable. */
static void walk(const gl_gguf *g);

static void expect(const char *what, const uint8_t *data, size_t n, glint_status want,
                   const char *needle) {
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) abort();
    if (n) memcpy(copy, data, n);
    gl_gguf *g = (gl_gguf *)(uintptr_t)1; /* must be overwritten */
    gl_err err;
    memset(err.msg, 0, sizeof err.msg);
    const glint_status st = gl_gguf_open_memory(copy, n, &g, &err);
    CHECK_MSG(st == want, "%s: got %s, want %s (%s)", what, glint_status_string(st),
              glint_status_string(want), err.msg);
    if (st != GLINT_OK) {
        CHECK_MSG(g == NULL, "%s: *out not NULL on failure", what);
        CHECK_MSG(err.msg[0] != 0, "%s: empty message", what);
        if (needle)
            CHECK_MSG(strstr(err.msg, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what,
                      err.msg, needle);
    } else {
        walk(g);
        gl_gguf_close(g);
    }
    free(copy);
}

static void expect_buf(const char *what, const buf *b, glint_status want, const char *needle) {
    expect(what, b->d, b->n, want, needle);
}

/* Touches every byte the reader hands out, through the public accessors. */
static volatile uint64_t g_sink;
static void walk(const gl_gguf *g) {
    uint64_t h = gl_gguf_version(g) + gl_gguf_alignment(g) + gl_gguf_data_offset(g);
    gl_err err;
    for (int64_t i = 0; i < gl_gguf_n_kv(g); i++) {
        h += strlen(gl_gguf_kv_key(g, i));
        CHECK(gl_gguf_find_key(g, gl_gguf_kv_key(g, i)) == i);
        uint32_t u = 0;
        int32_t s = 0;
        uint64_t u64 = 0;
        float f = 0;
        bool bo = false;
        gl_str str = {0};
        /* Any status is fine here; only memory safety matters. */
        (void)gl_gguf_kv_u32(g, i, &u, &err);
        (void)gl_gguf_kv_i32(g, i, &s, &err);
        (void)gl_gguf_kv_u64(g, i, &u64, &err);
        (void)gl_gguf_kv_f32(g, i, &f, &err);
        (void)gl_gguf_kv_bool(g, i, &bo, &err);
        if (gl_gguf_kv_str(g, i, &str, &err) == GLINT_OK)
            for (uint64_t k = 0; k < str.len; k++) h += (uint8_t)str.ptr[k];
        h += u + (uint32_t)s + u64 + (uint64_t)bo + (f == f);
        const gl_str raw = gl_gguf_kv_raw(g, i);
        for (uint64_t k = 0; k < raw.len; k++) h += (uint8_t)raw.ptr[k];
        if (gl_gguf_kv_type(g, i) == GL_GGUF_ARRAY && gl_gguf_kv_arr_type(g, i) == GL_GGUF_STRING)
            for (uint64_t j = 0; j < gl_gguf_kv_arr_n(g, i); j++) {
                const gl_str e = gl_gguf_kv_arr_str(g, i, j);
                for (uint64_t k = 0; k < e.len; k++) h += (uint8_t)e.ptr[k];
            }
    }
    for (int64_t i = 0; i < gl_gguf_n_tensors(g); i++) {
        const gl_gguf_tensor *t = gl_gguf_tensor_at(g, i);
        CHECK(gl_gguf_find_tensor(g, t->name) == t);
        CHECK(strlen(t->name) <= 63);
        CHECK(t->n_dims >= 1 && t->n_dims <= 4);
        CHECK(t->offset % gl_gguf_alignment(g) == 0);
        const uint8_t *p = t->data;
        for (uint64_t k = 0; k < t->size; k++) h += p[k];
    }
    g_sink = h;
}

/* ---- the cases ----------------------------------------------------------------------------- */

static const uint64_t ne4[] = {4}, ne16[] = {16};

static void header_cases(void) {
    buf b;
    expect("empty file", (const uint8_t *)"", 0, GLINT_ERROR_INVALID_FILE, "not a GGUF");
    expect("3 bytes", (const uint8_t *)"GGU", 3, GLINT_ERROR_INVALID_FILE, "not a GGUF");
    b_header(&b, 3, 0, 0);
    expect_buf("smallest valid file", &b, GLINT_OK, NULL);
    b.d[3] = 'X';
    expect_buf("wrong magic", &b, GLINT_ERROR_INVALID_FILE, "not a GGUF");
    b_header(&b, 1, 0, 0);
    expect_buf("version 1", &b, GLINT_ERROR_UNSUPPORTED, "version 1");
    b_header(&b, 0, 0, 0);
    expect_buf("version 0", &b, GLINT_ERROR_INVALID_FILE, "version 0");
    b_header(&b, 4, 0, 0);
    expect_buf("version 4", &b, GLINT_ERROR_UNSUPPORTED, "version 4");
    b_header(&b, 0xffffffffu, 0, 0);
    expect_buf("version 2^32-1", &b, GLINT_ERROR_UNSUPPORTED, "newer");
    b_header(&b, 0x03000000u, 0, 0);
    expect_buf("big-endian version", &b, GLINT_ERROR_UNSUPPORTED, "big-endian");
    b_header(&b, 2, 0, 0);
    expect_buf("version 2", &b, GLINT_OK, NULL);
    b_header(&b, 3, 0, 0);
    b.n -= 3;
    expect_buf("header cut in n_kv", &b, GLINT_ERROR_INVALID_FILE, "key/value count");

    const uint64_t huge[] = {1ull << 60, UINT64_MAX, 1ull << 32, 100};
    for (size_t k = 0; k < GL_ARRAY_LEN(huge); k++) {
        char what[64];
        b_header(&b, 3, 0, huge[k]);
        b_kv_u32(&b, "a", 1);
        snprintf(what, sizeof what, "n_kv = %llu", (unsigned long long)huge[k]);
        expect_buf(what, &b, GLINT_ERROR_INVALID_FILE, "cannot fit");
        b_header(&b, 3, huge[k], 0);
        b_tensor(&b, "t", 1, ne4, GLINT_TYPE_F32, 0);
        b_data(&b, 32, 16);
        snprintf(what, sizeof what, "n_tensors = %llu", (unsigned long long)huge[k]);
        expect_buf(what, &b, GLINT_ERROR_INVALID_FILE, "cannot fit");
    }
    b_header(&b, 3, 1, 1);
    b_kv_u32(&b, "a", 1);
    b_tensor(&b, "t", 1, ne4, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("one key, one tensor", &b, GLINT_OK, NULL);
}

static void kv_cases(void) {
    buf b;
    /* A string value whose length exceeds what is left. */
    const uint64_t lens[] = {1ull << 60, UINT64_MAX, 1ull << 63, 12};
    for (size_t k = 0; k < GL_ARRAY_LEN(lens); k++) {
        char what[64];
        b_header(&b, 3, 0, 1);
        b_u64(&b, lens[k]);
        b_raw(&b, "abc", 3);
        b_data(&b, 1, 8); /* enough bytes that the header's count is plausible */
        snprintf(what, sizeof what, "key length %llu", (unsigned long long)lens[k]);
        expect_buf(what, &b, GLINT_ERROR_INVALID_FILE, "string length");
        b_header(&b, 3, 0, 1);
        b_str(&b, "k");
        b_u32(&b, GL_GGUF_STRING);
        b_u64(&b, lens[k]);
        b_raw(&b, "abcde", 5);
        snprintf(what, sizeof what, "string value length %llu", (unsigned long long)lens[k]);
        expect_buf(what, &b, GLINT_ERROR_INVALID_FILE, "key 'k'");
    }
    b_header(&b, 3, 0, 1);
    b_str(&b, "k");
    b_u32(&b, GL_GGUF_STRING);
    b_str(&b, "abcde");
    expect_buf("string value", &b, GLINT_OK, NULL);

    b_header(&b, 3, 0, 1);
    b_str(&b, "");
    b_u32(&b, GL_GGUF_UINT8);
    b_u8(&b, 1);
    b_u8(&b, 0);
    expect_buf("empty key", &b, GLINT_ERROR_INVALID_FILE, "empty");
    b_header(&b, 3, 0, 1);
    b_u64(&b, 3);
    b_raw(&b, "a\0b", 3);
    b_u32(&b, GL_GGUF_UINT8);
    b_u8(&b, 1);
    expect_buf("key with a NUL", &b, GLINT_ERROR_INVALID_FILE, "NUL");

    for (uint32_t t = GL_GGUF_TYPE_COUNT; t < GL_GGUF_TYPE_COUNT + 3; t++) {
        b_header(&b, 3, 0, 1);
        b_str(&b, "k");
        b_u32(&b, t);
        b_u64(&b, 0);
        expect_buf("unknown value type", &b, GLINT_ERROR_INVALID_FILE, "unknown value type");
    }
    b_header(&b, 3, 0, 1);
    b_str(&b, "k");
    b_u32(&b, 0x80000000u);
    b_u64(&b, 0);
    expect_buf("value type 2^31", &b, GLINT_ERROR_INVALID_FILE, "unknown value type 2147483648");
    b_header(&b, 3, 0, 1);
    b_str(&b, "k");
    b_u32(&b, GL_GGUF_ARRAY);
    b_u32(&b, 77);
    b_u64(&b, 0);
    expect_buf("unknown array element type", &b, GLINT_ERROR_INVALID_FILE, "element type 77");
    b_header(&b, 3, 0, 1);
    b_str(&b, "k");
    b_u32(&b, GL_GGUF_ARRAY);
    b_u32(&b, GL_GGUF_ARRAY);
    b_u64(&b, 0);
    expect_buf("array of arrays", &b, GLINT_ERROR_UNSUPPORTED, "arrays of arrays");

    /* Array counts beyond the bytes left, for fixed-size and string elements. */
    const uint64_t counts[] = {1ull << 60, UINT64_MAX, 1ull << 62, 3};
    for (size_t k = 0; k < GL_ARRAY_LEN(counts); k++) {
        const gl_gguf_type ets[] = {GL_GGUF_UINT8, GL_GGUF_UINT32, GL_GGUF_FLOAT64, GL_GGUF_STRING};
        for (size_t e = 0; e < GL_ARRAY_LEN(ets); e++) {
            char what[96];
            b_header(&b, 3, 0, 1);
            b_str(&b, "arr");
            b_u32(&b, GL_GGUF_ARRAY);
            b_u32(&b, ets[e]);
            b_u64(&b, counts[k]);
            b_u64(&b, 1); /* one string of 1 byte, or 8 bytes of numbers */
            if (ets[e] != GL_GGUF_UINT8) b_u8(&b, 'x');
            snprintf(what, sizeof what, "array of %llu %s", (unsigned long long)counts[k],
                     gl_gguf_type_name(ets[e]));
            if (counts[k] == 3 && ets[e] == GL_GGUF_UINT8)
                expect_buf(what, &b, GLINT_OK, NULL); /* 3 bytes of the 8 that follow */
            else
                expect_buf(what, &b, GLINT_ERROR_INVALID_FILE, "key 'arr'");
        }
    }
    /* A string array: the count fits in bytes/8 but the strings run out. */
    b_header(&b, 3, 0, 1);
    b_str(&b, "arr");
    b_u32(&b, GL_GGUF_ARRAY);
    b_u32(&b, GL_GGUF_STRING);
    b_u64(&b, 2);
    b_str(&b, "hello");
    b_u64(&b, 2);
    b_u64(&b, 0);
    b_u64(&b, 0);
    expect_buf("string array of 2", &b, GLINT_OK, NULL); /* "hello" and 2 NUL bytes */
    b.n -= 15;
    expect_buf("string array cut", &b, GLINT_ERROR_INVALID_FILE, "element 1");

    b_header(&b, 3, 0, 1);
    b_str(&b, "k");
    b_u32(&b, GL_GGUF_UINT64);
    b_u32(&b, 0);
    expect_buf("truncated u64 value", &b, GLINT_ERROR_INVALID_FILE, "key 'k'");

    b_header(&b, 3, 0, 3);
    b_kv_u32(&b, "dup", 1);
    b_kv_u32(&b, "other", 1);
    b_kv_u32(&b, "dup", 2);
    expect_buf("duplicate key", &b, GLINT_ERROR_INVALID_FILE, "'dup' appears twice");

    const uint32_t aligns[] = {0, 24, 3, 0x80000001u};
    for (size_t k = 0; k < GL_ARRAY_LEN(aligns); k++) {
        b_header(&b, 3, 0, 1);
        b_kv_u32(&b, "general.alignment", aligns[k]);
        expect_buf("bad alignment", &b, GLINT_ERROR_INVALID_FILE, "power of 2");
    }
    b_header(&b, 3, 0, 1);
    b_str(&b, "general.alignment");
    b_u32(&b, GL_GGUF_UINT64);
    b_u64(&b, 32);
    expect_buf("alignment as u64", &b, GLINT_ERROR_INVALID_FILE, "must be a u32");
    b_header(&b, 3, 1, 1);
    b_kv_u32(&b, "general.alignment", 1);
    b_tensor(&b, "t", 1, ne4, GLINT_TYPE_F32, 0);
    b_data(&b, 1, 16);
    expect_buf("alignment 1", &b, GLINT_OK, NULL);
}

static void tensor_cases(void) {
    buf b;
    b_header(&b, 3, 1, 0);
    b_tensor(&b, "t", 0, ne4, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("n_dims 0", &b, GLINT_ERROR_INVALID_FILE, "0 dimensions");
    const uint64_t ne5[] = {4, 1, 1, 1, 1};
    b_header(&b, 3, 1, 0);
    b_tensor(&b, "t", 5, ne5, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("n_dims 5", &b, GLINT_ERROR_INVALID_FILE, "5 dimensions");
    b_header(&b, 3, 1, 0);
    b_tensor(&b, "t", 4, ne5, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("n_dims 4", &b, GLINT_OK, NULL);

    const uint64_t over[][4] = {{1ull << 32, 1ull << 32, 1, 1},
                                {1ull << 62, 4, 1, 1},
                                {65536, 65536, 65536, 65536},
                                {1ull << 62, 1, 1, 1} /* elements fit, bytes do not */};
    for (size_t k = 0; k < GL_ARRAY_LEN(over); k++) {
        b_header(&b, 3, 1, 0);
        b_tensor(&b, "t", 4, over[k], GLINT_TYPE_F32, 0);
        b_data(&b, 32, 16);
        expect_buf("dims overflow", &b, GLINT_ERROR_INVALID_FILE, "overflows");
    }
    const uint64_t neg[] = {4, 1ull << 63};
    b_header(&b, 3, 1, 0);
    b_tensor(&b, "t", 2, neg, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("negative dim", &b, GLINT_ERROR_INVALID_FILE, "negative");
    const uint64_t zero[] = {0, 4};
    b_header(&b, 3, 2, 0);
    b_tensor(&b, "z", 2, zero, GLINT_TYPE_F32, 0);
    b_tensor(&b, "t", 1, ne4, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("zero-size tensor sharing an offset", &b, GLINT_OK, NULL);

    const uint32_t bad_types[] = {4, 5, 39, 40, 99, 0xffffffffu};
    for (size_t k = 0; k < GL_ARRAY_LEN(bad_types); k++) {
        char what[64], needle[64];
        b_header(&b, 3, 1, 0);
        b_tensor(&b, "blk.0.attn_q.weight", 1, ne4, bad_types[k], 0);
        b_data(&b, 32, 16);
        snprintf(what, sizeof what, "tensor type %u", bad_types[k]);
        snprintf(needle, sizeof needle, "type %u is not supported", bad_types[k]);
        expect_buf(what, &b, GLINT_ERROR_UNSUPPORTED, needle);
        expect_buf(what, &b, GLINT_ERROR_UNSUPPORTED, "'blk.0.attn_q.weight'");
    }
    if (gl_type_get(GLINT_TYPE_Q8_0)) {
        const uint64_t ne33[] = {33};
        b_header(&b, 3, 1, 0);
        b_tensor(&b, "t", 1, ne33, GLINT_TYPE_Q8_0, 0);
        b_data(&b, 32, 64);
        expect_buf("q8_0 row of 33", &b, GLINT_ERROR_INVALID_FILE, "multiple of");
    }

    char name[80];
    memset(name, 'n', 64);
    name[64] = 0;
    b_header(&b, 3, 1, 0);
    b_tensor(&b, name, 1, ne4, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("64-byte name", &b, GLINT_ERROR_INVALID_FILE, "over the limit of 63");
    name[63] = 0;
    b_header(&b, 3, 1, 0);
    b_tensor(&b, name, 1, ne4, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("63-byte name", &b, GLINT_OK, NULL);
    b_header(&b, 3, 1, 0);
    b_tensor(&b, "", 1, ne4, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 16);
    expect_buf("empty name", &b, GLINT_ERROR_INVALID_FILE, "empty");

    b_header(&b, 3, 1, 0);
    b_tensor(&b, "blk.0.attn_q.weight", 1, ne16, GLINT_TYPE_F32, 0);
    b_data(&b, 32, 60);
    expect_buf("data 4 bytes short", &b, GLINT_ERROR_INVALID_FILE, "past end of file");
    expect_buf("data 4 bytes short", &b, GLINT_ERROR_INVALID_FILE, "'blk.0.attn_q.weight'");
    const uint64_t offs[] = {64, 1ull << 40, UINT64_MAX - 31, UINT64_MAX & ~31ull};
    for (size_t k = 0; k < GL_ARRAY_LEN(offs); k++) {
        b_header(&b, 3, 1, 0);
        b_tensor(&b, "t", 1, ne4, GLINT_TYPE_F32, offs[k]);
        b_data(&b, 32, 64);
        expect_buf("offset past the end", &b, GLINT_ERROR_INVALID_FILE, "past end of file");
    }
    b_header(&b, 3, 1, 0);
    b_tensor(&b, "t", 1, ne4, GLINT_TYPE_F32, 16);
    b_data(&b, 32, 64);
    expect_buf("misaligned offset", &b, GLINT_ERROR_INVALID_FILE,
               "not a multiple of the alignment");
    b_header(&b, 3, 1, 1);
    b_kv_u32(&b, "general.alignment", 64);
    b_tensor(&b, "t", 1, ne4, GLINT_TYPE_F32, 32);
    b_data(&b, 64, 128);
    expect_buf("offset misaligned for 64", &b, GLINT_ERROR_INVALID_FILE, "alignment 64");

    b_header(&b, 3, 2, 0);
    b_tensor(&b, "a", 1, ne16, GLINT_TYPE_F32, 0);
    b_tensor(&b, "b", 1, ne4, GLINT_TYPE_F32, 32);
    b_data(&b, 32, 128);
    expect_buf("overlapping tensors", &b, GLINT_ERROR_INVALID_FILE, "overlap");
    b_header(&b, 3, 3, 0);
    b_tensor(&b, "a", 1, ne4, GLINT_TYPE_F32, 64);
    b_tensor(&b, "b", 1, ne4, GLINT_TYPE_F32, 0);
    b_tensor(&b, "c", 1, ne16, GLINT_TYPE_F32, 32);
    b_data(&b, 32, 128);
    expect_buf("overlap out of order", &b, GLINT_ERROR_INVALID_FILE, "overlap");
    b_header(&b, 3, 3, 0);
    b_tensor(&b, "a", 1, ne4, GLINT_TYPE_F32, 64);
    b_tensor(&b, "b", 1, ne4, GLINT_TYPE_F32, 0);
    b_tensor(&b, "c", 1, ne4, GLINT_TYPE_F32, 32);
    b_data(&b, 32, 128);
    expect_buf("out of order, no overlap", &b, GLINT_OK, NULL);
    b_header(&b, 3, 2, 0);
    b_tensor(&b, "same", 1, ne4, GLINT_TYPE_F32, 0);
    b_tensor(&b, "same", 1, ne4, GLINT_TYPE_F32, 32);
    b_data(&b, 32, 64);
    expect_buf("duplicate tensor names", &b, GLINT_ERROR_INVALID_FILE, "'same' appears twice");
}

/* A small valid file with a bit of everything, written by the writer. */
static uint8_t *valid_file(size_t *size) {
    gl_gguf_writer *w = NULL;
    if (gl_gguf_writer_create(&w)) return NULL;
    const gl_str toks[] = {{"<unk>", 5}, {"<s>", 3}, {"</s>", 4}, {"a", 1}, {"", 0}};
    const float scores[] = {0, 0, 0, -1.5f, -2};
    const int32_t types[] = {2, 3, 3, 1, 1};
    const uint64_t u64 = 1234567;
    const double f64 = 0.5;
    float t1[8 * 3], t2[5];
    for (int i = 0; i < 24; i++) t1[i] = (float)i;
    for (int i = 0; i < 5; i++) t2[i] = -(float)i;
    const int64_t ne1[] = {8, 3}, ne2[] = {5, 1, 1};
    glint_status st = gl_gguf_writer_set_str(w, "general.architecture", "llama");
    st = st ? st : gl_gguf_writer_set_u32(w, "llama.block_count", 1);
    st = st ? st : gl_gguf_writer_set_f32(w, "eps", 1e-5f);
    st = st ? st : gl_gguf_writer_set_bool(w, "flag", true);
    st = st ? st : gl_gguf_writer_set_val(w, "big", GL_GGUF_UINT64, &u64);
    st = st ? st : gl_gguf_writer_set_val(w, "half", GL_GGUF_FLOAT64, &f64);
    st = st ? st : gl_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, 5);
    st = st ? st : gl_gguf_writer_set_arr(w, "tokenizer.ggml.scores", GL_GGUF_FLOAT32, scores, 5);
    st = st ? st : gl_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", GL_GGUF_INT32, types, 5);
    st = st ? st : gl_gguf_writer_add_tensor(w, "a.weight", GLINT_TYPE_F32, 2, ne1, t1, NULL, NULL);
    st = st ? st : gl_gguf_writer_add_tensor(w, "b", GLINT_TYPE_F32, 3, ne2, t2, NULL, NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s/gguf_bad_valid.%ld.gguf", GLINT_TEST_TMP, (long)getpid());
    gl_err err;
    st = st ? st : gl_gguf_writer_write(w, path, &err);
    gl_gguf_writer_free(w);
    if (st) return NULL;
    uint8_t *data = (uint8_t *)gl_test_read_file(path, size);
    unlink(path);
    return data;
}

static void truncation_and_fuzz(void) {
    size_t size = 0;
    uint8_t *file = valid_file(&size);
    CHECK(file != NULL);
    if (!file) return;
    expect("valid file", file, size, GLINT_OK, NULL);
    /* The file ends with b's padding: it stays valid once b's data is complete. */
    gl_gguf *g = NULL;
    CHECK_STATUS(gl_gguf_open_memory(file, size, &g, NULL), GLINT_OK);
    if (!g) {
        free(file);
        return;
    }
    const gl_gguf_tensor *tb = gl_gguf_find_tensor(g, "b");
    const size_t need = (size_t)(gl_gguf_data_offset(g) + tb->offset + tb->size);
    CHECK_EQ_INT(gl_gguf_n_kv(g), 9);
    gl_gguf_close(g);
    int wrong = 0;
    for (size_t n = 0; n < size; n++) {
        const glint_status want = n >= need ? GLINT_OK : GLINT_ERROR_INVALID_FILE;
        const int before = gl_test_failures;
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu of %zu bytes", n, size);
        expect(what, file, n, want, NULL);
        wrong += gl_test_failures != before;
        if (wrong > 5) break; /* enough output */
    }
    CHECK_EQ_INT(wrong, 0);

    /* Random mutations: any status is fine, but a failure needs a message and a success must be
     * fully readable (walk touches every byte the reader points at). */
    /* GLINT_GGUF_FUZZ_ITERS / _SEED run it deeper by hand; ctest uses the fixed defaults. */
    const char *env_it = getenv("GLINT_GGUF_FUZZ_ITERS"),
               *env_seed = getenv("GLINT_GGUF_FUZZ_SEED");
    const long iters = env_it ? strtol(env_it, NULL, 10) : 20000;
    uint64_t rng = env_seed ? strtoull(env_seed, NULL, 10) : 0x5eed;
    uint8_t *m = malloc(size);
    if (!m) abort();
    long n_ok = 0, n_fail = 0, n_bad = 0;
    for (long it = 0; it < iters; it++) {
        memcpy(m, file, size);
        size_t n = size;
        const int n_mut = 1 + (int)(gl_test_rand(&rng) % 4);
        for (int k = 0; k < n_mut; k++) {
            const uint64_t r = gl_test_rand(&rng);
            const size_t pos = (size_t)((r >> 8) % n);
            switch (r & 7) {
            case 0:
                m[pos] ^= (uint8_t)(1u << ((r >> 40) & 7));
                break;
            case 1:
                m[pos] = (uint8_t)(r >> 48);
                break;
            case 2:
                m[pos] = 0xff;
                break;
            case 3:
                m[pos] = 0;
                break;
            case 4: /* a random 64-bit value, e.g. over a count or a length */
                if (pos + 8 <= n)
                    for (int j = 0; j < 8; j++) m[pos + j] = (uint8_t)(gl_test_rand(&rng) >> 56);
                break;
            case 5: /* a small number over a 64-bit field */
                if (pos + 8 <= n) {
                    memset(m + pos, 0, 8);
                    m[pos] = (uint8_t)(r >> 48) & 0x3f;
                }
                break;
            case 6:
                n = pos + 1;
                break;
            default: /* a 4-byte field to a small value (types, n_dims) */
                if (pos + 4 <= n) {
                    memset(m + pos, 0, 4);
                    m[pos] = (uint8_t)((r >> 48) % 42);
                }
                break;
            }
        }
        uint8_t *copy = malloc(n);
        if (!copy) abort();
        memcpy(copy, m, n);
        gl_err err;
        err.msg[0] = 0;
        g = NULL;
        const glint_status st = gl_gguf_open_memory(copy, n, &g, &err);
        if (st == GLINT_OK) {
            n_ok++;
            walk(g);
            gl_gguf_close(g);
        } else {
            n_fail++;
            const bool good = g == NULL && err.msg[0] &&
                              (st == GLINT_ERROR_INVALID_FILE || st == GLINT_ERROR_UNSUPPORTED);
            if (!good && n_bad++ < 5)
                fprintf(stderr, "fuzz %ld: %s, message \"%s\"\n", it, glint_status_string(st),
                        err.msg);
        }
        free(copy);
    }
    printf("fuzz: %ld opened, %ld refused\n", n_ok, n_fail);
    CHECK_EQ_INT(n_bad, 0);
    CHECK(n_ok > iters / 200 && n_fail > iters / 20); /* the mutations reach both outcomes */
    free(m);
    free(file);
}

static void path_cases(void) {
    gl_gguf *g = NULL;
    gl_err err = {{0}};
    CHECK_STATUS(gl_gguf_open("/nonexistent/model.gguf", &g, &err), GLINT_ERROR_IO);
    CHECK(g == NULL && strstr(err.msg, "/nonexistent/model.gguf") != NULL);
    CHECK_STATUS(gl_gguf_open(GLINT_TEST_TMP, &g, &err), GLINT_ERROR_IO);
    CHECK(strstr(err.msg, "not a regular file") != NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s/gguf_bad_small.%ld.gguf", GLINT_TEST_TMP, (long)getpid());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite("GGUF\3\0\0\0", 1, 8, f);
        fclose(f);
        CHECK_STATUS(gl_gguf_open(path, &g, &err), GLINT_ERROR_INVALID_FILE);
        CHECK_MSG(strstr(err.msg, "tensor count") != NULL, "message: %s", err.msg);
        unlink(path);
    }
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite("GGUF\1\0\0\0", 1, 8, f);
        fclose(f);
        CHECK_STATUS(gl_gguf_open(path, &g, &err), GLINT_ERROR_UNSUPPORTED);
        CHECK_MSG(strstr(err.msg, "version 1") != NULL, "message: %s", err.msg);
        unlink(path);
    }
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fclose(f);
        CHECK_STATUS(gl_gguf_open(path, &g, &err), GLINT_ERROR_INVALID_FILE);
        CHECK_MSG(strstr(err.msg, "empty file") != NULL, "message: %s", err.msg);
        unlink(path);
    }
    gl_gguf_close(NULL);
}

int main(void) {
    header_cases();
    kv_cases();
    tensor_cases();
    truncation_and_fuzz();
    path_cases();
    return gl_test_finish("test_gguf_bad");
}

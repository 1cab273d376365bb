/* GGUF writer: every value type, arrays and string arrays, tensors from a pointer and from a
 * fill callback (in several pieces), alignment 32 and 64 -- written, read back with the reader
 * and compared; stories260K copied key by key and tensor by tensor gives the same bytes. */
#include "gguf.h"
#include "test_util.h"
#include "types.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_path[1024];

static const char *tmp_path(const char *name) {
    snprintf(g_path, sizeof g_path, "%s/%s.%ld.gguf", GLINT_TEST_TMP, name, (long)getpid());
    return g_path;
}

/* Byte j of the fill tensor: any pattern that differs between pieces and positions. */
static uint8_t fill_byte(uint64_t j) {
    return (uint8_t)((j * 2654435761u) >> 13);
}

typedef struct fill_state {
    uint64_t next; /* offset the next call must start at */
    int calls;
    uint64_t max_piece;
    int fail_at_call; /* -1: never */
} fill_state;

static glint_status fill_fn(void *user, void *dst, uint64_t offset, uint64_t size) {
    fill_state *fs = user;
    CHECK_MSG(offset == fs->next, "fill offset %llu, want %llu", (unsigned long long)offset,
              (unsigned long long)fs->next);
    if (fs->calls++ == fs->fail_at_call) return GLINT_ERROR_IO;
    fs->next = offset + size;
    fs->max_piece = GL_MAX(fs->max_piece, size);
    uint8_t *p = dst;
    for (uint64_t i = 0; i < size; i++) p[i] = fill_byte(offset + i);
    return GLINT_OK;
}

/* Every scalar type through set_val and the typed setters. */
typedef struct scalar_case {
    const char *key;
    gl_gguf_type type;
    uint64_t bits; /* the value's bytes, little-endian */
} scalar_case;

static const scalar_case g_scalars[] = {
    {"t.u8", GL_GGUF_UINT8, 0xfe},
    {"t.i8", GL_GGUF_INT8, 0x80},
    {"t.u16", GL_GGUF_UINT16, 0xbeef},
    {"t.i16", GL_GGUF_INT16, 0x8001},
    {"t.u32", GL_GGUF_UINT32, 0xdeadbeef},
    {"t.i32", GL_GGUF_INT32, 0xfffffffe},
    {"t.f32", GL_GGUF_FLOAT32, 0x3727c5ac},
    {"t.bool", GL_GGUF_BOOL, 1},
    {"t.u64", GL_GGUF_UINT64, 0x0123456789abcdefull},
    {"t.i64", GL_GGUF_INT64, 0x8000000000000001ull},
    {"t.f64", GL_GGUF_FLOAT64, 0x3ff0000000000001ull},
};

static uint64_t type_bytes(gl_gguf_type t) {
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
    default:
        return 8;
    }
}

static uint64_t raw_bits(const gl_gguf *g, int64_t i) {
    const gl_str r = gl_gguf_kv_raw(g, i);
    uint64_t u = 0;
    for (uint64_t k = 0; k < r.len && k < 8; k++) u |= (uint64_t)(uint8_t)r.ptr[k] << (8 * k);
    return u;
}

static void round_trip(uint32_t alignment) {
    printf("round trip, alignment %u\n", alignment);
    gl_gguf_writer *w = NULL;
    CHECK_STATUS(gl_gguf_writer_create(&w), GLINT_OK);
    if (!w) return;
    if (alignment != GL_GGUF_DEFAULT_ALIGNMENT)
        CHECK_STATUS(gl_gguf_writer_set_u32(w, "general.alignment", alignment), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_str(w, "general.architecture", "toy"), GLINT_OK);
    for (size_t k = 0; k < GL_ARRAY_LEN(g_scalars); k++) {
        const scalar_case *sc = &g_scalars[k];
        uint8_t v[8];
        for (int b = 0; b < 8; b++) v[b] = (uint8_t)(sc->bits >> (8 * b));
        bool bv = sc->bits != 0;
        CHECK_STATUS(gl_gguf_writer_set_val(w, sc->key, sc->type,
                                            sc->type == GL_GGUF_BOOL ? (const void *)&bv : v),
                     GLINT_OK);
    }
    CHECK_STATUS(gl_gguf_writer_set_u8(w, "s.u8", 7), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_i32(w, "s.i32", -5), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_u64(w, "s.u64", 1ull << 40), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_f32(w, "s.f32", 0.1f), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_bool(w, "s.bool", false), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_str(w, "s.empty", ""), GLINT_OK);
    /* Replaced values keep the first position. */
    CHECK_STATUS(gl_gguf_writer_set_u32(w, "s.replaced", 1), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_str(w, "s.after", "after"), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_str(w, "s.replaced", "now a string"), GLINT_OK);

    /* Arrays of every numeric type, 5 elements each, bytes 0x11 * (k+1) + i. */
    uint8_t arr[GL_GGUF_TYPE_COUNT][40];
    for (int t = 0; t < GL_GGUF_TYPE_COUNT; t++) {
        if (t == GL_GGUF_STRING || t == GL_GGUF_ARRAY) continue;
        for (int b = 0; b < 40; b++) arr[t][b] = (uint8_t)(0x11 * (t + 1) + b);
        if (t == GL_GGUF_BOOL)
            for (int b = 0; b < 5; b++) arr[t][b] = (uint8_t)(b & 1);
        char key[32];
        snprintf(key, sizeof key, "a.%s", gl_gguf_type_name((gl_gguf_type)t));
        CHECK_STATUS(gl_gguf_writer_set_arr(w, key, (gl_gguf_type)t, arr[t], 5), GLINT_OK);
    }
    CHECK_STATUS(gl_gguf_writer_set_arr(w, "a.empty", GL_GGUF_INT32, NULL, 0), GLINT_OK);
    const gl_str strs[] = {{"alpha", 5}, {"", 0}, {"with\0nul", 8}, {"\xe2\x96\x81x", 4}};
    CHECK_STATUS(gl_gguf_writer_set_arr_str(w, "a.str", strs, 4), GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_set_arr_str(w, "a.str_empty", NULL, 0), GLINT_OK);

    /* Tensors: pointers of sizes that need padding, a 0-element one, and a fill tensor of 36 MB
     * (three pieces). */
    float t1[3 * 5];
    for (int i = 0; i < 15; i++) t1[i] = (float)i * 0.25f - 1.0f;
    float t2[7];
    for (int i = 0; i < 7; i++) t2[i] = -(float)i;
    const int64_t ne1[] = {3, 5}, ne2[] = {7, 1, 1, 1}, ne0[] = {0, 4};
    const int64_t ne_big[] = {1024, 9, 1000}; /* 36,864,000 bytes */
    fill_state fs = {0, 0, 0, -1};
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "t.one", GLINT_TYPE_F32, 2, ne1, t1, NULL, NULL),
                 GLINT_OK);
    CHECK_STATUS(
        gl_gguf_writer_add_tensor(w, "t.big", GLINT_TYPE_F32, 3, ne_big, NULL, fill_fn, &fs),
        GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "t.empty", GLINT_TYPE_F32, 2, ne0, NULL, NULL, NULL),
                 GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "t.two", GLINT_TYPE_F32, 4, ne2, t2, NULL, NULL),
                 GLINT_OK);

    const char *path = tmp_path(alignment == 32 ? "gguf_write_a32" : "gguf_write_a64");
    gl_err err = {{0}};
    CHECK_MSG(gl_gguf_writer_write(w, path, &err) == GLINT_OK, "write: %s", err.msg);
    CHECK_EQ_INT(fs.next, 36864000);
    CHECK_EQ_INT(fs.calls, 3);
    CHECK_EQ_INT(fs.max_piece, 16 << 20);
    gl_gguf_writer_free(w);

    gl_gguf *g = NULL;
    CHECK_MSG(gl_gguf_open(path, &g, &err) == GLINT_OK, "read back: %s", err.msg);
    if (!g) return;
    CHECK_EQ_INT(gl_gguf_version(g), 3);
    CHECK_EQ_INT(gl_gguf_alignment(g), alignment);
    CHECK_EQ_INT(gl_gguf_data_offset(g) % alignment, 0);
    CHECK_EQ_INT(gl_gguf_file_size(g) % alignment, 0);

    /* Keys in insertion order. */
    int64_t i = 0;
    if (alignment != 32) CHECK(strcmp(gl_gguf_kv_key(g, i++), "general.alignment") == 0);
    CHECK(strcmp(gl_gguf_kv_key(g, i++), "general.architecture") == 0);
    for (size_t k = 0; k < GL_ARRAY_LEN(g_scalars); k++, i++) {
        const scalar_case *sc = &g_scalars[k];
        CHECK_MSG(strcmp(gl_gguf_kv_key(g, i), sc->key) == 0, "key %lld is %s, want %s",
                  (long long)i, gl_gguf_kv_key(g, i), sc->key);
        CHECK_MSG(gl_gguf_kv_type(g, i) == sc->type, "%s: type %s", sc->key,
                  gl_gguf_type_name(gl_gguf_kv_type(g, i)));
        CHECK_EQ_INT(gl_gguf_kv_raw(g, i).len, type_bytes(sc->type));
        CHECK_MSG(raw_bits(g, i) == sc->bits, "%s: bits %llx, want %llx", sc->key,
                  (unsigned long long)raw_bits(g, i), (unsigned long long)sc->bits);
    }
    uint32_t u32 = 0;
    int32_t i32 = 0;
    uint64_t u64 = 0;
    float f = 0;
    bool b = true;
    gl_str s = {0};
    CHECK_STATUS(gl_gguf_get_u32(g, "s.u8", &u32, &err), GLINT_OK);
    CHECK_EQ_INT(u32, 7);
    CHECK_STATUS(gl_gguf_get_i32(g, "s.i32", &i32, &err), GLINT_OK);
    CHECK_EQ_INT(i32, -5);
    CHECK_STATUS(gl_gguf_get_u32(g, "s.i32", &u32, &err), GLINT_ERROR_INVALID_FILE);
    CHECK_STATUS(gl_gguf_kv_u64(g, gl_gguf_find_key(g, "s.u64"), &u64, &err), GLINT_OK);
    CHECK(u64 == 1ull << 40);
    CHECK_STATUS(gl_gguf_get_u32(g, "s.u64", &u32, &err), GLINT_ERROR_INVALID_FILE);
    CHECK_STATUS(gl_gguf_get_f32(g, "s.f32", &f, &err), GLINT_OK);
    CHECK(f == 0.1f);
    CHECK_STATUS(gl_gguf_get_f32(g, "t.f64", &f, &err), GLINT_OK);
    CHECK(f == 1.0f);
    CHECK_STATUS(gl_gguf_get_bool(g, "s.bool", &b, &err), GLINT_OK);
    CHECK(!b);
    CHECK_STATUS(gl_gguf_get_bool(g, "t.bool", &b, &err), GLINT_OK);
    CHECK(b);
    CHECK_STATUS(gl_gguf_get_i32(g, "t.i8", &i32, &err), GLINT_OK);
    CHECK_EQ_INT(i32, -128);
    CHECK_STATUS(gl_gguf_get_i32(g, "t.i16", &i32, &err), GLINT_OK);
    CHECK_EQ_INT(i32, -32767);
    CHECK_STATUS(gl_gguf_get_u32(g, "t.u16", &u32, &err), GLINT_OK);
    CHECK_EQ_INT(u32, 0xbeef);
    CHECK_STATUS(gl_gguf_get_i32(g, "t.i64", &i32, &err), GLINT_ERROR_INVALID_FILE);
    CHECK_STATUS(gl_gguf_get_str(g, "s.empty", &s, &err), GLINT_OK);
    CHECK_EQ_INT(s.len, 0);
    CHECK_STATUS(gl_gguf_get_str(g, "s.replaced", &s, &err), GLINT_OK);
    CHECK(s.len == 12 && memcmp(s.ptr, "now a string", 12) == 0);
    CHECK(gl_gguf_find_key(g, "s.replaced") < gl_gguf_find_key(g, "s.after"));

    for (int t = 0; t < GL_GGUF_TYPE_COUNT; t++) {
        if (t == GL_GGUF_STRING || t == GL_GGUF_ARRAY) continue;
        char key[32];
        snprintf(key, sizeof key, "a.%s", gl_gguf_type_name((gl_gguf_type)t));
        const int64_t k = gl_gguf_find_key(g, key);
        CHECK_MSG(k >= 0 && gl_gguf_kv_type(g, k) == GL_GGUF_ARRAY &&
                      gl_gguf_kv_arr_type(g, k) == (gl_gguf_type)t && gl_gguf_kv_arr_n(g, k) == 5,
                  "%s", key);
        const uint64_t nb = 5 * type_bytes((gl_gguf_type)t);
        CHECK_MSG(k >= 0 && gl_gguf_kv_raw(g, k).len == nb &&
                      memcmp(gl_gguf_kv_arr_data(g, k), arr[t], nb) == 0,
                  "%s: array bytes differ", key);
    }
    const int64_t ke = gl_gguf_find_key(g, "a.empty");
    CHECK(gl_gguf_kv_arr_n(g, ke) == 0 && gl_gguf_kv_arr_type(g, ke) == GL_GGUF_INT32);
    const int64_t ks = gl_gguf_find_key(g, "a.str");
    CHECK_EQ_INT(gl_gguf_kv_arr_n(g, ks), 4);
    for (uint64_t j = 0; j < 4; j++) {
        const gl_str x = gl_gguf_kv_arr_str(g, ks, j);
        CHECK_MSG(x.len == strs[j].len && memcmp(x.ptr, strs[j].ptr, x.len) == 0,
                  "a.str[%llu] = '%.*s'", (unsigned long long)j, (int)x.len, x.ptr);
    }
    CHECK_EQ_INT(gl_gguf_kv_arr_n(g, gl_gguf_find_key(g, "a.str_empty")), 0);

    /* Tensors in insertion order, aligned, data as given. */
    CHECK_EQ_INT(gl_gguf_n_tensors(g), 4);
    const char *names[] = {"t.one", "t.big", "t.empty", "t.two"};
    for (int k = 0; k < 4 && k < gl_gguf_n_tensors(g); k++) {
        const gl_gguf_tensor *t = gl_gguf_tensor_at(g, k);
        CHECK_MSG(strcmp(t->name, names[k]) == 0, "tensor %d is %s, want %s", k, t->name, names[k]);
        CHECK_EQ_INT(t->offset % alignment, 0);
    }
    const gl_gguf_tensor *t = gl_gguf_find_tensor(g, "t.one");
    CHECK(t && t->n_dims == 2 && t->ne[0] == 3 && t->ne[1] == 5 && t->ne[2] == 1 &&
          t->size == sizeof t1 && memcmp(t->data, t1, sizeof t1) == 0);
    CHECK(t && t->offset == 0);
    t = gl_gguf_find_tensor(g, "t.two");
    CHECK(t && t->n_dims == 4 && t->ne[0] == 7 && t->ne[3] == 1 && t->size == sizeof t2 &&
          memcmp(t->data, t2, sizeof t2) == 0);
    t = gl_gguf_find_tensor(g, "t.empty");
    CHECK(t && t->size == 0 && t->ne[0] == 0 && t->ne[1] == 4);
    t = gl_gguf_find_tensor(g, "t.big");
    CHECK(t && t->size == 36864000 && t->n_dims == 3 && t->ne[2] == 1000);
    CHECK(t && t->offset == gl_align_up(sizeof t1, alignment));
    if (t) {
        uint64_t bad = 0;
        const uint8_t *p = t->data;
        for (uint64_t j = 0; j < t->size; j++) bad += p[j] != fill_byte(j);
        CHECK_MSG(bad == 0, "t.big: %llu bytes differ from the fill", (unsigned long long)bad);
    }
    /* Padding is zeros: between t.one's end and t.big's start. */
    const uint8_t *base = gl_gguf_base(g);
    uint64_t nz = 0;
    for (uint64_t j = gl_gguf_data_offset(g) + sizeof t1;
         j < gl_gguf_data_offset(g) + gl_align_up(sizeof t1, alignment); j++)
        nz += base[j] != 0;
    CHECK_EQ_INT(nz, 0);
    gl_gguf_close(g);
    unlink(path);
}

static void bad_arguments(void) {
    gl_gguf_writer *w = NULL;
    CHECK_STATUS(gl_gguf_writer_create(&w), GLINT_OK);
    if (!w) return;
    const int64_t ne[] = {4, 4, 1, 1, 1};
    float data[16] = {0};
    CHECK_STATUS(gl_gguf_writer_set_u32(w, "general.alignment", 24), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_set_u32(w, "general.alignment", 0), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_set_u64(w, "general.alignment", 64), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_set_u32(w, "", 1), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_set_val(w, "x", GL_GGUF_STRING, "x"), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_set_arr(w, "x", GL_GGUF_ARRAY, data, 1),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_set_arr(w, "x", GL_GGUF_STRING, data, 1),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "a", GLINT_TYPE_F32, 2, ne, data, NULL, NULL),
                 GLINT_OK);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "a", GLINT_TYPE_F32, 2, ne, data, NULL, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "b", GLINT_TYPE_F32, 0, ne, data, NULL, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "b", GLINT_TYPE_F32, 5, ne, data, NULL, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "b", GLINT_TYPE_F32, 2, ne, NULL, NULL, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "b", GLINT_TYPE_F32, 2, ne, data, fill_fn, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "b", (glint_type)39, 2, ne, data, NULL, NULL),
                 GLINT_ERROR_UNSUPPORTED);
    const int64_t neg[] = {4, -1};
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "b", GLINT_TYPE_F32, 2, neg, data, NULL, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    const int64_t huge[] = {INT64_MAX / 2, 4};
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "b", GLINT_TYPE_F32, 2, huge, data, NULL, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    char long_name[65];
    memset(long_name, 'x', 64);
    long_name[64] = 0;
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, long_name, GLINT_TYPE_F32, 2, ne, data, NULL, NULL),
                 GLINT_ERROR_INVALID_ARGUMENT);
    long_name[63] = 0; /* 63 bytes is allowed */
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, long_name, GLINT_TYPE_F32, 2, ne, data, NULL, NULL),
                 GLINT_OK);

    /* A failing fill callback: the status comes back, no file (and no temporary) is left. */
    fill_state fs = {0, 0, 0, 0};
    CHECK_STATUS(gl_gguf_writer_add_tensor(w, "c", GLINT_TYPE_F32, 2, ne, NULL, fill_fn, &fs),
                 GLINT_OK);
    const char *path = tmp_path("gguf_write_fail");
    gl_err err = {{0}};
    CHECK_STATUS(gl_gguf_writer_write(w, path, &err), GLINT_ERROR_IO);
    CHECK_MSG(strstr(err.msg, "tensor 'c'") != NULL, "message: %s", err.msg);
    CHECK(access(path, F_OK) != 0);
    /* Nor its temporary: nothing in the folder starts with the file's name. */
    DIR *dir = opendir(GLINT_TEST_TMP);
    CHECK(dir != NULL);
    if (dir) {
        const char *base = strrchr(path, '/') + 1;
        int left = 0;
        for (struct dirent *de; (de = readdir(dir));)
            if (strncmp(de->d_name, base, strlen(base)) == 0) left++;
        closedir(dir);
        CHECK_EQ_INT(left, 0);
    }
    CHECK_STATUS(gl_gguf_writer_write(w, "/nonexistent-dir/x.gguf", &err), GLINT_ERROR_IO);
    CHECK(err.msg[0] != 0);
    gl_gguf_writer_free(w);
    gl_gguf_writer_free(NULL);
}

/* A model copied key by key (copy_kv) and tensor by tensor (data from the mapping) must come
 * out byte-identical: stories260K was written by gguf-py, the quantized synthetic models by
 * llama-quantize (llama.cpp's C writer), so this pins the layout llama.cpp writes and loads. */
static void copy_model(const char *rel) {
    char mpath[1024];
    if (!gl_test_model_path(rel, mpath, sizeof mpath)) return;
    gl_err err = {{0}};
    gl_gguf *src = NULL;
    CHECK_MSG(gl_gguf_open(mpath, &src, &err) == GLINT_OK, "%s: %s", rel, err.msg);
    if (!src) return;
    gl_gguf_writer *w = NULL;
    CHECK_STATUS(gl_gguf_writer_create(&w), GLINT_OK);
    for (int64_t i = 0; i < gl_gguf_n_kv(src); i++)
        CHECK_STATUS(gl_gguf_writer_copy_kv(w, src, i), GLINT_OK);
    for (int64_t i = 0; i < gl_gguf_n_tensors(src); i++) {
        const gl_gguf_tensor *t = gl_gguf_tensor_at(src, i);
        CHECK_STATUS(
            gl_gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, NULL, NULL),
            GLINT_OK);
    }
    const char *path = tmp_path("gguf_write_copy");
    CHECK_MSG(gl_gguf_writer_write(w, path, &err) == GLINT_OK, "write: %s", err.msg);
    gl_gguf_writer_free(w);
    size_t n1 = 0, n2 = 0;
    char *a = gl_test_read_file(mpath, &n1), *b = gl_test_read_file(path, &n2);
    CHECK(a && b);
    if (a && b) {
        size_t first = 0;
        while (first < n1 && first < n2 && a[first] == b[first]) first++;
        CHECK_MSG(n1 == n2 && first == n1, "%s: copy differs from byte %zu (sizes %zu, %zu)", rel,
                  first, n1, n2);
    }
    free(a);
    free(b);
    gl_gguf_close(src);
    unlink(path);
}

int main(void) {
    round_trip(32);
    round_trip(64);
    bad_arguments();
    copy_model("stories260K/stories260K.gguf");
    copy_model("synthetic/llama-f32.gguf");
    copy_model("synthetic/llama-q4_k_m.gguf");
    copy_model("synthetic/llama-q4_0.gguf");
    copy_model("synthetic/qwen2-q8_0.gguf");
    return gl_test_finish("test_gguf_write");
}

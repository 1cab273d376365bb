/* GGUF v2/v3 reader (memory-mapped, fully validated) and writer.
 *
 * The reader checks every count, length, offset, dimension and type before use: nothing is read
 * outside the file and no size computation overflows. Keys and tensor names are copied into
 * NUL-terminated strings at open; everything else (string values, arrays, tensor data) points
 * into the mapping and lives as long as the gl_gguf. */
#ifndef GLINT_GGUF_H
#define GLINT_GGUF_H

#include "common.h"

typedef enum gl_gguf_type {
    GL_GGUF_UINT8 = 0,
    GL_GGUF_INT8 = 1,
    GL_GGUF_UINT16 = 2,
    GL_GGUF_INT16 = 3,
    GL_GGUF_UINT32 = 4,
    GL_GGUF_INT32 = 5,
    GL_GGUF_FLOAT32 = 6,
    GL_GGUF_BOOL = 7,
    GL_GGUF_STRING = 8,
    GL_GGUF_ARRAY = 9,
    GL_GGUF_UINT64 = 10,
    GL_GGUF_INT64 = 11,
    GL_GGUF_FLOAT64 = 12,
    GL_GGUF_TYPE_COUNT
} gl_gguf_type;

#define GL_GGUF_DEFAULT_ALIGNMENT 32
#define GL_GGUF_MAX_DIMS 4

/* A string inside the file: not NUL-terminated. */
typedef struct gl_str {
    const char *ptr;
    uint64_t len;
} gl_str;

typedef struct gl_gguf_tensor {
    const char *name;  /* NUL-terminated copy, owned by the gl_gguf */
    uint32_t n_dims;
    int64_t ne[GL_GGUF_MAX_DIMS]; /* ne[0] is the row length; unused dims are 1 */
    glint_type type;
    uint64_t offset;   /* relative to the data section */
    uint64_t size;     /* bytes */
    const void *data;  /* into the mapping */
} gl_gguf_tensor;

typedef struct gl_gguf gl_gguf;

/* Maps and validates `path`. On failure *out is NULL and err says what is wrong:
 * GLINT_ERROR_IO (cannot open/map), GLINT_ERROR_INVALID_FILE (malformed),
 * GLINT_ERROR_UNSUPPORTED (unknown version or tensor type), GLINT_ERROR_OUT_OF_MEMORY. */
glint_status gl_gguf_open(const char *path, gl_gguf **out, gl_err *err);
/* The same over bytes in memory, which must outlive the gl_gguf (tests, fuzzing). */
glint_status gl_gguf_open_memory(const void *data, size_t size, gl_gguf **out, gl_err *err);
void gl_gguf_close(gl_gguf *g);
/* Drops the resident pages of the tensor data (after a backend copied the weights): they are
 * read back from the file if touched again. No-op for files opened from memory. */
void gl_gguf_release_pages(const gl_gguf *g);

uint32_t gl_gguf_version(const gl_gguf *g);
uint64_t gl_gguf_alignment(const gl_gguf *g);
uint64_t gl_gguf_data_offset(const gl_gguf *g); /* absolute file offset of the data section */
const void *gl_gguf_base(const gl_gguf *g);     /* start of the mapping */
uint64_t gl_gguf_file_size(const gl_gguf *g);

/* ---- key/values ---- */
int64_t gl_gguf_n_kv(const gl_gguf *g);
int64_t gl_gguf_find_key(const gl_gguf *g, const char *key); /* -1 if absent */
const char *gl_gguf_kv_key(const gl_gguf *g, int64_t i);
gl_gguf_type gl_gguf_kv_type(const gl_gguf *g, int64_t i);

/* Scalar getters. They convert between integer types when the value fits (and u32/i32/...
 * into f32/f64), otherwise return GLINT_ERROR_INVALID_FILE with a message naming the key. */
glint_status gl_gguf_kv_u32(const gl_gguf *g, int64_t i, uint32_t *out, gl_err *err);
glint_status gl_gguf_kv_i32(const gl_gguf *g, int64_t i, int32_t *out, gl_err *err);
glint_status gl_gguf_kv_u64(const gl_gguf *g, int64_t i, uint64_t *out, gl_err *err);
glint_status gl_gguf_kv_f32(const gl_gguf *g, int64_t i, float *out, gl_err *err);
glint_status gl_gguf_kv_bool(const gl_gguf *g, int64_t i, bool *out, gl_err *err);
glint_status gl_gguf_kv_str(const gl_gguf *g, int64_t i, gl_str *out, gl_err *err);

/* By key: GLINT_ERROR_NOT_FOUND when absent (err untouched), else as above. */
glint_status gl_gguf_get_u32(const gl_gguf *g, const char *key, uint32_t *out, gl_err *err);
glint_status gl_gguf_get_i32(const gl_gguf *g, const char *key, int32_t *out, gl_err *err);
glint_status gl_gguf_get_f32(const gl_gguf *g, const char *key, float *out, gl_err *err);
glint_status gl_gguf_get_bool(const gl_gguf *g, const char *key, bool *out, gl_err *err);
glint_status gl_gguf_get_str(const gl_gguf *g, const char *key, gl_str *out, gl_err *err);

/* Arrays: element type and count; raw little-endian data for numeric element types (NULL for
 * strings); j-th string of a string array. */
gl_gguf_type gl_gguf_kv_arr_type(const gl_gguf *g, int64_t i);
uint64_t gl_gguf_kv_arr_n(const gl_gguf *g, int64_t i);
const void *gl_gguf_kv_arr_data(const gl_gguf *g, int64_t i);
gl_str gl_gguf_kv_arr_str(const gl_gguf *g, int64_t i, uint64_t j);
/* The bytes of the whole value (for scalars the value, for arrays the elements as stored,
 * strings with their length prefixes), e.g. to hash or copy it. */
gl_str gl_gguf_kv_raw(const gl_gguf *g, int64_t i);

/* ---- tensors ---- */
int64_t gl_gguf_n_tensors(const gl_gguf *g);
const gl_gguf_tensor *gl_gguf_tensor_at(const gl_gguf *g, int64_t i);
const gl_gguf_tensor *gl_gguf_find_tensor(const gl_gguf *g, const char *name); /* NULL if absent */

const char *gl_gguf_type_name(gl_gguf_type t);
/* Bytes of a tensor of `type` and shape ne[0..n_dims), with the reader's rules: n_dims 1..4,
 * every ne >= 0, ne[0] a multiple of the block size, no overflow. GLINT_ERROR_UNSUPPORTED for a
 * type gl_type_get does not know, GLINT_ERROR_INVALID_ARGUMENT for a bad shape. */
glint_status gl_gguf_tensor_nbytes(glint_type type, uint32_t n_dims, const int64_t *ne,
                                   uint64_t *out, gl_err *err);

/* ---- writer ----------------------------------------------------------------------------- */

typedef struct gl_gguf_writer gl_gguf_writer;

/* Fills `size` bytes of a tensor's data at write time (so multi-GB models never sit in memory
 * at once). `offset` is where this piece starts within the tensor. Pieces come in order, each at
 * most 16 MiB; a status other than GLINT_OK aborts the write (no file is left behind). */
typedef glint_status (*gl_gguf_fill_fn)(void *user, void *dst, uint64_t offset, uint64_t size);

glint_status gl_gguf_writer_create(gl_gguf_writer **out);
void gl_gguf_writer_free(gl_gguf_writer *w);
/* Setting a key twice replaces the value. Strings and arrays are copied. */
glint_status gl_gguf_writer_set_u8(gl_gguf_writer *w, const char *key, uint8_t v);
glint_status gl_gguf_writer_set_u32(gl_gguf_writer *w, const char *key, uint32_t v);
glint_status gl_gguf_writer_set_i32(gl_gguf_writer *w, const char *key, int32_t v);
glint_status gl_gguf_writer_set_u64(gl_gguf_writer *w, const char *key, uint64_t v);
glint_status gl_gguf_writer_set_f32(gl_gguf_writer *w, const char *key, float v);
glint_status gl_gguf_writer_set_bool(gl_gguf_writer *w, const char *key, bool v);
glint_status gl_gguf_writer_set_str(gl_gguf_writer *w, const char *key, const char *v);
/* Any scalar type but STRING/ARRAY; `v` points to a value of that type (bool as a C bool). */
glint_status gl_gguf_writer_set_val(gl_gguf_writer *w, const char *key, gl_gguf_type type,
                                    const void *v);
glint_status gl_gguf_writer_set_arr(gl_gguf_writer *w, const char *key, gl_gguf_type elem,
                                    const void *data, uint64_t n);
glint_status gl_gguf_writer_set_arr_str(gl_gguf_writer *w, const char *key,
                                        const gl_str *strs, uint64_t n);
/* Copies key `i` of `src` (any type) into the writer. */
glint_status gl_gguf_writer_copy_kv(gl_gguf_writer *w, const gl_gguf *src, int64_t i);
/* Adds a tensor whose data is `data` (borrowed until write) or produced by `fill`. */
glint_status gl_gguf_writer_add_tensor(gl_gguf_writer *w, const char *name, glint_type type,
                                       uint32_t n_dims, const int64_t *ne, const void *data,
                                       gl_gguf_fill_fn fill, void *user);
/* Writes a GGUF v3 file with the default alignment (or general.alignment if set), in the layout
 * llama.cpp writes: keys and tensors in insertion order, each tensor's data aligned and followed
 * by zero padding. Written to a temporary name beside `path`, then renamed over it. */
glint_status gl_gguf_writer_write(gl_gguf_writer *w, const char *path, gl_err *err);

#endif

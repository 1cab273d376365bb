/* Tokenizer vocabularies: SentencePiece-style score merges ("llama") and byte-level BPE ("gpt2"),
 * loaded from a GGUF's tokenizer.ggml.* metadata. A gl_vocab is immutable after load and safe to
 * use from several threads at once. */
#ifndef GLINT_TOKENIZER_VOCAB_H
#define GLINT_TOKENIZER_VOCAB_H

#include "common.h"
#include "gguf.h"

typedef struct gl_vocab gl_vocab;

/* tokenizer.ggml.token_type values */
typedef enum gl_token_type {
    GL_TOKEN_TYPE_UNDEFINED = 0,
    GL_TOKEN_TYPE_NORMAL = 1,
    GL_TOKEN_TYPE_UNKNOWN = 2,
    GL_TOKEN_TYPE_CONTROL = 3,
    GL_TOKEN_TYPE_USER_DEFINED = 4,
    GL_TOKEN_TYPE_UNUSED = 5,
    GL_TOKEN_TYPE_BYTE = 6,
} gl_token_type;

/* Reads tokenizer.ggml.* from the GGUF (model, tokens, scores, token_type, merges,
 * bos/eos/unk/pad/eot/eom ids, add_bos_token/add_eos_token, add_space_prefix, pre). Unknown
 * tokenizer model or pre-tokenizer -> GLINT_ERROR_UNSUPPORTED with a message naming it; malformed
 * arrays -> GLINT_ERROR_INVALID_FILE. Special ids outside the vocab are ignored with a warning
 * (files in the wild carry 0xFFFFFFFF for "none"). Everything is copied: the vocab does not
 * refer to `g` after the call. Caller frees with gl_vocab_free. */
glint_status gl_vocab_load(const gl_gguf *g, gl_vocab **out, gl_err *err);
void gl_vocab_free(gl_vocab *v);

int32_t gl_vocab_n_tokens(const gl_vocab *v);
int32_t gl_vocab_bos(const gl_vocab *v); /* -1 if none */
int32_t gl_vocab_eos(const gl_vocab *v); /* -1 if none */
bool gl_vocab_is_eog(const gl_vocab *v, int32_t tok);
bool gl_vocab_add_bos(const gl_vocab *v);
const char *gl_vocab_model_name(const gl_vocab *v); /* "llama" (spm), "gpt2" (bpe) */

/* As glint_model_tokenize in include/glint.h: add_special adds BOS (and EOS) per metadata;
 * parse_special matches control token texts in the input (user-defined tokens are always
 * matched, as Hugging Face does). Writes min(cap, needed) ids; *n_out = needed;
 * GLINT_ERROR_BUFFER_TOO_SMALL when cap < needed. */
glint_status gl_vocab_tokenize(const gl_vocab *v, const char *text, size_t len, bool add_special,
                               bool parse_special, int32_t *out, size_t cap, size_t *n_out);

/* Bytes of one token: SPM "▁" -> " ", <0xNN> byte tokens -> that byte, BPE byte-level code
 * points -> bytes; control/unknown tokens -> their text when `special`, else empty; unused
 * tokens -> empty. Writes min(cap, needed) bytes (no NUL); *n_out = needed;
 * GLINT_ERROR_BUFFER_TOO_SMALL when cap < needed; GLINT_ERROR_INVALID_ARGUMENT for a bad id. */
glint_status gl_vocab_token_to_piece(const gl_vocab *v, int32_t tok, bool special, char *buf,
                                     size_t cap, size_t *n_out);

/* ---- extras for tests, tools and chat templates ---------------------------------------- */

/* A vocab described in memory (what gl_vocab_load reads from the GGUF). All pointers are
 * borrowed for the call only. */
typedef struct gl_vocab_desc {
    const char *model; /* "llama" or "gpt2" */
    const char *pre;   /* tokenizer.ggml.pre; NULL or "" = "default" */
    int64_t n_tokens;
    const gl_str *tokens;
    const float *scores;  /* NULL: all 0 */
    const int32_t *types; /* gl_token_type per token; NULL: all NORMAL */
    int64_t n_merges;
    const gl_str *merges; /* "left right" (gpt2 only) */
    /* special ids: -1 = absent (model default), out of range = ignored */
    int64_t bos, eos, unk, eot, eom, pad;
    int add_bos, add_eos, add_space_prefix; /* -1 = model default, else 0/1 */
    const char *name; /* general.name, or NULL: some models' special tokens strip spaces */
} gl_vocab_desc;

/* A desc with every id and flag at "absent". */
gl_vocab_desc gl_vocab_desc_default(void);
glint_status gl_vocab_create(const gl_vocab_desc *d, gl_vocab **out, gl_err *err);

/* -1 if the text is not a token. */
int32_t gl_vocab_find(const gl_vocab *v, const char *text, size_t len);
gl_token_type gl_vocab_token_type(const gl_vocab *v, int32_t tok);
/* The raw token text as stored in the vocab (borrowed from the vocab; not NUL-terminated). */
gl_str gl_vocab_token_text(const gl_vocab *v, int32_t tok);
/* Name of the pre-tokenizer scheme in use ("default", "llama3", ...; "" for spm). */
const char *gl_vocab_pre_name(const gl_vocab *v);

#endif

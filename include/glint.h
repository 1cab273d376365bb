/*
 * glint.h — the public API of libglint, an inference engine for small language models on the
 * GPUs and CPUs of phones and single-board computers.
 *
 * Anything not in this header is not API.
 *
 * Usage:
 *
 *     glint_runtime *rt;  glint_model *m;  glint_session *s;  glint_sampler *smp;
 *     glint_runtime_params rp = glint_runtime_default_params();
 *     if (glint_runtime_create(&rp, &rt) != GLINT_OK) ...;
 *     glint_model_params mp = glint_model_default_params();
 *     if (glint_model_load(rt, "model.gguf", &mp, &m) != GLINT_OK)
 *         fprintf(stderr, "%s\n", glint_runtime_last_error(rt));
 *     glint_session_params sp = glint_session_default_params();
 *     glint_session_create(m, &sp, &s);
 *     int32_t toks[256]; size_t n;
 *     glint_model_tokenize(m, "Once upon a time", 16, true, false, toks, 256, &n);
 *     glint_session_decode(s, toks, n);
 *     glint_sampler_params pp = glint_sampler_default_params();
 *     glint_sampler_create(&pp, &smp);
 *     int32_t next; glint_sampler_sample(smp, s, &next);
 *     ...
 *     glint_sampler_free(smp); glint_session_free(s); glint_model_free(m); glint_runtime_free(rt);
 *
 * Conventions: every fallible call returns a glint_status and writes its result through the
 * last out-pointer (NULL on failure). The text of the last error is owned by the object it
 * happened on and stays valid until the next call on that object. Every `_free(NULL)` is a
 * no-op. Objects are not thread-safe unless said otherwise; distinct objects may be used from
 * distinct threads.
 */
#ifndef GLINT_H
#define GLINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(GLINT_SHARED)
#ifdef GLINT_BUILD
#define GLINT_API __declspec(dllexport)
#else
#define GLINT_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define GLINT_API __attribute__((visibility("default")))
#else
#define GLINT_API
#endif

#define GLINT_VERSION_MAJOR 0
#define GLINT_VERSION_MINOR 1
#define GLINT_VERSION_PATCH 0
#define GLINT_VERSION_NUMBER                                                                       \
    (GLINT_VERSION_MAJOR * 10000 + GLINT_VERSION_MINOR * 100 + GLINT_VERSION_PATCH)

/* The version of the library actually linked: "MAJOR.MINOR.PATCH". Compare with
 * GLINT_VERSION_NUMBER through glint_version_number() to detect a header/library mismatch. */
GLINT_API const char *glint_version(void);
GLINT_API int glint_version_number(void);

/* ---- status ---------------------------------------------------------------------------- */

/* X(name, text): one list generates the enum and glint_status_string(). */
#define GLINT_STATUS_LIST(X)                                                                       \
    X(OK, "ok")                                                                                    \
    X(ERROR_INVALID_ARGUMENT, "invalid argument")                                                  \
    X(ERROR_IO, "i/o error")                                                                       \
    X(ERROR_INVALID_FILE, "invalid or corrupt file")                                               \
    X(ERROR_UNSUPPORTED, "unsupported feature, type or architecture")                              \
    X(ERROR_OUT_OF_MEMORY, "out of host memory")                                                   \
    X(ERROR_OUT_OF_DEVICE_MEMORY, "out of device memory")                                          \
    X(ERROR_BACKEND_UNAVAILABLE, "backend unavailable")                                            \
    X(ERROR_DEVICE_LOST, "device lost")                                                            \
    X(ERROR_CONTEXT_FULL, "context is full")                                                       \
    X(ERROR_BUFFER_TOO_SMALL, "buffer too small")                                                  \
    X(ERROR_NOT_FOUND, "not found")                                                                \
    X(ERROR_INTERNAL, "internal error")

typedef enum glint_status {
#define GLINT_X_(name, text) GLINT_##name,
    GLINT_STATUS_LIST(GLINT_X_)
#undef GLINT_X_
        GLINT_STATUS_COUNT
} glint_status;

/* A static string naming the status; never NULL (unknown codes give "unknown status"). */
GLINT_API const char *glint_status_string(glint_status st);

/* ---- tensor types (numbered as in GGUF) ------------------------------------------------ */

typedef enum glint_type {
    GLINT_TYPE_F32 = 0,
    GLINT_TYPE_F16 = 1,
    GLINT_TYPE_Q4_0 = 2,
    GLINT_TYPE_Q4_1 = 3,
    GLINT_TYPE_Q5_0 = 6,
    GLINT_TYPE_Q5_1 = 7,
    GLINT_TYPE_Q8_0 = 8,
    GLINT_TYPE_Q8_1 = 9,
    GLINT_TYPE_Q2_K = 10,
    GLINT_TYPE_Q3_K = 11,
    GLINT_TYPE_Q4_K = 12,
    GLINT_TYPE_Q5_K = 13,
    GLINT_TYPE_Q6_K = 14,
    GLINT_TYPE_Q8_K = 15,
    GLINT_TYPE_I8 = 24,
    GLINT_TYPE_I16 = 25,
    GLINT_TYPE_I32 = 26,
    GLINT_TYPE_I64 = 27,
    GLINT_TYPE_F64 = 28,
    GLINT_TYPE_BF16 = 30,
    GLINT_TYPE_COUNT = 40
} glint_type;

/* "f32", "q4_0", "q4_k" ...; NULL for a number that names no type Glint knows. */
GLINT_API const char *glint_type_name(glint_type t);
/* Parses a type name (case-insensitive, "q4_k_m" is read as q4_k). */
GLINT_API glint_status glint_type_from_name(const char *name, glint_type *out);

/* ---- logging --------------------------------------------------------------------------- */

typedef enum glint_log_level {
    GLINT_LOG_LEVEL_ERROR,
    GLINT_LOG_LEVEL_WARN,
    GLINT_LOG_LEVEL_INFO,
    GLINT_LOG_LEVEL_DEBUG,
    GLINT_LOG_LEVEL_COUNT
} glint_log_level;

/* Called for every log line at or below the runtime's level; `msg` has no trailing newline and
 * is valid only during the call. May be called from Glint's worker threads. */
typedef void (*glint_log_fn)(glint_log_level level, const char *msg, void *user);

/* ---- runtime: the backends of a process ------------------------------------------------ */

typedef struct glint_runtime glint_runtime;
typedef struct glint_model glint_model;
typedef struct glint_session glint_session;
typedef struct glint_sampler glint_sampler;

typedef enum glint_backend_kind {
    GLINT_BACKEND_AUTO,
    GLINT_BACKEND_CPU,
    GLINT_BACKEND_VULKAN,
    GLINT_BACKEND_OPENCL,
    GLINT_BACKEND_COUNT
} glint_backend_kind;

/* "auto", "cpu", "vulkan", "opencl". */
GLINT_API const char *glint_backend_kind_name(glint_backend_kind k);

/* A Vulkan device owned by the application (a game or AR engine) for Glint to share. Handles
 * are passed as pointers so this header needs no Vulkan headers. Glint creates its own
 * pipelines, memory and command pools on the device, never destroys what it did not create,
 * and holds lock_queue/unlock_queue around every vkQueueSubmit on the shared queue. The
 * device must have been created with Vulkan 1.1+ and the features Glint should use enabled
 * (Glint probes what is enabled and uses nothing else). */
typedef struct glint_vulkan_external {
    void *instance;               /* VkInstance */
    void *physical_device;        /* VkPhysicalDevice */
    void *device;                 /* VkDevice */
    void *queue;                  /* VkQueue with compute support */
    uint32_t queue_family;        /* its family index */
    void *get_instance_proc_addr; /* PFN_vkGetInstanceProcAddr; NULL = the system loader's */
    void (*lock_queue)(void *user);   /* may be NULL when the queue is not shared */
    void (*unlock_queue)(void *user);
    void *user;
} glint_vulkan_external;

typedef struct glint_runtime_params {
    int n_threads;             /* CPU worker threads; 0 = number of performance cores */
    const glint_vulkan_external *vulkan; /* NULL: Glint opens its own device when asked to */
    glint_log_level log_level; /* default WARN */
    glint_log_fn log_fn;       /* NULL = write to stderr */
    void *log_user;
} glint_runtime_params;

GLINT_API glint_runtime_params glint_runtime_default_params(void);
/* Creates the runtime and its CPU backend. Caller frees with glint_runtime_free(). */
GLINT_API glint_status glint_runtime_create(const glint_runtime_params *p, glint_runtime **out);
/* Frees the runtime; every model loaded on it must be freed first. */
GLINT_API void glint_runtime_free(glint_runtime *rt);
/* The message of the last failed call on this runtime (model loads included); "" if none. */
GLINT_API const char *glint_runtime_last_error(const glint_runtime *rt);

/* One line per available backend and device into `buf` (NUL-terminated, truncated to `cap`);
 * `*n_out` gets the length needed without the NUL. */
GLINT_API glint_status glint_runtime_describe(glint_runtime *rt, char *buf, size_t cap,
                                              size_t *n_out);

/* ---- model ----------------------------------------------------------------------------- */

/* Progress of a long step (profiling at load): `frac` in 0..1, `what` a short label. */
typedef void (*glint_progress_fn)(float frac, const char *what, void *user);

/* Where the layers run. AUTO (the default) splits them between the GPU and the CPU by a plan:
 * `plan_path` if given, else `gpu_layers` if >= 0, else a plan cached for this model and
 * these devices, else one made by profiling the model now (seconds; `progress` reports it)
 * and cached, or with `no_profile` a static one (everything on the GPU). A named backend runs
 * every layer there (or the first `gpu_layers` of them, the rest on the CPU). */
typedef struct glint_model_params {
    glint_backend_kind backend; /* default AUTO */
    int gpu_layers;             /* -1 = the plan decides; N = first N layers on the GPU */
    bool use_mmap;              /* default true: weights are used in place from the file */
    bool no_profile;            /* AUTO without a cached plan: static plan, no profiling */
    bool reprofile;             /* AUTO: profile even when a cached plan matches */
    const char *plan_path;      /* a plan file (JSON, as `glint profile` writes) to follow */
    glint_progress_fn progress; /* NULL: silent */
    void *progress_user;
} glint_model_params;

GLINT_API glint_model_params glint_model_default_params(void);

/* Maps and validates a GGUF file and prepares its weights on the chosen backend. On failure
 * `*out` is NULL and glint_runtime_last_error(rt) says what is wrong. Caller frees with
 * glint_model_free(). */
GLINT_API glint_status glint_model_load(glint_runtime *rt, const char *path,
                                        const glint_model_params *p, glint_model **out);
GLINT_API void glint_model_free(glint_model *m);
GLINT_API const char *glint_model_last_error(const glint_model *m);

typedef struct glint_model_info {
    const char *arch; /* "llama", "qwen2", "qwen3"; borrowed from the model */
    const char *name; /* general.name or ""; borrowed from the model */
    int32_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, n_ff, head_dim;
    uint64_t n_params, weight_bytes;
    glint_type main_type; /* the type most weight bytes are in */
    const char *backend;  /* where the layers run: "cpu", "vulkan", "vulkan+cpu"; borrowed */
    const char *plan;     /* the placement, e.g. "prefill: embed:vulkan 0-21:vulkan
                             head:vulkan; decode: ..."; borrowed */
} glint_model_info;

GLINT_API glint_status glint_model_get_info(const glint_model *m, glint_model_info *out);

/* Special tokens; -1 when the vocab has none. */
GLINT_API int32_t glint_model_token_bos(const glint_model *m);
GLINT_API int32_t glint_model_token_eos(const glint_model *m);
/* True for end-of-generation tokens (EOS, EOT, <|im_end|> ...). */
GLINT_API bool glint_model_token_is_eog(const glint_model *m, int32_t token);

/* Text to token ids. `add_special` adds BOS/EOS as the vocab's metadata asks; `parse_special`
 * turns the text of control tokens ("<|im_start|>") into those tokens. Writes at most `cap`
 * ids; `*n_out` gets the count needed. GLINT_ERROR_BUFFER_TOO_SMALL when cap < count. */
GLINT_API glint_status glint_model_tokenize(const glint_model *m, const char *text, size_t len,
                                            bool add_special, bool parse_special, int32_t *out,
                                            size_t cap, size_t *n_out);

/* The bytes of one token (byte tokens become their byte, "▁" becomes a space). `special`
 * renders control tokens as their text, otherwise they are empty. Not NUL-terminated;
 * `*n_out` gets the length needed. */
GLINT_API glint_status glint_model_token_to_piece(const glint_model *m, int32_t token,
                                                  bool special, char *buf, size_t cap,
                                                  size_t *n_out);

/* ---- session: KV cache and forward passes ---------------------------------------------- */

typedef struct glint_session_params {
    int32_t n_ctx;     /* context length; 0 = the model's training context (capped at 4096) */
    int32_t n_batch;   /* the most tokens one forward pass takes; default 512 */
    glint_type kv_type; /* GLINT_TYPE_F16 (default) or GLINT_TYPE_F32 */
    bool logits_all;   /* keep logits for every position of a batch, not only the last */
} glint_session_params;

GLINT_API glint_session_params glint_session_default_params(void);
/* Allocates the KV cache and work buffers; nothing is allocated on the decode path after.
 * Caller frees with glint_session_free(). */
GLINT_API glint_status glint_session_create(glint_model *m, const glint_session_params *p,
                                            glint_session **out);
GLINT_API void glint_session_free(glint_session *s);
GLINT_API const char *glint_session_last_error(const glint_session *s);

/* Runs the model over `n` tokens at the next positions, in batches of n_batch.
 * GLINT_ERROR_CONTEXT_FULL (nothing evaluated) when they do not fit in n_ctx. */
GLINT_API glint_status glint_session_decode(glint_session *s, const int32_t *tokens, size_t n);

/* Queues tokens for glint_session_step(): an engine with a frame budget feeds a long prompt
 * a slice at a time. */
GLINT_API glint_status glint_session_submit(glint_session *s, const int32_t *tokens, size_t n);
/* Evaluates queued tokens for about `budget_us` microseconds (always at least one batch),
 * `*done` is true when the queue is empty. */
GLINT_API glint_status glint_session_step(glint_session *s, uint64_t budget_us, bool *done);

/* Logits of position `i` of the last batch (-1 = its last position; other positions need
 * logits_all). Borrowed from the session, valid until the next decode. */
GLINT_API glint_status glint_session_get_logits(const glint_session *s, int32_t i,
                                                const float **out);
/* Positions held in the KV cache. */
GLINT_API int32_t glint_session_n_past(const glint_session *s);
GLINT_API int32_t glint_session_n_ctx(const glint_session *s);
/* Forgets positions >= n_keep (0 clears the context). */
GLINT_API glint_status glint_session_rewind(glint_session *s, int32_t n_keep);

/* Wall-clock statistics since creation (or the last reset). */
typedef struct glint_session_stats {
    int64_t n_prompt_tokens, n_gen_tokens; /* batches of >1 token count as prompt */
    double prompt_ms, gen_ms;
} glint_session_stats;
GLINT_API glint_status glint_session_get_stats(const glint_session *s, glint_session_stats *out);
GLINT_API void glint_session_reset_stats(glint_session *s);

/* ---- sampler --------------------------------------------------------------------------- */

typedef struct glint_sampler_params {
    float temperature;       /* <= 0: greedy (argmax, ties to the lowest id). Default 0.8 */
    int32_t top_k;           /* <= 0: off. Default 40 */
    float top_p;             /* >= 1: off. Default 0.95 */
    float min_p;             /* <= 0: off. Default 0.05 */
    float repeat_penalty;    /* 1: off (default) */
    float frequency_penalty; /* 0: off */
    float presence_penalty;  /* 0: off */
    int32_t penalty_last_n;  /* tokens of history the penalties look at; default 64 */
    uint64_t seed;           /* same seed, same logits: same tokens */
} glint_sampler_params;

GLINT_API glint_sampler_params glint_sampler_default_params(void);
/* Caller frees with glint_sampler_free(). */
GLINT_API glint_status glint_sampler_create(const glint_sampler_params *p, glint_sampler **out);
GLINT_API void glint_sampler_free(glint_sampler *smp);
/* Picks a token from `logits[n_vocab]`; does not record it (see accept). */
GLINT_API glint_status glint_sampler_sample_logits(glint_sampler *smp, const float *logits,
                                                   int32_t n_vocab, int32_t *out);
/* Picks a token from the session's last logits. */
GLINT_API glint_status glint_sampler_sample(glint_sampler *smp, const glint_session *s,
                                            int32_t *out);
/* Records a token in the penalty history (prompt tokens too, if they should count). */
GLINT_API void glint_sampler_accept(glint_sampler *smp, int32_t token);
GLINT_API void glint_sampler_reset(glint_sampler *smp);

/* ---- tools ------------------------------------------------------------------------------- */

/* Converts an F32/F16/BF16 GGUF to `type` (1-D tensors and norms stay F32); the output loads
 * in llama.cpp. */
GLINT_API glint_status glint_model_quantize(const char *in_path, const char *out_path,
                                            glint_type type, char *err, size_t err_cap);

#ifdef __cplusplus
}
#endif

#endif /* GLINT_H */

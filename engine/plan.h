/* Layer placement: which backend runs which layer, chosen from measured costs, and the cache
 * that keeps chosen plans between runs. Nothing here is API.
 *
 * A model's forward pass is a chain of stages: the embedding, layers 0 .. n_layer-1, and the
 * head (output norm + logits). A plan puts every stage on one backend (an index into the
 * caller's backend list, at most GL_PLAN_MAX_BACKENDS); any sequence is allowed, so a backend
 * may own several ranges (CPU / Vulkan / CPU). Its cost is
 *
 *     embed[e] + sum_l layer[b_l][l] + head[h] + sum of move[i][from][to] over every boundary i
 *     where the backend changes,
 *
 * boundary i lying just before layer i (0 = embedding -> layer 0, n_layer = last layer ->
 * head). Costs are in whatever unit the caller measured (the profiler uses milliseconds);
 * INFINITY marks a stage a backend cannot run. Prefill and decode are planned separately. */
#ifndef GLINT_PLAN_H
#define GLINT_PLAN_H

#include "common.h"

#define GL_PLAN_MAX_BACKENDS 4
#define GL_PLAN_MAX_LAYERS   256
#define GL_PLAN_DEVICE_MAX   160 /* bytes of one backend's identity string, NUL included */

typedef enum gl_plan_phase {
    GL_PLAN_PHASE_PREFILL,
    GL_PLAN_PHASE_DECODE,
    GL_PLAN_PHASE_COUNT
} gl_plan_phase;

/* One phase's measured costs. Fill with gl_plan_costs_init, then set entries directly. */
typedef struct gl_plan_costs {
    int n_backend;                                          /* 1 .. GL_PLAN_MAX_BACKENDS */
    int n_layer;                                            /* 1 .. GL_PLAN_MAX_LAYERS */
    double embed[GL_PLAN_MAX_BACKENDS];                     /* embedding on backend b */
    double head[GL_PLAN_MAX_BACKENDS];                      /* output norm + logits on backend b */
    double layer[GL_PLAN_MAX_BACKENDS][GL_PLAN_MAX_LAYERS]; /* [b][l] */
    /* [boundary][from][to]: activations handed over just before layer `boundary` (n_layer:
     * before the head). The diagonal is never used; 0 where both sides share memory. */
    double move[GL_PLAN_MAX_LAYERS + 1][GL_PLAN_MAX_BACKENDS][GL_PLAN_MAX_BACKENDS];
} gl_plan_costs;

typedef struct gl_plan {
    int n_layer;
    int n_backend;                       /* backends the indices below refer to */
    uint8_t embed;                       /* backend of the embedding */
    uint8_t head;                        /* backend of output norm + logits */
    uint8_t backend[GL_PLAN_MAX_LAYERS]; /* backend of layer l */
    double cost; /* predicted, in the cost table's unit; 0 for a static plan */
} gl_plan;

/* All costs 0 (and every move 0). INVALID_ARGUMENT when a count is out of range. */
glint_status gl_plan_costs_init(gl_plan_costs *c, int n_backend, int n_layer, gl_err *err);

/* Sets move[*][from][to] at every boundary. */
void gl_plan_costs_set_move(gl_plan_costs *c, int from, int to, double cost);

/* The cheapest plan, by dynamic programming over the stages (O(n_layer * n_backend^2)).
 * Ties go to the lower backend index, earliest stage first. INVALID_ARGUMENT for a NaN or
 * negative cost or bad counts; BACKEND_UNAVAILABLE when every plan costs INFINITY. */
glint_status gl_plan_solve(const gl_plan_costs *c, gl_plan *out, gl_err *err);

/* The cost of a given plan under a table (INFINITY if it uses an unavailable stage). */
glint_status gl_plan_eval(const gl_plan_costs *c, const gl_plan *p, double *cost, gl_err *err);

/* Every stage on backend b. */
glint_status gl_plan_uniform(int n_layer, int n_backend, int b, gl_plan *out, gl_err *err);

/* The --no-profile plan: everything on the GPU backend when there is one (gpu >= 0), else on
 * the CPU backend. */
glint_status gl_plan_static(int n_layer, int n_backend, int gpu, int cpu, gl_plan *out,
                            gl_err *err);

/* --gpu-layers N: layers 0 .. N-1 on `gpu`, the rest on `cpu` (N is clamped to 0 .. n_layer).
 * The embedding sits with layer 0 and the head with the last layer, so neither adds a copy. */
glint_status gl_plan_from_gpu_layers(int n_layer, int n_backend, int n_gpu_layers, int gpu, int cpu,
                                     gl_plan *out, gl_err *err);

/* "embed:1 0-1:1 2-4:0 head:0": ranges of layers and their backend, for logs. With `names`
 * (one per backend, may be NULL) the backends are named: "embed:vulkan 0-1:vulkan 2-4:cpu
 * head:cpu". A short buffer gets a terminated prefix. */
void gl_plan_describe(const gl_plan *p, const char *const *names, char *buf, size_t cap);

/* ---- plan cache ------------------------------------------------------------------------ */

/* What a stored plan is valid for: the model file (size + a hash of its header bytes up to
 * the data offset) and each backend's device/driver identity, e.g.
 * "vulkan:10005:0:1:<pipelineCacheUUID hex>" or "cpu:avx512:2t". */
typedef struct gl_plan_key {
    uint64_t model_size;
    uint64_t model_hash;
    int n_backend;
    char device[GL_PLAN_MAX_BACKENDS][GL_PLAN_DEVICE_MAX];
} gl_plan_key;

/* What the cache stores: both plans, and optionally the tables they came from (for
 * `glint profile`). Large (~80 KiB): allocate on the heap. */
typedef struct gl_plan_record {
    gl_plan_key key;
    gl_plan plan[GL_PLAN_PHASE_COUNT];
    bool has_costs;
    gl_plan_costs costs[GL_PLAN_PHASE_COUNT];
} gl_plan_record;

#define GL_PLAN_FORMAT_VERSION 1

/* 64-bit FNV-1a, for the model header hash and the file name. */
uint64_t gl_plan_hash64(const void *data, size_t n, uint64_t seed);
#define GL_PLAN_HASH_SEED 0xcbf29ce484222325ull


/* <dir>/plan-<model size>-<model hash>-<device hash>.json; dir NULL = gl_cache_dir. */
glint_status gl_plan_cache_path(const char *dir, const gl_plan_key *key, char *buf, size_t cap,
                                gl_err *err);

/* JSON text of a record; caller frees *out with free(). */
glint_status gl_plan_record_to_json(const gl_plan_record *r, char **out, size_t *len, gl_err *err);
/* Parses exactly what gl_plan_record_to_json writes (whitespace aside); INVALID_FILE with the
 * reason for anything else. `out` is unspecified on failure. */
glint_status gl_plan_record_from_json(const char *text, size_t len, gl_plan_record *out,
                                      gl_err *err);

/* A plan file at a given path (--plan FILE): written through a temporary file and rename, so
 * a reader never sees half a file. */
glint_status gl_plan_file_write(const char *path, const gl_plan_record *r, gl_err *err);
glint_status gl_plan_file_read(const char *path, gl_plan_record *out, gl_err *err);

/* Saves under gl_plan_cache_path (creating the directory). */
glint_status gl_plan_cache_save(const char *dir, const gl_plan_record *r, gl_err *err);

/* Looks up the record for `key`. A missing, stale (other model or driver), corrupt or
 * other-version file is a miss: *hit = false, GLINT_OK, and a log message says why (INFO for
 * stale, WARN for corrupt). Only bad arguments return an error. */
glint_status gl_plan_cache_load(const char *dir, const gl_plan_key *key, gl_plan_record *out,
                                bool *hit, gl_err *err);

#endif

/* The profiler: times every stage (embedding, each layer, head) of a model on every backend
 * it is loaded on, for prefill and for decode at several context lengths, and the cost of
 * handing the activations from one backend to another. Its tables feed the planner
 * (plan.h). Nothing here is API; `glint profile` prints and draws these numbers. */
#ifndef GLINT_PROFILE_H
#define GLINT_PROFILE_H

#include "model.h"
#include "plan.h"

#define GL_PROFILE_MAX_CTX 4

typedef struct gl_profile_opts {
    int reps;      /* timed runs per measurement, median kept (default 3) */
    int n_prefill; /* tokens of the prefill pass (default 128) */
    /* decode context lengths; n_ctx == 0 picks 0, 512, 2048 where the model allows */
    int n_ctx;
    int32_t ctx[GL_PROFILE_MAX_CTX];
    glint_progress_fn progress; /* may be NULL */
    void *progress_user;
} gl_profile_opts;

gl_profile_opts gl_profile_default_opts(void);

/* What one profiling run measured, in milliseconds. Large (~160 KiB): heap only. */
typedef struct gl_profile {
    int n_backend, n_layer;
    char names[GL_PLAN_MAX_BACKENDS][16]; /* "cpu", "vulkan", ... */
    int n_prefill;
    int n_ctx;
    int32_t ctx[GL_PROFILE_MAX_CTX];
    /* The planner's tables: prefill = ms of one pass of n_prefill tokens; decode = ms of one
     * token, averaged over the context lengths. Stages a backend cannot run are INFINITY. */
    gl_plan_costs costs[GL_PLAN_PHASE_COUNT];
    /* Decode per context length: [ctx][backend][stage], stage 0 = embedding, 1..n_layer =
     * layers, n_layer + 1 = head. */
    double decode_stage[GL_PROFILE_MAX_CTX][GL_PLAN_MAX_BACKENDS][GL_PLAN_MAX_LAYERS + 2];
    /* Measured wall time of a whole pass with every stage on one backend (prefill: ms per
     * pass; decode: ms per token, mean over the context lengths). */
    double whole[GL_PLAN_PHASE_COUNT][GL_PLAN_MAX_BACKENDS];
    /* The plans chosen from `costs`. */
    gl_plan plan[GL_PLAN_PHASE_COUNT];
} gl_profile;

/* Profiles `m`, which must hold weights for every stage on every one of its backends (a
 * model loaded for profiling: see gl_model_place). Fills `out` and solves both plans. */
glint_status gl_profile_run(glint_model *m, const gl_profile_opts *o, gl_profile *out,
                            gl_err *err);

/* Measures the model's current plans the way the profiler measured the tables: ms of one
 * prefill pass of o->n_prefill tokens, and ms per decoded token averaged over o's context
 * lengths (as completed by gl_profile_run; pass the same opts). For "predicted vs measured". */
glint_status gl_profile_measure(glint_model *m, const gl_profile_opts *o,
                                double out_ms[GL_PLAN_PHASE_COUNT], gl_err *err);

#endif

/* Session internals shared with the sampler, the profiler and the CLI tools. */
#ifndef GLINT_SESSION_H
#define GLINT_SESSION_H

#include "glint.h"
#include "plan.h"
#include "scheduler.h"

int32_t gl_session_n_vocab(const glint_session *s);

/* The profiler's hooks. */
/* Runs the session's phases by these plans from now on (stages whose weights the planned
 * backend lacks run on the CPU). */
void gl_session_set_plans(glint_session *s, const gl_plan plans[GL_PLAN_PHASE_COUNT]);
/* Per-node timing on every backend; gl_session_stage_ms then gives the last pass's time per
 * stage (0 = embedding .. n_layer + 1 = head), copies included. */
void gl_session_set_profiling(glint_session *s, bool on);
void gl_session_stage_ms(const glint_session *s, double *out, int n_stage);
/* Waits for each stage before the next (the profiler measures what a boundary costs). */
void gl_session_set_flush_stages(glint_session *s, bool on);
/* Pretends `n_past` positions are cached (the profiler's decode at a context length; the
 * cache holds zeros after gl_session_zero_kv). */
glint_status gl_session_set_n_past(glint_session *s, int32_t n_past);
glint_status gl_session_zero_kv(glint_session *s);
/* Copies made between backend memories since creation. */
gl_sched_stats gl_session_sched_stats(const glint_session *s);
/* Backends this session has memory on (bit b = the model's backend b). */
unsigned gl_session_backends(const glint_session *s);

#endif

/* A persistent pool of worker threads. run() wakes them once per call; inside a task all
 * threads may meet at barrier(). Nothing is allocated after create. */
#ifndef GLINT_THREADPOOL_H
#define GLINT_THREADPOOL_H

#include "common.h"

typedef struct gl_threadpool gl_threadpool;

/* Called once on each of the pool's n threads; the caller of run() is thread 0. */
typedef void (*gl_task_fn)(void *arg, int ith, int nth);

glint_status gl_threadpool_create(int n_threads, gl_threadpool **out);
void gl_threadpool_free(gl_threadpool *pool);
int gl_threadpool_n_threads(const gl_threadpool *pool);
/* Runs fn on every thread and returns when all have returned. Not reentrant. */
void gl_threadpool_run(gl_threadpool *pool, gl_task_fn fn, void *arg);
/* Inside a task: waits until all nth threads have arrived. */
void gl_threadpool_barrier(gl_threadpool *pool);

#endif

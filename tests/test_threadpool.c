/* Thread pool: every thread runs every task exactly once, run() returns only when all are done,
 * barriers separate phases (no thread sees a phase before all finished the previous one),
 * pools of 1..8 threads, many back-to-back runs, runs after the workers fell asleep. */
#include "test_util.h"
#include "threadpool.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define MAX_T  8
#define PHASES 50

typedef struct {
    gl_threadpool *pool;
    _Atomic int calls[MAX_T];
    _Atomic int bad_nth;
    int phase_count[MAX_T]; /* each thread's own phase counter */
    _Atomic int errors;     /* barrier violations seen */
    _Atomic long sum;
} ctx;

static void task_count(void *arg, int ith, int nth) {
    ctx *c = arg;
    if (nth != gl_threadpool_n_threads(c->pool)) atomic_fetch_add(&c->bad_nth, 1);
    atomic_fetch_add(&c->calls[ith], 1);
    atomic_fetch_add(&c->sum, ith + 1);
}

/* In phase p every thread increments its counter and then, after a barrier, checks that every
 * thread's counter is p + 1 (nobody lagging, nobody ahead). A second barrier keeps the next
 * increment from racing the checks. */
static void task_phases(void *arg, int ith, int nth) {
    ctx *c = arg;
    for (int p = 0; p < PHASES; p++) {
        c->phase_count[ith]++;
        gl_threadpool_barrier(c->pool);
        for (int t = 0; t < nth; t++) {
            int v = __atomic_load_n(&c->phase_count[t], __ATOMIC_RELAXED);
            if (v != p + 1) atomic_fetch_add(&c->errors, 1);
        }
        gl_threadpool_barrier(c->pool);
    }
}

/* Data written before a barrier by one thread is visible to the others after it. */
typedef struct {
    gl_threadpool *pool;
    int data[MAX_T][64];
    _Atomic int errors;
} ctx_data;

static void task_data(void *arg, int ith, int nth) {
    ctx_data *c = arg;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 64; i++) c->data[ith][i] = round * 1000 + ith * 64 + i;
        gl_threadpool_barrier(c->pool);
        const int src = (ith + 1) % nth;
        for (int i = 0; i < 64; i++)
            if (c->data[src][i] != round * 1000 + src * 64 + i) atomic_fetch_add(&c->errors, 1);
        gl_threadpool_barrier(c->pool);
    }
}

int main(void) {
    gl_threadpool *bad = (gl_threadpool *)1;
    CHECK_STATUS(gl_threadpool_create(0, &bad), GLINT_ERROR_INVALID_ARGUMENT);
    CHECK(bad == NULL);
    gl_threadpool_free(NULL);

    for (int n = 1; n <= MAX_T; n++) {
        gl_threadpool *pool = NULL;
        CHECK_STATUS(gl_threadpool_create(n, &pool), GLINT_OK);
        if (!pool) continue;
        CHECK_EQ_INT(gl_threadpool_n_threads(pool), n);

        static ctx c;
        memset(&c, 0, sizeof c);
        c.pool = pool;
        const int runs = 2000;
        for (int r = 0; r < runs; r++) gl_threadpool_run(pool, task_count, &c);
        for (int t = 0; t < n; t++) CHECK_EQ_INT(atomic_load(&c.calls[t]), runs);
        CHECK_EQ_INT(atomic_load(&c.bad_nth), 0);
        CHECK_EQ_INT(atomic_load(&c.sum), (long)runs * n * (n + 1) / 2);

        /* Let the workers go to sleep, then wake them. */
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        gl_threadpool_run(pool, task_count, &c);
        for (int t = 0; t < n; t++) CHECK_EQ_INT(atomic_load(&c.calls[t]), runs + 1);

        for (int r = 0; r < 10; r++) {
            memset(c.phase_count, 0, sizeof c.phase_count);
            gl_threadpool_run(pool, task_phases, &c);
            for (int t = 0; t < n; t++) CHECK_EQ_INT(c.phase_count[t], PHASES);
        }
        CHECK_MSG(atomic_load(&c.errors) == 0, "%d threads: %d barrier violations", n,
                  atomic_load(&c.errors));

        static ctx_data d;
        memset(&d, 0, sizeof d);
        d.pool = pool;
        for (int r = 0; r < 5; r++) gl_threadpool_run(pool, task_data, &d);
        CHECK_MSG(atomic_load(&d.errors) == 0, "%d threads: %d stale values after barrier", n,
                  atomic_load(&d.errors));

        gl_threadpool_free(pool);
    }
    return gl_test_finish("test_threadpool");
}

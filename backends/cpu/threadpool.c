/* Persistent worker threads. A run publishes (fn, arg) and bumps a generation counter; idle
 * workers spin on it for a short while (decode issues many short runs back to back) and then
 * sleep on a futex (condition variable off Linux) so an idle pool costs no CPU. */
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GL_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define GL_CPU_RELAX() __asm__ volatile("yield" ::: "memory")
#else
#define GL_CPU_RELAX() ((void)0)
#endif

/* How long a waiter spins before it sleeps (or, in a barrier, yields). */
#define GL_SPIN_US       200
#define GL_BARRIER_SPINS 4096

/* Keeps hot atomics on their own cache lines. */
#define GL_CACHELINE 64

struct gl_threadpool {
    int n;
    int spin_us; /* how long waiters spin before sleeping; 0 when oversubscribed */
    int barrier_spins;
    pthread_t *threads; /* n - 1 workers; the caller of run() is thread 0 */

    gl_task_fn fn;
    void *arg;

    _Alignas(GL_CACHELINE) _Atomic uint32_t generation; /* bumped by run(); workers wait on it */
    _Atomic int n_sleeping;                             /* workers asleep on generation */
    _Atomic bool stop;

    _Alignas(GL_CACHELINE) _Atomic uint32_t n_done; /* workers finished with this generation */
    _Atomic int main_sleeping;

    _Alignas(GL_CACHELINE) _Atomic int barrier_count;
    _Alignas(GL_CACHELINE) _Atomic uint32_t barrier_phase;

#if !defined(__linux__)
    pthread_mutex_t mu;
    pthread_cond_t cv;
#endif
};

/* ---- wait while *addr == val / wake everyone waiting on addr ----------------------------- */

#if defined(__linux__)
static void wait_while_eq(gl_threadpool *p, _Atomic uint32_t *addr, uint32_t val) {
    (void)p;
    while (atomic_load(addr) == val)
        syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}
static void wake_all(gl_threadpool *p, _Atomic uint32_t *addr) {
    (void)p;
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}
#else
static void wait_while_eq(gl_threadpool *p, _Atomic uint32_t *addr, uint32_t val) {
    pthread_mutex_lock(&p->mu);
    while (atomic_load(addr) == val) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
static void wake_all(gl_threadpool *p, _Atomic uint32_t *addr) {
    (void)addr;
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
#endif

/* Spins until *addr != val or the spin time is up; returns the last value seen. */
static uint32_t spin_while_eq(_Atomic uint32_t *addr, uint32_t val, int spin_us) {
    uint32_t v;
    if (spin_us <= 0) return atomic_load(addr);
    int64_t t0 = -1;
    for (int i = 1;; i++) {
        v = atomic_load_explicit(addr, memory_order_acquire);
        if (v != val) return v;
        GL_CPU_RELAX();
        if ((i & 255) == 0) {
            const int64_t now = gl_time_us();
            if (t0 < 0)
                t0 = now;
            else if (now - t0 > spin_us)
                return v;
        }
    }
}

typedef struct worker_arg {
    gl_threadpool *pool;
    int ith;
} worker_arg;

static void *worker_main(void *varg) {
    gl_threadpool *p = ((worker_arg *)varg)->pool;
    const int ith = ((worker_arg *)varg)->ith;
    free(varg);
    uint32_t seen = 0;
    for (;;) {
        uint32_t g = spin_while_eq(&p->generation, seen, p->spin_us);
        if (g == seen) {
            atomic_fetch_add(&p->n_sleeping, 1);
            wait_while_eq(p, &p->generation, seen);
            atomic_fetch_sub(&p->n_sleeping, 1);
            g = atomic_load(&p->generation);
        }
        seen = g;
        if (atomic_load(&p->stop)) break;
        p->fn(p->arg, ith, p->n);
        if (atomic_fetch_add(&p->n_done, 1) + 1 == (uint32_t)(p->n - 1) &&
            atomic_load(&p->main_sleeping))
            wake_all(p, &p->n_done);
    }
    return NULL;
}

glint_status gl_threadpool_create(int n_threads, gl_threadpool **out) {
    *out = NULL;
    if (n_threads < 1 || n_threads > 1024) return GLINT_ERROR_INVALID_ARGUMENT;
    gl_threadpool *p = gl_aligned_alloc(sizeof *p);
    if (!p) return GLINT_ERROR_OUT_OF_MEMORY;
    memset(p, 0, sizeof *p);
    p->n = n_threads;
    /* More threads than CPUs: a spinning waiter would only take time from the thread it waits
     * for, so waiters give up the CPU at once. */
    const long n_cpu = sysconf(_SC_NPROCESSORS_ONLN);
    const bool over = n_cpu > 0 && n_threads > n_cpu;
    p->spin_us = over ? 0 : GL_SPIN_US;
    p->barrier_spins = over ? 0 : GL_BARRIER_SPINS;
#if !defined(__linux__)
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
#endif
    if (n_threads > 1) {
        p->threads = calloc((size_t)n_threads - 1, sizeof *p->threads);
        if (!p->threads) {
            gl_threadpool_free(p);
            return GLINT_ERROR_OUT_OF_MEMORY;
        }
    }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) {
            wa->pool = p;
            wa->ith = i;
        }
        if (!wa || pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0) {
            free(wa);
            p->n = i; /* free() joins only the threads that were started */
            gl_threadpool_free(p);
            return GLINT_ERROR_OUT_OF_MEMORY;
        }
    }
    *out = p;
    return GLINT_OK;
}

void gl_threadpool_free(gl_threadpool *p) {
    if (!p) return;
    if (p->threads) {
        atomic_store(&p->stop, true);
        atomic_fetch_add(&p->generation, 1);
        wake_all(p, &p->generation);
        for (int i = 1; i < p->n; i++) pthread_join(p->threads[i - 1], NULL);
        free(p->threads);
    }
#if !defined(__linux__)
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
#endif
    gl_aligned_free(p);
}

int gl_threadpool_n_threads(const gl_threadpool *p) {
    return p->n;
}

void gl_threadpool_run(gl_threadpool *p, gl_task_fn fn, void *arg) {
    if (p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store(&p->n_done, 0);
    atomic_store(&p->barrier_count, 0);
    atomic_fetch_add(&p->generation, 1); /* seq_cst: publishes fn/arg before the bump */
    if (atomic_load(&p->n_sleeping) > 0) wake_all(p, &p->generation);

    fn(arg, 0, p->n);

    const uint32_t want = (uint32_t)(p->n - 1);
    uint32_t d = atomic_load(&p->n_done);
    while (d != want) {
        d = spin_while_eq(&p->n_done, d, p->spin_us);
        if (d == want) break;
        atomic_store(&p->main_sleeping, 1);
        d = atomic_load(&p->n_done); /* a worker that finished before the store did not wake us */
        if (d != want) wait_while_eq(p, &p->n_done, d);
        atomic_store(&p->main_sleeping, 0);
        d = atomic_load(&p->n_done);
    }
}

void gl_threadpool_barrier(gl_threadpool *p) {
    if (p->n == 1) return;
    const uint32_t phase = atomic_load_explicit(&p->barrier_phase, memory_order_relaxed);
    if (atomic_fetch_add(&p->barrier_count, 1) == p->n - 1) {
        atomic_store_explicit(&p->barrier_count, 0, memory_order_relaxed);
        atomic_store_explicit(&p->barrier_phase, phase + 1, memory_order_release);
        return;
    }
    for (int i = 0; atomic_load_explicit(&p->barrier_phase, memory_order_acquire) == phase; i++) {
        if (i < p->barrier_spins)
            GL_CPU_RELAX();
        else
            sched_yield();
    }
}

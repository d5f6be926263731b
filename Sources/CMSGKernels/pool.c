/* The engine's worker threads (MSGKernels.Workers): one persistent pool the
 * forward pass hands its parallel loops to, instead of libdispatch's
 * concurrentPerform. Measured reason (issue 20, perf on the 2-core Zen 5 VM):
 * under concurrentPerform the calling thread finished its share and then
 * waited in a sched_yield loop, about 10% of the samples of a StyleGAN 256
 * pass, beside the two root-queue threads doing the work, so three threads
 * shared two cores. Here the caller is worker 0 and does its share; the
 * others are pool threads; items are handed out from a shared counter; whoever
 * waits spins a short while (the next loop of a layer comes within
 * microseconds) and then sleeps on a condition variable.
 *
 * One loop runs at a time: a second caller while one runs (another model's
 * render thread, a loop started from inside an item) gets 0 from
 * msg_pool_run and runs the loop another way (Workers falls back to
 * concurrentPerform). */
#include "msg_kernels.h"
#include <pthread.h>
#include <stdint.h>
#include <sched.h>

#define MSG_POOL_MAX 64
_Static_assert(sizeof(uintptr_t) >= 8, "pool_thread's argument packs a 56-bit generation");
#define MSG_POOL_SPINS 2000    /* pause loops before sleeping: some 30 microseconds */

#if defined(__x86_64__) || defined(__i386__)
#define pool_pause() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define pool_pause() __asm__ __volatile__("yield")
#else
#define pool_pause() ((void)0)
#endif

typedef struct {
    pthread_mutex_t lock;          /* guards threads, started and the condition waits */
    pthread_cond_t wake;           /* a new loop was published */
    pthread_cond_t finished;       /* the last worker of a loop left */
    int busy;                      /* a loop is running (taken with an atomic exchange) */
    int threads;                   /* pool threads started (workers 1 ... threads) */
    unsigned long generation;      /* bumped for each loop */
    /* The current loop: */
    msg_pool_fn fn;
    void *context;
    long items;
    int workers;                   /* workers of this loop, the caller included */
    long next;                     /* next item to hand out */
    int active;                    /* pool threads that have not yet seen this loop through: every
                                      thread acknowledges every loop (those not needed at once), so
                                      none can lag into the next one with this one's fields */
} msg_pool;

static msg_pool pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};

/* A child of fork() has none of the pool's threads: start over (msg-gen only
 * execs itself, but a host program embedding the engine might fork). */
static void pool_after_fork_child(void) {
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.finished, NULL);
    pool.busy = 0;
    pool.threads = 0;
    pool.active = 0;
}
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static void pool_register_fork(void) { pthread_atfork(NULL, NULL, pool_after_fork_child); }

static void run_items(int worker) {
    for (;;) {
        long i = __atomic_fetch_add(&pool.next, 1, __ATOMIC_RELAXED);
        if (i >= pool.items) return;
        pool.fn(pool.context, i, worker);
    }
}

/* arg: (generation at creation << 8) | worker. A thread started for a loop
 * must wait for that loop's generation, not take the last finished one for
 * a new loop (it would acknowledge a loop that counted on it twice). */
static void *pool_thread(void *arg) {
    int worker = (int)((uintptr_t)arg & 0xff);
    unsigned long seen = (unsigned long)((uintptr_t)arg >> 8);
    for (;;) {
        /* Wait for a loop this worker takes part in: spin, then sleep. */
        unsigned long g;
        int spins = 0;
        while ((g = __atomic_load_n(&pool.generation, __ATOMIC_ACQUIRE)) == seen && spins < MSG_POOL_SPINS) {
            spins++;
            pool_pause();
        }
        if (g == seen) {
            pthread_mutex_lock(&pool.lock);
            while ((g = __atomic_load_n(&pool.generation, __ATOMIC_ACQUIRE)) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
            pthread_mutex_unlock(&pool.lock);
        }
        seen = g;
        if (worker < pool.workers) run_items(worker);
        if (__atomic_sub_fetch(&pool.active, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&pool.lock);
            pthread_cond_signal(&pool.finished);
            pthread_mutex_unlock(&pool.lock);
        }
    }
    return NULL;
}

int msg_pool_run(long items, int workers, msg_pool_fn fn, void *context) {
    if (workers < 2 || items < 2) return 0;
    if (workers > MSG_POOL_MAX) workers = MSG_POOL_MAX;
    pthread_once(&pool_once, pool_register_fork);
    if (__atomic_exchange_n(&pool.busy, 1, __ATOMIC_ACQUIRE)) return 0;
    pthread_mutex_lock(&pool.lock);
    while (pool.threads < workers - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 8 << 20);
        uintptr_t arg = ((uintptr_t)pool.generation << 8) | (uintptr_t)(pool.threads + 1);
        int ok = pthread_create(&t, &attr, pool_thread, (void *)arg) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) break;
        pthread_detach(t);
        pool.threads++;
    }
    if (pool.threads < 1) {
        pthread_mutex_unlock(&pool.lock);
        __atomic_store_n(&pool.busy, 0, __ATOMIC_RELEASE);
        return 0;
    }
    if (workers - 1 > pool.threads) workers = pool.threads + 1;
    pool.fn = fn;
    pool.context = context;
    pool.items = items;
    pool.workers = workers;
    pool.next = 0;
    pool.active = pool.threads;
    __atomic_add_fetch(&pool.generation, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    run_items(0);

    /* Wait for the pool threads of this loop: spin, then sleep. */
    int spins = 0;
    while (__atomic_load_n(&pool.active, __ATOMIC_ACQUIRE) > 0 && spins < MSG_POOL_SPINS) {
        spins++;
        pool_pause();
    }
    if (__atomic_load_n(&pool.active, __ATOMIC_ACQUIRE) > 0) {
        pthread_mutex_lock(&pool.lock);
        while (__atomic_load_n(&pool.active, __ATOMIC_ACQUIRE) > 0) pthread_cond_wait(&pool.finished, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
    }
    __atomic_store_n(&pool.busy, 0, __ATOMIC_RELEASE);
    return 1;
}

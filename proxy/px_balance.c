/* px_balance.c: the least-loaded choice (pure) and the process-wide worker
 * table it reads.  Registration (a new worker seen in HELLO) takes a mutex;
 * acquire/release per stream are lock-free atomics. */
#include "config.h"
#include <pthread.h>
#include <stdatomic.h>
#include "px_balance.h"

int px_balance_pick(const px_balance_cand *c, size_t n)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (c[i].capacity == 0 || c[i].outstanding >= c[i].capacity)
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        const px_balance_cand *b = &c[best];
        /* a.out/a.cap < b.out/b.cap without division. */
        uint64_t lhs = (uint64_t)c[i].outstanding * b->capacity;
        uint64_t rhs = (uint64_t)b->outstanding * c[i].capacity;
        if (lhs < rhs ||
            (lhs == rhs && c[i].capacity - c[i].outstanding > b->capacity - b->outstanding))
            best = (int)i;
    }
    return best;
}

typedef struct {
    uint32_t pid;
    uint32_t capacity;
    int refs;
    _Atomic uint32_t outstanding;
} px_worker;

static px_worker workers[PX_MAX_WORKERS];
static pthread_mutex_t workers_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic long waiting_total;
static _Atomic uint64_t releases;

void px_workers_init(void)
{
    for (int i = 0; i < PX_MAX_WORKERS; i++) {
        workers[i].pid = 0;
        workers[i].refs = 0;
        atomic_store(&workers[i].outstanding, 0);
    }
    atomic_store(&waiting_total, 0);
}

int px_workers_ref(uint32_t pid, uint32_t capacity)
{
    int slot = -1, free_slot = -1;
    pthread_mutex_lock(&workers_lock);
    for (int i = 0; i < PX_MAX_WORKERS; i++) {
        if (workers[i].refs > 0 && workers[i].pid == pid) {
            slot = i;
            break;
        }
        if (workers[i].refs == 0 && free_slot < 0)
            free_slot = i;
    }
    if (slot < 0 && free_slot >= 0) {
        slot = free_slot;
        workers[slot].pid = pid;
        atomic_store(&workers[slot].outstanding, 0);
    }
    if (slot >= 0) {
        /* The latest HELLO wins: a respawned worker with the same pid is new. */
        workers[slot].capacity = capacity;
        workers[slot].refs++;
    }
    pthread_mutex_unlock(&workers_lock);
    return slot;
}

void px_workers_unref(int slot)
{
    pthread_mutex_lock(&workers_lock);
    if (slot >= 0 && slot < PX_MAX_WORKERS && workers[slot].refs > 0)
        workers[slot].refs--;
    pthread_mutex_unlock(&workers_lock);
}

uint32_t px_worker_outstanding(int slot)
{
    return atomic_load_explicit(&workers[slot].outstanding, memory_order_relaxed);
}
uint32_t px_worker_capacity(int slot) { return workers[slot].capacity; }

void px_workers_totals(uint32_t *n, uint64_t *capacity, uint64_t *outstanding)
{
    *n = 0;
    *capacity = *outstanding = 0;
    pthread_mutex_lock(&workers_lock);
    for (int i = 0; i < PX_MAX_WORKERS; i++)
        if (workers[i].refs > 0) {
            (*n)++;
            *capacity += workers[i].capacity;
            *outstanding += px_worker_outstanding(i);
        }
    pthread_mutex_unlock(&workers_lock);
}

int px_worker_try_acquire(int slot)
{
    px_worker *w = &workers[slot];
    uint32_t cur = atomic_load_explicit(&w->outstanding, memory_order_relaxed);
    while (cur < w->capacity) {
        if (atomic_compare_exchange_weak(&w->outstanding, &cur, cur + 1))
            return 1;
    }
    return 0;
}

void px_worker_release(int slot)
{
    uint32_t prev = atomic_fetch_sub(&workers[slot].outstanding, 1);
    if (prev == 0) /* never below zero, even after a racing re-registration */
        atomic_fetch_add(&workers[slot].outstanding, 1);
    atomic_fetch_add(&releases, 1); /* before the releaser looks for waiters */
}

uint64_t px_worker_releases(void) { return atomic_load(&releases); }

size_t px_waiting_total(void)
{
    /* Sequentially consistent (a plain load on x86): a releaser that reads
     * 0 here is ordered before the queuer's increment, which then sees
     * the release count move (px_dispatch_submit). */
    long v = atomic_load(&waiting_total);
    return v > 0 ? (size_t)v : 0;
}

void px_waiting_add(long delta) { atomic_fetch_add(&waiting_total, delta); }

/* ad_scoreboard.h: the MAP_SHARED page the master and its workers share.
 * Each worker publishes liveness and the start of its oldest busy request;
 * the master reads them to enforce --timeout without any message traffic. */
#ifndef TANDEM_AD_SCOREBOARD_H
#define TANDEM_AD_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

#define AD_SLOT_PATH 200
/* Twice the worker limit: a retiring worker keeps its slot while its
 * replacement (same worker index) boots. */
#define AD_BOARD_SLOTS 2048

/* Written by one worker, read by the master.  Fields are accessed with
 * __atomic loads/stores (relaxed): each is an independent fact, and a torn
 * read of req_path only garbles a log line. */
typedef struct {
    int32_t pid;
    uint32_t inflight;           /* streams running in app threads */
    uint64_t alive_ms;           /* CLOCK_MONOTONIC ms of the I/O loop's last turn */
    uint64_t busy_since_ms;      /* oldest running request's app-time start, 0 idle */
    uint64_t requests;           /* completed requests */
    char req_path[AD_SLOT_PATH]; /* "METHOD /path" of that request */
} ad_slot;

typedef struct {
    uint32_t nworkers; /* the master's current --workers (HELLO worker_count) */
    uint32_t generation;
    ad_slot slot[]; /* AD_BOARD_SLOTS */
} ad_scoreboard;

extern ad_scoreboard *ad_board;

/* Maps the board before the first fork; -1 with errno on failure. */
int ad_scoreboard_create(void);

uint64_t ad_now_ms(void);

#define AD_LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define AD_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif

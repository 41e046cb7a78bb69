/* px_world.h: the fake world test_px_stream.c, test_px_tunnel.c and
 * test_px_dispatch.c drive
 * a request through (px_world.c): a protocol that records what the stream
 * asks of it, a worker connection that records the frames sent to it, and a
 * pool whose answer each test chooses.  The worker capacity table
 * (px_balance.c) and the queue are the real ones, so a slot left held is
 * caught. */
#ifndef TANDEM_PX_WORLD_H
#define TANDEM_PX_WORLD_H

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "px_balance.h"
#include "px_conn.h"
#include "px_dispatch.h"
#include "px_limits.h"
#include "px_pool.h"
#include "px_stream.h"
#include "px_thread.h"
#include "px_upstream.h"

struct px_upstream {
    uint32_t pid;
};

/* What the client side saw. */
struct px_seen_client {
    int dispatched, pump, consumed, abandoned, info, head, data_ready, aborts, recycled, closes;
    int messages, peer_closes; /* a tunnel's: the worker's messages and close */
    unsigned msg_flags, peer_code;
    size_t msg_bytes;
    unsigned status;
    enum px_abort why;
    char body[256];
};
/* What the worker side saw. */
struct px_seen_worker {
    int attaches, resets, credits, data_frames, forgets, ws_closes;
    unsigned message_flags, ws_close_code;
    uint32_t reset_reason, credited;
    size_t data_bytes;
    int end_sent;
};

extern struct event_base *base;
extern px_thread th;
extern px_limits lim;
extern px_conn conn;
extern int slot; /* the one worker's capacity slot */
extern struct px_upstream up;
extern struct px_seen_client cl;
extern struct px_seen_worker wk;
extern int attach_answer;          /* px_pool_attach's reply */
extern enum px_stall stall_answer; /* the protocol's answer to a stall */
extern size_t out_len;             /* bytes "queued" to the client */
extern const struct timeval tv_long, tv_short;

void px_world_setup(void);
void px_world_teardown(void);
/* A GET whose head is complete, not yet submitted. */
px_stream *new_request(void);
/* The worker's RESPONSE_HEAD with status (end: no body). */
void head(px_stream *s, unsigned status, int end);

/* Runs the loop until cond holds, a bounded number of turns. */
#define RUN_UNTIL(cond)                                       \
    do {                                                      \
        for (int turn_ = 0; turn_ < 1000 && !(cond); turn_++) \
            event_base_loop(base, EVLOOP_ONCE);               \
        ck_assert(cond);                                      \
    } while (0)

#endif

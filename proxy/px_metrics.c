/* px_metrics.c: Gunicorn's request metrics from the proxy's loop threads
 * (px_metrics.h): timings added as requests end, counters summed for the
 * turn, one datagram per turn. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "px_metrics.h"
#include "tc_decimal.h"

/* Distinct status codes counted in one turn before the counts go out. */
#define STATUSES 16

typedef struct {
    tc_statsd_batch batch;
    uint32_t requests;
    unsigned nstatus;
    uint16_t status[STATUSES];
    uint32_t count[STATUSES];
} turn_metrics;

atomic_int px_metrics_on;
/* A reload may replace it (tc_logsinks keeps the old one open). */
static tc_statsd *_Atomic running;
static _Thread_local turn_metrics *T;

void px_metrics_init(tc_statsd *sd)
{
    atomic_store(&running, sd);
    atomic_store(&px_metrics_on, sd != NULL);
}

/* The counters of the turn join its timings in the batch. */
static void add_counts(tc_statsd *statsd, turn_metrics *t)
{
    if (t->requests)
        tc_statsd_count(statsd, &t->batch, "gunicorn.requests", t->requests);
    static const char base[] = "gunicorn.request.status.";
    char name[sizeof base + TC_DECIMAL_MAX];
    memcpy(name, base, sizeof base - 1);
    for (unsigned i = 0; i < t->nstatus; i++) {
        name[sizeof base - 1 + tc_decimal(t->status[i], name + sizeof base - 1)] = '\0';
        tc_statsd_count(statsd, &t->batch, name, t->count[i]);
    }
    t->requests = 0;
    t->nstatus = 0;
}

static void count_status(tc_statsd *statsd, turn_metrics *t, unsigned status)
{
    for (unsigned i = 0; i < t->nstatus; i++)
        if (t->status[i] == status) {
            t->count[i]++;
            return;
        }
    if (t->nstatus == STATUSES)
        add_counts(statsd, t);
    t->status[t->nstatus] = (uint16_t)status;
    t->count[t->nstatus++] = 1;
}

void px_metrics_request(unsigned status, uint64_t usec)
{
    tc_statsd *sd = atomic_load(&running);
    if (sd == NULL || (T == NULL && (T = calloc(1, sizeof *T)) == NULL))
        return;
    tc_statsd_timing(sd, &T->batch, "gunicorn.request.duration", usec);
    T->requests++;
    count_status(sd, T, status);
}

void px_metrics_flush(void)
{
    if (T == NULL || (T->requests == 0 && T->batch.len == 0))
        return;
    tc_statsd *sd = atomic_load(&running);
    if (sd == NULL) {
        /* statsd_host unset by a reload: the turn's metrics go nowhere. */
        T->requests = 0;
        T->nstatus = 0;
        T->batch.len = 0;
        return;
    }
    add_counts(sd, T);
    tc_statsd_flush(sd, &T->batch);
}

void px_metrics_thread_end(void)
{
    px_metrics_flush();
    free(T);
    T = NULL;
}

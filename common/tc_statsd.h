/* tc_statsd.h: statsd and dogstatsd metrics as Gunicorn sends them
 * (gunicorn/instrument/statsd.py): "PREFIX.NAME:VALUE|c|@1.0" counters,
 * "|g" gauges and "|ms" timings, with "|#TAGS" appended for dogstatsd.
 *
 * A batch gathers metrics (one per line) and goes out as one datagram when
 * it is full or flushed, which a caller does once per loop turn: the
 * proxy sends one datagram per turn, not one per request, and loses no
 * count.  Sends never block: a datagram the socket cannot take is dropped.
 *
 * Errors: tc_statsd_open returns NULL with one line in err (a bad address,
 * an unknown host).  Thread safety: the handle is shared (one socket), each
 * batch belongs to one thread.  Ownership: the handle is the caller's. */
#ifndef TANDEM_TC_STATSD_H
#define TANDEM_TC_STATSD_H

#include <stddef.h>
#include <stdint.h>

typedef struct tc_statsd tc_statsd;

/* A datagram's size: fits an Ethernet frame with room for IP and UDP. */
#define TC_STATSD_DATAGRAM 1432

typedef struct {
    char buf[TC_STATSD_DATAGRAM];
    size_t len;
} tc_statsd_batch;

/* Checks Gunicorn's statsd_host forms: HOST:PORT, HOST (port 8125),
 * [V6]:PORT, unix://PATH or unix:PATH.  0, or -1 with err. */
int tc_statsd_check_host(const char *host, char *err, size_t errlen);
/* A client sending to host.  prefix as Gunicorn's statsd_prefix (a '.' is
 * added when it has none), tags as dogstatsd_tags ("" for none).  NULL
 * with err. */
tc_statsd *tc_statsd_open(const char *host, const char *prefix, const char *tags, char *err,
                          size_t errlen);
void tc_statsd_close(tc_statsd *sd);

/* Adds one metric to b (sent first when b has no room for it). */
void tc_statsd_count(tc_statsd *sd, tc_statsd_batch *b, const char *name, long long value);
void tc_statsd_gauge(tc_statsd *sd, tc_statsd_batch *b, const char *name, long long value);
/* A timing in milliseconds, written as Python writes the float of us/1000. */
void tc_statsd_timing(tc_statsd *sd, tc_statsd_batch *b, const char *name, uint64_t usec);
/* Sends what b holds, if anything. */
void tc_statsd_flush(tc_statsd *sd, tc_statsd_batch *b);

/* "1234.5": us/1000 as Python's repr of the float writes it. */
size_t tc_statsd_ms(uint64_t usec, char *buf, size_t cap);

#endif

/* fuzz_logfmt.c: libFuzzer target for the access-log format (proxy/px_logfmt.c,
 * px_logenv.c): the input's first line is a format, the rest a request
 * (method, path, query, then "name: value" fields, the bytes a client
 * chose).  Aborts when a promise of px_logfmt.h is broken: a refused format
 * says why, a line is never longer than its buffer, always ends in its one
 * newline, and carries no control byte the format's own text did not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "px_logfmt.h"

#define CHECK(cond) FUZZ_CHECK("fuzz_logfmt", cond)

#define MAX_FIELDS 32

/* The next '\n'-ended piece of [*p, end) as a tp_str. */
static tp_str next_line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    tp_str s = { *p, (uint32_t)((nl ? nl : end) - *p) };
    *p = nl ? nl + 1 : end;
    return s;
}

static int has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return 1;
    return 0;
}

static void read_request(const uint8_t *p, const uint8_t *end, px_logreq *r, tp_header *fields)
{
    memset(r, 0, sizeof *r);
    r->method = next_line(&p, end);
    r->path = next_line(&p, end);
    r->query = next_line(&p, end);
    r->authority = next_line(&p, end);
    r->peer_addr = (tp_str){ (const uint8_t *)"192.0.2.1", 9 };
    r->http_major = r->method.len & 1 ? 2 : 1;
    r->http_minor = r->http_major == 1;
    r->status = 200 + r->path.len % 400;
    r->sent = r->query.len * 1000003u;
    r->usec = (uint64_t)r->method.len * 999983u;
    r->content_length = TP_LENGTH_UNKNOWN;
    r->clf_time = "[01/Jan/2026:00:00:00 +0000]";
    r->worker_pid = 42;
    r->proxy_pid = 7;
    while (p < end && r->nheaders < MAX_FIELDS) {
        tp_str line = next_line(&p, end);
        const uint8_t *colon = memchr(line.ptr, ':', line.len);
        uint32_t nl = colon ? (uint32_t)(colon - line.ptr) : line.len;
        fields[r->nheaders++] =
            (tp_header){ { line.ptr, nl },
                         { colon ? colon + 1 : line.ptr + nl, colon ? line.len - nl - 1 : 0 } };
    }
    r->headers = fields;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the end. */
    uint8_t *in = malloc(size ? size : 1);
    CHECK(in != NULL);
    if (size)
        memcpy(in, data, size);
    const uint8_t *nl = memchr(in, '\n', size);
    size_t flen = nl ? (size_t)(nl - in) : size;
    char *fmt = malloc(flen + 1);
    CHECK(fmt != NULL);
    memcpy(fmt, in, flen);
    fmt[flen] = '\0';
    px_logfmt *f = NULL;
    char err[512] = "";
    if (px_logfmt_compile(fmt, &f, err, sizeof err) < 0) {
        CHECK(f == NULL && strncmp(err, "access_log_format: ", 19) == 0);
    } else {
        tp_header fields[MAX_FIELDS];
        px_logreq r;
        read_request(nl ? nl + 1 : in + size, in + size, &r, fields);
        tp_str resp[PX_LOGFMT_MAX_RESP] = { { NULL, 0 } };
        for (unsigned i = 0; i < px_logfmt_resp_count(f) && i < r.nheaders; i++)
            resp[i] = r.headers[i].value;
        r.resp = resp;
        static const size_t caps[] = { 2, 17, 300, 8192 };
        int fmt_controls = has_control(fmt, strlen(fmt));
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            char *line = malloc(caps[k]);
            CHECK(line != NULL);
            size_t n = px_logfmt_line(f, &r, line, caps[k]);
            CHECK(n >= 1 && n <= caps[k] && line[n - 1] == '\n');
            CHECK(fmt_controls || !has_control(line, n - 1));
            free(line);
        }
        px_logfmt_free(f);
    }
    free(fmt);
    free(in);
    return 0;
}

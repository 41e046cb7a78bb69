/* px_logfmt_int.h: what the access-log format's files share: the compiled
 * atoms, the line writer, and the environ names px_logenv.c resolves from
 * what the proxy knows of a request.  Not part of the public API. */
#ifndef TANDEM_PX_LOGFMT_INT_H
#define TANDEM_PX_LOGFMT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "px_logfmt.h"

enum px_atom_code {
    PX_AT_LITERAL = 0,
    /* Gunicorn's letters */
    PX_AT_h,
    PX_AT_l,
    PX_AT_u,
    PX_AT_t,
    PX_AT_r,
    PX_AT_s,
    PX_AT_m,
    PX_AT_U,
    PX_AT_q,
    PX_AT_H,
    PX_AT_b,
    PX_AT_B,
    PX_AT_f,
    PX_AT_a,
    PX_AT_T,
    PX_AT_D,
    PX_AT_M,
    PX_AT_L,
    PX_AT_p,
    PX_AT_REQ_FIELD,  /* {NAME}i: name (lower-case) in the pool */
    PX_AT_RESP_FIELD, /* {NAME}o: slot */
    PX_AT_ENV,        /* {NAME}e: env, and for PX_ENV_HTTP the key in the pool */
    /* tandem's */
    PX_AT_STREAM_ID,
    PX_AT_WORKER_PID,
    PX_AT_CONNECTION,
};

/* The environ entries the proxy can give as tandem-appd would build them. */
enum px_env {
    PX_ENV_REQUEST_METHOD,
    PX_ENV_PATH_INFO,
    PX_ENV_QUERY_STRING,
    PX_ENV_RAW_URI,
    PX_ENV_SERVER_PROTOCOL,
    PX_ENV_REMOTE_ADDR,
    PX_ENV_REMOTE_PORT,
    PX_ENV_SERVER_NAME,
    PX_ENV_SERVER_PORT,
    PX_ENV_HTTP_HOST,
    PX_ENV_CONTENT_TYPE,
    PX_ENV_CONTENT_LENGTH,
    PX_ENV_URL_SCHEME,
    PX_ENV_SERVER_SOFTWARE,
    PX_ENV_STREAM_ID,
    PX_ENV_H2_STREAM_ID,
    PX_ENV_HTTP, /* HTTP_<NAME>: any other request field */
};

typedef struct {
    uint8_t code;      /* enum px_atom_code */
    uint8_t conv;      /* 's' or 'd' */
    uint8_t left;      /* '-': pad on the right */
    uint8_t zero;      /* '0': pad a number with zeros */
    int32_t width;     /* -1: none */
    int32_t prec;      /* -1: none */
    uint16_t env;      /* PX_AT_ENV: enum px_env */
    uint16_t slot;     /* PX_AT_RESP_FIELD */
    uint32_t off, len; /* literal text, or a name (for HTTP_X_ID: x-id), in the pool */
} px_atom;

struct px_logfmt {
    px_atom *atoms;
    size_t n;
    char *pool;
    unsigned nresp;
    uint32_t resp_off[PX_LOGFMT_MAX_RESP], resp_len[PX_LOGFMT_MAX_RESP];
};

/* The line being written: p moves, end is where the newline goes. */
typedef struct {
    char *p, *end;
} px_logout;

/* Bytes as they are.  Inline, with short runs copied by hand: a line is
 * made of many small pieces, and a memcpy call each would cost more. */
static inline void px_logout_raw(px_logout *o, const void *s, size_t n)
{
    size_t room = (size_t)(o->end - o->p);
    if (n > room)
        n = room;
    if (n > 16) {
        memcpy(o->p, s, n);
    } else {
        const char *c = s;
        for (size_t i = 0; i < n; i++)
            o->p[i] = c[i];
    }
    o->p += n;
}
/* A value: '"' as '\"', bytes outside printable ASCII as \xHH. */
void px_logout_value(px_logout *o, const uint8_t *s, size_t n);
void px_logout_str(px_logout *o, const char *s);
void px_logout_u64(px_logout *o, uint64_t v);

/* The environ entry name[0..len) names (any case, as Gunicorn compares
 * them): 0 with *env, or -1 when the proxy cannot know it. */
int px_logenv_find(const char *name, size_t len, uint16_t *env);
/* Writes the value of env for r ('-' when the request has none); for
 * PX_ENV_HTTP, field is the request field HTTP_<NAME> comes from (lower
 * case, '-' where the name has '_'). */
void px_logenv_write(px_logout *o, const px_logreq *r, unsigned env, const char *field,
                     size_t fieldlen);
/* PATH_INFO: the path percent-decoded. */
void px_logenv_path_info(px_logout *o, const px_logreq *r);
/* The user of a Basic Authorization field, as Gunicorn's u; 0 when none. */
int px_logenv_user(px_logout *o, const px_logreq *r);
/* The last request field named name (lower-case), as Gunicorn's {NAME}i. */
const tp_header *px_logenv_field(const px_logreq *r, const char *name, size_t len);

#endif

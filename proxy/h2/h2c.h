/* h2c.h: a cleartext HTTP/1 connection turning into HTTP/2 (h2c), by the
 * connection preface (prior knowledge, RFC 9113 §3.3) or by "Upgrade: h2c"
 * (RFC 7540 §3.2), for peers in --forwarded-allow-ips only and as
 * --http2-cleartext allows.  h2c is meant for a trusted front proxy on a
 * private network: anyone else keeps getting HTTP/1.x, as if h2c were off,
 * so an untrusted client cannot pick a protocol the operator did not expose. */
#ifndef TANDEM_H2C_H
#define TANDEM_H2C_H

#include <stddef.h>
#include "h1_parser.h"

typedef struct px_conn px_conn;
typedef struct px_stream px_stream;

/* The connection preface opened the connection: 1 switched (skip: the
 * empty lines before it, dropped), 0 not allowed here. */
int px_h2c_prior_knowledge(px_conn *c, size_t skip);
/* A first request that is not HTTP/1 (r: what the parser made of it),
 * from a peer allowed prior knowledge: on a prior-knowledge-only listener,
 * or when it began like the preface ("PRI"), it is a wrong HTTP/2
 * preface, answered GOAWAY(PROTOCOL_ERROR) by the HTTP/2 session (h2spec
 * 3.5/2).  1 switched, 0 not ours (a 400 then). */
int px_h2c_bad_preface(px_conn *c, const px_h1_request *r);
/* A trusted peer on a prior-knowledge-only listener spoke HTTP/1. */
int px_h2c_h1_refused(const px_conn *c);
/* An Upgrade: h2c request may switch (trusted, allowed, no body). */
int px_h2c_can_upgrade(const px_conn *c, const px_h1_request *r);
/* Answers 101 and makes the kept request s stream 1 of an HTTP/2 session
 * on c (s is freed: the request moves into an HTTP/2 stream); -1, nothing
 * sent and nothing changed, when its HTTP2-Settings is malformed or the
 * session cannot be made: serve it as HTTP/1.1 then. */
int px_h2c_upgrade(px_conn *c, px_stream *s);

#endif

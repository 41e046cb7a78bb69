/* px_piece.h: a worker's response body kept in pieces of our own, each one
 * exactly sized with room in front for an HTTP/2 frame header, so that h2
 * sends a piece as one DATA frame in one TLS record without copying it. */
#ifndef PX_PIECE_H
#define PX_PIECE_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>

typedef struct px_stream px_stream;

#define PX_PIECE_ROOM 9 /* an HTTP/2 frame header */
/* Header and piece fill one 16 KiB TLS record. */
#define PX_PIECE_MAX (16384 - PX_PIECE_ROOM)

/* Owned by references: the s->resp chain that holds it, the stream's queue
 * while the stream may send it whole, and the output chain that carries it
 * framed.  All on the stream's thread. */
typedef struct px_piece {
    struct px_piece *next; /* the stream's queue */
    uint64_t at;           /* offset of its first byte in the stream's body */
    uint32_t len;
    uint32_t refs;
    unsigned char room[PX_PIECE_ROOM];
    unsigned char data[];
} px_piece;

/* A piece of len bytes, one reference (the caller's); NULL out of memory. */
px_piece *px_piece_new(size_t len);
void px_piece_unref(px_piece *p);
/* Appends p's bytes to buf as a chain that holds a reference.  0 or -1. */
int px_piece_add(struct evbuffer *buf, px_piece *p);

/* While a frame whose body was read straight into pieces is decoded, the
 * pieces (linked by next, the caller holding them) are handed here, and
 * px_piece_take takes those at the front of its input over, uncopied. */
void px_piece_hand(px_piece *list);
void px_piece_hand_back(void);

/* Moves n bytes from the front of in to the end of s->resp in pieces of at
 * most PX_PIECE_MAX (one copy, none for handed pieces); queued on s when s->pieces_framed.  0, or
 * -1 out of memory: the n bytes are gone from in all the same (some perhaps
 * into s->resp). */
int px_piece_take(px_stream *s, struct evbuffer *in, size_t n);

/* The piece at the front of s->resp when it is still whole, else NULL (the
 * queue drops what has gone). */
px_piece *px_piece_front(px_stream *s);

/* How many bytes a DATA frame may take from the front of s->resp and end
 * where a piece starts or ends (SIZE_MAX: no piece queued): the next frame
 * then takes a piece whole, even after a flow-control window cut one. */
size_t px_piece_frame_max(px_stream *s);

/* Appends the front piece p to out behind the frame header hd (its room
 * holds it: one chain, no copy) and drops it from s->resp and the queue.
 * 0, or -1 out of memory (nothing changed). */
int px_piece_send_framed(px_stream *s, px_piece *p, struct evbuffer *out, const uint8_t hd[9]);

/* n bytes left the front of s->resp otherwise (copied out). */
void px_piece_consumed(px_stream *s, size_t n);

/* Empties the queue (the pieces live on in their chains). */
void px_piece_forget(px_stream *s);

#endif

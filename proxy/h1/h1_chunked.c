/* h1_chunked.c: incremental decoder for the chunked transfer coding
 * (RFC 9112 §7.1), one byte of state machine per control byte and zero-copy
 * spans for data, so any split of the input decodes the same. */
#include "h1_internal.h"

#include <string.h>

#define PX_H1_DEF_CHUNK_LINE 4096u
#define PX_H1_DEF_TRAILERS 8192u
#define PX_H1_CHUNK_MAX UINT64_C(0x7fffffffffffffff)

/* Zero is the initial state, so a zeroed struct is ready to use. */
enum {
    CH_SIZE0 = 0, /* first HEXDIG of chunk-size */
    CH_SIZE,      /* more HEXDIG, ';' or CR */
    CH_EXT_NAME0, /* first tchar of a chunk-ext-name */
    CH_EXT_NAME,  /* more tchar, '=', ';' or CR */
    CH_EXT_VAL0,  /* token or quoted-string after '=' */
    CH_EXT_TOKEN,
    CH_EXT_QUOTED,
    CH_EXT_QESC, /* after '\\' in a quoted-string */
    CH_EXT_END,  /* after a closing quote: ';' or CR */
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRL_START, /* start of a trailer line or the final CRLF */
    CH_TRL_NAME,
    CH_TRL_VALUE,
    CH_TRL_LF,
    CH_END_LF,
    CH_DONE,
    CH_ERROR,
};

static int fail(px_h1_chunked *c, const char *why)
{
    c->state = CH_ERROR;
    c->error = why;
    return -1;
}

static int hexval(uint8_t b)
{
    if ((uint8_t)(b - '0') < 10)
        return b - '0';
    b |= 0x20;
    return (uint8_t)(b - 'a') < 6 ? b - 'a' + 10 : -1;
}

/* End of the chunk-size line: CR, then LF decides data or last-chunk. */
static int size_line_end(px_h1_chunked *c, uint8_t b)
{
    if (b == '\r') {
        c->state = CH_SIZE_LF;
        return 0;
    }
    if (b == '\n')
        return fail(c, "bare LF in chunk-size line");
    return -2; /* not a line end: the caller decides */
}

/* chunk-size = 1*HEXDIG, at most 2^63-1.  No whitespace anywhere in the
 * line: RFC 9112 allows BWS before ';', but "5 ;x" and "5 " are classic
 * smuggling probes that parsers read differently, so we refuse them. */
static int step_size(px_h1_chunked *c, uint8_t b)
{
    int d = hexval(b);
    int r;

    if (d >= 0) {
        if (c->remaining > (PX_H1_CHUNK_MAX - (uint64_t)d) >> 4)
            return fail(c, "chunk size too large");
        c->remaining = (c->remaining << 4) | (uint64_t)d;
        c->state = CH_SIZE;
        return 0;
    }
    if (c->state == CH_SIZE0)
        return fail(c, "chunk size is not hex");
    if (b == ';') {
        c->state = CH_EXT_NAME0;
        return 0;
    }
    r = size_line_end(c, b);
    return r == -2 ? fail(c, "invalid character after chunk size") : r;
}

/* chunk-ext = *( ";" chunk-ext-name [ "=" ( token / quoted-string ) ] ),
 * validated and dropped. */
static int step_ext(px_h1_chunked *c, uint8_t b)
{
    int r;

    switch (c->state) {
    case CH_EXT_NAME0:
        if (!px_h1_is(b, PX_H1_TCHAR))
            return fail(c, "invalid chunk extension");
        c->state = CH_EXT_NAME;
        return 0;
    case CH_EXT_VAL0:
        if (b == '"') {
            c->state = CH_EXT_QUOTED;
            return 0;
        }
        if (!px_h1_is(b, PX_H1_TCHAR))
            return fail(c, "invalid chunk extension value");
        c->state = CH_EXT_TOKEN;
        return 0;
    case CH_EXT_QUOTED:
        if (b == '"')
            c->state = CH_EXT_END;
        else if (b == '\\')
            c->state = CH_EXT_QESC;
        else if (!px_h1_is(b, PX_H1_QDTEXT))
            return fail(c, "invalid character in chunk extension");
        return 0;
    case CH_EXT_QESC:
        /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
        if (!px_h1_is(b, PX_H1_FVAL))
            return fail(c, "invalid quoted-pair in chunk extension");
        c->state = CH_EXT_QUOTED;
        return 0;
    default: break;
    }
    /* CH_EXT_NAME, CH_EXT_TOKEN, CH_EXT_END */
    if (c->state != CH_EXT_END && px_h1_is(b, PX_H1_TCHAR))
        return 0;
    if (c->state == CH_EXT_NAME && b == '=') {
        c->state = CH_EXT_VAL0;
        return 0;
    }
    if (b == ';') {
        c->state = CH_EXT_NAME0;
        return 0;
    }
    r = size_line_end(c, b);
    return r == -2 ? fail(c, "invalid chunk extension") : r;
}

/* After the size line's CRLF: data, or the trailer section of last-chunk. */
static int step_size_lf(px_h1_chunked *c, uint8_t b)
{
    if (b != '\n')
        return fail(c, "bare CR in chunk-size line");
    c->line_len = 0;
    c->state = c->remaining ? CH_DATA : CH_TRL_START;
    return 0;
}

/* trailer-section = *( field-line CRLF ) CRLF, validated like header
 * fields (no obs-fold, token names, no CTL in values) and discarded. */
static int step_trailer(px_h1_chunked *c, uint8_t b)
{
    switch (c->state) {
    case CH_TRL_START:
        if (b == '\r') {
            c->state = CH_END_LF;
            return 0;
        }
        if (!px_h1_is(b, PX_H1_TCHAR))
            return fail(c, "invalid trailer field line");
        c->state = CH_TRL_NAME;
        return 0;
    case CH_TRL_NAME:
        if (b == ':')
            c->state = CH_TRL_VALUE;
        else if (!px_h1_is(b, PX_H1_TCHAR))
            return fail(c, "invalid trailer field name");
        return 0;
    case CH_TRL_VALUE:
        if (b == '\r')
            c->state = CH_TRL_LF;
        else if (!px_h1_is(b, PX_H1_FVAL))
            return fail(c, "invalid character in trailer field");
        return 0;
    case CH_TRL_LF:
        if (b != '\n')
            return fail(c, "bare CR in trailer section");
        c->line_len = 0;
        c->state = CH_TRL_START;
        return 0;
    default: /* CH_END_LF */
        if (b != '\n')
            return fail(c, "bare CR after trailer section");
        c->done = 1;
        c->state = CH_DONE;
        return 0;
    }
}

/* Every line is bounded by max_line (its bytes before CRLF) and the trailer
 * section by max_trailers (all of it, final CRLF included), so a peer
 * cannot keep us reading one line forever. */
static int count_byte(px_h1_chunked *c, uint8_t b)
{
    uint32_t max_line = c->max_line ? c->max_line : PX_H1_DEF_CHUNK_LINE;
    uint32_t max_trl = c->max_trailers ? c->max_trailers : PX_H1_DEF_TRAILERS;

    if (c->state >= CH_TRL_START && ++c->trailer_bytes > max_trl)
        return fail(c, "trailer section too large");
    if (b == '\r' || c->state == CH_SIZE_LF || c->state == CH_TRL_LF || c->state == CH_END_LF ||
        c->state == CH_DATA_CR || c->state == CH_DATA_LF)
        return 0;
    if (++c->line_len > max_line)
        return fail(c, c->state >= CH_TRL_START ? "trailer field too long"
                                                : "chunk-size line too long");
    return 0;
}

static int step(px_h1_chunked *c, uint8_t b)
{
    if (count_byte(c, b) < 0)
        return -1;
    switch (c->state) {
    case CH_SIZE0:
    case CH_SIZE: return step_size(c, b);
    case CH_SIZE_LF: return step_size_lf(c, b);
    case CH_DATA_CR:
        if (b != '\r')
            return fail(c,
                        b == '\n' ? "bare LF after chunk data" : "missing CRLF after chunk data");
        c->state = CH_DATA_LF;
        return 0;
    case CH_DATA_LF:
        if (b != '\n')
            return fail(c, "bare CR after chunk data");
        c->line_len = 0;
        c->state = CH_SIZE0;
        return 0;
    default:
        if (c->state >= CH_TRL_START)
            return step_trailer(c, b);
        return step_ext(c, b);
    }
}

void px_h1_chunked_init(px_h1_chunked *c) { memset(c, 0, sizeof *c); }

int px_h1_chunked_decode(px_h1_chunked *c, const uint8_t *in, size_t len, size_t *consumed,
                         size_t *data_off, size_t *data_len)
{
    size_t i = 0;

    *consumed = 0;
    *data_off = 0;
    *data_len = 0;
    if (c->state == CH_ERROR)
        return PX_H1_ERROR;
    while (i < len && c->state != CH_DONE) {
        if (c->state == CH_DATA) {
            size_t n = len - i;
            if ((uint64_t)n > c->remaining)
                n = (size_t)c->remaining;
            *data_off = i;
            *data_len = n;
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = CH_DATA_CR;
            *consumed = i + n;
            return PX_H1_OK;
        }
        if (step(c, in[i++]) < 0) {
            *consumed = i;
            return PX_H1_ERROR;
        }
    }
    *consumed = i;
    return c->state == CH_DONE ? PX_H1_OK : PX_H1_AGAIN;
}

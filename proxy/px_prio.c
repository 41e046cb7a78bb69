/* px_prio.c: a strict RFC 8941 dictionary reader, just enough for RFC 9218's
 * Priority field: every item type is recognised (so a valid field with
 * members we do not know is still honoured), only "u" and "i" are kept.
 * Written here because nghttp2 exports its parser only from 1.53. */
#include "config.h"
#include "px_prio.h"
#include "tc_http.h"

typedef struct {
    const uint8_t *p, *end;
} rd;

enum { T_NONE, T_INT, T_BOOL, T_OTHER };

typedef struct {
    int type;
    long long num; /* T_INT value, T_BOOL 0/1 */
} item;

static int lcalpha(uint8_t c) { return c >= 'a' && c <= 'z'; }
static int digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int alpha(uint8_t c) { return lcalpha(c) || (c >= 'A' && c <= 'Z'); }

static int peek(const rd *r) { return r->p < r->end ? *r->p : -1; }

static void skip_sp(rd *r)
{
    while (r->p < r->end && *r->p == ' ')
        r->p++;
}

static void skip_ows(rd *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
        r->p++;
}

/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static int key(rd *r, const uint8_t **k, size_t *klen)
{
    int c = peek(r);
    if (c < 0 || !(lcalpha((uint8_t)c) || c == '*'))
        return -1;
    const uint8_t *s = r->p++;
    while (r->p < r->end) {
        uint8_t d = *r->p;
        if (!(lcalpha(d) || digit(d) || d == '_' || d == '-' || d == '.' || d == '*'))
            break;
        r->p++;
    }
    *k = s;
    *klen = (size_t)(r->p - s);
    return 0;
}

static int number(rd *r, item *it)
{
    int neg = 0, ndig = 0, frac = -1;
    long long v = 0;
    if (peek(r) == '-') {
        neg = 1;
        r->p++;
    }
    if (peek(r) < 0 || !digit(*r->p))
        return -1;
    while (r->p < r->end) {
        uint8_t c = *r->p;
        if (digit(c)) {
            if (frac >= 0) {
                if (++frac > 3)
                    return -1;
            } else if (++ndig > 15) {
                return -1;
            } else {
                v = v * 10 + (c - '0');
            }
        } else if (c == '.' && frac < 0) {
            if (ndig > 12)
                return -1;
            frac = 0;
        } else {
            break;
        }
        r->p++;
    }
    if (frac == 0)
        return -1; /* "1." */
    it->type = frac > 0 ? T_OTHER : T_INT;
    it->num = neg ? -v : v;
    return 0;
}

static int bare_item(rd *r, item *it)
{
    int c = peek(r);
    if (c < 0)
        return -1;
    if (c == '-' || digit((uint8_t)c))
        return number(r, it);
    it->type = T_OTHER;
    if (c == '"') {
        for (r->p++; r->p < r->end; r->p++) {
            uint8_t d = *r->p;
            if (d == '\\') {
                if (++r->p >= r->end || (*r->p != '"' && *r->p != '\\'))
                    return -1;
            } else if (d == '"') {
                r->p++;
                return 0;
            } else if (d < 0x20 || d > 0x7e) {
                return -1;
            }
        }
        return -1;
    }
    if (c == '*' || alpha((uint8_t)c)) {
        /* sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" ) */
        for (r->p++; r->p < r->end; r->p++)
            if (!tc_http_is_tchar(*r->p) && *r->p != ':' && *r->p != '/')
                break;
        return 0;
    }
    if (c == ':') {
        for (r->p++; r->p < r->end && *r->p != ':'; r->p++)
            if (!(alpha(*r->p) || digit(*r->p) || *r->p == '+' || *r->p == '/' || *r->p == '='))
                return -1;
        if (r->p >= r->end)
            return -1;
        r->p++;
        return 0;
    }
    if (c == '?') {
        r->p++;
        if (peek(r) != '0' && peek(r) != '1')
            return -1;
        it->type = T_BOOL;
        it->num = *r->p++ == '1';
        return 0;
    }
    return -1;
}

/* parameters = *( ";" *SP param-key [ "=" bare-item ] ), all skipped. */
static int parameters(rd *r)
{
    while (peek(r) == ';') {
        r->p++;
        skip_sp(r);
        const uint8_t *k;
        size_t kl;
        if (key(r, &k, &kl) < 0)
            return -1;
        if (peek(r) == '=') {
            item it;
            r->p++;
            if (bare_item(r, &it) < 0)
                return -1;
        }
    }
    return 0;
}

static int member_value(rd *r, item *it)
{
    if (peek(r) == '(') {
        /* inner-list: "(" *SP [ item *( 1*SP item ) *SP ] ")" parameters */
        r->p++;
        for (;;) {
            skip_sp(r);
            if (peek(r) == ')') {
                r->p++;
                break;
            }
            item in;
            if (bare_item(r, &in) < 0 || parameters(r) < 0)
                return -1;
            if (peek(r) != ' ' && peek(r) != ')')
                return -1;
        }
        it->type = T_OTHER;
        return parameters(r);
    }
    if (bare_item(r, it) < 0)
        return -1;
    return parameters(r);
}

int px_prio_parse(const uint8_t *v, size_t len, uint8_t *urgency, uint8_t *incremental)
{
    rd r = { v, v + len };
    item u = { T_NONE, 0 }, inc = { T_NONE, 0 };
    skip_sp(&r);
    while (r.p < r.end) {
        const uint8_t *k;
        size_t kl;
        item it;
        if (key(&r, &k, &kl) < 0)
            return -1;
        if (peek(&r) == '=') {
            r.p++;
            if (member_value(&r, &it) < 0)
                return -1;
        } else {
            it.type = T_BOOL; /* a bare key is boolean true */
            it.num = 1;
            if (parameters(&r) < 0)
                return -1;
        }
        if (kl == 1 && k[0] == 'u')
            u = it;
        else if (kl == 1 && k[0] == 'i')
            inc = it;
        skip_ows(&r);
        if (r.p == r.end)
            break;
        if (*r.p != ',')
            return -1;
        r.p++;
        skip_ows(&r);
        if (r.p == r.end)
            return -1; /* trailing comma */
    }
    *urgency =
        u.type == T_INT && u.num >= 0 && u.num <= 7 ? (uint8_t)u.num : PX_PRIO_URGENCY_DEFAULT;
    *incremental = inc.type == T_BOOL ? (uint8_t)inc.num : 0;
    return 0;
}

int px_prio_update_decode(const uint8_t *p, size_t len, uint32_t *stream_id, const uint8_t **value,
                          size_t *value_len)
{
    if (len < 4)
        return -1;
    *stream_id =
        ((uint32_t)(p[0] & 0x7f) << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    *value = p + 4;
    *value_len = len - 4;
    return 0;
}

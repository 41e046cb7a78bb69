/* px_logfmt.c: the access-log format (px_logfmt.h): Gunicorn's
 * access_log_format compiled into atoms at start-up, refusing what it
 * cannot write, and each request's line written from them with no
 * allocation.  The environ atoms are px_logenv.c's. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "px_logfmt_int.h"
#include "tc_decimal.h"

/* ---- compiling ---- */

static const char letters[] = "hlutrsmUqHbBfaTDMLp";

static const char atoms_help[] =
    "(Gunicorn's: h l u t r s m U q H b B f a T D M L p {header}i {header}o {variable}e; "
    "tandem's: {stream_id}t {worker_pid}t {connection}t)";

typedef struct {
    px_logfmt *f;
    size_t pool_len;
    char *err;
    size_t errlen;
} compiler;

static uint32_t pool_add(compiler *c, const char *s, size_t n, int (*conv)(int))
{
    uint32_t off = (uint32_t)c->pool_len;
    for (size_t i = 0; i < n; i++)
        c->f->pool[c->pool_len++] = conv ? (char)conv((unsigned char)s[i]) : s[i];
    c->f->pool[c->pool_len] = '\0';
    return off;
}

static px_atom *new_atom(compiler *c, uint8_t code)
{
    px_atom *a = &c->f->atoms[c->f->n++];
    memset(a, 0, sizeof *a);
    a->code = code;
    a->conv = 's';
    a->width = a->prec = -1;
    return a;
}

static void add_literal(compiler *c, const char *s, size_t n)
{
    if (n == 0)
        return;
    px_atom *prev = c->f->n ? &c->f->atoms[c->f->n - 1] : NULL;
    if (prev && prev->code == PX_AT_LITERAL && prev->off + prev->len == c->pool_len) {
        pool_add(c, s, n, NULL);
        prev->len += (uint32_t)n;
        return;
    }
    px_atom *a = new_atom(c, PX_AT_LITERAL);
    a->off = pool_add(c, s, n, NULL);
    a->len = (uint32_t)n;
}

static int fail(compiler *c, const char *what, const char *p, size_t n, const char *why)
{
    snprintf(c->err, c->errlen, "access_log_format: %s%s'%.*s' %s", what, *what ? " " : "",
             (int)(n > 80 ? 80 : n), p, why);
    return -1;
}

static int resp_slot(compiler *c, const char *name, size_t n)
{
    px_logfmt *f = c->f;
    for (unsigned i = 0; i < f->nresp; i++)
        if (f->resp_len[i] == n && strncasecmp(f->pool + f->resp_off[i], name, n) == 0)
            return (int)i;
    if (f->nresp == PX_LOGFMT_MAX_RESP)
        return -1;
    f->resp_off[f->nresp] = pool_add(c, name, n, tolower);
    f->resp_len[f->nresp] = (uint32_t)n;
    return (int)f->nresp++;
}

/* An HTTP_ environ name's character as the request field's: lower case,
 * '_' for '-' (appd makes HTTP_X_ID of x-id, and drops fields with '_'). */
static int field_char(int ch) { return ch == '_' ? '-' : tolower(ch); }

/* tandem's own atoms: {NAME}t. */
static int own_atom(const char *name, size_t n)
{
    static const struct {
        const char *name;
        uint8_t code;
    } own[] = { { "stream_id", PX_AT_STREAM_ID },
                { "worker_pid", PX_AT_WORKER_PID },
                { "connection", PX_AT_CONNECTION } };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strlen(own[i].name) == n && strncasecmp(own[i].name, name, n) == 0)
            return own[i].code;
    return -1;
}

/* {NAME}X: Gunicorn lower-cases the whole key, so X may be in any case. */
static int braced_atom(compiler *c, px_atom *a, const char *key, size_t n)
{
    const char *close = memchr(key, '}', n);
    if (close == NULL || close == key + 1 || close + 2 != key + n)
        return fail(c, "unknown atom", key, n, atoms_help);
    const char *name = key + 1;
    size_t nl = (size_t)(close - name);
    switch (tolower((unsigned char)key[n - 1])) {
    case 'i':
        a->code = PX_AT_REQ_FIELD;
        a->off = pool_add(c, name, nl, tolower);
        a->len = (uint32_t)nl;
        return 0;
    case 'o': {
        int slot = resp_slot(c, name, nl);
        if (slot < 0)
            return fail(c, "too many response fields at", key, n, "(16 at most)");
        a->code = PX_AT_RESP_FIELD;
        a->slot = (uint16_t)slot;
        return 0;
    }
    case 'e':
        if (px_logenv_find(name, nl, &a->env) < 0)
            return fail(c, "environ variable", key, n,
                        "is not one the proxy knows (see tandem.conf(5), access_log_format)");
        a->code = PX_AT_ENV;
        if (a->env == PX_ENV_HTTP) { /* HTTP_X_ID: the field x-id */
            name += 5;
            nl -= 5;
        }
        a->off = pool_add(c, name, nl, field_char);
        a->len = (uint32_t)nl;
        return 0;
    case 't': {
        int code = own_atom(name, nl);
        if (code < 0)
            return fail(c, "unknown atom", key, n, atoms_help);
        a->code = (uint8_t)code;
        return 0;
    }
    default: return fail(c, "unknown atom", key, n, atoms_help);
    }
}

static int name_atom(compiler *c, px_atom *a, const char *key, size_t n)
{
    if (n >= 1 && key[0] == '{')
        return braced_atom(c, a, key, n);
    const char *l = n == 1 ? strchr(letters, key[0]) : NULL;
    if (l == NULL || key[0] == '\0')
        return fail(c, "unknown atom", key, n, atoms_help);
    a->code = (uint8_t)(PX_AT_h + (l - letters));
    return 0;
}

static int integer_atom(uint8_t code)
{
    return code == PX_AT_B || code == PX_AT_T || code == PX_AT_D || code == PX_AT_M;
}

/* After "%(key)": flags, width, precision, length modifier, conversion, as
 * Python reads them.  *pp moves past the conversion. */
static int conversion(compiler *c, px_atom *a, const char **pp, const char *spec)
{
    const char *p = *pp;
    for (;; p++) {
        if (*p == '-')
            a->left = 1;
        else if (*p == '0')
            a->zero = 1;
        else if (*p == '+' || *p == ' ' || *p == '#')
            return fail(c, "flag in", spec, (size_t)(p + 1 - spec), "is not supported (only - 0)");
        else
            break;
    }
    if (*p == '*')
        return fail(c, "width", spec, (size_t)(p + 1 - spec), "'*' is not supported");
    for (a->width = isdigit((unsigned char)*p) ? 0 : -1; isdigit((unsigned char)*p); p++)
        if ((a->width = a->width * 10 + (*p - '0')) > 4096)
            return fail(c, "width in", spec, (size_t)(p + 1 - spec), "is over 4096");
    if (*p == '.') {
        for (a->prec = 0, p++; isdigit((unsigned char)*p); p++)
            if ((a->prec = a->prec * 10 + (*p - '0')) > 65536)
                return fail(c, "precision in", spec, (size_t)(p + 1 - spec), "is over 65536");
    }
    while (*p == 'h' || *p == 'l' || *p == 'L')
        p++;
    if (*p == '\0')
        return fail(c, "incomplete", spec, (size_t)(p - spec), "(no conversion after it)");
    if (*p == 'd' || *p == 'i') {
        if (!integer_atom(a->code))
            return fail(c, "conversion", spec, (size_t)(p + 1 - spec),
                        "is for B T D M only (the others are text: use s)");
        a->conv = 'd';
    } else if (*p != 's') {
        return fail(c, "conversion", spec, (size_t)(p + 1 - spec), "is not supported (use s)");
    }
    *pp = p + 1;
    return 0;
}

/* "%(key)..." at p (p[1] is '('); the key ends at the matching ')',
 * nested parentheses counted as Python counts them. */
static int spec_atom(compiler *c, const char **pp)
{
    const char *spec = *pp, *key = spec + 2, *p = key;
    int depth = 1;
    for (; *p; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            break;
    }
    if (*p != ')')
        return fail(c, "unclosed", spec, strlen(spec), "(a ')' is missing)");
    px_atom *a = new_atom(c, PX_AT_LITERAL);
    if (name_atom(c, a, key, (size_t)(p - key)) < 0)
        return -1;
    *pp = p + 1;
    return conversion(c, a, pp, spec);
}

int px_logfmt_compile(const char *fmt, px_logfmt **out, char *err, size_t errlen)
{
    size_t len = strlen(fmt);
    px_logfmt *f = calloc(1, sizeof *f);
    compiler c = { f, 0, err, errlen };
    if (f == NULL || (f->atoms = calloc(len + 1, sizeof *f->atoms)) == NULL ||
        (f->pool = malloc(2 * len + 1)) == NULL) {
        px_logfmt_free(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    f->pool[0] = '\0';
    for (const char *p = fmt; *p;) {
        const char *pct = strchr(p, '%');
        if (pct == NULL) {
            add_literal(&c, p, strlen(p));
            break;
        }
        add_literal(&c, p, (size_t)(pct - p));
        if (pct[1] == '%') {
            add_literal(&c, "%", 1);
            p = pct + 2;
        } else if (pct[1] == '(') {
            p = pct;
            if (spec_atom(&c, &p) < 0)
                goto bad;
        } else {
            fail(&c, "", pct, pct[1] ? 2 : 1,
                 "has no (name): write %(name)s for an atom, %% for a '%'");
            goto bad;
        }
    }
    *out = f;
    return 0;
bad:
    px_logfmt_free(f);
    return -1;
}

void px_logfmt_free(px_logfmt *f)
{
    if (f == NULL)
        return;
    free(f->atoms);
    free(f->pool);
    free(f);
}

unsigned px_logfmt_resp_count(const px_logfmt *f) { return f->nresp; }

int px_logfmt_resp_slot(const px_logfmt *f, const uint8_t *name, size_t len)
{
    for (unsigned i = 0; i < f->nresp; i++)
        if (f->resp_len[i] == len &&
            strncasecmp(f->pool + f->resp_off[i], (const char *)name, len) == 0)
            return (int)i;
    return -1;
}

/* ---- writing ---- */

void px_logout_str(px_logout *o, const char *s) { px_logout_raw(o, s, strlen(s)); }

/* Bytes written as they are: printable ASCII but '"'. */
static int plain(uint8_t b) { return b >= 0x20 && b < 0x7f && b != '"'; }

void px_logout_value(px_logout *o, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n && o->p < o->end;) {
        size_t run = i;
        while (run < n && plain(s[run]))
            run++;
        px_logout_raw(o, s + i, run - i);
        if (run == n)
            return;
        uint8_t b = s[run];
        if (b == '"') {
            px_logout_raw(o, "\\\"", 2);
        } else {
            char esc[4] = { '\\', 'x', hex[b >> 4], hex[b & 15] };
            px_logout_raw(o, esc, 4);
        }
        i = run + 1;
    }
}

void px_logout_u64(px_logout *o, uint64_t v)
{
    char b[TC_DECIMAL_MAX];
    px_logout_raw(o, b, tc_decimal(v, b));
}

static void value_or_dash(px_logout *o, tp_str v)
{
    if (v.ptr)
        px_logout_value(o, v.ptr, v.len);
    else
        px_logout_raw(o, "-", 1);
}

static void protocol(px_logout *o, const px_logreq *r)
{
    px_logout_str(o, r->http_major >= 2 ? "HTTP/2.0" : r->http_minor ? "HTTP/1.1" : "HTTP/1.0");
}

/* Gunicorn's r: "METHOD RAW_URI SERVER_PROTOCOL". */
static void request_line(px_logout *o, const px_logreq *r)
{
    px_logout_value(o, r->method.ptr, r->method.len);
    px_logout_raw(o, " ", 1);
    px_logout_value(o, r->path.ptr, r->path.len);
    if (r->query.len) {
        px_logout_raw(o, "?", 1);
        px_logout_value(o, r->query.ptr, r->query.len);
    }
    px_logout_raw(o, " ", 1);
    protocol(o, r);
}

static void duration(px_logout *o, const px_logreq *r, uint8_t code)
{
    uint64_t us = r->usec;
    if (code == PX_AT_T) {
        px_logout_u64(o, us / 1000000);
    } else if (code == PX_AT_D) {
        px_logout_u64(o, us);
    } else if (code == PX_AT_M) {
        px_logout_u64(o, us / 1000);
    } else { /* L: "%d.%06d" */
        char frac[7];
        unsigned f = (unsigned)(us % 1000000);
        for (int i = 5; i >= 0; i--, f /= 10)
            frac[i] = (char)('0' + f % 10);
        frac[6] = '.';
        px_logout_u64(o, us / 1000000);
        px_logout_raw(o, frac + 6, 1);
        px_logout_raw(o, frac, 6);
    }
}

static void pid_or_dash(px_logout *o, uint32_t v)
{
    if (v)
        px_logout_u64(o, v);
    else
        px_logout_raw(o, "-", 1);
}

/* The request's own atoms (m U q H r), which a request the proxy could not
 * understand lacks. */
static int request_atom(px_logout *o, const px_logreq *r, uint8_t code)
{
    if (r->http_major == 0)
        return 0;
    switch (code) {
    case PX_AT_r: request_line(o, r); break;
    case PX_AT_m: px_logout_value(o, r->method.ptr, r->method.len); break;
    case PX_AT_U: px_logenv_path_info(o, r); break;
    case PX_AT_q: px_logout_value(o, r->query.ptr, r->query.len); break;
    case PX_AT_H: protocol(o, r); break;
    default: return 0;
    }
    return 1;
}

static void write_value(px_logout *o, const px_logfmt *f, const px_atom *a, const px_logreq *r)
{
    const tp_header *h;
    const char *name = f->pool + a->off;
    switch (a->code) {
    case PX_AT_LITERAL: px_logout_raw(o, name, a->len); return;
    case PX_AT_h:
        if (r->peer_addr.len)
            px_logout_value(o, r->peer_addr.ptr, r->peer_addr.len);
        else
            px_logout_raw(o, "-", 1);
        return;
    case PX_AT_u:
        if (!px_logenv_user(o, r))
            px_logout_raw(o, "-", 1);
        return;
    case PX_AT_t: px_logout_str(o, r->clf_time ? r->clf_time : "-"); return;
    case PX_AT_r:
    case PX_AT_m:
    case PX_AT_U:
    case PX_AT_q:
    case PX_AT_H:
        if (!request_atom(o, r, a->code))
            px_logout_raw(o, "-", 1);
        return;
    case PX_AT_s: px_logout_u64(o, r->status); return;
    case PX_AT_b:
    case PX_AT_B: px_logout_u64(o, r->sent); return;
    case PX_AT_f: px_logenv_write(o, r, PX_ENV_HTTP, "referer", 7); return;
    case PX_AT_a: px_logenv_write(o, r, PX_ENV_HTTP, "user-agent", 10); return;
    case PX_AT_T:
    case PX_AT_D:
    case PX_AT_M:
    case PX_AT_L: duration(o, r, a->code); return;
    case PX_AT_p:
        px_logout_raw(o, "<", 1);
        px_logout_u64(o, r->worker_pid ? r->worker_pid : r->proxy_pid);
        px_logout_raw(o, ">", 1);
        return;
    case PX_AT_REQ_FIELD:
        h = px_logenv_field(r, name, a->len);
        if (h)
            px_logout_value(o, h->value.ptr, h->value.len);
        else if (a->len == 4 && memcmp(name, "host", 4) == 0 && r->authority.len)
            px_logout_value(o, r->authority.ptr, r->authority.len); /* h2's :authority */
        else
            px_logout_raw(o, "-", 1);
        return;
    case PX_AT_RESP_FIELD:
        value_or_dash(o, r->resp ? r->resp[a->slot] : (tp_str){ NULL, 0 });
        return;
    case PX_AT_ENV: px_logenv_write(o, r, a->env, name, a->len); return;
    case PX_AT_STREAM_ID: pid_or_dash(o, r->h2_stream); return;
    case PX_AT_WORKER_PID: pid_or_dash(o, r->worker_pid); return;
    case PX_AT_CONNECTION: px_logout_u64(o, r->conn_id); return;
    default: px_logout_raw(o, "-", 1); return;
    }
}

/* Python's precision (a cut, for text) and width (padding). */
static void lay_out(px_logout *o, char *start, const px_atom *a)
{
    size_t len = (size_t)(o->p - start);
    if (a->prec >= 0 && a->conv == 's' && len > (size_t)a->prec) {
        o->p = start + a->prec;
        len = (size_t)a->prec;
    }
    if (a->width < 0 || len >= (size_t)a->width)
        return;
    size_t pad = (size_t)a->width - len, room = (size_t)(o->end - o->p);
    if (pad > room)
        pad = room;
    if (a->left) {
        memset(o->p, ' ', pad);
    } else {
        memmove(start + pad, start, len);
        memset(start, a->zero && a->conv == 'd' ? '0' : ' ', pad);
    }
    o->p += pad;
}

size_t px_logfmt_line(const px_logfmt *f, const px_logreq *r, char *buf, size_t cap)
{
    px_logout o = { buf, buf + cap - 1 };
    for (size_t i = 0; i < f->n; i++) {
        const px_atom *a = &f->atoms[i];
        char *start = o.p;
        write_value(&o, f, a, r);
        if (a->code != PX_AT_LITERAL)
            lay_out(&o, start, a);
    }
    *o.p++ = '\n';
    return (size_t)(o.p - buf);
}

size_t px_logfmt_clf_time(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    return strftime(buf, cap, "[%d/%b/%Y:%H:%M:%S %z]", &tm);
}

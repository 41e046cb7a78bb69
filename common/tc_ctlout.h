/* tc_ctlout.h: the body of a control reply, written once and rendered as
 * JSON or as aligned text for people (tandemctl without --json).  Objects
 * nest; an array holds objects, each rendered on one line in text.
 * Out of memory sets a flag and later writes do nothing: the reply then says
 * so instead of showing half a body. */
#ifndef TANDEM_TC_CTLOUT_H
#define TANDEM_TC_CTLOUT_H

#include <stddef.h>

#define TC_CTLOUT_DEPTH 8

typedef struct {
    char *buf;
    size_t len, cap;
    int json;
    int oom;
    int depth;
    int first[TC_CTLOUT_DEPTH];    /* no member written yet at this depth */
    int in_array[TC_CTLOUT_DEPTH]; /* this depth is an array (or an array's item) */
} tc_ctlout;

/* Starts the body: "{" in JSON, nothing in text. */
void tc_ctlout_begin(tc_ctlout *o, int json);
/* Closes what is open; the caller owns o->buf (free) afterwards. */
void tc_ctlout_end(tc_ctlout *o);
void tc_ctlout_free(tc_ctlout *o);

/* Members of the object open now; key is NULL for an array's items. */
void tc_ctlout_obj(tc_ctlout *o, const char *key);
void tc_ctlout_arr(tc_ctlout *o, const char *key);
void tc_ctlout_close(tc_ctlout *o);
void tc_ctlout_int(tc_ctlout *o, const char *key, long long v);
void tc_ctlout_num(tc_ctlout *o, const char *key, double v);
void tc_ctlout_str(tc_ctlout *o, const char *key, const char *v); /* NULL: null */
void tc_ctlout_bool(tc_ctlout *o, const char *key, int v);
/* A value already rendered (a Python literal from tc_opt_write_value): a
 * JSON string holding it, or the text itself. */
void tc_ctlout_raw(tc_ctlout *o, const char *key, const char *text);

#endif

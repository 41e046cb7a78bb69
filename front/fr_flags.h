/* fr_flags.h: where each flag of tandem's command line goes.  The daemons'
 * own settings tables (px_settings_table, ad_settings_table) say which flags
 * exist and describe them; the front keeps only its own flags and a small
 * table for the flags both daemons know, which it must decide itself.
 * Ownership: every pointer in an fr_flag is static (table rows and strings). */
#ifndef TANDEM_FR_FLAGS_H
#define TANDEM_FR_FLAGS_H

#include "tc_opt.h"

/* Who gets a flag; FR_TO_BOTH is FR_TO_PROXY | FR_TO_APPD. */
enum { FR_TO_PROXY = 1, FR_TO_APPD = 2, FR_TO_BOTH = 3, FR_TO_FRONT = 4 };

typedef struct {
    const char *flag;     /* as tandem spells it, e.g. "--proxy-threads" */
    const tc_opt *row;    /* the row describing it: type, metavar, help, default */
    char short_flag;      /* tandem's short spelling of it; 0 = none */
    const char *to_proxy; /* the flag tandem-proxy is given; NULL = not sent */
    const char *to_appd;  /* the flag tandem-appd is given; NULL = not sent */
    int front;            /* tandem's own (row is in the front's table) */
    int decided;          /* routed by the front's table, not by the daemons' */
    const char *refused;  /* why tandem refuses it ("is set by tandem..."); NULL = accepted */
} fr_flag;

/* Resolves "--flag", "--flag=value", "-x" or "-xVALUE".  0 with *f filled
 * (check f->refused), or -1 when neither tandem nor a daemon knows it. */
int fr_flag_find(const char *arg, fr_flag *f);

/* FR_TO_* for an accepted flag. */
int fr_flag_dest(const fr_flag *f);

/* Calls fn for every flag tandem accepts, each once, in --help order. */
void fr_flag_each(void (*fn)(const fr_flag *f, void *ctx), void *ctx);

/* The accepted flag nearest to an unknown "--flag" or "--flag=value" (a typo
 * or a flag cut short), for a "did you mean" hint; NULL when none is near,
 * or two are equally near. */
const char *fr_flag_nearest(const char *arg);

#endif

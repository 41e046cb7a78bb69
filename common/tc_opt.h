/* tc_opt.h: Gunicorn-style settings tables shared by tandem-proxy, tandem-appd
 * and tandem.  Each program owns a table of tc_opt rows describing its
 * settings (config key, flag, type, range, default, help) and a struct the
 * rows point into by offset; this module parses argv and values against it.
 *
 * Errors: every function returning int gives 0 on success or -1 with a
 * one-line message in err (naming the key/flag, the value and the allowed
 * range) that the caller prints before exiting 2.
 * Ownership: string fields are heap copies owned by the settings struct;
 * tc_opt_free() releases them. */
#ifndef TANDEM_TC_OPT_H
#define TANDEM_TC_OPT_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    TC_OPT_STR,      /* char *  */
    TC_OPT_INT,      /* long long, checked against [min, max] */
    TC_OPT_BOOL,     /* int 0/1; flag takes no argument (sets 1); values true/false/1/0/yes/no/on/off */
    TC_OPT_LIST,     /* tc_strlist; flag repeatable, each value may be a comma list */
    TC_OPT_CUSTOM,   /* parse() decides */
} tc_opt_type;

typedef struct {
    char **items;
    size_t n;
    int from_default;   /* still the default: the first explicit value replaces it */
} tc_strlist;

typedef struct tc_opt tc_opt;
struct tc_opt {
    const char *key;        /* config key, e.g. "http2_max_frame_size" */
    const char *flag;       /* long flag, e.g. "--http2-max-frame-size"; NULL = none */
    char short_flag;        /* e.g. 'b'; 0 = none */
    tc_opt_type type;
    size_t offset;          /* offsetof(settings struct, field) */
    long long min, max;     /* TC_OPT_INT range */
    const char *def;        /* default as text ("" for empty string/list, NULL = unset) */
    const char *metavar;    /* "INT", "ADDRESS", ...; NULL for BOOL */
    const char *help;       /* one line for --help */
    int (*parse)(const tc_opt *opt, void *field, const char *value, char *err, size_t errlen);
};
#define TC_OPT_END { NULL, NULL, 0, TC_OPT_STR, 0, 0, 0, NULL, NULL, NULL, NULL }

int tc_strlist_add(tc_strlist *l, const char *item);  /* copies item */
void tc_strlist_free(tc_strlist *l);

/* Sets every row's default into settings (zeroed by the caller first). */
int tc_opt_defaults(const tc_opt *table, void *settings, char *err, size_t errlen);
/* Sets one row from text, checking type and range. */
int tc_opt_set(const tc_opt *opt, void *settings, const char *value, char *err, size_t errlen);
/* Finds the row of "--flag", "--flag=value", "-x" or "-xVALUE"; NULL if none. */
const tc_opt *tc_opt_find_flag(const tc_opt *table, const char *arg);
const tc_opt *tc_opt_find_key(const tc_opt *table, const char *key);
/* Parses argv[1..argc).  Options and positionals may mix (like Gunicorn's
 * argparse); "--" ends options.  Positionals are returned in order in
 * positionals (caller's array of max_pos; more is an error).  "-h/--help" and
 * "-v/--version" are not handled here: check for them first. */
int tc_opt_parse_argv(const tc_opt *table, void *settings, int argc, char **argv,
                      char **positionals, int max_pos, int *npos, char *err, size_t errlen);
/* Prints "usage" and one line per row (flag, metavar, help, default). */
void tc_opt_usage(FILE *out, const char *usage, const tc_opt *table);
/* The parts of it, for a program that lists rows of several tables (tandem):
 * one row's line (which must have a flag), and the -h/-v lines. */
void tc_opt_usage_row(FILE *out, const tc_opt *o);
void tc_opt_usage_help_version(FILE *out);
/* Prints "key = value" for every row (--print-config). */
void tc_opt_print(FILE *out, const tc_opt *table, const void *settings);
void tc_opt_free(const tc_opt *table, void *settings);

/* Walks a comma list from *p: returns 1 with the next item in
 * [*tok, *tok + *len), blanks around it trimmed and empty items skipped, and
 * advances *p past it; returns 0 at the end. */
int tc_csv_next(const char **p, const char **tok, size_t *len);

/* Helpers for CUSTOM parsers and callers. */
int tc_parse_bool(const char *s, int *out);                 /* 0 or -1 */
int tc_parse_ll(const char *s, long long *out);             /* whole string, base 10; 0 or -1 */

#endif

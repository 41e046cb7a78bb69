/* tc_opt.h: Gunicorn-style settings tables shared by tandem-proxy, tandem-appd
 * and tandem.  Each program owns a table of tc_opt rows describing its
 * settings (config key, flags, type, range, default, help) and a struct the
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

/* The C type of a row's field, which also says what a value may be. */
typedef enum {
    TC_OPT_STR,  /* char *; NULL = unset (None) */
    TC_OPT_INT,  /* long long, checked against [min, max] */
    TC_OPT_BOOL, /* int 0/1; flag takes no argument (sets 1); values true/false/1/0/yes/no/on/off */
    TC_OPT_LIST, /* tc_strlist; flag repeatable, each value may be a comma list */
    TC_OPT_CHOICE, /* int: the index of the value in choices[] (any case) */
    /* tc_strlist of pairs (items[2k] a key, items[2k + 1] its value), for a
     * config file's dict; as text (a default) "KEY=VALUE,KEY=VALUE" */
    TC_OPT_DICT,
    /* char *: a dict of any shape (logconfig_dict), kept as its Python
     * literal ("{}"); a config file's */
    TC_OPT_PYDICT,
} tc_opt_type;

/* Where a row may be given, beyond its own program's command line. */
enum {
    /* Command line (and GUNICORN_CMD_ARGS) only, never a config file key. */
    TC_OPT_CLI_ONLY = 1 << 0,
    /* In the config file both daemons read, this key is the other daemon's
     * (tandem-appd's "bind" is its private socket; the file's is public). */
    TC_OPT_OWN_KEY = 1 << 1,
    /* In GUNICORN_CMD_ARGS, which speaks tandem's command line, this row's
     * flag and letter mean another setting; its aliases still reach it. */
    TC_OPT_OWN_FLAG = 1 << 2,
};

typedef struct {
    char **items;
    size_t n;
    /* From a source of lower precedence (the default, the config file...):
     * the first value of the next source replaces the list. */
    int from_default;
} tc_strlist;

typedef struct tc_opt tc_opt;
struct tc_opt {
    const char *key;  /* config key, e.g. "http2_max_frame_size" */
    const char *flag; /* long flag, e.g. "--http2-max-frame-size"; NULL = none */
    char short_flag;  /* e.g. 'b'; 0 = none */
    tc_opt_type type;
    size_t offset;       /* offsetof(settings struct, field) */
    long long min, max;  /* TC_OPT_INT range */
    const char *def;     /* default as text ("" for empty string/list, NULL = unset) */
    const char *metavar; /* "INT", "ADDRESS", ...; NULL for BOOL */
    const char *help;    /* one line for --help */
    /* Optional: converts one value instead of the type's own rule (for a
     * LIST, one item, not split at commas); it stores into field itself. */
    int (*parse)(const tc_opt *opt, void *field, const char *value, char *err, size_t errlen);
    const char *aliases;        /* more long flags, space-separated ("--keepalive"); NULL = none */
    const char *const *choices; /* TC_OPT_CHOICE: the names, NULL-terminated */
    unsigned flags;             /* TC_OPT_CLI_ONLY, TC_OPT_OWN_KEY, TC_OPT_OWN_FLAG */
    /* TC_OPT_CHOICE: what the flag means given without a value (Gunicorn's
     * nargs='?'); it then takes the next argument only when that argument
     * is one of choices, so "--flag app:app" leaves the app alone. */
    const char *bare;
};
#define TC_OPT_END  \
    {               \
        .key = NULL \
    }

/* Rows for a settings struct T, the way the daemons' tables write them
 * (T's field f, config key k, long flag fl, short flag sh, default d, help h). */
/* clang-format off */
#define TC_OPT_INT_ROW(T, k, fl, sh, f, lo, hi, d, h) \
    { .key = k, .flag = fl, .short_flag = sh, .type = TC_OPT_INT, .offset = offsetof(T, f), \
      .min = lo, .max = hi, .def = d, .metavar = "INT", .help = h }
#define TC_OPT_STR_ROW(T, k, fl, sh, f, d, mv, h) \
    { .key = k, .flag = fl, .short_flag = sh, .type = TC_OPT_STR, .offset = offsetof(T, f), \
      .def = d, .metavar = mv, .help = h }
#define TC_OPT_LIST_ROW(T, k, fl, sh, f, d, mv, h) \
    { .key = k, .flag = fl, .short_flag = sh, .type = TC_OPT_LIST, .offset = offsetof(T, f), \
      .def = d, .metavar = mv, .help = h }
#define TC_OPT_BOOL_ROW(T, k, fl, f, h) \
    { .key = k, .flag = fl, .type = TC_OPT_BOOL, .offset = offsetof(T, f), .def = "false", \
      .help = h }
/* clang-format on */

int tc_strlist_add(tc_strlist *l, const char *item); /* copies item */
void tc_strlist_free(tc_strlist *l);

/* Sets every row's default into settings (zeroed by the caller first). */
int tc_opt_defaults(const tc_opt *table, void *settings, char *err, size_t errlen);
/* Sets one row from text, checking type and range. */
int tc_opt_set(const tc_opt *opt, void *settings, const char *value, char *err, size_t errlen);
/* Unsets a TC_OPT_STR row (a None in a config file); -1 for other types. */
int tc_opt_unset(const tc_opt *opt, void *settings, char *err, size_t errlen);
/* Marks every list as from a lower source: the next value replaces it. */
void tc_opt_lists_replaceable(const tc_opt *table, void *settings);

/* Whether arg ("--flag" or "--flag=value") spells the row's flag or one of
 * its aliases (2 for an alias), or its letter ("-x", "-xVALUE"); 0 if not. */
int tc_opt_spells(const tc_opt *o, const char *arg);
/* Finds the row of "--flag", "--flag=value", "-x" or "-xVALUE" (flags and
 * aliases); NULL if none. */
const tc_opt *tc_opt_find_flag(const tc_opt *table, const char *arg);
/* The same, as GUNICORN_CMD_ARGS reads it: a TC_OPT_OWN_FLAG row only by an alias. */
const tc_opt *tc_opt_find_shared_flag(const tc_opt *table, const char *arg);
const tc_opt *tc_opt_find_key(const tc_opt *table, const char *key);

/* The value of the flag at argv[*i] ("--x=v", "-xv", or the next argument,
 * then *i moves past it); a boolean's is "true" unless "--x=v" says, and a
 * row with a bare value's is that unless the next argument is a choice. */
int tc_opt_flag_value(const tc_opt *o, int argc, char **argv, int *i, const char **value, char *err,
                      size_t errlen);
/* What tc_opt_walk_argv does with each option: o is its row (NULL when the
 * table has none; value is NULL then), arg the option as given.  0 goes
 * on, -1 stops the walk with err set. */
typedef int (*tc_opt_visit)(void *ctx, const tc_opt *o, const char *arg, const char *value,
                            char *err, size_t errlen);
/* Walks argv[1..argc) the way Gunicorn's argparse reads it: options and
 * positionals may mix, "--" ends options.  Each option (with its value) goes
 * to visit; positionals are returned in order in positionals (caller's array
 * of max_pos; more is an error).  "-h/--help" and "-v/--version" are not
 * handled here: check for them first. */
int tc_opt_walk_argv(const tc_opt *table, int argc, char **argv, tc_opt_visit visit, void *ctx,
                     char **positionals, int max_pos, int *npos, char *err, size_t errlen);
/* tc_opt_walk_argv setting each option into settings; an unknown one is an
 * error. */
int tc_opt_parse_argv(const tc_opt *table, void *settings, int argc, char **argv,
                      char **positionals, int max_pos, int *npos, char *err, size_t errlen);

/* Whether argv[1..argc) holds s or l before any "--": -h/--help and
 * -v/--version win over everything else, as with argparse. */
int tc_opt_asks(int argc, char **argv, const char *s, const char *l);

/* Prints "usage" and one line per row (flag, metavar, help, aliases, default). */
void tc_opt_usage(FILE *out, const char *usage, const tc_opt *table);
/* The parts of it, for a program that lists rows of several tables (tandem):
 * one row's line (which must have a flag), and the -h/-v lines. */
void tc_opt_usage_row(FILE *out, const tc_opt *o);
void tc_opt_usage_help_version(FILE *out);

/* Prints "key = value" for every row, each value a Python literal
 * (--print-config; a config file could say the same). */
void tc_opt_print(FILE *out, const tc_opt *table, const void *settings);
/* Writes one row's value of settings as a Python literal. */
void tc_opt_write_value(FILE *out, const tc_opt *o, const void *settings);
/* The same literal as a string the caller frees; NULL when out of memory. */
char *tc_opt_value_text(const tc_opt *o, const void *settings);
/* Writes the row's default as a Python literal ("2", "['h2', 'h1']", "None"). */
void tc_opt_write_default(FILE *out, const tc_opt *o);
void tc_opt_free(const tc_opt *table, void *settings);

/* Walks a comma list from *p: returns 1 with the next item in
 * [*tok, *tok + *len), blanks around it trimmed and empty items skipped, and
 * advances *p past it; returns 0 at the end. */
int tc_csv_next(const char **p, const char **tok, size_t *len);

/* Whether value names one of a TC_OPT_CHOICE row's choices (any case). */
int tc_opt_is_choice(const tc_opt *o, const char *value);
/* "KEY (--flag): 'value' is not one of A, B, C" into err. */
void tc_opt_choice_error(const tc_opt *o, const char *value, char *err, size_t errlen);

/* Helpers for parse functions and callers. */
int tc_parse_bool(const char *s, int *out);     /* 0 or -1 */
int tc_parse_ll(const char *s, long long *out); /* whole string, base 10; 0 or -1 */
/* A STR field takes a copy of value (the old one freed): what a row's own
 * parse stores once it has checked value.  0, or -1 with err (memory). */
int tc_opt_set_str(void *field, const char *value, char *err, size_t errlen);

#endif

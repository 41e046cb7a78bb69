/* tc_gunicorn.h: the names of Gunicorn 26's settings and server hooks, so
 * that a Gunicorn setting tandem does not support yet is told apart from a
 * typo.  The table is static data; nothing is allocated. */
#ifndef TANDEM_TC_GUNICORN_H
#define TANDEM_TC_GUNICORN_H

typedef struct {
    const char *key;   /* config key, e.g. "accesslog" */
    const char *flags; /* its flags, space-separated ("-D --daemon"); NULL = config file only */
    int hook;          /* a server hook: a callable in the config file (post_fork...) */
} tc_gunicorn_setting;

/* Every setting, in gunicorn/config.py's order; ends with a NULL key. */
extern const tc_gunicorn_setting tc_gunicorn_settings[];

const tc_gunicorn_setting *tc_gunicorn_find_key(const char *key);
/* The setting of "--flag", "--flag=value", "-x" or "-xVALUE"; NULL if none. */
const tc_gunicorn_setting *tc_gunicorn_find_flag(const char *arg);
/* The end of the sentence refusing g: "is a Gunicorn setting tandem does
 * not support yet", or, for the few tandem will never take, why and what
 * to use instead. */
const char *tc_gunicorn_refusal(const tc_gunicorn_setting *g);
/* Whether name is one of Gunicorn's server hooks (on_starting ... ssl_context). */
int tc_gunicorn_is_hook(const char *name);

#endif

/* fr_usage.c: tandem --help, made from the daemons' settings tables and the
 * front's own, grouped by the daemon each flag goes to. */
#include <string.h>

#include "fr_args.h"
#include "fr_flags.h"

static const struct {
    int dest;
    const char *title;
} sections[] = {
    { FR_TO_PROXY, "tandem-proxy (clients, TLS, HTTP/2, HTTP/1.1):" },
    { FR_TO_APPD, "tandem-appd (the app's workers):" },
    { FR_TO_BOTH, "both daemons, each for its own part (see tandem(1)):" },
    { FR_TO_FRONT, "tandem itself:" },
};

typedef struct {
    FILE *out;
    int dest;
} fr_section;

/* The row under tandem's spelling: "--proxy-threads" shows the proxy's
 * "--threads" row, without its short letter or aliases. */
static void print_flag(const fr_flag *f, void *ctx)
{
    const fr_section *s = ctx;
    if (fr_flag_dest(f) != s->dest)
        return;
    tc_opt row = *f->row;
    row.flag = f->flag;
    row.short_flag = f->short_flag;
    if (strcmp(f->flag, f->row->flag) != 0)
        row.aliases = NULL;
    tc_opt_usage_row(s->out, &row);
}

void fr_usage(FILE *out)
{
    fprintf(out, "usage: tandem [OPTIONS] MODULE:CALLABLE\n\n"
                 "Runs tandem-appd (the app) and tandem-proxy (HTTP/2, HTTP/1.1, TLS) together,\n"
                 "with Gunicorn's flags.  See tandem(1).\n");
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        fr_section s = { out, sections[i].dest };
        fprintf(out, "\n%s\n", sections[i].title);
        fr_flag_each(print_flag, &s);
    }
    tc_opt_usage_help_version(out);
}

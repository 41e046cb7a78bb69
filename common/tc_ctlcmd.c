/* tc_ctlcmd.c: control commands answered alike by tandem-proxy and
 * tandem-appd (tc_ctlcmd.h). */
#include "tc_ctlcmd.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "tc_log.h"

int tc_ctlcmd_show_config(tc_ctlout *o, const tc_opt *table, const void *settings)
{
    tc_ctlout_obj(o, "config");
    for (const tc_opt *row = table; row->key; row++) {
        char *text = tc_opt_value_text(row, settings);
        if (text == NULL)
            return -1;
        tc_ctlout_raw(o, row->key, text);
        free(text);
    }
    tc_ctlout_close(o);
    return 0;
}

int tc_ctlcmd_signal(int sig, const char *what, tc_ctlout *o)
{
    tc_info("Control socket: %s", what);
    kill(getpid(), sig);
    tc_ctlout_str(o, "started", what);
    return 0;
}

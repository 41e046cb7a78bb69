/* tc_ctl.h: the control socket both daemons serve and tandemctl(1) speaks
 * (tandemctl(1), "PROTOCOL"): one request line in, one reply
 * out, then the daemon closes.  The request parser is pure and fuzzed; the
 * socket helpers bind (0600, refusing a path a live daemon holds), accept
 * one client at a time with short timeouts, and check the peer's uid.
 *
 * Errors: functions returning int give 0 (or an fd) on success, -1 with a
 * one-line cause in err. */
#ifndef TANDEM_TC_CTL_H
#define TANDEM_TC_CTL_H

#include <stddef.h>

#include "tc_ctlout.h"

#define TC_CTL_MAX_LINE 512 /* a longer request is refused unread */
#define TC_CTL_MAGIC "TANDEM-CTL/1"

typedef enum {
    TC_CTL_HELP = 1,
    TC_CTL_SHOW_ALL,
    TC_CTL_SHOW_WORKERS,
    TC_CTL_SHOW_STATS,
    TC_CTL_SHOW_CONFIG,
    TC_CTL_SHOW_LISTENERS,
    TC_CTL_SHOW_CONNECTIONS,
    TC_CTL_SHOW_STREAMS,
    TC_CTL_WORKER_ADD,    /* arg: how many (default 1) */
    TC_CTL_WORKER_REMOVE, /* arg: how many (default 1) */
    TC_CTL_WORKER_KILL,   /* arg: the pid */
    TC_CTL_RELOAD,
    TC_CTL_REOPEN,
    TC_CTL_SHUTDOWN,
} tc_ctl_verb;

typedef struct {
    tc_ctl_verb verb;
    int json; /* the reply as JSON ("json" before the command) */
    long long arg;
} tc_ctl_req;

/* Parses one request line (without its newline) of len bytes: words
 * separated by single spaces, [a-z0-9] only, at most TC_CTL_MAX_LINE bytes. */
int tc_ctl_parse(const char *line, size_t len, tc_ctl_req *req, char *err, size_t errlen);
/* The command's words ("show workers"), for logs and help. */
const char *tc_ctl_verb_name(tc_ctl_verb verb);
/* One line per command with what it does (help). */
void tc_ctl_help(tc_ctlout *o, const unsigned *verbs_served);

/* Binds a listening Unix socket at path with the given mode.  A socket file
 * at path that accepts connections belongs to a live daemon: -1 (err says
 * so) and *live set; a dead one's is replaced; any other file is refused. */
int tc_ctl_listen(const char *path, unsigned mode, int *live, char *err, size_t errlen);
/* The inode of the file at path (0 if none): a daemon notes its socket's
 * after tc_ctl_listen, and removes the file at exit only if it is still
 * that one (a successor may own the path by then). */
unsigned long long tc_ctl_inode(const char *path);
void tc_ctl_unlink(const char *path, unsigned long long inode);

/* What a daemon does for one request: fills o (already begun) and returns
 * 0, or -1 with the refusal in err. */
typedef int (*tc_ctl_handler)(void *ctx, const tc_ctl_req *req, tc_ctlout *o, char *err,
                              size_t errlen);
/* Accepts one pending client of lfd, reads its line (1 s at most), answers
 * with handler, closes.  Clients of another uid (root excepted) are refused. */
void tc_ctl_serve_one(int lfd, tc_ctl_handler handler, void *ctx);

#endif

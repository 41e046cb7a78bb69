/* tc_privs.h: Gunicorn's user, group, umask and initgroups settings: names
 * or numeric ids resolved once at start-up, then the drop from root
 * (supplementary groups, gid, uid, in that order) and its check.
 * Errors: -1 with one line in err naming the setting and the value. */
#ifndef TANDEM_TC_PRIVS_H
#define TANDEM_TC_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

#include "tc_opt.h"

typedef struct {
    int active;      /* user or group given: the process drops (or chowns) */
    uid_t uid;       /* the user's, or the process's own when only group is given */
    gid_t gid;       /* the group's, or the user's primary group */
    int initgroups;  /* supplementary groups: the user's (1) or none (0) */
    char name[64];   /* the user's name, for initgroups(3) and messages */
} tc_privs;

/* Resolves user and group (NULL or "" = not given; a name or a number).
 * A user that does not exist is an error naming it. */
int tc_privs_resolve(const char *user, const char *group, int initgroups, tc_privs *p, char *err,
                     size_t errlen);
/* Becomes p's user: setgroups/initgroups, setgid, setuid; then checks that
 * root cannot be regained.  Nothing to do unless p->active. */
int tc_privs_drop(const tc_privs *p, char *err, size_t errlen);
/* Gives path to p's user and group (a socket or file made before the drop);
 * nothing unless p->active. */
int tc_privs_chown(const tc_privs *p, const char *path, char *err, size_t errlen);
/* Gunicorn's umask value: an integer as Python's int(value, 0) reads it
 * ("0", "18", "0o22", "0x12"), plus a leading-zero octal ("022"). */
int tc_umask_parse(const char *text, long long *out);
/* The umask row's parse function (tc_opt): tc_umask_parse into a long long. */
int tc_privs_parse_umask(const tc_opt *o, void *field, const char *value, char *err,
                         size_t errlen);

#endif

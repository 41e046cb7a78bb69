/* tc_privs.c: resolving user and group, dropping root for good (tc_privs.h). */
#include "tc_privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A whole-string decimal id, as Gunicorn takes "1000" for a uid. */
static int parse_id(const char *s, unsigned long *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 0xfffffffeUL)
        return -1;
    *out = v;
    return 0;
}

static int resolve_user(const char *user, tc_privs *p, char *err, size_t errlen)
{
    unsigned long id;
    errno = 0;
    struct passwd *pw = parse_id(user, &id) == 0 ? getpwuid((uid_t)id) : getpwnam(user);
    if (pw == NULL && parse_id(user, &id) == 0) {
        /* A number with no passwd entry is still a uid (Gunicorn's too). */
        p->uid = (uid_t)id;
        p->gid = (gid_t)id;
        snprintf(p->name, sizeof p->name, "%s", user);
        return 0;
    }
    if (pw == NULL) {
        snprintf(err, errlen, "user (--user): no such user '%s'", user);
        return -1;
    }
    p->uid = pw->pw_uid;
    p->gid = pw->pw_gid;
    snprintf(p->name, sizeof p->name, "%s", pw->pw_name);
    return 0;
}

static int resolve_group(const char *group, tc_privs *p, char *err, size_t errlen)
{
    unsigned long id;
    if (parse_id(group, &id) == 0) {
        p->gid = (gid_t)id;
        return 0;
    }
    struct group *gr = getgrnam(group);
    if (gr == NULL) {
        snprintf(err, errlen, "group (--group): no such group '%s'", group);
        return -1;
    }
    p->gid = gr->gr_gid;
    return 0;
}

int tc_privs_resolve(const char *user, const char *group, int initgroups, tc_privs *p, char *err,
                     size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->uid = geteuid();
    p->gid = getegid();
    p->initgroups = initgroups;
    int has_user = user && *user, has_group = group && *group;
    if (has_user && resolve_user(user, p, err, errlen) != 0)
        return -1;
    if (has_group && resolve_group(group, p, err, errlen) != 0)
        return -1;
    if (!has_user) {
        struct passwd *pw = getpwuid(p->uid);
        snprintf(p->name, sizeof p->name, "%s", pw ? pw->pw_name : "");
    }
    p->active = has_user || has_group;
    return 0;
}

/* The supplementary groups: the user's with initgroups, else none (Gunicorn
 * drops them unless --initgroups), so root's group 0 does not linger. */
static int set_groups(const tc_privs *p, char *err, size_t errlen)
{
    int rc = p->initgroups && p->name[0] ? initgroups(p->name, p->gid) : setgroups(0, NULL);
    if (rc != 0)
        snprintf(err, errlen, "cannot set the supplementary groups of '%s': %s", p->name,
                 strerror(errno));
    return rc;
}

int tc_privs_drop(const tc_privs *p, char *err, size_t errlen)
{
    if (!p->active)
        return 0;
    if (geteuid() == 0 && set_groups(p, err, errlen) != 0)
        return -1;
    if (setgid(p->gid) != 0) {
        snprintf(err, errlen, "group (--group): cannot become gid %u: %s", (unsigned)p->gid,
                 strerror(errno));
        return -1;
    }
    if (setuid(p->uid) != 0) {
        snprintf(err, errlen, "user (--user): cannot become '%s' (uid %u): %s", p->name,
                 (unsigned)p->uid, strerror(errno));
        return -1;
    }
    /* setuid from root to another user sets all three uids; prove it. */
    if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(err, errlen, "user (--user): root could be regained after becoming '%s'",
                 p->name);
        return -1;
    }
    return 0;
}

int tc_privs_chown(const tc_privs *p, const char *path, char *err, size_t errlen)
{
    if (!p->active || chown(path, p->uid, p->gid) == 0)
        return 0;
    snprintf(err, errlen, "cannot give %s to uid %u gid %u: %s", path, (unsigned)p->uid,
             (unsigned)p->gid, strerror(errno));
    return -1;
}

int tc_umask_parse(const char *text, long long *out)
{
    const char *s = text;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        s += 2, base = 8;
    else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2, base = 16;
    else if (s[0] == '0' && s[1])
        s += 1, base = 8;
    if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, base);
    if (errno || *end || v < 0 || v > 0777)
        return -1;
    *out = v;
    return 0;
}

int tc_privs_parse_umask(const tc_opt *o, void *field, const char *value, char *err,
                         size_t errlen)
{
    long long v;
    if (tc_umask_parse(value, &v) != 0) {
        snprintf(err, errlen,
                 "umask (--umask): '%s' is not a mode mask (0 to 0o777: 18, 0o22, 022, 0x12)",
                 value);
        return -1;
    }
    *(long long *)field = v;
    return 0;
}

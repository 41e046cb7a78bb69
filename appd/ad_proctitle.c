/* ad_proctitle.c: overwrites the argv strings in place (the classic
 * setproctitle trick, limited to argv's own bytes so the environment is never
 * moved) and sets the thread name (comm) for top(1). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "ad_proctitle.h"

static char *area;
static size_t area_len;
static char default_name[256];

void ad_proctitle_init(int argc, char **argv, const char *name)
{
    if (argc <= 0)
        return;
    char *end = argv[0] + strlen(argv[0]);
    for (int i = 1; i < argc; i++) {
        if (argv[i] != end + 1)
            break; /* not contiguous: stop there */
        end = argv[i] + strlen(argv[i]);
    }
    area = argv[0];
    area_len = (size_t)(end - area);
    snprintf(default_name, sizeof default_name, "%s", name ? name : "");
}

void ad_proctitle_set(const char *role, const char *name)
{
    if (name == NULL || *name == '\0')
        name = default_name;
    if (area && area_len > 0) {
        char title[512];
        int n = snprintf(title, sizeof title, "tandem-appd: %s [%s]", role, name);
        size_t len = n < 0 ? 0 : (size_t)n;
        if (len > area_len)
            len = area_len;
        memcpy(area, title, len);
        memset(area + len, 0, area_len - len + 1);
    }
    char comm[16];
    snprintf(comm, sizeof comm, "appd-%s", role);
    prctl(PR_SET_NAME, comm, 0, 0, 0);
}

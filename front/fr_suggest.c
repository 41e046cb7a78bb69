/* fr_suggest.c: the accepted flag nearest to a mistyped one, for the hint
 * after "unrecognized option" (the distance is common/tc_suggest.c's). */
#include "fr_flags.h"

#include <string.h>

#include "tc_suggest.h"

static void consider(const fr_flag *f, void *ctx) { tc_near_consider(ctx, f->flag, 2); }

const char *fr_flag_nearest(const char *arg)
{
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    tc_near n;
    if (tc_near_init(&n, arg + 2, strcspn(arg + 2, "=")) != 0)
        return NULL;
    fr_flag_each(consider, &n);
    return tc_near_best(&n);
}

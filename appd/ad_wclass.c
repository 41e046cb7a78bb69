/* ad_wclass.c: the worker classes this build has, by name (see ad_wclass.h). */
#include "config.h"

#include <string.h>

#include "ad_wclass.h"

static const ad_wclass *const classes[] = { &ad_wclass_sync, &ad_wclass_gthread, &ad_wclass_asgi,
                                            &ad_wclass_gevent };

const ad_wclass *ad_wclass_find(const char *name)
{
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strcmp(classes[i]->name, name) == 0)
            return classes[i];
    return NULL;
}

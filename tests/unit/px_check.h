/* px_check.h: the fixture the proxy's settings tests (test_px_settings.c,
 * test_px_trust.c) share: one px_settings with its defaults applied before
 * each test and freed after, the last error text, and a setter by key.
 * Header-only: each test program is one file. */
#ifndef TANDEM_PX_CHECK_H
#define TANDEM_PX_CHECK_H

#include <check.h>
#include <string.h>

#include "px_settings.h"

static px_settings s;
static char err[512];

static inline void setup(void)
{
    memset(&s, 0, sizeof s);
    memset(err, 0, sizeof err);
    ck_assert_int_eq(px_settings_defaults(&s, err, sizeof err), 0);
}

static inline void teardown(void) { tc_opt_free(px_settings_table, &s); }

static inline int set(const char *key, const char *value)
{
    const tc_opt *o = tc_opt_find_key(px_settings_table, key);
    ck_assert_ptr_nonnull(o);
    return tc_opt_set(o, &s, value, err, sizeof err);
}

#endif

/* fuzz_logconf.c: libFuzzer target for the log configuration readers
 * (common/tc_json.c, tc_ini.c, tc_logconf*.c): the input is read as JSON
 * (first byte even) or as an INI file (odd).  Aborts when a promise is
 * broken: a refusal says why, a JSON value written back as Python reads
 * back as the same value, and what a configuration yields is whole (a file
 * destination has its path). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "roundtrip.h"
#include "tc_json.h"
#include "tc_logconf.h"

#define CHECK(cond) FUZZ_CHECK("fuzz_logconf", cond)

static void check_whole(const tc_logconf *c, int rc, const char *err)
{
    CHECK(rc == 0 || (rc == -1 && err[0] != '\0'));
    if (rc != 0)
        return;
    const tc_logdest *d[2] = { &c->error, &c->access };
    for (int i = 0; i < 2; i++) {
        CHECK(d[i]->kind >= TC_LOGDEST_UNSET && d[i]->kind <= TC_LOGDEST_FILE);
        CHECK((d[i]->kind == TC_LOGDEST_FILE) == (d[i]->path != NULL));
        CHECK(d[i]->kind == TC_LOGDEST_UNSET || tc_logdest_path(d[i], i == 0) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* An exact-size copy, so ASan sees any read past the end. */
    size_t n = size - 1;
    char *text = malloc(n ? n : 1);
    CHECK(text != NULL);
    memcpy(text, data + 1, n);
    char err[512] = "";
    tc_logconf c;
    memset(&c, 0, sizeof c);
    if (data[0] % 2 == 0) {
        tc_pyval *v = tc_json_parse(text, n, err, sizeof err);
        CHECK(v != NULL || strncmp(err, "line ", 5) == 0);
        if (v) {
            fuzz_round_trip("fuzz_logconf", v);
            err[0] = '\0';
            check_whole(&c, tc_logconf_from_dict(v, &c, err, sizeof err), err);
            tc_pyval_free(v);
        }
    } else {
        check_whole(&c, tc_logconf_from_ini(text, n, "/etc/fuzz/log.ini", &c, err, sizeof err),
                    err);
    }
    tc_logconf_free(&c);
    free(text);
    return 0;
}

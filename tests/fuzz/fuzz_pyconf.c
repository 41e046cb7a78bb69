/* fuzz_pyconf.c: libFuzzer target for the config reader (common/tc_pyconf.c,
 * tc_pylit.c, tc_pylex.c): reads the input as a gunicorn.conf.py, and aborts
 * when a promise of tc_pyconf.h is broken: an error has a line and leaves
 * nothing behind, every assignment has a name and a line inside the input,
 * and every literal written back as Python reads back as the same value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "roundtrip.h"
#include "tc_pyconf.h"

#define CHECK(cond) FUZZ_CHECK("fuzz_pyconf", cond)

static int lines_in(const uint8_t *data, size_t size)
{
    int n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees any read past the end. */
    char *src = calloc(1, size ? size : 1);
    CHECK(src != NULL);
    if (size)
        memcpy(src, data, size);
    tc_pyconf c;
    char err[512];
    int line = -1;
    int rc = tc_pyconf_parse(src, size, &c, &line, err, sizeof err);
    int nlines = lines_in(data, size);
    CHECK(rc == 0 || rc == -1);
    if (rc == -1) {
        CHECK(c.n == 0 && c.v == NULL);
        CHECK(line >= 1 && line <= nlines && err[0] != '\0');
    }
    for (size_t i = 0; i < c.n; i++) {
        const tc_pyassign *a = &c.v[i];
        CHECK(a->name[0] != '\0' && a->line >= 1 && a->line <= nlines);
        CHECK(!(a->value && a->why));
        if (a->value)
            fuzz_round_trip("fuzz_pyconf", a->value);
        CHECK(tc_pyconf_find(&c, a->name) != NULL);
    }
    tc_pyconf_free(&c);
    free(src);
    return 0;
}

/* roundtrip.c: a value written back as Python reads back the same
 * (roundtrip.h). */
#include "roundtrip.h"

#include <string.h>

#include "fuzz.h"
#include "tc_pyconf.h"

void fuzz_round_trip(const char *target, const tc_pyval *v)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FUZZ_CHECK(target, f != NULL);
    fputs("x = ", f);
    tc_pyval_write(f, v);
    fputc('\n', f);
    fclose(f);
    tc_pyconf again;
    char err[256];
    int line;
    FUZZ_CHECK(target, tc_pyconf_parse(text, len, &again, &line, err, sizeof err) == 0);
    FUZZ_CHECK(target, again.n == 1 && strcmp(again.v[0].name, "x") == 0);
    FUZZ_CHECK(target, again.v[0].value != NULL && tc_pyval_equal(v, again.v[0].value));
    tc_pyconf_free(&again);
    free(text);
}

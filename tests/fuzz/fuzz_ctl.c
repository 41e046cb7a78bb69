/* fuzz_ctl.c: libFuzzer target for the control socket's request parser
 * (common/tc_ctl.c) and the reply writer (common/tc_ctlout.c): parses the
 * input as a request line and aborts when a promise of tc_ctl.h breaks: a
 * refusal has a message, an accepted request names a known command with a
 * positive argument, and a reply body built from the input's bytes as a
 * string is valid in both renderings (JSON: no raw control byte). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tc_ctl.h"

#define CHECK(cond) FUZZ_CHECK("fuzz_ctl", cond)

static void check_reply(const uint8_t *data, size_t size, int json)
{
    char *s = malloc(size + 1);
    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    tc_ctlout o;
    tc_ctlout_begin(&o, json);
    tc_ctlout_arr(&o, "items");
    tc_ctlout_obj(&o, NULL);
    tc_ctlout_str(&o, "value", s);
    tc_ctlout_close(&o);
    tc_ctlout_close(&o);
    tc_ctlout_end(&o);
    free(s);
    if (json && !o.oom) {
        for (size_t i = 0; i < o.len; i++)
            CHECK((unsigned char)o.buf[i] >= 0x20 || (o.buf[i] == '\n' && i + 1 == o.len));
        CHECK(o.buf[0] == '{');
    }
    tc_ctlout_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tc_ctl_req req;
    char err[256];
    err[0] = '\0';
    if (tc_ctl_parse((const char *)data, size, &req, err, sizeof err) != 0) {
        CHECK(err[0] != '\0');
    } else {
        CHECK(size <= TC_CTL_MAX_LINE);
        CHECK(strcmp(tc_ctl_verb_name(req.verb), "?") != 0);
        CHECK(req.arg >= 0 && req.arg <= 999999999);
    }
    check_reply(data, size, 1);
    check_reply(data, size, 0);
    return 0;
}

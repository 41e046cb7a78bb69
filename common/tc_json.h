/* tc_json.h: reads a JSON document (RFC 8259) into a tc_pyval, as Python's
 * json.load reads it: objects become dicts, arrays lists, true/false/null
 * True/False/None, numbers int or float.  For --log-config-json, which
 * both daemons read (the proxy never runs Python).
 *
 * Errors: NULL with "line N: message" in err (a string that is not UTF-8,
 * or holds a NUL character, which tc_pyval cannot hold, is one).  Ownership: the value
 * is the caller's (tc_pyval_free). */
#ifndef TANDEM_TC_JSON_H
#define TANDEM_TC_JSON_H

#include <stddef.h>

#include "tc_pyval.h"

tc_pyval *tc_json_parse(const char *text, size_t len, char *err, size_t errlen);

#endif

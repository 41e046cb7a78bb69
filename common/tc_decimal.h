/* tc_decimal.h: an unsigned number in decimal without printf, for the lines
 * written once per request (access log, statsd), where snprintf's format
 * parsing would cost more than the rest of the line. */
#ifndef TANDEM_TC_DECIMAL_H
#define TANDEM_TC_DECIMAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TC_DECIMAL_MAX 20 /* digits of UINT64_MAX */

/* Writes v's digits at out (room for TC_DECIMAL_MAX); returns how many. */
static inline size_t tc_decimal(uint64_t v, char *out)
{
    char tmp[TC_DECIMAL_MAX];
    size_t n = 0;
    do {
        tmp[TC_DECIMAL_MAX - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, tmp + TC_DECIMAL_MAX - n, n);
    return n;
}

#endif

/* roundtrip.h: the promise the config readers' fuzz targets share
 * (fuzz_pyconf.c, fuzz_logconf.c): a value written back as Python reads
 * back, through the config file reader, as the same value. */
#ifndef TANDEM_FUZZ_ROUNDTRIP_H
#define TANDEM_FUZZ_ROUNDTRIP_H

#include "tc_pyval.h"

/* "x = <v written back>" must parse as one assignment to x of a value
 * equal to v; aborts (FUZZ_CHECK, naming target) when it does not. */
void fuzz_round_trip(const char *target, const tc_pyval *v);

#endif

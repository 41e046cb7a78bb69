/* fuzz.h: the libFuzzer entry point every target in tests/fuzz/ defines, so
 * the same target links with libFuzzer or with replay_main.c. */
#ifndef TANDEM_FUZZ_H
#define TANDEM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0; a bug found aborts (libFuzzer and ASan report it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

/* fuzz.h: the libFuzzer entry point every target in tests/fuzz/ defines, so
 * the same target links with libFuzzer or with replay_main.c, and the check
 * every target states its promises with. */
#ifndef TANDEM_FUZZ_H
#define TANDEM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A promise of the code under test: broken, it names the target, the line
 * and the condition, and aborts (libFuzzer and ASan report it). */
#define FUZZ_CHECK(target, cond)                                                   \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s: %s:%d: %s\n", target, __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* Returns 0; a bug found aborts (libFuzzer and ASan report it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

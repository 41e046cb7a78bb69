/* ad_scoreboard.c: creates the shared heartbeat page (see ad_scoreboard.h). */
#include "config.h"

#include <sys/mman.h>
#include <time.h>

#include "ad_scoreboard.h"

ad_scoreboard *ad_board;

int ad_scoreboard_create(void)
{
    size_t size = sizeof(ad_scoreboard) + AD_BOARD_SLOTS * sizeof(ad_slot);
    /* Anonymous + shared: inherited by every fork, gone when the last process exits. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    ad_board = p;
    return 0;
}

uint64_t ad_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

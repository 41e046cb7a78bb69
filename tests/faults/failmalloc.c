/* failmalloc.c: an LD_PRELOAD shim for the fault tests only (never
 * installed): makes one chosen allocation of a real daemon fail, so the
 * out-of-memory paths run as they would in production.
 *
 * TANDEM_FAILMALLOC="FUNC:MINARG:NTH[:COUNT]": each time FUNC returns in a
 * thread (FUNC is one of the library calls wrapped below, and for
 * evbuffer_pullup only when its size argument is at least MINARG), the
 * NTH malloc/calloc/realloc that thread makes next returns NULL; after
 * COUNT failures (default 1) the shim only passes calls on.  With
 * TANDEM_FAILMALLOC_ARM=PATH, FUNC counts only while PATH exists, so a
 * test arms the shim once the daemon is up.  Each failure is reported on
 * stderr ("failmalloc: ..."), so a test can tell it ran. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define TLS __thread __attribute__((tls_model("initial-exec")))

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_ssl_new)(void *);
static unsigned char *(*real_pullup)(void *, ssize_t);
static void *(*real_add_cb)(void *, void *, void *);
static void (*real_set_bio)(void *, void *, void *);

static char trigger[64];
static const char *arm_path;
static long min_arg, nth;
static atomic_long failures_left;
static TLS long countdown; /* allocations until the failing one; 0: disarmed */
static TLS int resolving;

/* dlsym may allocate before the real functions are known: a small arena
 * serves those calls (never freed: free() of them is never reached, since
 * dlsym keeps what it allocates for the life of the process). */
static unsigned char arena[4096] __attribute__((aligned(16)));
static size_t arena_used;

static void *arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (arena_used + n > sizeof arena)
        return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    return p;
}

static void say(const char *what, size_t n)
{
    char line[128];
    int len = snprintf(line, sizeof line, "failmalloc: %s(%zu) fails after %s\n", what, n,
                       trigger);
    if (len > 0)
        (void)!write(2, line, (size_t)len);
}

static void resolve(void)
{
    if (real_malloc || resolving)
        return;
    resolving = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_ssl_new = dlsym(RTLD_NEXT, "SSL_new");
    real_pullup = dlsym(RTLD_NEXT, "evbuffer_pullup");
    real_add_cb = dlsym(RTLD_NEXT, "evbuffer_add_cb");
    real_set_bio = dlsym(RTLD_NEXT, "SSL_set_bio");
    resolving = 0;
}

/* Read at the first trigger, not at the first allocation: under ASan that
 * comes before the environment is set up. */
static void read_spec(void)
{
    static atomic_int once;
    if (atomic_exchange(&once, 1))
        return;
    arm_path = getenv("TANDEM_FAILMALLOC_ARM");
    const char *spec = getenv("TANDEM_FAILMALLOC");
    long count = 1;
    if (spec && sscanf(spec, "%63[^:]:%ld:%ld:%ld", trigger, &min_arg, &nth, &count) >= 3)
        atomic_store(&failures_left, count);
}

/* 1 when this allocation is the one to fail. */
static int should_fail(const char *what, size_t n)
{
    if (countdown == 0 || --countdown != 0)
        return 0;
    if (atomic_fetch_sub(&failures_left, 1) <= 0)
        return 0;
    say(what, n);
    return 1;
}

static void armed_by(const char *fn, long arg)
{
    read_spec();
    if (atomic_load(&failures_left) > 0 && strcmp(fn, trigger) == 0 && arg >= min_arg &&
        (!arm_path || access(arm_path, F_OK) == 0))
        countdown = nth;
}

void *malloc(size_t n)
{
    resolve();
    if (!real_malloc)
        return arena_alloc(n);
    if (should_fail("malloc", n)) {
        errno = ENOMEM;
        return NULL;
    }
    return real_malloc(n);
}

void *calloc(size_t k, size_t n)
{
    resolve();
    if (!real_calloc)
        return arena_alloc(k * n); /* the arena is zeroed static memory */
    if (should_fail("calloc", k * n)) {
        errno = ENOMEM;
        return NULL;
    }
    return real_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
    resolve();
    if (should_fail("realloc", n)) {
        errno = ENOMEM;
        return NULL;
    }
    return real_realloc(p, n);
}

void *SSL_new(void *ctx)
{
    resolve();
    void *ssl = real_ssl_new(ctx);
    armed_by("SSL_new", 0);
    return ssl;
}

unsigned char *evbuffer_pullup(void *buf, ssize_t size)
{
    resolve();
    unsigned char *p = real_pullup(buf, size);
    armed_by("evbuffer_pullup", (long)size);
    return p;
}

/* libevent calls it inside bufferevent_*_new once the buffers exist: what
 * follows there (the fd's event slot) fails through libevent's own sound
 * error path, then the caller's. */
void *evbuffer_add_cb(void *buf, void *cb, void *arg)
{
    resolve();
    void *entry = real_add_cb(buf, cb, arg);
    armed_by("evbuffer_add_cb", 0);
    return entry;
}

/* bufferevent_openssl_socket_new gives the SSL its socket BIO just before
 * it allocates the bufferevent: NTH 1 fails that allocation. */
void SSL_set_bio(void *ssl, void *rbio, void *wbio)
{
    resolve();
    real_set_bio(ssl, rbio, wbio);
    armed_by("SSL_set_bio", 0);
}

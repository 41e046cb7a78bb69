/* replay_main.c: runs any libFuzzer target (LLVMFuzzerTestOneInput) without
 * libFuzzer, so `make check` exercises fuzz targets with any compiler.
 *
 *   prog FILE|DIR...   replay each file (a crash reproducer, a corpus)
 *   prog               replay the seed corpus compiled in as FUZZ_CORPUS_DIR
 *                      plus FUZZ_REPLAY_RUNS (default 100000) deterministic
 *                      mutations of it: same binary, same inputs, every run.
 * A target reports a bug by aborting, so exit status 0 means none was found. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (1u << 20) /* a corpus file larger than this is a mistake */
#define REPLAY_MAX_SEEDS 256
#define REPLAY_MUTANT_CAP 4096

struct seed {
    uint8_t *data;
    size_t len;
};

static struct seed seeds[REPLAY_MAX_SEEDS];
static size_t nseeds;

static void add_seed(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (!copy || nseeds == REPLAY_MAX_SEEDS) {
        fprintf(stderr, "replay: too many seeds or out of memory\n");
        exit(2);
    }
    if (len)
        memcpy(copy, data, len);
    seeds[nseeds].data = copy;
    seeds[nseeds].len = len;
    nseeds++;
}

/* Reads a whole file; exits on error, because a corpus that silently
 * shrinks would make the test pass while testing nothing. */
static void load_file(const char *path)
{
    static uint8_t buf[REPLAY_MAX_INPUT + 1];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        perror(path);
        exit(2);
    }
    n = fread(buf, 1, sizeof buf, f);
    if (ferror(f) || n > REPLAY_MAX_INPUT) {
        fprintf(stderr, "replay: %s: read error or larger than %u bytes\n", path, REPLAY_MAX_INPUT);
        exit(2);
    }
    fclose(f);
    add_seed(buf, n);
}

static int is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void load_dir(const char *dir)
{
    char path[4096];
    struct dirent *e;
    DIR *d = opendir(dir);

    if (!d) {
        perror(dir);
        exit(2);
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (!is_dir(path))
            load_file(path);
    }
    closedir(d);
}

static void load_path(const char *path)
{
    if (is_dir(path))
        load_dir(path);
    else
        load_file(path);
}

/* xorshift64*: tiny, fast, and the same sequence on every platform. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t rng_below(size_t n) { return n ? (size_t)(rng() % n) : 0; }

/* Values that sit on the edges of length and range checks. */
static const uint32_t interesting[] = {
    0,     1,     2,          4,           7,           8,           12,         16,        33,
    36,    100,   127,        128,         255,         256,         1000,       16383,     16384,
    65535, 65536, 0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu, 0x01000000, 0x01000001
};

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One edit of buf[0..*len), never growing past cap. */
static void mutate_once(uint8_t *buf, size_t *len, size_t cap)
{
    size_t n = *len, at = rng_below(n), k;
    const struct seed *other;

    switch (rng_below(8)) {
    case 0:
        if (n)
            buf[at] ^= (uint8_t)(1u << rng_below(8));
        break;
    case 1:
        if (n)
            buf[at] = (uint8_t)rng();
        break;
    case 2:
        if (n)
            buf[at] = (uint8_t)interesting[rng_below(sizeof interesting / 4)];
        break;
    case 3:
        if (n >= 4)
            put_be32(buf + rng_below(n - 3), interesting[rng_below(sizeof interesting / 4)]);
        break;
    case 4: *len = rng_below(n + 1); break; /* truncate */
    case 5:                                 /* insert random bytes */
        k = 1 + rng_below(8);
        if (n + k > cap)
            break;
        memmove(buf + at + k, buf + at, n - at);
        for (size_t i = 0; i < k; i++)
            buf[at + i] = (uint8_t)rng();
        *len = n + k;
        break;
    case 6: /* append another seed */
        other = &seeds[rng_below(nseeds)];
        k = other->len < cap - n ? other->len : cap - n;
        memcpy(buf + n, other->data, k);
        *len = n + k;
        break;
    default: /* drop a chunk */
        k = rng_below(n - at + 1);
        memmove(buf + at, buf + at + k, n - at - k);
        *len = n - k;
        break;
    }
}

static unsigned long run_mutations(unsigned long runs)
{
    static uint8_t buf[REPLAY_MUTANT_CAP];
    unsigned long r;
    size_t len, edits;
    const struct seed *s;

    for (r = 0; r < runs; r++) {
        s = &seeds[rng_below(nseeds)];
        len = s->len < sizeof buf ? s->len : sizeof buf;
        memcpy(buf, s->data, len);
        for (edits = 1 + rng_below(4); edits; edits--)
            mutate_once(buf, &len, sizeof buf);
        LLVMFuzzerTestOneInput(buf, len);
    }
    return r;
}

static void add_builtin_seeds(void)
{
    static const uint8_t zeros[64];
    uint8_t ones[64];

    memset(ones, 0xff, sizeof ones);
    add_seed(zeros, 0);
    add_seed(zeros, sizeof zeros);
    add_seed(ones, sizeof ones);
}

int main(int argc, char **argv)
{
    unsigned long runs = 100000, done = 0;
    const char *env = getenv("FUZZ_REPLAY_RUNS");
    size_t i;
    int a;

    for (a = 1; a < argc; a++)
        load_path(argv[a]);
    if (argc == 1) {
        add_builtin_seeds();
#ifdef FUZZ_CORPUS_DIR
        load_dir(FUZZ_CORPUS_DIR);
#endif
        if (env)
            runs = strtoul(env, NULL, 10);
    }
    for (i = 0; i < nseeds; i++)
        LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);
    if (argc == 1 && nseeds)
        done = run_mutations(runs);
    printf("replay: %zu inputs, %lu mutations, no crash\n", nseeds, done);
    for (i = 0; i < nseeds; i++)
        free(seeds[i].data);
    return 0;
}

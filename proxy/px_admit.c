/* px_admit.c: the process-wide connection counts of px_admit.h; the global
 * one is an atomic, the per-address ones a small locked hash table (one
 * lock per accept and per close: cheap next to a TLS handshake). */
#include "config.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "px_admit.h"
#include "tc_addr.h"
#include "tc_log.h"

#define IP_BUCKETS 4096u

struct px_admit_ip {
    px_admit_ip *next;
    uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d, so both families share keys */
    uint32_t count;
    uint8_t logged; /* at the limit and said so; cleared once below */
};

/* Set at start and by a reload while threads read them. */
static atomic_llong max_total, max_ip;
static atomic_llong total;
static atomic_int full_logged;
static pthread_mutex_t ip_lock = PTHREAD_MUTEX_INITIALIZER;
static px_admit_ip *ip_table[IP_BUCKETS];

void px_admit_init(long long max_connections, long long max_per_ip)
{
    atomic_store(&max_total, max_connections);
    atomic_store(&max_ip, max_per_ip);
}

int px_admit_reserve(void)
{
    long long was = atomic_fetch_add(&total, 1), max = atomic_load(&max_total);
    if (max <= 0 || was < max)
        return 1;
    atomic_fetch_sub(&total, 1);
    if (!atomic_exchange(&full_logged, 1))
        tc_warn("max_connections (%lld) reached: not accepting until a connection closes", max);
    return 0;
}

/* An episode at the limit ends when half the connections are gone, not
 * at the first close: at the limit under churn, every close lets one more
 * in, and logging each would be the per-attempt noise this avoids. */
void px_admit_unreserve(void)
{
    long long now = atomic_fetch_sub(&total, 1) - 1, max = atomic_load(&max_total);
    if (max > 0 && now <= max / 2 && atomic_load(&full_logged) &&
        atomic_exchange(&full_logged, 0))
        tc_info("%lld connections, half of max_connections (%lld): no longer at the limit", now,
                max);
}

int px_admit_open(void)
{
    long long max = atomic_load(&max_total);
    return max <= 0 || atomic_load(&total) < max;
}

/* Only IP peers are counted; a Unix-socket front is one trusted peer. */
static int ip_key(const struct sockaddr *sa, uint8_t key[16])
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        memcpy(key, mapped, 12);
        memcpy(key + 12, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

static uint32_t key_hash(const uint8_t key[16])
{
    uint32_t x = 2166136261u;
    for (int i = 0; i < 16; i++)
        x = (x ^ key[i]) * 16777619u;
    return x % IP_BUCKETS;
}

static px_admit_ip *ip_find(const uint8_t key[16], int create)
{
    px_admit_ip **head = &ip_table[key_hash(key)];
    for (px_admit_ip *e = *head; e; e = e->next)
        if (!memcmp(e->addr, key, 16))
            return e;
    if (!create)
        return NULL;
    px_admit_ip *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    memcpy(e->addr, key, 16);
    e->next = *head;
    *head = e;
    return e;
}

static void ip_remove(px_admit_ip *ip)
{
    for (px_admit_ip **pp = &ip_table[key_hash(ip->addr)]; *pp; pp = &(*pp)->next)
        if (*pp == ip) {
            *pp = ip->next;
            free(ip);
            return;
        }
}

static void ip_text(const struct sockaddr *sa, char *buf, size_t len)
{
    unsigned port;
    tc_sockaddr_text(sa, buf, len, &port);
}

int px_admit_address(const struct sockaddr *sa, px_admit_ip **out)
{
    uint8_t key[16];
    long long max = atomic_load(&max_ip);
    *out = NULL;
    if (max <= 0 || ip_key(sa, key) < 0)
        return 0;
    pthread_mutex_lock(&ip_lock);
    px_admit_ip *ip = ip_find(key, 1);
    int over = !ip || ip->count >= (uint64_t)max;
    int say = ip && over && !ip->logged;
    if (say)
        ip->logged = 1;
    if (!over) {
        ip->count++;
        *out = ip;
    } else if (ip && ip->count == 0) {
        ip_remove(ip);
    }
    pthread_mutex_unlock(&ip_lock);
    if (say) {
        char text[64];
        ip_text(sa, text, sizeof text);
        tc_warn("max_connections_per_ip (%lld) reached by %s: its new connections are closed "
                "until one ends",
                max, text);
    }
    return over ? -1 : 0;
}

void px_admit_release(px_admit_ip *ip)
{
    if (ip) {
        pthread_mutex_lock(&ip_lock);
        if (--ip->count < (uint64_t)atomic_load(&max_ip))
            ip->logged = 0;
        if (ip->count == 0)
            ip_remove(ip);
        pthread_mutex_unlock(&ip_lock);
    }
    px_admit_unreserve();
}

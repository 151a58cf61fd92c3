/* kpjmap.c - see kpjmap.h. Linear probing over a power-of-two table kept
 * at most half full; a key is never removed (its id goes to 0), so probing
 * needs no tombstones. 24 bytes a slot: 1,000,000 participants with claims
 * take 48 MiB at most (the table doubles past half full). */
#include "kpjmap.h"

#include <stdlib.h>

#include "xalloc.h"

struct slot {
    uint64_t key;               /* 0: empty */
    struct kpj_head h;
};

struct kpjmap {
    struct slot *slots;
    size_t cap;                 /* a power of two */
    size_t used;                /* keys present */
    size_t live;                /* keys with an id */
};

struct kpjmap *kpjmap_new(void)
{
    struct kpjmap *m = xcalloc(1, sizeof *m);
    m->cap = 1024;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    return m;
}

void kpjmap_free(struct kpjmap **mp)
{
    struct kpjmap *m = *mp;
    if (!m) return;
    free(m->slots);
    free(m);
    *mp = NULL;
}

/* value + 1 of a string of exactly `digits` decimal digits, else 0. */
static uint64_t s_digits_key(const char *s, int digits)
{
    uint64_t v = 0;
    int n = 0;
    for (; s && s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= digits) return 0;
        v = v * 10 + (uint64_t)(s[n] - '0');
    }
    return n == digits ? v + 1 : 0;
}

uint64_t kpjmap_key(const char *kpj) { return s_digits_key(kpj, 11); }

uint64_t kpjmap_nik_key(const char *nik) { return s_digits_key(nik, 16); }

/* A 64-bit mix (splitmix64's finalizer): KPJ numbers are dense in places. */
static size_t s_hash(uint64_t k)
{
    k ^= k >> 30;
    k *= 0xbf58476d1ce4e5b9ULL;
    k ^= k >> 27;
    k *= 0x94d049bb133111ebULL;
    k ^= k >> 31;
    return (size_t)k;
}

static struct slot *s_find(const struct kpjmap *m, uint64_t key)
{
    size_t mask = m->cap - 1;
    for (size_t i = s_hash(key) & mask;; i = (i + 1) & mask)
        if (m->slots[i].key == key || m->slots[i].key == 0) return &m->slots[i];
}

static void s_grow(struct kpjmap *m)
{
    struct slot *old = m->slots;
    size_t n = m->cap;
    m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < n; i++)
        if (old[i].key) *s_find(m, old[i].key) = old[i];
    free(old);
}

struct kpj_head kpjmap_get(const struct kpjmap *m, uint64_t key)
{
    if (!key) return (struct kpj_head){0, 0};
    return s_find(m, key)->h;
}

struct kpj_head kpjmap_put(struct kpjmap *m, uint64_t key, struct kpj_head h)
{
    if (!key) return (struct kpj_head){0, 0};
    if (2 * (m->used + 1) > m->cap) s_grow(m);
    struct slot *s = s_find(m, key);
    if (!s->key) {
        s->key = key;
        m->used++;
    }
    struct kpj_head prev = s->h;
    if (prev.id == 0 && h.id != 0) m->live++;
    else if (prev.id != 0 && h.id == 0) m->live--;
    s->h = h;
    return prev;
}

size_t kpjmap_count(const struct kpjmap *m) { return m->live; }

/* audit.c - see audit.h. */
#include "audit.h"

#include <sodium.h>
#include <string.h>

static void s_u64(crypto_hash_sha256_state *st, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (56 - 8 * i));
    crypto_hash_sha256_update(st, b, 8);
}

static void s_str(crypto_hash_sha256_state *st, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    crypto_hash_sha256_update(st, b, 4);
    if (n) crypto_hash_sha256_update(st, (const uint8_t *)s, n);
}

void audit_hash(const struct audit_entry *e, uint8_t out[32])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, e->prev_hash, 32);
    s_u64(&st, (uint64_t)e->seq);
    s_u64(&st, (uint64_t)e->at_ms);
    s_u64(&st, (uint64_t)e->claim_id);
    s_str(&st, e->actor);
    s_str(&st, e->action);
    s_str(&st, e->detail);
    crypto_hash_sha256_final(&st, out);
}

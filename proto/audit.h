/* audit.h - the tamper-evident audit chain: one entry's canonical bytes and
 * its hash.
 *
 * Owns: how an entry is hashed, so that klaimd (which appends) and
 *   klaimctl (which verifies) can never disagree.
 * Runs in: klaimd (store.c) and klaimctl (audit verify); pure.
 * hash = SHA-256(prev_hash || seq || at_ms || claim_id || actor || action ||
 * detail), integers as 8 bytes big-endian, strings as a 4-byte big-endian
 * length then the bytes. Changing, removing or reordering any entry breaks
 * the hash of the entry itself or of the next one.
 */
#ifndef KLAIM_AUDIT_H
#define KLAIM_AUDIT_H
#include <stdint.h>

struct audit_entry {
    int64_t seq;
    int64_t at_ms;
    int64_t claim_id;           /* 0 when the entry is not about one claim */
    const char *actor;          /* who: client name, "klaimd", worker id */
    const char *action;         /* CLAIM_RECEIVED, DECIDED, PARKED, REVIEW_*, REGISTRY_IMPORT, ... */
    const char *detail;         /* JSON object */
    uint8_t prev_hash[32];
};

void audit_hash(const struct audit_entry *e, uint8_t out[32]);

#endif

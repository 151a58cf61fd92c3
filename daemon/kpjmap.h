/* kpjmap.h - participant (KPJ) -> newest claim id, in memory.
 *
 * Owns: an open-addressing hash table of 11-digit KPJ numbers.
 * Runs in: klaimd main loop only (store.c).
 * Why: the duplicate-event check and an accident's case start from the
 *   claims of one participant. An index keyed by KPJ put a random B-tree
 *   leaf into every commit for every claim (half of the WAL's bytes, issue
 *   7), and walking a participant's old claims reads random pages of a store
 *   that outgrew the page cache. Instead each claims row links to the
 *   participant's previous claim (kpj_prev); this table holds the head of
 *   each chain and a 64-bit signature of the events of all its claims, so
 *   that most checks end here without reading a row. store.c rebuilds it at
 *   start from a narrow index in claim-id order.
 * Invariant: kpjmap_get().id is 0 for a KPJ without claims, else the largest
 *   claim id stored with it; .sig is the OR of what the caller put for each
 *   of those claims (a bit set may be a collision, a bit clear is certain).
 */
#ifndef KLAIM_KPJMAP_H
#define KLAIM_KPJMAP_H
#include <stddef.h>
#include <stdint.h>

struct kpjmap;

struct kpj_head {
    int64_t id;                 /* newest claim, 0: none */
    uint64_t sig;               /* OR of the claims' signature bits */
};

struct kpjmap *kpjmap_new(void);
void kpjmap_free(struct kpjmap **m);
/* The table key of an 11-digit KPJ, or 0 if kpj is not 11 digits. */
uint64_t kpjmap_key(const char *kpj);
/* The table key of a 16-digit NIK, or 0. store.c keeps a second table
 * keyed by NIK: the people with a stored death claim. */
uint64_t kpjmap_nik_key(const char *nik);
/* key's head, {0, 0} when it has none. */
struct kpj_head kpjmap_get(const struct kpjmap *m, uint64_t key);
/* Sets key's head ({0, 0} forgets it) and returns the one before. */
struct kpj_head kpjmap_put(struct kpjmap *m, uint64_t key, struct kpj_head h);
/* KPJ numbers with a claim. */
size_t kpjmap_count(const struct kpjmap *m);

#endif

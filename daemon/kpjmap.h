/* kpjmap.h - participant (KPJ) -> newest claim id, in memory.
 *
 * Owns: an open-addressing hash table of 11-digit KPJ numbers.
 * Runs in: klaimd main loop only (store.c).
 * Why: the duplicate-event check and an accident's case start from the
 *   claims of one participant. An index keyed by KPJ put a random B-tree
 *   leaf into every commit for every claim (half of the WAL's bytes, issue
 *   7). Instead each claims row links to the participant's previous claim
 *   (kpj_prev), and this table holds the head of each chain; store.c
 *   rebuilds it at start from a narrow index in claim-id order.
 * Invariant: kpjmap_get() is 0 for a KPJ without claims, else the largest
 *   claim id stored with it.
 */
#ifndef KLAIM_KPJMAP_H
#define KLAIM_KPJMAP_H
#include <stddef.h>
#include <stdint.h>

struct kpjmap;

struct kpjmap *kpjmap_new(void);
void kpjmap_free(struct kpjmap **m);
/* The table key of an 11-digit KPJ, or 0 if kpj is not 11 digits. */
uint64_t kpjmap_key(const char *kpj);
/* The newest claim id of key, or 0. */
int64_t kpjmap_get(const struct kpjmap *m, uint64_t key);
/* Sets key's newest claim id (0 forgets it) and returns the one before. */
int64_t kpjmap_put(struct kpjmap *m, uint64_t key, int64_t id);
/* KPJ numbers with a claim. */
size_t kpjmap_count(const struct kpjmap *m);

#endif

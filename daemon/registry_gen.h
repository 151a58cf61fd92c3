/* registry_gen.h - participant registry generations: upload, build, switch.
 *
 * Owns: the registry upload in progress (a staging CSV in DATA/registry),
 *   the builder process, and the number of the current generation.
 * Runs in: klaimd main loop only. klaimd never opens a registry file: the
 *   builder (klaim-worker --build-registry) writes gen-(N+1).db from gen-N
 *   plus the CSV, and workers map generations read-only.
 * Invariant: a generation becomes current only after its file was fsynced
 *   and renamed by the builder and registry_gen=N+1 committed; workers see
 *   a whole registry or the previous one, never half of one.
 */
#ifndef KLAIM_REGISTRY_GEN_H
#define KLAIM_REGISTRY_GEN_H
#include <stddef.h>
#include <stdint.h>

#include "klaim.pb-c.h"

struct klaimd;
struct reply_to;
struct registry_gen;

/* Reads the current generation from the store and clears leftovers of
 * interrupted uploads and builds. */
struct registry_gen *registry_gen_new(struct klaimd *k);
void registry_gen_free(struct registry_gen **r);

uint64_t registry_gen_current(const struct registry_gen *r);
uint64_t registry_gen_rows(const struct registry_gen *r);
/* 1 when the current generation is older than registry_max_age_hours (the
 * upstream feed stopped): decisions are still made, marked provisional. */
int registry_gen_stale(const struct registry_gen *r);
/* When the current generation was imported (unix ms; 0 = never). */
int64_t registry_gen_imported_ms(const struct registry_gen *r);

/* One chunk of an upload; replies to `to` (at once, or after the build for
 * the last chunk). */
void registry_gen_chunk(struct registry_gen *r, const struct reply_to *to, const Klaim__RegistryChunk *c);

#endif

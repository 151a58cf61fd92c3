/* same_event.h - rules.md §6 "Same event", as a pure predicate.
 *
 * Owns: the definition of a duplicate claim (DUPLICATE_CLAIM, step 11).
 * Runs in: tests and documentation; klaimd applies the same rule in SQL at
 * intake, in commit order, and passes duplicate_of to decide_claim().
 */
#ifndef KLAIM_SAME_EVENT_H
#define KLAIM_SAME_EVENT_H
#include "types.h"

/* 1 when a and b are the same event: the same kpj and either the same
 * program and event.date, or both death claims (JKM, or JKK with
 * outcome.death_date) with the same death date. Different kpj never match
 * (each membership is its own claim). Symmetric; ignores idempotency keys
 * (a repeat of the same key is idempotency, not a duplicate). */
int claim_same_event(const struct klaim_claim *a, const struct klaim_claim *b);

#endif

/* decide.h - the pure decision: (claim, registry row, rule tables) -> decision.
 *
 * Owns: nothing; it is the entry point of the rules engine.
 * Runs in: klaim-worker (and unit tests). No I/O, no clock, no globals
 * beyond the constant rule tables: the same inputs always give the same
 * decision, so a claim re-decided after a crash gets the same answer.
 * Implemented by eligibility.c (steps 1-11 of rules.md §7, in order) and
 * benefits.c (step 12, items from the table chosen by the event date).
 */
#ifndef KLAIM_DECIDE_H
#define KLAIM_DECIDE_H
#include "types.h"

/* member is NULL when no registry row has the claim's kpj. duplicate_of is
 * the id of an earlier stored claim for the same event (rules.md §6), or 0.
 * out is fully overwritten; it always ends APPROVED, REJECTED or
 * PENDING_REVIEW, with total 0 and at least one reason unless APPROVED. */
void decide_claim(const struct klaim_claim *c, const struct klaim_member *member, int64_t duplicate_of,
                  struct klaim_decision *out);

/* The same after a review: the PENDING_REVIEW reasons whose bits are in
 * waive were accepted by a person (klaimctl review approve) and no longer
 * stop the claim; every other step runs as before. */
void decide_claim_waived(const struct klaim_claim *c, const struct klaim_member *member, int64_t duplicate_of,
                         uint32_t waive, struct klaim_decision *out);

/* The waiver bit of a review reason code, or 0 for a code a reviewer cannot
 * waive: REJECTED reasons, and RULE_UNVERIFIED / NO_BENEFIT_CLAIMED, whose
 * amounts klaimd cannot compute. */
uint32_t klaim_waiver_for_code(const char *code);
/* The code of waiver bit number `bit` (0, 1, ...), or NULL past the last. */
const char *klaim_waiver_code(int bit);

#endif

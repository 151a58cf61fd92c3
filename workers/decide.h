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

/* One APPROVED claim of the same event, as a follow-up is netted against
 * it (docs/money.md §4). */
struct klaim_prior {
    int64_t claim_id;
    struct klaim_claim claim;
    int n_items;
    struct klaim_item items[KLAIM_MAX_ITEMS];   /* what it was approved for */
};

/* What klaimd knows beside the claim and the registry row: found at intake
 * or at lease, in commit order. All zero for a first decision of a new
 * claim. */
struct klaim_case_facts {
    int64_t duplicate_of;       /* an earlier claim of the same event (step 11) */
    uint32_t waive;             /* review reasons a person accepted */
    int64_t earlier_death;      /* a stored death claim of the same NIK (step 3) */
    kdate earlier_death_date;
    int n_prior;                /* the event's APPROVED claims, oldest first */
    const struct klaim_prior *prior;
};

/* The whole decision: steps 1-12, the follow-up netting against f->prior,
 * and the payees of an APPROVED decision. out->netted_against lists every
 * prior claim id (klaimd checks them before it records the decision). */
void decide_claim_with(const struct klaim_claim *c, const struct klaim_member *member,
                       const struct klaim_case_facts *f, struct klaim_decision *out);

/* The waiver bit of a review reason code, or 0 for a code a reviewer cannot
 * waive: REJECTED reasons, and RULE_UNVERIFIED / NO_BENEFIT_CLAIMED, whose
 * amounts klaimd cannot compute. */
uint32_t klaim_waiver_for_code(const char *code);
/* The code of waiver bit number `bit` (0, 1, ...), or NULL past the last. */
const char *klaim_waiver_code(int bit);

#endif

/* benefits.h - step 12 of rules.md §7: the items, the total, the count of
 * scholarship children.
 *
 * Owns: every item formula of rules.md §3 and the RULE_UNVERIFIED and
 * NO_BENEFIT_CLAIMED outcomes; the amounts come from the rule table.
 * Runs in: klaim-worker via decide_claim() and unit tests; pure.
 */
#ifndef KLAIM_BENEFITS_H
#define KLAIM_BENEFITS_H
#include <stdint.h>

#include "eligibility.h"
#include "ruleset.h"
#include "types.h"

/* Step 12 for a claim that passed eligibility_check(). Sets out->state to
 * APPROVED (items in §3 order, none <= 0, total = their sum,
 * scholarship_children), or PENDING_REVIEW with RULE_UNVERIFIED /
 * NO_BENEFIT_CLAIMED (no items, total 0). An amount that would overflow
 * int64 (only possible with inputs outside rules.md §8 bounds, which intake
 * refuses) gives PENDING_REVIEW INCONSISTENT_DATA, never a wrapped value. */
void benefits_compute(const struct klaim_claim *c, const struct klaim_member *m, const struct klaim_eligibility *el,
                      struct klaim_decision *out);

/* STMB for d days at wage W: one exact fraction over the tiers, floored
 * once. 0 and *out set, or -1 on overflow / negative input. */
int benefits_stmb(const struct kr_stmb *t, int64_t wage, int32_t days, int64_t *out);

/* Partial permanent disability (anatomical or functional), floored once.
 * Does not check table_max_bp (the caller decides RULE_UNVERIFIED).
 * 0 and *out set, or -1 on overflow / negative input / another kind. */
int benefits_partial(const struct kr_partial *p, int64_t wage, enum klaim_disability kind, int32_t table_bp,
                     int32_t function_loss_bp, int64_t *out);

/* Distinct CHILD heirs by nik (a CHILD without a nik counts on its own). */
int32_t benefits_child_heirs(const struct klaim_claim *c);

/* rules.md §6 scholarship_children for an APPROVED decision: JKM with
 * contrib_months >= the table minimum, or JKK with a death or TOTAL
 * disability; then min(child heirs, the table's maximum). Else 0. */
int32_t benefits_scholarship_children(const struct klaim_claim *c, const struct klaim_ruleset *rs,
                                      int32_t contrib_months);

#endif

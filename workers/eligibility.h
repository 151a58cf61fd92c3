/* eligibility.h - steps 1-11 of rules.md §7: may this claim be paid at all?
 *
 * Owns: the fixed-order eligibility checks and their reason messages.
 * Runs in: klaim-worker via decide_claim(); pure, no clock.
 */
#ifndef KLAIM_ELIGIBILITY_H
#define KLAIM_ELIGIBILITY_H
#include <stdint.h>

#include "ruleset.h"
#include "types.h"

/* What the eligibility steps learnt and step 12 needs. */
struct klaim_eligibility {
    const struct klaim_ruleset *rs;  /* table by event date; NULL = OUT_OF_SCOPE */
    kmonth ref;                      /* ref month (rules.md §6) */
    int32_t unpaid_months;
    int32_t contrib_months;          /* masa iur (rules.md §6) */
};

/* Runs steps 1-11 in order, skipping the review reasons in f->waive (a
 * mask of klaim_waiver_for_code() bits; 0 for a first decision), except
 * the two a waiver never skips: a heir with the participant's NIK and a
 * death claim without a heir with a NIK. out must
 * be zeroed by the caller. Returns 1
 * when every step passed (out->rule_set and out->wage_basis are set, el is
 * filled, no state yet); returns 0 when a step failed: out then holds the
 * final REJECTED or PENDING_REVIEW decision with reasons[0] naming that
 * step and the facts behind it. */
struct klaim_case_facts;
int eligibility_check(const struct klaim_claim *c, const struct klaim_member *m, const struct klaim_case_facts *f,
                      struct klaim_decision *out, struct klaim_eligibility *el);

/* 1 + the index of the first heir whose nik is the claim's participant
 * nik (nobody inherits from themself), or 0. */
int eligibility_heir_is_participant(const struct klaim_claim *c);
/* 1 when at least one heir has a NIK (someone can be paid a death benefit). */
int eligibility_heir_with_nik(const struct klaim_claim *c);

/* 1 for a death claim (rules.md §6): JKM, or JKK with outcome.death_date;
 * *death_date gets the date of death. */
int eligibility_death_claim(const struct klaim_claim *c, kdate *death_date);

/* Append a reason; used by eligibility.c and benefits.c. Silently keeps
 * the first KLAIM_MAX_REASONS (reasons[0] is what matters). */
void decision_add_reason(struct klaim_decision *out, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

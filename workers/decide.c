/* decide.c - decide_claim(): the pure rules engine entry point, and the
 * "same event" predicate of rules.md §6.
 *
 * Owns: the glue of steps 1-11 (eligibility.c), step 12 (benefits.c, or
 *   followup.c for a claim whose event was already paid) and the payees
 *   (payees.c).
 * Runs in: klaim-worker for every leased claim, and unit tests. No I/O, no
 * clock: the same inputs always give the same decision.
 */
#include "decide.h"

#include <string.h>

#include "benefits.h"
#include "eligibility.h"
#include "followup.h"
#include "payees.h"
#include "log.h"
#include "same_event.h"

void decide_claim(const struct klaim_claim *c, const struct klaim_member *member, int64_t duplicate_of,
                  struct klaim_decision *out)
{
    decide_claim_waived(c, member, duplicate_of, 0, out);
}

void decide_claim_waived(const struct klaim_claim *c, const struct klaim_member *member, int64_t duplicate_of,
                         uint32_t waive, struct klaim_decision *out)
{
    struct klaim_case_facts f = {.duplicate_of = duplicate_of, .waive = waive};
    decide_claim_with(c, member, &f, out);
}

void decide_claim_with(const struct klaim_claim *c, const struct klaim_member *member,
                       const struct klaim_case_facts *f, struct klaim_decision *out)
{
    struct klaim_eligibility el;
    memset(out, 0, sizeof *out);
    if (eligibility_check(c, member, f, out, &el)) {
        if (f->n_prior > 0) followup_compute(c, member, &el, f, out);
        else benefits_compute(c, member, &el, out);
        if (out->state == STATE_APPROVED) payees_assign(c, member, out);
    }
    for (int i = 0; i < f->n_prior && i < KLAIM_MAX_PRIOR; i++) out->netted_against[out->n_netted++] = f->prior[i].claim_id;
    ASSERT(out->state == STATE_APPROVED || out->state == STATE_REJECTED || out->state == STATE_PENDING_REVIEW);
    ASSERT(out->state == STATE_APPROVED ? out->n_reasons == 0 && out->n_payees > 0
                                        : (out->n_reasons > 0 && out->total == 0 && out->n_payees == 0));
}

int claim_same_event(const struct klaim_claim *a, const struct klaim_claim *b)
{
    kdate da, db;
    if (strcmp(a->kpj, b->kpj) != 0) return 0;
    if (a->program == b->program && a->event_date == b->event_date) return 1;
    return eligibility_death_claim(a, &da) && eligibility_death_claim(b, &db) && da == db;
}

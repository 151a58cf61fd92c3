/* followup.h - a follow-up claim: an event is paid once (docs/money.md §4).
 *
 * Owns: the merge of a claim with the APPROVED claims of its event, and the
 *   netting of the merged items against what those claims were paid.
 * Runs in: klaim-worker via decide_claim_with(), and unit tests; pure.
 */
#ifndef KLAIM_FOLLOWUP_H
#define KLAIM_FOLLOWUP_H
#include "decide.h"
#include "eligibility.h"

/* Step 12 for a claim whose event already has APPROVED claims (f->prior,
 * n_prior > 0): the merged claim is this one with incapacity days and each
 * expense summed over it and the priors, this claim's death date else the
 * first prior's, the disability with the highest table (TOTAL highest),
 * none after a death. Its items are computed under this claim's rule set
 * (caps, tiers and floors on the sums), then each item pays the merged
 * amount minus what the priors were approved for under that code, at least
 * 0; the death items are 0 when a prior is an APPROVED death claim of the
 * other programme for the same death (one death pays one programme). A
 * total of 0 is NO_BENEFIT_CLAIMED. out as benefits_compute leaves it. */
void followup_compute(const struct klaim_claim *c, const struct klaim_member *m, const struct klaim_eligibility *el,
                      const struct klaim_case_facts *f, struct klaim_decision *out);

/* The merged claim of c and its priors (exposed for the unit tests). */
void followup_merge(const struct klaim_claim *c, const struct klaim_case_facts *f, struct klaim_claim *merged);

#endif

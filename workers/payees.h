/* payees.h - who receives which items of an APPROVED decision.
 *
 * Owns: the payee rule (docs/money.md §2): death items to the first heir
 *   with a NIK by relation order, medical care to the hospital, a wage
 *   earner's STMB to the employer (sponsor), the rest to the participant
 *   (or, after a death, to that heir); bank accounts where known, and the
 *   flag for an account holder whose name is not the payee's.
 * Runs in: klaim-worker via decide_claim_with(), and unit tests; pure.
 */
#ifndef KLAIM_PAYEES_H
#define KLAIM_PAYEES_H
#include "types.h"

/* Fills d->payees from d->items (d is APPROVED). Every item goes to exactly
 * one payee, every payee has an id, and the amounts add up to d->total.
 * The caller guarantees a heir with a NIK on a death claim (step 10). */
void payees_assign(const struct klaim_claim *c, const struct klaim_member *m, struct klaim_decision *d);

/* 1 when an item code is a death benefit (paid to the heir). */
int payees_death_item(const char *code);

/* The heir who receives the death items: the first with a NIK in the order
 * SPOUSE, CHILD, PARENT, GRANDCHILD, GRANDPARENT, SIBLING, PARENT_IN_LAW,
 * WILL_BENEFICIARY, OTHER, ties by list order; NULL when none has a NIK. */
const struct klaim_heir *payees_heir(const struct klaim_claim *c);

/* 1 when two person names are the same up to case, spacing and
 * punctuation (how a bank's account holder name is compared). */
int payees_same_name(const char *a, const char *b);

#endif

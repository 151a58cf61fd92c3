/* payments.h - payment batches, the bank's settlement, corrected accounts.
 *
 * Owns: the PaymentBatch, PaymentShow, Settle and PaymentAccount requests
 *   (their checks, their writes, their replies), the payment part of a
 *   decision (Decision.payment) and the PAYMENT feed events.
 * Runs in: klaimd main loop only.
 * docs/money.md §6. A batch takes every APPROVED claim that is UNPAID (or
 *   FAILED and corrected since) and whose payees all have a bank account,
 *   one line a payee, and moves those claims to IN_BATCH in the same
 *   transaction, so a claim is never in two open batches. A settlement file
 *   is checked whole before anything is written; a line settled once keeps
 *   its values. A payee paid once is never put into a batch again.
 * See also: store_payments.c (SQL), daemon/ctl/ctl_payments.c (rendering
 *   the CSV and the pain.001 XML from a PaymentBatch).
 */
#ifndef KLAIM_PAYMENTS_H
#define KLAIM_PAYMENTS_H
#include <stddef.h>
#include <stdint.h>

#include "klaim.pb-c.h"

struct klaimd;
struct reply_to;
struct payments;

/* Prepares the statements; NULL with err on failure. */
struct payments *payments_new(struct klaimd *k, char *err, size_t errlen);
void payments_free(struct payments **p);

void payments_batch(struct payments *p, const struct reply_to *to, const Klaim__PaymentBatchRequest *req);
void payments_show(struct payments *p, const struct reply_to *to, const Klaim__PaymentShowRequest *req);
void payments_settle(struct payments *p, const struct reply_to *to, const Klaim__SettleRequest *req);
void payments_account(struct payments *p, const struct reply_to *to, const Klaim__PaymentAccountRequest *req);

/* Decision.payment of an APPROVED claim, with the text it points at. */
struct payment_view {
    Klaim__Payment pb;
    char reference[256];
    char paid_on[11];
    char failure[256];
};
/* Fills v from the store (state, last batch, the bank's references and
 * date when paid, its reason when failed). Returns 0, or -1 when the
 * claim's payment state cannot be read (v is then unusable). */
int payments_view(struct payments *p, int64_t claim_id, struct payment_view *v);

#endif

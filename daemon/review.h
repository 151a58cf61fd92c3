/* review.h - the review queue: claims a person must look at.
 *
 * Owns: listing PENDING_REVIEW claims (and parked ones: DEAD, shown as
 *   PENDING_REVIEW with PROCESSING_FAILED) and resolving them.
 * Runs in: klaimd main loop only.
 * Approve waives the claim's first review reason and sends it back to a
 *   worker to be decided again under the same rules: the next review reason,
 *   if any, stops it again, so every reason is accepted by a person one by
 *   one. A parked claim is requeued with its attempts reset. Reject makes it
 *   final: REJECTED, keeping the reason, with the reviewer's note. Every
 *   action is recorded (who, which client, what, when, why) in the same
 *   transaction as the change.
 */
#ifndef KLAIM_REVIEW_H
#define KLAIM_REVIEW_H
#include "klaim.pb-c.h"

struct klaimd;
struct reply_to;

void review_list(struct klaimd *k, const struct reply_to *to, const Klaim__ReviewListRequest *req);
void review_resolve(struct klaimd *k, const struct reply_to *to, const Klaim__ReviewRequest *req);

#endif

/* review.h - the review queue: claims a person must look at.
 *
 * Owns: listing PENDING_REVIEW claims (and parked ones: DEAD, shown as
 *   PENDING_REVIEW with PROCESSING_FAILED) and AWAITING_CONFIRMATION ones,
 *   and resolving them: approve, reject, confirm (docs/money.md §3, §5).
 * Runs in: klaimd main loop only.
 * Approve waives the claim's first review reason and sends it back to a
 *   worker to be decided again under the same rules: the next review reason,
 *   if any, stops it again, so every reason is accepted by a person one by
 *   one. An approve of HEIRS_MISSING, or of INCONSISTENT_DATA while a heir
 *   has the participant's NIK, must bring heirs: they replace the claim's
 *   heirs for every later decision (claims.review_heirs). A parked claim is
 *   requeued with its attempts reset. Reject makes it final: REJECTED,
 *   keeping the reason, with the reviewer's note.
 * Four eyes: every approve records approval = 1 and the approver's
 *   identity; confirm, by another identity, records approval = 2 and turns
 *   an AWAITING_CONFIRMATION claim APPROVED. An identity is the CURVE
 *   client's name or the HTTP token's name, or "by:NAME" without keys.
 *   Nobody confirms their own approval, and nobody approves or confirms a
 *   claim their own (authenticated) client submitted.
 * Every action is recorded (who, which client, identity, what, when, why,
 *   heirs) in the same transaction as the change, with an audit entry.
 */
#ifndef KLAIM_REVIEW_H
#define KLAIM_REVIEW_H
#include "klaim.pb-c.h"

struct klaimd;
struct reply_to;
struct store_claim_row;

#define REVIEW_LIST_DEFAULT 100
#define REVIEW_LIST_MAX 1000

/* Who acts on a review, as a front end authenticated them. */
struct review_actor {
    char client[65];            /* the client (CURVE) or token (HTTP) name; "local" without keys */
    char owner[65];             /* its owner id (intake.h klaim_owner_is): "key:..", "token:..", "local" */
    int keyed;                  /* 1: client is an authenticated identity (CURVE key or HTTP token) */
};

/* The outcome of a review: code 0 with the claim as stored after the
 * commit, or a Klaim__ErrorCode with field and message (row NULL).
 * Everything is valid during the call only. */
typedef void (*review_done_fn)(void *arg, int code, const char *field, const char *message,
                               const struct store_claim_row *row);

/* Approve, reject or confirm (req->action). done runs exactly once: before
 * this returns for a refusal (nothing written), after the COMMIT for a
 * recorded review. */
void review_act(struct klaimd *k, const struct review_actor *who, const Klaim__ReviewRequest *req,
                review_done_fn done, void *arg);

/* The intake (ZeroMQ) front ends: reply ReviewList / the claim's Decision. */
void review_list(struct klaimd *k, const struct reply_to *to, const Klaim__ReviewListRequest *req);
void review_resolve(struct klaimd *k, const struct reply_to *to, const Klaim__ReviewRequest *req);

#endif

/* intake.h - the client-facing ROUTER: requests in, exactly one reply out.
 *
 * Owns: the intake socket at intake_endpoint, request decoding and
 *   dispatch, the idempotent submit, status (with waiting for a decision),
 *   stats, and every reply sent to a client.
 * Runs in: klaimd main loop only.
 * Invariant: an ack leaves only after the claim's COMMIT (batch.c); every
 *   request, valid or not, gets exactly one reply (or a logged drop when
 *   the client is gone).
 */
#ifndef KLAIM_INTAKE_H
#define KLAIM_INTAKE_H
#include <stddef.h>
#include <stdint.h>

#include "klaim.pb-c.h"

struct klaimd;
struct intake;
struct store_claim_row;

/* The client name recorded as owner and reviewer while klaimd runs without
 * CURVE (every client is the local admin then). */
#define KLAIM_CLIENT_LOCAL "local"

/* Who asked and where the reply goes: the client's routing id, its request
 * id, the authenticated client's owner id, name and role (KLAIM_CLIENT_LOCAL
 * and admin without CURVE). Plain data, so it can be kept while work (a
 * commit, a build) completes. */
struct reply_to {
    uint8_t rid[256];
    size_t rid_len;
    uint64_t request_id;
    char client[65];            /* the client file's name: a label for logs, reviews, audit */
    char owner[65];             /* the owner id recorded with its claims ("key:Z85", or "local") */
    int role;                   /* enum klaim_role */
};

/* Owner ids. A claim records who submitted it as an id of the credential,
 * not its display name: "key:" + the Z85 CURVE public key (ZeroMQ),
 * "token:" + the first 16 hex digits of the bearer token's SHA-256 (HTTP),
 * or KLAIM_CLIENT_LOCAL without keys. Stores written before owner ids hold
 * the client's name instead; such a legacy owner (one without a "key:" or
 * "token:" prefix) belongs to the client of that name (names are unique in
 * clients_dir and in tokens_file). True when the claim whose stored owner is
 * row_owner was submitted by the client with this owner id and name. */
int klaim_owner_is(const char *row_owner, const char *owner, const char *name);

/* The one NOT_FOUND text for a claim a client may not see, whether it is
 * someone else's or does not exist (the wording must not tell them apart). */
#define KLAIM_NOT_VISIBLE " visible to this client"

struct intake *intake_new(struct klaimd *k, char *err, size_t errlen);
void intake_free(struct intake **in);

/* Frames up to this many bytes reach the intake and get a reply (TOO_LARGE
 * above max_message_bytes); libzmq cuts the connection of a peer sending a
 * larger one. 64 MiB, or 2 x max_message_bytes when that is larger. */
#define INTAKE_FRAME_CEILING (INT64_C(64) << 20)
int64_t intake_frame_ceiling(int64_t max_message_bytes);

/* Sends r (version and request_id are filled in here). A client that is
 * gone or not reading is logged and skipped: its claims are in the store. */
void intake_send_reply(struct intake *in, const struct reply_to *to, Klaim__Reply *r);
/* Sends a typed error (Klaim__ErrorCode); every one counts once in
 * klaimd_refusals_total{code}. */
void intake_send_error(struct intake *in, const struct reply_to *to, int code, const char *field, const char *fmt,
                       ...) __attribute__((format(printf, 5, 6)));

/* Replies with a stored claim as a decision (state, items, reviews). */
void intake_reply_claim(struct intake *in, const struct reply_to *to, const struct store_claim_row *row);

/* A stored claim as a Klaim__Decision, for replies that carry several.
 * Valid until claim_view_free(). */
struct claim_view;
struct claim_view *claim_view_new(struct intake *in, const struct store_claim_row *row);
Klaim__Decision *claim_view_decision(struct claim_view *v);
void claim_view_free(struct claim_view **v);

/* The outcome of one submit, for whichever front end asked (ZeroMQ, HTTP).
 * code 0: stored (or a repeat of the same claim: duplicate=1); else a
 * Klaim__ErrorCode with field and message. Strings valid during done(). */
struct intake_result {
    int code;
    const char *field;
    const char *message;
    int64_t claim_id;
    const char *idempotency_key;
    int state;                  /* contract state (DEAD shows as PENDING_REVIEW) */
    int duplicate;
};
typedef void (*intake_done_fn)(void *arg, const struct intake_result *r);

/* The one submit path (validate, idempotency, insert, dispatch case, feed
 * event, commit): done(arg, result) runs exactly once, after the COMMIT for
 * a stored claim, or before this returns for a refused one. owner is the
 * authenticated client's owner id (klaim_owner_is), recorded with the
 * claim; name its label (audit, legacy owners); pending_key names the
 * client for the client_max_pending limit. */
void intake_submit(struct intake *in, const Klaim__Claim *pb, const char *owner, const char *name,
                   const char *pending_key, intake_done_fn done, void *arg);

/* A claim's decision committed: answer the clients waiting for it. */
void intake_on_decided(struct intake *in, int64_t claim_id);
/* Graceful stop: refuse new claims with SHUTTING_DOWN, still answer reads. */
void intake_stop(struct intake *in);

#endif

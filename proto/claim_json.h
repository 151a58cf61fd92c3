/* claim_json.h - claims and decisions as the JSON of interface.md.
 *
 * Owns: the JSON spelling of the contract, using jansson.
 * Runs in: klaimctl (and the HTTP gateway later); pure.
 * JSON in goes through the same validate_claim() as protobuf in: this file
 * only checks JSON types (integers must be integers, never reals) and enum
 * names, then builds a Klaim__Claim, so the two paths cannot disagree.
 */
#ifndef KLAIM_CLAIM_JSON_H
#define KLAIM_CLAIM_JSON_H
#include <jansson.h>

#include "codec.h"

/* JSON object -> protobuf claim. The returned claim and all its strings
 * are owned by the caller: free with claim_json_pb_free(). Returns NULL
 * with err (INVALID_CLAIM, field named, e.g. "outcome.expenses.medical:
 * expected an integer number of Rupiah, got 12.5") on a type error. */
Klaim__Claim *claim_json_to_pb(const json_t *obj, struct klaim_err *err);
void claim_json_pb_free(Klaim__Claim *pb);

/* A review's JSON body ({"action": "approve"|"reject"|"confirm", "by",
 * "note", "heirs": [heir as in a claim, with "bank": {"bank_code",
 * "account", "name"}]}) -> a ReviewRequest for claim_id, or NULL with err
 * (BAD_REQUEST naming action/by/note, INVALID_CLAIM naming heirs[i].x).
 * Only JSON types are checked here; review.c checks the values. Free with
 * protobuf_c_message_free_unpacked(&rr->base, NULL). */
Klaim__ReviewRequest *review_json_to_pb(const json_t *obj, const char *claim_id, struct klaim_err *err);

/* JSON object -> validated internal claim (claim_json_to_pb + validate_claim). */
int claim_from_json(const json_t *obj, kdate today_wib, struct klaim_claim *out, struct klaim_err *err);

/* Internal claim -> JSON object in the contract's shape (new reference). */
json_t *claim_to_json(const struct klaim_claim *c);

/* Protobuf decision -> the decision JSON of interface.md (new reference):
 * claim_id, idempotency_key, state, program, rule_set, wage_basis, items,
 * total, scholarship_children, reasons, received_at, decided_at (RFC 3339,
 * UTC; decided_at null while undecided); for a claim with the JKM payment
 * clock, payment.due, payment.days_late and payment.late_amount. */
json_t *decision_pb_to_json(const Klaim__Decision *d);

#endif

/* codec.h - protobuf frames in and out, with caps; the canonical claim.
 *
 * Owns: decoding of every frame klaimd, klaimctl and the workers receive,
 * and the one canonical encoding of a validated claim.
 * Runs in: any process; pure apart from allocation.
 * Decoding never trusts a length: a frame above the cap is refused before
 * protobuf-c sees it, and unpacking allocates from a budget proportional to
 * the frame (protobuf-c has no cap of its own; repeated fields allocate
 * count x size). A refused frame yields a filled struct klaim_err.
 */
#ifndef KLAIM_CODEC_H
#define KLAIM_CODEC_H
#include <stddef.h>
#include <stdint.h>

#include "klaim.pb-c.h"
#include "types.h"

#define KLAIM_PROTO_VERSION 1
#define KLAIM_WORKER_MAGIC "KLW1"

/* A typed error: code is a Klaim__ErrorCode value, field names the input
 * (e.g. "event.date", may be ""), message says what is wrong and the fix. */
struct klaim_err {
    int code;
    char field[64];
    char message[256];
};
void klaim_err_set(struct klaim_err *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Decode one frame. Returns NULL and fills err (BAD_REQUEST or TOO_LARGE)
 * when the frame is larger than max_bytes, is not a valid message, has the
 * wrong version or has no body. Free with codec_*_free(). */
Klaim__Request *codec_request_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct klaim_err *err);
void codec_request_free(Klaim__Request *r);
Klaim__Reply *codec_reply_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct klaim_err *err);
void codec_reply_free(Klaim__Reply *r);
Klaim__WorkerMsg *codec_worker_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct klaim_err *err);
void codec_worker_free(Klaim__WorkerMsg *m);

/* Pack any message into a fresh xmalloc'ed buffer; *len gets its size. */
uint8_t *codec_pack(const ProtobufCMessage *msg, size_t *len);
/* A WorkerMsg carrying job, whose claim field is given as the claim's
 * packed bytes (job->claim must be NULL): the stored canonical claim goes
 * out as it is, without being unpacked and packed again (issue 7). The
 * caller vouches that claim is a well-formed packed Klaim__Claim: a frame
 * the worker cannot decode makes it exit. xmalloc'ed; *len gets its size. */
uint8_t *codec_job_pack(const Klaim__Job *job, const uint8_t *claim, size_t claim_len, size_t *len);

/* Validate a decoded protobuf claim into the internal claim (rules.md §5):
 * required fields, enums, calendar dates, RFC 3339 with offset, bounds,
 * digits. today_wib is the receipt date for the no-future-dates check
 * (pass INT32_MAX to skip it, e.g. when re-reading a stored claim).
 * Returns 0, or -1 with err->code INVALID_CLAIM and err->field set. */
int validate_claim(const Klaim__Claim *pb, kdate today_wib, struct klaim_claim *out, struct klaim_err *err);
/* A bank account (docs/money.md §2): bank_code exactly 3 digits, account
 * 6..20 digits, name 1..KLAIM_TEXT_MAX bytes of clean UTF-8; all three or
 * none. path names the object in errors ("heirs[0].bank" gives
 * "heirs[0].bank.account"). Returns 0 with out filled, 1 when all three are
 * absent or empty (out zeroed), -1 with an INVALID_CLAIM err. Shared by
 * claims, the registry's sponsor accounts and corrected payee accounts. */
int validate_bank_fields(const char *path, const char *code, const char *account, const char *name,
                         struct klaim_bank *out, struct klaim_err *err);

/* Heirs a reviewer supplies (ReviewRequest.heirs): the claim's heir checks
 * (relation, 16-digit NIK when given, name text) plus a name that is
 * required and a bank account that is whole (3-digit bank_code, 6-20 digit
 * account, holder name) when given. Fields are named "heirs[i].nik" etc.
 * 0 with out[0..*n_out), or -1 with err (INVALID_CLAIM). */
int validate_heirs(Klaim__Heir *const *heirs, size_t n, struct klaim_heir out[KLAIM_MAX_HEIRS], int *n_out,
                   struct klaim_err *err);

/* The canonical encoding of a validated claim: a Klaim__Claim packed from
 * the internal struct (never the client's bytes, which may carry unknown
 * fields). Same claim from JSON or protobuf => same bytes. xmalloc'ed. */
uint8_t *claim_canonical_pack(const struct klaim_claim *c, size_t *len);
/* Decode + validate a canonical claim (as stored); 0 or -1 with err. */
int claim_canonical_unpack(const uint8_t *buf, size_t len, struct klaim_claim *out, struct klaim_err *err);
/* SHA-256 of the canonical encoding: the idempotency digest. */
void claim_digest(const struct klaim_claim *c, uint8_t out[32]);
/* The same from the bytes claim_canonical_pack() returned. */
void claim_digest_bytes(const uint8_t *canonical, size_t len, uint8_t out[32]);

/* Fill a protobuf Claim that points into c (no allocation); the storage
 * structs live in *scratch, which must outlive pb. */
struct claim_pb_scratch;
struct claim_pb_scratch *claim_pb_scratch_new(void);
void claim_pb_scratch_free(struct claim_pb_scratch *s);
void claim_to_pb(const struct klaim_claim *c, struct claim_pb_scratch *s, Klaim__Claim *pb);

/* Decision <-> protobuf. decision_pack writes a Klaim__Decision with the
 * given claim id, key, program and times into a fresh xmalloc'ed buffer.
 * decision_from_pb checks codes and lengths; 0 or -1 with err. */
uint8_t *decision_pack(const struct klaim_decision *d, int64_t claim_id, const char *idem_key,
                       enum klaim_program program, int64_t received_at_ms, int64_t decided_at_ms, size_t *len);
int decision_from_pb(const Klaim__Decision *pb, struct klaim_decision *out, struct klaim_err *err);

/* Points pb's payees and netted_against into d (no allocation); s holds
 * the protobuf structs and must outlive pb. */
struct payees_pb_scratch {
    Klaim__Payee payees[KLAIM_MAX_PAYEES], *ptrs[KLAIM_MAX_PAYEES];
    Klaim__BankAccount banks[KLAIM_MAX_PAYEES];
    char *codes[KLAIM_MAX_PAYEES][KLAIM_MAX_ITEMS];
};
void decision_payees_to_pb(const struct klaim_decision *d, struct payees_pb_scratch *s, Klaim__Decision *pb);

#endif

/* cases.h - dispatch cases: one per accident, for the rapid-response room.
 *
 * Owns: opening and merging cases from accident notifications, their
 *   priority and coverage, the console actions (acknowledge, assign, close)
 *   and the JSON shape of a case (proto/PROTOCOL.md "Dispatch cases").
 * Runs in: klaimd main loop only.
 * Invariant: every change to a case is written with its feed event in the
 *   same transaction (feed_emit); a reply about an action leaves after the
 *   COMMIT. Actions are idempotent: a repeat changes nothing, emits nothing
 *   and answers with the case as it is (changed = false).
 * A case opens for a JKK ACCIDENT claim; a second report of the same
 * accident (same kpj, same event date; from the hospital and the employer)
 * joins it (CASE_MERGED). Priority: 1 death, 2 hospitalised (incapacity
 * days or a disability), 3 outpatient; a merge keeps the higher one.
 */
#ifndef KLAIM_CASES_H
#define KLAIM_CASES_H
#include <stdint.h>

#include <jansson.h>

#include "klaim.pb-c.h"
#include "types.h"

struct klaimd;
struct cases;
struct reply_to;
struct store_case;

enum { CASE_OPEN = 1, CASE_ACKED = 2, CASE_ASSIGNED = 3, CASE_CLOSED = 4 };
enum { SLA_REPORT = 1, SLA_DECISION = 2, SLA_ACK = 4 };

struct cases *cases_new(struct klaimd *k);
void cases_free(struct cases **cs);

/* Inside the submit transaction, for a newly stored claim: emits
 * CLAIM_RECEIVED and, for an accident, opens or merges its case (and a
 * REPORT breach when the first report came late). same_event is the
 * earlier claim of the same event (store_find_same_event), 0 if none: then
 * no case can exist yet and none is looked for. 0, or -1 (store error). */
int cases_on_claim_received(struct cases *cs, const struct klaim_claim *c, int64_t claim_id, int64_t received_at_ms,
                            int64_t same_event);

/* Inside the transaction that stored a decision (worker result, parked
 * claim, review): emits DECIDED and updates the case's coverage and
 * decision clock. 0 or -1. */
int cases_on_decided(struct cases *cs, int64_t claim_id, const struct klaim_decision *d);

/* Result of an action: code 0 and the case JSON text, or an error. */
typedef void (*cases_done_fn)(void *arg, int code, const char *field, const char *message, const char *case_json,
                              int changed);
/* action: Klaim__DispatchActionType. done runs once: at once for a refusal
 * or a repeat, after the COMMIT for a change. */
void cases_act(struct cases *cs, const char *case_id, int action, const char *by, const char *team, const char *note,
               const char *client, cases_done_fn done, void *arg);
/* The intake front end of cases_act (replies DispatchCase). */
void cases_action(struct cases *cs, const struct reply_to *to, const Klaim__DispatchActionRequest *req);

/* Open cases as a JSON array (new reference), or NULL on a store error. */
json_t *cases_open_json(struct cases *cs);
/* Inside an open batch: a clock of the case ran out at due. Marks it and
 * emits SLA_BREACHED unless it was met or marked meanwhile. 0 or -1. */
int cases_breach(struct cases *cs, int64_t case_id, int clock);

/* The case as JSON (new reference). */
json_t *case_to_json(const struct store_case *c, int64_t now_ms);
/* The same as compact JSON text (malloc'd, the caller frees it), written
 * without jansson for the per-claim events; byte-for-byte what
 * json_dumps(case_to_json(c), JSON_COMPACT) gives. */
char *case_to_text(const struct store_case *c, int64_t now_ms);
/* "c-000000000007" <-> 7. Parse returns 0 or -1. */
void case_id_format(int64_t id, char *buf, size_t size);
int case_id_parse(const char *s, int64_t *id);
/* The coverage a decision shows (1 covered, 2 not covered, 3 in doubt). */
int case_coverage_of(const struct klaim_decision *d);

#endif

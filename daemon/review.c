/* review.c - see review.h.
 *
 * Owns: the review requests' checks, their writes and their replies.
 * Runs in: klaimd main loop only.
 * See also: store.c (claims.waive, reviews table), workers/eligibility.c
 *   (what a waiver skips), intake.c (decision replies).
 */
#include "review.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cases.h"
#include "broker.h"
#include "codec.h"
#include "decide.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

#define REVIEW_LIST_DEFAULT 100
#define REVIEW_LIST_MAX 1000
#define REVIEW_BY_MAX 64
#define REVIEW_NOTE_MAX 500

/* ------------------------------------------------------------------ list */

struct list_op {
    struct klaimd *k;
    struct reply_to to;
    int64_t after;
    int limit;
};

static void s_list_now(struct list_op *op)
{
    struct klaimd *k = op->k;
    int64_t *ids = xcalloc((size_t)op->limit + 1, sizeof *ids);
    int n = 0;
    if (store_review_list(k->store, op->after, op->limit + 1, ids, &n) != 0) {
        free(ids);
        intake_send_error(k->intake, &op->to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
        return;
    }
    int more = n > op->limit;
    if (more) n = op->limit;
    struct claim_view **views = xcalloc((size_t)n + 1, sizeof *views);
    Klaim__Decision **ds = xcalloc((size_t)n + 1, sizeof *ds);
    size_t m = 0;
    for (int i = 0; i < n; i++) {
        struct store_claim_row row;
        if (store_get_by_id(k->store, ids[i], &row) != 0) continue;
        views[m] = claim_view_new(k->intake, &row);
        ds[m] = claim_view_decision(views[m]);
        m++;
        store_claim_row_clear(&row);
    }
    Klaim__ReviewList list = KLAIM__REVIEW_LIST__INIT;
    list.n_decisions = m;
    list.decisions = ds;
    list.has_more = 1, list.more = more;
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_REVIEW_LIST;
    r.review_list = &list;
    intake_send_reply(k->intake, &op->to, &r);
    for (size_t i = 0; i < m; i++) claim_view_free(&views[i]);
    free(views);
    free(ds);
    free(ids);
}

static void s_on_list_after_commit(void *arg, int committed)
{
    s_list_now(arg);
    free(arg);
}

void review_list(struct klaimd *k, const struct reply_to *to, const Klaim__ReviewListRequest *req)
{
    struct list_op op = {.k = k, .to = *to, .limit = REVIEW_LIST_DEFAULT};
    if (req->has_limit && req->limit > 0) op.limit = req->limit > REVIEW_LIST_MAX ? REVIEW_LIST_MAX : (int)req->limit;
    if (req->after_claim_id && req->after_claim_id[0] && klaim_id_parse(req->after_claim_id, &op.after) != 0) {
        intake_send_error(k->intake, to, KLAIM__ERROR_CODE__BAD_REQUEST, "after_claim_id",
                          "\"%.64s\" is not a claim id (expected k- followed by digits)", req->after_claim_id);
        return;
    }
    /* Only committed state is shown: answer after an open transaction. */
    if (batch_is_pending(k->batch)) {
        struct list_op *copy = xmalloc(sizeof *copy);
        *copy = op;
        batch_then(k->batch, s_on_list_after_commit, copy);
    } else {
        s_list_now(&op);
    }
}

/* --------------------------------------------------------------- resolve */

/* 1..max bytes of printable text (UTF-8 allowed), no control characters. */
static int s_text_ok(const char *s, size_t max, int required)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0) return !required;
    if (n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return 1;
}

struct resolve_op {
    struct klaimd *k;
    struct reply_to to;
    int64_t id;
    int requeue;
};

static void s_on_resolved(void *arg, int committed)
{
    struct resolve_op *op = arg;
    struct klaimd *k = op->k;
    if (!committed) {
        intake_send_error(k->intake, &op->to, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                          "the store could not commit; the review was not recorded; retry later");
    } else {
        if (op->requeue) broker_enqueue(k->broker, op->id, 0);
        struct store_claim_row row;
        if (store_get_by_id(k->store, op->id, &row) == 0) {
            intake_reply_claim(k->intake, &op->to, &row);
            store_claim_row_clear(&row);
        } else {
            intake_send_error(k->intake, &op->to, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                              "the review was recorded but the claim could not be read back; ask its status");
        }
    }
    free(op);
}

void review_resolve(struct klaimd *k, const struct reply_to *to, const Klaim__ReviewRequest *req)
{
    struct intake *in = k->intake;
    int64_t id;
    if (!req->claim_id || klaim_id_parse(req->claim_id, &id) != 0) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                          "give the claim id to review (k- followed by digits, e.g. k-000000000042)");
        return;
    }
    int action = req->has_action ? (int)req->action : 0;
    if (action != KLAIM__REVIEW_ACTION__APPROVE && action != KLAIM__REVIEW_ACTION__REJECT) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "action", "action must be APPROVE or REJECT");
        return;
    }
    if (!s_text_ok(req->by, REVIEW_BY_MAX, 1)) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "by",
                          "name the reviewer: 1-%d characters, no control characters", REVIEW_BY_MAX);
        return;
    }
    if (!s_text_ok(req->note, REVIEW_NOTE_MAX, action == KLAIM__REVIEW_ACTION__REJECT)) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "note",
                          "%s: up to %d bytes, no control characters",
                          action == KLAIM__REVIEW_ACTION__REJECT ? "a rejection needs a note saying why" : "note",
                          REVIEW_NOTE_MAX);
        return;
    }
    if (k->stopping) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__SHUTTING_DOWN, "", "klaimd is stopping; retry after it restarts");
        return;
    }
    if (batch_open(k->batch) != 0) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store cannot commit right now; retry later");
        return;
    }
    struct store_claim_row row;
    int rc = store_get_by_id(k->store, id, &row);
    if (rc != 0) {
        if (rc < 0) {
            intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
            batch_fail(k->batch);
        } else {
            intake_send_error(in, to, KLAIM__ERROR_CODE__NOT_FOUND, "claim_id", "no claim %s", req->claim_id);
        }
        return;
    }
    int dead = row.state == STORE_STATE_DEAD;
    struct klaim_decision d;
    struct klaim_err err;
    Klaim__Decision *pb = row.decision ? klaim__decision__unpack(NULL, row.decision_len, row.decision) : NULL;
    int ok = pb && decision_from_pb(pb, &d, &err) == 0 && d.n_reasons > 0;
    if (pb) klaim__decision__free_unpacked(pb, NULL);
    if ((row.state != STATE_PENDING_REVIEW && !dead) || !ok) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "claim_id", "claim %s is %s, not pending review",
                          req->claim_id, dead ? "PENDING_REVIEW" : klaim_state_name((enum klaim_state)row.state));
        store_claim_row_clear(&row);
        return;
    }
    store_claim_row_clear(&row);
    const char *code = d.reasons[0].code;
    struct resolve_op *op = xcalloc(1, sizeof *op);
    op->k = k;
    op->to = *to;
    op->id = id;
    int64_t now = klaimd_now_ms();
    if (action == KLAIM__REVIEW_ACTION__APPROVE) {
        uint32_t bit = dead ? 0 : klaim_waiver_for_code(code);
        if (!dead && bit == 0) {
            free(op);
            intake_send_error(in, to, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "action",
                              "claim %s waits on %s, which a reviewer cannot approve in klaimd (the amount needs a "
                              "rule klaimd does not have); reject it with a note and settle it outside klaimd",
                              req->claim_id, code);
            return;
        }
        rc = store_review_approve(k->store, id, bit);
        op->requeue = 1;
    } else {
        d.state = STATE_REJECTED;
        char msg[sizeof d.reasons[0].message];
        snprintf(msg, sizeof msg, "rejected on review by %s: %s", req->by, req->note);
        memcpy(d.reasons[0].message, msg, sizeof msg);
        size_t len;
        uint8_t *blob = decision_pack(&d, id, "", PROGRAM_NONE, 0, 0, &len);
        rc = store_review_reject(k->store, id, blob, len, now);
        free(blob);
        if (rc == 0 && cases_on_decided(k->cases, id, &d) != 0) rc = -1; /* feed: DECIDED again */
    }
    struct store_review rev = {.claim_id = id, .action = action, .reason_code = code, .by = req->by,
                               .client = to->client, .note = req->note ? req->note : "", .at_ms = now};
    json_t *dj = json_pack("{s:s, s:s, s:s}", "by", req->by, "reason", code, "note", rev.note);
    char *detail = dj ? json_dumps(dj, JSON_COMPACT) : NULL;
    json_decref(dj);
    if (rc == 0 && (store_review_record(k->store, &rev) != 0 ||
                    store_audit(k->store, now, id, to->client,
                                action == KLAIM__REVIEW_ACTION__APPROVE ? "REVIEW_APPROVE" : "REVIEW_REJECT",
                                detail ? detail : "{}") != 0))
        rc = -1;
    free(detail);
    if (rc < 0) {
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed; nothing was recorded");
        batch_fail(k->batch);
        return;
    }
    if (rc == 1) { /* cannot happen after the read above in one transaction */
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "claim_id", "claim %s is not pending review",
                          req->claim_id);
        batch_op_done(k->batch);
        return;
    }
    log_info("review: claim=%s %s reason=%s by=\"%s\"", req->claim_id,
             action == KLAIM__REVIEW_ACTION__APPROVE ? "approved" : "rejected", code, req->by);
    batch_then(k->batch, s_on_resolved, op);
    batch_op_done(k->batch);
}

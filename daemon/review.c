/* review.c - see review.h.
 *
 * Owns: the review requests' checks (reviewer heirs, four eyes), their
 *   writes and their ZeroMQ replies (http.c has the HTTP ones).
 * Runs in: klaimd main loop only.
 * See also: store.c (claims.waive, review_heirs, approval, reviews table),
 *   workers/eligibility.c (what a waiver skips), broker.c (the JOB's heirs,
 *   AWAITING_CONFIRMATION), intake.c (decision replies), docs/money.md.
 */
#include "review.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "broker.h"
#include "cases.h"
#include "clients.h"
#include "codec.h"
#include "decide.h"
#include "intake.h"
#include "klaimd.h"
#include "fmt.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

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


/* The klaimctl verb of a (checked) review action, for messages and logs. */
static const char *s_action_name(int action)
{
    return action == KLAIM__REVIEW_ACTION__APPROVE ? "approve" : action == KLAIM__REVIEW_ACTION__REJECT ? "reject"
                                                                                                      : "confirm";
}

/* A refusal: done() with a formatted message, nothing written. */
static void s_refuse(review_done_fn done, void *arg, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void s_refuse(review_done_fn done, void *arg, int code, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    done(arg, code, field, msg, NULL);
}

/* Reviewer heirs as claims.review_heirs / reviews.heirs keep them: a packed
 * Klaim__Claim whose only field is heirs (bank accounts included), so the
 * lease can hand them to the worker as they are. xmalloc'ed. */
static uint8_t *s_heirs_pack(const struct klaim_heir *h, int n, size_t *len)
{
    Klaim__Heir hs[KLAIM_MAX_HEIRS], *hp[KLAIM_MAX_HEIRS];
    Klaim__BankAccount bs[KLAIM_MAX_HEIRS];
    for (int i = 0; i < n; i++) {
        klaim__heir__init(&hs[i]);
        hs[i].nik = h[i].nik[0] ? (char *)h[i].nik : NULL;
        hs[i].name = (char *)h[i].name;
        hs[i].has_relation = 1, hs[i].relation = (Klaim__Relation)h[i].relation;
        if (h[i].has_bank) {
            klaim__bank_account__init(&bs[i]);
            bs[i].bank_code = (char *)h[i].bank.code;
            bs[i].account = (char *)h[i].bank.account;
            bs[i].name = (char *)h[i].bank.name;
            hs[i].bank = &bs[i];
        }
        hp[i] = &hs[i];
    }
    Klaim__Claim c = KLAIM__CLAIM__INIT;
    c.n_heirs = (size_t)n;
    c.heirs = hp;
    return codec_pack(&c.base, len);
}

/* The heirs a claim is decided with now: the reviewer's (review_heirs)
 * when a review brought some, else the claim's own. 0, or -1 when the
 * stored bytes do not decode (a store fault). */
static int s_effective_heirs(const struct store_review_inputs *in, const struct klaim_claim *c,
                             struct klaim_heir out[KLAIM_MAX_HEIRS], int *n)
{
    if (!in->review_heirs) {
        memcpy(out, c->heirs, sizeof c->heirs);
        *n = c->n_heirs;
        return 0;
    }
    Klaim__Claim *pb = klaim__claim__unpack(NULL, in->review_heirs_len, in->review_heirs);
    if (!pb) return -1;
    struct klaim_err err;
    int rc = validate_heirs(pb->heirs, pb->n_heirs, out, n, &err);
    klaim__claim__free_unpacked(pb, NULL);
    return rc;
}

/* The reason code the claim's last approval waived: what a confirm
 * confirms (kept with the confirm in the review history). */
static void s_last_approved(void *arg, const struct store_review *r)
{
    if (r->action == KLAIM__REVIEW_ACTION__APPROVE) snprintf(arg, 64, "%s", r->reason_code);
}

/* A recorded review waiting for its COMMIT: then the claim is requeued
 * (approve) and read back for done(). */
struct resolve_op {
    struct klaimd *k;
    int64_t id;
    int requeue;
    review_done_fn done;
    void *arg;
};

/* After the review's transaction: done() gets the claim as committed, or
 * UNAVAILABLE when the commit failed (nothing was recorded then). */
static void s_on_resolved(void *arg, int committed)
{
    struct resolve_op *op = arg;
    struct klaimd *k = op->k;
    if (!committed) {
        op->done(op->arg, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                 "the store could not commit; the review was not recorded; retry later", NULL);
    } else {
        if (op->requeue) broker_enqueue(k->broker, op->id, 0);
        struct store_claim_row row;
        if (store_get_by_id(k->store, op->id, &row) == 0) {
            op->done(op->arg, 0, "", "", &row);
            store_claim_row_clear(&row);
        } else {
            op->done(op->arg, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                     "the review was recorded but the claim could not be read back; ask its status", NULL);
        }
    }
    free(op);
}

/* What one review request changes, worked out before anything is written. */
struct plan {
    const char *code;           /* the reason reviewed (confirm: the one the approval waived) */
    char confirmed[64];
    uint32_t bit;               /* approve: the waiver */
    uint8_t *heirs;             /* approve: the reviewer's heirs, packed; NULL when none */
    size_t heirs_len;
    int n_heirs;
    struct klaim_decision d;    /* reject: the final decision; confirm of state 7: the APPROVED one */
    uint8_t *decision;          /* confirm of state 7: the stored decision with state APPROVED */
    size_t decision_len;
};

/* Checks an approve's heirs against the claim (docs/money.md §3). heirs
 * are required exactly when the reason is HEIRS_MISSING, or
 * INCONSISTENT_DATA while one of the effective heirs has the participant's
 * NIK; refused with any other reason. 0 with p->heirs set (or NULL when
 * none are needed), or -1 after done() refused it. */
static int s_plan_heirs(struct klaimd *k, const char *claim_id, int64_t id, int dead, const Klaim__ReviewRequest *req,
                        const struct klaim_heir *given, int n_given, struct plan *p, review_done_fn done, void *arg)
{
    struct store_review_inputs in;
    int rc = store_review_inputs(k->store, id, &in);
    if (rc != 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
        return -1;
    }
    struct klaim_claim c;
    struct klaim_err err;
    struct klaim_heir eff[KLAIM_MAX_HEIRS];
    int n_eff = 0;
    if (claim_canonical_unpack(in.claim, in.claim_len, &c, &err) != 0 || s_effective_heirs(&in, &c, eff, &n_eff) != 0) {
        store_review_inputs_clear(&in);
        log_error("review: claim %s: its stored claim or heirs do not decode", claim_id);
        s_refuse(done, arg, KLAIM__ERROR_CODE__INTERNAL, "", "claim %s cannot be read back; nothing was recorded",
                 claim_id);
        return -1;
    }
    store_review_inputs_clear(&in);
    int self_heir = 0;
    for (int i = 0; i < n_eff; i++) self_heir |= eff[i].nik[0] && strcmp(eff[i].nik, c.nik) == 0;
    int needs = !dead && (strcmp(p->code, "HEIRS_MISSING") == 0 ||
                          (strcmp(p->code, "INCONSISTENT_DATA") == 0 && self_heir));
    if (!needs) {
        if (req->n_heirs > 0) {
            s_refuse(done, arg, KLAIM__ERROR_CODE__BAD_REQUEST, "heirs",
                     "claim %s waits on %s: heirs only replace missing or wrong heirs (HEIRS_MISSING, or "
                     "INCONSISTENT_DATA with a heir who has the participant's NIK); approve it without --heir",
                     claim_id, dead ? "PROCESSING_FAILED" : p->code);
            return -1;
        }
        return 0;
    }
    const char *why = strcmp(p->code, "HEIRS_MISSING") == 0
                          ? "no heir with a NIK"
                          : "a heir with the participant's own NIK (nobody inherits from themself)";
    if (n_given == 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "heirs",
                 "claim %s waits on %s (%s): an approval must bring the heirs, at least one with a 16-digit NIK "
                 "(klaimctl: --heir NIK:NAME:RELATION)",
                 claim_id, p->code, why);
        return -1;
    }
    int with_nik = 0;
    for (int i = 0; i < n_given; i++) {
        if (given[i].nik[0] && strcmp(given[i].nik, c.nik) == 0) {
            char field[32];
            snprintf(field, sizeof field, "heirs[%d].nik", i);
            s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, field,
                     "%s is the participant's own NIK: nobody inherits from themself; give the heir's NIK", field);
            return -1;
        }
        with_nik += given[i].nik[0] != 0;
    }
    if (!with_nik) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "heirs",
                 "claim %s waits on %s: at least one of the heirs must have a 16-digit NIK (the payee)", claim_id,
                 p->code);
        return -1;
    }
    p->heirs = s_heirs_pack(given, n_given, &p->heirs_len);
    p->n_heirs = n_given;
    return 0;
}

/* Confirm (docs/money.md §5): only of an approval waiting for its second
 * reviewer, by another identity. 0 with p filled (p->decision set when the
 * claim is AWAITING_CONFIRMATION), or -1 after done() refused it. */
static int s_plan_confirm(struct klaimd *k, const char *claim_id, int64_t id, const struct store_claim_row *row,
                          const char *identity, struct plan *p, review_done_fn done, void *arg)
{
    struct store_review_inputs in;
    if (store_review_inputs(k->store, id, &in) != 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
        return -1;
    }
    int approval = in.approval;
    char approved_by[sizeof in.approved_by];
    memcpy(approved_by, in.approved_by, sizeof approved_by);
    store_review_inputs_clear(&in);
    if (approval == 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "claim_id",
                 "nothing to confirm: claim %s has no approval waiting for a second reviewer", claim_id);
        return -1;
    }
    if (approval == 2) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "claim_id",
                 "nothing to confirm: the approval of claim %s was confirmed already", claim_id);
        return -1;
    }
    if (strcmp(approved_by, identity) == 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "by",
                 "four eyes: %s approved claim %s, and nobody confirms their own approval; a different "
                 "reviewer must confirm it",
                 identity, claim_id);
        return -1;
    }
    if (store_reviews_of(k->store, id, s_last_approved, p->confirmed) != 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
        return -1;
    }
    p->code = p->confirmed;
    if (row->state != STATE_AWAITING_CONFIRMATION) return 0; /* applies when the decision comes */
    Klaim__Decision *pb = row->decision ? klaim__decision__unpack(NULL, row->decision_len, row->decision) : NULL;
    struct klaim_err err;
    int ok = 0;
    if (pb) {
        pb->has_state = 1, pb->state = KLAIM__STATE__APPROVED;
        ok = decision_from_pb(pb, &p->d, &err) == 0;
        if (ok) p->decision = codec_pack(&pb->base, &p->decision_len);
        klaim__decision__free_unpacked(pb, NULL);
    }
    if (!ok) {
        log_error("review: claim %s is AWAITING_CONFIRMATION without a readable decision", claim_id);
        s_refuse(done, arg, KLAIM__ERROR_CODE__INTERNAL, "", "claim %s has no readable decision; nothing was recorded",
                 claim_id);
        return -1;
    }
    return 0;
}

/* See review.h. Checks run in this order: the request's own fields and
 * heirs (no store read), then the claim (exists, owner rule, state and
 * reason, or the approval a confirm needs), then the heirs against the
 * claim; only then is anything written, all in one transaction. */
void review_act(struct klaimd *k, const struct review_actor *who, const Klaim__ReviewRequest *req,
                review_done_fn done, void *arg)
{
    int64_t id;
    if (!req->claim_id || klaim_id_parse(req->claim_id, &id) != 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                 "give the claim id to review (k- followed by digits, e.g. k-000000000042)");
        return;
    }
    int action = req->has_action ? (int)req->action : 0;
    if (action != KLAIM__REVIEW_ACTION__APPROVE && action != KLAIM__REVIEW_ACTION__REJECT &&
        action != KLAIM__REVIEW_ACTION__CONFIRM) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__BAD_REQUEST, "action", "action must be APPROVE, REJECT or CONFIRM");
        return;
    }
    if (!fmt_text_ok(req->by, REVIEW_BY_MAX, 1)) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__BAD_REQUEST, "by",
                 "name the reviewer: 1-%d characters, no control characters", REVIEW_BY_MAX);
        return;
    }
    if (!fmt_text_ok(req->note, REVIEW_NOTE_MAX, action == KLAIM__REVIEW_ACTION__REJECT)) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__BAD_REQUEST, "note", "%s: up to %d bytes, no control characters",
                 action == KLAIM__REVIEW_ACTION__REJECT ? "a rejection needs a note saying why" : "note",
                 REVIEW_NOTE_MAX);
        return;
    }
    struct klaim_heir given[KLAIM_MAX_HEIRS];
    int n_given = 0;
    if (req->n_heirs > 0) {
        struct klaim_err err;
        if (action != KLAIM__REVIEW_ACTION__APPROVE) {
            s_refuse(done, arg, KLAIM__ERROR_CODE__BAD_REQUEST, "heirs",
                     "heirs come with an approve only (they replace missing or wrong heirs); %s takes none",
                     s_action_name(action));
            return;
        }
        if (validate_heirs(req->heirs, req->n_heirs, given, &n_given, &err) != 0) {
            done(arg, err.code, err.field, err.message, NULL);
            return;
        }
    }
    /* Four eyes counts identities: the authenticated client, or the
     * reviewer's name when klaimd runs without keys (every client the
     * local admin). */
    char identity[96];
    if (who->keyed) snprintf(identity, sizeof identity, "%s", who->client);
    else snprintf(identity, sizeof identity, "by:%s", req->by);
    if (k->stopping) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__SHUTTING_DOWN, "", "klaimd is stopping; retry after it restarts");
        return;
    }
    if (batch_open(k->batch) != 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store cannot commit right now; retry later");
        return;
    }
    struct store_claim_row row;
    int rc = store_get_by_id(k->store, id, &row);
    if (rc != 0) {
        if (rc < 0) {
            s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
            batch_fail(k->batch);
        } else {
            s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_FOUND, "claim_id", "no claim %s" KLAIM_NOT_VISIBLE,
                     req->claim_id);
        }
        return;
    }
    /* The submitter is the claim's owner id (or, for claims stored before
     * owner ids, the client's name: klaim_owner_is). */
    if (who->keyed && action != KLAIM__REVIEW_ACTION__REJECT && klaim_owner_is(row.owner, who->owner, who->client)) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "claim_id",
                 "four eyes: client \"%s\" submitted claim %s, and nobody approves a claim their own client "
                 "submitted; another reviewer must %s it",
                 who->client, req->claim_id, s_action_name(action));
        store_claim_row_clear(&row);
        return;
    }
    struct plan p;
    memset(&p, 0, sizeof p);
    int dead = row.state == STORE_STATE_DEAD;
    if (action == KLAIM__REVIEW_ACTION__CONFIRM) {
        rc = s_plan_confirm(k, req->claim_id, id, &row, identity, &p, done, arg);
        store_claim_row_clear(&row);
        if (rc != 0) return;
    } else {
        struct klaim_err err;
        Klaim__Decision *pb = row.decision ? klaim__decision__unpack(NULL, row.decision_len, row.decision) : NULL;
        int ok = pb && decision_from_pb(pb, &p.d, &err) == 0 && p.d.n_reasons > 0;
        if (pb) klaim__decision__free_unpacked(pb, NULL);
        if ((row.state != STATE_PENDING_REVIEW && !dead) || !ok) {
            s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "claim_id", "claim %s is %s, not pending review%s",
                     req->claim_id, dead ? "PENDING_REVIEW" : klaim_state_name((enum klaim_state)row.state),
                     row.state == STATE_AWAITING_CONFIRMATION ? " (a second reviewer confirms it: review confirm)"
                                                              : "");
            store_claim_row_clear(&row);
            return;
        }
        store_claim_row_clear(&row);
        p.code = p.d.reasons[0].code;
        if (action == KLAIM__REVIEW_ACTION__APPROVE) {
            p.bit = dead ? 0 : klaim_waiver_for_code(p.code);
            if (!dead && p.bit == 0) {
                s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "action",
                         "claim %s waits on %s, which a reviewer cannot approve in klaimd (the amount needs a "
                         "rule klaimd does not have); reject it with a note and settle it outside klaimd",
                         req->claim_id, p.code);
                return;
            }
            if (s_plan_heirs(k, req->claim_id, id, dead, req, given, n_given, &p, done, arg) != 0) return;
        }
    }

    int64_t now = klaimd_now_ms();
    struct resolve_op *op = xcalloc(1, sizeof *op);
    *op = (struct resolve_op){.k = k, .id = id, .done = done, .arg = arg};
    const char *audit_action = "REVIEW_CONFIRM";
    if (action == KLAIM__REVIEW_ACTION__APPROVE) {
        rc = store_review_approve(k->store, id, p.bit, identity, p.heirs, p.heirs_len);
        op->requeue = 1;
        audit_action = "REVIEW_APPROVE";
    } else if (action == KLAIM__REVIEW_ACTION__REJECT) {
        p.d.state = STATE_REJECTED;
        char msg[sizeof p.d.reasons[0].message];
        snprintf(msg, sizeof msg, "rejected on review by %s: %s", req->by, req->note);
        memcpy(p.d.reasons[0].message, msg, sizeof msg);
        size_t len;
        uint8_t *blob = decision_pack(&p.d, id, "", PROGRAM_NONE, 0, 0, &len);
        rc = store_review_reject(k->store, id, blob, len, now);
        free(blob);
        if (rc == 0 && cases_on_decided(k->cases, id, &p.d) != 0) rc = -1; /* feed: DECIDED again */
        audit_action = "REVIEW_REJECT";
    } else {
        rc = store_review_confirm(k->store, id, p.decision, p.decision_len, now);
        if (rc == 0 && p.decision && cases_on_decided(k->cases, id, &p.d) != 0) rc = -1; /* feed: APPROVED now */
    }
    struct store_review rev = {.claim_id = id, .action = action, .reason_code = p.code, .by = req->by,
                               .client = who->client, .note = req->note ? req->note : "", .at_ms = now,
                               .identity = identity, .heirs = p.heirs, .heirs_len = p.heirs_len};
    json_t *dj = json_pack("{s:s, s:s, s:s, s:s}", "by", req->by, "identity", identity, "reason", p.code, "note",
                           rev.note);
    if (dj && p.n_heirs) json_object_set_new(dj, "heirs", json_integer(p.n_heirs));
    if (dj && action == KLAIM__REVIEW_ACTION__CONFIRM)
        json_object_set_new(dj, "approved", json_boolean(p.decision != NULL));
    char *detail = dj ? json_dumps(dj, JSON_COMPACT) : NULL;
    json_decref(dj);
    if (rc == 0 && (store_review_record(k->store, &rev) != 0 ||
                    store_audit(k->store, now, id, who->client, audit_action, detail ? detail : "{}") != 0))
        rc = -1;
    free(detail);
    free(p.heirs);
    free(p.decision);
    if (rc < 0) {
        free(op);
        s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed; nothing was recorded");
        batch_fail(k->batch);
        return;
    }
    if (rc == 1) { /* cannot happen after the read above in one transaction */
        free(op);
        s_refuse(done, arg, KLAIM__ERROR_CODE__NOT_REVIEWABLE, "claim_id", "claim %s cannot be %sd any more",
                 req->claim_id, s_action_name(action));
        batch_op_done(k->batch);
        return;
    }
    log_info("review: claim=%s %s reason=%s by=\"%s\" identity=\"%s\"%s", req->claim_id, s_action_name(action),
             p.code, req->by, identity, action == KLAIM__REVIEW_ACTION__CONFIRM && p.decision ? " -> APPROVED" : "");
    batch_then(k->batch, s_on_resolved, op);
    batch_op_done(k->batch);
}

/* The intake reply of a review: the claim's decision, or the error. */
struct zmq_review {
    struct klaimd *k;
    struct reply_to to;
};

static void s_on_zmq_review(void *arg, int code, const char *field, const char *message,
                            const struct store_claim_row *row)
{
    struct zmq_review *z = arg;
    if (code) intake_send_error(z->k->intake, &z->to, code, field, "%s", message);
    else intake_reply_claim(z->k->intake, &z->to, row);
    free(z);
}

/* ZeroMQ: the identity is the CURVE client while klaimd runs with keys
 * (k->zap), else by:NAME (review_act). */
void review_resolve(struct klaimd *k, const struct reply_to *to, const Klaim__ReviewRequest *req)
{
    struct review_actor who = {.keyed = k->zap != NULL};
    snprintf(who.client, sizeof who.client, "%s", to->client);
    snprintf(who.owner, sizeof who.owner, "%s", to->owner);
    struct zmq_review *z = xmalloc(sizeof *z);
    z->k = k;
    z->to = *to;
    review_act(k, &who, req, s_on_zmq_review, z);
}

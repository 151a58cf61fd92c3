/* intake.c - requests from hospitals, employers, consoles and klaimctl.
 *
 * Owns: the intake ROUTER, the submit path, status/stats, waiters.
 * Runs in: klaimd main loop only.
 * Invariant: "received" is sent only after COMMIT returned SQLITE_OK; a
 *   repeat of an idempotency key with the same claim gets the first claim
 *   id, with a different claim IDEMPOTENCY_CONFLICT revealing nothing.
 * See also: batch.c (commit), store.c (SQL), broker.c (dispatch),
 *   registry_gen.c (registry uploads).
 */
#include "intake.h"

#include <errno.h>
#include <jansson.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "backup.h"
#include "batch.h"
#include "broker.h"
#include "cases.h"
#include "codec.h"
#include "feed.h"
#include "klaimd.h"
#include "log.h"
#include "metrics.h"
#include "payclock.h"
#include "payments.h"
#include "registry_gen.h"
#include "review.h"
#include "upstream.h"
#include "store.h"
#include "strpool.h"
#include "supervisor.h"
#include "xalloc.h"
#include "zap.h"
#include "zmq_ev.h"

#define WAIT_BUCKETS 4096
#define WAIT_MAX_MS 60000

struct waiter {
    struct reply_to to;
    int64_t claim_id;
    int64_t deadline_mono;
    struct waiter *next;
};

/* Claims of one client waiting for their commit. */
struct pending {
    char key[80];               /* client name (CURVE), else its routing id in hex */
    int n;
    struct pending *next;
};
#define PENDING_BUCKETS 256

struct intake {
    struct pending *pending[PENDING_BUCKETS];
    struct klaimd *k;
    void *sock;
    struct zmq_ev *zev;
    struct event *wait_ev;
    struct backup *backup;      /* klaimctl backup (backup.c) */
    struct waiter *buckets[WAIT_BUCKETS];
    size_t n_waiters;
    int stopped;
    uint64_t send_failures;
};

/* --------------------------------------------------------------- replies */

void intake_send_reply(struct intake *in, const struct reply_to *to, Klaim__Reply *r)
{
    r->has_version = 1, r->version = KLAIM_PROTO_VERSION;
    r->has_request_id = 1, r->request_id = to->request_id;
    size_t len;
    uint8_t *buf = codec_pack(&r->base, &len);
    if (zmq_ev_send2(in->zev, to->rid, to->rid_len, buf, len) != 0) {
        in->send_failures++;
        if (errno == EHOSTUNREACH) log_debug("intake: client left before its reply (request %llu)",
                                             (unsigned long long)to->request_id);
        else log_warn("intake: reply to request %llu not sent: %s", (unsigned long long)to->request_id,
                      zmq_strerror(errno));
    }
    free(buf);
}

/* The one place a ZeroMQ error reply is built, so the refusal count by
 * code (metrics_refusal) sees every one; HTTP counts its own (http.c). */
void intake_send_error(struct intake *in, const struct reply_to *to, int code, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&klaim__error_code__descriptor, code);
    metrics_refusal(in->k->metrics, v ? v->name : "INTERNAL");
    Klaim__Error e = KLAIM__ERROR__INIT;
    e.has_code = 1, e.code = (Klaim__ErrorCode)code;
    e.field = (char *)(field ? field : "");
    e.message = msg;
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_ERROR;
    r.error = &e;
    intake_send_reply(in, to, &r);
}

/* The decision JSON's protobuf twin for one stored claim: the worker's
 * decision when there is one, else just the claim's state. Identity fields
 * come from the row, so a decision blob never needs rewriting. */
/* The review history of a claim, as protobuf, owned by the caller. */
struct review_set {
    Klaim__Review *items;
    Klaim__Review **ptrs;
    struct strpool text;
    size_t n, cap;
    Klaim__Claim **heirs;       /* reviewers' heirs, unpacked (one per review, NULL when none) */
};

static void s_collect_review(void *arg, const struct store_review *r)
{
    struct review_set *rs = arg;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 4;
        rs->items = xrealloc(rs->items, rs->cap * sizeof *rs->items);
        rs->heirs = xrealloc(rs->heirs, rs->cap * sizeof *rs->heirs);
    }
    Klaim__Claim *heirs = r->heirs && r->heirs_len ? klaim__claim__unpack(NULL, r->heirs_len, r->heirs) : NULL;
    rs->heirs[rs->n] = heirs;
    Klaim__Review *v = &rs->items[rs->n++];
    klaim__review__init(v);
    v->has_action = 1, v->action = (Klaim__ReviewAction)r->action;
    v->reason_code = strpool_keep(&rs->text, r->reason_code);
    v->by = strpool_keep(&rs->text, r->by);
    v->client = strpool_keep(&rs->text, r->client);
    v->note = strpool_keep(&rs->text, r->note);
    v->has_at_ms = 1, v->at_ms = r->at_ms;
    if (r->identity && r->identity[0]) v->identity = strpool_keep(&rs->text, r->identity);
    if (heirs) v->n_heirs = heirs->n_heirs, v->heirs = heirs->heirs;
}

static void s_review_set_free(struct review_set *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->heirs[i]) klaim__claim__free_unpacked(rs->heirs[i], NULL);
    free(rs->heirs);
    strpool_free(&rs->text);
    free(rs->items);
    free(rs->ptrs);
}

/* Fills d from a stored row: the worker's decision when there is one, else
 * just the claim's state; identity fields and reviews come from the store,
 * so a decision blob never needs rewriting. Free *stored and rs after use. */
static void s_decision_of(struct intake *in, const struct store_claim_row *row, Klaim__Decision *d,
                          Klaim__Decision **stored, struct review_set *rs, char *id, size_t idlen,
                          struct payment_view *pay)
{
    *stored = row->decision ? klaim__decision__unpack(NULL, row->decision_len, row->decision) : NULL;
    klaim__decision__init(d);
    if (*stored) {
        *d = **stored;
        d->n_reviews = 0;
        d->reviews = NULL;
    }
    klaim_id_format(row->id, id, idlen);
    d->claim_id = id;
    d->idempotency_key = (char *)row->idem_key;
    d->has_program = 1, d->program = (Klaim__Program)row->program;
    d->has_received_at_ms = 1, d->received_at_ms = row->received_at_ms;
    if (row->decided_at_ms) d->has_decided_at_ms = 1, d->decided_at_ms = row->decided_at_ms;
    if (row->provisional) d->has_provisional = 1, d->provisional = 1;
    d->has_state = 1;
    /* The row's state is the truth (a confirmed approval keeps its blob). */
    d->state = (Klaim__State)(row->state == STORE_STATE_DEAD ? STATE_PENDING_REVIEW : row->state);
    /* docs/money.md §6: where an APPROVED claim's money is. */
    if (row->state == STATE_APPROVED && in->k->payments && payments_view(in->k->payments, row->id, pay) == 0)
        d->payment = &pay->pb;
    memset(rs, 0, sizeof *rs);
    if (store_reviews_of(in->k->store, row->id, s_collect_review, rs) == 0 && rs->n > 0) {
        rs->ptrs = xcalloc(rs->n, sizeof *rs->ptrs);
        for (size_t i = 0; i < rs->n; i++) rs->ptrs[i] = &rs->items[i];
        d->n_reviews = rs->n;
        d->reviews = rs->ptrs;
    }
}

struct claim_view {
    Klaim__Decision d;
    struct payclock_view pc;    /* payment.due, days_late, late_amount (payclock.h) */
    Klaim__Decision *stored;
    struct review_set rs;
    struct payment_view pay;
    char id[32];
    char key[KLAIM_KEY_MAX + 1]; /* the view outlives the row it came from */
};

struct claim_view *claim_view_new(struct intake *in, const struct store_claim_row *row)
{
    struct claim_view *v = xcalloc(1, sizeof *v);
    s_decision_of(in, row, &v->d, &v->stored, &v->rs, v->id, sizeof v->id, &v->pay);
    memcpy(v->key, row->idem_key, sizeof v->key);
    v->d.idempotency_key = v->key;
    /* last: it copies whatever payment d already shows */
    payclock_fill(in->k->payclock, row->id, &v->d, &v->pc);
    return v;
}

Klaim__Decision *claim_view_decision(struct claim_view *v) { return &v->d; }

void claim_view_free(struct claim_view **vp)
{
    struct claim_view *v = *vp;
    if (!v) return;
    if (v->stored) klaim__decision__free_unpacked(v->stored, NULL);
    s_review_set_free(&v->rs);
    free(v);
    *vp = NULL;
}

void intake_reply_claim(struct intake *in, const struct reply_to *to, const struct store_claim_row *row)
{
    struct claim_view *v = claim_view_new(in, row);
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_DECISION;
    r.decision = claim_view_decision(v);
    intake_send_reply(in, to, &r);
    claim_view_free(&v);
}

/* ---------------------------------------------------------------- submit */

int klaim_owner_is(const char *row_owner, const char *owner, const char *name)
{
    if (strcmp(row_owner, owner) == 0) return 1;
    int legacy = strncmp(row_owner, "key:", 4) != 0 && strncmp(row_owner, "token:", 6) != 0;
    return legacy && name && name[0] && strcmp(row_owner, name) == 0;
}

/* The counter of claims a client has waiting for a commit, created on
 * first use. Keyed by the authenticated owner id, or by the connection when
 * every client is the local admin. */
static void s_pending_key(struct intake *in, const struct reply_to *to, char key[80])
{
    if (in->k->zap) {
        snprintf(key, 80, "%s", to->owner);
    } else {
        size_t n = to->rid_len < 32 ? to->rid_len : 32;
        for (size_t i = 0; i < n; i++) snprintf(key + 2 * i, 3, "%02x", to->rid[i]);
        key[2 * n] = '\0';
    }
}

static struct pending *s_pending(struct intake *in, const char *pending_key)
{
    char key[80];
    snprintf(key, sizeof key, "%s", pending_key);
    unsigned h = 5381;
    for (const char *p = key; *p; p++) h = h * 33 + (unsigned char)*p;
    struct pending **pp = &in->pending[h % PENDING_BUCKETS];
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->key, key) == 0) return *pp;
    struct pending *p = xcalloc(1, sizeof *p);
    memcpy(p->key, key, sizeof p->key);
    *pp = p;
    return p;
}

static void s_pending_release(struct intake *in, struct pending *p)
{
    if (--p->n > 0) return;
    unsigned h = 5381;
    for (const char *c = p->key; *c; c++) h = h * 33 + (unsigned char)*c;
    for (struct pending **pp = &in->pending[h % PENDING_BUCKETS]; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            free(p);
            return;
        }
    }
}

struct submit_op {
    struct intake *in;
    struct pending *pending;
    intake_done_fn done;
    void *done_arg;
    int64_t id;
    int state;
    int repeat;                 /* key seen before with the same claim */
    int conflict;               /* key seen before with another claim */
    int has_ticket;
    struct broker_ticket ticket;
    uint8_t *claim;
    size_t claim_len;
    int64_t received_at_ms;
    int64_t received_us;        /* monotonic, for klaimd_claim_ack_delay_seconds */
    int64_t duplicate_of;       /* earlier claim for the same event, or 0 */
    char key[KLAIM_KEY_MAX + 1];
};

/* The claim's first audit entry, in the transaction that stores it. */
static int s_audit_received(struct klaimd *k, const struct klaim_claim *c, int64_t id, const char *owner,
                            int64_t at_ms)
{
    /* On the hot path: no JSON library. The key is printable ASCII
     * (validate.c); only '"' and '\\' need escaping. kpj is digits, the
     * enum names are fixed words. */
    char key[2 * KLAIM_KEY_MAX + 1], detail[2 * KLAIM_KEY_MAX + 160];
    size_t n = 0;
    for (const char *p = c->idempotency_key; *p && n + 2 < sizeof key; p++) {
        if (*p == '"' || *p == '\\') key[n++] = '\\';
        key[n++] = *p;
    }
    key[n] = '\0';
    snprintf(detail, sizeof detail, "{\"idempotency_key\":\"%s\",\"program\":\"%s\",\"kpj\":\"%s\",\"event_type\":\"%s\"}", key,
             klaim_program_name(c->program), c->kpj, klaim_event_type_name(c->event_type));
    return store_audit(k->store, at_ms, id, owner, "CLAIM_RECEIVED", detail);
}

/* Refusals before anything was written: done() runs at once. */
static void s_refuse(intake_done_fn done, void *arg, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void s_refuse(intake_done_fn done, void *arg, int code, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct intake_result r = {.code = code, .field = field ? field : "", .message = msg};
    done(arg, &r);
}

static void s_on_submit_done(void *arg, int committed)
{
    struct submit_op *op = arg;
    struct intake *in = op->in;
    struct broker *br = in->k->broker;
    s_pending_release(in, op->pending);
    if (!committed) {
        if (op->has_ticket) broker_ticket_cancel(br, &op->ticket);
        s_refuse(op->done, op->done_arg, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                 "the store could not commit; nothing was recorded; retry later with the same idempotency key");
    } else if (op->conflict) {
        s_refuse(op->done, op->done_arg, KLAIM__ERROR_CODE__IDEMPOTENCY_CONFLICT, "idempotency_key",
                 "idempotency key \"%s\" was already used for a different claim; use a new key", op->key);
    } else {
        struct intake_result r = {
            .claim_id = op->id,
            .idempotency_key = op->key,
            .state = op->state == STORE_STATE_DEAD ? STATE_PENDING_REVIEW : op->state,
            .duplicate = op->repeat,
        };
        if (!op->repeat) metrics_observe(&in->k->metrics->ack_us, klaimd_mono_us() - op->received_us);
        op->done(op->done_arg, &r);
        if (!op->repeat) {
            if (op->has_ticket) broker_ticket_send(br, &op->ticket, op->id, op->claim, op->claim_len, op->duplicate_of,
                                   op->received_at_ms);
            else broker_enqueue(br, op->id, 0);
        }
    }
    free(op->claim);
    free(op);
}

/* The ZeroMQ front end of intake_submit(): the result becomes the Reply. */
static void s_on_zmq_submit(void *arg, const struct intake_result *res)
{
    struct reply_to *to = arg;
    struct intake *in = *(struct intake **)(to + 1);
    if (res->code) {
        intake_send_error(in, to, res->code, res->field, "%s", res->message);
    } else {
        char id[32];
        klaim_id_format(res->claim_id, id, sizeof id);
        Klaim__SubmitAck ack = KLAIM__SUBMIT_ACK__INIT;
        ack.claim_id = id;
        ack.idempotency_key = (char *)res->idempotency_key;
        ack.has_state = 1;
        ack.state = (Klaim__State)res->state;
        ack.has_duplicate = 1, ack.duplicate = res->duplicate;
        Klaim__Reply r = KLAIM__REPLY__INIT;
        r.body_case = KLAIM__REPLY__BODY_ACK;
        r.ack = &ack;
        intake_send_reply(in, to, &r);
    }
    free(to);
}

static void s_submit(struct intake *in, const struct reply_to *to, const Klaim__Claim *pb)
{
    /* The reply address, followed by the intake it goes through. */
    struct reply_to *copy = xmalloc(sizeof *copy + sizeof in);
    *copy = *to;
    memcpy(copy + 1, &in, sizeof in);
    char key[80];
    s_pending_key(in, to, key);
    intake_submit(in, pb, to->owner, to->client, key, s_on_zmq_submit, copy);
}

void intake_submit(struct intake *in, const Klaim__Claim *pb, const char *owner, const char *name,
                   const char *pending_key, intake_done_fn done, void *arg)
{
    struct klaimd *k = in->k;
    struct klaim_claim c;
    struct klaim_err err;
    if (validate_claim(pb, kdate_today_wib(), &c, &err) != 0) {
        s_refuse(done, arg, err.code, err.field, "%s", err.message);
        return;
    }
    if (k->stopping || in->stopped) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__SHUTTING_DOWN, "", "klaimd is stopping; retry after it restarts");
        return;
    }
    if (batch_open(k->batch) != 0) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                 "the store cannot commit right now (disk full or I/O error); retry later");
        return;
    }
    /* One client's flood must not fill every batch: past its share it
     * waits for its own acks (libzmq already reads clients fairly). */
    struct pending *pending = s_pending(in, pending_key);
    if (pending->n >= k->cfg.client_max_pending) {
        s_refuse(done, arg, KLAIM__ERROR_CODE__BUSY, "",
                 "%d claims from this client are waiting for their commit (client_max_pending); "
                 "wait for acks before sending more",
                 pending->n);
        return;
    }
    pending->n++;
    struct submit_op *op = xcalloc(1, sizeof *op);
    op->in = in;
    op->pending = pending;
    op->done = done;
    op->done_arg = arg;
    snprintf(op->key, sizeof op->key, "%s", c.idempotency_key);
    op->claim = claim_canonical_pack(&c, &op->claim_len);
    op->received_at_ms = klaimd_now_ms();
    op->received_us = klaimd_mono_us();
    uint8_t digest[32];
    claim_digest_bytes(op->claim, op->claim_len, digest);

    struct store_new_claim nc = {
        .idem_key = c.idempotency_key,
        .digest = digest,
        .owner = owner,
        .program = c.program,
        .kpj = c.kpj,
        .event_date = c.event_date,
        .has_death_date = c.program == PROGRAM_JKM || c.has_death_date,
        .death_date = c.program == PROGRAM_JKM ? c.event_date : c.death_date,
        .claim = op->claim,
        .claim_len = op->claim_len,
        .received_at_ms = op->received_at_ms,
    };
    int64_t dup = 0;
    if (store_find_same_event(k->store, &nc, &dup) != 0) goto store_error;
    /* A person dies once (docs/money.md §1): found here, in commit order,
     * like the duplicate. Such a claim goes through the queue, whose lease
     * carries the earlier death to the worker. */
    if (store_find_earlier_death(k->store, c.nik, c.event_date, nc.has_death_date, nc.death_date,
                                 &nc.earlier_death) != 0)
        goto store_error;
    op->has_ticket = nc.earlier_death == 0 && broker_reserve(k->broker, &op->ticket) == 0;
    nc.state = op->has_ticket ? STATE_PROCESSING : STATE_RECEIVED;
    int rc = store_insert_claim(k->store, &nc, dup, &op->id);
    if (rc < 0) goto store_error;
    if (rc == 0) {
        op->state = nc.state;
        op->duplicate_of = dup;
        if (nc.has_death_date && store_death_record(k->store, c.nik, op->id, nc.death_date) != 0) goto store_error;
        if (cases_on_claim_received(k->cases, &c, op->id, op->received_at_ms, dup) != 0) goto store_error;
        if (s_audit_received(k, &c, op->id, name, op->received_at_ms) != 0) goto store_error;
    } else {
        if (op->has_ticket) broker_ticket_cancel(k->broker, &op->ticket);
        op->has_ticket = 0;
        struct store_claim_row row;
        if (store_get_by_key(k->store, c.idempotency_key, &row) != 0) goto store_error;
        /* Same key: the first answer only for the same claim from the same
         * owner; anything else learns nothing about the first. */
        if (memcmp(row.digest, digest, 32) == 0 && klaim_owner_is(row.owner, owner, name)) {
            op->repeat = 1;
            op->id = row.id;
            op->state = row.state;
        } else {
            op->conflict = 1;
        }
        store_claim_row_clear(&row);
    }
    if (rc == 0 && dup)
        log_info("intake: claim key=%s is the same event as k-%012lld", op->key, (long long)dup);
    if (rc == 0 && nc.earlier_death)
        log_info("intake: claim key=%s comes after the death in k-%012lld of the same NIK", op->key,
                 (long long)nc.earlier_death);
    batch_then(k->batch, s_on_submit_done, op);
    batch_op_done(k->batch);
    return;

store_error:
    s_pending_release(in, op->pending);
    if (op->has_ticket) broker_ticket_cancel(k->broker, &op->ticket);
    free(op->claim);
    free(op);
    s_refuse(done, arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed; nothing was recorded; retry later");
    batch_fail(k->batch);
}

/* ---------------------------------------------------------------- status */

static unsigned s_bucket(int64_t id) { return (unsigned)((uint64_t)id * 0x9E3779B97F4A7C15ull >> 52) % WAIT_BUCKETS; }

struct status_op {
    struct intake *in;
    struct reply_to to;
    int64_t claim_id;           /* 0: by key */
    char key[KLAIM_KEY_MAX + 1];
    uint32_t wait_ms;
};

/* Answers a status request from committed state. Undecided claims with a
 * wait become waiters, answered by intake_on_decided() or the timeout. */
static void s_status_now(struct intake *in, struct status_op *op)
{
    struct store_claim_row row;
    int rc = op->claim_id ? store_get_by_id(in->k->store, op->claim_id, &row)
                          : store_get_by_key(in->k->store, op->key, &row);
    if (rc < 0) {
        intake_send_error(in, &op->to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
        return;
    }
    /* Another client's claim is answered exactly like a missing one: same
     * code, field and words (intake.h, KLAIM_NOT_VISIBLE). */
    int hidden = rc == 0 && op->to.role == ROLE_HOSPITAL && !klaim_owner_is(row.owner, op->to.owner, op->to.client);
    if (hidden) store_claim_row_clear(&row);
    if (rc == 1 || hidden) {
        if (op->claim_id) {
            char id[32];
            klaim_id_format(op->claim_id, id, sizeof id);
            intake_send_error(in, &op->to, KLAIM__ERROR_CODE__NOT_FOUND, "claim_id", "no claim %s" KLAIM_NOT_VISIBLE,
                              id);
        } else {
            intake_send_error(in, &op->to, KLAIM__ERROR_CODE__NOT_FOUND, "idempotency_key",
                              "no claim with idempotency key \"%s\"" KLAIM_NOT_VISIBLE, op->key);
        }
        return;
    }
    int undecided = row.state == STATE_RECEIVED || row.state == STATE_PROCESSING;
    if (undecided && op->wait_ms > 0) {
        struct waiter *w = xmalloc(sizeof *w);
        w->to = op->to;
        w->claim_id = row.id;
        w->deadline_mono = klaimd_mono_ms() + (op->wait_ms > WAIT_MAX_MS ? WAIT_MAX_MS : op->wait_ms);
        unsigned b = s_bucket(row.id);
        w->next = in->buckets[b];
        in->buckets[b] = w;
        in->n_waiters++;
    } else {
        intake_reply_claim(in, &op->to, &row);
    }
    store_claim_row_clear(&row);
}

static void s_on_status_after_commit(void *arg, int committed)
{
    struct status_op *op = arg;
    s_status_now(op->in, op);
    free(op);
}

static void s_status(struct intake *in, const struct reply_to *to, const Klaim__StatusRequest *req)
{
    struct status_op op = {.in = in, .to = *to};
    if (req->claim_id && req->claim_id[0]) {
        if (klaim_id_parse(req->claim_id, &op.claim_id) != 0) {
            intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                              "\"%.64s\" is not a claim id (expected k- followed by digits, e.g. k-000000000042)",
                              req->claim_id);
            return;
        }
    } else if (req->idempotency_key && req->idempotency_key[0]) {
        if (strlen(req->idempotency_key) > KLAIM_KEY_MAX) {
            intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "idempotency_key",
                              "idempotency key longer than %d bytes", KLAIM_KEY_MAX);
            return;
        }
        snprintf(op.key, sizeof op.key, "%s", req->idempotency_key);
    } else {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id", "give a claim_id or an idempotency_key");
        return;
    }
    op.wait_ms = req->has_wait_ms ? req->wait_ms : 0;
    /* An open transaction may hold uncommitted rows: answer after it, so a
     * status never reports what a crash could still take back. */
    if (batch_is_pending(in->k->batch)) {
        struct status_op *copy = xmalloc(sizeof *copy);
        *copy = op;
        batch_then(in->k->batch, s_on_status_after_commit, copy);
    } else {
        s_status_now(in, &op);
    }
}

void intake_on_decided(struct intake *in, int64_t claim_id)
{
    struct waiter **pp = &in->buckets[s_bucket(claim_id)];
    while (*pp) {
        struct waiter *w = *pp;
        if (w->claim_id != claim_id) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        in->n_waiters--;
        struct status_op op = {.in = in, .to = w->to, .claim_id = claim_id};
        s_status_now(in, &op);
        free(w);
    }
}

/* Every 100 ms: waiters past their deadline get the current state. */
static void s_on_wait_tick(evutil_socket_t fd, short what, void *arg)
{
    struct intake *in = arg;
    if (in->n_waiters == 0) return;
    int64_t now = klaimd_mono_ms();
    for (int b = 0; b < WAIT_BUCKETS; b++) {
        struct waiter **pp = &in->buckets[b];
        while (*pp) {
            struct waiter *w = *pp;
            if (w->deadline_mono > now) {
                pp = &w->next;
                continue;
            }
            *pp = w->next;
            in->n_waiters--;
            struct status_op op = {.in = in, .to = w->to, .claim_id = w->claim_id};
            s_status_now(in, &op);
            free(w);
        }
    }
}

/* ----------------------------------------------------------------- stats */

static void s_stats(struct intake *in, const struct reply_to *to)
{
    struct klaimd *k = in->k;
    uint64_t counts[8];
    store_count_states(k->store, counts);
    struct broker_stats bs;
    struct batch_stats cs;
    broker_get_stats(k->broker, &bs);
    batch_get_stats(k->batch, &cs);
    static const int shown[] = {STATE_RECEIVED, STATE_PROCESSING, STATE_APPROVED, STATE_REJECTED,
                                STATE_PENDING_REVIEW, STATE_AWAITING_CONFIRMATION};
    enum { N_SHOWN = sizeof shown / sizeof shown[0] };
    Klaim__StateCount sc[N_SHOWN], *scp[N_SHOWN];
    for (int i = 0; i < N_SHOWN; i++) {
        klaim__state_count__init(&sc[i]);
        sc[i].has_state = 1, sc[i].state = (Klaim__State)shown[i];
        sc[i].has_count = 1, sc[i].count = counts[shown[i]];
        scp[i] = &sc[i];
    }
    Klaim__Stats st = KLAIM__STATS__INIT;
    st.n_claims = N_SHOWN;
    st.claims = scp;
#define SET(f, v) (st.has_##f = 1, st.f = (v))
    SET(queue_depth, bs.queue_depth);
    SET(in_flight, bs.in_flight);
    SET(dead, counts[STORE_STATE_DEAD]);
    SET(workers_configured, (uint32_t)k->cfg.workers);
    SET(workers_ready, bs.workers_ready);
    SET(worker_restarts, supervisor_restarts(k->sup));
    SET(commits, cs.commits);
    SET(committed_ops, cs.ops);
    SET(max_batch, cs.max_batch);
    SET(registry_generation, registry_gen_current(k->reg));
    SET(registry_rows, registry_gen_rows(k->reg));
    SET(feed_seq, feed_head(k->feed));
    SET(uptime_s, (uint64_t)((klaimd_now_ms() - k->started_ms) / 1000));
    SET(stale_results, bs.stale_results);
#undef SET
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_STATS;
    r.stats = &st;
    intake_send_reply(in, to, &r);
}

/* -------------------------------------------------------------- dispatch */

/* Which roles may make which request (interface.md): hospital submits and
 * reads its own claims, upstream loads the registry, console watches,
 * reviewer works the review queue and reads any claim (docs/money.md §5)
 * and records payee accounts (§6), admin does everything. */
static int s_allowed(int role, int body)
{
    switch (body) {
    case KLAIM__REQUEST__BODY_SUBMIT: return role == ROLE_HOSPITAL || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_STATUS:
        return role == ROLE_HOSPITAL || role == ROLE_UPSTREAM || role == ROLE_REVIEWER || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_REVIEW_LIST:
    case KLAIM__REQUEST__BODY_REVIEW: return role == ROLE_REVIEWER || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_STATS: return role == ROLE_CONSOLE || role == ROLE_UPSTREAM || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_REGISTRY_CHUNK:
    case KLAIM__REQUEST__BODY_EXPORT:
    case KLAIM__REQUEST__BODY_AUDIT: return role == ROLE_UPSTREAM || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_REPORT: return role == ROLE_UPSTREAM || role == ROLE_CONSOLE || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_PAYMENT_BATCH:
    case KLAIM__REQUEST__BODY_PAYMENT_SHOW:
    case KLAIM__REQUEST__BODY_SETTLE: return role == ROLE_UPSTREAM || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_PAYMENT_ACCOUNT: return role == ROLE_REVIEWER || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_FEED_REPLAY:
    case KLAIM__REQUEST__BODY_DISPATCH_ACTION: return role == ROLE_CONSOLE || role == ROLE_ADMIN;
    case KLAIM__REQUEST__BODY_BACKUP: return role == ROLE_ADMIN;
    default: return role == ROLE_ADMIN;
    }
}

/* Fills the caller's owner id (the ZAP User-Id, zap.h), name and role
 * (CURVE), or the local admin without CURVE. Answers FORBIDDEN and returns 0 when
 * the role may not make this request, or the key was revoked since. */
static int s_authorize(struct intake *in, zmq_msg_t *frame, int body, struct reply_to *to)
{
    if (!in->k->zap) {
        snprintf(to->client, sizeof to->client, "%s", KLAIM_CLIENT_LOCAL);
        snprintf(to->owner, sizeof to->owner, "%s", KLAIM_CLIENT_LOCAL);
        to->role = ROLE_ADMIN;
        return 1;
    }
    const char *user = zmq_msg_gets(frame, "User-Id");
    snprintf(to->owner, sizeof to->owner, "%s", user ? user : "");
    to->role = zap_who(in->k->zap, user, to->client);
    if (!to->client[0]) snprintf(to->client, sizeof to->client, "%s", to->owner);
    if (to->role == ROLE_NONE) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__FORBIDDEN, "",
                          "client \"%s\" is no longer in the allow-list (clients_dir)", to->client);
        return 0;
    }
    if (!s_allowed(to->role, body)) {
        log_info("intake: client \"%s\" (%s) may not make request type %d", to->client, klaim_role_name(to->role),
                 body);
        intake_send_error(in, to, KLAIM__ERROR_CODE__FORBIDDEN, "",
                          "role %s may not do this (hospital: submit and status of its own claims; console: "
                          "stats, reports and the feed; upstream: registry import, export, audit, reports, "
                          "status, stats, payment batches and settlement; reviewer: review list, approve, reject, "
                          "confirm and status of any claim, payee accounts; admin: everything; worker: nothing "
                          "here, only remote_worker_endpoint)",
                          klaim_role_name(to->role));
        return 0;
    }
    return 1;
}

static void s_on_msg(struct zmq_ev_msg *msg, void *arg)
{
    struct intake *in = arg;
    struct reply_to to = {0};
    size_t rid_len = zmq_msg_size(&msg->frames[0]);
    if (rid_len == 0 || rid_len > sizeof to.rid) return; /* not a ROUTER envelope: cannot answer */
    memcpy(to.rid, zmq_msg_data(&msg->frames[0]), rid_len);
    to.rid_len = rid_len;
    if (msg->nframes != 2) {
        intake_send_error(in, &to, KLAIM__ERROR_CODE__BAD_REQUEST, "",
                          "expected one frame per request (a packed klaim.Request), got %d", msg->nframes - 1);
        return;
    }
    struct klaim_err err;
    Klaim__Request *req = codec_request_decode(zmq_msg_data(&msg->frames[1]), zmq_msg_size(&msg->frames[1]),
                                               (size_t)in->k->cfg.max_message_bytes, &err);
    if (!req) {
        log_debug("intake: refused a frame of %zu bytes: %s", zmq_msg_size(&msg->frames[1]), err.message);
        intake_send_error(in, &to, err.code, err.field, "%s", err.message);
        return;
    }
    to.request_id = req->has_request_id ? req->request_id : 0;
    if (!s_authorize(in, &msg->frames[1], req->body_case, &to)) {
        codec_request_free(req);
        return;
    }
    switch (req->body_case) {
    case KLAIM__REQUEST__BODY_SUBMIT:
        s_submit(in, &to, req->submit);
        break;
    case KLAIM__REQUEST__BODY_STATUS:
        s_status(in, &to, req->status);
        break;
    case KLAIM__REQUEST__BODY_STATS:
        s_stats(in, &to);
        break;
    case KLAIM__REQUEST__BODY_REGISTRY_CHUNK:
        registry_gen_chunk(in->k->reg, &to, req->registry_chunk);
        break;
    case KLAIM__REQUEST__BODY_REVIEW_LIST:
        review_list(in->k, &to, req->review_list);
        break;
    case KLAIM__REQUEST__BODY_REVIEW:
        review_resolve(in->k, &to, req->review);
        break;
    case KLAIM__REQUEST__BODY_AUDIT:
        upstream_audit(in->k, &to, req->audit);
        break;
    case KLAIM__REQUEST__BODY_EXPORT:
        upstream_export(in->k, &to, req->export);
        break;
    case KLAIM__REQUEST__BODY_REPORT:
        upstream_report(in->k, &to, req->report);
        break;
    case KLAIM__REQUEST__BODY_FEED_REPLAY:
        feed_replay(in->k->feed, &to, req->feed_replay);
        break;
    case KLAIM__REQUEST__BODY_DISPATCH_ACTION:
        cases_action(in->k->cases, &to, req->dispatch_action);
        break;
    case KLAIM__REQUEST__BODY_PAYMENT_BATCH:
        payments_batch(in->k->payments, &to, req->payment_batch);
        break;
    case KLAIM__REQUEST__BODY_PAYMENT_SHOW:
        payments_show(in->k->payments, &to, req->payment_show);
        break;
    case KLAIM__REQUEST__BODY_SETTLE:
        payments_settle(in->k->payments, &to, req->settle);
        break;
    case KLAIM__REQUEST__BODY_PAYMENT_ACCOUNT:
        payments_account(in->k->payments, &to, req->payment_account);
        break;
    case KLAIM__REQUEST__BODY_BACKUP:
        backup_request(in->backup, &to, req->backup);
        break;
    default:
        intake_send_error(in, &to, KLAIM__ERROR_CODE__BAD_REQUEST, "", "unknown request type %d", (int)req->body_case);
        break;
    }
    codec_request_free(req);
}

/* The largest frame the intake receives at all: INTAKE_FRAME_CEILING, or
 * twice max_message_bytes when that is larger. Every frame up to it is
 * received whole and, above max_message_bytes, answered TOO_LARGE by the
 * codec (exactly one reply per request, proto/PROTOCOL.md). libzmq ends the
 * connection of a peer that sends a frame above ZMQ_MAXMSGSIZE before the
 * frame is complete, without a word and without the frame ever reaching
 * us: nothing can be answered then (see PROTOCOL.md, "Frame sizes"). */
int64_t intake_frame_ceiling(int64_t max_message_bytes)
{
    return max_message_bytes * 2 > INTAKE_FRAME_CEILING ? max_message_bytes * 2 : INTAKE_FRAME_CEILING;
}

struct intake *intake_new(struct klaimd *k, char *err, size_t errlen)
{
    void *sock = zmq_ev_router_bind(k->zctx, k->cfg.intake_endpoint, 100000,
                                    intake_frame_ceiling(k->cfg.max_message_bytes),
                                    k->zap ? k->cfg.curve_secret : NULL, "intake", err, errlen);
    if (!sock) return NULL;
    struct intake *in = xcalloc(1, sizeof *in);
    in->k = k;
    in->sock = sock;
    in->zev = zmq_ev_new(k->base, sock, PRIO_IO, 64, s_on_msg, in);
    in->wait_ev = event_new(k->base, -1, EV_PERSIST, s_on_wait_tick, in);
    in->backup = backup_new(k, in);
    struct timeval tv = {0, 100 * 1000};
    event_add(in->wait_ev, &tv);
    return in;
}

void intake_stop(struct intake *in)
{
    in->stopped = 1;
    backup_abort(in->backup);
}

void intake_free(struct intake **inp)
{
    struct intake *in = *inp;
    if (!in) return;
    for (int b = 0; b < PENDING_BUCKETS; b++) {
        while (in->pending[b]) {
            struct pending *p = in->pending[b];
            in->pending[b] = p->next;
            free(p);
        }
    }
    for (int b = 0; b < WAIT_BUCKETS; b++) {
        while (in->buckets[b]) {
            struct waiter *w = in->buckets[b];
            in->buckets[b] = w->next;
            free(w);
        }
    }
    backup_free(&in->backup);
    zmq_ev_free(&in->zev);
    event_free(in->wait_ev);
    zmq_close(in->sock);
    free(in);
    *inp = NULL;
}

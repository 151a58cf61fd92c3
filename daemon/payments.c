/* payments.c - see payments.h.
 *
 * Owns: payment batches, settlement, corrected payee accounts, the payment
 *   part of a decision and the PAYMENT feed events (docs/money.md §6).
 * Runs in: klaimd main loop only.
 * Invariants: every write of a request runs in one transaction of batch.c
 *   and its reply leaves after that commit is durable; a refused request
 *   writes nothing. A payee's payment state is the state of its newest
 *   line: a payee whose newest line is IN_BATCH or PAID is never put into
 *   another batch.
 * See also: store_payments.c (SQL), intake.c (dispatch, roles, decision
 *   replies), feed.c (events), PROTOCOL.md "Payments".
 */
#include "payments.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "codec.h"
#include "dates.h"
#include "feed.h"
#include "intake.h"
#include "klaimd.h"
#include "fmt.h"
#include "log.h"
#include "payees.h"
#include "store.h"
#include "store_payments.h"
#include "strpool.h"
#include "xalloc.h"

#define PAY_BY_MAX 64
#define PAY_REFERENCE_MAX 64
#define PAY_REASON_MAX 200
#define PAY_SKIPPED_MAX 1000
#define FEED_PAYMENT 8          /* FeedEventType PAYMENT */
#define SETTLE_HEADER "batch,line,claim_id,amount,status,reference,date,reason"

struct payments {
    struct klaimd *k;
    struct store_payments *sp;
};

/* The statements of store_payments.c; NULL with err when one fails. */
struct payments *payments_new(struct klaimd *k, char *err, size_t errlen)
{
    struct store_payments *sp = store_payments_new(k->store, err, errlen);
    if (!sp) return NULL;
    struct payments *p = xcalloc(1, sizeof *p);
    p->k = k;
    p->sp = sp;
    return p;
}

/* Frees p and its statements; *pp becomes NULL. */
void payments_free(struct payments **pp)
{
    struct payments *p = *pp;
    if (!p) return;
    store_payments_free(&p->sp);
    free(p);
    *pp = NULL;
}


/* ------------------------------------------------ payee states of a claim */

/* The newest line of each payee of one claim. */
struct payee_history {
    int state[PAY_MAX_PAYEES];            /* PAY_NONE: never in a batch */
    int64_t settled_at_ms[PAY_MAX_PAYEES];
    int64_t batch[PAY_MAX_PAYEES];
    int64_t last_batch;
};

/* store_pay_lines_of_claim callback: oldest batch first, so the last line
 * seen for a payee is its newest. */
static void s_collect_history(void *arg, const struct store_pay_line *l)
{
    struct payee_history *h = arg;
    if (l->payee < 0 || l->payee >= PAY_MAX_PAYEES) return;
    h->state[l->payee] = l->state;
    h->settled_at_ms[l->payee] = l->settled_at_ms;
    h->batch[l->payee] = l->batch_id;
    if (l->batch_id > h->last_batch) h->last_batch = l->batch_id;
}

/* The newest line of each payee of claim_id (PAY_NONE: never batched). */
static int s_history(struct payments *p, int64_t claim_id, struct payee_history *h)
{
    memset(h, 0, sizeof *h);
    return store_pay_lines_of_claim(p->sp, claim_id, s_collect_history, h);
}

/* The claim's payment state from its payees' newest lines (n payees): any
 * FAILED makes it FAILED, all PAID makes it PAID, else IN_BATCH. */
static int s_claim_state_of(const struct payee_history *h, int n)
{
    int all_paid = 1;
    for (int i = 0; i < n && i < PAY_MAX_PAYEES; i++) {
        if (h->state[i] == PAY_FAILED) return PAY_FAILED;
        if (h->state[i] != PAY_PAID) all_paid = 0;
    }
    return all_paid ? PAY_PAID : PAY_IN_BATCH;
}

/* -------------------------------------------------------- batch replies */

/* A stored batch as a PaymentBatch, with the memory it points at. */
struct batch_reply {
    Klaim__PaymentBatch pb;
    Klaim__PaymentLine *lines;
    Klaim__PaymentLine **ptrs;
    Klaim__BankAccount *banks;
    char ***items;
    size_t n, cap;
    struct strpool text;
};

/* store_pay_lines callback: one stored line as a PaymentLine, its text
 * copied into the reply's pool (rows are valid only during the step). */
static void s_collect_line(void *arg, const struct store_pay_line *l)
{
    struct batch_reply *b = arg;
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        b->lines = xrealloc(b->lines, b->cap * sizeof *b->lines);
        b->banks = xrealloc(b->banks, b->cap * sizeof *b->banks);
        b->items = xrealloc(b->items, b->cap * sizeof *b->items);
    }
    size_t i = b->n++;
    Klaim__PaymentLine *x = &b->lines[i];
    klaim__payment_line__init(x);
    x->has_line = 1, x->line = (uint32_t)l->line;
    char id[32];
    klaim_id_format(l->claim_id, id, sizeof id);
    x->claim_id = strpool_keep(&b->text, id);
    x->has_payee = 1, x->payee = (uint32_t)l->payee;
    x->has_role = 1, x->role = (Klaim__PayeeRole)l->role;
    x->payee_id = strpool_keep(&b->text, l->payee_id);
    x->payee_name = strpool_keep(&b->text, l->payee_name);
    Klaim__BankAccount *bank = &b->banks[i];
    klaim__bank_account__init(bank);
    bank->bank_code = strpool_keep(&b->text, l->bank_code);
    bank->account = strpool_keep(&b->text, l->account);
    bank->name = strpool_keep(&b->text, l->account_name);
    x->has_amount = 1, x->amount = l->amount;
    /* items: "A;B;C" -> repeated string */
    size_t n_items = 0;
    b->items[i] = NULL;
    if (l->items[0]) {
        char *all = strpool_keep(&b->text, l->items);
        n_items = 1;
        for (const char *c = all; *c; c++) n_items += *c == ';';
        b->items[i] = xcalloc(n_items, sizeof(char *));
        size_t k = 0;
        for (char *tok = all;; k++) {
            char *semi = strchr(tok, ';');
            b->items[i][k] = tok;
            if (!semi) break;
            *semi = '\0';
            tok = semi + 1;
        }
    }
    x->n_items = n_items;
    x->has_state = 1, x->state = (Klaim__PaymentState)l->state;
    if (l->state == PAY_PAID || l->state == PAY_FAILED) {
        x->reference = strpool_keep(&b->text, l->reference);
        if (l->settled_on >= 0) {
            char d[11];
            kdate_format(l->settled_on, d);
            x->settled_on = strpool_keep(&b->text, d);
        }
        if (l->failure[0]) x->failure = strpool_keep(&b->text, l->failure);
    }
}

/* Frees what s_batch_load and s_collect_line allocated. */
static void s_batch_reply_free(struct batch_reply *b)
{
    for (size_t i = 0; i < b->n; i++) free(b->items[i]);
    free(b->items);
    free(b->lines);
    free(b->banks);
    free(b->ptrs);
    strpool_free(&b->text);
}

/* The committed batch id as a PaymentBatch; 0, 1 when there is none, -1. */
static int s_batch_load(struct payments *p, int64_t id, struct batch_reply *b)
{
    memset(b, 0, sizeof *b);
    klaim__payment_batch__init(&b->pb);
    struct store_pay_batch sb;
    int rc = store_pay_batch_get(p->sp, id, &sb);
    if (rc != 0) return rc;
    if (store_pay_lines(p->sp, id, s_collect_line, b) != 0) {
        s_batch_reply_free(b);
        return -1;
    }
    b->ptrs = xcalloc(b->n + 1, sizeof *b->ptrs);
    for (size_t i = 0; i < b->n; i++) {
        b->ptrs[i] = &b->lines[i];
        b->lines[i].bank = &b->banks[i];
        b->lines[i].items = b->items[i];
    }
    b->pb.has_batch = 1, b->pb.batch = (uint64_t)sb.id;
    b->pb.has_created_at_ms = 1, b->pb.created_at_ms = sb.created_at_ms;
    char d[11];
    kdate_format(sb.until_date, d);
    b->pb.until = strpool_keep(&b->text, d);
    b->pb.created_by = strpool_keep(&b->text, sb.created_by);
    b->pb.has_line_count = 1, b->pb.line_count = (uint32_t)sb.n_lines;
    b->pb.has_total = 1, b->pb.total = sb.total;
    b->pb.n_lines = b->n;
    b->pb.lines = b->ptrs;
    b->pb.has_settled = 1, b->pb.settled = sb.settled != 0;
    return 0;
}

/* Replies with a PaymentBatch. */
static void s_send_batch(struct payments *p, const struct reply_to *to, Klaim__PaymentBatch *pb)
{
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_PAYMENT_BATCH;
    r.payment_batch = pb;
    intake_send_reply(p->k->intake, to, &r);
}

/* ------------------------------------------------------------------ batch */

/* What a batch request found, kept for its reply. */
struct batch_op {
    struct payments *p;
    struct reply_to to;
    int64_t batch_id;
    uint32_t claims, skipped_no_account, skipped_no_payees, skipped_failed;
    char **skipped;
    size_t n_skipped;
};

/* Frees a batch request's state, its skipped claim ids included. */
static void s_batch_op_free(struct batch_op *op)
{
    for (size_t i = 0; i < op->n_skipped; i++) free(op->skipped[i]);
    free(op->skipped);
    free(op);
}

/* The reply to a batch request: the stored batch read back after its
 * commit (or batch 0 when nothing was payable) and what was skipped. */
static void s_batch_reply(struct batch_op *op)
{
    struct payments *p = op->p;
    struct batch_reply b;
    memset(&b, 0, sizeof b);
    klaim__payment_batch__init(&b.pb);
    if (op->batch_id) {
        int rc = s_batch_load(p, op->batch_id, &b);
        if (rc != 0) {
            intake_send_error(p->k->intake, &op->to, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                              "batch %lld was stored but could not be read back; show it with payments show %lld",
                              (long long)op->batch_id, (long long)op->batch_id);
            return;
        }
    } else {
        b.pb.has_batch = 1, b.pb.batch = 0;
    }
    b.pb.has_claims = 1, b.pb.claims = op->claims;
    b.pb.has_skipped_no_account = 1, b.pb.skipped_no_account = op->skipped_no_account;
    b.pb.has_skipped_no_payees = 1, b.pb.skipped_no_payees = op->skipped_no_payees;
    b.pb.has_skipped_failed = 1, b.pb.skipped_failed = op->skipped_failed;
    b.pb.n_skipped = op->n_skipped;
    b.pb.skipped = op->skipped;
    s_send_batch(p, &op->to, &b.pb);
    s_batch_reply_free(&b);
}

/* batch_then callback of a batch request: its reply, or UNAVAILABLE after
 * a rollback (then no batch exists). */
static void s_on_batch_done(void *arg, int committed)
{
    struct batch_op *op = arg;
    if (committed) s_batch_reply(op);
    else
        intake_send_error(op->p->k->intake, &op->to, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                          "the store could not commit; no batch was created; retry later");
    s_batch_op_free(op);
}

/* A claim that may be payable, copied out of the candidates statement. */
struct candidate {
    int64_t id;
    int payment_state;
    uint8_t *decision;
    size_t len;
};
struct candidates {
    struct candidate *v;
    size_t n, cap;
};

/* store_pay_candidates callback: copies the row, since planning a claim
 * runs further statements. */
static void s_collect_candidate(void *arg, const struct store_pay_candidate *c)
{
    struct candidates *cs = arg;
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? 2 * cs->cap : 64;
        cs->v = xrealloc(cs->v, cs->cap * sizeof *cs->v);
    }
    struct candidate *x = &cs->v[cs->n++];
    x->id = c->id;
    x->payment_state = c->payment_state;
    x->len = c->decision_len;
    x->decision = xmalloc(c->decision_len ? c->decision_len : 1);
    if (c->decision_len) memcpy(x->decision, c->decision, c->decision_len);
}

/* One line to write, its text owned by the pool of the request. */
struct new_line {
    int64_t claim_id;
    int payee;
    int role;
    const char *payee_id, *payee_name, *items;
    struct klaim_bank bank;
    int64_t amount;
};

/* Counts a claim left out for a payee without an account and keeps its id
 * for the reply (the first PAY_SKIPPED_MAX). */
static void s_skip(struct batch_op *op, int64_t id)
{
    op->skipped_no_account++;
    if (op->n_skipped >= PAY_SKIPPED_MAX) return;
    op->skipped = xrealloc(op->skipped, (op->n_skipped + 1) * sizeof *op->skipped);
    char buf[32];
    klaim_id_format(id, buf, sizeof buf);
    op->skipped[op->n_skipped++] = xstrdup(buf);
}

/* The lines of one candidate claim appended to *lines, or none when the
 * claim is not payable now (counted in op). 0, or -1 on a store error. */
static int s_plan_claim(struct payments *p, const struct candidate *c, struct batch_op *op, struct strpool *pool,
                        struct new_line **lines, size_t *n_lines, size_t *cap)
{
    Klaim__Decision *d = klaim__decision__unpack(NULL, c->len, c->decision);
    if (!d || d->n_payees == 0 || d->n_payees > PAY_MAX_PAYEES) {
        if (!d) log_error("payments: claim %lld: its stored decision does not decode", (long long)c->id);
        op->skipped_no_payees++;
        if (d) klaim__decision__free_unpacked(d, NULL);
        return 0;
    }
    struct payee_history h;
    struct store_payee_account accts[PAY_MAX_PAYEES];
    int has[PAY_MAX_PAYEES];
    if (s_history(p, c->id, &h) != 0 || store_payee_accounts(p->sp, c->id, accts, has) != 0) {
        klaim__decision__free_unpacked(d, NULL);
        return -1;
    }
    int n = (int)d->n_payees;
    struct new_line planned[PAY_MAX_PAYEES];
    int n_planned = 0, missing = 0, uncorrected = 0, open = 0;
    for (int i = 0; i < n; i++) {
        const Klaim__Payee *y = d->payees[i];
        if (h.state[i] == PAY_PAID) continue;
        if (h.state[i] == PAY_IN_BATCH) open = 1;
        if (h.state[i] == PAY_FAILED && !(has[i] && accts[i].at_ms > h.settled_at_ms[i])) uncorrected = 1;
        struct new_line *l = &planned[n_planned];
        memset(l, 0, sizeof *l);
        struct klaim_err err;
        if (has[i]) {
            l->bank = accts[i].bank;
        } else if (!y->bank || validate_bank_fields("bank", y->bank->bank_code, y->bank->account, y->bank->name,
                                                    &l->bank, &err) != 0) {
            missing = 1;
            continue;
        }
        l->claim_id = c->id;
        l->payee = i;
        l->role = y->has_role ? (int)y->role : 0;
        l->payee_id = strpool_keep(pool, y->id);
        l->payee_name = strpool_keep(pool, y->name);
        size_t len = 1;
        for (size_t k = 0; k < y->n_items; k++) len += strlen(y->items[k] ? y->items[k] : "") + 1;
        char *items = xcalloc(1, len);
        for (size_t k = 0; k < y->n_items; k++) {
            if (k) strcat(items, ";");
            strcat(items, y->items[k] ? y->items[k] : "");
        }
        l->items = strpool_keep(pool, items);
        free(items);
        l->amount = y->has_amount ? y->amount : 0;
        n_planned++;
    }
    klaim__decision__free_unpacked(d, NULL);
    if (open) {
        /* A payee is still in an open batch (another one came back FAILED
         * first): the claim waits until that batch is settled. */
        op->skipped_failed++;
        return 0;
    }
    if (uncorrected) {
        op->skipped_failed++;
        return 0;
    }
    if (missing) {
        s_skip(op, c->id);
        return 0;
    }
    if (n_planned == 0) return 0;
    for (int i = 0; i < n_planned; i++) {
        if (*n_lines == *cap) {
            *cap = *cap ? 2 * *cap : 64;
            *lines = xrealloc(*lines, *cap * sizeof **lines);
        }
        (*lines)[(*n_lines)++] = planned[i];
    }
    op->claims++;
    return 0;
}

/* Writes the batch, its lines, the claims' new state, the feed event and
 * the audit entry in the open transaction. 0 or -1. */
static int s_write_batch(struct payments *p, struct batch_op *op, kdate until, const struct new_line *lines,
                         size_t n)
{
    struct klaimd *k = p->k;
    int64_t now = klaimd_now_ms();
    struct store_pay_batch sb = {.created_at_ms = now, .until_date = until, .n_lines = (int)n};
    snprintf(sb.created_by, sizeof sb.created_by, "%s", op->to.client);
    for (size_t i = 0; i < n; i++)
        if (__builtin_add_overflow(sb.total, lines[i].amount, &sb.total)) return -1;
    if (store_pay_batch_insert(p->sp, &sb, &op->batch_id) != 0) return -1;
    int64_t last_claim = 0;
    for (size_t i = 0; i < n; i++) {
        const struct new_line *l = &lines[i];
        struct store_pay_line sl = {
            .batch_id = op->batch_id, .line = (int)i + 1, .claim_id = l->claim_id, .payee = l->payee,
            .role = l->role, .payee_id = l->payee_id, .payee_name = l->payee_name, .bank_code = l->bank.code,
            .account = l->bank.account, .account_name = l->bank.name, .amount = l->amount, .items = l->items,
            .state = PAY_IN_BATCH, .settled_on = -1,
        };
        if (store_pay_line_insert(p->sp, &sl) != 0) return -1;
        if (l->claim_id != last_claim && store_pay_set_claim_state(p->sp, l->claim_id, PAY_IN_BATCH) != 0) return -1;
        last_claim = l->claim_id;
    }
    char until_s[11];
    kdate_format(until, until_s);
    json_t *ev = json_pack("{s:s, s:I, s:I, s:I, s:i, s:s}", "payment", "BATCH", "batch", (json_int_t)op->batch_id,
                           "lines", (json_int_t)n, "total", (json_int_t)sb.total, "claims", (int)op->claims, "until",
                           until_s);
    char *detail = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    int rc = 0;
    if (!ev || !detail || store_audit(k->store, now, 0, op->to.client, "PAYMENT_BATCH", detail) != 0) rc = -1;
    free(detail);
    if (rc == 0 && feed_emit(k->feed, FEED_PAYMENT, 0, 0, ev, NULL) != 0) rc = -1;
    else if (rc != 0) json_decref(ev);
    return rc;
}

/* The end of WIB day `day` as unix ms (exclusive). */
static int64_t s_day_end_ms(kdate day) { return ((int64_t)day + 1) * 86400000LL - (int64_t)KLAIM_WIB_OFFSET_S * 1000; }

/* See payments.h: reads the candidates, plans every claim, and writes one
 * batch in the open transaction; the reply leaves after the commit. */
void payments_batch(struct payments *p, const struct reply_to *to, const Klaim__PaymentBatchRequest *req)
{
    struct klaimd *k = p->k;
    struct intake *in = k->intake;
    kdate until = kdate_today_wib();
    if (req->until && req->until[0]) {
        if (kdate_parse(req->until, strlen(req->until), &until) != 0) {
            intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "until",
                              "until \"%.16s\" is not a date: give YYYY-MM-DD (WIB), e.g. 2026-03-31", req->until);
            return;
        }
    }
    if (k->stopping) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__SHUTTING_DOWN, "", "klaimd is stopping; retry after it restarts");
        return;
    }
    if (batch_open(k->batch) != 0) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store cannot commit right now; retry later");
        return;
    }
    struct batch_op *op = xcalloc(1, sizeof *op);
    op->p = p;
    op->to = *to;
    struct candidates cs = {0};
    struct new_line *lines = NULL;
    size_t n_lines = 0, cap = 0;
    struct strpool pool = {0};
    int rc = store_pay_candidates(p->sp, s_day_end_ms(until), s_collect_candidate, &cs);
    for (size_t i = 0; rc == 0 && i < cs.n; i++) rc = s_plan_claim(p, &cs.v[i], op, &pool, &lines, &n_lines, &cap);
    for (size_t i = 0; i < cs.n; i++) free(cs.v[i].decision);
    free(cs.v);
    if (rc == 0 && n_lines > 0) rc = s_write_batch(p, op, until, lines, n_lines);
    free(lines);
    strpool_free(&pool);
    if (rc != 0) {
        s_batch_op_free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed; no batch was created");
        batch_fail(k->batch);
        return;
    }
    if (op->batch_id)
        log_info("payments: batch %lld: %zu lines, %u claims; %u skipped without an account", (long long)op->batch_id,
                 n_lines, op->claims, op->skipped_no_account);
    batch_then(k->batch, s_on_batch_done, op);
    batch_op_done(k->batch);
}

/* ------------------------------------------------------------------- show */

struct show_op {
    struct payments *p;
    struct reply_to to;
    int64_t id;
};

/* Replies with stored batch id, NOT_FOUND when there is none. */
static void s_show_now(struct payments *p, const struct reply_to *to, int64_t id)
{
    struct batch_reply b;
    int rc = s_batch_load(p, id, &b);
    if (rc < 0) {
        intake_send_error(p->k->intake, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
        return;
    }
    if (rc == 1) {
        intake_send_error(p->k->intake, to, KLAIM__ERROR_CODE__NOT_FOUND, "batch",
                          "there is no payment batch %lld", (long long)id);
        return;
    }
    s_send_batch(p, to, &b.pb);
    s_batch_reply_free(&b);
}

/* batch_then callback: show once the open transaction is durable. */
static void s_on_show(void *arg, int committed)
{
    (void)committed;
    struct show_op *op = arg;
    s_show_now(op->p, &op->to, op->id);
    free(op);
}

/* See payments.h: committed state only (waits for an open transaction). */
void payments_show(struct payments *p, const struct reply_to *to, const Klaim__PaymentShowRequest *req)
{
    if (!req->has_batch || req->batch == 0 || req->batch > INT64_MAX) {
        intake_send_error(p->k->intake, to, KLAIM__ERROR_CODE__BAD_REQUEST, "batch",
                          "give the batch number (1, 2, ...) as printed by payments batch");
        return;
    }
    /* Only committed state is shown: answer after an open transaction. */
    if (batch_is_pending(p->k->batch)) {
        struct show_op *op = xmalloc(sizeof *op);
        *op = (struct show_op){.p = p, .to = *to, .id = (int64_t)req->batch};
        batch_then(p->k->batch, s_on_show, op);
        return;
    }
    s_show_now(p, to, (int64_t)req->batch);
}

/* ----------------------------------------------------------------- settle */

/* One result line of the bank's file. */
struct settle_line {
    int file_line;
    int64_t batch;
    int line;
    int64_t claim_id;
    int64_t amount;
    int state;                  /* PAY_PAID or PAY_FAILED */
    char reference[PAY_REFERENCE_MAX + 1];
    kdate date;
    char reason[PAY_REASON_MAX + 1];
};

struct settle_err {
    char field[32];
    char msg[400];
};

/* Fills e for file line file_line (field "line N", a message ending in
 * "nothing was settled"); returns -1 for the caller to pass on. */
static int s_serr(struct settle_err *e, int file_line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int s_serr(struct settle_err *e, int file_line, const char *fmt, ...)
{
    snprintf(e->field, sizeof e->field, "line %d", file_line);
    va_list ap;
    va_start(ap, fmt);
    char m[360];
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    snprintf(e->msg, sizeof e->msg, "line %d: %s; nothing was settled", file_line, m);
    return -1;
}

/* Splits a CSV line into at most max fields ("..." quoting with "" for a
 * quote); fields are written into buf (as long as the line). Returns the
 * field count (max + 1 when there are more), or -1 on bad quoting. */
static int s_split(const char *s, size_t len, char *buf, char **f, int max)
{
    int n = 0;
    size_t i = 0, o = 0;
    for (;;) {
        if (n == max) return max + 1;
        f[n++] = buf + o;
        if (i < len && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) return -1;
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                buf[o++] = s[i++];
            }
            if (i < len && s[i] != ',') return -1;
        } else {
            while (i < len && s[i] != ',') {
                if (s[i] == '"') return -1;
                buf[o++] = s[i++];
            }
        }
        buf[o++] = '\0';
        if (i >= len) return n;
        i++;
    }
}

/* Digits only, 1..18 of them, into *v. */
static int s_uint(const char *s, int64_t *v)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18) return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

/* One data line of the result file into *l, checked on its own. */
static int s_parse_settle_line(const char *s, size_t len, int file_line, struct settle_line *l, struct settle_err *e)
{
    char *buf = xmalloc(len + 1);
    char *f[9];
    int n = s_split(s, len, buf, f, 8);
    int rc = -1;
    int64_t v;
    memset(l, 0, sizeof *l);
    l->file_line = file_line;
    if (n < 0) {
        s_serr(e, file_line, "bad quoting: quote a whole field (\"...\") and write a quote inside it as \"\"");
    } else if (n != 8) {
        s_serr(e, file_line, "%s%d fields, expected 8: " SETTLE_HEADER, n > 8 ? "more than " : "", n > 8 ? 8 : n);
    } else if (s_uint(f[0], &l->batch) != 0 || l->batch == 0) {
        s_serr(e, file_line, "batch \"%.20s\" is not a batch number", f[0]);
    } else if (s_uint(f[1], &v) != 0 || v == 0 || v > INT32_MAX) {
        s_serr(e, file_line, "line \"%.20s\" is not a line number (1, 2, ...)", f[1]);
    } else if ((l->line = (int)v, klaim_id_parse(f[2], &l->claim_id) != 0)) {
        s_serr(e, file_line, "claim_id \"%.24s\" is not a claim id (k- and digits, as in the batch file)", f[2]);
    } else if (s_uint(f[3], &l->amount) != 0) {
        s_serr(e, file_line, "amount \"%.24s\" is not whole Rupiah (digits only, as in the batch file)", f[3]);
    } else if (strcmp(f[4], "PAID") != 0 && strcmp(f[4], "FAILED") != 0) {
        s_serr(e, file_line, "status \"%.16s\" is not PAID or FAILED", f[4]);
    } else if ((l->state = f[4][0] == 'P' ? PAY_PAID : PAY_FAILED,
                !fmt_text_ok(f[5], PAY_REFERENCE_MAX, l->state == PAY_PAID))) {
        s_serr(e, file_line, "reference: %s1-%d characters without control characters",
               l->state == PAY_PAID ? "a PAID line needs the bank's reference, " : "", PAY_REFERENCE_MAX);
    } else if (kdate_parse(f[6], strlen(f[6]), &l->date) != 0) {
        s_serr(e, file_line, "date \"%.16s\" is not a date: write YYYY-MM-DD", f[6]);
    } else if (!fmt_text_ok(f[7], PAY_REASON_MAX, l->state == PAY_FAILED)) {
        s_serr(e, file_line, "reason: %s1-%d characters without control characters",
               l->state == PAY_FAILED ? "a FAILED line needs the bank's reason, " : "", PAY_REASON_MAX);
    } else {
        snprintf(l->reference, sizeof l->reference, "%s", f[5]);
        if (l->state == PAY_FAILED) snprintf(l->reason, sizeof l->reason, "%s", f[7]);
        rc = 0;
    }
    free(buf);
    return rc;
}

/* A batch line as stored, for the checks. */
struct stored_line {
    int64_t claim_id;
    int payee;
    int64_t amount;
    int state;
    char reference[PAY_REFERENCE_MAX + 1];
    int settled_on;
    char failure[PAY_REASON_MAX + 1];
};
struct stored_lines {
    struct stored_line *v;      /* index line - 1 */
    int n;
};

/* store_pay_lines callback: the stored lines of the settled batch, by
 * line number. */
static void s_collect_stored(void *arg, const struct store_pay_line *l)
{
    struct stored_lines *s = arg;
    if (l->line < 1 || l->line > s->n) return;
    struct stored_line *x = &s->v[l->line - 1];
    x->claim_id = l->claim_id;
    x->payee = l->payee;
    x->amount = l->amount;
    x->state = l->state;
    snprintf(x->reference, sizeof x->reference, "%s", l->reference);
    x->settled_on = l->settled_on;
    snprintf(x->failure, sizeof x->failure, "%s", l->failure);
}

struct settle_op {
    struct payments *p;
    struct reply_to to;
    Klaim__SettleReport rep;
    int error;                  /* reply this error instead (after a pending commit) */
    struct settle_err err;
};

/* The settlement's reply: its report, or the error it was refused with. */
static void s_settle_reply(struct settle_op *op)
{
    if (op->error) {
        intake_send_error(op->p->k->intake, &op->to, op->error, op->err.field, "%s", op->err.msg);
        return;
    }
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_SETTLE_REPORT;
    r.settle_report = &op->rep;
    intake_send_reply(op->p->k->intake, &op->to, &r);
}

/* batch_then callback of a settlement: replies once the transaction is
 * durable; a rollback turns a report into UNAVAILABLE (nothing settled). */
static void s_on_settled(void *arg, int committed)
{
    struct settle_op *op = arg;
    if (!committed && !op->error) {
        op->error = KLAIM__ERROR_CODE__UNAVAILABLE;
        snprintf(op->err.field, sizeof op->err.field, "%s", "");
        snprintf(op->err.msg, sizeof op->err.msg, "the store could not commit; nothing was settled; send the file again");
    }
    s_settle_reply(op);
    free(op);
}

/* Reads the whole file and checks every line against the stored batch.
 * Fills lines (*n of them) and stored; 0, -1 with e filled, -2 on a store
 * error. */
static int s_settle_check(struct payments *p, const uint8_t *data, size_t len, struct settle_line **lines, int *n,
                          struct stored_lines *stored, struct settle_err *e)
{
    size_t cap = 0;
    int file_line = 0, header_seen = 0, rc = 0;
    int *first_at = NULL;
    struct store_pay_batch sb = {0};
    *lines = NULL;
    *n = 0;
    memset(stored, 0, sizeof *stored);
    for (size_t i = 0; i < len && rc == 0;) {
        const char *s = (const char *)data + i;
        const char *nl = memchr(s, '\n', len - i);
        size_t l = nl ? (size_t)(nl - s) : len - i;
        i += l + (nl ? 1 : 0);
        file_line++;
        if (l > 0 && s[l - 1] == '\r') l--;
        if (l == 0) continue;
        if (memchr(s, '\0', l)) {
            rc = s_serr(e, file_line, "a NUL byte: send the bank's CSV file as text");
            break;
        }
        if (!header_seen && *n == 0 && l >= 6 && memcmp(s, "batch,", 6) == 0) {
            header_seen = 1;
            if (l != sizeof SETTLE_HEADER - 1 || memcmp(s, SETTLE_HEADER, l) != 0)
                rc = s_serr(e, file_line, "the header must be exactly " SETTLE_HEADER);
            continue;
        }
        if ((size_t)*n == cap) {
            cap = cap ? 2 * cap : 64;
            *lines = xrealloc(*lines, cap * sizeof **lines);
        }
        struct settle_line *x = &(*lines)[*n];
        if (s_parse_settle_line(s, l, file_line, x, e) != 0) {
            rc = -1;
            break;
        }
        (*n)++;
        if (*n == 1) {
            int g = store_pay_batch_get(p->sp, x->batch, &sb);
            if (g < 0) {
                rc = -2;
                break;
            }
            if (g == 1) {
                rc = s_serr(e, file_line, "there is no payment batch %lld: check the batch number",
                            (long long)x->batch);
                break;
            }
            stored->n = sb.n_lines;
            stored->v = xcalloc((size_t)sb.n_lines + 1, sizeof *stored->v);
            first_at = xcalloc((size_t)sb.n_lines + 1, sizeof *first_at);
            if (store_pay_lines(p->sp, sb.id, s_collect_stored, stored) != 0) {
                rc = -2;
                break;
            }
        }
        if (x->batch != sb.id) {
            rc = s_serr(e, file_line, "this line is of batch %lld but the file's first line is of batch %lld: send "
                        "one file per batch", (long long)x->batch, (long long)sb.id);
            break;
        }
        if (x->line > stored->n) {
            rc = s_serr(e, file_line, "batch %lld has no line %d (it has %d lines)", (long long)sb.id, x->line,
                        stored->n);
            break;
        }
        if (first_at[x->line - 1]) {
            rc = s_serr(e, file_line, "batch line %d is already on line %d of this file: give each line once",
                        x->line, first_at[x->line - 1]);
            break;
        }
        first_at[x->line - 1] = file_line;
        const struct stored_line *st = &stored->v[x->line - 1];
        char want[32], got[32];
        klaim_id_format(st->claim_id, want, sizeof want);
        klaim_id_format(x->claim_id, got, sizeof got);
        if (st->claim_id != x->claim_id) {
            rc = s_serr(e, file_line, "batch %lld line %d is claim %s, not %s", (long long)sb.id, x->line, want, got);
            break;
        }
        if (st->amount != x->amount) {
            rc = s_serr(e, file_line, "batch %lld line %d pays %lld, not %lld: the amount must be the batch's",
                        (long long)sb.id, x->line, (long long)st->amount, (long long)x->amount);
            break;
        }
        if (st->state != PAY_IN_BATCH) {
            int same = st->state == x->state && strcmp(st->reference, x->reference) == 0 && st->settled_on == x->date &&
                       strcmp(st->failure, x->reason) == 0;
            if (!same) {
                char d[11] = "";
                if (st->settled_on >= 0) kdate_format(st->settled_on, d);
                rc = s_serr(e, file_line, "batch %lld line %d was settled before as %s (reference \"%s\", %s): a "
                            "settled line cannot change", (long long)sb.id, x->line,
                            st->state == PAY_PAID ? "PAID" : "FAILED", st->reference, d);
                break;
            }
        }
    }
    free(first_at);
    if (rc == 0 && *n == 0) {
        snprintf(e->field, sizeof e->field, "%s", "data");
        snprintf(e->msg, sizeof e->msg, "the file has no result lines: expected " SETTLE_HEADER);
        rc = -1;
    }
    return rc;
}

/* Writes the settled lines, the claims' new states, their feed events and
 * the audit entry. 0 or -1. */
static int s_settle_write(struct payments *p, struct settle_op *op, const struct settle_line *lines, int n,
                          const struct stored_lines *stored, const char *file_name)
{
    struct klaimd *k = p->k;
    int64_t now = klaimd_now_ms();
    int64_t batch = lines[0].batch;
    int64_t *claims = xcalloc((size_t)n, sizeof *claims);
    int n_claims = 0;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const struct settle_line *l = &lines[i];
        if (stored->v[l->line - 1].state != PAY_IN_BATCH) {
            op->rep.unchanged++;
            continue;
        }
        rc = store_pay_line_settle(p->sp, batch, l->line, l->state, l->reference, l->date, l->reason, now);
        if (l->state == PAY_PAID) op->rep.paid++;
        else op->rep.failed++;
        int seen = 0;
        for (int c = 0; c < n_claims; c++) seen |= claims[c] == l->claim_id;
        if (!seen) claims[n_claims++] = l->claim_id;
    }
    for (int c = 0; c < n_claims && rc == 0; c++) {
        struct store_claim_row row;
        if (store_get_by_id(k->store, claims[c], &row) != 0) {
            rc = -1;
            break;
        }
        Klaim__Decision *d = row.decision ? klaim__decision__unpack(NULL, row.decision_len, row.decision) : NULL;
        int n_payees = d ? (int)d->n_payees : 0;
        if (d) klaim__decision__free_unpacked(d, NULL);
        store_claim_row_clear(&row);
        struct payee_history h;
        int old;
        if (s_history(p, claims[c], &h) != 0 || store_pay_claim_state(p->sp, claims[c], &old) < 0) {
            rc = -1;
            break;
        }
        int now_state = s_claim_state_of(&h, n_payees);
        if (now_state == old) continue;
        if (store_pay_set_claim_state(p->sp, claims[c], now_state) != 0) {
            rc = -1;
            break;
        }
        if (now_state != PAY_PAID && now_state != PAY_FAILED) continue;
        if (now_state == PAY_PAID) op->rep.claims_paid++;
        else op->rep.claims_failed++;
        struct payment_view v;
        if (payments_view(p, claims[c], &v) != 0) {
            rc = -1;
            break;
        }
        json_t *ev = json_pack("{s:s, s:I, s:s?, s:s?, s:s?}", "payment", now_state == PAY_PAID ? "PAID" : "FAILED",
                               "batch", (json_int_t)batch, "reference", v.pb.reference, "paid_on", v.pb.paid_on,
                               "failure", v.pb.failure);
        if (!ev || feed_emit(k->feed, FEED_PAYMENT, claims[c], 0, ev, NULL) != 0) rc = -1;
    }
    free(claims);
    int settled = 0;
    if (rc == 0 && store_pay_batch_check_settled(p->sp, batch, &settled) != 0) rc = -1;
    op->rep.has_batch_settled = 1, op->rep.batch_settled = settled;
    if (rc == 0) {
        json_t *dj = json_pack("{s:I, s:s, s:i, s:i, s:i, s:i, s:i, s:b}", "batch", (json_int_t)batch, "file",
                               file_name ? file_name : "", "lines", n, "paid", (int)op->rep.paid, "failed",
                               (int)op->rep.failed, "unchanged", (int)op->rep.unchanged, "claims_paid",
                               (int)op->rep.claims_paid, "batch_settled", settled);
        char *detail = dj ? json_dumps(dj, JSON_COMPACT) : NULL;
        json_decref(dj);
        if (!detail || store_audit(k->store, now, 0, op->to.client, "PAYMENT_SETTLE", detail) != 0) rc = -1;
        free(detail);
    }
    return rc;
}

/* See payments.h: the whole file checked first (s_settle_check), written
 * only when every line is good (s_settle_write); replies after the commit. */
void payments_settle(struct payments *p, const struct reply_to *to, const Klaim__SettleRequest *req)
{
    struct klaimd *k = p->k;
    struct intake *in = k->intake;
    if (!req->has_data || req->data.len == 0) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "data",
                          "send the bank's result file: " SETTLE_HEADER);
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
    struct settle_op *op = xcalloc(1, sizeof *op);
    op->p = p;
    op->to = *to;
    klaim__settle_report__init(&op->rep);
    struct settle_line *lines = NULL;
    int n = 0;
    struct stored_lines stored;
    int rc = s_settle_check(p, req->data.data, req->data.len, &lines, &n, &stored, &op->err);
    if (rc == -1) {
        op->error = KLAIM__ERROR_CODE__INVALID_SETTLEMENT;
    } else if (rc == 0) {
        op->rep.has_batch = 1, op->rep.batch = (uint64_t)lines[0].batch;
        op->rep.has_lines = 1, op->rep.lines = (uint32_t)n;
        op->rep.has_paid = op->rep.has_failed = op->rep.has_unchanged = 1;
        op->rep.has_claims_paid = op->rep.has_claims_failed = 1;
        int changes = 0;
        for (int i = 0; i < n; i++) changes |= stored.v[lines[i].line - 1].state == PAY_IN_BATCH;
        if (changes) {
            if (s_settle_write(p, op, lines, n, &stored, req->name) != 0) rc = -2;
        } else {
            /* The same values again: a no-op, nothing written. */
            op->rep.unchanged = (uint32_t)n;
            struct store_pay_batch sb;
            int g = store_pay_batch_get(p->sp, lines[0].batch, &sb);
            if (g < 0) rc = -2;
            op->rep.has_batch_settled = 1, op->rep.batch_settled = g == 0 && sb.settled;
        }
    }
    free(lines);
    free(stored.v);
    if (rc == -2) {
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed; nothing was settled");
        batch_fail(k->batch);
        return;
    }
    if (op->error) log_info("payments: settlement refused: %s", op->err.msg);
    else if (op->rep.paid + op->rep.failed)
        log_info("payments: batch %llu settled: %u paid, %u failed, %u unchanged", (unsigned long long)op->rep.batch,
                 op->rep.paid, op->rep.failed, op->rep.unchanged);
    /* The reply (even a refusal that read uncommitted lines) leaves after
     * the open transaction is durable. */
    batch_then(k->batch, s_on_settled, op);
    batch_op_done(k->batch);
}

/* ---------------------------------------------------------------- account */

struct account_op {
    struct payments *p;
    struct reply_to to;
    Klaim__PaymentAccount rep;
    Klaim__BankAccount bank;
    struct klaim_bank kb;
    char claim_id[32];
    char payee_name[KLAIM_TEXT_MAX + 1];
};

/* batch_then callback of an account: the reply, or UNAVAILABLE after a
 * rollback (nothing recorded). */
static void s_on_account(void *arg, int committed)
{
    struct account_op *op = arg;
    if (!committed) {
        intake_send_error(op->p->k->intake, &op->to, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                          "the store could not commit; the account was not recorded; retry later");
    } else {
        Klaim__Reply r = KLAIM__REPLY__INIT;
        r.body_case = KLAIM__REPLY__BODY_PAYMENT_ACCOUNT;
        r.payment_account = &op->rep;
        intake_send_reply(op->p->k->intake, &op->to, &r);
    }
    free(op);
}

/* See payments.h: checks the request, the claim (APPROVED or awaiting
 * confirmation), the payee (exists, not paid), records and audits. */
void payments_account(struct payments *p, const struct reply_to *to, const Klaim__PaymentAccountRequest *req)
{
    struct klaimd *k = p->k;
    struct intake *in = k->intake;
    int64_t id;
    if (!req->claim_id || klaim_id_parse(req->claim_id, &id) != 0) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                          "give the claim id (k- followed by digits, e.g. k-000000000042)");
        return;
    }
    if (!req->has_payee) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "payee",
                          "give the payee's number: its place in the decision's payees, from 0");
        return;
    }
    if (!fmt_text_ok(req->by, PAY_BY_MAX, 1)) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "by",
                          "name who supplied the account: 1-%d characters, no control characters", PAY_BY_MAX);
        return;
    }
    struct account_op *op = xcalloc(1, sizeof *op);
    struct klaim_err err;
    int brc = req->bank ? validate_bank_fields("bank", req->bank->bank_code, req->bank->account, req->bank->name,
                                               &op->kb, &err)
                        : 1;
    if (brc != 0) {
        free(op);
        if (brc == 1)
            intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "bank",
                              "give the account: bank code (3 digits), account (6-20 digits) and the holder's name");
        else
            intake_send_error(in, to, err.code, err.field, "%s", err.message);
        return;
    }
    if (k->stopping) {
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__SHUTTING_DOWN, "", "klaimd is stopping; retry after it restarts");
        return;
    }
    if (batch_open(k->batch) != 0) {
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store cannot commit right now; retry later");
        return;
    }
    struct store_claim_row row;
    int rc = store_get_by_id(k->store, id, &row);
    if (rc != 0) {
        free(op);
        if (rc < 0) {
            intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
            batch_fail(k->batch);
        } else {
            intake_send_error(in, to, KLAIM__ERROR_CODE__NOT_FOUND, "claim_id", "no claim %s" KLAIM_NOT_VISIBLE, req->claim_id);
        }
        return;
    }
    int state = row.state;
    Klaim__Decision *d = row.decision ? klaim__decision__unpack(NULL, row.decision_len, row.decision) : NULL;
    store_claim_row_clear(&row);
    if (state != STATE_APPROVED && state != STATE_AWAITING_CONFIRMATION) {
        if (d) klaim__decision__free_unpacked(d, NULL);
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                          "claim %s is %s: accounts are recorded for the payees of APPROVED claims", req->claim_id,
                          state == STORE_STATE_DEAD ? "PENDING_REVIEW" : klaim_state_name((enum klaim_state)state));
        return;
    }
    size_t n_payees = d ? d->n_payees : 0;
    if (req->payee >= n_payees || req->payee >= PAY_MAX_PAYEES) {
        if (d) klaim__decision__free_unpacked(d, NULL);
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__NOT_FOUND, "payee",
                          "claim %s has %zu payee(s): give --payee 0..%zu", req->claim_id, n_payees,
                          n_payees ? n_payees - 1 : 0);
        return;
    }
    snprintf(op->payee_name, sizeof op->payee_name, "%s", d->payees[req->payee]->name ? d->payees[req->payee]->name : "");
    klaim__decision__free_unpacked(d, NULL);
    struct payee_history h;
    if (s_history(p, id, &h) != 0) {
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
        batch_fail(k->batch);
        return;
    }
    if (h.state[req->payee] == PAY_PAID) {
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "payee",
                          "payee %u of claim %s was paid in batch %lld: its account cannot change any more",
                          req->payee, req->claim_id, (long long)h.batch[req->payee]);
        return;
    }
    /* The workers' rule for bank_name_mismatch (docs/money.md §2): flagged,
     * never refused. */
    int mismatch = !payees_same_name(op->kb.name, op->payee_name);
    int64_t now = klaimd_now_ms();
    json_t *dj = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b}", "payee", (int)req->payee, "bank_code", op->kb.code,
                           "account", op->kb.account, "name", op->kb.name, "by", req->by, "bank_name_mismatch",
                           mismatch);
    char *detail = dj ? json_dumps(dj, JSON_COMPACT) : NULL;
    json_decref(dj);
    rc = store_payee_account_set(p->sp, id, (int)req->payee, &op->kb, req->by, to->client, now);
    if (rc == 0 && (!detail || store_audit(k->store, now, id, to->client, "PAYEE_ACCOUNT", detail) != 0)) rc = -1;
    free(detail);
    if (rc != 0) {
        free(op);
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed; nothing was recorded");
        batch_fail(k->batch);
        return;
    }
    op->p = p;
    op->to = *to;
    klaim__payment_account__init(&op->rep);
    klaim_id_format(id, op->claim_id, sizeof op->claim_id);
    op->rep.claim_id = op->claim_id;
    op->rep.has_payee = 1, op->rep.payee = req->payee;
    op->rep.payee_name = op->payee_name;
    klaim__bank_account__init(&op->bank);
    op->bank.bank_code = op->kb.code;
    op->bank.account = op->kb.account;
    op->bank.name = op->kb.name;
    op->rep.bank = &op->bank;
    op->rep.has_bank_name_mismatch = 1, op->rep.bank_name_mismatch = mismatch;
    int ps = 0;
    if (store_pay_claim_state(p->sp, id, &ps) == 0) op->rep.has_payment_state = 1, op->rep.payment_state = (uint32_t)ps;
    log_info("payments: claim=%s payee=%u account recorded by \"%s\"%s", op->claim_id, req->payee, req->by,
             mismatch ? " (holder name differs from the payee's)" : "");
    batch_then(k->batch, s_on_account, op);
    batch_op_done(k->batch);
}

/* ------------------------------------------------------------------- view */

struct view_acc {
    struct payment_view *v;
    int64_t last_batch;
    kdate paid_on;
};

/* Appends s to dst, "; "-separated, cut at size; empty s adds nothing. */
static void s_append(char *dst, size_t size, const char *s)
{
    if (!s[0]) return;
    size_t n = strlen(dst);
    if (n) snprintf(dst + n, size - n, "; %s", s);
    else snprintf(dst, size, "%s", s);
}

/* store_pay_lines_of_claim callback: the last batch, and the references
 * and latest bank date of the PAID lines. */
static void s_view_line(void *arg, const struct store_pay_line *l)
{
    struct view_acc *a = arg;
    if (l->batch_id > a->last_batch) a->last_batch = l->batch_id;
    if (l->state == PAY_PAID) {
        s_append(a->v->reference, sizeof a->v->reference, l->reference);
        if (l->settled_on > a->paid_on) a->paid_on = l->settled_on;
    }
}

/* The failures of the newest lines only (an earlier failure that was
 * corrected and paid is history). */
static void s_view_failures(void *arg, const struct store_pay_line *l)
{
    struct view_acc *a = arg;
    if (l->batch_id == a->last_batch && l->state == PAY_FAILED)
        s_append(a->v->failure, sizeof a->v->failure, l->failure);
}

/* See payments.h. */
int payments_view(struct payments *p, int64_t claim_id, struct payment_view *v)
{
    memset(v, 0, sizeof *v);
    klaim__payment__init(&v->pb);
    int state = 0;
    if (store_pay_claim_state(p->sp, claim_id, &state) != 0) return -1;
    struct view_acc a = {.v = v, .paid_on = -1};
    if (store_pay_lines_of_claim(p->sp, claim_id, s_view_line, &a) != 0) return -1;
    if (state == PAY_FAILED && store_pay_lines_of_claim(p->sp, claim_id, s_view_failures, &a) != 0) return -1;
    v->pb.has_state = 1, v->pb.state = (Klaim__PaymentState)state;
    if (a.last_batch) v->pb.has_batch = 1, v->pb.batch = (uint64_t)a.last_batch;
    if (state == PAY_PAID) {
        v->pb.reference = v->reference;
        if (a.paid_on >= 0) {
            kdate_format(a.paid_on, v->paid_on);
            v->pb.paid_on = v->paid_on;
        }
    }
    if (state == PAY_FAILED) v->pb.failure = v->failure;
    return 0;
}

/* upstream.c - see upstream.h.
 *
 * Owns: paging of the audit chain and of decided claims, the claims report
 *   (SQL over klaim.db, by decision or event date, with the JKM payment
 *   clock's columns from payclock.c) and the coverage report (a helper
 *   scans the current registry generation: klaim-worker --report-coverage).
 * Runs in: klaimd main loop only. Reads answer from committed state: a
 *   request that arrives while a transaction is open waits for its commit.
 */
#include "upstream.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/event.h>

#include "batch.h"
#include "codec.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "payclock.h"
#include "registry_gen.h"
#include "store.h"
#include "strpool.h"
#include "supervisor.h"
#include "xalloc.h"

#define PAGE_DEFAULT 1000
#define PAGE_MAX 5000

static int s_limit(protobuf_c_boolean has, uint32_t v)
{
    return !has || v == 0 ? PAGE_DEFAULT : v > PAGE_MAX ? PAGE_MAX : (int)v;
}

/* Runs fn(k, to, req-copy) now, or after the open transaction commits. The
 * request is re-packed into the deferred op, so the caller may free it. */
typedef void (*deferred_fn)(struct klaimd *k, const struct reply_to *to, const ProtobufCMessage *req);
struct deferred {
    struct klaimd *k;
    struct reply_to to;
    deferred_fn fn;
    const ProtobufCMessageDescriptor *desc;
    uint8_t *bytes;
    size_t len;
};

static void s_on_deferred(void *arg, int committed)
{
    struct deferred *d = arg;
    ProtobufCMessage *m = protobuf_c_message_unpack(d->desc, NULL, d->len, d->bytes);
    if (m) {
        d->fn(d->k, &d->to, m);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    free(d->bytes);
    free(d);
}

static void s_after_commit(struct klaimd *k, const struct reply_to *to, const ProtobufCMessage *req, deferred_fn fn)
{
    if (!batch_is_pending(k->batch)) {
        fn(k, to, req);
        return;
    }
    struct deferred *d = xcalloc(1, sizeof *d);
    d->k = k;
    d->to = *to;
    d->fn = fn;
    d->desc = req->descriptor;
    d->bytes = codec_pack(req, &d->len);
    batch_then(k->batch, s_on_deferred, d);
}

/* ----------------------------------------------------------------- audit */

struct audit_acc {
    Klaim__AuditEntry *v;
    Klaim__AuditEntry **p;
    struct strpool text;
    uint8_t *blobs;
    size_t n, cap;
};

static void s_audit_row(void *arg, const struct store_audit_row *r)
{
    struct audit_acc *a = arg;
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
        a->blobs = xrealloc(a->blobs, a->cap * 64);
    }
    Klaim__AuditEntry *e = &a->v[a->n];
    klaim__audit_entry__init(e);
    e->has_seq = 1, e->seq = r->seq;
    e->has_at_ms = 1, e->at_ms = r->at_ms;
    e->has_claim_id = 1, e->claim_id = r->claim_id;
    e->actor = strpool_keep(&a->text, r->actor);
    e->action = strpool_keep(&a->text, r->action);
    e->detail = strpool_keep(&a->text, r->detail);
    uint8_t *b = a->blobs + 64 * a->n;
    memset(b, 0, 64);
    if (r->prev_hash_len == 32) memcpy(b, r->prev_hash, 32);
    if (r->hash_len == 32) memcpy(b + 32, r->hash, 32);
    a->n++;
}

static void s_audit_now(struct klaimd *k, const struct reply_to *to, const ProtobufCMessage *m)
{
    const Klaim__AuditRequest *req = (const Klaim__AuditRequest *)m;
    struct audit_acc a = {0};
    int limit = s_limit(req->has_limit, req->limit), rc;
    int64_t claim = 0;
    if (req->claim_id && req->claim_id[0]) {
        if (klaim_id_parse(req->claim_id, &claim) != 0) {
            intake_send_error(k->intake, to, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                              "\"%.64s\" is not a claim id (k- followed by digits)", req->claim_id);
            return;
        }
        rc = store_audit_of(k->store, claim, s_audit_row, &a);
    } else {
        rc = store_audit_page(k->store, req->has_after_seq ? req->after_seq : 0, limit + 1, s_audit_row, &a);
    }
    if (rc != 0) {
        intake_send_error(k->intake, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
    } else {
        int more = !claim && a.n > (size_t)limit;
        size_t n = more ? (size_t)limit : a.n;
        a.p = xcalloc(n + 1, sizeof *a.p);
        for (size_t i = 0; i < n; i++) {
            a.v[i].has_prev_hash = 1, a.v[i].prev_hash.len = 32, a.v[i].prev_hash.data = a.blobs + 64 * i;
            a.v[i].has_hash = 1, a.v[i].hash.len = 32, a.v[i].hash.data = a.blobs + 64 * i + 32;
            a.p[i] = &a.v[i];
        }
        Klaim__AuditPage page = KLAIM__AUDIT_PAGE__INIT;
        page.n_entries = n;
        page.entries = a.p;
        page.has_head_seq = 1, page.head_seq = store_audit_head(k->store);
        page.has_more = 1, page.more = more;
        Klaim__Reply r = KLAIM__REPLY__INIT;
        r.body_case = KLAIM__REPLY__BODY_AUDIT_PAGE;
        r.audit_page = &page;
        intake_send_reply(k->intake, to, &r);
    }
    strpool_free(&a.text);
    free(a.blobs);
    free(a.v);
    free(a.p);
}

void upstream_audit(struct klaimd *k, const struct reply_to *to, const Klaim__AuditRequest *req)
{
    s_after_commit(k, to, &req->base, s_audit_now);
}

/* ---------------------------------------------------------------- export */

struct export_acc {
    Klaim__ExportRow *rows;
    Klaim__ExportRow **p;
    Klaim__Decision **decisions;
    Klaim__Claim **claims;
    Klaim__MemberFacts *facts;
    struct strpool text;
    size_t n, cap;
};

static void s_export_row(void *arg, const struct store_export_row *r)
{
    struct export_acc *a = arg;
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->rows = xrealloc(a->rows, a->cap * sizeof *a->rows);
        a->decisions = xrealloc(a->decisions, a->cap * sizeof *a->decisions);
        a->claims = xrealloc(a->claims, a->cap * sizeof *a->claims);
        a->facts = xrealloc(a->facts, a->cap * sizeof *a->facts);
    }
    size_t i = a->n++;
    Klaim__ExportRow *row = &a->rows[i];
    klaim__export_row__init(row);
    Klaim__Decision *d = r->decision_len ? klaim__decision__unpack(NULL, r->decision_len, r->decision) : NULL;
    if (!d) {
        d = xmalloc(sizeof *d);
        klaim__decision__init(d);
        d->base.descriptor = NULL; /* marks "ours": freed with free() */
    }
    /* identity fields from the row, as intake does for status; the decoded
     * ones (protobuf-c's default allocator is malloc) are replaced */
    if (d->base.descriptor) {
        free(d->claim_id);
        free(d->idempotency_key);
    }
    char id[32];
    klaim_id_format(r->id, id, sizeof id);
    d->claim_id = strpool_keep(&a->text, id);
    d->idempotency_key = strpool_keep(&a->text, r->idem_key);
    d->has_program = 1, d->program = (Klaim__Program)r->program;
    d->has_received_at_ms = 1, d->received_at_ms = r->received_at_ms;
    d->has_decided_at_ms = 1, d->decided_at_ms = r->decided_at_ms;
    d->has_provisional = 1, d->provisional = r->provisional;
    a->decisions[i] = d;
    row->decision = d;
    a->claims[i] = klaim__claim__unpack(NULL, r->claim_len, r->claim);
    row->claim = a->claims[i];
    /* row->member is set once the page is complete: a->facts may still move */
    Klaim__MemberFacts *f = &a->facts[i];
    klaim__member_facts__init(f);
    if (r->category) {
        f->name = strpool_keep(&a->text, r->member_name);
        f->category = strpool_keep(&a->text, r->category);
        f->sponsor = strpool_keep(&a->text, r->sponsor);
        f->regency = strpool_keep(&a->text, r->regency);
    }
    row->has_provisional = 1, row->provisional = r->provisional;
}

static void s_export_now(struct klaimd *k, const struct reply_to *to, const ProtobufCMessage *m)
{
    const Klaim__ExportRequest *req = (const Klaim__ExportRequest *)m;
    int limit = s_limit(req->has_limit, req->limit);
    struct export_acc a = {0};
    int rc = store_export_page(k->store, req->has_after_claim_id ? req->after_claim_id : 0,
                               req->has_since_ms ? req->since_ms : 0, limit + 1, s_export_row, &a);
    if (rc != 0) {
        intake_send_error(k->intake, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
    } else {
        int more = a.n > (size_t)limit;
        size_t n = more ? (size_t)limit : a.n;
        a.p = xcalloc(n + 1, sizeof *a.p);
        for (size_t i = 0; i < n; i++) {
            a.p[i] = &a.rows[i];
            if (a.facts[i].category) a.rows[i].member = &a.facts[i];
        }
        Klaim__ExportPage page = KLAIM__EXPORT_PAGE__INIT;
        page.n_rows = n;
        page.rows = a.p;
        page.has_more = 1, page.more = more;
        Klaim__Reply r = KLAIM__REPLY__INIT;
        r.body_case = KLAIM__REPLY__BODY_EXPORT_PAGE;
        r.export_page = &page;
        intake_send_reply(k->intake, to, &r);
    }
    for (size_t i = 0; i < a.n; i++) {
        Klaim__Decision *d = a.decisions[i];
        /* strings we set point into a.text: detach before freeing */
        d->claim_id = NULL;
        d->idempotency_key = NULL;
        if (d->base.descriptor) klaim__decision__free_unpacked(d, NULL);
        else free(d);
        if (a.claims[i]) klaim__claim__free_unpacked(a.claims[i], NULL);
    }
    strpool_free(&a.text);
    free(a.rows);
    free(a.p);
    free(a.decisions);
    free(a.claims);
    free(a.facts);
}

void upstream_export(struct klaimd *k, const struct reply_to *to, const Klaim__ExportRequest *req)
{
    s_after_commit(k, to, &req->base, s_export_now);
}

/* --------------------------------------------------------------- reports */

struct report_acc {
    Klaim__ReportRow *v;
    struct strpool text;
    size_t n, cap;
};

static Klaim__ReportRow *s_rrow(struct report_acc *a)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    Klaim__ReportRow *row = &a->v[a->n++];
    klaim__report_row__init(row);
    return row;
}

static void s_claims_row(void *arg, const struct store_report_row *r)
{
    struct report_acc *a = arg;
    Klaim__ReportRow *row = s_rrow(a);
    row->regency = strpool_keep(&a->text, r->regency);
    row->program = strpool_keep(&a->text, klaim_program_name((enum klaim_program)r->program));
    row->sponsor = strpool_keep(&a->text, r->sponsor);
    row->reason = strpool_keep(&a->text, r->reason);
    row->has_claims = 1, row->claims = r->claims;
    row->has_approved = 1, row->approved = r->approved;
    row->has_rejected = 1, row->rejected = r->rejected;
    row->has_pending_review = 1, row->pending_review = r->pending_review;
    row->has_paid = 1, row->paid = r->paid;
}

static void s_send_report(struct klaimd *k, const struct reply_to *to, const char *kind, struct report_acc *a,
                          const char *as_of)
{
    Klaim__ReportRow **p = xcalloc(a->n + 1, sizeof *p);
    for (size_t i = 0; i < a->n; i++) p[i] = &a->v[i];
    Klaim__Report rep = KLAIM__REPORT__INIT;
    rep.kind = (char *)kind;
    rep.n_rows = a->n;
    rep.rows = p;
    rep.as_of = (char *)as_of;
    rep.has_registry_generation = 1, rep.registry_generation = registry_gen_current(k->reg);
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_REPORT;
    r.report = &rep;
    intake_send_reply(k->intake, to, &r);
    free(p);
}

static void s_report_acc_free(struct report_acc *a)
{
    strpool_free(&a->text);
    free(a->v);
}

/* Bounds of a WIB calendar date in unix ms: [00:00, 24:00) at UTC+7. */
static int64_t s_day_start_ms(kdate d) { return ((int64_t)d * 86400 - KLAIM_WIB_OFFSET_S) * 1000; }

/* The claims report's filter: by decision date (unix ms bounds) or by
 * event date (day numbers), from/to as given ("" = from the start, to
 * today). 0, or -1 with *field and *why. */
struct claims_range {
    int by_event;
    kdate from, to;
};
static int s_claims_range(const char *from, const char *to, const char *by, struct claims_range *r, const char **field,
                          const char **why)
{
    r->from = 0, r->to = kdate_today_wib();
    r->by_event = by && strcmp(by, "event") == 0;
    if (by && by[0] && !r->by_event && strcmp(by, "decision") != 0) {
        *field = "by", *why = "by must be decision (from/to are decision dates, the default) or event (event dates)";
        return -1;
    }
    if ((from && from[0] && kdate_parse(from, strlen(from), &r->from) != 0) ||
        (to && to[0] && kdate_parse(to, strlen(to), &r->to) != 0)) {
        *field = "from_date", *why = "from/to must be dates (YYYY-MM-DD)";
        return -1;
    }
    return 0;
}

/* Adds one claim with the payment clock to its group: the APPROVED row of
 * its regency, programme and sponsor (reason ""), which the counts above
 * always hold (both reads use the same filter in one loop pass). */
static void s_clock_row(void *arg, const struct payclock_report_row *c)
{
    struct report_acc *a = arg;
    const char *program = klaim_program_name((enum klaim_program)c->program);
    Klaim__ReportRow *row = NULL;
    for (size_t i = 0; i < a->n && !row; i++) {
        Klaim__ReportRow *x = &a->v[i];
        if (!x->reason[0] && strcmp(x->regency, c->regency) == 0 && strcmp(x->program, program) == 0 &&
            strcmp(x->sponsor, c->sponsor) == 0)
            row = x;
    }
    if (!row) {
        row = s_rrow(a);
        row->regency = strpool_keep(&a->text, c->regency);
        row->program = strpool_keep(&a->text, program);
        row->sponsor = strpool_keep(&a->text, c->sponsor);
        row->reason = strpool_keep(&a->text, "");
    }
    if (c->outcome == PAYCLOCK_ON_TIME) row->paid_on_time++;
    else if (c->outcome == PAYCLOCK_PAID_LATE) row->paid_late++;
    else if (c->outcome == PAYCLOCK_PAST_DUE) row->unpaid_past_due++;
    row->late_amount += c->late_amount;
}

/* The claims report's rows into a: the counts by group, then the payment
 * clock's columns. 0, or -1 on a store error. */
static int s_claims_collect(struct klaimd *k, const struct claims_range *r, struct report_acc *a)
{
    int rc = r->by_event ? store_report_claims_by_event(k->store, r->from, r->to, s_claims_row, a)
                         : store_report_claims(k->store, s_day_start_ms(r->from), s_day_start_ms(r->to + 1) - 1,
                                               s_claims_row, a);
    if (rc != 0) return -1;
    rc = r->by_event ? payclock_report(k->payclock, 1, r->from, r->to, s_clock_row, a)
                     : payclock_report(k->payclock, 0, s_day_start_ms(r->from), s_day_start_ms(r->to + 1) - 1,
                                       s_clock_row, a);
    for (size_t i = 0; i < a->n; i++) {
        Klaim__ReportRow *x = &a->v[i];
        x->has_paid_on_time = x->has_paid_late = x->has_unpaid_past_due = x->has_late_amount = 1;
    }
    return rc;
}

static void s_claims_now(struct klaimd *k, const struct reply_to *to, const ProtobufCMessage *m)
{
    const Klaim__ReportRequest *req = (const Klaim__ReportRequest *)m;
    struct claims_range r;
    const char *field, *why;
    if (s_claims_range(req->from_date, req->to_date, req->by, &r, &field, &why) != 0) {
        intake_send_error(k->intake, to, KLAIM__ERROR_CODE__BAD_REQUEST, field, "%s", why);
        return;
    }
    struct report_acc a = {0};
    if (s_claims_collect(k, &r, &a) != 0)
        intake_send_error(k->intake, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later");
    else
        s_send_report(k, to, "claims", &a, "");
    s_report_acc_free(&a);
}

/* The coverage report: a helper scans the registry generation. */
struct coverage_job {
    struct klaimd *k;
    struct reply_to to;
    upstream_json_fn json_done; /* HTTP: answer as JSON instead of a Reply */
    void *json_arg;
    int fd;
    struct event *ev;
    char *out;
    size_t len, cap;
    char as_of[11];
};

static void s_cov_read(struct coverage_job *j)
{
    for (;;) {
        if (j->len + 4097 > j->cap) {
            if (j->cap >= (64u << 20)) break;
            j->cap = j->cap ? 2 * j->cap : 65536;
            j->out = xrealloc(j->out, j->cap);
        }
        ssize_t n = read(j->fd, j->out + j->len, j->cap - j->len - 1);
        if (n <= 0) break;
        j->len += (size_t)n;
    }
}

static void s_on_cov_output(evutil_socket_t fd, short what, void *arg) { s_cov_read(arg); }

static void s_on_cov_exit(void *arg, pid_t pid, int status)
{
    struct coverage_job *j = arg;
    s_cov_read(j);
    event_free(j->ev);
    close(j->fd);
    if (j->out) j->out[j->len] = '\0';
    json_error_t jerr;
    json_t *root = j->len ? json_loads(j->out, 0, &jerr) : NULL;
    json_t *rows = root ? json_object_get(root, "rows") : NULL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !json_is_array(rows)) {
        log_error("report: coverage helper pid=%d failed (status %d)", (int)pid, status);
        if (j->json_done)
            j->json_done(j->json_arg, NULL, KLAIM__ERROR_CODE__INTERNAL, "the coverage report failed; see klaimd's log");
        else
            intake_send_error(j->k->intake, &j->to, KLAIM__ERROR_CODE__INTERNAL, "",
                              "the coverage report failed; see klaimd's log");
    } else if (j->json_done) {
        json_t *rep = json_pack("{s:s, s:s, s:I, s:O}", "kind", "coverage", "as_of", j->as_of, "registry_generation",
                                (json_int_t)registry_gen_current(j->k->reg), "rows", rows);
        j->json_done(j->json_arg, rep, 0, NULL);
    } else {
        struct report_acc a = {0};
        size_t i;
        json_t *v;
        json_array_foreach(rows, i, v) {
            Klaim__ReportRow *row = s_rrow(&a);
            row->regency = strpool_keep(&a.text, json_string_value(json_object_get(v, "regency")));
            row->category = strpool_keep(&a.text, json_string_value(json_object_get(v, "category")));
            row->sponsor = strpool_keep(&a.text, json_string_value(json_object_get(v, "sponsor")));
            row->has_active = 1, row->active = (uint64_t)json_integer_value(json_object_get(v, "active"));
        }
        s_send_report(j->k, &j->to, "coverage", &a, j->as_of);
        s_report_acc_free(&a);
    }
    json_decref(root);
    free(j->out);
    free(j);
}

/* Starts the coverage helper. Returns 0, or an error code with *err. */
static int s_coverage_start(struct klaimd *k, const char *as_of, struct coverage_job *j, const char **err)
{
    kdate day = kdate_today_wib();
    if (as_of && as_of[0] && kdate_parse(as_of, strlen(as_of), &day) != 0) {
        *err = "as_of must be a date (YYYY-MM-DD)";
        return KLAIM__ERROR_CODE__BAD_REQUEST;
    }
    uint64_t gen = registry_gen_current(k->reg);
    if (gen == 0) {
        *err = "no participant registry yet: import one with klaimctl registry import FILE.csv";
        return KLAIM__ERROR_CODE__NOT_FOUND;
    }
    j->k = k;
    kdate_format(day, j->as_of);
    char gen_s[24];
    snprintf(gen_s, sizeof gen_s, "%llu", (unsigned long long)gen);
    char *argv[] = {k->cfg.worker_path, "--report-coverage", "--registry-dir", k->cfg.registry_dir, "--gen", gen_s,
                    "--as-of", j->as_of, NULL};
    if (supervisor_run_helper(k->sup, argv, &j->fd, s_on_cov_exit, j) < 0) {
        *err = "cannot start the report helper now; retry";
        return KLAIM__ERROR_CODE__BUSY;
    }
    j->ev = event_new(k->base, j->fd, EV_READ | EV_PERSIST, s_on_cov_output, j);
    event_add(j->ev, NULL);
    return 0;
}

static void s_coverage(struct klaimd *k, const struct reply_to *to, const Klaim__ReportRequest *req)
{
    struct coverage_job *j = xcalloc(1, sizeof *j);
    j->to = *to;
    const char *err = NULL;
    int code = s_coverage_start(k, req->as_of, j, &err);
    if (code) {
        free(j);
        intake_send_error(k->intake, to, code, code == KLAIM__ERROR_CODE__BAD_REQUEST ? "as_of" : "", "%s", err);
    }
}

void upstream_report_json(struct klaimd *k, const char *kind, const char *from, const char *to, const char *by,
                          const char *as_of, upstream_json_fn done, void *arg)
{
    if (kind && strcmp(kind, "coverage") == 0) {
        struct coverage_job *j = xcalloc(1, sizeof *j);
        j->json_done = done;
        j->json_arg = arg;
        const char *err = NULL;
        int code = s_coverage_start(k, as_of, j, &err);
        if (code) {
            free(j);
            done(arg, NULL, code, err);
        }
        return;
    }
    struct claims_range r;
    const char *field, *why;
    if (s_claims_range(from, to, by, &r, &field, &why) != 0) {
        done(arg, NULL, KLAIM__ERROR_CODE__BAD_REQUEST, why);
        return;
    }
    struct report_acc a = {0};
    if (s_claims_collect(k, &r, &a) != 0) {
        s_report_acc_free(&a);
        done(arg, NULL, KLAIM__ERROR_CODE__UNAVAILABLE, "the store failed to read; retry later");
        return;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < a.n; i++) {
        const Klaim__ReportRow *x = &a.v[i];
        json_array_append_new(
            rows, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "regency", x->regency,
                            "program", x->program, "sponsor", x->sponsor, "reason", x->reason, "claims",
                            (json_int_t)x->claims, "approved", (json_int_t)x->approved, "rejected",
                            (json_int_t)x->rejected, "pending_review", (json_int_t)x->pending_review, "paid",
                            (json_int_t)x->paid, "paid_on_time", (json_int_t)x->paid_on_time, "paid_late",
                            (json_int_t)x->paid_late, "unpaid_past_due", (json_int_t)x->unpaid_past_due,
                            "late_amount", (json_int_t)x->late_amount));
    }
    s_report_acc_free(&a);
    done(arg, json_pack("{s:s, s:s, s:I, s:o}", "kind", "claims", "by", r.by_event ? "event" : "decision",
                        "registry_generation", (json_int_t)registry_gen_current(k->reg), "rows", rows),
         0, NULL);
}

void upstream_report(struct klaimd *k, const struct reply_to *to, const Klaim__ReportRequest *req)
{
    const char *kind = req->kind ? req->kind : "";
    if (strcmp(kind, "claims") == 0) s_after_commit(k, to, &req->base, s_claims_now);
    else if (strcmp(kind, "coverage") == 0) s_coverage(k, to, req);
    else
        intake_send_error(k->intake, to, KLAIM__ERROR_CODE__BAD_REQUEST, "kind",
                          "report kind \"%.32s\": expected claims or coverage", kind);
}

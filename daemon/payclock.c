/* payclock.c - see payclock.h.
 *
 * Owns: the JKM payment clock: its statements on claims (payment_clock,
 *   the claims_payment_clock index of store.c migration 8 -> 9), its one
 *   libevent timer, its breaches and their feed events.
 * Runs in: klaimd main loop only.
 * Invariant: a breach is decided against the stored claim inside the
 *   transaction that marks it (payment_clock = 1) and writes its event, so
 *   a claim paid meanwhile, or a breach already written (before a restart),
 *   never emits another.
 * See also: workdays.c (the arithmetic), sla.c (the dispatch clocks, the
 *   same pattern), feed.c (events).
 */
#include "payclock.h"

#include <event2/event.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "feed.h"
#include "klaimd.h"
#include "log.h"
#include "store.h"
#include "types.h"
#include "xalloc.h"

#define P_DUE_BATCH 500          /* breaches written per transaction */
#define P_POLL_MS (60 * 1000)    /* look for clocks started since */

enum { P_OF, P_NEXT, P_MARK, P_COUNT, P_REPORT_DECIDED, P_REPORT_EVENT, P__N };

/* The predicate of the partial index claims_payment_clock, word for word:
 * SQLite uses a partial index only for a WHERE that implies its own. */
#define P_RUNNING "state = 3 AND death_date IS NOT NULL AND payment_state <> 3 AND payment_clock = 0"
/* The paid date: the latest bank date of the claim's PAID lines (or, were
 * it missing, the WIB date they were settled at). */
#define P_PAID_ON                                                                                                   \
    "(SELECT coalesce(max(l.settled_on), (max(l.settled_at_ms) / 1000 + 25200) / 86400) FROM payment_lines l"      \
    " WHERE l.claim_id = claims.id AND l.state = 3)"
#define P_COLS "decided_at_ms, coalesce(total, 0), payment_state, payment_clock, claim, review_heirs, " P_PAID_ON

static const char *const s_sql[P__N] = {
    /* no row (and no blob read) for any other claim */
    [P_OF] = "SELECT " P_COLS " FROM claims WHERE id = ?1 AND state = 3 AND death_date IS NOT NULL",
    [P_NEXT] = "SELECT id, decided_at_ms FROM claims WHERE " P_RUNNING " ORDER BY decided_at_ms LIMIT ?1",
    [P_MARK] = "UPDATE claims SET payment_clock = ?2 WHERE id = ?1 AND payment_clock = 0",
    [P_COUNT] = "SELECT count(*) FROM claims WHERE " P_RUNNING,
    [P_REPORT_DECIDED] = "SELECT coalesce(regency, ''), program, coalesce(sponsor, ''), " P_COLS
                         " FROM claims WHERE state = 3 AND death_date IS NOT NULL AND decided_at_ms BETWEEN ?1 AND ?2",
    [P_REPORT_EVENT] = "SELECT coalesce(regency, ''), program, coalesce(sponsor, ''), " P_COLS
                       " FROM claims WHERE state = 3 AND death_date IS NOT NULL AND event_date BETWEEN ?1 AND ?2",
};

struct payclock {
    struct klaimd *k;
    sqlite3 *db;
    sqlite3_stmt *st[P__N];
    struct event *timer;
    struct workdays wd;
    uint64_t breaches;
};

/* The clock columns of a claim row (P_COLS), from column i on. */
struct p_row {
    int64_t decided_at_ms, total;
    int payment_state, payment_clock;
    int has_heir;
    int paid;
    kdate paid_on;
};

/* 1 when a packed klaim.Claim holds an heir with a NIK. */
static int s_heir_with_nik(const void *blob, int len)
{
    if (!blob || len <= 0) return 0;
    Klaim__Claim *c = klaim__claim__unpack(NULL, (size_t)len, blob);
    if (!c) return 0;
    int yes = 0;
    for (size_t i = 0; i < c->n_heirs && !yes; i++) yes = c->heirs[i]->nik && c->heirs[i]->nik[0];
    klaim__claim__free_unpacked(c, NULL);
    return yes;
}

/* Reads P_COLS from column i. A reviewer's heirs replace the claim's
 * (docs/money.md §3), so only they count when there are any. A PAID claim
 * without a paid date (no PAID line) counts as paid today. */
static void s_read_row(sqlite3_stmt *st, int i, struct p_row *r)
{
    r->decided_at_ms = sqlite3_column_int64(st, i);
    r->total = sqlite3_column_int64(st, i + 1);
    r->payment_state = sqlite3_column_int(st, i + 2);
    r->payment_clock = sqlite3_column_int(st, i + 3);
    if (r->payment_clock == 2) r->has_heir = 0;
    else if (sqlite3_column_type(st, i + 5) != SQLITE_NULL)
        r->has_heir = s_heir_with_nik(sqlite3_column_blob(st, i + 5), sqlite3_column_bytes(st, i + 5));
    else r->has_heir = s_heir_with_nik(sqlite3_column_blob(st, i + 4), sqlite3_column_bytes(st, i + 4));
    r->paid = r->payment_state == 3;
    r->paid_on = sqlite3_column_type(st, i + 6) != SQLITE_NULL ? sqlite3_column_int(st, i + 6) : kdate_today_wib();
}

static void s_clock(const struct payclock *pc, const struct p_row *r, int64_t now_ms, struct workdays_clock *c)
{
    workdays_clock_of(&pc->wd, pc->k->cfg.sla_test_unit_ms, r->decided_at_ms, r->paid, r->paid_on, now_ms, r->total,
                      c);
}

static int s_done(struct payclock *pc, sqlite3_stmt *st, int rc, const char *what)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_error("payclock: %s: %s", what, sqlite3_errmsg(pc->db));
        return -1;
    }
    return 0;
}

/* The stored claim's clock row: 1 with *r when it is an APPROVED death
 * claim, 0 when not, -1 on a store error. */
static int s_claim(struct payclock *pc, int64_t claim_id, struct p_row *r)
{
    sqlite3_stmt *st = pc->st[P_OF];
    sqlite3_bind_int64(st, 1, claim_id);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        s_read_row(st, 0, r);
        found = 1;
    }
    return s_done(pc, st, rc, "read a claim") != 0 ? -1 : found;
}

void payclock_fill(struct payclock *pc, int64_t claim_id, Klaim__Decision *d, struct payclock_view *v)
{
    if (!d->has_state || d->state != KLAIM__STATE__APPROVED) return;
    struct p_row r;
    if (s_claim(pc, claim_id, &r) != 1 || !r.has_heir) return;
    struct workdays_clock c;
    s_clock(pc, &r, klaimd_now_ms(), &c);
    if (d->payment) v->payment = *d->payment;
    else klaim__payment__init(&v->payment);
    kdate_format(c.due, v->due);
    v->payment.due = v->due;
    v->payment.has_days_late = 1, v->payment.days_late = c.days_late;
    v->payment.has_late_amount = 1, v->payment.late_amount = c.late_amount;
    d->payment = &v->payment;
}

uint64_t payclock_running(struct payclock *pc)
{
    sqlite3_stmt *st = pc->st[P_COUNT];
    int rc = sqlite3_step(st);
    uint64_t n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    s_done(pc, st, rc, "count the running clocks");
    return n;
}

uint64_t payclock_breaches(const struct payclock *pc) { return pc->breaches; }

int payclock_report(struct payclock *pc, int by_event, int64_t lo, int64_t hi,
                    void (*fn)(void *arg, const struct payclock_report_row *r), void *arg)
{
    sqlite3_stmt *st = pc->st[by_event ? P_REPORT_EVENT : P_REPORT_DECIDED];
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    int64_t now = klaimd_now_ms();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct p_row r;
        s_read_row(st, 3, &r);
        if (!r.has_heir) continue;
        struct workdays_clock c;
        s_clock(pc, &r, now, &c);
        struct payclock_report_row out = {
            .regency = (const char *)sqlite3_column_text(st, 0),
            .program = sqlite3_column_int(st, 1),
            .sponsor = (const char *)sqlite3_column_text(st, 2),
            .outcome = r.paid ? (c.days_late > 0 ? PAYCLOCK_PAID_LATE : PAYCLOCK_ON_TIME)
                              : (c.past_due ? PAYCLOCK_PAST_DUE : PAYCLOCK_NOT_DUE),
            .late_amount = c.late_amount,
        };
        fn(arg, &out);
    }
    return s_done(pc, st, rc, "claims report (payment clock)");
}

/* ------------------------------------------------------------- breaches */

static void s_arm_at(struct payclock *pc, int64_t at_ms)
{
    int64_t now = klaimd_now_ms(), poll = P_POLL_MS;
    int unit = pc->k->cfg.sla_test_unit_ms;
    if (unit > 0 && unit < poll) poll = unit < 50 ? 50 : unit; /* tests: look once a (short) day */
    if (at_ms == 0 || at_ms > now + poll) at_ms = now + poll;
    int64_t wait = at_ms - now;
    if (wait < 0) wait = 0;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
    event_add(pc->timer, &tv);
}

struct p_committed {
    struct payclock *pc;
    uint64_t n;
};

/* The breaches of a transaction count once it committed. */
static void s_on_committed(void *arg, int committed)
{
    struct p_committed *c = arg;
    if (committed) c->pc->breaches += c->n;
    free(c);
}

/* Inside an open batch: the claim's clock ran out (checked again against
 * the stored claim). Marks it and writes SLA_BREACHED, or marks a claim
 * without an heir as having no clock. 1 breached, 0 nothing to do, -1. */
static int s_breach(struct payclock *pc, int64_t claim_id, int64_t now)
{
    struct p_row r;
    int rc = s_claim(pc, claim_id, &r);
    if (rc != 1) return rc;
    if (r.payment_clock != 0 || r.paid) return 0;
    struct workdays_clock c;
    s_clock(pc, &r, now, &c);
    if (r.has_heir && !c.past_due) return 0;
    sqlite3_stmt *st = pc->st[P_MARK];
    sqlite3_bind_int64(st, 1, claim_id);
    sqlite3_bind_int(st, 2, r.has_heir ? 1 : 2);
    if (s_done(pc, st, sqlite3_step(st), "mark a payment clock") != 0) return -1;
    if (!r.has_heir) return 0;
    char id[32], due[11];
    klaim_id_format(claim_id, id, sizeof id);
    kdate_format(c.due, due);
    log_info("sla: claim %s: PAYMENT clock ran out (due %s)", id, due);
    struct jw ev;
    jw_init(&ev);
    jw_open(&ev, NULL, '{');
    jw_str(&ev, "clock", "PAYMENT");
    jw_int(&ev, "due_ms", c.runs_out_ms);
    jw_str(&ev, "due", due);
    jw_int(&ev, "total", r.total);
    jw_close(&ev, '}');
    rc = feed_emit_text(pc->k->feed, 7 /* SLA_BREACHED */, claim_id, 0, ev.buf, NULL);
    jw_free(&ev);
    return rc != 0 ? -1 : 1;
}

/* Clocks are due: breach up to P_DUE_BATCH in one transaction, then arm
 * for the next deadline (or the next look). A store that cannot read or
 * commit tries again in a second. */
static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct payclock *pc = arg;
    struct klaimd *k = pc->k;
    int64_t now = klaimd_now_ms(), ids[P_DUE_BATCH], next = 0;
    int n = 0;
    sqlite3_stmt *st = pc->st[P_NEXT];
    sqlite3_bind_int(st, 1, P_DUE_BATCH);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct p_row r = {.decided_at_ms = sqlite3_column_int64(st, 1)};
        struct workdays_clock c;
        s_clock(pc, &r, now, &c);
        if (!c.past_due) {
            next = c.runs_out_ms;
            break;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    if (s_done(pc, st, rc, "next payment deadline") != 0) {
        s_arm_at(pc, now + 1000);
        return;
    }
    if (n > 0) {
        if (batch_open(k->batch) != 0) {
            s_arm_at(pc, now + 1000);
            return;
        }
        struct p_committed *c = xcalloc(1, sizeof *c);
        c->pc = pc;
        for (int i = 0; i < n; i++) {
            rc = s_breach(pc, ids[i], now);
            if (rc < 0) {
                free(c);
                batch_fail(k->batch);
                s_arm_at(pc, now + 1000);
                return;
            }
            c->n += (uint64_t)rc;
        }
        batch_then(k->batch, s_on_committed, c);
        batch_op_done(k->batch);
        /* a full page: more may be due at once */
        if (n == P_DUE_BATCH) next = now;
    }
    s_arm_at(pc, next);
}

struct payclock *payclock_new(struct klaimd *k, char *err, size_t errlen)
{
    struct payclock *pc = xcalloc(1, sizeof *pc);
    pc->k = k;
    pc->db = store_db(k->store);
    pc->wd.holidays = k->cfg.n_holidays ? k->cfg.holiday_days : NULL;
    pc->wd.n = k->cfg.n_holidays;
    for (int i = 0; i < P__N; i++) {
        if (sqlite3_prepare_v3(pc->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &pc->st[i], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "payment clock: prepare \"%s\": %s", s_sql[i], sqlite3_errmsg(pc->db));
            payclock_free(&pc);
            return NULL;
        }
    }
    pc->timer = evtimer_new(k->base, s_on_timer, pc);
    event_priority_set(pc->timer, PRIO_IO);
    uint64_t n = payclock_running(pc);
    if (n) log_info("payclock: %llu payment clocks running", (unsigned long long)n);
    /* at once: overdue clocks breach now, the others set the next deadline */
    s_arm_at(pc, klaimd_now_ms());
    return pc;
}

void payclock_free(struct payclock **pcp)
{
    struct payclock *pc = *pcp;
    if (!pc) return;
    for (int i = 0; i < P__N; i++) sqlite3_finalize(pc->st[i]);
    if (pc->timer) event_free(pc->timer);
    free(pc);
    *pcp = NULL;
}

/* store_dispatch.c - SQL for the dispatch feed, cases and SLA clocks.
 *
 * Owns: the prepared statements on events, cases and case_claims, on the
 *   write connection of store.c (store_db()); the schema is store.c's
 *   migration 3 -> 4.
 * Runs in: klaimd main loop only.
 * Invariants: as store.c - statements prepared once and reset after their
 *   last step; no commit here (batch.c owns the transaction).
 * See also: feed.c, cases.c, sla.c (the callers).
 */
#include "store_dispatch.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "types.h"
#include "xalloc.h"

enum {
    SD_EV_APPEND, SD_EV_BOUNDS, SD_EV_PAGE,
    SD_CASE_GET, SD_CASE_INSERT, SD_CASE_UPDATE, SD_CASE_LINK, SD_CASE_OF_CLAIM, SD_CASE_DECIDED,
    SD_CASES_OPEN, SD_CLOCK_NEXT, SD_CLOCK_DUE, SD_CLOCK_COUNT, SD_CASES_OPEN_COUNT,
    SD__N
};

#define CASE_COLS                                                                                                  \
    "id, kpj, event_date, first_claim, priority, state, coverage, info, n_claims, opened_at_ms, acked_at_ms,"     \
    " acked_by, assigned_to, assigned_by, assigned_at_ms, closed_at_ms, closed_by, close_note, report_due_ms,"   \
    " reported_at_ms, decision_due_ms, decided_at_ms, ack_due_ms, breached"

/* The predicates of the partial indexes cases_ack_due and
 * cases_decision_due (store.c, migration 5 -> 6), word for word: SQLite
 * uses a partial index only for a WHERE that implies its own. */
#define ACK_RUNNING "acked_at_ms = 0 AND breached & 4 = 0"
#define DECISION_RUNNING "decided_at_ms = 0 AND breached & 2 = 0"

static const char *const s_sql[SD__N] = {
    /* No RETURNING on the per-claim inserts: it builds a temporary b-tree
     * per statement; sqlite3_last_insert_rowid() gives the id for free. */
    [SD_EV_APPEND] = "INSERT INTO events(type, claim_id, case_id, payload, at_ms) VALUES(?1,?2,?3,?4,?5)",
    [SD_EV_BOUNDS] = "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM events",
    [SD_EV_PAGE] = "SELECT seq, type, claim_id, case_id, payload, at_ms FROM events WHERE seq > ?1 AND seq <= ?2"
                   " ORDER BY seq LIMIT ?3",
    [SD_CASE_GET] = "SELECT " CASE_COLS " FROM cases WHERE id = ?1",
    [SD_CASE_INSERT] =
        "INSERT INTO cases(" CASE_COLS ") VALUES(NULL,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,"
        "?19,?20,?21,?22,?23,?24)",
    [SD_CASE_UPDATE] =
        "UPDATE cases SET priority = ?5, state = ?6, coverage = ?7, info = ?8, n_claims = ?9, acked_at_ms = ?11,"
        " acked_by = ?12, assigned_to = ?13, assigned_by = ?14, assigned_at_ms = ?15, closed_at_ms = ?16,"
        " closed_by = ?17, close_note = ?18, report_due_ms = ?19, reported_at_ms = ?20, decision_due_ms = ?21,"
        " decided_at_ms = ?22, ack_due_ms = ?23, breached = ?24 WHERE id = ?1",
    [SD_CASE_LINK] = "INSERT OR IGNORE INTO case_claims(claim_id, case_id) VALUES(?1, ?2)",
    [SD_CASE_OF_CLAIM] = "SELECT " CASE_COLS " FROM cases WHERE id = (SELECT case_id FROM case_claims"
                         " WHERE claim_id = ?1)",
    [SD_CASE_DECIDED] = "UPDATE cases SET coverage = ?2, decided_at_ms = ?3 WHERE id = ?1",
    [SD_CASES_OPEN] = "SELECT " CASE_COLS " FROM cases WHERE state < 4 ORDER BY id",
    /* Running clocks through their partial indexes (migration 5 -> 6): the
     * WHERE terms are the indexes' own, so each min() is one index probe. */
    [SD_CLOCK_NEXT] = "SELECT min(d) FROM (SELECT min(ack_due_ms) AS d FROM cases WHERE " ACK_RUNNING
                      " UNION ALL SELECT min(decision_due_ms) FROM cases WHERE " DECISION_RUNNING ")",
    [SD_CLOCK_DUE] = "SELECT id, 4 FROM cases WHERE " ACK_RUNNING " AND ack_due_ms <= ?1 UNION ALL SELECT id, 2"
                     " FROM cases WHERE " DECISION_RUNNING " AND decision_due_ms <= ?1 LIMIT ?2",
    [SD_CASES_OPEN_COUNT] = "SELECT count(*) FROM cases WHERE state < 4",
    [SD_CLOCK_COUNT] = "SELECT (SELECT count(*) FROM cases WHERE " ACK_RUNNING ") + (SELECT count(*) FROM cases"
                       " WHERE " DECISION_RUNNING ")",
};

struct store_dispatch {
    struct store *s;
    sqlite3 *db;
    sqlite3_stmt *st[SD__N];
};

struct store_dispatch *store_dispatch_new(struct store *s, char *err, size_t errlen)
{
    struct store_dispatch *sd = xcalloc(1, sizeof *sd);
    sd->s = s;
    sd->db = store_db(s);
    for (int i = 0; i < SD__N; i++) {
        if (sqlite3_prepare_v3(sd->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &sd->st[i], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "prepare \"%s\": %s", s_sql[i], sqlite3_errmsg(sd->db));
            store_dispatch_free(&sd);
            return NULL;
        }
    }
    return sd;
}

void store_dispatch_free(struct store_dispatch **sdp)
{
    struct store_dispatch *sd = *sdp;
    if (!sd) return;
    for (int i = 0; i < SD__N; i++) sqlite3_finalize(sd->st[i]);
    free(sd);
    *sdp = NULL;
}

static int s_done(struct store_dispatch *sd, sqlite3_stmt *st, int rc, const char *what)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_error("store: %s: %s", what, sqlite3_errmsg(sd->db));
        return -1;
    }
    return 0;
}

int store_event_append(struct store_dispatch *sd, int type, int64_t claim_id, int64_t case_id, const char *payload,
                       int64_t at_ms, uint64_t *seq)
{
    sqlite3_stmt *st = sd->st[SD_EV_APPEND];
    sqlite3_bind_int(st, 1, type);
    sqlite3_bind_int64(st, 2, claim_id);
    sqlite3_bind_int64(st, 3, case_id);
    sqlite3_bind_text(st, 4, payload, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, at_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) *seq = (uint64_t)sqlite3_last_insert_rowid(sd->db);
    return s_done(sd, st, rc, "append event");
}

int store_event_bounds(struct store_dispatch *sd, uint64_t *oldest, uint64_t *newest)
{
    sqlite3_stmt *st = sd->st[SD_EV_BOUNDS];
    int rc = sqlite3_step(st);
    *oldest = *newest = 0;
    if (rc == SQLITE_ROW) {
        *oldest = (uint64_t)sqlite3_column_int64(st, 0);
        *newest = (uint64_t)sqlite3_column_int64(st, 1);
    }
    return s_done(sd, st, rc, "event bounds");
}

int store_events_page(struct store_dispatch *sd, uint64_t after, uint64_t upto, int limit,
                      void (*fn)(void *arg, const struct store_event *e), void *arg, int *n)
{
    sqlite3_stmt *st = sd->st[SD_EV_PAGE];
    sqlite3_bind_int64(st, 1, (int64_t)after);
    sqlite3_bind_int64(st, 2, (int64_t)upto);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event e = {
            .seq = (uint64_t)sqlite3_column_int64(st, 0),
            .type = sqlite3_column_int(st, 1),
            .claim_id = sqlite3_column_int64(st, 2),
            .case_id = sqlite3_column_int64(st, 3),
            .payload = (const char *)sqlite3_column_text(st, 4),
            .at_ms = sqlite3_column_int64(st, 5),
        };
        fn(arg, &e);
        (*n)++;
    }
    return s_done(sd, st, rc, "events page");
}

void store_case_clear(struct store_case *c)
{
    free(c->info);
    memset(c, 0, sizeof *c);
}

static void s_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    snprintf(out, size, "%s", t ? t : "");
}

static void s_case_row(sqlite3_stmt *st, struct store_case *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    s_text(st, 1, c->kpj, sizeof c->kpj);
    c->event_date = sqlite3_column_int(st, 2);
    c->first_claim = sqlite3_column_int64(st, 3);
    c->priority = sqlite3_column_int(st, 4);
    c->state = sqlite3_column_int(st, 5);
    c->coverage = sqlite3_column_int(st, 6);
    const char *info = (const char *)sqlite3_column_text(st, 7);
    c->info = xstrdup(info ? info : "{}");
    c->n_claims = sqlite3_column_int(st, 8);
    c->opened_at_ms = sqlite3_column_int64(st, 9);
    c->acked_at_ms = sqlite3_column_int64(st, 10);
    s_text(st, 11, c->acked_by, sizeof c->acked_by);
    s_text(st, 12, c->assigned_to, sizeof c->assigned_to);
    s_text(st, 13, c->assigned_by, sizeof c->assigned_by);
    c->assigned_at_ms = sqlite3_column_int64(st, 14);
    c->closed_at_ms = sqlite3_column_int64(st, 15);
    s_text(st, 16, c->closed_by, sizeof c->closed_by);
    s_text(st, 17, c->close_note, sizeof c->close_note);
    c->report_due_ms = sqlite3_column_int64(st, 18);
    c->reported_at_ms = sqlite3_column_int64(st, 19);
    c->decision_due_ms = sqlite3_column_int64(st, 20);
    c->decided_at_ms = sqlite3_column_int64(st, 21);
    c->ack_due_ms = sqlite3_column_int64(st, 22);
    c->breached = sqlite3_column_int(st, 23);
}

static int s_case_one(struct store_dispatch *sd, sqlite3_stmt *st, struct store_case *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) s_case_row(st, out);
    else memset(out, 0, sizeof *out);
    int bad = s_done(sd, st, rc, "case lookup");
    return bad ? -1 : rc == SQLITE_ROW ? 0 : 1;
}

int store_case_get(struct store_dispatch *sd, int64_t id, struct store_case *out)
{
    sqlite3_stmt *st = sd->st[SD_CASE_GET];
    sqlite3_bind_int64(st, 1, id);
    return s_case_one(sd, st, out);
}

static void s_bind_case(sqlite3_stmt *st, const struct store_case *c)
{
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_text(st, 2, c->kpj, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, c->event_date);
    sqlite3_bind_int64(st, 4, c->first_claim);
    sqlite3_bind_int(st, 5, c->priority);
    sqlite3_bind_int(st, 6, c->state);
    sqlite3_bind_int(st, 7, c->coverage);
    sqlite3_bind_text(st, 8, c->info ? c->info : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, c->n_claims);
    sqlite3_bind_int64(st, 10, c->opened_at_ms);
    sqlite3_bind_int64(st, 11, c->acked_at_ms);
    sqlite3_bind_text(st, 12, c->acked_by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, c->assigned_to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, c->assigned_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 15, c->assigned_at_ms);
    sqlite3_bind_int64(st, 16, c->closed_at_ms);
    sqlite3_bind_text(st, 17, c->closed_by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, c->close_note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 19, c->report_due_ms);
    sqlite3_bind_int64(st, 20, c->reported_at_ms);
    sqlite3_bind_int64(st, 21, c->decision_due_ms);
    sqlite3_bind_int64(st, 22, c->decided_at_ms);
    sqlite3_bind_int64(st, 23, c->ack_due_ms);
    sqlite3_bind_int(st, 24, c->breached);
}

int store_case_insert(struct store_dispatch *sd, struct store_case *c)
{
    sqlite3_stmt *st = sd->st[SD_CASE_INSERT];
    s_bind_case(st, c);
    sqlite3_bind_null(st, 1);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) c->id = sqlite3_last_insert_rowid(sd->db);
    return s_done(sd, st, rc, "insert case");
}

int store_case_update(struct store_dispatch *sd, const struct store_case *c)
{
    sqlite3_stmt *st = sd->st[SD_CASE_UPDATE];
    s_bind_case(st, c);
    int rc = sqlite3_step(st);
    return s_done(sd, st, rc, "update case");
}

int store_case_link(struct store_dispatch *sd, int64_t claim_id, int64_t case_id)
{
    sqlite3_stmt *st = sd->st[SD_CASE_LINK];
    sqlite3_bind_int64(st, 1, claim_id);
    sqlite3_bind_int64(st, 2, case_id);
    int rc = sqlite3_step(st);
    return s_done(sd, st, rc, "link claim to case");
}

int store_case_of_claim(struct store_dispatch *sd, int64_t claim_id, struct store_case *out)
{
    sqlite3_stmt *st = sd->st[SD_CASE_OF_CLAIM];
    sqlite3_bind_int64(st, 1, claim_id);
    return s_case_one(sd, st, out);
}

int store_case_decided(struct store_dispatch *sd, const struct store_case *c)
{
    sqlite3_stmt *st = sd->st[SD_CASE_DECIDED];
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int(st, 2, c->coverage);
    sqlite3_bind_int64(st, 3, c->decided_at_ms);
    return s_done(sd, st, sqlite3_step(st), "case decided");
}

static int s_each(struct store_dispatch *sd, sqlite3_stmt *st, void (*fn)(void *arg, const struct store_case *c),
                  void *arg)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_case c;
        s_case_row(st, &c);
        fn(arg, &c);
        store_case_clear(&c);
    }
    return s_done(sd, st, rc, "list cases");
}

int store_cases_open(struct store_dispatch *sd, void (*fn)(void *arg, const struct store_case *c), void *arg)
{
    return s_each(sd, sd->st[SD_CASES_OPEN], fn, arg);
}

int store_clock_next(struct store_dispatch *sd, int64_t *due_ms)
{
    sqlite3_stmt *st = sd->st[SD_CLOCK_NEXT];
    int rc = sqlite3_step(st);
    *due_ms = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0) : 0;
    return s_done(sd, st, rc, "next SLA deadline");
}

int store_clocks_due(struct store_dispatch *sd, int64_t now_ms, int max, int64_t *case_ids, int *clocks, int *n)
{
    sqlite3_stmt *st = sd->st[SD_CLOCK_DUE];
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, max);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
        case_ids[*n] = sqlite3_column_int64(st, 0);
        clocks[*n] = sqlite3_column_int(st, 1);
        (*n)++;
    }
    return s_done(sd, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "due SLA clocks");
}

int store_clock_count(struct store_dispatch *sd, uint64_t *n)
{
    sqlite3_stmt *st = sd->st[SD_CLOCK_COUNT];
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    return s_done(sd, st, rc, "count SLA clocks");
}

int store_case_open_count(struct store_dispatch *sd, uint64_t *n)
{
    sqlite3_stmt *st = sd->st[SD_CASES_OPEN_COUNT];
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    return s_done(sd, st, rc, "count open cases");
}

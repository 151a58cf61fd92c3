/* store.c - klaim.db: schema, pragmas, prepared statements.
 *
 * Owns: the write connection and every SQL statement of klaimd.
 * Runs in: klaimd main loop only.
 * Invariants: statements are prepared once (SQLITE_PREPARE_PERSISTENT) and
 *   reset right after their last step, so no read transaction lingers and
 *   starves checkpoints; tables are STRICT so a Rupiah amount can never be
 *   stored as text or a real; the transaction is opened and committed by
 *   batch.c, never here.
 * See also: batch.c (group commit), intake.c and broker.c (the callers).
 */
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "codec.h"
#include "kpjmap.h"
#include "log.h"
#include "xalloc.h"

enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
    ST_INSERT, ST_BY_KEY, ST_BY_ID, ST_CHAIN, ST_KPJ_SCAN,
    ST_LEASE, ST_LEASED, ST_DECIDE, ST_REQUEUE, ST_REQUEUE_FREE,
    ST_LEASE_AGAIN, ST_RECOVER, ST_RECEIVED, ST_META_GET, ST_META_SET,
    ST_REVIEW_LIST, ST_REVIEW_APPROVE, ST_REVIEW_REJECT, ST_REVIEW_INSERT, ST_REVIEWS_OF,
    ST_REVIEW_INPUTS, ST_REVIEW_CONFIRM, ST_REVIEW_CONFIRM_DECIDED,
    ST_AUDIT_HEAD, ST_AUDIT_INSERT, ST_AUDIT_PAGE, ST_AUDIT_OF, ST_EXPORT, ST_REPORT_CLAIMS,
    ST_DEATH_INSERT, ST_DEATHS_ALL, ST_EXTRAS, ST_PRIOR, ST_GATE,
    ST_REPORT_CLAIMS_EVENT,
    ST__N
};

static const char *const s_sql[ST__N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INSERT] =
        "INSERT INTO claims(idem_key, digest, owner, program, kpj, event_date, death_date, claim, state,"
        " attempt, duplicate_of, received_at_ms, kpj_prev, earlier_death)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
        " ON CONFLICT(idem_key) DO NOTHING",
    [ST_BY_KEY] = "SELECT id, digest, owner, state, attempt, program, idem_key, received_at_ms,"
                  " decided_at_ms, decision, provisional FROM claims WHERE idem_key = ?1",
    [ST_BY_ID] = "SELECT id, digest, owner, state, attempt, program, idem_key, received_at_ms,"
                 " decided_at_ms, decision, provisional FROM claims WHERE id = ?1",
    /* A participant's claims, newest first: kpjmap.h gives the newest. */
    [ST_CHAIN] = "SELECT program, event_date, death_date, kpj_prev, state FROM claims WHERE id = ?1",
    [ST_KPJ_SCAN] = "SELECT id, kpj, program, event_date, death_date FROM claims INDEXED BY claims_kpj_scan"
                    " ORDER BY id",
    /* Each state-changing statement matches one old state, so that the
     * per-state counts (store_count_states) follow without a read. */
    [ST_LEASE] = "UPDATE claims SET state = 2, attempt = attempt + 1 WHERE id = ?1 AND state = 1",
    [ST_LEASE_AGAIN] = "UPDATE claims SET attempt = attempt + 1 WHERE id = ?1 AND state = 2",
    [ST_LEASED] = "SELECT attempt, claim, duplicate_of, received_at_ms, waive FROM claims WHERE id = ?1",
    [ST_DECIDE] = "UPDATE claims SET state = ?3, total = ?4, decision = ?5, decided_at_ms = ?6, member_name = ?7,"
                  " category = ?8, sponsor = ?9, regency = ?10, provisional = ?11, reason = ?12,"
                  " payment_state = CASE WHEN ?3 = 3 THEN 1 ELSE 0 END"
                  " WHERE id = ?1 AND state = 2 AND attempt = ?2",
    [ST_REQUEUE] = "UPDATE claims SET state = 1, not_before_ms = ?3"
                   " WHERE id = ?1 AND state = 2 AND attempt = ?2",
    [ST_REQUEUE_FREE] = "UPDATE claims SET state = 1, not_before_ms = ?3, attempt = attempt - 1"
                        " WHERE id = ?1 AND state = 2 AND attempt = ?2",
    [ST_RECOVER] = "UPDATE claims SET state = 1, attempt = max(attempt - 1, 0) WHERE state = 2",
    [ST_RECEIVED] = "SELECT id, not_before_ms FROM claims WHERE state = 1 ORDER BY id",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_REVIEW_LIST] = "SELECT id FROM claims WHERE state >= 5 AND id > ?1 ORDER BY id LIMIT ?2",
    [ST_REVIEW_APPROVE] = "UPDATE claims SET state = 1, waive = waive | ?2, attempt = 0, not_before_ms = 0,"
                          " decision = NULL, decided_at_ms = NULL, total = NULL, approval = 1, approved_by = ?4,"
                          " review_heirs = coalesce(?5, review_heirs) WHERE id = ?1 AND state = ?3",
    [ST_REVIEW_REJECT] = "UPDATE claims SET state = 4, total = 0, decision = ?2, decided_at_ms = ?3"
                         " WHERE id = ?1 AND state = ?4",
    [ST_REVIEW_INSERT] = "INSERT INTO reviews(claim_id, action, reason_code, by, client, note, at_ms, identity, heirs)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_REVIEWS_OF] = "SELECT action, reason_code, by, client, note, at_ms, identity, heirs FROM reviews"
                      " WHERE claim_id = ?1 ORDER BY id",
    [ST_REVIEW_INPUTS] = "SELECT claim, approval, approved_by, review_heirs FROM claims WHERE id = ?1",
    /* Four eyes: the second approval of a claim waiting for it becomes
     * APPROVED and payable now; of any other claim it is only recorded. */
    [ST_REVIEW_CONFIRM_DECIDED] = "UPDATE claims SET approval = 2, state = 3, payment_state = 1, decision = ?2,"
                                  " decided_at_ms = ?3 WHERE id = ?1 AND state = 7 AND approval = 1",
    [ST_REVIEW_CONFIRM] = "UPDATE claims SET approval = 2 WHERE id = ?1 AND state <> 7 AND approval = 1",
    [ST_EXPORT] = "SELECT id, idem_key, program, received_at_ms, decided_at_ms, decision, claim, member_name, category,"
                  " sponsor, regency, provisional FROM claims WHERE id > ?1 AND decided_at_ms >= ?2"
                  " AND state IN (3, 4, 5, 6) ORDER BY id LIMIT ?3",
    [ST_REPORT_CLAIMS] =
        "SELECT coalesce(regency, ''), program, coalesce(sponsor, ''), CASE WHEN state = 3 THEN '' ELSE"
        " coalesce(reason, '') END, count(*), sum(state = 3), sum(state = 4), sum(state IN (5, 6)),"
        " sum(CASE WHEN state = 3 THEN total ELSE 0 END) FROM claims WHERE state IN (3, 4, 5, 6)"
        " AND decided_at_ms BETWEEN ?1 AND ?2 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    /* The money path (docs/money.md). */
    [ST_DEATH_INSERT] = "INSERT INTO deaths(nik, claim_id, death_date) VALUES(?1, ?2, ?3)",
    [ST_DEATHS_ALL] = "SELECT nik, claim_id, death_date FROM deaths ORDER BY rowid",
    [ST_EXTRAS] = "SELECT c.earlier_death, d.death_date, c.review_heirs FROM claims c"
                  " LEFT JOIN claims d ON d.id = c.earlier_death AND c.earlier_death <> 0 WHERE c.id = ?1",
    [ST_PRIOR] = "SELECT claim, decision FROM claims WHERE id = ?1",
    [ST_GATE] = "SELECT program, event_date, death_date, kpj, approval, duplicate_of FROM claims WHERE id = ?1",
    /* The same by event date (days since 1970-01-01, WIB): what was decided
     * for the deaths or accidents of a period. */
    [ST_REPORT_CLAIMS_EVENT] =
        "SELECT coalesce(regency, ''), program, coalesce(sponsor, ''), CASE WHEN state = 3 THEN '' ELSE"
        " coalesce(reason, '') END, count(*), sum(state = 3), sum(state = 4), sum(state IN (5, 6)),"
        " sum(CASE WHEN state = 3 THEN total ELSE 0 END) FROM claims WHERE state IN (3, 4, 5, 6)"
        " AND event_date BETWEEN ?1 AND ?2 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    [ST_AUDIT_HEAD] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [ST_AUDIT_INSERT] = "INSERT INTO audit(seq, at_ms, claim_id, actor, action, detail, prev_hash, hash)"
                        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_AUDIT_PAGE] = "SELECT seq, at_ms, claim_id, actor, action, detail, prev_hash, hash FROM audit"
                      " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [ST_AUDIT_OF] = "SELECT seq, at_ms, claim_id, actor, action, detail, prev_hash, hash FROM audit"
                    " WHERE claim_id = ?1 ORDER BY seq",
};

/* Migrations by user_version: entry i brings the schema from version i to
 * i+1. Never edit a shipped entry; append a new one. */
static const char *const s_migrations[] = {
    "CREATE TABLE claims ("
    "  id INTEGER PRIMARY KEY,"          /* ascending: append-friendly inserts */
    "  idem_key TEXT NOT NULL,"
    "  digest BLOB NOT NULL,"            /* SHA-256 of the canonical claim */
    "  owner TEXT NOT NULL,"             /* owner id that submitted it (intake.h) */
    "  program INTEGER NOT NULL,"
    "  kpj TEXT NOT NULL,"
    "  event_date INTEGER NOT NULL,"     /* days since 1970-01-01 (WIB date) */
    "  death_date INTEGER,"              /* death claims only (rules.md §6) */
    "  claim BLOB NOT NULL,"             /* canonical protobuf */
    "  state INTEGER NOT NULL,"          /* 1 RECEIVED .. 5 PENDING_REVIEW, 6 DEAD */
    "  attempt INTEGER NOT NULL DEFAULT 0,"
    "  not_before_ms INTEGER NOT NULL DEFAULT 0,"
    "  duplicate_of INTEGER NOT NULL DEFAULT 0,"
    "  received_at_ms INTEGER NOT NULL,"
    "  decided_at_ms INTEGER,"
    "  total INTEGER,"                   /* whole Rupiah */
    "  decision BLOB"                    /* packed Klaim__Decision */
    ") STRICT;"
    "CREATE UNIQUE INDEX claims_idem ON claims(idem_key);"
    "CREATE INDEX claims_event ON claims(kpj, program, event_date);"
    "CREATE INDEX claims_death ON claims(kpj, death_date) WHERE death_date IS NOT NULL;"
    "CREATE INDEX claims_open ON claims(state, id) WHERE state IN (1, 2);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;",

    /* 1 -> 2: the review queue. waive = reasons reviewers accepted (bits of
     * klaim_waiver_for_code); reviews = who did what, when, why. */
    "ALTER TABLE claims ADD COLUMN waive INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX claims_review ON claims(id) WHERE state IN (5, 6);"
    "CREATE TABLE reviews ("
    "  id INTEGER PRIMARY KEY,"
    "  claim_id INTEGER NOT NULL REFERENCES claims(id),"
    "  action INTEGER NOT NULL,"          /* 1 APPROVE, 2 REJECT */
    "  reason_code TEXT NOT NULL,"
    "  by TEXT NOT NULL,"
    "  client TEXT NOT NULL,"
    "  note TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX reviews_claim ON reviews(claim_id);",

    /* 2 -> 3: registry facts a decision used (exports, regional reports),
     * provisional decisions (registry too old), and the audit chain. */
    "ALTER TABLE claims ADD COLUMN member_name TEXT;"
    "ALTER TABLE claims ADD COLUMN category TEXT;"
    "ALTER TABLE claims ADD COLUMN sponsor TEXT;"
    "ALTER TABLE claims ADD COLUMN regency TEXT;"
    "ALTER TABLE claims ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE claims ADD COLUMN reason TEXT;"          /* first reason code, for reports */
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"
    "  claim_id INTEGER NOT NULL,"       /* 0: not about one claim */
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"            /* JSON */
    "  prev_hash BLOB NOT NULL,"
    "  hash BLOB NOT NULL"
    ") STRICT;"
    "CREATE INDEX audit_claim ON audit(claim_id) WHERE claim_id <> 0;",

    /* 3 -> 4: the dispatch feed (outbox), dispatch cases and their SLA
     * clocks (issue 5; statements in store_dispatch.c). seq is never reused
     * (AUTOINCREMENT). A case is one accident: one participant, one date.
     * Clocks are stored deadlines; breached holds bits 1 REPORT, 2
     * DECISION, 4 ACK. */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  type INTEGER NOT NULL,"           /* FeedEventType */
    "  claim_id INTEGER NOT NULL,"       /* 0 when none */
    "  case_id INTEGER NOT NULL,"        /* 0 when none */
    "  payload TEXT NOT NULL,"           /* the event's own JSON members (feed.c adds type, seq, times, ids) */
    "  at_ms INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE cases ("
    "  id INTEGER PRIMARY KEY,"
    "  kpj TEXT NOT NULL,"
    "  event_date INTEGER NOT NULL,"
    "  first_claim INTEGER NOT NULL,"
    "  priority INTEGER NOT NULL,"       /* 1 death, 2 hospitalised, 3 outpatient */
    "  state INTEGER NOT NULL,"          /* 1 OPEN, 2 ACKED, 3 ASSIGNED, 4 CLOSED */
    "  coverage INTEGER NOT NULL,"       /* 0 unknown, 1 covered, 2 not covered, 3 in doubt */
    "  info TEXT NOT NULL,"              /* JSON: participant, location, hospital, reports */
    "  n_claims INTEGER NOT NULL,"
    "  opened_at_ms INTEGER NOT NULL,"
    "  acked_at_ms INTEGER NOT NULL,"    /* 0 until acknowledged */
    "  acked_by TEXT NOT NULL,"
    "  assigned_to TEXT NOT NULL,"
    "  assigned_by TEXT NOT NULL,"
    "  assigned_at_ms INTEGER NOT NULL,"
    "  closed_at_ms INTEGER NOT NULL,"
    "  closed_by TEXT NOT NULL,"
    "  close_note TEXT NOT NULL,"
    "  report_due_ms INTEGER NOT NULL,"
    "  reported_at_ms INTEGER NOT NULL,"
    "  decision_due_ms INTEGER NOT NULL,"
    "  decided_at_ms INTEGER NOT NULL,"  /* 0 until a final decision */
    "  ack_due_ms INTEGER NOT NULL,"
    "  breached INTEGER NOT NULL"
    ") STRICT;"
    "CREATE UNIQUE INDEX cases_event ON cases(kpj, event_date);"
    "CREATE INDEX cases_open ON cases(id) WHERE state < 4;"
    "CREATE INDEX cases_clocks ON cases(id) WHERE (decided_at_ms = 0 AND breached & 2 = 0)"
    "  OR (acked_at_ms = 0 AND breached & 4 = 0);"
    "CREATE TABLE case_claims (claim_id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL) STRICT;",

    /* 4 -> 5: one index keyed by a random value (kpj) instead of three. A
     * commit writes every page it touched, and a random key touches a page
     * per claim: these indexes were over half of the WAL's bytes (issue 7).
     * The same-death match and the case of an accident are found through
     * claims_event's kpj prefix (a participant has few claims). */
    "DROP INDEX claims_death;"
    "DROP INDEX cases_event;",

    /* 5 -> 6: running SLA clocks in due order, so sla.c asks the store for
     * the next deadline instead of keeping every clock in memory (a 10-minute
     * run at 5,000 claims/s grew klaimd by 170 KB/s with a heap of 30-day
     * DECISION clocks, met ones included). A due time is "now + a constant"
     * when set, so these inserts land at the end of their index. */
    "DROP INDEX cases_clocks;"
    "CREATE INDEX cases_ack_due ON cases(ack_due_ms) WHERE acked_at_ms = 0 AND breached & 4 = 0;"
    "CREATE INDEX cases_decision_due ON cases(decision_due_ms) WHERE decided_at_ms = 0 AND breached & 2 = 0;",

    /* 6 -> 7: no index keyed by kpj at all. claims_event put a random leaf
     * into every commit for every claim (the WAL's largest share, and page
     * reads once the store outgrew the cache). Each claim now links to the
     * participant's previous claim, kpjmap.c holds each participant's
     * newest and a signature of their events, and claims_kpj_scan (claim-id
     * order: appends at its end) lets the start-up rebuild that map without
     * reading the wide rows. */
    "ALTER TABLE claims ADD COLUMN kpj_prev INTEGER NOT NULL DEFAULT 0;"
    "UPDATE claims SET kpj_prev = coalesce((SELECT max(p.id) FROM claims p"
    "  WHERE p.kpj = claims.kpj AND p.id < claims.id), 0);"
    "DROP INDEX claims_event;"
    "CREATE INDEX claims_kpj_scan ON claims(id, kpj, program, event_date, death_date);"
    /* Claims per state, kept by store.c with each commit: `stats` and
     * /metrics counted them with a scan of the whole table in the main loop
     * (seconds at a million claims). */
    "INSERT INTO meta(key, value) SELECT 'claims_state_' || state, count(*) FROM claims WHERE true GROUP BY state"
    "  ON CONFLICT(key) DO UPDATE SET value = excluded.value;",

    /* 7 -> 8: the money path (docs/money.md).
     * deaths: every stored death claim by the claim's NIK, for the earlier
     *   death check at intake (rare rows; store_open fills it for claims
     *   stored before this version, which kept the NIK only in the blob).
     * claims.earlier_death: that check's answer, passed to the worker.
     * claims.review_heirs: a reviewer's heirs (a packed klaim.Claim holding
     *   only heirs); they replace the claim's heirs, whose bytes never change.
     * claims.approval: four eyes, 0 none, 1 approved and awaiting a second
     *   reviewer, 2 confirmed; approved_by is the first approver's identity.
     * claims.payment_state: PaymentState (0 none, 1 UNPAID, 2 IN_BATCH,
     *   3 PAID, 4 FAILED), set to 1 when a claim becomes APPROVED.
     * reviews.heirs / identity: what a reviewer supplied, who it counts as.
     * payment_batches / payment_lines: numbered batches, one line a payee.
     * payee_accounts: bank details supplied or corrected after a decision. */
    "CREATE TABLE deaths (nik TEXT NOT NULL, claim_id INTEGER NOT NULL, death_date INTEGER NOT NULL) STRICT;"
    "ALTER TABLE claims ADD COLUMN earlier_death INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE claims ADD COLUMN review_heirs BLOB;"
    "ALTER TABLE claims ADD COLUMN approval INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE claims ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE claims ADD COLUMN payment_state INTEGER NOT NULL DEFAULT 0;"
    "UPDATE claims SET payment_state = 1 WHERE state = 3;"
    "INSERT INTO meta(key, value) VALUES('deaths_backfill', 1);"
    "ALTER TABLE reviews ADD COLUMN heirs BLOB;"
    "ALTER TABLE reviews ADD COLUMN identity TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE payment_batches ("
    "  id INTEGER PRIMARY KEY,"
    "  created_at_ms INTEGER NOT NULL,"
    "  until_date INTEGER NOT NULL,"      /* days since 1970-01-01 (WIB), inclusive */
    "  created_by TEXT NOT NULL,"
    "  n_lines INTEGER NOT NULL,"
    "  total INTEGER NOT NULL,"           /* whole Rupiah */
    "  settled INTEGER NOT NULL DEFAULT 0" /* 1 once every line is settled */
    ") STRICT;"
    "CREATE TABLE payment_lines ("
    "  batch_id INTEGER NOT NULL,"
    "  line INTEGER NOT NULL,"            /* 1..n_lines */
    "  claim_id INTEGER NOT NULL,"
    "  payee INTEGER NOT NULL,"           /* index into the decision's payees */
    "  role INTEGER NOT NULL,"            /* PayeeRole */
    "  payee_id TEXT NOT NULL,"
    "  payee_name TEXT NOT NULL,"
    "  bank_code TEXT NOT NULL,"
    "  account TEXT NOT NULL,"
    "  account_name TEXT NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  items TEXT NOT NULL,"              /* item codes, ';'-separated */
    "  state INTEGER NOT NULL,"           /* 2 IN_BATCH, 3 PAID, 4 FAILED */
    "  reference TEXT NOT NULL DEFAULT '',"
    "  settled_on INTEGER,"               /* days since 1970-01-01, the bank's date */
    "  failure TEXT NOT NULL DEFAULT '',"
    "  settled_at_ms INTEGER,"
    "  PRIMARY KEY (batch_id, line)"
    ") STRICT;"
    "CREATE INDEX payment_lines_claim ON payment_lines(claim_id);"
    "CREATE TABLE payee_accounts ("
    "  claim_id INTEGER NOT NULL,"
    "  payee INTEGER NOT NULL,"
    "  bank_code TEXT NOT NULL,"
    "  account TEXT NOT NULL,"
    "  account_name TEXT NOT NULL,"
    "  by TEXT NOT NULL,"
    "  client TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (claim_id, payee)"
    ") STRICT;"
    "CREATE INDEX claims_payable ON claims(id) WHERE state = 3 AND payment_state IN (1, 4);",

    /* 8 -> 9: the review queue also lists AWAITING_CONFIRMATION (7), the
     * claims waiting for a second reviewer (docs/money.md §5). As a range:
     * SQLite checks a partial index's WHERE at every write of the row, and
     * an IN list of three values builds a temporary b-tree each time (a
     * quarter of the main loop's time in the closed-loop benchmark). */
    "DROP INDEX claims_review;"
    "CREATE INDEX claims_review ON claims(id) WHERE state >= 5;",
    /* 9 -> 10: the JKM payment clock (docs/money.md §7, payclock.c).
     * claims.payment_clock: 0 running (or no clock yet), 1 breached (its
     *   SLA_BREACHED event is written: once per claim, across restarts),
     *   2 no clock (an APPROVED death claim without an heir with a NIK).
     * claims_payment_clock: the unpaid APPROVED death claims whose clock has
     *   not run out, in approval order, which is deadline order; a claim
     *   leaves it when it is PAID or its breach is written. */
    "ALTER TABLE claims ADD COLUMN payment_clock INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX claims_payment_clock ON claims(decided_at_ms)"
    "  WHERE state = 3 AND death_date IS NOT NULL AND payment_state <> 3 AND payment_clock = 0;",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *st[ST__N];
    /* The audit chain's head: committed, and as the open transaction left
     * it (rolled back with it). */
    int64_t audit_seq, audit_seq_pending;
    uint8_t audit_hash[32], audit_hash_pending[32];
    struct kpjmap *kpj;         /* participant -> newest claim (kpjmap.h) */
    /* NIK -> the first and the last death date of its stored death claims
     * (.id the claim, .sig the date): the earlier-death check in memory. */
    struct kpjmap *death_first, *death_last;
    struct kpj_undo {           /* the open transaction's changes to the maps */
        struct kpjmap *map;
        uint64_t key;
        struct kpj_head prev;
    } *undo;
    size_t n_undo, cap_undo;
    int64_t n_state[8];         /* claims per state, the open transaction included */
    int64_t n_state_committed[8];
    int64_t n_clocks, n_clocks_committed; /* running SLA clocks (store_clocks_moved) */
    int64_t n_cases, n_cases_committed;   /* open dispatch cases (store_cases_moved) */
    uint64_t breaches[3], breaches_committed[3]; /* SLA breaches since start: REPORT, DECISION, ACK */
    int async_commit;           /* store_async_commit: synchronous=OFF, walsync.c syncs */
    int wal_frames;             /* the WAL's length after the last commit */
    uint64_t wal_checkpoints;   /* checkpoints the writer had to run itself */
};

/* The WAL length (4 KiB frames: 16 MiB) past which the writer checkpoints
 * itself after a commit, in the main loop (store_async_commit). */
#define WAL_FRAMES_MAX 4096

static int s_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Pragmas are per connection and journal_mode can silently stay "delete"
 * (pitfalls.md), so each answer is read back and checked. */
static int s_pragmas(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK) goto fail;
    const char *mode = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int wal = mode && strcmp(mode, "wal") == 0;
    sqlite3_finalize(st);
    if (!wal) {
        snprintf(err, errlen, "journal_mode=WAL refused (is the data dir on a filesystem that supports it?)");
        return -1;
    }
    if (s_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err, errlen) != 0) return -1;
    if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &st, NULL) != SQLITE_OK) goto fail;
    int sync = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (sync != 2) {
        snprintf(err, errlen, "synchronous=FULL refused (got %d)", sync);
        return -1;
    }
    sqlite3_busy_timeout(db, 5000);
    if (s_exec(db, "PRAGMA journal_size_limit=67108864", err, errlen) != 0) return -1;
    return 0;
fail:
    snprintf(err, errlen, "%s", sqlite3_errmsg(db));
    return -1;
}

/* Applies every migration above user_version in one BEGIN IMMEDIATE, so a
 * crash mid-migration leaves the old schema whole. */
static int s_migrate(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return -1;
    }
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    int target = (int)(sizeof s_migrations / sizeof s_migrations[0]);
    if (version > target) {
        snprintf(err, errlen, "schema version %d is newer than this klaimd (%d): run a newer klaimd", version, target);
        return -1;
    }
    if (version == target) return 0;
    if (s_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0) return -1;
    for (int v = version; v < target; v++) {
        if (s_exec(db, s_migrations[v], err, errlen) != 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", target);
    if (s_exec(db, sql, err, errlen) != 0 || s_exec(db, "COMMIT", err, errlen) != 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    log_info("store: schema migrated from version %d to %d", version, target);
    return 0;
}

/* Each SQLite connection of klaimd is used by one thread only (the writer
 * by the main loop, the checkpointer by ckpt.c): no per-connection
 * mutexes, and no memory statistics, which cost a lock pair on every
 * allocation. Must run before any other SQLite call. */
static void s_global_config(void)
{
    static int done;
    if (done) return;
    done = 1;
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* A claim's bits in its participant's signature (kpjmap.h): one for its
 * program and event date, one more for its death date. Two claims of the
 * same event (rules.md §5) always share a bit, so a query whose bits are
 * all clear in the signature has no same-event claim, without a read. */
static uint64_t s_bit(uint64_t v)
{
    v *= 0x9e3779b97f4a7c15ULL;
    return 1ULL << (v >> 58);
}

static uint64_t s_event_bit(int program, kdate event_date)
{
    return s_bit(((uint64_t)(uint32_t)program << 32) | (uint32_t)event_date);
}

static uint64_t s_death_bit(kdate death_date) { return s_bit((1ULL << 40) | (uint32_t)death_date); }

static uint64_t s_event_sig(int program, kdate event_date, int has_death_date, kdate death_date)
{
    return s_event_bit(program, event_date) | (has_death_date ? s_death_bit(death_date) : 0);
}

/* Rebuilds the participant -> newest claim map: one pass over a narrow
 * index in id order (a later claim becomes the head, signatures add up). */
static int s_kpj_load(struct store *s, char *err, size_t errlen)
{
    s->kpj = kpjmap_new();
    sqlite3_stmt *st = s->st[ST_KPJ_SCAN];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t key = kpjmap_key((const char *)sqlite3_column_text(st, 1));
        struct kpj_head h = kpjmap_get(s->kpj, key);
        h.id = sqlite3_column_int64(st, 0);
        h.sig |= s_event_sig(sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
                             sqlite3_column_type(st, 4) != SQLITE_NULL, sqlite3_column_int(st, 4));
        kpjmap_put(s->kpj, key, h);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "reading the participants' claims: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* Remembers a map entry as it was before the open transaction changed it. */
static void s_undo(struct store *s, struct kpjmap *map, uint64_t key, struct kpj_head prev)
{
    if (s->n_undo == s->cap_undo) {
        s->cap_undo = s->cap_undo ? 2 * s->cap_undo : 256;
        s->undo = xrealloc(s->undo, s->cap_undo * sizeof *s->undo);
    }
    s->undo[s->n_undo++] = (struct kpj_undo){map, key, prev};
}

/* A death of nik on death_date in claim id, into the two maps (in claim
 * id order: the first death is the earliest stored; "first" keeps the
 * lowest date, "last" the highest). undo: inside a transaction. */
static void s_death_note(struct store *s, const char *nik, int64_t id, kdate death_date, int undo)
{
    uint64_t key = kpjmap_nik_key(nik);
    struct kpj_head lo = kpjmap_get(s->death_first, key), hi = kpjmap_get(s->death_last, key);
    if (lo.id == 0 || (kdate)lo.sig > death_date) {
        if (undo) s_undo(s, s->death_first, key, lo);
        kpjmap_put(s->death_first, key, (struct kpj_head){id, (uint64_t)(uint32_t)death_date});
    }
    if (hi.id == 0 || (kdate)hi.sig < death_date) {
        if (undo) s_undo(s, s->death_last, key, hi);
        kpjmap_put(s->death_last, key, (struct kpj_head){id, (uint64_t)(uint32_t)death_date});
    }
}

/* Fills the death maps from the deaths table (append-only, no index: a
 * NIK is a random key, and an index on it would put a random page into
 * nearly every commit). */
static int s_deaths_load(struct store *s, char *err, size_t errlen)
{
    s->death_first = kpjmap_new();
    s->death_last = kpjmap_new();
    sqlite3_stmt *st = s->st[ST_DEATHS_ALL];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        s_death_note(s, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                     sqlite3_column_int(st, 2), 0);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "reading the deaths table: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* Claims stored before schema 8 kept their NIK only inside the claim's
 * bytes: the migration leaves meta deaths_backfill = 1, and this reads each
 * stored death claim once to fill the deaths table, in one transaction. */
static int s_deaths_backfill(struct store *s, char *err, size_t errlen)
{
    int64_t todo = 0;
    if (store_meta_get(s, "deaths_backfill", &todo) != 0 || !todo) return 0;
    sqlite3_stmt *q = NULL;
    int n = 0, rc = -1;
    if (store_begin(s) != 0 ||
        sqlite3_prepare_v2(s->db, "SELECT id, claim, death_date FROM claims WHERE death_date IS NOT NULL ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        goto out;
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        struct klaim_claim c;
        struct klaim_err e;
        if (claim_canonical_unpack(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1), &c, &e) != 0) {
            log_warn("store: claim %lld does not decode (%s); left out of the earlier-death check",
                     (long long)sqlite3_column_int64(q, 0), e.message);
            continue;
        }
        if (store_death_record(s, c.nik, sqlite3_column_int64(q, 0), sqlite3_column_int(q, 2)) != 0) goto out;
        n++;
    }
    if (step != SQLITE_DONE || store_meta_set(s, "deaths_backfill", 0) != 0 || store_commit(s) != 0) goto out;
    if (n) log_info("store: %d death claims stored before schema 8 indexed by NIK", n);
    rc = 0;
out:
    sqlite3_finalize(q);
    if (rc != 0) {
        snprintf(err, errlen, "indexing stored death claims by NIK: %s", sqlite3_errmsg(s->db));
        store_rollback(s);
    }
    return rc;
}

static const char *const s_state_keys[8] = {"claims_state_0", "claims_state_1", "claims_state_2", "claims_state_3",
                                             "claims_state_4", "claims_state_5", "claims_state_6", "claims_state_7"};

/* The per-state counts as the last commit left them in meta. */
static int s_counts_load(struct store *s, char *err, size_t errlen)
{
    for (int i = 1; i < 8; i++) {
        if (store_meta_get(s, s_state_keys[i], &s->n_state[i]) != 0) {
            snprintf(err, errlen, "reading the claim counts: %s", sqlite3_errmsg(s->db));
            return -1;
        }
    }
    memcpy(s->n_state_committed, s->n_state, sizeof s->n_state);
    return 0;
}

/* A claim moved from state `from` (0: new) to `to` in the open transaction. */
static void s_moved(struct store *s, int from, int to)
{
    if (from > 0 && from < 8) s->n_state[from]--;
    if (to > 0 && to < 8) s->n_state[to]++;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
    s_global_config();
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    if (s_pragmas(db, err, errlen) != 0 || s_migrate(db, err, errlen) != 0) {
        sqlite3_close(db);
        return NULL;
    }
    struct store *s = xcalloc(1, sizeof *s);
    s->db = db;
    for (int i = 0; i < ST__N; i++) {
        if (sqlite3_prepare_v3(db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "prepare \"%s\": %s", s_sql[i], sqlite3_errmsg(db));
            store_close(&s);
            return NULL;
        }
    }
    sqlite3_stmt *h = s->st[ST_AUDIT_HEAD];
    if (sqlite3_step(h) == SQLITE_ROW && sqlite3_column_bytes(h, 1) == 32) {
        s->audit_seq = sqlite3_column_int64(h, 0);
        memcpy(s->audit_hash, sqlite3_column_blob(h, 1), 32);
    }
    sqlite3_reset(h);
    int64_t anchor = 0;
    if (store_meta_get(s, "audit_head", &anchor) == 0 && anchor > s->audit_seq) {
        /* Entries were removed from the end: keep counting after the
         * recorded head, so the gap stays visible to audit verify. */
        log_error("store: the audit chain ends at seq %lld but its recorded head is %lld: entries were removed",
                  (long long)s->audit_seq, (long long)anchor);
        s->audit_seq = anchor;
    }
    s->audit_seq_pending = s->audit_seq;
    memcpy(s->audit_hash_pending, s->audit_hash, 32);
    if (s_kpj_load(s, err, errlen) != 0 || s_counts_load(s, err, errlen) != 0 || s_deaths_load(s, err, errlen) != 0 ||
        s_deaths_backfill(s, err, errlen) != 0) {
        store_close(&s);
        return NULL;
    }
    return s;
}

void store_close(struct store **sp)
{
    struct store *s = *sp;
    if (!s) return;
    for (int i = 0; i < ST__N; i++) sqlite3_finalize(s->st[i]);
    /* Closing checkpoints and removes the WAL: only ever at FULL. */
    if (s->async_commit) sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    sqlite3_close(s->db);
    kpjmap_free(&s->kpj);
    kpjmap_free(&s->death_first);
    kpjmap_free(&s->death_last);
    free(s->undo);
    free(s);
    *sp = NULL;
}

const char *store_errmsg(struct store *s) { return sqlite3_errmsg(s->db); }

uint64_t store_writer_checkpoints(const struct store *s) { return s->wal_checkpoints; }

struct sqlite3 *store_db(struct store *s) { return s->db; }

/* SQLite calls this after each commit with the WAL's length in frames. */
static int s_on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
    ((struct store *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

/* Why synchronous=OFF is safe here: walsync.h. What else it takes:
 * - No checkpoint may run at OFF: a checkpoint runs with the checkpointing
 *   connection's sync flags, and one without fsync could copy frames into
 *   an unsynced main file and let the WAL start over on top of them. So the
 *   writer's autocheckpoint is off; checkpoints run in ckpt.c's thread,
 *   whose connection is FULL (it syncs the WAL before it copies and the
 *   file before the WAL may start over), and in s_checkpoint_full(). The
 *   WAL starts over only at a commit whose transaction began with the WAL
 *   copied whole (ckpt.h), so store_commit() checkpoints at FULL itself
 *   once the WAL passes WAL_FRAMES_MAX: the thread has copied nearly all
 *   of it by then.
 * - At close the writer goes back to FULL (store_close), because the last
 *   connection to close checkpoints and deletes the WAL. */
int store_async_commit(struct store *s, char *wal, size_t wal_len, char *err, size_t errlen)
{
    const char *path = sqlite3_db_filename(s->db, "main");
    if (!path || !path[0] || (size_t)snprintf(wal, wal_len, "%s-wal", path) >= wal_len) {
        snprintf(err, errlen, "the store's path is too long for its WAL's name");
        return -1;
    }
    if (s_exec(s->db, "PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=OFF", err, errlen) != 0) return -1;
    sqlite3_wal_hook(s->db, s_on_wal, s);
    s->async_commit = 1;
    return 0;
}

/* A checkpoint by the writer, at FULL whatever its commits run at. */
static int s_checkpoint_full(struct store *s, int mode)
{
    int log = 0, ckpt = 0;
    if (s->async_commit) sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, mode, &log, &ckpt);
    if (s->async_commit) sqlite3_exec(s->db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
    return rc;
}

void store_checkpoint(struct store *s)
{
    if (s_checkpoint_full(s, SQLITE_CHECKPOINT_TRUNCATE) != SQLITE_OK)
        log_warn("store: checkpoint at shutdown failed: %s", sqlite3_errmsg(s->db));
}

/* Step a statement that returns no rows, then reset it. */
static int s_run(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        /* A full disk fails the degraded probe's COMMIT every second until
         * space is back: one line per minute for that, the rest at once. */
        static struct log_limit full = LOG_LIMIT_INIT;
        if (rc == SQLITE_FULL) log_limited(&full, 60000, LOG_LVL_ERROR, "store: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
        else log_error("store: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

int store_begin(struct store *s)
{
    s->n_undo = 0;
    return s_run(s, s->st[ST_BEGIN]);
}

/* An I/O error at COMMIT may already have rolled the transaction back
 * (pitfalls.md); the caller rolls back in any case after a -1. */
int store_commit(struct store *s)
{
    /* The chain's head is also kept in meta, in the same transaction: an
     * entry cut off the end of the table is then still missed by verify. */
    if (s->audit_seq_pending != s->audit_seq && store_meta_set(s, "audit_head", s->audit_seq_pending) != 0)
        return -1;
    for (int i = 1; i < 8; i++)
        if (s->n_state[i] != s->n_state_committed[i] && store_meta_set(s, s_state_keys[i], s->n_state[i]) != 0)
            return -1;
    int rc = s_run(s, s->st[ST_COMMIT]);
    if (rc != 0) return rc;
    s->audit_seq = s->audit_seq_pending;
    memcpy(s->audit_hash, s->audit_hash_pending, 32);
    s->n_undo = 0;
    memcpy(s->n_state_committed, s->n_state, sizeof s->n_state);
    s->n_clocks_committed = s->n_clocks;
    s->n_cases_committed = s->n_cases;
    memcpy(s->breaches_committed, s->breaches, sizeof s->breaches);
    if (s->wal_frames > WAL_FRAMES_MAX) {
        s->wal_frames = 0;
        if (s_checkpoint_full(s, SQLITE_CHECKPOINT_PASSIVE) == SQLITE_OK) s->wal_checkpoints++;
    }
    return 0;
}

void store_rollback(struct store *s)
{
    memcpy(s->n_state, s->n_state_committed, sizeof s->n_state);
    s->n_clocks = s->n_clocks_committed;
    s->n_cases = s->n_cases_committed;
    memcpy(s->breaches, s->breaches_committed, sizeof s->breaches);
    s->audit_seq_pending = s->audit_seq;
    memcpy(s->audit_hash_pending, s->audit_hash, 32);
    while (s->n_undo > 0) {
        s->n_undo--;
        kpjmap_put(s->undo[s->n_undo].map, s->undo[s->n_undo].key, s->undo[s->n_undo].prev);
    }
    if (!sqlite3_get_autocommit(s->db)) {
        int rc = sqlite3_step(s->st[ST_ROLLBACK]);
        sqlite3_reset(s->st[ST_ROLLBACK]);
        if (rc != SQLITE_DONE) log_error("store: ROLLBACK: %s", sqlite3_errmsg(s->db));
    }
}

int64_t store_recover(struct store *s)
{
    if (store_begin(s) != 0) return -1;
    if (s_run(s, s->st[ST_RECOVER]) != 0) {
        store_rollback(s);
        return -1;
    }
    int64_t n = sqlite3_changes64(s->db);
    s->n_state[STATE_PROCESSING] -= n;
    s->n_state[STATE_RECEIVED] += n;
    if (store_commit(s) != 0) {
        store_rollback(s);
        return -1;
    }
    return n;
}

int store_each_received(struct store *s, void (*fn)(void *arg, int64_t id, int64_t not_before_ms), void *arg)
{
    sqlite3_stmt *st = s->st[ST_RECEIVED];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) fn(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_kpj_claims(struct store *s, const char *kpj, store_kpj_fn fn, void *arg)
{
    sqlite3_stmt *st = s->st[ST_CHAIN];
    int64_t id = kpjmap_get(s->kpj, kpjmap_key(kpj)).id;
    while (id > 0) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            log_error("store: claim %lld of kpj %s: %s", (long long)id, kpj,
                      sqlite3_errmsg(s->db)[0] ? sqlite3_errmsg(s->db) : "missing");
            sqlite3_reset(st);
            return -1;
        }
        struct store_kpj_claim c = {
            .id = id,
            .program = sqlite3_column_int(st, 0),
            .event_date = sqlite3_column_int(st, 1),
            .has_death_date = sqlite3_column_type(st, 2) != SQLITE_NULL,
            .death_date = sqlite3_column_int(st, 2),
            .state = sqlite3_column_int(st, 4),
        };
        int64_t prev = sqlite3_column_int64(st, 3);
        sqlite3_reset(st);
        if (fn(arg, &c)) return 1;
        id = prev < id ? prev : 0;      /* the chain only goes back in time */
    }
    return 0;
}

struct same_event {
    const struct store_new_claim *c;
    int64_t first;
};

/* Same event (rules.md §5): same program and event date, or the same death
 * date. The walk goes newest first, so the last match is the first claim. */
static int s_same_event(void *arg, const struct store_kpj_claim *k)
{
    struct same_event *se = arg;
    if ((k->program == se->c->program && k->event_date == se->c->event_date) ||
        (se->c->has_death_date && k->has_death_date && k->death_date == se->c->death_date))
        se->first = k->id;
    return 0;
}

int store_find_same_event(struct store *s, const struct store_new_claim *c, int64_t *id)
{
    *id = 0;
    uint64_t sig = kpjmap_get(s->kpj, kpjmap_key(c->kpj)).sig;
    if (!(sig & s_event_bit(c->program, c->event_date)) && !(c->has_death_date && (sig & s_death_bit(c->death_date))))
        return 0;
    struct same_event se = {c, 0};
    if (store_kpj_claims(s, c->kpj, s_same_event, &se) < 0) return -1;
    *id = se.first;
    return 0;
}

int store_insert_claim(struct store *s, const struct store_new_claim *c, int64_t duplicate_of, int64_t *id)
{
    sqlite3_stmt *st = s->st[ST_INSERT];
    sqlite3_bind_text(st, 1, c->idem_key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, c->digest, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->owner, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, c->program);
    sqlite3_bind_text(st, 5, c->kpj, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, c->event_date);
    if (c->has_death_date) sqlite3_bind_int(st, 7, c->death_date);
    else sqlite3_bind_null(st, 7);
    sqlite3_bind_blob(st, 8, c->claim, (int)c->claim_len, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, c->state);
    sqlite3_bind_int(st, 10, c->state == STATE_PROCESSING ? 1 : 0);
    sqlite3_bind_int64(st, 11, duplicate_of);
    sqlite3_bind_int64(st, 12, c->received_at_ms);
    uint64_t key = kpjmap_key(c->kpj);
    struct kpj_head prev = kpjmap_get(s->kpj, key);
    sqlite3_bind_int64(st, 13, prev.id);
    sqlite3_bind_int64(st, 14, c->earlier_death);
    /* No RETURNING (a temporary b-tree per statement): a row was added
     * exactly when the statement changed one. */
    int rc = sqlite3_step(st);
    int out = rc != SQLITE_DONE ? -1 : sqlite3_changes(s->db) == 1 ? 0 : 1;
    if (out == 0) {
        *id = sqlite3_last_insert_rowid(s->db);
        s_moved(s, 0, c->state);
        s_undo(s, s->kpj, key, prev);
        kpjmap_put(s->kpj, key,
                   (struct kpj_head){*id, prev.sig | s_event_sig(c->program, c->event_date, c->has_death_date,
                                                                 c->death_date)});
    }
    if (out < 0) log_error("store: insert claim: %s", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

void store_claim_row_clear(struct store_claim_row *r)
{
    free(r->decision);
    memset(r, 0, sizeof *r);
}

static int s_get(struct store *s, sqlite3_stmt *st, struct store_claim_row *r)
{
    memset(r, 0, sizeof *r);
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
    if (out == 0) {
        r->id = sqlite3_column_int64(st, 0);
        if (sqlite3_column_bytes(st, 1) == 32) memcpy(r->digest, sqlite3_column_blob(st, 1), 32);
        snprintf(r->owner, sizeof r->owner, "%s", (const char *)sqlite3_column_text(st, 2));
        r->state = sqlite3_column_int(st, 3);
        r->attempt = sqlite3_column_int(st, 4);
        r->program = sqlite3_column_int(st, 5);
        snprintf(r->idem_key, sizeof r->idem_key, "%s", (const char *)sqlite3_column_text(st, 6));
        r->received_at_ms = sqlite3_column_int64(st, 7);
        r->decided_at_ms = sqlite3_column_int64(st, 8);
        r->provisional = sqlite3_column_int(st, 10);
        int n = sqlite3_column_bytes(st, 9);
        if (n > 0) {
            r->decision = xmalloc((size_t)n);
            memcpy(r->decision, sqlite3_column_blob(st, 9), (size_t)n);
            r->decision_len = (size_t)n;
        }
    } else if (out < 0) {
        log_error("store: claim lookup: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

int store_get_by_key(struct store *s, const char *key, struct store_claim_row *row)
{
    sqlite3_bind_text(s->st[ST_BY_KEY], 1, key, -1, SQLITE_STATIC);
    return s_get(s, s->st[ST_BY_KEY], row);
}

int store_get_by_id(struct store *s, int64_t id, struct store_claim_row *row)
{
    sqlite3_bind_int64(s->st[ST_BY_ID], 1, id);
    return s_get(s, s->st[ST_BY_ID], row);
}

/* Runs an UPDATE and maps "no row changed" to 1 (a stale lease). */
static int s_update(struct store *s, sqlite3_stmt *st)
{
    if (s_run(s, st) != 0) return -1;
    return sqlite3_changes(s->db) == 0 ? 1 : 0;
}

int store_lease(struct store *s, int64_t id, int *attempt, uint8_t **claim, size_t *claim_len,
                int64_t *duplicate_of, int64_t *received_at_ms, uint32_t *waive)
{
    /* An UPDATE, then a read of the row it changed: RETURNING would build
     * a temporary b-tree for every lease. */
    sqlite3_stmt *st = s->st[ST_LEASE];
    sqlite3_bind_int64(st, 1, id);
    int rc = s_update(s, st);
    if (rc == 0) {
        s_moved(s, STATE_RECEIVED, STATE_PROCESSING);
    } else if (rc == 1) {       /* leased at insert already */
        st = s->st[ST_LEASE_AGAIN];
        sqlite3_bind_int64(st, 1, id);
        rc = s_update(s, st);
    }
    if (rc != 0) return rc;
    st = s->st[ST_LEASED];
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    int out = rc == SQLITE_ROW ? 0 : -1;
    if (out == 0) {
        *attempt = sqlite3_column_int(st, 0);
        int n = sqlite3_column_bytes(st, 1);
        *claim = xmalloc((size_t)n);
        memcpy(*claim, sqlite3_column_blob(st, 1), (size_t)n);
        *claim_len = (size_t)n;
        *duplicate_of = sqlite3_column_int64(st, 2);
        *received_at_ms = sqlite3_column_int64(st, 3);
        *waive = (uint32_t)sqlite3_column_int64(st, 4);
    } else {
        log_error("store: lease claim %lld: %s", (long long)id, sqlite3_errmsg(s->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

int store_decide(struct store *s, int64_t id, int attempt, int state, int64_t total, const uint8_t *decision,
                 size_t decision_len, int64_t decided_at_ms, const struct store_facts *f)
{
    sqlite3_stmt *st = s->st[ST_DECIDE];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_int(st, 3, state);
    sqlite3_bind_int64(st, 4, total);
    sqlite3_bind_blob(st, 5, decision, (int)decision_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, decided_at_ms);
    if (f && f->known) {
        sqlite3_bind_text(st, 7, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, f->category, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, f->sponsor, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, f->regency, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int(st, 11, f ? f->provisional : 0);
    if (f && f->reason && f->reason[0]) sqlite3_bind_text(st, 12, f->reason, -1, SQLITE_STATIC);
    int rc = s_update(s, st);
    if (rc == 0) s_moved(s, STATE_PROCESSING, state);
    return rc;
}

int store_requeue(struct store *s, int64_t id, int attempt, int charge, int64_t not_before_ms)
{
    sqlite3_stmt *st = s->st[charge ? ST_REQUEUE : ST_REQUEUE_FREE];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, attempt);
    sqlite3_bind_int64(st, 3, not_before_ms);
    int rc = s_update(s, st);
    if (rc == 0) s_moved(s, STATE_PROCESSING, STATE_RECEIVED);
    return rc;
}

void store_clocks_init(struct store *s, uint64_t n) { s->n_clocks = s->n_clocks_committed = (int64_t)n; }

void store_clocks_moved(struct store *s, int delta) { s->n_clocks += delta; }

uint64_t store_clocks_running(const struct store *s) { return s->n_clocks > 0 ? (uint64_t)s->n_clocks : 0; }

void store_cases_init(struct store *s, uint64_t open) { s->n_cases = s->n_cases_committed = (int64_t)open; }

void store_cases_moved(struct store *s, int open_delta, int breached_bits)
{
    s->n_cases += open_delta;
    for (int i = 0; i < 3; i++)
        if (breached_bits & (1 << i)) s->breaches[i]++;
}

uint64_t store_cases_open_now(const struct store *s) { return s->n_cases > 0 ? (uint64_t)s->n_cases : 0; }

uint64_t store_sla_breaches(const struct store *s, int clock_bit)
{
    for (int i = 0; i < 3; i++)
        if (clock_bit == 1 << i) return s->breaches_committed[i];
    return 0;
}

void store_count_states(const struct store *s, uint64_t counts[8])
{
    for (int i = 0; i < 8; i++) counts[i] = s->n_state[i] > 0 ? (uint64_t)s->n_state[i] : 0;
}

int store_meta_get(struct store *s, const char *key, int64_t *value)
{
    sqlite3_stmt *st = s->st[ST_META_GET];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *value = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_meta_set(struct store *s, const char *key, int64_t value)
{
    sqlite3_stmt *st = s->st[ST_META_SET];
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
    return s_run(s, st);
}

int store_review_list(struct store *s, int64_t after_id, int limit, int64_t *ids, int *n)
{
    sqlite3_stmt *st = s->st[ST_REVIEW_LIST];
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* A review applies to PENDING_REVIEW and DEAD claims. st has every value
 * bound but the old state (parameter `param`): it runs once per reviewable
 * state, so that the counts know which one the claim left for `to`. 0, 1
 * (not reviewable), or -1. */
static int s_review_move(struct store *s, sqlite3_stmt *st, int param, int to)
{
    static const int from[] = {STATE_PENDING_REVIEW, STORE_STATE_DEAD};
    int rc = 1;
    for (size_t i = 0; i < sizeof from / sizeof from[0] && rc == 1; i++) {
        sqlite3_bind_int(st, param, from[i]);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step != SQLITE_DONE) {
            log_error("store: %s: %s", sqlite3_sql(st), sqlite3_errmsg(s->db));
            rc = -1;
        } else if (sqlite3_changes(s->db) > 0) {
            s_moved(s, from[i], to);
            rc = 0;
        }
    }
    sqlite3_clear_bindings(st);
    return rc;
}

int store_review_approve(struct store *s, int64_t id, uint32_t waive, const char *approved_by, const uint8_t *heirs,
                         size_t heirs_len)
{
    sqlite3_stmt *st = s->st[ST_REVIEW_APPROVE];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, waive);
    sqlite3_bind_text(st, 4, approved_by, -1, SQLITE_STATIC);
    if (heirs) sqlite3_bind_blob(st, 5, heirs, (int)heirs_len, SQLITE_STATIC);
    else sqlite3_bind_null(st, 5);
    return s_review_move(s, st, 3, STATE_RECEIVED);
}

int store_review_reject(struct store *s, int64_t id, const uint8_t *decision, size_t decision_len, int64_t at_ms)
{
    sqlite3_stmt *st = s->st[ST_REVIEW_REJECT];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_blob(st, 2, decision, (int)decision_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at_ms);
    return s_review_move(s, st, 4, STATE_REJECTED);
}

void store_review_inputs_clear(struct store_review_inputs *in)
{
    free(in->claim);
    free(in->review_heirs);
    memset(in, 0, sizeof *in);
}

/* A blob column copied out (NULL and 0 when empty or NULL). */
static uint8_t *s_blob_copy(sqlite3_stmt *st, int col, size_t *len)
{
    int n = sqlite3_column_bytes(st, col);
    *len = 0;
    if (n <= 0) return NULL;
    uint8_t *b = xmalloc((size_t)n);
    memcpy(b, sqlite3_column_blob(st, col), (size_t)n);
    *len = (size_t)n;
    return b;
}

int store_review_inputs(struct store *s, int64_t id, struct store_review_inputs *in)
{
    memset(in, 0, sizeof *in);
    sqlite3_stmt *st = s->st[ST_REVIEW_INPUTS];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
    if (out == 0) {
        in->claim = s_blob_copy(st, 0, &in->claim_len);
        in->approval = sqlite3_column_int(st, 1);
        snprintf(in->approved_by, sizeof in->approved_by, "%s", (const char *)sqlite3_column_text(st, 2));
        in->review_heirs = s_blob_copy(st, 3, &in->review_heirs_len);
    } else if (out < 0) {
        log_error("store: review inputs of claim %lld: %s", (long long)id, sqlite3_errmsg(s->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

int store_review_confirm(struct store *s, int64_t id, const uint8_t *decision, size_t decision_len, int64_t at_ms)
{
    sqlite3_stmt *st = s->st[decision ? ST_REVIEW_CONFIRM_DECIDED : ST_REVIEW_CONFIRM];
    sqlite3_bind_int64(st, 1, id);
    if (decision) {
        sqlite3_bind_blob(st, 2, decision, (int)decision_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, at_ms);
    }
    int rc = s_update(s, st);
    if (rc == 0 && decision) s_moved(s, STATE_AWAITING_CONFIRMATION, STATE_APPROVED);
    return rc;
}

int store_review_record(struct store *s, const struct store_review *r)
{
    sqlite3_stmt *st = s->st[ST_REVIEW_INSERT];
    sqlite3_bind_int64(st, 1, r->claim_id);
    sqlite3_bind_int(st, 2, r->action);
    sqlite3_bind_text(st, 3, r->reason_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->client, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, r->at_ms);
    sqlite3_bind_text(st, 8, r->identity ? r->identity : "", -1, SQLITE_STATIC);
    if (r->heirs && r->heirs_len) sqlite3_bind_blob(st, 9, r->heirs, (int)r->heirs_len, SQLITE_STATIC);
    else sqlite3_bind_null(st, 9);
    return s_run(s, st);
}

int store_reviews_of(struct store *s, int64_t claim_id, void (*fn)(void *arg, const struct store_review *r), void *arg)
{
    sqlite3_stmt *st = s->st[ST_REVIEWS_OF];
    sqlite3_bind_int64(st, 1, claim_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_review r = {
            .claim_id = claim_id,
            .action = sqlite3_column_int(st, 0),
            .reason_code = (const char *)sqlite3_column_text(st, 1),
            .by = (const char *)sqlite3_column_text(st, 2),
            .client = (const char *)sqlite3_column_text(st, 3),
            .note = (const char *)sqlite3_column_text(st, 4),
            .at_ms = sqlite3_column_int64(st, 5),
            .identity = (const char *)sqlite3_column_text(st, 6),
            .heirs = sqlite3_column_blob(st, 7),
            .heirs_len = (size_t)sqlite3_column_bytes(st, 7),
        };
        fn(arg, &r);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_export_page(struct store *s, int64_t after_id, int64_t since_ms, int limit,
                      void (*fn)(void *arg, const struct store_export_row *r), void *arg)
{
    sqlite3_stmt *st = s->st[ST_EXPORT];
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, since_ms);
    sqlite3_bind_int(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_export_row r = {
            .id = sqlite3_column_int64(st, 0),
            .idem_key = (const char *)sqlite3_column_text(st, 1),
            .program = sqlite3_column_int(st, 2),
            .received_at_ms = sqlite3_column_int64(st, 3),
            .decided_at_ms = sqlite3_column_int64(st, 4),
            .decision = sqlite3_column_blob(st, 5),
            .decision_len = (size_t)sqlite3_column_bytes(st, 5),
            .claim = sqlite3_column_blob(st, 6),
            .claim_len = (size_t)sqlite3_column_bytes(st, 6),
            .member_name = (const char *)sqlite3_column_text(st, 7),
            .category = (const char *)sqlite3_column_text(st, 8),
            .sponsor = (const char *)sqlite3_column_text(st, 9),
            .regency = (const char *)sqlite3_column_text(st, 10),
            .provisional = sqlite3_column_int(st, 11),
        };
        fn(arg, &r);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The rows of either claims report statement, bounds bound as given. */
static int s_report_claims(struct store *s, int which, int64_t lo, int64_t hi,
                           void (*fn)(void *arg, const struct store_report_row *r), void *arg)
{
    sqlite3_stmt *st = s->st[which];
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_report_row r = {
            .regency = (const char *)sqlite3_column_text(st, 0),
            .program = sqlite3_column_int(st, 1),
            .sponsor = (const char *)sqlite3_column_text(st, 2),
            .reason = (const char *)sqlite3_column_text(st, 3),
            .claims = (uint64_t)sqlite3_column_int64(st, 4),
            .approved = (uint64_t)sqlite3_column_int64(st, 5),
            .rejected = (uint64_t)sqlite3_column_int64(st, 6),
            .pending_review = (uint64_t)sqlite3_column_int64(st, 7),
            .paid = sqlite3_column_int64(st, 8),
        };
        fn(arg, &r);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_report_claims(struct store *s, int64_t from_ms, int64_t to_ms,
                        void (*fn)(void *arg, const struct store_report_row *r), void *arg)
{
    return s_report_claims(s, ST_REPORT_CLAIMS, from_ms, to_ms, fn, arg);
}

int store_report_claims_by_event(struct store *s, kdate from, kdate to,
                                 void (*fn)(void *arg, const struct store_report_row *r), void *arg)
{
    return s_report_claims(s, ST_REPORT_CLAIMS_EVENT, from, to, fn, arg);
}

int store_audit(struct store *s, int64_t at_ms, int64_t claim_id, const char *actor, const char *action,
                const char *detail)
{
    struct audit_entry e = {.seq = s->audit_seq_pending + 1, .at_ms = at_ms, .claim_id = claim_id,
                            .actor = actor, .action = action, .detail = detail};
    memcpy(e.prev_hash, s->audit_hash_pending, 32);
    uint8_t hash[32];
    audit_hash(&e, hash);
    sqlite3_stmt *st = s->st[ST_AUDIT_INSERT];
    sqlite3_bind_int64(st, 1, e.seq);
    sqlite3_bind_int64(st, 2, at_ms);
    sqlite3_bind_int64(st, 3, claim_id);
    sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, e.prev_hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, hash, 32, SQLITE_STATIC);
    if (s_run(s, st) != 0) return -1;
    s->audit_seq_pending = e.seq;
    memcpy(s->audit_hash_pending, hash, 32);
    return 0;
}

static int s_audit_rows(sqlite3_stmt *st, void (*fn)(void *arg, const struct store_audit_row *r), void *arg)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_audit_row r = {
            .seq = sqlite3_column_int64(st, 0),
            .at_ms = sqlite3_column_int64(st, 1),
            .claim_id = sqlite3_column_int64(st, 2),
            .actor = (const char *)sqlite3_column_text(st, 3),
            .action = (const char *)sqlite3_column_text(st, 4),
            .detail = (const char *)sqlite3_column_text(st, 5),
            .prev_hash = sqlite3_column_blob(st, 6),
            .prev_hash_len = (size_t)sqlite3_column_bytes(st, 6),
            .hash = sqlite3_column_blob(st, 7),
            .hash_len = (size_t)sqlite3_column_bytes(st, 7),
        };
        fn(arg, &r);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_audit_page(struct store *s, int64_t after_seq, int limit,
                     void (*fn)(void *arg, const struct store_audit_row *r), void *arg)
{
    sqlite3_stmt *st = s->st[ST_AUDIT_PAGE];
    sqlite3_bind_int64(st, 1, after_seq);
    sqlite3_bind_int(st, 2, limit);
    return s_audit_rows(st, fn, arg);
}

int store_audit_of(struct store *s, int64_t claim_id, void (*fn)(void *arg, const struct store_audit_row *r),
                   void *arg)
{
    sqlite3_stmt *st = s->st[ST_AUDIT_OF];
    sqlite3_bind_int64(st, 1, claim_id);
    return s_audit_rows(st, fn, arg);
}

int64_t store_audit_head(const struct store *s) { return s->audit_seq; }

/* ------------------------------------------------------- the money path */

int store_death_record(struct store *s, const char *nik, int64_t claim_id, kdate death_date)
{
    sqlite3_stmt *st = s->st[ST_DEATH_INSERT];
    sqlite3_bind_text(st, 1, nik, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, claim_id);
    sqlite3_bind_int(st, 3, death_date);
    if (s_run(s, st) != 0) return -1;
    s_death_note(s, nik, claim_id, death_date, !sqlite3_get_autocommit(s->db));
    return 0;
}

/* With the first (lowest) and last (highest) stored death dates of a NIK:
 * an event after some death is after the first; a death date unlike some
 * stored one is unlike the first or the last. */
int store_find_earlier_death(struct store *s, const char *nik, kdate event_date, int has_death_date,
                             kdate death_date, int64_t *id)
{
    *id = 0;
    uint64_t key = kpjmap_nik_key(nik);
    struct kpj_head lo = kpjmap_get(s->death_first, key);
    if (lo.id == 0) return 0;
    struct kpj_head hi = kpjmap_get(s->death_last, key);
    if (event_date > (kdate)lo.sig || (has_death_date && death_date != (kdate)lo.sig)) *id = lo.id;
    else if (has_death_date && death_date != (kdate)hi.sig) *id = hi.id;
    return 0;
}

void store_lease_extras_clear(struct store_lease_extras *x)
{
    free(x->review_heirs);
    memset(x, 0, sizeof *x);
}

int store_lease_extras(struct store *s, int64_t id, struct store_lease_extras *x)
{
    memset(x, 0, sizeof *x);
    sqlite3_stmt *st = s->st[ST_EXTRAS];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        x->earlier_death = sqlite3_column_int64(st, 0);
        x->earlier_death_date = sqlite3_column_int(st, 1);
        int n = sqlite3_column_bytes(st, 2);
        if (n > 0) {
            x->review_heirs = xmalloc((size_t)n);
            memcpy(x->review_heirs, sqlite3_column_blob(st, 2), (size_t)n);
            x->review_heirs_len = (size_t)n;
        }
    } else {
        log_error("store: lease inputs of claim %lld: %s", (long long)id,
                  rc == SQLITE_DONE ? "no such claim" : sqlite3_errmsg(s->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

struct same_event_approved {
    const struct store_kpj_claim *self;
    int64_t *ids;
    int n, max;
    int older;                  /* 0: self is the first of its event, stop at it */
};

/* Collects the APPROVED (or AWAITING_CONFIRMATION) claims of self's event.
 * The walk goes newest first; the caller reverses. */
static int s_approved_same(void *arg, const struct store_kpj_claim *k)
{
    struct same_event_approved *a = arg;
    const struct store_kpj_claim *c = a->self;
    if (k->id == c->id) return !a->older;
    if (k->state != STATE_APPROVED && k->state != STATE_AWAITING_CONFIRMATION) return 0;
    if (!((k->program == c->program && k->event_date == c->event_date) ||
          (c->has_death_date && k->has_death_date && k->death_date == c->death_date)))
        return 0;
    if (a->n == a->max) {
        a->max = -1;
        return 1;
    }
    a->ids[a->n++] = k->id;
    return 0;
}

int store_same_event_approved(struct store *s, int64_t id, int64_t *ids, int max, int *n, int *approval)
{
    *n = 0;
    sqlite3_stmt *st = s->st[ST_GATE];
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        log_error("store: claim %lld: not found for its event", (long long)id);
        return -1;
    }
    struct store_kpj_claim self = {
        .id = id,
        .program = sqlite3_column_int(st, 0),
        .event_date = sqlite3_column_int(st, 1),
        .has_death_date = sqlite3_column_type(st, 2) != SQLITE_NULL,
        .death_date = sqlite3_column_int(st, 2),
    };
    char kpj[16];
    snprintf(kpj, sizeof kpj, "%s", (const char *)sqlite3_column_text(st, 3));
    if (approval) *approval = sqlite3_column_int(st, 4);
    int64_t duplicate_of = sqlite3_column_int64(st, 5);
    sqlite3_reset(st);
    /* Without an earlier claim of its event (duplicate_of, found at intake
     * in commit order) only newer claims can share it: none when this is
     * the participant's newest claim, the usual case, answered from memory. */
    if (duplicate_of == 0 && kpjmap_get(s->kpj, kpjmap_key(kpj)).id == id) return 0;
    struct same_event_approved a = {&self, ids, 0, max, duplicate_of != 0};
    if (store_kpj_claims(s, kpj, s_approved_same, &a) < 0) return -1;
    if (a.max < 0) {
        log_error("store: claim %lld: more than %d approved claims of one event", (long long)id, max);
        return -1;
    }
    for (int i = 0; i < a.n / 2; i++) {
        int64_t t = ids[i];
        ids[i] = ids[a.n - 1 - i];
        ids[a.n - 1 - i] = t;
    }
    *n = a.n;
    return 0;
}

int store_prior(struct store *s, int64_t id, uint8_t **claim, size_t *claim_len, uint8_t **decision,
                size_t *decision_len)
{
    sqlite3_stmt *st = s->st[ST_PRIOR];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0), m = (size_t)sqlite3_column_bytes(st, 1);
        *claim = xmalloc(n ? n : 1);
        if (n) memcpy(*claim, sqlite3_column_blob(st, 0), n);
        *claim_len = n;
        *decision = xmalloc(m ? m : 1);
        if (m) memcpy(*decision, sqlite3_column_blob(st, 1), m);
        *decision_len = m;
    } else {
        log_error("store: prior claim %lld: %s", (long long)id, rc == SQLITE_DONE ? "missing" : sqlite3_errmsg(s->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

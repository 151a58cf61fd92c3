/* store_payments.c - SQL for payment batches, their lines and payee accounts.
 *
 * Owns: the prepared statements on payment_batches, payment_lines,
 *   payee_accounts and claims.payment_state, on the write connection of
 *   store.c (store_db()); the schema is store.c's migration 7 -> 8.
 * Runs in: klaimd main loop only.
 * Invariants: as store.c - statements prepared once and reset after their
 *   last step; no commit here (batch.c owns the transaction).
 * See also: payments.c (the caller), docs/money.md §6.
 */
#include "store_payments.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "xalloc.h"

enum {
    SP_CANDIDATES, SP_LINE_INSERT, SP_LINES, SP_LINES_OF_CLAIM, SP_LINE_SETTLE, SP_BATCH_INSERT, SP_BATCH_GET,
    SP_BATCH_SETTLED, SP_CLAIM_STATE, SP_SET_CLAIM_STATE, SP_ACCOUNTS, SP_ACCOUNT_SET,
    SP__N
};

#define LINE_COLS                                                                                                 \
    "batch_id, line, claim_id, payee, role, payee_id, payee_name, bank_code, account, account_name, amount,"     \
    " items, state, reference, settled_on, failure, settled_at_ms"

static const char *const s_sql[SP__N] = {
    /* The predicate of the partial index claims_payable (migration 7 -> 8)
     * word for word, so SQLite walks that index only. */
    [SP_CANDIDATES] = "SELECT id, payment_state, decided_at_ms, decision FROM claims"
                      " WHERE state = 3 AND payment_state IN (1, 4) AND decided_at_ms < ?1 ORDER BY id",
    [SP_LINE_INSERT] = "INSERT INTO payment_lines(" LINE_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
                       "?14,?15,?16,?17)",
    [SP_LINES] = "SELECT " LINE_COLS " FROM payment_lines WHERE batch_id = ?1 ORDER BY line",
    [SP_LINES_OF_CLAIM] = "SELECT " LINE_COLS " FROM payment_lines WHERE claim_id = ?1 ORDER BY batch_id, line",
    [SP_LINE_SETTLE] = "UPDATE payment_lines SET state = ?3, reference = ?4, settled_on = ?5, failure = ?6,"
                       " settled_at_ms = ?7 WHERE batch_id = ?1 AND line = ?2",
    [SP_BATCH_INSERT] = "INSERT INTO payment_batches(created_at_ms, until_date, created_by, n_lines, total)"
                        " VALUES(?1,?2,?3,?4,?5)",
    [SP_BATCH_GET] = "SELECT id, created_at_ms, until_date, created_by, n_lines, total, settled FROM payment_batches"
                     " WHERE id = ?1",
    [SP_BATCH_SETTLED] = "UPDATE payment_batches SET settled = 1 WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM"
                         " payment_lines WHERE batch_id = ?1 AND state = 2) RETURNING settled",
    [SP_CLAIM_STATE] = "SELECT payment_state FROM claims WHERE id = ?1",
    [SP_SET_CLAIM_STATE] = "UPDATE claims SET payment_state = ?2 WHERE id = ?1",
    [SP_ACCOUNTS] = "SELECT payee, bank_code, account, account_name, at_ms FROM payee_accounts WHERE claim_id = ?1",
    [SP_ACCOUNT_SET] = "INSERT INTO payee_accounts(claim_id, payee, bank_code, account, account_name, by, client,"
                       " at_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(claim_id, payee) DO UPDATE SET"
                       " bank_code = excluded.bank_code, account = excluded.account,"
                       " account_name = excluded.account_name, by = excluded.by, client = excluded.client,"
                       " at_ms = excluded.at_ms",
};

struct store_payments {
    sqlite3 *db;
    sqlite3_stmt *st[SP__N];
};

/* Prepares every statement once on store.c's write connection. */
struct store_payments *store_payments_new(struct store *s, char *err, size_t errlen)
{
    struct store_payments *sp = xcalloc(1, sizeof *sp);
    sp->db = store_db(s);
    for (int i = 0; i < SP__N; i++) {
        if (sqlite3_prepare_v3(sp->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &sp->st[i], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "prepare \"%s\": %s", s_sql[i], sqlite3_errmsg(sp->db));
            store_payments_free(&sp);
            return NULL;
        }
    }
    return sp;
}

/* Finalizes the statements; *spp becomes NULL. */
void store_payments_free(struct store_payments **spp)
{
    struct store_payments *sp = *spp;
    if (!sp) return;
    for (int i = 0; i < SP__N; i++) sqlite3_finalize(sp->st[i]);
    free(sp);
    *spp = NULL;
}

/* Resets st for its next use; 0 when rc is a row or done, else logs the
 * SQLite error and returns -1 (the caller hands it to batch_fail()). */
static int s_done(struct store_payments *sp, sqlite3_stmt *st, int rc, const char *what)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_error("store: %s: %s", what, sqlite3_errmsg(sp->db));
        return -1;
    }
    return 0;
}

/* A text column, "" for NULL (valid until the next step). */
static const char *s_col_text(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    return t ? t : "";
}

int store_pay_candidates(struct store_payments *sp, int64_t decided_before_ms,
                         void (*fn)(void *arg, const struct store_pay_candidate *c), void *arg)
{
    sqlite3_stmt *st = sp->st[SP_CANDIDATES];
    sqlite3_bind_int64(st, 1, decided_before_ms);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_pay_candidate c = {
            .id = sqlite3_column_int64(st, 0),
            .payment_state = sqlite3_column_int(st, 1),
            .decided_at_ms = sqlite3_column_int64(st, 2),
            .decision = sqlite3_column_blob(st, 3),
            .decision_len = (size_t)sqlite3_column_bytes(st, 3),
        };
        fn(arg, &c);
    }
    return s_done(sp, st, rc, "payment candidates");
}

int store_pay_line_insert(struct store_payments *sp, const struct store_pay_line *l)
{
    sqlite3_stmt *st = sp->st[SP_LINE_INSERT];
    sqlite3_bind_int64(st, 1, l->batch_id);
    sqlite3_bind_int(st, 2, l->line);
    sqlite3_bind_int64(st, 3, l->claim_id);
    sqlite3_bind_int(st, 4, l->payee);
    sqlite3_bind_int(st, 5, l->role);
    sqlite3_bind_text(st, 6, l->payee_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, l->payee_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, l->bank_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, l->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, l->account_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, l->amount);
    sqlite3_bind_text(st, 12, l->items, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 13, l->state);
    sqlite3_bind_text(st, 14, l->reference ? l->reference : "", -1, SQLITE_STATIC);
    if (l->settled_on >= 0 && l->settled_at_ms) sqlite3_bind_int(st, 15, l->settled_on);
    else sqlite3_bind_null(st, 15);
    sqlite3_bind_text(st, 16, l->failure ? l->failure : "", -1, SQLITE_STATIC);
    if (l->settled_at_ms) sqlite3_bind_int64(st, 17, l->settled_at_ms);
    else sqlite3_bind_null(st, 17);
    return s_done(sp, st, sqlite3_step(st), "insert payment line");
}

/* Calls fn with each row of a bound LINE_COLS statement. */
static int s_lines(struct store_payments *sp, sqlite3_stmt *st, void (*fn)(void *arg, const struct store_pay_line *l),
                   void *arg, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_pay_line l = {
            .batch_id = sqlite3_column_int64(st, 0),
            .line = sqlite3_column_int(st, 1),
            .claim_id = sqlite3_column_int64(st, 2),
            .payee = sqlite3_column_int(st, 3),
            .role = sqlite3_column_int(st, 4),
            .payee_id = s_col_text(st, 5),
            .payee_name = s_col_text(st, 6),
            .bank_code = s_col_text(st, 7),
            .account = s_col_text(st, 8),
            .account_name = s_col_text(st, 9),
            .amount = sqlite3_column_int64(st, 10),
            .items = s_col_text(st, 11),
            .state = sqlite3_column_int(st, 12),
            .reference = s_col_text(st, 13),
            .settled_on = sqlite3_column_type(st, 14) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 14),
            .failure = s_col_text(st, 15),
            .settled_at_ms = sqlite3_column_int64(st, 16),
        };
        fn(arg, &l);
    }
    return s_done(sp, st, rc, what);
}

int store_pay_lines(struct store_payments *sp, int64_t batch_id,
                    void (*fn)(void *arg, const struct store_pay_line *l), void *arg)
{
    sqlite3_stmt *st = sp->st[SP_LINES];
    sqlite3_bind_int64(st, 1, batch_id);
    return s_lines(sp, st, fn, arg, "payment lines");
}

int store_pay_lines_of_claim(struct store_payments *sp, int64_t claim_id,
                             void (*fn)(void *arg, const struct store_pay_line *l), void *arg)
{
    sqlite3_stmt *st = sp->st[SP_LINES_OF_CLAIM];
    sqlite3_bind_int64(st, 1, claim_id);
    return s_lines(sp, st, fn, arg, "payment lines of a claim");
}

int store_pay_line_settle(struct store_payments *sp, int64_t batch_id, int line, int state, const char *reference,
                          int settled_on, const char *failure, int64_t at_ms)
{
    sqlite3_stmt *st = sp->st[SP_LINE_SETTLE];
    sqlite3_bind_int64(st, 1, batch_id);
    sqlite3_bind_int(st, 2, line);
    sqlite3_bind_int(st, 3, state);
    sqlite3_bind_text(st, 4, reference ? reference : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, settled_on);
    sqlite3_bind_text(st, 6, failure ? failure : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, at_ms);
    return s_done(sp, st, sqlite3_step(st), "settle payment line");
}

int store_pay_batch_insert(struct store_payments *sp, const struct store_pay_batch *b, int64_t *id)
{
    sqlite3_stmt *st = sp->st[SP_BATCH_INSERT];
    sqlite3_bind_int64(st, 1, b->created_at_ms);
    sqlite3_bind_int(st, 2, b->until_date);
    sqlite3_bind_text(st, 3, b->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, b->n_lines);
    sqlite3_bind_int64(st, 5, b->total);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) *id = sqlite3_last_insert_rowid(sp->db);
    return s_done(sp, st, rc, "insert payment batch");
}

int store_pay_batch_get(struct store_payments *sp, int64_t id, struct store_pay_batch *b)
{
    sqlite3_stmt *st = sp->st[SP_BATCH_GET];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    if (found) {
        memset(b, 0, sizeof *b);
        b->id = sqlite3_column_int64(st, 0);
        b->created_at_ms = sqlite3_column_int64(st, 1);
        b->until_date = sqlite3_column_int(st, 2);
        snprintf(b->created_by, sizeof b->created_by, "%s", s_col_text(st, 3));
        b->n_lines = sqlite3_column_int(st, 4);
        b->total = sqlite3_column_int64(st, 5);
        b->settled = sqlite3_column_int(st, 6);
    }
    if (s_done(sp, st, rc, "payment batch") != 0) return -1;
    return found ? 0 : 1;
}

int store_pay_batch_check_settled(struct store_payments *sp, int64_t id, int *settled)
{
    sqlite3_stmt *st = sp->st[SP_BATCH_SETTLED];
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    *settled = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) rc = sqlite3_step(st);
    return s_done(sp, st, rc, "payment batch settled");
}

int store_pay_claim_state(struct store_payments *sp, int64_t claim_id, int *state)
{
    sqlite3_stmt *st = sp->st[SP_CLAIM_STATE];
    sqlite3_bind_int64(st, 1, claim_id);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW;
    *state = found ? sqlite3_column_int(st, 0) : 0;
    if (s_done(sp, st, rc, "claim payment state") != 0) return -1;
    return found ? 0 : 1;
}

int store_pay_set_claim_state(struct store_payments *sp, int64_t claim_id, int state)
{
    sqlite3_stmt *st = sp->st[SP_SET_CLAIM_STATE];
    sqlite3_bind_int64(st, 1, claim_id);
    sqlite3_bind_int(st, 2, state);
    return s_done(sp, st, sqlite3_step(st), "set claim payment state");
}

int store_payee_accounts(struct store_payments *sp, int64_t claim_id, struct store_payee_account accts[PAY_MAX_PAYEES],
                         int has[PAY_MAX_PAYEES])
{
    sqlite3_stmt *st = sp->st[SP_ACCOUNTS];
    sqlite3_bind_int64(st, 1, claim_id);
    memset(has, 0, PAY_MAX_PAYEES * sizeof *has);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int p = sqlite3_column_int(st, 0);
        if (p < 0 || p >= PAY_MAX_PAYEES) continue;
        struct store_payee_account *a = &accts[p];
        memset(a, 0, sizeof *a);
        a->payee = p;
        snprintf(a->bank.code, sizeof a->bank.code, "%s", s_col_text(st, 1));
        snprintf(a->bank.account, sizeof a->bank.account, "%s", s_col_text(st, 2));
        snprintf(a->bank.name, sizeof a->bank.name, "%s", s_col_text(st, 3));
        a->at_ms = sqlite3_column_int64(st, 4);
        has[p] = 1;
    }
    return s_done(sp, st, rc, "payee accounts");
}

int store_payee_account_set(struct store_payments *sp, int64_t claim_id, int payee, const struct klaim_bank *bank,
                            const char *by, const char *client, int64_t at_ms)
{
    sqlite3_stmt *st = sp->st[SP_ACCOUNT_SET];
    sqlite3_bind_int64(st, 1, claim_id);
    sqlite3_bind_int(st, 2, payee);
    sqlite3_bind_text(st, 3, bank->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, bank->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, bank->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, client, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, at_ms);
    return s_done(sp, st, sqlite3_step(st), "set payee account");
}

/* test_store.c - store.c against a real SQLite file in a temp dir:
 * idempotent insert, same-event lookup, lease/decide with stale attempts,
 * requeue, the recovery query, and durability across close/reopen; the
 * participant chains (kpjmap.c) across rollback and reopen. */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpjmap.h"
#include "store.h"

static char s_dir[] = "/tmp/klaim-store-test.XXXXXX";
static char s_path[256];

static struct store *s_open(void)
{
    char err[256];
    struct store *s = store_open(s_path, err, sizeof err);
    if (!s) fail_msg("store_open: %s", err);
    return s;
}

static struct store_new_claim s_claim(const char *key, const char *kpj, kdate day, int state)
{
    static const uint8_t digest[32] = {1, 2, 3};
    static const uint8_t blob[] = {0x0a, 0x03, 'a', 'b', 'c'};
    struct store_new_claim c = {.idem_key = key, .digest = digest, .owner = "local", .program = PROGRAM_JKK,
                                .kpj = kpj, .event_date = day, .claim = blob, .claim_len = sizeof blob,
                                .state = state, .received_at_ms = 1700000000000};
    return c;
}

static int setup(void **st)
{
    if (!mkdtemp(s_dir)) return -1;
    snprintf(s_path, sizeof s_path, "%s/klaim.db", s_dir);
    return 0;
}

static int teardown(void **st)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The counts the store keeps (store_count_states) against a count of the
 * committed rows by a second connection. */
static void s_check_counts(struct store *s)
{
    uint64_t kept[8], real[8] = {0};
    store_count_states(s, kept);
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open_v2(s_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT state, count(*) FROM claims GROUP BY state", -1, &q, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) real[sqlite3_column_int(q, 0)] = (uint64_t)sqlite3_column_int64(q, 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
    for (int i = 1; i < 8; i++) {
        if (kept[i] != real[i]) fail_msg("state %d: store keeps %llu, the table has %llu", i,
                                         (unsigned long long)kept[i], (unsigned long long)real[i]);
    }
}

static void test_idempotent_insert(void **st)
{
    struct store *s = s_open();
    struct store_new_claim c = s_claim("K-1", "24000000001", 20000, STATE_RECEIVED);
    int64_t id = 0, id2 = 0;
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &c, 0, &id), 0);
    assert_true(id > 0);
    /* the same key again, even in the same transaction: nothing written */
    assert_int_equal(store_insert_claim(s, &c, 0, &id2), 1);
    assert_int_equal(store_commit(s), 0);
    struct store_claim_row row;
    assert_int_equal(store_get_by_key(s, "K-1", &row), 0);
    assert_int_equal(row.id, id);
    assert_int_equal(row.state, STATE_RECEIVED);
    assert_int_equal(row.digest[1], 2);
    assert_string_equal(row.owner, "local");
    assert_null(row.decision);
    store_claim_row_clear(&row);
    assert_int_equal(store_get_by_key(s, "K-404", &row), 1);
    uint64_t counts[8];
    store_count_states(s, counts);
    assert_int_equal(counts[STATE_RECEIVED], 1);
    store_close(&s);
    assert_null(s);
}

static void test_same_event(void **st)
{
    struct store *s = s_open();
    int64_t dup = -1, id;
    struct store_new_claim c = s_claim("K-2", "24000000002", 20100, STATE_RECEIVED);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_find_same_event(s, &c, &dup), 0);
    assert_int_equal(dup, 0);
    assert_int_equal(store_insert_claim(s, &c, 0, &id), 0);
    struct store_new_claim same = s_claim("K-3", "24000000002", 20100, STATE_RECEIVED);
    assert_int_equal(store_find_same_event(s, &same, &dup), 0);
    assert_int_equal(dup, id);
    struct store_new_claim other_day = s_claim("K-4", "24000000002", 20101, STATE_RECEIVED);
    assert_int_equal(store_find_same_event(s, &other_day, &dup), 0);
    assert_int_equal(dup, 0);
    /* a JKM death and a JKK death on the same date are the same event */
    struct store_new_claim jkk_death = s_claim("K-5", "24000000003", 20200, STATE_RECEIVED);
    jkk_death.has_death_date = 1, jkk_death.death_date = 20205;
    assert_int_equal(store_insert_claim(s, &jkk_death, 0, &id), 0);
    struct store_new_claim jkm = s_claim("K-6", "24000000003", 20205, STATE_RECEIVED);
    jkm.program = PROGRAM_JKM, jkm.has_death_date = 1, jkm.death_date = 20205;
    assert_int_equal(store_find_same_event(s, &jkm, &dup), 0);
    assert_int_equal(dup, id);
    assert_int_equal(store_commit(s), 0);
    store_close(&s);
}

static void test_kpjmap(void **st)
{
    assert_int_equal(kpjmap_key("24000000001"), 24000000001ULL + 1);
    assert_int_equal(kpjmap_key("00000000000"), 1);
    assert_int_equal(kpjmap_key("2400000000"), 0);
    assert_int_equal(kpjmap_key("240000000012"), 0);
    assert_int_equal(kpjmap_key("2400000000a"), 0);
    assert_int_equal(kpjmap_key(""), 0);
    struct kpjmap *m = kpjmap_new();
    /* far past the first table size: growth keeps every entry */
    for (uint64_t i = 1; i <= 100000; i++)
        assert_int_equal(kpjmap_put(m, i * 7919, (struct kpj_head){(int64_t)i, i << 3}).id, 0);
    assert_int_equal(kpjmap_count(m), 100000);
    for (uint64_t i = 1; i <= 100000; i++) {
        struct kpj_head h = kpjmap_get(m, i * 7919);
        assert_int_equal(h.id, (int64_t)i);
        assert_int_equal(h.sig, i << 3);
    }
    assert_int_equal(kpjmap_get(m, 5).id, 0);
    assert_int_equal(kpjmap_put(m, 7919, (struct kpj_head){42, 1}).id, 1);
    assert_int_equal(kpjmap_get(m, 7919).id, 42);
    assert_int_equal(kpjmap_put(m, 7919, (struct kpj_head){0, 0}).id, 42); /* forgotten */
    assert_int_equal(kpjmap_get(m, 7919).id, 0);
    assert_int_equal(kpjmap_count(m), 99999);
    assert_int_equal(kpjmap_put(m, 0, (struct kpj_head){9, 9}).id, 0); /* no key, nothing stored */
    assert_int_equal(kpjmap_get(m, 0).id, 0);
    kpjmap_free(&m);
    assert_null(m);
}

/* The participant chains: the same-event lookup follows them; a rollback
 * takes back what the transaction added; a reopen rebuilds the heads. */
static void test_participant_chain(void **st)
{
    struct store *s = s_open();
    int64_t a1, b1, a2, a3, dup;
    struct store_new_claim c_a1 = s_claim("P-1", "24000000101", 21000, STATE_RECEIVED);
    struct store_new_claim c_b1 = s_claim("P-2", "24000000102", 21000, STATE_RECEIVED);
    struct store_new_claim c_a2 = s_claim("P-3", "24000000101", 21005, STATE_RECEIVED);
    struct store_new_claim c_a3 = s_claim("P-4", "24000000101", 21000, STATE_RECEIVED); /* a1's event again */
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &c_a1, 0, &a1), 0);
    assert_int_equal(store_insert_claim(s, &c_b1, 0, &b1), 0);
    assert_int_equal(store_insert_claim(s, &c_a2, 0, &a2), 0);
    assert_int_equal(store_find_same_event(s, &c_a3, &dup), 0);
    assert_int_equal(dup, a1);
    assert_int_equal(store_insert_claim(s, &c_a3, a1, &a3), 0);
    assert_int_equal(store_commit(s), 0);
    /* the first claim of the event, not the newest */
    struct store_new_claim again = s_claim("P-5", "24000000101", 21000, STATE_RECEIVED);
    assert_int_equal(store_find_same_event(s, &again, &dup), 0);
    assert_int_equal(dup, a1);

    /* rolled back: the claim and its place in the chain are gone */
    struct store_new_claim c_a4 = s_claim("P-6", "24000000101", 21010, STATE_RECEIVED);
    struct store_new_claim c_c1 = s_claim("P-7", "24000000103", 21010, STATE_RECEIVED);
    int64_t a4, c1;
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &c_a4, 0, &a4), 0);
    assert_int_equal(store_insert_claim(s, &c_c1, 0, &c1), 0);
    assert_int_equal(store_find_same_event(s, &c_a4, &dup), 0);
    assert_int_equal(dup, a4);
    store_rollback(s);
    assert_int_equal(store_find_same_event(s, &c_a4, &dup), 0);
    assert_int_equal(dup, 0);
    assert_int_equal(store_find_same_event(s, &c_c1, &dup), 0);
    assert_int_equal(dup, 0);
    assert_int_equal(store_find_same_event(s, &c_a2, &dup), 0);
    assert_int_equal(dup, a2);
    store_close(&s);

    /* reopened: the heads come back from the store */
    s = s_open();
    assert_int_equal(store_find_same_event(s, &again, &dup), 0);
    assert_int_equal(dup, a1);
    assert_int_equal(store_find_same_event(s, &c_a2, &dup), 0);
    assert_int_equal(dup, a2);
    assert_int_equal(store_find_same_event(s, &c_b1, &dup), 0);
    assert_int_equal(dup, b1);
    assert_int_equal(store_find_same_event(s, &c_c1, &dup), 0);
    assert_int_equal(dup, 0);
    /* a death date stored by test_same_event (K-5) matches after the rebuild */
    struct store_new_claim jkm = s_claim("P-8", "24000000003", 20210, STATE_RECEIVED);
    jkm.program = PROGRAM_JKM, jkm.has_death_date = 1, jkm.death_date = 20205;
    assert_int_equal(store_find_same_event(s, &jkm, &dup), 0);
    assert_true(dup > 0);
    jkm.death_date = 20206;
    assert_int_equal(store_find_same_event(s, &jkm, &dup), 0);
    assert_int_equal(dup, 0);
    store_close(&s);
}

/* A store of schema 6 (claims_event, no chains) opened by this version:
 * migration 6 -> 7 links each claim to its participant's previous one. */
static void test_migration_to_chains(void **st)
{
    struct store *s = s_open();
    int64_t x1, x2, x3, dup;
    struct store_new_claim c1 = s_claim("M-1", "24000000201", 22000, STATE_RECEIVED);
    struct store_new_claim c2 = s_claim("M-2", "24000000201", 22001, STATE_RECEIVED);
    struct store_new_claim c3 = s_claim("M-3", "24000000201", 22000, STATE_RECEIVED);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &c1, 0, &x1), 0);
    assert_int_equal(store_insert_claim(s, &c2, 0, &x2), 0);
    assert_int_equal(store_insert_claim(s, &c3, x1, &x3), 0);
    assert_int_equal(store_commit(s), 0);
    store_close(&s);
    /* back to schema 6 as it was shipped */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(s_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP INDEX claims_kpj_scan; ALTER TABLE claims DROP COLUMN kpj_prev;"
                                  "CREATE INDEX claims_event ON claims(kpj, program, event_date);"
                                  "DELETE FROM meta WHERE key GLOB 'claims_state_*';"
                                  /* what version 10 added (the payment clock) */
                                  "DROP INDEX claims_payment_clock; ALTER TABLE claims DROP COLUMN payment_clock;"
                                  /* and what version 8 added */
                                  "DROP TABLE deaths; DROP TABLE payment_batches; DROP TABLE payment_lines;"
                                  "DROP TABLE payee_accounts; DROP INDEX claims_payable;"
                                  "ALTER TABLE claims DROP COLUMN earlier_death;"
                                  "ALTER TABLE claims DROP COLUMN review_heirs;"
                                  "ALTER TABLE claims DROP COLUMN approval;"
                                  "ALTER TABLE claims DROP COLUMN approved_by;"
                                  "ALTER TABLE claims DROP COLUMN payment_state;"
                                  "ALTER TABLE reviews DROP COLUMN heirs; ALTER TABLE reviews DROP COLUMN identity;"
                                  "DELETE FROM meta WHERE key = 'deaths_backfill'; PRAGMA user_version=6;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    s = s_open();
    struct store_new_claim again = s_claim("M-4", "24000000201", 22000, STATE_RECEIVED);
    assert_int_equal(store_find_same_event(s, &again, &dup), 0);
    assert_int_equal(dup, x1);
    assert_int_equal(store_find_same_event(s, &c2, &dup), 0);
    assert_int_equal(dup, x2);
    s_check_counts(s); /* counted by the migration */
    store_close(&s);
    assert_int_equal(sqlite3_open(s_path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(kpj_prev) FROM (SELECT kpj_prev FROM claims"
                                            " WHERE kpj = '24000000201' ORDER BY id)", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    char want[64];
    snprintf(want, sizeof want, "0,%lld,%lld", (long long)x1, (long long)x2);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), want);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void test_lease_decide_recover(void **st)
{
    struct store *s = s_open();
    struct store_new_claim c = s_claim("K-7", "24000000007", 20300, STATE_RECEIVED);
    int64_t id, dup, recv;
    uint32_t waive = 99;
    int attempt;
    uint8_t *blob;
    size_t len;
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &c, 0, &id), 0);
    assert_int_equal(store_lease(s, id, &attempt, &blob, &len, &dup, &recv, &waive), 0);
    assert_int_equal(attempt, 1);
    assert_int_equal(len, 5);
    assert_int_equal(recv, 1700000000000);
    assert_int_equal(waive, 0);
    free(blob);
    /* a second lease supersedes the first: the first can no longer record */
    assert_int_equal(store_lease(s, id, &attempt, &blob, &len, &dup, &recv, &waive), 0);
    assert_int_equal(attempt, 2);
    free(blob);
    const uint8_t d[] = {0x18, 0x03};
    assert_int_equal(store_decide(s, id, 1, STATE_APPROVED, 5, d, sizeof d, 1, NULL), 1);
    assert_int_equal(store_commit(s), 0);

    /* a crash now: recovery puts PROCESSING back to RECEIVED, uncharged */
    store_close(&s);
    s = s_open();
    assert_int_equal(store_recover(s), 1);
    s_check_counts(s);
    struct store_claim_row row;
    assert_int_equal(store_get_by_id(s, id, &row), 0);
    assert_int_equal(row.state, STATE_RECEIVED);
    assert_int_equal(row.attempt, 1);
    store_claim_row_clear(&row);
    assert_int_equal(store_recover(s), 0);

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_lease(s, id, &attempt, &blob, &len, &dup, &recv, &waive), 0);
    free(blob);
    assert_int_equal(attempt, 2);
    assert_int_equal(store_requeue(s, id, attempt, 0, 99), 0); /* uncharged retry */
    assert_int_equal(store_lease(s, id, &attempt, &blob, &len, &dup, &recv, &waive), 0);
    free(blob);
    assert_int_equal(attempt, 2);
    assert_int_equal(store_decide(s, id, attempt, STATE_APPROVED, 42000000, d, sizeof d, 1234, NULL), 0);
    /* decided: no more leases, no second decision */
    assert_int_equal(store_lease(s, id, &attempt, &blob, &len, &dup, &recv, &waive), 1);
    assert_int_equal(store_decide(s, id, attempt, STATE_REJECTED, 0, d, sizeof d, 1235, NULL), 1);
    assert_int_equal(store_commit(s), 0);
    s_check_counts(s);
    store_close(&s);

    s = s_open();
    assert_int_equal(store_get_by_id(s, id, &row), 0);
    assert_int_equal(row.state, STATE_APPROVED);
    assert_int_equal(row.decided_at_ms, 1234);
    assert_int_equal(row.decision_len, sizeof d);
    store_claim_row_clear(&row);
    store_close(&s);
}

static void test_rollback_and_meta(void **st)
{
    struct store *s = s_open();
    struct store_new_claim c = s_claim("K-8", "24000000008", 20400, STATE_RECEIVED);
    int64_t id, v = -1;
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &c, 0, &id), 0);
    assert_int_equal(store_meta_set(s, "registry_gen", 7), 0);
    store_rollback(s);
    struct store_claim_row row;
    assert_int_equal(store_get_by_key(s, "K-8", &row), 1);
    assert_int_equal(store_meta_get(s, "registry_gen", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_meta_set(s, "registry_gen", 7), 0);
    assert_int_equal(store_commit(s), 0);
    assert_int_equal(store_meta_get(s, "registry_gen", &v), 0);
    assert_int_equal(v, 7);
    s_check_counts(s);
    store_close(&s);
}

/* Reviews move PENDING_REVIEW and DEAD claims; the counts follow. */
static void test_review_counts(void **st)
{
    struct store *s = s_open();
    struct store_new_claim a = s_claim("R-1", "24000000301", 20500, STATE_PROCESSING);
    struct store_new_claim b = s_claim("R-2", "24000000302", 20500, STATE_PROCESSING);
    int64_t ida, idb;
    const uint8_t d[] = {0x18, 0x05};
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &a, 0, &ida), 0);
    assert_int_equal(store_insert_claim(s, &b, 0, &idb), 0);
    assert_int_equal(store_decide(s, ida, 1, STATE_PENDING_REVIEW, 0, d, sizeof d, 1, NULL), 0);
    assert_int_equal(store_decide(s, idb, 1, STORE_STATE_DEAD, 0, d, sizeof d, 1, NULL), 0);
    assert_int_equal(store_commit(s), 0);
    s_check_counts(s);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_review_approve(s, ida, 0, "by:a", NULL, 0), 0);
    assert_int_equal(store_review_reject(s, idb, d, sizeof d, 2), 0);
    assert_int_equal(store_review_approve(s, idb, 0, "by:a", NULL, 0), 1); /* no longer reviewable */
    assert_int_equal(store_commit(s), 0);
    s_check_counts(s);
    /* a rolled-back transaction leaves the counts as they were */
    struct store_new_claim c = s_claim("R-3", "24000000303", 20500, STATE_RECEIVED);
    int64_t idc;
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &c, 0, &idc), 0);
    store_rollback(s);
    s_check_counts(s);
    store_close(&s);
    s = s_open(); /* and a reopen reads them back */
    s_check_counts(s);
    store_close(&s);
}

/* Four eyes in the store (docs/money.md §5): approve records approval 1,
 * its identity and heirs; confirm turns an AWAITING_CONFIRMATION claim
 * APPROVED (counts follow), or only records the approval otherwise; the
 * review queue lists AWAITING_CONFIRMATION; reviews keep identity and heirs. */
static void test_four_eyes(void **st)
{
    struct store *s = s_open();
    struct store_new_claim a = s_claim("F-1", "24000000401", 20500, STATE_PROCESSING);
    struct store_new_claim b = s_claim("F-2", "24000000402", 20500, STATE_PROCESSING);
    int64_t ida, idb;
    const uint8_t d[] = {0x18, 0x05}, d2[] = {0x18, 0x03}, heirs[] = {0x6a, 0x00};
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_insert_claim(s, &a, 0, &ida), 0);
    assert_int_equal(store_insert_claim(s, &b, 0, &idb), 0);
    assert_int_equal(store_decide(s, ida, 1, STATE_PENDING_REVIEW, 0, d, sizeof d, 1, NULL), 0);
    assert_int_equal(store_decide(s, idb, 1, STATE_PENDING_REVIEW, 0, d, sizeof d, 1, NULL), 0);
    struct store_review_inputs in;
    assert_int_equal(store_review_confirm(s, ida, NULL, 0, 2), 1); /* nothing to confirm */
    assert_int_equal(store_review_approve(s, ida, 4, "Sri Lestari", heirs, sizeof heirs), 0);
    assert_int_equal(store_review_approve(s, idb, 4, "by:Sri", NULL, 0), 0);
    struct store_review rev = {.claim_id = ida, .action = 1, .reason_code = "HEIRS_MISSING", .by = "Sri",
                               .client = "Sri Lestari", .note = "", .at_ms = 3, .identity = "Sri Lestari",
                               .heirs = heirs, .heirs_len = sizeof heirs};
    assert_int_equal(store_review_record(s, &rev), 0);
    assert_int_equal(store_review_inputs(s, ida, &in), 0);
    assert_int_equal(in.approval, 1);
    assert_string_equal(in.approved_by, "Sri Lestari");
    assert_int_equal(in.review_heirs_len, sizeof heirs);
    assert_memory_equal(in.review_heirs, heirs, sizeof heirs);
    assert_non_null(in.claim);
    store_review_inputs_clear(&in);
    assert_int_equal(store_review_inputs(s, 999999, &in), 1);
    /* a: decided again and waiting for the second reviewer; b: confirmed
     * early, while it is still RECEIVED */
    int attempt;
    uint8_t *blob;
    size_t len;
    int64_t dup, recv;
    uint32_t waive;
    assert_int_equal(store_lease(s, ida, &attempt, &blob, &len, &dup, &recv, &waive), 0);
    free(blob);
    assert_int_equal(store_decide(s, ida, attempt, STATE_AWAITING_CONFIRMATION, 9, d2, sizeof d2, 4, NULL), 0);
    assert_int_equal(store_review_confirm(s, idb, NULL, 0, 5), 0);
    assert_int_equal(store_review_confirm(s, idb, NULL, 0, 5), 1); /* confirmed already */
    assert_int_equal(store_commit(s), 0);
    s_check_counts(s);
    int64_t ids[4];
    int n;
    assert_int_equal(store_review_list(s, 0, 4, ids, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], ida);
    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_review_confirm(s, ida, d, sizeof d, 6), 0);
    assert_int_equal(store_commit(s), 0);
    s_check_counts(s);
    struct store_claim_row row;
    assert_int_equal(store_get_by_id(s, ida, &row), 0);
    assert_int_equal(row.state, STATE_APPROVED);
    assert_int_equal(row.decided_at_ms, 6);
    assert_memory_equal(row.decision, d, sizeof d);
    store_claim_row_clear(&row);
    assert_int_equal(store_review_inputs(s, ida, &in), 0);
    assert_int_equal(in.approval, 2);
    store_review_inputs_clear(&in);
    assert_int_equal(store_review_list(s, 0, 4, ids, &n), 0);
    assert_int_equal(n, 0);
    store_close(&s);
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(s_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT identity, length(heirs) FROM reviews WHERE claim_id = ?1", -1, &q,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(q, 1, ida);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "Sri Lestari");
    assert_int_equal(sqlite3_column_int(q, 1), sizeof heirs);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT payment_state FROM claims WHERE id = ?1", -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_int64(q, 1, ida);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotent_insert),
        cmocka_unit_test(test_same_event),
        cmocka_unit_test(test_kpjmap),
        cmocka_unit_test(test_participant_chain),
        cmocka_unit_test(test_migration_to_chains),
        cmocka_unit_test(test_lease_decide_recover),
        cmocka_unit_test(test_rollback_and_meta),
        cmocka_unit_test(test_review_counts),
        cmocka_unit_test(test_four_eyes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

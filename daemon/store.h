/* store.h - klaim.db: the durable queue and the record of every decision.
 *
 * Owns: the one write connection, the schema and its migrations, every
 * prepared statement klaimd runs. No other file speaks SQL.
 * Runs in: klaimd main loop only (one writer; architecture.md §1).
 * Every write runs inside the transaction batch.c opened; a function here
 * never commits. Functions return 0 on success, -1 on a store error (the
 * caller hands that to batch_fail()), and 1 where a documented "no row"
 * outcome exists.
 */
#ifndef KLAIM_STORE_H
#define KLAIM_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Internal state beyond the contract's five: parked after max_attempts.
 * Shown to clients as PENDING_REVIEW with reason PROCESSING_FAILED. */
#define STORE_STATE_DEAD 6

struct store;

/* Open (creating if needed) DATA/klaim.db, set and check the pragmas (WAL,
 * synchronous=FULL, foreign_keys, busy_timeout) and migrate the schema.
 * Returns NULL with a message in err on failure (a fatal environment error). */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store **s);
/* The write connection, for store_dispatch.c (the dispatch feed, cases and
 * clocks) and store_payments.c (payment batches, lines and payee accounts)
 * only: they keep their statements there; no other file speaks SQL. */
struct sqlite3;
struct sqlite3 *store_db(struct store *s);
/* The last SQLite error text, for logs. */
const char *store_errmsg(struct store *s);
/* Truncating checkpoint at clean shutdown (at FULL). */
void store_checkpoint(struct store *s);
/* klaimd's writer: COMMIT without fsync (synchronous=OFF), no
 * autocheckpoint; the caller syncs the WAL, whose path it gets in wal,
 * before anything depends on a commit (batch.c, walsync.c). 0, or -1. */
int store_async_commit(struct store *s, char *wal, size_t wal_len, char *err, size_t errlen);
/* Checkpoints the writer ran itself because the WAL outgrew its bound. */
uint64_t store_writer_checkpoints(const struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Startup recovery (architecture.md §4): every PROCESSING claim goes back to
 * RECEIVED without charging its attempt. Returns the count, or -1. */
int64_t store_recover(struct store *s);
/* Calls fn for each RECEIVED claim in id order (the dispatch queue). */
int store_each_received(struct store *s, void (*fn)(void *arg, int64_t id, int64_t not_before_ms), void *arg);

/* What intake needs to insert a new claim. */
struct store_new_claim {
    const char *idem_key;
    const uint8_t *digest;      /* 32 bytes */
    const char *owner;
    int program;
    const char *kpj;
    kdate event_date;
    int has_death_date;         /* a death claim (rules.md §6) */
    kdate death_date;
    const uint8_t *claim;       /* canonical encoding */
    size_t claim_len;
    int state;                  /* STATE_RECEIVED or STATE_PROCESSING (leased at once) */
    int64_t received_at_ms;
    int64_t earlier_death;      /* store_find_earlier_death's answer, 0 if none */
};

/* What a lookup by key or id returns. */
struct store_claim_row {
    int64_t id;
    uint8_t digest[32];
    char owner[64];
    int state;
    int attempt;
    int program;
    char idem_key[KLAIM_KEY_MAX + 1];
    int64_t received_at_ms;
    int64_t decided_at_ms;
    uint8_t *decision;          /* xmalloc'ed packed Klaim__Decision or NULL */
    size_t decision_len;
    int provisional;            /* decided on a stale registry */
};
void store_claim_row_clear(struct store_claim_row *r);

/* Earlier stored claim for the same event (rules.md §6): same kpj and either
 * the same program and event date, or both death claims with the same
 * death date. Returns 0 with *id set (0 when none), or -1. */
int store_find_same_event(struct store *s, const struct store_new_claim *c, int64_t *id);

/* One claim of a participant, as store_kpj_claims() walks them. */
struct store_kpj_claim {
    int64_t id;
    int program;
    kdate event_date;
    int has_death_date;
    kdate death_date;
    int state;
};
/* Returns nonzero to stop the walk. */
typedef int (*store_kpj_fn)(void *arg, const struct store_kpj_claim *c);
/* Calls fn for each claim stored with kpj, newest first (uncommitted ones
 * of the open transaction included). 0 when the walk ended, 1 when fn
 * stopped it, -1 on a store error. */
int store_kpj_claims(struct store *s, const char *kpj, store_kpj_fn fn, void *arg);

/* Insert unless the key exists. Returns 0 with *id (new row, attempt 1 if
 * state is PROCESSING), 1 when the key is already taken (nothing written;
 * read it with store_get_by_key), or -1. */
int store_insert_claim(struct store *s, const struct store_new_claim *c, int64_t duplicate_of, int64_t *id);

/* Returns 0 and fills row, 1 when absent, -1 on error. */
int store_get_by_key(struct store *s, const char *key, struct store_claim_row *row);
int store_get_by_id(struct store *s, int64_t id, struct store_claim_row *row);

/* Lease an undecided claim: PROCESSING, attempt+1. The broker is the only
 * judge of who holds a lease: it calls this only for claims no worker holds
 * in memory, which includes a PROCESSING row whose decision was rolled back.
 * A lease older than this one can no longer record (store_decide checks the
 * attempt). Returns 0 with the new attempt and the job's inputs (claim bytes
 * xmalloc'ed), 1 if the claim is decided already, -1 on error. */
int store_lease(struct store *s, int64_t id, int *attempt, uint8_t **claim, size_t *claim_len,
                int64_t *duplicate_of, int64_t *received_at_ms, uint32_t *waive);

/* ---- the money path (docs/money.md) ---- */

/* Remembers a stored death claim of a NIK (call after its insert, in the
 * same transaction). 0 or -1. */
int store_death_record(struct store *s, const char *nik, int64_t claim_id, kdate death_date);
/* The earlier death of a person: a stored death claim of this NIK (any
 * kpj, any state) with death date D such that event_date > D, or this is a
 * death claim with a death date other than D. Answered from memory. 0 with
 * *id (0 when none: otherwise the claim with the first such D, else the
 * one with the last), or -1. */
int store_find_earlier_death(struct store *s, const char *nik, kdate event_date, int has_death_date,
                             kdate death_date, int64_t *id);

/* What a JOB needs beside store_lease's answer. */
struct store_lease_extras {
    int64_t earlier_death;      /* claims.earlier_death */
    kdate earlier_death_date;   /* that claim's death date */
    uint8_t *review_heirs;      /* xmalloc'ed packed klaim.Claim holding heirs, or NULL */
    size_t review_heirs_len;
};
int store_lease_extras(struct store *s, int64_t id, struct store_lease_extras *x);
void store_lease_extras_clear(struct store_lease_extras *x);

/* The APPROVED and AWAITING_CONFIRMATION claims of claim id's event (rules:
 * same kpj, and same program and event date or the same death date), other
 * than id, oldest first: what a follow-up is netted against. At most max;
 * more is an error. With approval, also claims.approval (four eyes: 0 none,
 * 1 approved on review and awaiting a second reviewer, 2 confirmed). One
 * row read; the participant's chain only when another claim may share the
 * event. 0 with *n, or -1. */
int store_same_event_approved(struct store *s, int64_t id, int64_t *ids, int max, int *n, int *approval);
/* A claim's stored bytes and decision (both xmalloc'ed). 0 or -1. */
int store_prior(struct store *s, int64_t id, uint8_t **claim, size_t *claim_len, uint8_t **decision,
                size_t *decision_len);

/* Record a decision for (id, attempt) if that lease is still current.
 * Returns 0 when recorded, 1 when stale (no row changed), -1 on error. */
struct store_facts;
/* ... together with the registry facts it was made on (NULL: none). */
int store_decide(struct store *s, int64_t id, int attempt, int state, int64_t total, const uint8_t *decision,
                 size_t decision_len, int64_t decided_at_ms, const struct store_facts *facts);

/* Put a leased claim back to RECEIVED for a retry at not_before_ms.
 * charge=0 also gives back the attempt (a retry that was not its fault).
 * Returns 0, 1 if stale, -1. */
int store_requeue(struct store *s, int64_t id, int attempt, int charge, int64_t not_before_ms);

/* Running SLA clocks (ACK or DECISION, neither met nor breached), kept in
 * memory so that /metrics does not count them in the main loop: set once
 * at start from the store (sla.c), moved by cases.c with each case write
 * of the open transaction, taken back by a rollback. */
void store_clocks_init(struct store *s, uint64_t n);
void store_clocks_moved(struct store *s, int delta);
uint64_t store_clocks_running(const struct store *s);
/* Open (not closed) dispatch cases and the SLA breaches written since
 * start by clock bit (SLA_REPORT, SLA_DECISION, SLA_ACK), for /metrics:
 * kept like the running clocks (set at start by sla.c, moved by cases.c in
 * the open transaction, taken back by a rollback), so a scrape never
 * counts rows. */
void store_cases_init(struct store *s, uint64_t open);
void store_cases_moved(struct store *s, int open_delta, int breached_bits);
uint64_t store_cases_open_now(const struct store *s);
uint64_t store_sla_breaches(const struct store *s, int clock_bit);

/* Counts by state (index 0..7); for stats. */
void store_count_states(const struct store *s, uint64_t counts[8]);

/* Small integer settings (registry generation and row count). */
int store_meta_get(struct store *s, const char *key, int64_t *value);
int store_meta_set(struct store *s, const char *key, int64_t value);

/* ---- registry facts of a decided claim (exports, reports), written with
 * the decision by store_decide() ---- */

struct store_facts {
    int known;                  /* 0: the kpj was not in the registry */
    const char *name, *category, *sponsor, *regency;
    int provisional;            /* decided on a registry older than registry_max_age */
    const char *reason;         /* first reason code, NULL when APPROVED */
};

/* ---- export and reports ---- */

struct store_export_row {
    int64_t id;
    const char *idem_key;
    int program;
    int64_t received_at_ms, decided_at_ms;
    const void *decision, *claim;
    size_t decision_len, claim_len;
    const char *member_name, *category, *sponsor, *regency; /* NULL if unknown */
    int provisional;
};
/* Decided claims with id > after_id and decided at or after since_ms, in id
 * order, at most limit (valid during fn). */
int store_export_page(struct store *s, int64_t after_id, int64_t since_ms, int limit,
                      void (*fn)(void *arg, const struct store_export_row *r), void *arg);

struct store_report_row {
    const char *regency, *sponsor, *reason; /* "" when unknown / APPROVED */
    int program;
    uint64_t claims, approved, rejected, pending_review;
    int64_t paid;               /* APPROVED totals, Rupiah */
};
/* Decided claims between from_ms and to_ms grouped by regency, program,
 * sponsor and first reason. */
int store_report_claims(struct store *s, int64_t from_ms, int64_t to_ms,
                        void (*fn)(void *arg, const struct store_report_row *r), void *arg);
/* The same for claims whose event date (accident, death) is in from..to
 * (WIB dates, inclusive), whenever they were decided. */
int store_report_claims_by_event(struct store *s, kdate from, kdate to,
                                 void (*fn)(void *arg, const struct store_report_row *r), void *arg);

/* ---- audit chain (proto/audit.h says how entries are hashed) ---- */

/* Appends an entry in the open transaction; its seq and hash follow the
 * current head, which moves only when the transaction commits. */
int store_audit(struct store *s, int64_t at_ms, int64_t claim_id, const char *actor, const char *action,
                const char *detail);
struct store_audit_row {
    int64_t seq, at_ms, claim_id;
    const char *actor, *action, *detail;
    const void *prev_hash, *hash;
    size_t prev_hash_len, hash_len;
};
/* Up to limit entries with seq > after_seq, in order (valid during fn). */
int store_audit_page(struct store *s, int64_t after_seq, int limit,
                     void (*fn)(void *arg, const struct store_audit_row *r), void *arg);
/* A claim's entries, in order. */
int store_audit_of(struct store *s, int64_t claim_id, void (*fn)(void *arg, const struct store_audit_row *r),
                   void *arg);
/* The last committed seq (0 when empty). */
int64_t store_audit_head(const struct store *s);

/* ---- review queue (PENDING_REVIEW, DEAD and AWAITING_CONFIRMATION claims) ---- */

struct store_review {
    int64_t claim_id;
    int action;                 /* Klaim__ReviewAction */
    const char *reason_code;
    const char *by;
    const char *client;
    const char *note;
    int64_t at_ms;
    const char *identity;       /* who it counts as for four eyes ("" before schema 8) */
    const void *heirs;          /* APPROVE: the reviewer's heirs, a packed Klaim__Claim (heirs only), or NULL */
    size_t heirs_len;
};

/* Up to limit claim ids awaiting review or a second reviewer (states 5, 6
 * and 7) with id > after_id, ascending. */
int store_review_list(struct store *s, int64_t after_id, int limit, int64_t *ids, int *n);
/* Approve: back to RECEIVED with the reason's waiver bit added and the
 * attempt count reset, to be decided again; approval = 1 with approved_by
 * (four eyes). heirs (a packed Klaim__Claim holding only heirs), when not
 * NULL, become the claim's review_heirs. 0, 1 if not awaiting review, -1. */
int store_review_approve(struct store *s, int64_t id, uint32_t waive, const char *approved_by, const uint8_t *heirs,
                         size_t heirs_len);
/* Reject: final REJECTED with the given decision. 0, 1 if not awaiting review, -1. */
int store_review_reject(struct store *s, int64_t id, const uint8_t *decision, size_t decision_len, int64_t at_ms);

/* What a review checks beyond the claim row: the canonical claim, the
 * four-eyes approval (0 none, 1 awaiting a second reviewer, 2 confirmed),
 * the first approver's identity and the reviewer's heirs. Buffers are
 * xmalloc'ed (NULL when empty); free with store_review_inputs_clear(). */
struct store_review_inputs {
    uint8_t *claim;
    size_t claim_len;
    int approval;
    char approved_by[96];
    uint8_t *review_heirs;
    size_t review_heirs_len;
};
/* 0 and in filled, 1 when there is no such claim, -1. */
int store_review_inputs(struct store *s, int64_t id, struct store_review_inputs *in);
void store_review_inputs_clear(struct store_review_inputs *in);
/* Confirm (the second approval): approval 1 -> 2. With a decision, the
 * claim must be AWAITING_CONFIRMATION and becomes APPROVED with that
 * decision, payment_state UNPAID and decided_at_ms = at_ms; without one,
 * the claim must be in any other state and only the approval changes (it
 * applies when the claim is decided). 0, 1 when nothing matched, -1. */
int store_review_confirm(struct store *s, int64_t id, const uint8_t *decision, size_t decision_len, int64_t at_ms);
/* Appends to the review history. 0 or -1. */
int store_review_record(struct store *s, const struct store_review *r);
/* Calls fn for each review of a claim, oldest first (strings and heirs valid during fn). */
int store_reviews_of(struct store *s, int64_t claim_id, void (*fn)(void *arg, const struct store_review *r), void *arg);

#endif

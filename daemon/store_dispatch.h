/* store_dispatch.h - the SQL of the dispatch feed, cases and SLA clocks.
 *
 * Owns: the statements on the events, cases and case_claims tables
 *   (schema: store.c migration 3 -> 4), on store.c's write connection.
 * Runs in: klaimd main loop only.
 * Same rules as store.h: writes run inside the transaction batch.c opened;
 * functions return 0, 1 for a documented "no row", -1 on a store error
 * (the caller hands that to batch_fail()).
 */
#ifndef KLAIM_STORE_DISPATCH_H
#define KLAIM_STORE_DISPATCH_H
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_dispatch;

struct store_dispatch *store_dispatch_new(struct store *s, char *err, size_t errlen);
void store_dispatch_free(struct store_dispatch **sd);

/* ---- events (the outbox) ---- */
int store_event_append(struct store_dispatch *sd, int type, int64_t claim_id, int64_t case_id, const char *payload,
                       int64_t at_ms, uint64_t *seq);
/* Newest and oldest stored seq (0 when none). */
int store_event_bounds(struct store_dispatch *sd, uint64_t *oldest, uint64_t *newest);
struct store_event {
    uint64_t seq;
    int type;
    int64_t claim_id, case_id;
    const char *payload;        /* valid during the callback */
    int64_t at_ms;
};
/* Calls fn for events with after < seq <= upto, ascending, at most limit.
 * Sets *n to how many were given. */
int store_events_page(struct store_dispatch *sd, uint64_t after, uint64_t upto, int limit,
                      void (*fn)(void *arg, const struct store_event *e), void *arg, int *n);

/* ---- cases ---- */
#define CASE_TEXT_MAX 64
#define CASE_NOTE_MAX 500
struct store_case {
    int64_t id;
    char kpj[12];
    int event_date;
    int64_t first_claim;
    int priority;
    int state;
    int coverage;
    char *info;                 /* JSON text, xmalloc'ed; store_case_clear frees it */
    int n_claims;
    int64_t opened_at_ms, acked_at_ms;
    char acked_by[CASE_TEXT_MAX + 1];
    char assigned_to[CASE_TEXT_MAX + 1], assigned_by[CASE_TEXT_MAX + 1];
    int64_t assigned_at_ms, closed_at_ms;
    char closed_by[CASE_TEXT_MAX + 1];
    char close_note[CASE_NOTE_MAX + 1];
    int64_t report_due_ms, reported_at_ms, decision_due_ms, decided_at_ms, ack_due_ms;
    int breached;
};
void store_case_clear(struct store_case *c);

/* 0 and fills out, 1 when absent, -1. */
int store_case_get(struct store_dispatch *sd, int64_t id, struct store_case *out);
/* Inserts c (c->id ignored) and sets c->id. */
int store_case_insert(struct store_dispatch *sd, struct store_case *c);
/* Writes every mutable column of c. */
int store_case_update(struct store_dispatch *sd, const struct store_case *c);
int store_case_link(struct store_dispatch *sd, int64_t claim_id, int64_t case_id);
/* The case a claim belongs to: 0 with *out (free with store_case_clear),
 * 1 when the claim has no case, -1. */
int store_case_of_claim(struct store_dispatch *sd, int64_t claim_id, struct store_case *out);
/* Writes c's coverage and decided_at_ms only (a decision changes nothing
 * else of a case). */
int store_case_decided(struct store_dispatch *sd, const struct store_case *c);
/* Open cases (state < 4), by id. fn gets a row valid during the call. */
int store_cases_open(struct store_dispatch *sd, void (*fn)(void *arg, const struct store_case *c), void *arg);
/* The earliest deadline of a running SLA clock (ACK not acknowledged,
 * DECISION not decided, neither breached), 0 when none runs. 0 or -1. */
int store_clock_next(struct store_dispatch *sd, int64_t *due_ms);
/* Up to max running clocks due at now_ms: case ids and clocks (SLA_ACK,
 * SLA_DECISION) into the arrays, the count into *n. 0 or -1. */
int store_clocks_due(struct store_dispatch *sd, int64_t now_ms, int max, int64_t *case_ids, int *clocks, int *n);
/* How many clocks run (for /metrics). 0 or -1. */
int store_clock_count(struct store_dispatch *sd, uint64_t *n);
/* How many cases are not closed (once at start, for /metrics). 0 or -1. */
int store_case_open_count(struct store_dispatch *sd, uint64_t *n);

#endif

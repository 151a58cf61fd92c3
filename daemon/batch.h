/* batch.h - group commit: everything one loop pass writes shares one COMMIT.
 *
 * Owns: the write transaction's life, the after-commit callbacks, the
 * commit event, degraded mode and its probe, and (through walsync.c) the
 * fdatasync that makes a commit durable.
 * Runs in: klaimd main loop only.
 * Invariant: nothing that depends on a write (an ack, a JOB, a decision
 *   reply) leaves klaimd before COMMIT returned SQLITE_OK and the WAL was
 *   then fdatasync'ed: the durability of synchronous=FULL, with the sync in
 *   walsync's thread so that the loop goes on meanwhile. Callers run their
 *   SQL between batch_open() and returning to the loop, and put every
 *   visible effect in a batch_then() callback, which runs exactly once:
 *   after the commit is durable (committed=1) or after its rollback
 *   (committed=0).
 * The commit runs from a low-priority event once the sockets are drained
 * and the previous commit's sync is done, or inline when the batch is full
 * or old, so one fsync covers everything that queued while the previous
 * one was running. A transaction that holds only deferrable ops (worker
 * results) waits up to max_age_ms for an urgent one to share its commit.
 */
#ifndef KLAIM_BATCH_H
#define KLAIM_BATCH_H
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct event_base;
struct store;
struct batch;

typedef void (*batch_done_fn)(void *arg, int committed);

/* sync_priority: the libevent priority of "a sync finished" (replies go
 * out from there); priority: that of the commit event (the lowest one).
 * A transaction commits at batch_max operations or max_age_ms at most.
 * Switches the store to commits without fsync (store_async_commit) and
 * starts the sync thread; NULL with err if either fails. */
struct batch *batch_new(struct event_base *base, struct store *store, int sync_priority, int priority, int batch_max,
                        int max_age_ms, char *err, size_t errlen);
void batch_free(struct batch **b);

/* Makes sure a write transaction is open. Returns 0, or -1 when the store
 * cannot take writes (degraded): the caller answers UNAVAILABLE. */
int batch_open(struct batch *b);
/* Registers fn(arg, committed) for the end of the current transaction;
 * with none open, for the durability of the last commit (batch_is_pending
 * must then be true). */
void batch_then(struct batch *b, batch_done_fn fn, void *arg);
/* Marks one operation done; commits inline once batch_max are pending. */
void batch_op_done(struct batch *b);
/* The same for an operation nobody is waiting on at this moment (a
 * worker's result: the claim was acknowledged long ago). A transaction
 * holding only such ops waits up to max_age_ms for an urgent one (a new
 * claim) instead of committing alone: at moderate rates the decision and
 * the next claim share one commit and one fsync, and the sync thread is
 * idle when that claim's ack needs it. */
void batch_op_deferrable(struct batch *b);
/* A statement of the open transaction failed: roll back now, run every
 * callback with committed=0, and go degraded until a probe commit works. */
void batch_fail(struct batch *b);
/* Commits now if a transaction is open and syncs in this thread, so every
 * callback has run when it returns (shutdown). */
void batch_flush(struct batch *b);
int batch_degraded(const struct batch *b);
/* Degraded from the start because a write klaimd needs before it may take
 * claims failed (recovery at start on a full disk): the probe calls fn once
 * a second instead of its own small write, and degraded mode ends the first
 * time fn returns 0 (fn has then done that write and committed it). Reads,
 * status, the feed and HTTP keep working meanwhile; batch_open() fails, so
 * new claims get UNAVAILABLE. */
void batch_degraded_until(struct batch *b, int (*fn)(void *arg), void *arg);
int batch_is_open(const struct batch *b);
/* fn(arg) runs right after every successful COMMIT, before any callback
 * of it and before the next transaction opens: the one moment under
 * sustained load when the writer holds no write transaction (backup.c
 * steps the online backup there). One hook; fn NULL removes it. fn must
 * not open a transaction. */
void batch_between(struct batch *b, void (*fn)(void *arg), void *arg);
/* A transaction is open or a commit is not yet durable: a reply that shows
 * stored state waits (batch_then) so it never shows what a crash could
 * take back. */
int batch_is_pending(const struct batch *b);

struct batch_stats {
    uint64_t commits;
    uint64_t ops;
    uint64_t max_batch;
    uint64_t failures;
    struct metrics_hist commit_us; /* COMMIT (WAL write) durations */
    struct metrics_hist sync_us;   /* fdatasync durations (walsync_sync_hist) */
};
void batch_get_stats(const struct batch *b, struct batch_stats *out);

#endif

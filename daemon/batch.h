/* batch.h - group commit: everything one loop pass writes shares one COMMIT.
 *
 * Owns: the write transaction's life, the after-commit callbacks, the
 * commit event, degraded mode and its probe.
 * Runs in: klaimd main loop only.
 * Invariant: nothing that depends on a write (an ack, a JOB, a decision
 *   reply) leaves klaimd before COMMIT returned SQLITE_OK under
 *   synchronous=FULL. Callers run their SQL between batch_open() and
 *   returning to the loop, and put every visible effect in a batch_then()
 *   callback, which runs exactly once: after the commit (committed=1) or
 *   after its rollback (committed=0).
 * The commit runs from a low-priority event once the sockets are drained,
 * or inline when the batch is full, so one fsync covers everything that
 * queued while the previous one was running.
 */
#ifndef KLAIM_BATCH_H
#define KLAIM_BATCH_H
#include <stdint.h>

struct event_base;
struct store;
struct batch;

typedef void (*batch_done_fn)(void *arg, int committed);

/* priority: the libevent priority of the commit event (the lowest one);
 * a transaction commits at batch_max operations or max_age_ms at most. */
struct batch *batch_new(struct event_base *base, struct store *store, int priority, int batch_max, int max_age_ms);
void batch_free(struct batch **b);

/* Makes sure a write transaction is open. Returns 0, or -1 when the store
 * cannot take writes (degraded): the caller answers UNAVAILABLE. */
int batch_open(struct batch *b);
/* Registers fn(arg, committed) for the end of the current transaction. */
void batch_then(struct batch *b, batch_done_fn fn, void *arg);
/* Marks one operation done; commits inline once batch_max are pending. */
void batch_op_done(struct batch *b);
/* A statement of the open transaction failed: roll back now, run every
 * callback with committed=0, and go degraded until a probe commit works. */
void batch_fail(struct batch *b);
/* Commits now if a transaction is open (shutdown, or before a reply that
 * must see earlier writes). */
void batch_flush(struct batch *b);
int batch_degraded(const struct batch *b);
int batch_is_open(const struct batch *b);

struct batch_stats {
    uint64_t commits;
    uint64_t ops;
    uint64_t max_batch;
    uint64_t failures;
};
void batch_get_stats(const struct batch *b, struct batch_stats *out);

#endif

/* broker.h - the worker side of klaimd: credits, jobs, results, leases.
 *
 * Owns: the worker ROUTER on ipc://DATA/run/workers.sock (and, with CURVE,
 *   on remote_worker_endpoint), the in-memory dispatch queue of undecided
 *   claims, every worker's leases and credits, the remote worker slots.
 * Runs in: klaimd main loop only.
 * Invariant: a JOB leaves only after the lease that granted it committed;
 *   a RESULT is recorded only if (claim, attempt) is still that worker's
 *   lease and the row is still PROCESSING with that attempt (store.c), so
 *   processing is at-least-once and recording exactly-once.
 * See also: supervisor.c (the processes), intake.c (new claims), store.c.
 */
#ifndef KLAIM_BROKER_H
#define KLAIM_BROKER_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct klaimd;
struct broker;

/* A credit reserved for a claim whose insert is not committed yet. */
struct broker_ticket {
    int slot;
    uint32_t gen;
};

struct broker_stats {
    uint64_t queue_depth;
    uint64_t in_flight;
    uint32_t workers_ready;     /* local and remote */
    uint32_t remote_ready;      /* of which remote */
    uint32_t remote_slots;      /* remote_workers, 0 without remote_worker_endpoint */
    uint64_t stale_results;
    uint64_t decided;
};

/* Binds the worker socket (ipc, then the remote endpoint if configured);
 * NULL with err on failure. Slots: cfg.workers local ones, then
 * cfg.remote_workers remote ones when remote_worker_endpoint is set. */
struct broker *broker_new(struct klaimd *k, char *err, size_t errlen);
void broker_free(struct broker **b);

/* Reserves a free credit for a claim being inserted now, so it can be
 * stored as PROCESSING and sent right after its commit. Returns 0 and
 * fills t, or -1 when no worker has a free credit (store it RECEIVED). */
int broker_reserve(struct broker *b, struct broker_ticket *t);
/* After the insert committed: send the JOB (attempt 1). If the worker is
 * gone meanwhile, the claim goes back to the queue. claim must be
 * claim_canonical_pack()'s output: it is sent as it is, unchecked. */
void broker_ticket_send(struct broker *b, const struct broker_ticket *t, int64_t claim_id, const uint8_t *claim,
                        size_t claim_len, int64_t duplicate_of, int64_t received_at_ms);
/* The insert did not happen or was rolled back: give the credit back. */
void broker_ticket_cancel(struct broker *b, const struct broker_ticket *t);

/* Queue an undecided claim for dispatch, not before not_before_ms (unix ms;
 * 0 = now). */
void broker_enqueue(struct broker *b, int64_t claim_id, int64_t not_before_ms);
/* Leases queued claims to free credits. Cheap when there is nothing to do. */
void broker_pump(struct broker *b);

/* The registry generation to put in JOBs; 0 = none yet (claims wait).
 * Remote workers are told at once and get leases again once they report
 * it open. */
void broker_set_registry(struct broker *b, uint64_t gen);

/* From the supervisor: a worker process started, or is gone (its leases
 * go back to the queue with backoff, or are parked after max_attempts). */
void broker_worker_started(struct broker *b, int slot, pid_t pid, uint32_t gen);
void broker_worker_exited(struct broker *b, int slot);

/* Graceful stop: no new leases; 1 once no lease is outstanding. */
void broker_stop_leasing(struct broker *b);
int broker_idle(const struct broker *b);

void broker_get_stats(const struct broker *b, struct broker_stats *out);

#endif

/* metrics.c - Prometheus text for GET /metrics.
 *
 * Owns: histograms and the rendering of klaimd's counters: claims by
 *   state, queue depth, in flight, workers, restarts, commit batch sizes,
 *   feed seq, SLA clocks, JKM payment clocks, HTTP and feed latencies.
 * Runs in: klaimd main loop only (a scrape reads the store once).
 * See also: http.c (the route), intake.c stats (the same numbers for klaimctl).
 */
#include "metrics.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <stdlib.h>

#include "batch.h"
#include "broker.h"
#include "feed.h"
#include "klaimd.h"
#include "payclock.h"
#include "sla.h"
#include "store.h"
#include "supervisor.h"
#include "xalloc.h"

/* From 100 us: an fdatasync on a good disk takes 0.1-0.5 ms, and a claim's
 * ack a little more. */
const int64_t metrics_bounds_us[METRICS_BUCKETS] = {100,    250,    500,     1000,    2500,    5000,     10000,    25000,
                                                    50000,  100000, 250000,  500000,  1000000, 2500000, 10000000, INT64_MAX};

struct metrics *metrics_new(void) { return xcalloc(1, sizeof(struct metrics)); }

void metrics_free(struct metrics **m)
{
    free(*m);
    *m = NULL;
}

void metrics_observe(struct metrics_hist *h, int64_t us)
{
    if (us < 0) us = 0;
    int i = 0;
    while (i < METRICS_BUCKETS - 1 && us > metrics_bounds_us[i]) i++;
    h->le[i]++;
    h->count++;
    h->sum_us += (uint64_t)us;
}

static void s_hist(struct evbuffer *out, const char *name, const char *help, const struct metrics_hist *h)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        cum += h->le[i];
        if (i == METRICS_BUCKETS - 1)
            evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
        else
            evbuffer_add_printf(out, "%s_bucket{le=\"%" PRId64 ".%06" PRId64 "\"} %" PRIu64 "\n", name,
                                metrics_bounds_us[i] / 1000000, metrics_bounds_us[i] % 1000000, cum);
    }
    evbuffer_add_printf(out, "%s_sum %" PRIu64 ".%06" PRIu64 "\n%s_count %" PRIu64 "\n", name, h->sum_us / 1000000,
                        h->sum_us % 1000000, name, h->count);
}

#define GAUGE(name, help, fmt, v) evbuffer_add_printf(out, "# HELP " name " " help "\n# TYPE " name " gauge\n" name " " fmt "\n", v)
#define COUNTER(name, help, fmt, v) evbuffer_add_printf(out, "# HELP " name " " help "\n# TYPE " name " counter\n" name " " fmt "\n", v)

void metrics_render(struct klaimd *k, struct evbuffer *out)
{
    static const char *const states[8] = {"", "RECEIVED", "PROCESSING", "APPROVED", "REJECTED", "PENDING_REVIEW",
                                          "PARKED", "AWAITING_CONFIRMATION"};
    uint64_t counts[8];
    store_count_states(k->store, counts);
    evbuffer_add_printf(out, "# HELP klaimd_claims Claims in the store by state (PARKED: PROCESSING_FAILED).\n"
                             "# TYPE klaimd_claims gauge\n");
    for (int i = 1; i < 8; i++) evbuffer_add_printf(out, "klaimd_claims{state=\"%s\"} %" PRIu64 "\n", states[i], counts[i]);
    struct broker_stats bs;
    struct batch_stats cs;
    broker_get_stats(k->broker, &bs);
    batch_get_stats(k->batch, &cs);
    GAUGE("klaimd_queue_depth", "Claims waiting for a worker.", "%" PRIu64, bs.queue_depth);
    GAUGE("klaimd_in_flight", "Claims leased to workers.", "%" PRIu64, bs.in_flight);
    GAUGE("klaimd_workers_configured", "Worker processes configured.", "%d", k->cfg.workers);
    GAUGE("klaimd_workers_ready", "Workers ready, local and remote.", "%" PRIu32, bs.workers_ready);
    GAUGE("klaimd_remote_workers_ready", "Remote workers ready (tcp + CURVE), of klaimd_workers_ready.", "%" PRIu32,
          bs.remote_ready);
    GAUGE("klaimd_remote_worker_slots", "Remote worker slots (remote_workers; 0 without remote_worker_endpoint).",
          "%" PRIu32, bs.remote_slots);
    COUNTER("klaimd_worker_restarts_total", "Worker processes started again after one ended.", "%" PRIu64,
            (uint64_t)supervisor_restarts(k->sup));
    COUNTER("klaimd_decisions_total", "Decisions recorded since start.", "%" PRIu64, bs.decided);
    COUNTER("klaimd_stale_results_total", "Worker results for leases no longer current.", "%" PRIu64, bs.stale_results);
    COUNTER("klaimd_commits_total", "Group commits.", "%" PRIu64, cs.commits);
    COUNTER("klaimd_committed_ops_total", "Operations committed (ops/commits = mean batch size).", "%" PRIu64, cs.ops);
    GAUGE("klaimd_commit_batch_max", "Largest commit batch since start (operations).", "%" PRIu64, cs.max_batch);
    COUNTER("klaimd_commit_failures_total", "Commits that failed (degraded mode).", "%" PRIu64, cs.failures);
    COUNTER("klaimd_writer_checkpoints_total",
            "Checkpoints the writer ran itself, at 16 MiB of WAL, so that the WAL starts over.",
            "%" PRIu64, store_writer_checkpoints(k->store));
    GAUGE("klaimd_degraded", "1 while the store cannot commit.", "%d", batch_degraded(k->batch));
    GAUGE("klaimd_feed_seq", "Newest published feed seq.", "%" PRIu64, feed_head(k->feed));
    GAUGE("klaimd_sla_clocks_pending", "SLA clocks running (ACK or DECISION, not met, not breached).", "%" PRIu64, sla_pending(k->sla));
    GAUGE("klaimd_payment_clocks_running",
          "JKM payment clocks running: APPROVED death claims with heirs, not paid, deadline not passed.", "%" PRIu64,
          payclock_running(k->payclock));
    COUNTER("klaimd_payment_clock_breaches_total",
            "JKM payment clocks that ran out unpaid (SLA_BREACHED, clock PAYMENT) since start.", "%" PRIu64,
            payclock_breaches(k->payclock));
    GAUGE("klaimd_sse_clients", "HTTP Server-Sent-Events subscribers.", "%" PRIu64, k->metrics->sse_clients);
    GAUGE("klaimd_uptime_seconds", "Seconds since klaimd started.", "%" PRId64, (klaimd_now_ms() - k->started_ms) / 1000);
    evbuffer_add_printf(out, "# HELP klaimd_http_responses_total HTTP responses by status class.\n"
                             "# TYPE klaimd_http_responses_total counter\n");
    for (int i = 1; i < 6; i++)
        evbuffer_add_printf(out, "klaimd_http_responses_total{class=\"%dxx\"} %" PRIu64 "\n", i,
                            k->metrics->http_by_class[i]);
    s_hist(out, "klaimd_http_request_duration_seconds", "HTTP request received to reply sent (after COMMIT for writes).",
           &k->metrics->http_us);
    s_hist(out, "klaimd_feed_publish_delay_seconds", "Feed event stored to published after its commit.",
           &k->metrics->publish_us);
    s_hist(out, "klaimd_claim_ack_delay_seconds",
           "New claim received to its answer ready to send: its COMMIT and the WAL's fdatasync included.",
           &k->metrics->ack_us);
    s_hist(out, "klaimd_commit_duration_seconds", "COMMIT of a group transaction: the WAL write, without its sync.",
           &cs.commit_us);
    s_hist(out, "klaimd_wal_sync_duration_seconds",
           "fdatasync of the WAL (the disk's share of every ack; in the sync thread).", &cs.sync_us);
}

/* metrics.h - /metrics in the Prometheus text format (version 0.0.4).
 *
 * Owns: the latency histograms klaimd keeps (HTTP requests, feed
 *   publication delay, claim acks, received -> decided), refusals by error
 *   code, and the rendering of every metric,
 *   reading the other modules' counters and histograms (commit and WAL
 *   sync durations: batch.c, walsync.c) at scrape time.
 * Runs in: klaimd main loop only. Integer arithmetic only: observations in
 *   microseconds, rendered as seconds with fixed decimals.
 */
#ifndef KLAIM_METRICS_H
#define KLAIM_METRICS_H
#include <stddef.h>
#include <stdint.h>

struct klaimd;
struct evbuffer;

#define METRICS_BUCKETS 16
#define METRICS_REFUSAL_CODES 40
struct metrics_hist {
    uint64_t le[METRICS_BUCKETS]; /* counts per bucket (not cumulative); last = +Inf */
    uint64_t count;
    uint64_t sum_us;
};

struct metrics {
    struct metrics_hist http_us;       /* HTTP request to reply sent */
    struct metrics_hist publish_us;    /* event stored -> published after commit */
    struct metrics_hist ack_us;        /* new claim received -> its answer ready (after fdatasync) */
    struct metrics_hist decision_us;   /* claim received_at_ms -> its worker decision committed */
    uint64_t http_by_class[6];         /* 1xx..5xx replies */
    uint64_t sse_clients;
    /* Error replies by code name (intake and HTTP), in first-seen order;
     * the protocol's codes are there from the start, at 0. */
    struct metrics_refusal {
        char code[32];
        uint64_t n;
    } refusals[METRICS_REFUSAL_CODES];
    int n_refusals;
};

struct metrics *metrics_new(void);
void metrics_free(struct metrics **m);
void metrics_observe(struct metrics_hist *h, int64_t us);
/* One error reply sent with this code name (e.g. "INVALID_CLAIM"): counted
 * in klaimd_refusals_total{code}. Names past METRICS_REFUSAL_CODES distinct
 * ones count as "OTHER". */
void metrics_refusal(struct metrics *m, const char *code);
/* Appends the whole exposition to out. */
void metrics_render(struct klaimd *k, struct evbuffer *out);
/* The bucket bounds in microseconds (the last one is +Inf). */
extern const int64_t metrics_bounds_us[METRICS_BUCKETS];

#endif

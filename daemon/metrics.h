/* metrics.h - /metrics in the Prometheus text format (version 0.0.4).
 *
 * Owns: the latency histograms klaimd keeps (HTTP requests, feed
 *   publication delay, claim acks) and the rendering of every metric,
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
struct metrics_hist {
    uint64_t le[METRICS_BUCKETS]; /* counts per bucket (not cumulative); last = +Inf */
    uint64_t count;
    uint64_t sum_us;
};

struct metrics {
    struct metrics_hist http_us;       /* HTTP request to reply sent */
    struct metrics_hist publish_us;    /* event stored -> published after commit */
    struct metrics_hist ack_us;        /* new claim received -> its answer ready (after fdatasync) */
    uint64_t http_by_class[6];         /* 1xx..5xx replies */
    uint64_t sse_clients;
};

struct metrics *metrics_new(void);
void metrics_free(struct metrics **m);
void metrics_observe(struct metrics_hist *h, int64_t us);
/* Appends the whole exposition to out. */
void metrics_render(struct klaimd *k, struct evbuffer *out);
/* The bucket bounds in microseconds (the last one is +Inf). */
extern const int64_t metrics_bounds_us[METRICS_BUCKETS];

#endif

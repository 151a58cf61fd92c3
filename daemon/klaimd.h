/* klaimd.h - the daemon's parts, wired together once in main.c.
 *
 * Owns: nothing; it names the modules so each can reach the others it
 * needs without globals. Every field is set before the loop starts and
 * lives until main() returns.
 */
#ifndef KLAIMD_H
#define KLAIMD_H
#include <stdint.h>

#include "config.h"

struct event_base;
struct store;
struct batch;
struct intake;
struct broker;
struct supervisor;
struct registry_gen;
struct zap;
struct feed;
struct cases;
struct sla;
struct payclock;
struct http;
struct metrics;
struct payments;

/* libevent priorities (architecture.md §5): timers and signals first,
 * sockets next, the group commit last so it covers everything queued. */
enum { PRIO_URGENT = 0, PRIO_IO = 1, PRIO_COMMIT = 2, PRIO_COUNT = 3 };

struct klaimd {
    struct config cfg;
    struct event_base *base;
    void *zctx;
    struct store *store;
    struct batch *batch;
    struct intake *intake;
    struct broker *broker;
    struct supervisor *sup;
    struct registry_gen *reg;
    struct zap *zap;            /* NULL without CURVE: every client is the local admin */
    struct feed *feed;          /* dispatch feed: events, PUB, replay, SSE cursors (issue 5) */
    struct cases *cases;        /* dispatch cases and their actions */
    struct sla *sla;            /* SLA clocks: stored deadlines, one timer */
    struct payclock *payclock;  /* the JKM payment clock (docs/money.md §7) */
    struct http *http;          /* HTTP gateway; NULL when http_listen is empty */
    struct metrics *metrics;    /* counters and histograms for /metrics */
    struct payments *payments;  /* payment batches and settlement (docs/money.md §6) */
    int64_t started_ms;
    int stopping;               /* SIGTERM seen: draining */
    int exit_code;
};

/* Wall clock in unix milliseconds (stored times) and a monotonic clock in
 * milliseconds (timers, leases, backoff) and in microseconds (durations,
 * latency histograms; thread-safe like the others). */
int64_t klaimd_now_ms(void);
int64_t klaimd_mono_ms(void);
int64_t klaimd_mono_us(void);
/* Ends the loop with this exit code (first caller wins). */
void klaimd_shutdown(struct klaimd *k, int exit_code);

#endif

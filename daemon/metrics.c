/* metrics.c - Prometheus text for GET /metrics.
 *
 * Owns: histograms and the rendering of klaimd's counters: claims by
 *   state, queue depth, in flight, workers, restarts, commit batch sizes,
 *   feed seq, SLA clocks and breaches, open cases, JKM payment clocks,
 *   registry generation, store file sizes, refusals by code, build info,
 *   the process_* families, HTTP, feed and received->decided latencies.
 * Runs in: klaimd main loop only (a scrape reads the store once).
 * See also: http.c (the route), intake.c stats (the same numbers for klaimctl).
 */
#include "metrics.h"

#include <dirent.h>
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "broker.h"
#include "cases.h"
#include "feed.h"
#include "klaimd.h"
#include "klaim.pb-c.h"
#include "payclock.h"
#include "registry_gen.h"
#include "sla.h"
#include "store.h"
#include "supervisor.h"
#include "xalloc.h"

/* From 100 us: an fdatasync on a good disk takes 0.1-0.5 ms, and a claim's
 * ack a little more. */
const int64_t metrics_bounds_us[METRICS_BUCKETS] = {100,    250,    500,     1000,    2500,    5000,     10000,    25000,
                                                    50000,  100000, 250000,  500000,  1000000, 2500000, 10000000, INT64_MAX};

/* Every protocol error code starts at 0, so klaimd_refusals_total shows the
 * whole set from the first scrape (a rate() needs the zero). */
struct metrics *metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    const ProtobufCEnumDescriptor *d = &klaim__error_code__descriptor;
    for (unsigned i = 0; i < d->n_values && m->n_refusals < METRICS_REFUSAL_CODES - 1; i++) {
        if (d->values[i].value == 0) continue; /* ERROR_UNSPECIFIED: never sent */
        snprintf(m->refusals[m->n_refusals++].code, sizeof m->refusals[0].code, "%s", d->values[i].name);
    }
    return m;
}

/* Linear in the distinct codes (a few dozen at most): refusals are rare
 * next to the requests, and the table keeps first-seen order for render. */
void metrics_refusal(struct metrics *m, const char *code)
{
    if (!code || !code[0]) code = "INTERNAL";
    for (int i = 0; i < m->n_refusals; i++)
        if (strcmp(m->refusals[i].code, code) == 0) {
            m->refusals[i].n++;
            return;
        }
    if (m->n_refusals >= METRICS_REFUSAL_CODES - 1) code = "OTHER"; /* the last slot is OTHER's */
    for (int i = 0; i < m->n_refusals; i++)
        if (strcmp(m->refusals[i].code, code) == 0) {
            m->refusals[i].n++;
            return;
        }
    struct metrics_refusal *r = &m->refusals[m->n_refusals++];
    snprintf(r->code, sizeof r->code, "%s", code);
    r->n = 1;
}

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

/* A file's size at scrape time, 0 when it does not exist (a WAL right
 * after a truncating checkpoint, or before the first write). */
static uint64_t s_file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The process_* families of the Prometheus client conventions, read from
 * /proc/self at scrape time (Linux only, like klaimd). A /proc that cannot
 * be read leaves the families it feeds out rather than report zeros. */
static void s_process(struct evbuffer *out)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
    unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
    long long rss = 0;
    /* After ")": state is field 3; utime 14, stime 15, starttime 22,
     * vsize 23, rss 24 (proc(5)). */
    if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
                    &utime, &stime, &start, &vsize, &rss) == 5) {
        long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
        if (hz <= 0) hz = 100;
        unsigned long long cpu_ms = (utime + stime) * 1000ULL / (unsigned long long)hz;
        evbuffer_add_printf(out, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                                 "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %llu.%03llu\n",
                            cpu_ms / 1000, cpu_ms % 1000);
        f = fopen("/proc/stat", "r");
        unsigned long long btime = 0;
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "btime %llu", &btime) == 1) break;
        if (f) fclose(f);
        if (btime) {
            unsigned long long start_ms = btime * 1000ULL + start * 1000ULL / (unsigned long long)hz;
            evbuffer_add_printf(out, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                                     "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %llu.%03llu\n",
                                start_ms / 1000, start_ms % 1000);
        }
        evbuffer_add_printf(out, "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                                 "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %llu\n",
                            vsize);
        evbuffer_add_printf(out, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                                 "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %lld\n",
                            rss * (long long)(page > 0 ? page : 4096));
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        uint64_t fds = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.') fds++;
        closedir(d);
        evbuffer_add_printf(out, "# HELP process_open_fds Number of open file descriptors.\n"
                                 "# TYPE process_open_fds gauge\nprocess_open_fds %" PRIu64 "\n",
                            fds > 0 ? fds - 1 : 0); /* less the one opendir holds */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        evbuffer_add_printf(out, "# HELP process_max_fds Maximum number of open file descriptors.\n"
                                 "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
                            (unsigned long long)rl.rlim_cur);
}

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
    /* The dispatch desk and the SLA clocks, as an operator alerts on them. */
    GAUGE("klaimd_dispatch_cases_open", "Dispatch cases not closed.", "%" PRIu64, store_cases_open_now(k->store));
    evbuffer_add_printf(out, "# HELP klaimd_sla_breaches_total SLA clocks that ran out since start, by clock.\n"
                             "# TYPE klaimd_sla_breaches_total counter\n"
                             "klaimd_sla_breaches_total{clock=\"REPORT\"} %" PRIu64 "\n"
                             "klaimd_sla_breaches_total{clock=\"DECISION\"} %" PRIu64 "\n"
                             "klaimd_sla_breaches_total{clock=\"ACK\"} %" PRIu64 "\n"
                             "klaimd_sla_breaches_total{clock=\"PAYMENT\"} %" PRIu64 "\n",
                        store_sla_breaches(k->store, SLA_REPORT), store_sla_breaches(k->store, SLA_DECISION),
                        store_sla_breaches(k->store, SLA_ACK), payclock_breaches(k->payclock));
    /* The participant registry: which generation workers decide against. */
    GAUGE("klaimd_registry_generation", "Current participant registry generation (0 = none imported).", "%" PRIu64,
          registry_gen_current(k->reg));
    GAUGE("klaimd_registry_rows", "Participants in the current registry generation.", "%" PRIu64,
          registry_gen_rows(k->reg));
    int64_t imported = registry_gen_imported_ms(k->reg);
    if (imported > 0) {
        int64_t age = klaimd_now_ms() - imported;
        GAUGE("klaimd_registry_age_seconds", "Seconds since the current registry generation was imported.",
              "%" PRId64, age > 0 ? age / 1000 : 0);
    }
    GAUGE("klaimd_registry_stale", "1 while the registry is older than registry_max_age_hours (decisions provisional).",
          "%d", registry_gen_stale(k->reg));
    /* The store's files as the disk sees them (stat at scrape time). */
    char path[sizeof k->cfg.db_path + 8];
    GAUGE("klaimd_store_bytes", "Size of DATA/klaim.db in bytes.", "%" PRIu64, s_file_bytes(k->cfg.db_path));
    snprintf(path, sizeof path, "%s-wal", k->cfg.db_path);
    GAUGE("klaimd_wal_bytes", "Size of DATA/klaim.db-wal in bytes (0 when absent).", "%" PRIu64, s_file_bytes(path));
    evbuffer_add_printf(out, "# HELP klaimd_refusals_total Error replies sent (ZMQ and HTTP), by error code.\n"
                             "# TYPE klaimd_refusals_total counter\n");
    for (int i = 0; i < k->metrics->n_refusals; i++)
        evbuffer_add_printf(out, "klaimd_refusals_total{code=\"%s\"} %" PRIu64 "\n", k->metrics->refusals[i].code,
                            k->metrics->refusals[i].n);
    evbuffer_add_printf(out, "# HELP klaimd_build_info The klaimd version, as a label; always 1.\n"
                             "# TYPE klaimd_build_info gauge\nklaimd_build_info{version=\"%s\"} 1\n",
                        KLAIM_VERSION);
    s_process(out);
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
    s_hist(out, "klaimd_claim_decision_seconds",
           "Claim received (received_at_ms) to its worker decision committed, retries included.",
           &k->metrics->decision_us);
    s_hist(out, "klaimd_commit_duration_seconds", "COMMIT of a group transaction: the WAL write, without its sync.",
           &cs.commit_us);
    s_hist(out, "klaimd_wal_sync_duration_seconds",
           "fdatasync of the WAL (the disk's share of every ack; in the sync thread).", &cs.sync_us);
}

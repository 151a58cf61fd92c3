/* main.c - klaimd: flags, lock, recovery, wiring, READY, stop.
 *
 * Owns: process start-up and shut-down order, signals, sd_notify.
 * Runs in: klaimd, the only thread that touches the loop.
 * Start-up order matters (architecture.md §4): lock the data dir before any
 * bind (a second ipc bind would silently steal the worker socket), recover
 * before accepting, READY=1 only once a worker is READY.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "batch.h"
#include "broker.h"
#include "ckpt.h"
#include "cases.h"
#include "feed.h"
#include "http.h"
#include "metrics.h"
#include "payclock.h"
#include "payments.h"
#include "sla.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "registry_gen.h"
#include "store.h"
#include "supervisor.h"
#include "zap.h"

#define EX_USAGE 64
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_CANTCREAT 73
#define EX_CONFIG 78

int64_t klaimd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t klaimd_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t klaimd_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void klaimd_shutdown(struct klaimd *k, int exit_code)
{
    if (!k->exit_code) k->exit_code = exit_code;
    event_base_loopbreak(k->base);
}

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: klaimd [--config FILE] [--data-dir DIR] [--intake-endpoint EP] [--workers N]\n"
            "              [--remote-worker-endpoint EP] [--log-level error|warn|info|debug]\n"
            "\n"
            "klaimd receives JKK and JKM claims over ZeroMQ, stores each one durably in SQLite\n"
            "before acknowledging it, and has klaim-worker processes decide them.\n"
            "\n"
            "  --config FILE           INI file (see config/klaimd.conf for every key and default)\n"
            "  --data-dir DIR          where klaim.db, the registry and the worker socket live\n"
            "                          (default /var/lib/klaimd; created 0700 if missing)\n"
            "  --intake-endpoint EP    client ROUTER endpoint (default tcp://127.0.0.1:7710)\n"
            "  --feed-endpoint EP      dispatch feed PUB endpoint (default tcp://127.0.0.1:7711)\n"
            "  --http-listen HOST:PORT HTTP gateway and console (default 127.0.0.1:7780; \"\" = none)\n"
            "  --workers N             local worker processes (default: CPU count; 0 = every\n"
            "                          decision by remote workers, needs --remote-worker-endpoint)\n"
            "  --remote-worker-endpoint EP\n"
            "                          tcp://HOST:PORT where remote klaim-workers connect with CURVE\n"
            "                          and the role worker (needs curve_secret_key_file and clients_dir;\n"
            "                          default none; see README \"Scale-out\")\n"
            "  --log-level LEVEL       error, warn, info (default) or debug\n"
            "  --help, --version\n"
            "\n"
            "Flags override the file. Logs go to stderr with journald priority prefixes.\n"
            "Exit codes: 0 stopped cleanly, 64 usage, 69 unavailable, 70 internal error,\n"
            "73 cannot create the data dir, 78 configuration error (or another klaimd\n"
            "holds the data dir).\n"
            "Example: klaimd --data-dir /tmp/klaim-demo\n");
}

/* Two klaimd on one data dir would both write the queue and the second ipc
 * bind would steal the workers: an exclusive lock comes before anything. */
static int s_lock(const struct config *c)
{
    int fd = open(c->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) log_fatal(EX_CANTCREAT, "cannot open %s: %s", c->lock_path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        log_fatal(EX_CONFIG, "data_dir %s is in use by another klaimd (pid %s); stop it or use another --data-dir",
                  c->data_dir, buf[0] ? buf : "unknown");
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        log_warn("cannot write the pid into %s: %s", c->lock_path, strerror(errno));
    return fd;
}

static void s_mkdir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        log_fatal(EX_CANTCREAT, "cannot create %s: %s (check the parent directory's permissions)", path,
                  strerror(errno));
}

/* Flags named after the config keys they override. */
static const struct {
    const char *flag;
    const char *key;
} s_flag_keys[] = {
    {"data-dir", "data_dir"},       {"intake-endpoint", "intake_endpoint"}, {"feed-endpoint", "feed_endpoint"},
    {"http-listen", "http_listen"}, {"workers", "workers"},                 {"log-level", "log_level"},
    {"remote-worker-endpoint", "remote_worker_endpoint"},
};
#define N_FLAG_KEYS (sizeof s_flag_keys / sizeof s_flag_keys[0])

struct args {
    const char *file;                   /* --config, or NULL */
    const char *values[N_FLAG_KEYS];    /* flag values, NULL when not given */
};

static void s_parse_args(int argc, char **argv, struct args *a)
{
    enum { O_CONFIG = 1000, O_HELP, O_VERSION, O_KEY };
    struct option opts[N_FLAG_KEYS + 4];
    memset(opts, 0, sizeof opts);
    opts[0] = (struct option){"config", required_argument, NULL, O_CONFIG};
    opts[1] = (struct option){"help", no_argument, NULL, O_HELP};
    opts[2] = (struct option){"version", no_argument, NULL, O_VERSION};
    for (size_t i = 0; i < N_FLAG_KEYS; i++)
        opts[3 + i] = (struct option){s_flag_keys[i].flag, required_argument, NULL, O_KEY + (int)i};
    memset(a, 0, sizeof *a);
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == O_CONFIG) {
            a->file = optarg;
        } else if (opt >= O_KEY && opt < O_KEY + (int)N_FLAG_KEYS) {
            a->values[opt - O_KEY] = optarg;
        } else if (opt == O_HELP) {
            s_usage(stdout);
            exit(0);
        } else if (opt == O_VERSION) {
            printf("klaimd %s\n", KLAIM_VERSION);
            exit(0);
        } else {
            fprintf(stderr, "klaimd: unknown or incomplete option \"%s\"; see klaimd --help\n", argv[optind - 1]);
            exit(EX_USAGE);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "klaimd: unexpected argument \"%s\"; see klaimd --help\n", argv[optind]);
        exit(EX_USAGE);
    }
}

/* Defaults, then the file, then the flags, then the checks. Used at start
 * (an error is fatal, exit 78) and on SIGHUP (an error keeps the old one). */
static int s_build_config(const struct args *a, struct config *c, char *err, size_t errlen)
{
    config_defaults(c);
    if (a->file && config_load_file(c, a->file, err, errlen) != 0) return -1;
    for (size_t i = 0; i < N_FLAG_KEYS; i++) {
        if (!a->values[i]) continue;
        char why[512];
        if (config_set(c, s_flag_keys[i].key, a->values[i], why, sizeof why) != 0) {
            snprintf(err, errlen, "--%s: %s", s_flag_keys[i].flag, why);
            return -1;
        }
    }
    return config_finish(c, err, errlen);
}

/* ---------------------------------------------------------------- signals */

static void s_on_stop_signal(evutil_socket_t sig, short what, void *arg);
static struct args s_args;

struct stopper {
    struct klaimd *k;
    struct event *tick;
    int64_t deadline;
};

static void s_on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct stopper *st = arg;
    if (broker_idle(st->k->broker) || klaimd_mono_ms() >= st->deadline) event_base_loopbreak(st->k->base);
}

static struct stopper s_stopper;

static void s_on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct klaimd *k = arg;
    if (k->stopping) {
        log_warn("second stop signal: stopping now without waiting for in-flight claims");
        event_base_loopbreak(k->base);
        return;
    }
    k->stopping = 1;
    sd_notify(0, "STOPPING=1\nSTATUS=draining in-flight claims");
    log_info("signal %d: draining (up to %d ms); in-flight claims finish, new ones are refused", (int)sig,
             k->cfg.drain_timeout_ms);
    intake_stop(k->intake);
    broker_stop_leasing(k->broker);
    s_stopper.k = k;
    s_stopper.deadline = klaimd_mono_ms() + k->cfg.drain_timeout_ms;
    s_stopper.tick = event_new(k->base, -1, EV_PERSIST, s_on_drain_tick, &s_stopper);
    struct timeval tv = {0, 20 * 1000};
    event_add(s_stopper.tick, &tv);
}

/* SIGHUP: build the new configuration beside the old one; on any error
 * keep the old and say why. What can change without a restart: the
 * allow-list (clients_dir), the HTTP bearer tokens (tokens_file: a bad
 * file keeps the running tokens), http_allowed_origins and log_level;
 * endpoints, data_dir, the server key and the worker pool size need a
 * restart (logged when they differ). */
static void s_on_reload(evutil_socket_t sig, short what, void *arg)
{
    struct klaimd *k = arg;
    sd_notify(0, "RELOADING=1\nSTATUS=reloading configuration");
    char err[1024];
    struct config *next = malloc(sizeof *next);
    struct clients *list = NULL;
    if (!next) goto done;
    if (s_build_config(&s_args, next, err, sizeof err) != 0) {
        log_error("reload: %s; keeping the running configuration", err);
        goto done;
    }
    if ((next->curve_secret[0] != 0) != (k->zap != NULL) || strcmp(next->curve_secret, k->cfg.curve_secret) != 0 ||
        strcmp(next->intake_endpoint, k->cfg.intake_endpoint) != 0 || strcmp(next->data_dir, k->cfg.data_dir) != 0 ||
        next->workers != k->cfg.workers ||
        strcmp(next->remote_worker_endpoint, k->cfg.remote_worker_endpoint) != 0 ||
        next->remote_workers != k->cfg.remote_workers)
        log_warn("reload: endpoints, data_dir, CURVE keys, workers and remote_workers only change on restart");
    if (k->zap) {
        list = clients_load(next->clients_dir, err, sizeof err);
        if (!list) {
            log_error("reload: %s; keeping the running allow-list and configuration", err);
            goto done;
        }
        log_info("reload: %zu clients allowed from %s", list->n, next->clients_dir);
        zap_swap(k->zap, list);
        snprintf(k->cfg.clients_dir, sizeof k->cfg.clients_dir, "%s", next->clients_dir);
    }
    if (k->http) {
        int n = http_reload_tokens(k->http, next->tokens_file, err, sizeof err);
        if (n < 0) {
            log_error("reload: %s; keeping the running HTTP tokens", err);
        } else if (next->tokens_file[0]) {
            log_info("reload: %d HTTP bearer tokens from %s", n, next->tokens_file);
            snprintf(k->cfg.tokens_file, sizeof k->cfg.tokens_file, "%s", next->tokens_file);
        }
        snprintf(k->cfg.http_allowed_origins, sizeof k->cfg.http_allowed_origins, "%s", next->http_allowed_origins);
    }
    k->cfg.log_level = next->log_level;
    log_set_level(next->log_level);
    log_info("reload: done (log_level %s)", log_level_name(next->log_level));
done:
    free(next);
    sd_notify(0, "READY=1\nSTATUS=accepting claims");
}

/* WATCHDOG=1 from a loop timer, so it proves the loop turns: a hung commit
 * or a blocked loop stops it and systemd restarts klaimd. Degraded mode (the
 * store cannot commit) is handled in the loop, so it keeps feeding. */
static void s_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    sd_notify(0, "WATCHDOG=1");
}

/* READY=1 once the first worker is READY: before that, systemd would
 * route "started" to a daemon that cannot decide anything yet. With no
 * local workers (workers = 0) nothing here can be waited for: remote
 * workers come and go on their own, so READY=1 follows the intake bind
 * and claims wait in the store until one connects. */
static void s_on_ready_tick(evutil_socket_t fd, short what, void *arg)
{
    struct klaimd *k = arg;
    struct broker_stats bs;
    broker_get_stats(k->broker, &bs);
    static int ready;
    if (ready || (bs.workers_ready == 0 && k->cfg.workers > 0)) return;
    ready = 1;
    sd_notify(0, "READY=1\nSTATUS=accepting claims");
    if (k->cfg.remote_worker_endpoint[0])
        log_info("ready: intake %s, %d local workers, remote workers at %s (%d slots), registry generation %llu",
                 k->cfg.intake_endpoint, k->cfg.workers, k->cfg.remote_worker_endpoint, k->cfg.remote_workers,
                 (unsigned long long)registry_gen_current(k->reg));
    else
        log_info("ready: intake %s, %d workers, registry generation %llu", k->cfg.intake_endpoint, k->cfg.workers,
                 (unsigned long long)registry_gen_current(k->reg));
}

/* The dispatch side (issue 5), after the intake: the feed's PUB socket and
 * head, the SLA clocks from the store (overdue ones fire at once), and the
 * HTTP gateway. Freed after the last commit, before the store closes. */
static void s_dispatch_start(struct klaimd *k)
{
    char err[1024];
    k->metrics = metrics_new();
    k->feed = feed_new(k, err, sizeof err);
    if (!k->feed) log_fatal(EX_CONFIG, "%s", err);
    k->cases = cases_new(k);
    k->sla = sla_new(k, err, sizeof err);
    if (!k->sla) log_fatal(EX_UNAVAILABLE, "%s", err);
    k->payments = payments_new(k, err, sizeof err);
    if (!k->payments) log_fatal(EX_UNAVAILABLE, "payments: %s", err);
    k->payclock = payclock_new(k, err, sizeof err);
    if (!k->payclock) log_fatal(EX_UNAVAILABLE, "%s", err);
    if (k->cfg.http_listen[0]) {
        k->http = http_new(k, err, sizeof err);
        if (!k->http) log_fatal(EX_CONFIG, "%s", err);
    }
    log_info("dispatch: feed %s at seq %llu, http %s", k->cfg.feed_endpoint, (unsigned long long)feed_head(k->feed),
             k->cfg.http_listen[0] ? k->cfg.http_listen : "off");
}

static void s_dispatch_stop(struct klaimd *k)
{
    http_free(&k->http);
    payclock_free(&k->payclock);
    payments_free(&k->payments);
    sla_free(&k->sla);
    cases_free(&k->cases);
    feed_free(&k->feed);
    metrics_free(&k->metrics);
}

static void s_load_queue(void *arg, int64_t id, int64_t not_before_ms)
{
    broker_enqueue(arg, id, not_before_ms);
}

/* The probe of a degraded start (batch_degraded_until): recovery's write,
 * then the queue, exactly as a normal start does them. Returns 0 once done;
 * -1 (one log line a minute) while the store still cannot commit. */
static int s_retry_recovery(void *arg)
{
    struct klaimd *k = arg;
    static struct log_limit still = LOG_LIMIT_INIT;
    int64_t n = store_recover(k->store);
    if (n < 0) {
        log_limited(&still, 60000, LOG_LVL_WARN, "store: recovery still fails (%s); claims are refused until it works",
                    store_errmsg(k->store));
        return -1;
    }
    if (store_each_received(k->store, s_load_queue, k->broker) != 0) {
        log_error("store: cannot read the queue: %s", store_errmsg(k->store));
        klaimd_shutdown(k, EX_UNAVAILABLE);
        return -1;
    }
    log_info("recovery: done after a degraded start; %lld claims that were being processed queued again",
             (long long)n);
    return 0;
}

int main(int argc, char **argv)
{
    log_init("klaimd");
    struct klaimd k;
    memset(&k, 0, sizeof k);
    s_parse_args(argc, argv, &s_args);
    char err[1024];
    if (s_build_config(&s_args, &k.cfg, err, sizeof err) != 0) log_fatal(EX_CONFIG, "%s", err);
    if (!k.cfg.curve_secret[0])
        log_warn("no CURVE keys (curve_secret_key_file): loopback only, every client is admin");
    log_set_level(k.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    umask(0077);
    /* Per-claim buffers are allocated and freed thousands of times a second:
     * let the heap keep its top instead of returning it with brk() each
     * time, which costs a TLB shootdown on every CPU of this threaded
     * process (measured: a fifth of klaimd's kernel time under load). */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    srandom((unsigned)getpid() ^ (unsigned)time(NULL));

    s_mkdir(k.cfg.data_dir);
    int lock_fd = s_lock(&k.cfg);
    s_mkdir(k.cfg.run_dir);
    s_mkdir(k.cfg.registry_dir);

    k.store = store_open(k.cfg.db_path, err, sizeof err);
    if (!k.store) log_fatal(EX_UNAVAILABLE, "store %s: %s", k.cfg.db_path, err);
    struct ckpt *ckpt = ckpt_start(k.cfg.db_path, 10, err, sizeof err);
    if (!ckpt) log_fatal(EX_UNAVAILABLE, "%s", err);
    /* A full disk can fail recovery's write (kill -9 with claims in flight,
     * then no space): start degraded rather than exit, which under systemd
     * is a restart loop serving nobody; s_retry_recovery() finishes it. */
    int64_t recovered = store_recover(k.store);
    if (recovered < 0)
        log_error("store: recovery of the claims in flight at the last stop failed (%s); starting degraded: "
                  "status, reads, the feed and HTTP work, new claims get UNAVAILABLE, recovery is retried every "
                  "second",
                  store_errmsg(k.store));
    if (recovered > 0) log_info("recovery: %lld claims were being processed at the last stop; queued again",
                                (long long)recovered);

    struct event_config *ecfg = event_config_new();
    /* Let the base look at fds and timers between re-activated events. */
    struct timeval max_interval = {0, 0};
    event_config_set_max_dispatch_interval(ecfg, &max_interval, 16, PRIO_URGENT + 1);
    k.base = event_base_new_with_config(ecfg);
    event_config_free(ecfg);
    if (!k.base || event_base_priority_init(k.base, PRIO_COUNT) != 0) log_fatal(EX_SOFTWARE, "libevent init failed");
    k.zctx = zmq_ctx_new();
    if (!k.zctx) log_fatal(EX_SOFTWARE, "zmq_ctx_new failed: %s", zmq_strerror(errno));
    k.started_ms = klaimd_now_ms();

    k.batch = batch_new(k.base, k.store, PRIO_IO, PRIO_COMMIT, k.cfg.batch_max, k.cfg.batch_max_ms, err, sizeof err);
    if (!k.batch) log_fatal(EX_UNAVAILABLE, "store %s: %s", k.cfg.db_path, err);
    k.reg = registry_gen_new(&k);
    if (k.cfg.curve_secret[0]) {
        /* Before any CURVE socket binds: without a ZAP handler libzmq
         * would accept every key (pitfalls.md). */
        struct clients *list = clients_load(k.cfg.clients_dir, err, sizeof err);
        if (!list) log_fatal(EX_CONFIG, "%s", err);
        size_t n = list->n;
        k.zap = zap_start(k.zctx, list, err, sizeof err);
        if (!k.zap) log_fatal(EX_SOFTWARE, "%s", err);
        log_info("CURVE on: %zu clients allowed from %s", n, k.cfg.clients_dir);
    }
    k.broker = broker_new(&k, err, sizeof err);
    if (!k.broker) log_fatal(EX_CONFIG, "%s", err);
    k.intake = intake_new(&k, err, sizeof err);
    if (!k.intake) log_fatal(EX_CONFIG, "%s", err);
    s_dispatch_start(&k); /* issue 5: feed, cases, SLA clocks, HTTP */
    k.sup = supervisor_new(&k);
    if (recovered < 0) batch_degraded_until(k.batch, s_retry_recovery, &k);
    else if (store_each_received(k.store, s_load_queue, k.broker) != 0)
        log_fatal(EX_UNAVAILABLE, "cannot read the queue: %s", store_errmsg(k.store));
    broker_set_registry(k.broker, registry_gen_current(k.reg));
    supervisor_start(k.sup);

    struct event *sig_term = evsignal_new(k.base, SIGTERM, s_on_stop_signal, &k);
    struct event *sig_int = evsignal_new(k.base, SIGINT, s_on_stop_signal, &k);
    struct event *ready_tick = event_new(k.base, -1, EV_PERSIST, s_on_ready_tick, &k);
    struct event *sig_hup = evsignal_new(k.base, SIGHUP, s_on_reload, &k);
    event_add(sig_hup, NULL);
    struct event *watchdog = NULL;
    uint64_t wd_usec = 0;
    if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
        watchdog = event_new(k.base, -1, EV_PERSIST, s_on_watchdog, &k);
        event_priority_set(watchdog, PRIO_URGENT);
        uint64_t half = wd_usec / 2;
        struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};
        event_add(watchdog, &tv);
        log_info("systemd watchdog: pinging every %llu ms", (unsigned long long)(half / 1000));
    }
    event_priority_set(sig_term, PRIO_URGENT);
    event_priority_set(sig_int, PRIO_URGENT);
    event_add(sig_term, NULL);
    event_add(sig_int, NULL);
    struct timeval ready_tv = {0, 50 * 1000};
    event_add(ready_tick, &ready_tv);

    event_base_dispatch(k.base);

    /* Stop: what is committed stays, what was in flight is recovered at the
     * next start (PROCESSING -> RECEIVED), nothing is half-written. */
    batch_flush(k.batch);
    supervisor_stop(k.sup, 2000);
    batch_flush(k.batch);
    if (s_stopper.tick) event_free(s_stopper.tick);
    event_free(sig_term);
    event_free(sig_int);
    event_free(ready_tick);
    event_free(sig_hup);
    if (watchdog) event_free(watchdog);
    intake_free(&k.intake);
    broker_free(&k.broker);
    registry_gen_free(&k.reg);
    supervisor_free(&k.sup);
    batch_free(&k.batch);
    s_dispatch_stop(&k);
    ckpt_stop(&ckpt);
    store_checkpoint(k.store);
    store_close(&k.store);
    zap_stop(&k.zap);
    zmq_ctx_term(k.zctx);
    event_base_free(k.base);
    close(lock_fd);
    log_info("stopped (exit %d)", k.exit_code);
    return k.exit_code;
}

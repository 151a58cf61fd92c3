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
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "registry_gen.h"
#include "store.h"
#include "supervisor.h"

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

void klaimd_shutdown(struct klaimd *k, int exit_code)
{
    if (!k->exit_code) k->exit_code = exit_code;
    event_base_loopbreak(k->base);
}

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: klaimd [--config FILE] [--data-dir DIR] [--intake-endpoint EP] [--workers N]\n"
            "              [--log-level error|warn|info|debug]\n"
            "\n"
            "klaimd receives JKK and JKM claims over ZeroMQ, stores each one durably in SQLite\n"
            "before acknowledging it, and has klaim-worker processes decide them.\n"
            "\n"
            "  --config FILE           INI file (see config/klaimd.conf for every key and default)\n"
            "  --data-dir DIR          where klaim.db, the registry and the worker socket live\n"
            "                          (default /var/lib/klaimd; created 0700 if missing)\n"
            "  --intake-endpoint EP    client ROUTER endpoint (default tcp://127.0.0.1:7710)\n"
            "  --workers N             worker processes (default: CPU count)\n"
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

static void s_parse_args(int argc, char **argv, struct config *c)
{
    enum { O_CONFIG = 1000, O_DATA_DIR, O_INTAKE, O_WORKERS, O_LOG_LEVEL, O_HELP, O_VERSION };
    static const struct option opts[] = {
        {"config", required_argument, NULL, O_CONFIG},
        {"data-dir", required_argument, NULL, O_DATA_DIR},
        {"intake-endpoint", required_argument, NULL, O_INTAKE},
        {"workers", required_argument, NULL, O_WORKERS},
        {"log-level", required_argument, NULL, O_LOG_LEVEL},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    static const char *const keys[] = {[O_DATA_DIR - O_CONFIG] = "data_dir", [O_INTAKE - O_CONFIG] = "intake_endpoint",
                                       [O_WORKERS - O_CONFIG] = "workers", [O_LOG_LEVEL - O_CONFIG] = "log_level"};
    const char *file = NULL;
    const char *flag_val[8] = {0};
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case O_CONFIG: file = optarg; break;
        case O_DATA_DIR:
        case O_INTAKE:
        case O_WORKERS:
        case O_LOG_LEVEL: flag_val[opt - O_CONFIG] = optarg; break;
        case O_HELP: s_usage(stdout); exit(0);
        case O_VERSION: printf("klaimd %s\n", KLAIM_VERSION); exit(0);
        default:
            fprintf(stderr, "klaimd: unknown or incomplete option \"%s\"; see klaimd --help\n", argv[optind - 1]);
            exit(EX_USAGE);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "klaimd: unexpected argument \"%s\"; see klaimd --help\n", argv[optind]);
        exit(EX_USAGE);
    }
    char err[1024];
    if (file && config_load_file(c, file, err, sizeof err) != 0) log_fatal(EX_CONFIG, "%s", err);
    for (size_t i = 1; i < sizeof flag_val / sizeof flag_val[0]; i++) {
        if (!flag_val[i] || i >= sizeof keys / sizeof keys[0] || !keys[i]) continue;
        if (config_set(c, keys[i], flag_val[i], err, sizeof err) != 0) log_fatal(EX_CONFIG, "--%s: %s", opts[i].name, err);
    }
    if (config_finish(c, err, sizeof err) != 0) log_fatal(EX_CONFIG, "%s", err);
    if (!file) log_warn("no --config file: defaults, no CURVE, loopback only, every client is admin");
}

/* ---------------------------------------------------------------- signals */

static void s_on_stop_signal(evutil_socket_t sig, short what, void *arg);

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

/* READY=1 once the first worker is READY: before that, systemd would
 * route "started" to a daemon that cannot decide anything yet. */
static void s_on_ready_tick(evutil_socket_t fd, short what, void *arg)
{
    struct klaimd *k = arg;
    struct broker_stats bs;
    broker_get_stats(k->broker, &bs);
    static int ready;
    if (ready || bs.workers_ready == 0) return;
    ready = 1;
    sd_notify(0, "READY=1\nSTATUS=accepting claims");
    log_info("ready: intake %s, %d workers, registry generation %llu", k->cfg.intake_endpoint, k->cfg.workers,
             (unsigned long long)registry_gen_current(k->reg));
}

static void s_load_queue(void *arg, int64_t id, int64_t not_before_ms)
{
    broker_enqueue(arg, id, not_before_ms);
}

int main(int argc, char **argv)
{
    log_init("klaimd");
    struct klaimd k;
    memset(&k, 0, sizeof k);
    config_defaults(&k.cfg);
    s_parse_args(argc, argv, &k.cfg);
    log_set_level(k.cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    umask(0077);
    srandom((unsigned)getpid() ^ (unsigned)time(NULL));

    s_mkdir(k.cfg.data_dir);
    int lock_fd = s_lock(&k.cfg);
    s_mkdir(k.cfg.run_dir);
    s_mkdir(k.cfg.registry_dir);

    char err[1024];
    k.store = store_open(k.cfg.db_path, err, sizeof err);
    if (!k.store) log_fatal(EX_UNAVAILABLE, "store %s: %s", k.cfg.db_path, err);
    int64_t recovered = store_recover(k.store);
    if (recovered < 0) log_fatal(EX_UNAVAILABLE, "store recovery failed: %s", store_errmsg(k.store));
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

    k.batch = batch_new(k.base, k.store, PRIO_COMMIT, k.cfg.batch_max);
    k.reg = registry_gen_new(&k);
    k.broker = broker_new(&k, err, sizeof err);
    if (!k.broker) log_fatal(EX_CONFIG, "%s", err);
    k.intake = intake_new(&k, err, sizeof err);
    if (!k.intake) log_fatal(EX_CONFIG, "%s", err);
    k.sup = supervisor_new(&k);
    if (store_each_received(k.store, s_load_queue, k.broker) != 0)
        log_fatal(EX_UNAVAILABLE, "cannot read the queue: %s", store_errmsg(k.store));
    broker_set_registry(k.broker, registry_gen_current(k.reg));
    supervisor_start(k.sup);

    struct event *sig_term = evsignal_new(k.base, SIGTERM, s_on_stop_signal, &k);
    struct event *sig_int = evsignal_new(k.base, SIGINT, s_on_stop_signal, &k);
    struct event *ready_tick = event_new(k.base, -1, EV_PERSIST, s_on_ready_tick, &k);
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
    intake_free(&k.intake);
    broker_free(&k.broker);
    registry_gen_free(&k.reg);
    supervisor_free(&k.sup);
    batch_free(&k.batch);
    store_checkpoint(k.store);
    store_close(&k.store);
    zmq_ctx_term(k.zctx);
    event_base_free(k.base);
    close(lock_fd);
    log_info("stopped (exit %d)", k.exit_code);
    return k.exit_code;
}

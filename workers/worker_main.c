/* worker_main.c - klaim-worker: arguments, parent checks, mode dispatch.
 *
 * Owns: the command line, the exit codes, PR_SET_PDEATHSIG and the parent
 * check, the fd 3 sanity check, reading the CURVE keys of remote mode.
 * Runs in: klaim-worker, spawned by klaimd (posix_spawn, fd 3 = its end of
 * a socketpair, other fds closed, NOTIFY_SOCKET unset), or started by an
 * operator as a remote worker, in one of these modes:
 *   decider (default): worker_loop.c serves jobs on klaimd's ipc ROUTER;
 *   remote decider (--curve-key): the same on klaimd's remote_worker_endpoint
 *                      over tcp with CURVE, no parent, no fd 3;
 *   --build-registry:  build_registry.c writes the next registry generation
 *                      and prints one JSON object on stdout.
 * Exit codes: 0 normal, 64 usage, 65 bad data (builder), 74 I/O (builder),
 * 78 config or protocol mismatch (klaimd then stops respawning).
 */
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "build_registry.h"
#include "clients.h"
#include "registry.h"
#include "sandbox.h"
#include "log.h"
#include "worker_loop.h"

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_IOERR_ 74
#define EX_CONFIG_ 78

static void s_help(FILE *f)
{
    fprintf(f,
            "usage: klaim-worker --endpoint ENDPOINT --slot S --spawn-gen G --parent-pid P\n"
            "                    --registry-dir DIR --credits C --heartbeat-ms H\n"
            "                    [--max-jobs N] [--log-level L]\n"
            "       klaim-worker --endpoint tcp://HOST:PORT --curve-key FILE --server-key KEYFILE_OR_Z85\n"
            "                    --registry-dir DIR [--credits C] [--heartbeat-ms H] [--name N]\n"
            "                    [--log-level L]\n"
            "       klaim-worker --build-registry --registry-dir DIR --from N --to M --csv FILE\n"
            "                    [--log-level L]\n"
            "       klaim-worker --help | --version\n"
            "\n"
            "The decider process of klaimd. Local workers: klaimd starts them with fd 3 = its\n"
            "control socket; they are not meant to be run by hand (first usage line).\n"
            "  --endpoint ENDPOINT   klaimd's worker ROUTER (ipc://DATA/run/workers.sock)\n"
            "  --slot S              pool slot; with G it makes the routing id wS.G\n"
            "  --spawn-gen G         spawn generation of the slot\n"
            "  --parent-pid P        klaimd's pid; the worker exits if its parent is not P\n"
            "  --registry-dir DIR    folder of registry generations gen-N.db\n"
            "  --credits C           leases it can hold at once (1..1024)\n"
            "  --heartbeat-ms H      heartbeat after H ms without sending (10..600000)\n"
            "  --max-jobs N          exit 0 after N jobs (retirement; 0 = never)\n"
            "  --log-level L         error|warn|info|debug (default info)\n"
            "\n"
            "Remote worker (scale-out; second usage line), run by an operator on any host,\n"
            "e.g. under systemd with Restart=always:\n"
            "  --endpoint EP         klaimd's remote_worker_endpoint, tcp://HOST:PORT\n"
            "  --curve-key FILE      this worker's key pair (klaimctl keygen NAME writes NAME.key).\n"
            "                        klaimd's clients_dir needs a NAME.client file with\n"
            "                        role = worker and the public = line of NAME.pub; any other\n"
            "                        role is refused at the handshake\n"
            "  --server-key KEY      klaimd's public key: the server.pub file of its\n"
            "                        curve_secret_key_file, or its 40-character Z85 value\n"
            "  --registry-dir DIR    a read-only copy of klaimd's DATA/registry: the files\n"
            "                        gen-N.db. klaimd names the generation in every job and\n"
            "                        heartbeat and leases to this worker only while it has that\n"
            "                        generation open; after each registry import copy the new\n"
            "                        file here before klaimd needs it, e.g. from cron or a path\n"
            "                        unit: rsync -a --include='gen-*.db' --exclude='*'\n"
            "                        KLAIMD_HOST:/var/lib/klaimd/registry/ DIR/\n"
            "                        (published generations never change; rsync renames\n"
            "                        complete files into place). A job naming a missing\n"
            "                        generation is answered retry (not charged) and the log\n"
            "                        names the file\n"
            "  --credits C           jobs it holds at once (1..1024, default 64; klaimd caps it\n"
            "                        at its worker_credits). Cover the network round trip\n"
            "  --heartbeat-ms H      klaimd's heartbeat_ms (default 1000): the worker heartbeats\n"
            "                        every H ms, and klaimd's silence for 3 x H makes it send\n"
            "                        READY again on a new connection (klaimd restarted, or\n"
            "                        dropped it); klaimd drops a worker silent for 3 of its\n"
            "                        own heartbeat_ms, so keep the two equal\n"
            "  --name N              [A-Za-z0-9_.-]{1,32} in its routing id r.N.PID.CONN.RAND\n"
            "                        and klaimd's logs (default: the host name)\n"
            "  A remote worker has no fd 3 and no parent check: it outlives klaimd restarts and\n"
            "  runs until SIGTERM or SIGINT (exit 0). It runs in the local workers' sandbox\n"
            "  (no exec, no fork, no file opened for writing, no capabilities), with tcp\n"
            "  sockets allowed.\n"
            "\n"
            "Registry builder (one short-lived process per import):\n"
            "  --build-registry      read DIR/gen-N.db (N = 0: start empty), apply the CSV,\n"
            "                        publish DIR/gen-M.db; prints one JSON object on stdout\n"
            "  --from N --to M       generations (M > N)\n"
            "  --csv FILE            participant registry CSV (interface.md)\n"
            "\n"
            "Test-only hook: if the environment variable KLAIM_WORKER_CRASH_KPJ is set, a job\n"
            "whose claim has that kpj makes the worker abort() (a poison claim for crash tests).\n"
            "Never set it in production.\n"
            "\n"
            "Exit codes: 0 normal, 64 usage, 65 bad data (builder), 74 I/O error (builder),\n"
            "78 configuration or protocol mismatch.\n");
}

static void s_usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void s_usage_fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_error("%s (see klaim-worker --help)", msg);
    exit(EX_USAGE_);
}

/* Strict unsigned decimal in [min, max]; anything else is a usage error
 * naming the option. */
static uint64_t s_num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
    if (!s || !*s) s_usage_fail("--%s needs a value", opt);
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
            s_usage_fail("--%s \"%s\": expected an integer %" PRIu64 "..%" PRIu64, opt, s, min, max);
    }
    if (v < min || v > max)
        s_usage_fail("--%s %s is out of range: expected %" PRIu64 "..%" PRIu64, opt, s, min, max);
    return v;
}

enum {
    OPT_ENDPOINT = 1000, OPT_SLOT, OPT_SPAWN_GEN, OPT_PARENT_PID, OPT_REGISTRY_DIR, OPT_CREDITS, OPT_HEARTBEAT_MS,
    OPT_MAX_JOBS, OPT_LOG_LEVEL, OPT_BUILD, OPT_FROM, OPT_TO, OPT_CSV, OPT_HELP, OPT_VERSION,
    OPT_REPORT_COVERAGE, OPT_GEN, OPT_AS_OF, OPT_CURVE_KEY, OPT_SERVER_KEY, OPT_NAME,
};

static const struct option s_opts[] = {
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"slot", required_argument, NULL, OPT_SLOT},
    {"spawn-gen", required_argument, NULL, OPT_SPAWN_GEN},
    {"parent-pid", required_argument, NULL, OPT_PARENT_PID},
    {"registry-dir", required_argument, NULL, OPT_REGISTRY_DIR},
    {"credits", required_argument, NULL, OPT_CREDITS},
    {"heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT_MS},
    {"max-jobs", required_argument, NULL, OPT_MAX_JOBS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"build-registry", no_argument, NULL, OPT_BUILD},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"csv", required_argument, NULL, OPT_CSV},
    {"report-coverage", no_argument, NULL, OPT_REPORT_COVERAGE},
    {"gen", required_argument, NULL, OPT_GEN},
    {"as-of", required_argument, NULL, OPT_AS_OF},
    {"curve-key", required_argument, NULL, OPT_CURVE_KEY},
    {"server-key", required_argument, NULL, OPT_SERVER_KEY},
    {"name", required_argument, NULL, OPT_NAME},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

#define S_WORKER_ONLY ((1u << (OPT_ENDPOINT - 1000)) | (1u << (OPT_SLOT - 1000)) | (1u << (OPT_SPAWN_GEN - 1000)) | \
                       (1u << (OPT_PARENT_PID - 1000)) | (1u << (OPT_CREDITS - 1000)) |                          \
                       (1u << (OPT_HEARTBEAT_MS - 1000)) | (1u << (OPT_MAX_JOBS - 1000)))
#define S_BUILD_ONLY ((1u << (OPT_FROM - 1000)) | (1u << (OPT_TO - 1000)) | (1u << (OPT_CSV - 1000)))
#define S_REMOTE_ONLY ((1u << (OPT_CURVE_KEY - 1000)) | (1u << (OPT_SERVER_KEY - 1000)) | (1u << (OPT_NAME - 1000)))
/* Local-worker options a remote worker has no use for: klaimd gives them. */
#define S_LOCAL_ONLY ((1u << (OPT_SLOT - 1000)) | (1u << (OPT_SPAWN_GEN - 1000)) | (1u << (OPT_PARENT_PID - 1000)) | \
                      (1u << (OPT_MAX_JOBS - 1000)))

static const char *s_optname(int bit)
{
    for (const struct option *o = s_opts; o->name; o++)
        if (o->val - 1000 == bit) return o->name;
    return "?";
}

/* The builder mode: one JSON object on stdout whatever happens, the exit
 * code of registry_build(), 74 if stdout itself cannot be written. */
static int s_build(const char *dir, uint64_t from, uint64_t to, const char *csv)
{
    struct registry_build_report rep;
    int rc = registry_build(dir, from, to, csv, &rep);
    if (rc != REGISTRY_BUILD_OK) log_error("registry build failed: %s", rep.error);
    char *json = registry_build_report_json(&rep, rc);
    registry_build_report_free(&rep);
    int ok = printf("%s\n", json) >= 0 && fflush(stdout) == 0;
    free(json);
    if (!ok) {
        log_error("cannot write the report to stdout: %s", strerror(errno));
        return EX_IOERR_;
    }
    return rc;
}

static void s_cov_row(void *arg, const char *regency, const char *category, const char *sponsor, int64_t active)
{
    json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:I}", "regency", regency, "category", category, "sponsor",
                                         sponsor, "active", (json_int_t)active));
}

/* The coverage report mode: memberships active on as_of, grouped, as one
 * JSON object on stdout ({"rows":[...]}); 74 when the generation cannot be
 * read. Run by klaimd as a helper: klaimd never opens the registry. */
static int s_report_coverage(const char *dir, uint64_t gen, kdate as_of)
{
    char why[512];
    struct registry *r = registry_open(dir, gen, why, sizeof why);
    if (!r) {
        log_error("report: %s", why);
        return EX_IOERR_;
    }
    json_t *rows = json_array();
    int rc = registry_coverage(r, as_of, s_cov_row, rows);
    registry_close(&r);
    if (rc != 0) {
        json_decref(rows);
        log_error("report: the coverage scan of generation %" PRIu64 " failed", gen);
        return EX_IOERR_;
    }
    json_t *root = json_pack("{s:o}", "rows", rows);
    char *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    int ok = out && printf("%s\n", out) >= 0 && fflush(stdout) == 0;
    free(out);
    return ok ? EX_OK_ : EX_IOERR_;
}

/* Both decider modes, once the options are checked: the test hooks, the
 * sandbox (before the ZeroMQ context: its threads inherit the filter),
 * then the loop. Returns the exit code. */
static int s_serve(struct worker_opts *o, int allow_inet)
{
    const char *crash = getenv("KLAIM_WORKER_CRASH_KPJ");
    o->crash_kpj = (crash && *crash) ? crash : NULL;
    if (o->crash_kpj) log_warn("test hook KLAIM_WORKER_CRASH_KPJ is set: a claim with that kpj aborts this worker");
    char why[256];
    const char *nosb = getenv("KLAIM_WORKER_NO_SANDBOX");
    if (nosb && *nosb) {
        log_warn("KLAIM_WORKER_NO_SANDBOX is set: running without the sandbox (debugging only)");
    } else if (sandbox_enter(allow_inet, why, sizeof why) != 0) {
        log_error("cannot enter the sandbox: %s (set KLAIM_WORKER_NO_SANDBOX=1 to debug without it)", why);
        return EX_CONFIG_;
    }
    const char *probe = getenv("KLAIM_WORKER_SANDBOX_PROBE");
    if (probe && *probe) sandbox_probe();
    return worker_run(o);
}

/* --name, or the host name made fit for a routing id: [A-Za-z0-9_.-],
 * at most 32 characters. A given --name that does not fit is a usage
 * error rather than silently changed. */
static void s_worker_name(const char *given, char *out, size_t size)
{
    char host[256] = "";
    const char *src = given;
    if (!src) {
        if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "worker");
        src = host;
    }
    size_t n = strlen(src);
    if (given && (n == 0 || n > 32)) s_usage_fail("--name \"%s\": expected 1 to 32 characters [A-Za-z0-9_.-]", given);
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < size && j < 32; i++) {
        char ch = src[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                 ch == '.' || ch == '-';
        if (!ok && given) s_usage_fail("--name \"%s\": expected 1 to 32 characters [A-Za-z0-9_.-]", given);
        out[j++] = ok ? ch : '-';
    }
    out[j] = '\0';
}

/* --server-key: a key file (klaimd's server.pub, or any file with a
 * public = line) or the 40-character Z85 key itself. 0, or -1 with why. */
static int s_server_key(const char *arg, char out[41], char *why, size_t whylen)
{
    uint8_t bin[32];
    if (strlen(arg) == 40 && access(arg, F_OK) != 0 && zmq_z85_decode(bin, arg) != NULL) {
        memcpy(out, arg, 41);
        return 0;
    }
    return clients_read_keyfile(arg, out, NULL, why, whylen);
}

/* 0 if --registry-dir names a directory, else logs why with `fix` and
 * returns -1 (a configuration error for both kinds of worker). */
static int s_check_registry_dir(const char *dir, const char *fix)
{
    struct stat st;
    errno = 0;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    log_error("--registry-dir %s: %s: %s", dir, errno ? strerror(errno) : "not a directory", fix);
    return -1;
}

/* The remote decider: no parent, no fd 3, tcp with CURVE. The key files
 * are read here, before the sandbox; a bad one is a configuration error
 * (78) naming the file and the fix. */
static int s_remote_main(const char *endpoint, const char *dir, const char *curve_key, const char *server_key,
                         const char *name_arg, uint64_t credits, uint64_t heartbeat_ms, uint32_t seen)
{
    uint32_t wrong = seen & (S_LOCAL_ONLY | S_BUILD_ONLY);
    if (wrong)
        s_usage_fail("--%s is not used by a remote worker (--curve-key): it is only for the workers klaimd starts",
                     s_optname(__builtin_ctz(wrong)));
    if (!endpoint || !*endpoint) s_usage_fail("--endpoint is required: klaimd's remote_worker_endpoint, tcp://HOST:PORT");
    if (strncmp(endpoint, "tcp://", 6) != 0)
        s_usage_fail("--endpoint %s: a remote worker connects to klaimd's remote_worker_endpoint, tcp://HOST:PORT",
                     endpoint);
    if (!curve_key || !server_key)
        s_usage_fail("a remote worker needs both --curve-key (its NAME.key) and --server-key (klaimd's server.pub)");
    static char name[33], pub[41], sec[41], spub[41];
    s_worker_name(name_arg, name, sizeof name);
    if (s_check_registry_dir(dir, "create it and copy klaimd's DATA/registry/gen-N.db files into it") != 0)
        return EX_CONFIG_;
    char why[512];
    if (clients_read_keyfile(curve_key, pub, sec, why, sizeof why) != 0) {
        log_error("--curve-key: %s", why);
        return EX_CONFIG_;
    }
    if (s_server_key(server_key, spub, why, sizeof why) != 0) {
        log_error("--server-key: %s (give klaimd's server.pub, or its 40-character public key)", why);
        return EX_CONFIG_;
    }
    struct worker_opts o = {
        .endpoint = endpoint,
        .registry_dir = dir,
        .credits = credits ? (uint32_t)credits : 64,
        .heartbeat_ms = heartbeat_ms ? (uint32_t)heartbeat_ms : 1000,
        .ctl_fd = -1,
        .curve_public = pub,
        .curve_secret = sec,
        .server_public = spub,
        .name = name,
    };
    return s_serve(&o, 1);
}

int main(int argc, char **argv)
{
    log_init("klaim-worker");
    const char *endpoint = NULL, *dir = NULL, *csv = NULL, *curve_key = NULL, *server_key = NULL, *name = NULL;
    uint64_t slot = 0, spawn_gen = 0, parent_pid = 0, credits = 0, heartbeat_ms = 0, max_jobs = 0, from = 0, to = 0;
    int build = 0, report = 0;
    uint64_t gen = 0;
    kdate as_of = kdate_today_wib();
    uint32_t seen = 0;

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", s_opts, NULL)) != -1) {
        if (c >= 1000 && c < 1032) seen |= 1u << (c - 1000);
        switch (c) {
        case OPT_ENDPOINT: endpoint = optarg; break;
        case OPT_SLOT: slot = s_num("slot", optarg, 0, UINT32_MAX); break;
        case OPT_SPAWN_GEN: spawn_gen = s_num("spawn-gen", optarg, 0, UINT64_MAX); break;
        case OPT_PARENT_PID: parent_pid = s_num("parent-pid", optarg, 1, INT32_MAX); break;
        case OPT_REGISTRY_DIR: dir = optarg; break;
        case OPT_CREDITS: credits = s_num("credits", optarg, 1, 1024); break;
        case OPT_HEARTBEAT_MS: heartbeat_ms = s_num("heartbeat-ms", optarg, 10, 600000); break;
        case OPT_MAX_JOBS: max_jobs = s_num("max-jobs", optarg, 0, UINT64_MAX); break;
        case OPT_LOG_LEVEL: {
            enum log_level lvl;
            if (log_level_parse(optarg, &lvl) < 0)
                s_usage_fail("--log-level \"%s\": expected error, warn, info or debug", optarg);
            log_set_level(lvl);
            break;
        }
        case OPT_BUILD: build = 1; break;
        case OPT_FROM: from = s_num("from", optarg, 0, UINT64_MAX - 1); break;
        case OPT_TO: to = s_num("to", optarg, 1, UINT64_MAX); break;
        case OPT_CSV: csv = optarg; break;
        case OPT_REPORT_COVERAGE: report = 1; break;
        case OPT_CURVE_KEY: curve_key = optarg; break;
        case OPT_SERVER_KEY: server_key = optarg; break;
        case OPT_NAME: name = optarg; break;
        case OPT_GEN: gen = s_num("gen", optarg, 1, UINT64_MAX); break;
        case OPT_AS_OF:
            if (kdate_parse(optarg, strlen(optarg), &as_of) != 0) s_usage_fail("--as-of \"%s\": expected YYYY-MM-DD", optarg);
            break;
        case OPT_HELP: s_help(stdout); return EX_OK_;
        case OPT_VERSION: printf("klaim-worker %s\n", KLAIM_VERSION); return EX_OK_;
        case ':': s_usage_fail("%s needs a value", argv[optind - 1]);
        default: s_usage_fail("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) s_usage_fail("unexpected argument \"%s\"", argv[optind]);
    if (!dir || !*dir) s_usage_fail("--registry-dir is required");

    if (report) {
        if (!gen) s_usage_fail("--report-coverage needs --gen N");
        return s_report_coverage(dir, gen, as_of);
    }
    if (build) {
        uint32_t wrong = seen & (S_WORKER_ONLY | S_REMOTE_ONLY);
        if (wrong) s_usage_fail("--%s is not used with --build-registry", s_optname(__builtin_ctz(wrong)));
        if (!(seen & (1u << (OPT_FROM - 1000)))) s_usage_fail("--build-registry needs --from N");
        if (!(seen & (1u << (OPT_TO - 1000)))) s_usage_fail("--build-registry needs --to M");
        if (!csv || !*csv) s_usage_fail("--build-registry needs --csv FILE");
        if (to <= from) s_usage_fail("--to %" PRIu64 " must be above --from %" PRIu64, to, from);
        return s_build(dir, from, to, csv);
    }

    if (seen & S_REMOTE_ONLY)
        return s_remote_main(endpoint, dir, curve_key, server_key, name, credits, heartbeat_ms, seen);
    uint32_t wrong = seen & S_BUILD_ONLY;
    if (wrong) s_usage_fail("--%s is only used with --build-registry", s_optname(__builtin_ctz(wrong)));
    static const int required[] = {OPT_ENDPOINT, OPT_SLOT, OPT_SPAWN_GEN, OPT_PARENT_PID, OPT_CREDITS,
                                   OPT_HEARTBEAT_MS};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!(seen & (1u << (required[i] - 1000)))) s_usage_fail("--%s is required", s_optname(required[i] - 1000));

    /* The parent may die between its spawn and our prctl: the signal would
     * never come. Checking getppid() after the prctl closes that race. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) log_warn("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
    if ((uint64_t)getppid() != parent_pid) {
        log_info("parent %" PRIu64 " is gone (ppid %d); exiting", parent_pid, (int)getppid());
        return EX_OK_;
    }
    if (!*endpoint) s_usage_fail("--endpoint is empty");
    if (s_check_registry_dir(dir, "pass klaimd's DATA/registry folder") != 0) return EX_CONFIG_;
    if (fcntl(3, F_GETFD) < 0) {
        log_error("fd 3 is not open: klaim-worker is started by klaimd with its control socket on fd 3");
        return EX_CONFIG_;
    }
    int fl = fcntl(3, F_GETFL);
    if (fl >= 0) fcntl(3, F_SETFL, fl | O_NONBLOCK);
    fcntl(3, F_SETFD, FD_CLOEXEC);

    struct worker_opts o = {
        .endpoint = endpoint,
        .slot = (uint32_t)slot,
        .spawn_gen = spawn_gen,
        .registry_dir = dir,
        .credits = (uint32_t)credits,
        .heartbeat_ms = (uint32_t)heartbeat_ms,
        .max_jobs = max_jobs,
        .ctl_fd = 3,
    };
    return s_serve(&o, strncmp(endpoint, "tcp://", 6) == 0);
}

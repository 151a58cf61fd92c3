/* ctl_main.c - klaimctl: the command-line client and admin tool.
 *
 * Owns: the global flags (--endpoint, --config, --timeout, --format,
 *   --curve-key, --server-key, --help, --version, before or after the
 *   verb), the connection settings (flag > KLAIMCTL_* environment >
 *   [klaimctl] of --config > default), verb dispatch, and the argument and
 *   output helpers every verb uses (ctl.h).
 * Runs in: klaimctl, a short-lived single-threaded process. It talks to
 *   klaimd over ZeroMQ only and never opens a database.
 * Exit codes: sysexits.h, see the --help text.
 * See also: ctl_submit.c, ctl_status.c, ctl_registry.c, ctl_conn.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "clients.h"
#include "ctl.h"
#include "ctl_conn.h"
#include "dates.h"
#include "types.h"
#include "xalloc.h"

#define CTL_DEFAULT_ENDPOINT "tcp://127.0.0.1:7710"

static const char s_usage[] =
    "klaimctl [--endpoint EP] [--config FILE] [--timeout MS] [--format json|table] VERB ARGS...";

static const char s_help[] =
    "klaimctl - the command-line client and admin tool of klaimd\n"
    "\n"
    "usage: klaimctl [GLOBAL FLAGS] VERB [ARGS...]\n"
    "\n"
    "verbs:\n"
    "  submit FILE|-             submit claims (one JSON object, an array, or JSON Lines);\n"
    "                            prints {\"idempotency_key\",\"claim_id\",\"state\"} per claim\n"
    "  status CLAIM_ID           the decision of one claim (also: status --key KEY)\n"
    "  stats                     queue depth, claims by state, worker pool, feed sequence\n"
    "  registry import FILE.csv  load or update the participant registry\n"
    "  registry generate --rows N  a synthetic Mojokerto-like registry CSV (tests, benchmarks)\n"
    "  review list|approve|reject|confirm  claims waiting for a person (PENDING_REVIEW)\n"
    "                            or for a second reviewer (AWAITING_CONFIRMATION)\n"
    "  keygen PATH               write a CURVE key pair: PATH.key (secret) and PATH.pub\n"
    "  watch [--since SEQ]       follow the dispatch feed, one JSON event a line\n"
    "  export decisions --since DATE  decided claims and payment instructions (CSV or JSON Lines)\n"
    "  report claims|coverage    regional tables for the paying local government\n"
    "  audit verify|show ID      check the tamper-evident audit chain; one claim's history\n"
    "  payments batch|show|settle|account  payment batches for the bank (CSV and pain.001 XML),\n"
    "                            the bank's results, corrected payee accounts\n"
    "  backup FILE               klaimd writes a consistent copy of its store to FILE\n"
    "                            in its backup_dir (admin; 65 refused, 73 cannot write)\n"
    "Run `klaimctl VERB --help` for a verb's own flags.\n"
    "\n"
    "global flags (before or after the verb):\n"
    "  --endpoint EP       klaimd's intake socket (default: $KLAIMCTL_ENDPOINT, else endpoint in\n"
    "                      [klaimctl] of --config, else its intake_endpoint, else\n"
    "                      " CTL_DEFAULT_ENDPOINT ")\n"
    "  --config FILE       an INI file: its [klaimctl] section gives endpoint, curve_key and\n"
    "                      server_key; klaimd's intake_endpoint (top level or [klaimd]) is read\n"
    "                      too, so klaimd's own klaimd.conf works; other keys are klaimd's\n"
    "  --timeout MS        how long to wait for any answer from klaimd (default 10000)\n"
    "  --format json|table JSON on stdout (default) or an aligned table for people (Rupiah as\n"
    "                      42,000,000, times in WIB): submit, status, stats, registry import,\n"
    "                      review, watch, audit show, report; export takes csv (default) or\n"
    "                      jsonl, report also csv; a verb refuses a format it lacks (exit 64)\n"
    "  --curve-key FILE    this client's key pair (klaimctl keygen) for a klaimd with CURVE\n"
    "  --server-key FILE   klaimd's public key file (its keygen .pub); needed with --curve-key\n"
    "  --help, --version\n"
    "\n"
    "environment (a flag wins over its variable, a variable over --config's [klaimctl]):\n"
    "  KLAIMCTL_ENDPOINT     like --endpoint\n"
    "  KLAIMCTL_CURVE_KEY    like --curve-key\n"
    "  KLAIMCTL_SERVER_KEY   like --server-key\n"
    "\n"
    "exit codes (sysexits.h):\n"
    "  0  success            64 usage error          65 bad input data (a claim or file refused)\n"
    "  66 file not found     69 klaimd unreachable, unavailable, busy or shutting down\n"
    "  70 internal error     75 --wait ended before a decision   77 forbidden for this client\n"
    "  (also: klaimd refused its CURVE key, or wants CURVE and none was given)\n"
    "  78 configuration error\n"
    "When claims get different outcomes, the most serious code wins (70 > 69 > 77 > 65 > 75).\n"
    "\n"
    "examples:\n"
    "  klaimctl submit claims.jsonl\n"
    "  klaimctl submit --wait claim.json\n"
    "  cat claims.jsonl | klaimctl --endpoint tcp://10.0.0.5:7710 submit -\n"
    "  klaimctl status k-000000000042\n"
    "  klaimctl status --key RSIS-SAKINAH-2026-000123 --wait 30000\n"
    "  klaimctl --format table stats\n"
    "  klaimctl --config /etc/klaimd/klaimd.conf registry import participants.csv\n"
    "  export KLAIMCTL_ENDPOINT=tcp://10.0.0.5:7710 KLAIMCTL_CURVE_KEY=~/.klaim/me.key \\\n"
    "         KLAIMCTL_SERVER_KEY=/etc/klaimd/server.pub; klaimctl stats\n";

int ctl_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("klaimctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", usage);
    return CTL_EX_USAGE;
}

int ctl_flag(int argc, char **argv, int *i, const char *name, int takes_value, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '\0') {
        if (!takes_value) {
            (*i)++;
            return 1;
        }
        if (*i + 1 >= argc) {
            ctl_usage(s_usage, "%s needs a value", name);
            return -1;
        }
        *value = argv[*i + 1];
        *i += 2;
        return 1;
    }
    if (a[n] == '=' && takes_value) {
        *value = a + n + 1;
        (*i)++;
        return 1;
    }
    return 0;
}

int ctl_check_claim_id(const char *where, const char *id)
{
    int64_t v;
    if (klaim_id_parse(id, &v) == 0) return 0;
    fprintf(stderr, "klaimctl: %s: \"%s\" is not a claim id: expected k- followed by digits (e.g. k-000000000042)\n",
            where, id);
    return CTL_EX_DATAERR;
}

int ctl_parse_int(const char *flag, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "klaimctl: %s \"%s\": expected an integer %ld..%ld\n", flag, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

void ctl_print_json(const json_t *v, int pretty)
{
    char *s = json_dumps(v, pretty ? JSON_INDENT(2) : JSON_COMPACT);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    fflush(stdout);
}

struct ctl_conn *ctl_connect(const struct ctl_opts *o, int *exit_code)
{
    char err[512];
    struct ctl_curve curve, *cp = NULL;
    if (!!o->curve_key != !!o->server_key) {
        fprintf(stderr, "klaimctl: CURVE needs both --curve-key (this client's NAME.key) and --server-key "
                        "(klaimd's public key file), or KLAIMCTL_CURVE_KEY and KLAIMCTL_SERVER_KEY, or "
                        "curve_key and server_key in [klaimctl] of --config\n");
        *exit_code = CTL_EX_USAGE;
        return NULL;
    }
    if (o->curve_key) {
        if (clients_read_keyfile(o->curve_key, curve.public_z85, curve.secret_z85, err, sizeof err) != 0 ||
            clients_read_keyfile(o->server_key, curve.server_z85, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "klaimctl: %s\n", err);
            *exit_code = CTL_EX_CONFIG;
            return NULL;
        }
        cp = &curve;
    }
    struct ctl_conn *c = ctl_conn_new(o->endpoint, cp, err, sizeof err);
    if (!c) {
        fprintf(stderr, "klaimctl: %s\n", err);
        *exit_code = o->bad_endpoint_exit;
    }
    return c;
}

/* Keys whose integer values are Rupiah amounts (the last '.' part of a
 * flattened key, an array index after it allowed). */
static int s_is_money_key(const char *key)
{
    static const char *const money[] = {"total", "amount", "wage_basis", "paid", "medical", "transport"};
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    size_t n = strcspn(last, "[");
    if (n > 7 && strncmp(last + n - 7, "_amount", 7) == 0) return 1; /* late_amount */
    for (size_t i = 0; i < sizeof money / sizeof money[0]; i++)
        if (strncmp(last, money[i], strlen(money[i])) == 0 &&
            (last[strlen(money[i])] == '\0' || last[strlen(money[i])] == '['))
            return 1;
    return 0;
}

void ctl_format_rupiah(long long v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < size) buf[o++] = '-';
    for (int i = 0; i < n && o + 1 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 2 < size) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

int ctl_format_wib(const char *s, char *buf, size_t size)
{
    int64_t t;
    int32_t off;
    char iso[40];
    if (!s || ktime_parse_rfc3339(s, strlen(s), &t, &off) != 0) return -1;
    ktime_format_rfc3339(t, 7 * 60, iso, sizeof iso); /* 2026-03-06T16:12:05+07:00 */
    snprintf(buf, size, "%.10s %.5s WIB", iso, iso + 11);
    return 0;
}

char *ctl_table_value(const char *key, const json_t *v)
{
    char buf[64];
    if (!v || json_is_null(v)) return xstrdup("");
    if (json_is_integer(v) && s_is_money_key(key)) {
        ctl_format_rupiah((long long)json_integer_value(v), buf, sizeof buf);
        return xstrdup(buf);
    }
    if (json_is_string(v)) {
        if (ctl_format_wib(json_string_value(v), buf, sizeof buf) == 0) return xstrdup(buf);
        return xstrdup(json_string_value(v));
    }
    if (json_is_array(v) && json_array_size(v) == 0) return xstrdup("(none)");
    char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    return d ? d : xstrdup("");
}

void ctl_print_row(const json_t *obj, const struct ctl_col *cols, size_t ncols, int header)
{
    for (size_t i = 0; i < ncols; i++) {
        const char *sep = i + 1 < ncols ? "  " : "";
        if (header) {
            printf("%-*s%s", i + 1 < ncols ? cols[i].width : 0, cols[i].title, sep);
            continue;
        }
        char *v = ctl_table_value(cols[i].key, json_object_get(obj, cols[i].key));
        if (cols[i].width < 0)
            printf("%*s%s", -cols[i].width, v, sep);
        else
            printf("%-*s%s", i + 1 < ncols ? cols[i].width : 0, v, sep);
        free(v);
    }
    putchar('\n');
    fflush(stdout);
}

struct s_row {
    char *key;
    char *val;
};

static void s_flatten(const json_t *v, const char *prefix, struct s_row **rows, size_t *n, size_t *cap)
{
    if (json_is_object(v) && json_object_size(v) > 0) {
        const char *k;
        json_t *sub;
        json_object_foreach((json_t *)v, k, sub) {
            char *p;
            if (asprintf(&p, "%s%s%s", prefix, *prefix ? "." : "", k) < 0)
                abort();
            s_flatten(sub, p, rows, n, cap);
            free(p);
        }
        return;
    }
    if (json_is_array(v) && json_array_size(v) > 0) {
        size_t i;
        json_t *sub;
        json_array_foreach(v, i, sub) {
            char *p;
            if (asprintf(&p, "%s[%zu]", prefix, i) < 0)
                abort();
            s_flatten(sub, p, rows, n, cap);
            free(p);
        }
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *rows = xrealloc(*rows, *cap * sizeof **rows);
    }
    (*rows)[*n].key = xstrdup(prefix);
    (*rows)[*n].val = ctl_table_value(prefix, v);
    (*n)++;
}

void ctl_print_table(const json_t *v)
{
    struct s_row *rows = NULL;
    size_t n = 0, cap = 0, width = 0;
    s_flatten(v, "", &rows, &n, &cap);
    for (size_t i = 0; i < n; i++)
        if (strlen(rows[i].key) > width)
            width = strlen(rows[i].key);
    for (size_t i = 0; i < n; i++) {
        printf("%-*s  %s\n", (int)width, rows[i].key, rows[i].val ? rows[i].val : "");
        free(rows[i].key);
        free(rows[i].val);
    }
    free(rows);
    fflush(stdout);
}

struct s_conf {
    char *intake_endpoint; /* klaimd's intake_endpoint (top level or [klaimd]) */
    char *endpoint;        /* [klaimctl] endpoint */
    char *curve_key;       /* [klaimctl] curve_key */
    char *server_key;      /* [klaimctl] server_key */
};

static void s_set(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

static int s_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    struct s_conf *conf = user;
    if (!name) return 1;
    if (strcmp(name, "intake_endpoint") == 0 && (section[0] == '\0' || strcmp(section, "klaimd") == 0))
        s_set(&conf->intake_endpoint, value);
    if (strcmp(section, "klaimctl") == 0) {
        if (strcmp(name, "endpoint") == 0)
            s_set(&conf->endpoint, value);
        else if (strcmp(name, "curve_key") == 0)
            s_set(&conf->curve_key, value);
        else if (strcmp(name, "server_key") == 0)
            s_set(&conf->server_key, value);
        else
            fprintf(stderr, "klaimctl: warning: [klaimctl] %s: unknown key (endpoint, curve_key, server_key)\n",
                    name);
    }
    return 1;   /* other keys belong to klaimd */
}

/* Read klaimctl's defaults from the config file: [klaimctl] endpoint,
 * curve_key, server_key, and klaimd's intake_endpoint. Exits 78 if it is
 * unreadable or not INI, since the operator pointed us at it on purpose. */
static void s_config_read(const char *path, struct s_conf *conf)
{
    int rc = ini_parse(path, s_ini_handler, conf);
    if (rc == -1) {
        fprintf(stderr, "klaimctl: %s: cannot read the config file: %s; fix the path given to --config\n", path,
                strerror(errno));
        exit(CTL_EX_CONFIG);
    }
    if (rc != 0) {
        fprintf(stderr, "klaimctl: %s:%d: not a valid INI line (expected key = value or [section])\n", path, rc);
        exit(CTL_EX_CONFIG);
    }
}

/* The --format values each verb (or verb and action) takes; the first
 * match wins, so actions come before their verb. */
static const struct {
    const char *verb, *action, *formats;
} s_formats[] = {
    {"submit", NULL, "json table"},
    {"status", NULL, "json table"},
    {"stats", NULL, "json table"},
    {"registry", "generate", "csv"},
    {"registry", NULL, "json table"},
    {"review", NULL, "json table"},
    {"keygen", NULL, "json"},
    {"watch", NULL, "json table"},
    {"audit", "verify", "json"},
    {"audit", NULL, "json table"},
    {"export", NULL, "csv jsonl"},
    {"report", NULL, "json table csv"},
    {"payments", NULL, "json"},
};

/* 0 when the verb in rest[0] (and its action in rest[1]) takes --format
 * format; otherwise prints which formats it takes and returns -1 (exit
 * 64), so no verb silently prints JSON when a table was asked for. */
static int s_format_refused(const char *format, int nrest, char **rest)
{
    for (size_t i = 0; i < sizeof s_formats / sizeof s_formats[0]; i++) {
        if (strcmp(rest[0], s_formats[i].verb) != 0) continue;
        if (s_formats[i].action && (nrest < 2 || strcmp(rest[1], s_formats[i].action) != 0)) continue;
        const char *f = s_formats[i].formats;
        size_t n = strlen(format);
        for (const char *p = f; (p = strstr(p, format)) != NULL; p += n)
            if ((p == f || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 0;
        char takes[64] = "";
        const char *last = strrchr(f, ' ');
        for (const char *q = f; *q; q++) {
            size_t l = strlen(takes);
            if (*q != ' ')
                snprintf(takes + l, sizeof takes - l, "%c", *q);
            else
                snprintf(takes + l, sizeof takes - l, "%s", q == last ? " or " : ", ");
        }
        ctl_usage(s_usage, "%s%s%s: --format %s is not supported; %s%s%s takes --format %s", rest[0],
                  s_formats[i].action ? " " : "", s_formats[i].action ? s_formats[i].action : "", format, rest[0],
                  s_formats[i].action ? " " : "", s_formats[i].action ? s_formats[i].action : "", takes);
        return -1;
    }
    return 0; /* an unknown verb: the dispatch below says so */
}

/* An environment variable's value, NULL when unset or empty. */
static const char *s_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL, *config = NULL, *timeout = NULL, *format = NULL, *curve_key = NULL,
               *server_key = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, verb_seen = 0, help = 0, rc;

    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {   /* the rest is the verb's, untouched */
            while (i < argc)
                rest[nrest++] = argv[i++];
            break;
        }
        if ((rc = ctl_flag(argc, argv, &i, "--endpoint", 1, &endpoint)) ||
            (rc = ctl_flag(argc, argv, &i, "--config", 1, &config)) ||
            (rc = ctl_flag(argc, argv, &i, "--timeout", 1, &timeout)) ||
            (rc = ctl_flag(argc, argv, &i, "--format", 1, &format)) ||
            (rc = ctl_flag(argc, argv, &i, "--curve-key", 1, &curve_key)) ||
            (rc = ctl_flag(argc, argv, &i, "--server-key", 1, &server_key))) {
            if (rc < 0) {
                rc = CTL_EX_USAGE;
                goto out;
            }
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            printf("klaimctl %s\n", KLAIM_VERSION);
            rc = CTL_EX_OK;
            goto out;
        }
        if ((strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) && !verb_seen) {
            help = 1;
            i++;
            continue;
        }
        if (a[0] != '-')
            verb_seen = 1;
        rest[nrest++] = argv[i++];
    }
    if (help) {
        fputs(s_help, stdout);
        rc = CTL_EX_OK;
        goto out;
    }
    if (nrest == 0) {
        rc = ctl_usage(s_usage, "no verb given; run klaimctl --help for the list");
        goto out;
    }

    struct ctl_opts o = {.timeout_ms = 10000};
    if (timeout) {
        long v;
        if (ctl_parse_int("--timeout", timeout, 1, 86400000, &v) < 0) {
            rc = CTL_EX_USAGE;
            goto out;
        }
        o.timeout_ms = (int)v;
    }
    if (format) {
        if (strcmp(format, "table") == 0)
            o.table = 1;
        else if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0) {
            rc = ctl_usage(s_usage, "--format \"%s\": expected json or table (csv, jsonl for export and report)",
                           format);
            goto out;
        }
    }
    o.format = format;
    /* each setting: flag > environment > [klaimctl] in --config > default */
    struct s_conf conf = {0};
    if (config)
        s_config_read(config, &conf);
    const char *env_ep = s_env("KLAIMCTL_ENDPOINT");
    o.curve_key = curve_key ? curve_key : s_env("KLAIMCTL_CURVE_KEY") ? s_env("KLAIMCTL_CURVE_KEY") : conf.curve_key;
    o.server_key =
        server_key ? server_key : s_env("KLAIMCTL_SERVER_KEY") ? s_env("KLAIMCTL_SERVER_KEY") : conf.server_key;
    o.endpoint = endpoint ? endpoint
                 : env_ep ? env_ep
                 : conf.endpoint ? conf.endpoint
                 : conf.intake_endpoint ? conf.intake_endpoint
                                        : CTL_DEFAULT_ENDPOINT;
    /* an endpoint from the environment or a file is configuration (78) */
    o.bad_endpoint_exit = endpoint || (!env_ep && !conf.endpoint && !conf.intake_endpoint) ? CTL_EX_USAGE
                                                                                            : CTL_EX_CONFIG;

    static const struct {
        const char *name;
        int (*fn)(const struct ctl_opts *, int, char **);
    } verbs[] = {
        {"submit", ctl_submit},
        {"status", ctl_status},
        {"stats", ctl_stats},
        {"registry", ctl_registry},
        {"review", ctl_review},
        {"keygen", ctl_keygen},
        {"watch", ctl_watch},
        {"audit", ctl_audit},
        {"export", ctl_export},
        {"report", ctl_reports},
        {"payments", ctl_payments},
        {"backup", ctl_backup},
    };
    rc = -1;
    if (format && s_format_refused(format, nrest, rest) != 0) {
        rc = CTL_EX_USAGE;
        goto out_conf;
    }
    for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++)
        if (strcmp(rest[0], verbs[v].name) == 0)
            rc = verbs[v].fn(&o, nrest - 1, rest + 1);
    if (rc < 0)
        rc = ctl_usage(s_usage, "unknown verb or flag \"%s\"; run klaimctl --help for the list", rest[0]);
out_conf:
    free(conf.intake_endpoint);
    free(conf.endpoint);
    free(conf.curve_key);
    free(conf.server_key);
out:
    free(rest);
    return rc;
}

int ctl_keygen(const struct ctl_opts *o, int argc, char **argv)
{
    (void)o;
    if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs("usage: klaimctl keygen PATH\n"
              "\n"
              "Writes a new CURVE key pair: PATH.key (mode 0600: public and secret key; give it to\n"
              "klaimd as curve_secret_key_file, or to klaimctl as --curve-key) and PATH.pub (the public\n"
              "key alone: give it to clients as --server-key, or copy its public = line into a\n"
              "clients_dir/NAME.client file with name = and role = to allow a client).\n"
              "Refuses to overwrite existing files. Prints {\"public\",\"key_file\",\"pub_file\"}.\n",
              stdout);
        return CTL_EX_OK;
    }
    if (argc != 1 || argv[0][0] == '-') return ctl_usage("klaimctl keygen PATH", "keygen: give one PATH");
    char err[512], pub[41], key_file[4096], pub_file[4096];
    if (clients_keygen(argv[0], err, sizeof err) != 0) {
        fprintf(stderr, "klaimctl: keygen: %s\n", err);
        return CTL_EX_CANTCREAT;
    }
    snprintf(key_file, sizeof key_file, "%s.key", argv[0]);
    snprintf(pub_file, sizeof pub_file, "%s.pub", argv[0]);
    if (clients_read_keyfile(pub_file, pub, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "klaimctl: keygen: %s\n", err);
        return CTL_EX_SOFTWARE;
    }
    json_t *j = json_pack("{s:s, s:s, s:s}", "public", pub, "key_file", key_file, "pub_file", pub_file);
    ctl_print_json(j, 0);
    json_decref(j);
    return CTL_EX_OK;
}

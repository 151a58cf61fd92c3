/* config.c - see config.h. The INI syntax is libinih's; this file owns the
 * keys. To add a key: a field in struct config, a default, a row in s_keys. */
#include "config.h"

#include "clients.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workdays.h"

enum kind { K_PATH, K_STR, K_INT, K_I64, K_LEVEL, K_STR0 /* may be empty */, K_CRED /* K_PATH, see s_cred_path */ };

struct key {
    const char *name;
    enum kind kind;
    size_t off;
    size_t size;                /* K_PATH, K_STR: buffer size */
    int64_t min, max;           /* K_INT, K_I64 */
};

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)
static const struct key s_keys[] = {
    {"data_dir", K_PATH, F(data_dir), 0, 0},
    {"intake_endpoint", K_STR, F(intake_endpoint), 0, 0},
    {"workers", K_INT, F(workers), 0, 256}, /* 0: config_finish wants remote_worker_endpoint */
    {"worker_credits", K_INT, F(worker_credits), 1, 1024},
    {"worker_max_jobs", K_INT, F(worker_max_jobs), 0, INT32_MAX},
    {"worker_path", K_PATH, F(worker_path), 0, 0},
    {"heartbeat_ms", K_INT, F(heartbeat_ms), 100, 60000},
    {"lease_ms", K_INT, F(lease_ms), 500, 3600000},
    {"max_attempts", K_INT, F(max_attempts), 1, 100},
    {"max_message_bytes", K_I64, F(max_message_bytes), 4096, 64 << 20},
    {"batch_max", K_INT, F(batch_max), 1, 100000},
    {"batch_max_ms", K_INT, F(batch_max_ms), 1, 1000},
    {"client_max_pending", K_INT, F(client_max_pending), 1, 1000000},
    {"drain_timeout_ms", K_INT, F(drain_timeout_ms), 0, 600000},
    {"registry_max_bytes", K_I64, F(registry_max_bytes), 1024, INT64_C(1) << 40},
    {"registry_max_age_hours", K_INT, F(registry_max_age_hours), 0, 87600},
    {"log_level", K_LEVEL, F(log_level), 0, 0},
    {"curve_secret_key_file", K_CRED, F(curve_secret_key_file), 0, 0},
    {"clients_dir", K_PATH, F(clients_dir), 0, 0},
    {"feed_endpoint", K_STR, F(feed_endpoint), 0, 0},
    {"http_listen", K_STR0, F(http_listen), 0, 0},
    {"http_max_body_bytes", K_I64, F(http_max_body_bytes), 1024, 64 << 20},
    {"http_body_timeout_ms", K_INT, F(http_body_timeout_ms), 100, 600000},
    {"tokens_file", K_CRED, F(tokens_file), 0, 0},
    {"http_allowed_origins", K_STR0, F(http_allowed_origins), 0, 0},
    {"sla_report_hours", K_INT, F(sla_report_hours), 1, 24 * 365},
    {"sla_decision_days", K_INT, F(sla_decision_days), 1, 3650},
    {"sla_ack_minutes", K_INT, F(sla_ack_minutes), 1, 7 * 24 * 60},
    {"sla_test_unit_ms", K_INT, F(sla_test_unit_ms), 0, 3600 * 1000},
    {"remote_worker_endpoint", K_STR0, F(remote_worker_endpoint), 0, 0},
    {"remote_workers", K_INT, F(remote_workers), 1, 256},
    {"review_second_approval_rupiah", K_I64, F(review_second_approval_rupiah), 0, INT64_C(1000000000000000)},
    {"holidays", K_STR0, F(holidays), 0, 0},
    {"backup_dir", K_PATH, F(backup_dir), 0, 0},
};
#undef F

/* The worker binary sits beside klaimd (build tree and install alike). */
static void s_default_worker_path(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(out, size, "%s/klaim-worker", self) < (int)size) return;
        }
    }
    snprintf(out, size, "klaim-worker");
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "/var/lib/klaimd");
    snprintf(c->intake_endpoint, sizeof c->intake_endpoint, "tcp://127.0.0.1:7710");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = n > 0 ? (int)(n > 256 ? 256 : n) : 2;
    c->worker_credits = 512;
    c->worker_max_jobs = 0;
    s_default_worker_path(c->worker_path, sizeof c->worker_path);
    c->heartbeat_ms = 1000;
    c->lease_ms = 10000;
    c->max_attempts = 5;
    c->max_message_bytes = 1 << 20;
    c->batch_max = 1000;
    c->batch_max_ms = 5;
    c->client_max_pending = 2000;
    c->drain_timeout_ms = 5000;
    c->registry_max_bytes = INT64_C(4) << 30;
    c->log_level = LOG_LVL_INFO;
    snprintf(c->feed_endpoint, sizeof c->feed_endpoint, "tcp://127.0.0.1:7711");
    snprintf(c->http_listen, sizeof c->http_listen, "127.0.0.1:7780");
    c->http_max_body_bytes = 1 << 20;
    c->http_body_timeout_ms = 5000;
    c->sla_report_hours = 48;
    c->sla_decision_days = 30;
    c->sla_ack_minutes = 10;
    c->remote_workers = 8;
}

static int s_parse_i64(const char *v, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0' || x < min || x > max) return -1;
    *out = x;
    return 0;
}

/* A secret's path (curve_secret_key_file, tokens_file): a relative one names
 * a systemd credential (LoadCredential=) when $CREDENTIALS_DIRECTORY is set,
 * so the unit can say "server.key" and klaimd, under DynamicUser=, reads
 * the copy systemd made readable for it. Without that variable a relative
 * path stays relative to the working directory, as before. Writes the path
 * to use into out; returns -1 when it does not fit in size bytes. */
static int s_cred_path(const char *value, char *out, size_t size)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    int n = value[0] != '/' && dir && dir[0] ? snprintf(out, size, "%s/%s", dir, value)
                                             : snprintf(out, size, "%s", value);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof s_keys / sizeof s_keys[0]; i++) {
        const struct key *k = &s_keys[i];
        if (strcmp(k->name, key) != 0) continue;
        char *field = (char *)c + k->off;
        int64_t x;
        switch (k->kind) {
        case K_PATH:
        case K_STR:
        case K_STR0:
            if ((value[0] == '\0' && k->kind != K_STR0) || strlen(value) >= k->size) {
                snprintf(err, errlen, "%s = \"%s\": expected a non-empty value shorter than %zu bytes", key, value,
                         k->size);
                return -1;
            }
            memcpy(field, value, strlen(value) + 1);
            return 0;
        case K_CRED:
            if (value[0] == '\0' || s_cred_path(value, field, k->size) != 0) {
                snprintf(err, errlen, "%s = \"%s\": expected a non-empty path shorter than %zu bytes (with "
                                      "$CREDENTIALS_DIRECTORY before a relative one)", key, value, k->size);
                return -1;
            }
            return 0;
        case K_INT:
            if (s_parse_i64(value, k->min, k->max, &x) != 0) {
                snprintf(err, errlen, "%s = \"%s\": expected an integer %lld..%lld", key, value, (long long)k->min,
                         (long long)k->max);
                return -1;
            }
            *(int *)field = (int)x;
            return 0;
        case K_I64:
            if (s_parse_i64(value, k->min, k->max, &x) != 0) {
                snprintf(err, errlen, "%s = \"%s\": expected an integer %lld..%lld", key, value, (long long)k->min,
                         (long long)k->max);
                return -1;
            }
            *(int64_t *)field = x;
            return 0;
        case K_LEVEL:
            if (log_level_parse(value, (enum log_level *)field) != 0) {
                snprintf(err, errlen, "%s = \"%s\": expected error, warn, info or debug", key, value);
                return -1;
            }
            return 0;
        }
    }
    snprintf(err, errlen, "unknown key \"%s\" (see config/klaimd.conf for the keys)", key);
    return -1;
}

struct ini_ctx {
    struct config *c;
    FILE *f;
    int line;      /* the line the reader handed to libinih last */
    int err_line;  /* the line of the first handler error, 0 if none */
    char err[512]; /* that error's text */
};

/* libinih's line reader, counting lines so that a handler error can be
 * tied to its own line: libinih goes on after an error and returns the
 * first bad line, so a message kept from a later line would not match. */
static char *s_ini_reader(char *str, int num, void *stream)
{
    struct ini_ctx *ctx = stream;
    char *r = fgets(str, num, ctx->f);
    if (r) ctx->line++;
    return r;
}

static int s_on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *ctx = user;
    char err[512];
    int ok = 1;
    if (strcmp(section, "klaimctl") == 0) return 1; /* klaimctl's own defaults (see klaimctl --help) */
    if (section[0] && strcmp(section, "klaimd") != 0) {
        snprintf(err, sizeof err, "unknown section [%s] (keys go at the top or in [klaimd])", section);
        ok = 0;
    } else if (name) { /* !name: a section header alone */
        ok = config_set(ctx->c, name, value, err, sizeof err) == 0;
    }
    if (!ok && !ctx->err_line) {
        ctx->err_line = ctx->line;
        snprintf(ctx->err, sizeof ctx->err, "%s", err);
    }
    return ok;
}

/* Line n of f (1-based) without its line end, for a syntax error; "" when
 * it cannot be read back. */
static void s_line_text(FILE *f, int n, char *buf, size_t len)
{
    char tmp[512];
    buf[0] = '\0';
    rewind(f);
    for (int i = 1; fgets(tmp, sizeof tmp, f); ) {
        size_t l = strlen(tmp);
        int whole = l > 0 && tmp[l - 1] == '\n';
        if (i == n) {
            tmp[strcspn(tmp, "\r\n")] = '\0';
            snprintf(buf, len, "%s", tmp);
            return;
        }
        if (whole) i++;
    }
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct ini_ctx ctx = {.c = c, .f = f};
    int line = ini_parse_stream(s_ini_reader, &ctx, s_on_ini, &ctx);
    if (line != 0) {
        if (line == ctx.err_line) {
            snprintf(err, errlen, "%s:%d: %s", path, line, ctx.err);
        } else { /* libinih's own refusal: no key = value and no [section] */
            char text[256];
            s_line_text(f, line, text, sizeof text);
            snprintf(err, errlen, "%s:%d: \"%s\" is not a \"key = value\" line", path, line, text);
        }
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* Without CURVE (not configurable yet) every client is admin, so klaimd
 * must only be reachable from this machine. */
static int s_is_local_endpoint(const char *ep)
{
    static const char *const ok[] = {"ipc://", "inproc://", "tcp://127.", "tcp://localhost:", "tcp://[::1]:"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strncmp(ep, ok[i], strlen(ok[i])) == 0) return 1;
    return 0;
}

/* The feed and HTTP keys (issue 5): the same loopback rule as intake, and
 * an HTTP gateway off loopback needs tokens (evhttp has no TLS: put a
 * proxy in front; klaimd warns at start). */
static int s_check_dispatch(const struct config *c, char *err, size_t errlen)
{
    if (strncmp(c->feed_endpoint, "tcp://", 6) != 0 && strncmp(c->feed_endpoint, "ipc://", 6) != 0) {
        snprintf(err, errlen, "feed_endpoint = \"%s\": expected tcp://HOST:PORT or ipc://PATH", c->feed_endpoint);
        return -1;
    }
    if (!c->curve_secret[0] && !s_is_local_endpoint(c->feed_endpoint)) {
        snprintf(err, errlen, "feed_endpoint = \"%s\": without CURVE keys klaimd only binds loopback addresses "
                              "(tcp://127.0.0.1:PORT) or ipc://", c->feed_endpoint);
        return -1;
    }
    if (c->http_listen[0]) {
        const char *colon = strrchr(c->http_listen, ':');
        if (!colon || colon == c->http_listen || atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
            snprintf(err, errlen, "http_listen = \"%s\": expected HOST:PORT (e.g. 127.0.0.1:7780), or empty for none",
                     c->http_listen);
            return -1;
        }
        int local = strncmp(c->http_listen, "127.", 4) == 0 || strncmp(c->http_listen, "localhost:", 10) == 0 ||
                    strncmp(c->http_listen, "[::1]:", 6) == 0;
        for (const char *p = c->http_allowed_origins; *p;) {
            p += strspn(p, " \t,");
            size_t n = strcspn(p, " \t,");
            if (!n) break;
            const char *host = strncmp(p, "http://", 7) == 0 ? p + 7 : strncmp(p, "https://", 8) == 0 ? p + 8 : NULL;
            if (!host || host == p + n || memchr(host, '/', (size_t)(p + n - host))) {
                snprintf(err, errlen, "http_allowed_origins: \"%.*s\" is not an origin (expected scheme://host[:port], "
                                      "e.g. https://console.example:8443, without a path)", (int)(n > 200 ? 200 : n), p);
                return -1;
            }
            p += n;
        }
        if (!local && !c->tokens_file[0]) {
            snprintf(err, errlen, "http_listen = \"%s\": without tokens_file klaimd only listens on loopback "
                                  "(every HTTP client would be admin)", c->http_listen);
            return -1;
        }
    }
    return 0;
}

/* Remote workers (issue 7): a tcp endpoint on the worker ROUTER that only
 * CURVE clients of role worker pass, so it needs the server key and the
 * allow-list; workers = 0 (every decision remote) only makes sense with it. */
static int s_check_remote(const struct config *c, char *err, size_t errlen)
{
    const char *ep = c->remote_worker_endpoint;
    if (!ep[0]) {
        if (c->workers == 0) {
            snprintf(err, errlen, "workers = 0: nobody would decide claims; set workers 1..256, or set "
                                  "remote_worker_endpoint for remote klaim-workers");
            return -1;
        }
        return 0;
    }
    if (strncmp(ep, "tcp://", 6) != 0 || !strrchr(ep + 6, ':')) {
        snprintf(err, errlen, "remote_worker_endpoint = \"%s\": expected tcp://HOST:PORT (e.g. tcp://0.0.0.0:7712), "
                              "or empty for none", ep);
        return -1;
    }
    if (!c->curve_secret[0]) {
        snprintf(err, errlen, "remote_worker_endpoint = \"%s\" needs CURVE: set curve_secret_key_file (klaimctl "
                              "keygen) and clients_dir (a .client file with role = worker per remote worker)", ep);
        return -1;
    }
    if (strcmp(ep, c->intake_endpoint) == 0 || strcmp(ep, c->feed_endpoint) == 0) {
        snprintf(err, errlen, "remote_worker_endpoint = \"%s\" is also the %s endpoint: give it its own port", ep,
                 strcmp(ep, c->intake_endpoint) == 0 ? "intake" : "feed");
        return -1;
    }
    return 0;
}

/* holidays: a list of real dates, kept parsed and sorted for the payment
 * clock (workdays.h); an error names the value and the fix. */
static int s_check_holidays(struct config *c, char *err, size_t errlen)
{
    char why[256];
    if (workdays_parse(c->holidays, c->holiday_days, CONFIG_MAX_HOLIDAYS, &c->n_holidays, why, sizeof why) != 0) {
        snprintf(err, errlen, "holidays = \"%.200s%s\": %s", c->holidays, strlen(c->holidays) > 200 ? "..." : "", why);
        return -1;
    }
    return 0;
}

int config_finish(struct config *c, char *err, size_t errlen)
{
    if (c->data_dir[0] != '/') {
        char cwd[PATH_MAX], abs[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || snprintf(abs, sizeof abs, "%s/%s", cwd, c->data_dir) >= (int)sizeof abs) {
            snprintf(err, errlen, "data_dir = \"%s\": cannot make it absolute", c->data_dir);
            return -1;
        }
        memcpy(c->data_dir, abs, sizeof abs);
    }
    size_t n = strlen(c->data_dir);
    while (n > 1 && c->data_dir[n - 1] == '/') c->data_dir[--n] = '\0';
    if (n + 40 >= PATH_MAX) {
        snprintf(err, errlen, "data_dir = \"%s\": path too long", c->data_dir);
        return -1;
    }
    /* n + 40 < PATH_MAX above: none of these can truncate. */
    int t = snprintf(c->run_dir, sizeof c->run_dir, "%s/run", c->data_dir) >= (int)sizeof c->run_dir;
    t |= snprintf(c->registry_dir, sizeof c->registry_dir, "%s/registry", c->data_dir) >= (int)sizeof c->registry_dir;
    t |= snprintf(c->db_path, sizeof c->db_path, "%s/klaim.db", c->data_dir) >= (int)sizeof c->db_path;
    t |= snprintf(c->lock_path, sizeof c->lock_path, "%s/klaimd.lock", c->data_dir) >= (int)sizeof c->lock_path;
    t |= snprintf(c->worker_endpoint, sizeof c->worker_endpoint, "ipc://%s/workers.sock", c->run_dir) >=
         (int)sizeof c->worker_endpoint;
    ASSERT(!t);
    if (!c->backup_dir[0]) {
        /* cannot truncate either (n + 40 < PATH_MAX), but checked like the rest */
        if (snprintf(c->backup_dir, sizeof c->backup_dir, "%s/backups", c->data_dir) >= (int)sizeof c->backup_dir) {
            snprintf(err, errlen, "data_dir = \"%s\": path too long", c->data_dir);
            return -1;
        }
    } else if (c->backup_dir[0] != '/') {
        snprintf(err, errlen, "backup_dir = \"%s\": give an absolute path (default: data_dir/backups)", c->backup_dir);
        return -1;
    }
    n = strlen(c->backup_dir);
    while (n > 1 && c->backup_dir[n - 1] == '/') c->backup_dir[--n] = '\0';
    /* sun_path holds 107 bytes and a NUL; libzmq fails late and vaguely. */
    if (strlen(c->worker_endpoint) - strlen("ipc://") > 107) {
        snprintf(err, errlen, "data_dir = \"%s\": the worker socket path %s is longer than 107 bytes; use a shorter data_dir",
                 c->data_dir, c->worker_endpoint + 6);
        return -1;
    }
    if (strncmp(c->intake_endpoint, "tcp://", 6) != 0 && strncmp(c->intake_endpoint, "ipc://", 6) != 0) {
        snprintf(err, errlen, "intake_endpoint = \"%s\": expected tcp://HOST:PORT or ipc://PATH", c->intake_endpoint);
        return -1;
    }
    if (c->curve_secret_key_file[0]) {
        char why[512];
        if (clients_read_keyfile(c->curve_secret_key_file, c->curve_public, c->curve_secret, why, sizeof why) != 0) {
            snprintf(err, errlen, "curve_secret_key_file: %s", why);
            return -1;
        }
        if (!c->clients_dir[0]) {
            snprintf(err, errlen, "curve_secret_key_file is set but clients_dir is not: name the directory of "
                                  ".client files (the allow-list)");
            return -1;
        }
    } else if (c->clients_dir[0]) {
        snprintf(err, errlen, "clients_dir is set but curve_secret_key_file is not: without the server key "
                              "nobody is authenticated");
        return -1;
    }
    if (!c->curve_secret[0] && !s_is_local_endpoint(c->intake_endpoint)) {
        snprintf(err, errlen,
                 "intake_endpoint = \"%s\": without CURVE keys klaimd only binds loopback addresses "
                 "(tcp://127.0.0.1:PORT) or ipc://",
                 c->intake_endpoint);
        return -1;
    }
    if (s_check_dispatch(c, err, errlen) != 0) return -1;
    if (s_check_holidays(c, err, errlen) != 0) return -1;
    if (s_check_remote(c, err, errlen) != 0) return -1;
    if (access(c->worker_path, X_OK) != 0) {
        snprintf(err, errlen, "worker_path = \"%s\": not an executable file (%s)", c->worker_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* registry_gen.c - see registry_gen.h.
 *
 * Owns: the staging file, the builder helper and its report, the switch.
 * Runs in: klaimd main loop only.
 * See also: workers/build_registry.c (the builder), broker.c (JOBs carry
 *   the generation), supervisor.c (runs the builder).
 */
#include "registry_gen.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "broker.h"
#include "codec.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "store.h"
#include "supervisor.h"
#include "xalloc.h"

#define UPLOAD_IDLE_MS 60000
#define BUILDER_OUTPUT_MAX (16u << 20)

struct registry_gen {
    struct klaimd *k;
    uint64_t gen;
    uint64_t rows;
    int64_t imported_ms;
    /* the upload in progress, if any */
    char upload_id[65];
    uint32_t next_seq;
    int fd;
    int64_t bytes;
    int64_t last_mono;
    char staging[PATH_MAX + 64];
    /* the build in progress, if any */
    pid_t builder;
    char build_id[65];          /* its upload id: progress probes name it */
    int64_t build_bytes;        /* the size of its CSV */
    dev_t build_dev;            /* and which file it is, to find the */
    ino_t build_ino;            /* builder's descriptor of it */
    int out_fd;
    struct event *out_ev;       /* drains the builder's stdout as it comes */
    char *out;
    size_t out_len, out_cap;
    struct reply_to to;
};

static void s_staging_path(struct registry_gen *r, char *buf, size_t size, const char *id)
{
    snprintf(buf, size, "%s/upload-%s.csv", r->k->cfg.registry_dir, id);
}

static void s_abort_upload(struct registry_gen *r)
{
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    if (r->staging[0]) unlink(r->staging);
    r->staging[0] = '\0';
    r->upload_id[0] = '\0';
    r->next_seq = 0;
    r->bytes = 0;
}

/* Removes what an interrupted upload or build left behind, and generations
 * older than keep_from (workers may still map the one before current, so
 * the caller passes current - 1). */
static void s_sweep(struct registry_gen *r, uint64_t keep_from, int startup)
{
    DIR *d = opendir(r->k->cfg.registry_dir);
    if (!d) return;
    struct dirent *e;
    char path[PATH_MAX + 300];
    while ((e = readdir(d)) != NULL) {
        unsigned long long g;
        char tail[8];
        int drop = 0;
        if (startup && (strncmp(e->d_name, "upload-", 7) == 0 || strstr(e->d_name, ".tmp"))) drop = 1;
        else if (sscanf(e->d_name, "gen-%llu.d%7s", &g, tail) == 2 && strcmp(tail, "b") == 0 && g < keep_from) drop = 1;
        if (drop) {
            snprintf(path, sizeof path, "%s/%s", r->k->cfg.registry_dir, e->d_name);
            if (unlink(path) == 0) log_info("registry: removed %s", path);
        }
    }
    closedir(d);
}

struct registry_gen *registry_gen_new(struct klaimd *k)
{
    struct registry_gen *r = xcalloc(1, sizeof *r);
    r->k = k;
    r->fd = -1;
    r->out_fd = -1;
    int64_t gen = 0, rows = 0;
    if (store_meta_get(k->store, "registry_gen", &gen) != 0 || store_meta_get(k->store, "registry_rows", &rows) != 0)
        log_error("registry: cannot read the current generation: %s", store_errmsg(k->store));
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/gen-%lld.db", k->cfg.registry_dir, (long long)gen);
    if (gen > 0 && access(path, R_OK) != 0) {
        log_error("registry: generation %lld is current but %s is missing (%s); claims wait until a registry "
                  "is imported again",
                  (long long)gen, path, strerror(errno));
        gen = 0;
        rows = 0;
    }
    r->gen = (uint64_t)gen;
    r->rows = (uint64_t)rows;
    int64_t imported = 0;
    if (store_meta_get(k->store, "registry_imported_ms", &imported) == 0) r->imported_ms = imported;
    s_sweep(r, r->gen > 0 ? r->gen - 1 : 0, 1);
    if (r->gen == 0) log_warn("registry: no participant registry yet; import one with \"klaimctl registry import FILE.csv\"");
    else log_info("registry: generation %llu with %llu members", (unsigned long long)r->gen,
                  (unsigned long long)r->rows);
    return r;
}

void registry_gen_free(struct registry_gen **rp)
{
    struct registry_gen *r = *rp;
    if (!r) return;
    s_abort_upload(r);
    if (r->out_ev) event_free(r->out_ev);
    if (r->out_fd >= 0) close(r->out_fd);
    free(r->out);
    free(r);
    *rp = NULL;
}

uint64_t registry_gen_current(const struct registry_gen *r) { return r->gen; }
uint64_t registry_gen_rows(const struct registry_gen *r) { return r->rows; }
int64_t registry_gen_imported_ms(const struct registry_gen *r) { return r->imported_ms; }

int registry_gen_stale(const struct registry_gen *r)
{
    int64_t max_ms = (int64_t)r->k->cfg.registry_max_age_hours * 3600 * 1000;
    return max_ms > 0 && r->gen > 0 && klaimd_now_ms() - r->imported_ms > max_ms;
}

static void s_drain_output(struct registry_gen *r)
{
    for (;;) {
        if (r->out_len + 4096 + 1 > r->out_cap) {
            if (r->out_cap >= BUILDER_OUTPUT_MAX) {
                char sink[4096]; /* past the cap: keep the pipe flowing, drop the rest */
                if (read(r->out_fd, sink, sizeof sink) <= 0) break;
                continue;
            }
            r->out_cap = r->out_cap ? 2 * r->out_cap : 65536;
            r->out = xrealloc(r->out, r->out_cap);
        }
        ssize_t n = read(r->out_fd, r->out + r->out_len, r->out_cap - r->out_len - 1);
        if (n <= 0) break;
        r->out_len += (size_t)n;
    }
    if (r->out) r->out[r->out_len] = '\0';
}

static void s_on_output(evutil_socket_t fd, short what, void *arg) { s_drain_output(arg); }

struct switch_op {
    struct registry_gen *r;
    uint64_t gen;
    uint64_t rows;
    int64_t at_ms;
    json_t *report;
};

static void s_reply_report(struct registry_gen *r, json_t *j)
{
    Klaim__RegistryReport rep = KLAIM__REGISTRY_REPORT__INIT;
#define U(f) (rep.has_##f = 1, rep.f = (uint64_t)json_integer_value(json_object_get(j, #f)))
    rep.has_done = 1, rep.done = 1;
    U(generation);
    U(rows_read);
    U(inserted);
    U(updated);
    U(unchanged);
    U(bad);
    U(total_rows);
#undef U
    json_t *bad = json_object_get(j, "bad_rows");
    size_t n = json_is_array(bad) ? json_array_size(bad) : 0;
    Klaim__BadRow *rows = xcalloc(n ? n : 1, sizeof *rows);
    Klaim__BadRow **ptrs = xcalloc(n ? n : 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_array_get(bad, i);
        klaim__bad_row__init(&rows[i]);
        rows[i].has_line = 1;
        rows[i].line = (uint64_t)json_integer_value(json_object_get(b, "line"));
        const char *why = json_string_value(json_object_get(b, "reason"));
        rows[i].reason = (char *)(why ? why : "");
        ptrs[i] = &rows[i];
    }
    rep.n_bad_rows = n;
    rep.bad_rows = ptrs;
    Klaim__Reply reply = KLAIM__REPLY__INIT;
    reply.body_case = KLAIM__REPLY__BODY_REGISTRY;
    reply.registry = &rep;
    intake_send_reply(r->k->intake, &r->to, &reply);
    free(rows);
    free(ptrs);
}

static void s_on_switched(void *arg, int committed)
{
    struct switch_op *op = arg;
    struct registry_gen *r = op->r;
    if (committed) {
        uint64_t old = r->gen;
        r->gen = op->gen;
        r->rows = op->rows;
        r->imported_ms = op->at_ms;
        log_info("registry: generation %llu is current (%llu members)", (unsigned long long)r->gen,
                 (unsigned long long)r->rows);
        s_reply_report(r, op->report);
        broker_set_registry(r->k->broker, r->gen);
        s_sweep(r, old, 0);
    } else {
        intake_send_error(r->k->intake, &r->to, KLAIM__ERROR_CODE__UNAVAILABLE, "",
                          "the new registry was built but the store could not record it; import again later");
    }
    json_decref(op->report);
    free(op);
}

/* The builder is gone: read the rest of its report, then either commit the
 * switch to the new generation or tell the client why not. */
static void s_on_builder_exit(void *arg, pid_t pid, int status)
{
    struct registry_gen *r = arg;
    s_drain_output(r);
    if (r->out_ev) event_free(r->out_ev);
    r->out_ev = NULL;
    close(r->out_fd);
    r->out_fd = -1;
    r->builder = 0;
    r->build_id[0] = '\0';
    unlink(r->staging);
    r->staging[0] = '\0';
    json_error_t jerr;
    json_t *j = r->out_len ? json_loads(r->out, 0, &jerr) : NULL;
    r->out_len = 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
    if (code == 0 && j && json_is_integer(json_object_get(j, "generation"))) {
        struct switch_op *op = xcalloc(1, sizeof *op);
        op->r = r;
        op->gen = (uint64_t)json_integer_value(json_object_get(j, "generation"));
        op->rows = (uint64_t)json_integer_value(json_object_get(j, "total_rows"));
        op->report = j;
        op->at_ms = klaimd_now_ms();
        char *detail = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_t *bad = json_object_get(j, "bad_rows");
        if (json_array_size(bad) > 0) { /* the audit keeps counts, not every bad row */
            json_t *brief = json_deep_copy(j);
            json_object_del(brief, "bad_rows");
            free(detail);
            detail = json_dumps(brief, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(brief);
        }
        int ok = batch_open(r->k->batch) == 0 && store_meta_set(r->k->store, "registry_gen", (int64_t)op->gen) == 0 &&
                 store_meta_set(r->k->store, "registry_rows", (int64_t)op->rows) == 0 &&
                 store_meta_set(r->k->store, "registry_imported_ms", op->at_ms) == 0 &&
                 store_audit(r->k->store, op->at_ms, 0, r->to.client, "REGISTRY_IMPORT", detail ? detail : "{}") == 0;
        free(detail);
        if (!ok) {
            if (batch_is_open(r->k->batch)) batch_fail(r->k->batch);
            s_on_switched(op, 0);
            return;
        }
        batch_then(r->k->batch, s_on_switched, op);
        batch_op_done(r->k->batch);
        return;
    }
    if (code == 65) {
        intake_send_error(r->k->intake, &r->to, KLAIM__ERROR_CODE__INVALID_REGISTRY, "",
                          "%s", msg ? msg : "the registry file was refused as a whole");
    } else {
        log_error("registry: builder pid=%d failed (status %d): %s", (int)pid, status, msg ? msg : "no report");
        intake_send_error(r->k->intake, &r->to, KLAIM__ERROR_CODE__INTERNAL, "",
                          "building the registry failed (%s); nothing changed; see klaimd's log",
                          msg ? msg : "no report");
    }
    json_decref(j);
}

static void s_start_build(struct registry_gen *r, const struct reply_to *to)
{
    struct klaimd *k = r->k;
    struct stat st;
    r->build_dev = 0, r->build_ino = 0;
    if (r->fd >= 0 && fstat(r->fd, &st) == 0) r->build_dev = st.st_dev, r->build_ino = st.st_ino;
    if (r->fd >= 0) {
        if (fsync(r->fd) != 0) log_warn("registry: fsync %s: %s", r->staging, strerror(errno));
        close(r->fd);
        r->fd = -1;
    }
    char from[24], next[24];
    snprintf(from, sizeof from, "%llu", (unsigned long long)r->gen);
    snprintf(next, sizeof next, "%llu", (unsigned long long)r->gen + 1);
    char *argv[] = {k->cfg.worker_path, "--build-registry", "--registry-dir", k->cfg.registry_dir, "--from", from,
                    "--to", next, "--csv", r->staging, "--log-level", (char *)log_level_name(k->cfg.log_level), NULL};
    r->to = *to;
    r->out_len = 0;
    snprintf(r->build_id, sizeof r->build_id, "%s", r->upload_id);
    r->build_bytes = r->bytes;
    pid_t pid = supervisor_run_helper(k->sup, argv, &r->out_fd, s_on_builder_exit, r);
    r->upload_id[0] = '\0';
    if (pid < 0) {
        unlink(r->staging);
        r->staging[0] = '\0';
        r->build_id[0] = '\0';
        intake_send_error(k->intake, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "cannot start the registry builder; retry later");
        return;
    }
    r->builder = pid;
    /* A report larger than the pipe buffer would block the builder. */
    r->out_ev = event_new(k->base, r->out_fd, EV_READ | EV_PERSIST, s_on_output, r);
    event_add(r->out_ev, NULL);
    log_info("registry: building generation %s from %llu bytes (builder pid=%d)", next, (unsigned long long)r->bytes,
             (int)pid);
}

/* How far the builder has read the staging CSV: the file offset of its
 * descriptor of that file (Linux /proc; the builder reads in 64 KiB
 * blocks, so this runs a little ahead of the rows done). 0 when it cannot
 * be seen (not opened yet, or /proc refuses). */
static int64_t s_builder_pos(const struct registry_gen *r)
{
    char dir[64], path[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)r->builder);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int64_t pos = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || st.st_dev != r->build_dev || st.st_ino != r->build_ino) continue;
        snprintf(path, sizeof path, "/proc/%d/fdinfo/%s", (int)r->builder, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) break;
        long long v;
        char line[128];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "pos: %lld", &v) == 1) pos = v;
        fclose(f);
        break;
    }
    closedir(d);
    return pos > r->build_bytes ? r->build_bytes : pos;
}

/* The answer to a progress probe during a build (see PROTOCOL.md). */
static void s_reply_progress(struct registry_gen *r, const struct reply_to *to)
{
    Klaim__RegistryReport rep = KLAIM__REGISTRY_REPORT__INIT;
    rep.has_done = 1, rep.done = 0;
    rep.has_build_bytes_read = 1, rep.build_bytes_read = (uint64_t)s_builder_pos(r);
    rep.has_build_bytes_total = 1, rep.build_bytes_total = (uint64_t)r->build_bytes;
    Klaim__Reply reply = KLAIM__REPLY__INIT;
    reply.body_case = KLAIM__REPLY__BODY_REGISTRY;
    reply.registry = &rep;
    intake_send_reply(r->k->intake, to, &reply);
}

static int s_valid_upload_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

static void s_ack_chunk(struct registry_gen *r, const struct reply_to *to)
{
    Klaim__RegistryReport rep = KLAIM__REGISTRY_REPORT__INIT;
    rep.has_done = 1, rep.done = 0;
    Klaim__Reply reply = KLAIM__REPLY__INIT;
    reply.body_case = KLAIM__REPLY__BODY_REGISTRY;
    reply.registry = &rep;
    intake_send_reply(r->k->intake, to, &reply);
}

void registry_gen_chunk(struct registry_gen *r, const struct reply_to *to, const Klaim__RegistryChunk *c)
{
    struct intake *in = r->k->intake;
    if (!s_valid_upload_id(c->upload_id)) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "upload_id",
                          "upload_id must be 1-64 characters of [A-Za-z0-9_-]");
        return;
    }
    uint32_t seq = c->has_seq ? c->seq : 0;
    if (r->builder && strcmp(c->upload_id, r->build_id) == 0 && !(c->has_last && c->last) &&
        !(c->has_data && c->data.len > 0)) {
        s_reply_progress(r, to);
        return;
    }
    if (r->builder) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BUSY, "", "a registry build is running; retry when it is done");
        return;
    }
    if (r->upload_id[0] && strcmp(r->upload_id, c->upload_id) != 0) {
        if (klaimd_mono_ms() - r->last_mono < UPLOAD_IDLE_MS) {
            intake_send_error(in, to, KLAIM__ERROR_CODE__BUSY, "",
                              "another registry upload is in progress; retry when it is done");
            return;
        }
        log_warn("registry: abandoning upload %s (idle for 60 s)", r->upload_id);
        s_abort_upload(r);
    }
    if (!r->upload_id[0]) {
        if (seq != 0) {
            intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "seq",
                              "upload %s is unknown (expired?); start again from chunk 0", c->upload_id);
            return;
        }
        s_staging_path(r, r->staging, sizeof r->staging, c->upload_id);
        r->fd = open(r->staging, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (r->fd < 0) {
            log_error("registry: cannot create %s: %s", r->staging, strerror(errno));
            r->staging[0] = '\0';
            intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "cannot stage the upload on klaimd's disk");
            return;
        }
        snprintf(r->upload_id, sizeof r->upload_id, "%s", c->upload_id);
        r->next_seq = 0;
        r->bytes = 0;
    }
    if (seq != r->next_seq) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__BAD_REQUEST, "seq", "chunk %u of upload %s, expected %u", seq,
                          c->upload_id, r->next_seq);
        return;
    }
    r->last_mono = klaimd_mono_ms();
    size_t len = c->has_data ? c->data.len : 0;
    if (r->bytes + (int64_t)len > r->k->cfg.registry_max_bytes) {
        s_abort_upload(r);
        intake_send_error(in, to, KLAIM__ERROR_CODE__TOO_LARGE, "data",
                          "the registry file is larger than registry_max_bytes (%lld); raise it in klaimd.conf",
                          (long long)r->k->cfg.registry_max_bytes);
        return;
    }
    const uint8_t *p = c->data.data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(r->fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            log_error("registry: write %s: %s", r->staging, strerror(errno));
            s_abort_upload(r);
            intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "klaimd could not store the upload (disk full?)");
            return;
        }
        p += n;
        left -= (size_t)n;
    }
    r->bytes += (int64_t)len;
    r->next_seq++;
    if (c->has_last && c->last) s_start_build(r, to);
    else s_ack_chunk(r, to);
}

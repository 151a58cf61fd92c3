/* ctl_registry.c - `klaimctl registry import FILE.csv`: upload the registry.
 *
 * Owns: cutting the CSV into RegistryChunk messages (<= 512 KiB each, one
 *   in flight), the progress line on a terminal (the upload, then the
 *   build, polled with progress probes), and the final report.
 * Runs in: klaimctl only.
 * The file is sent as bytes; klaimd parses and checks it and builds the
 *   next registry generation when the chunk with last=true arrives, which
 *   is why that reply gets a much longer timeout. An empty file is still
 *   one chunk (no data, last=true), so klaimd decides what it means.
 * See also: workers/registry_csv.h (the format), ctl_conn.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_conn.h"
#include "xalloc.h"

#define S_USAGE "klaimctl registry import FILE.csv | registry generate --rows N [--seed S] [--out FILE]"
#define S_CHUNK_BYTES (512u * 1024u)
#define S_BUILD_TIMEOUT_MS 600000   /* the last chunk's reply waits for the build */
#define S_PROBE_MS 500              /* how often a terminal asks how far the build is */

static const char s_help[] =
    "usage: " S_USAGE "\n"
    "\n"
    "Load or update the participant registry from a CSV file (UTF-8, header required):\n"
    "  kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,sponsor,regency\n"
    "optionally followed by sponsor_bank_code,sponsor_account,sponsor_account_name: the account an\n"
    "employer is reimbursed to (3-digit bank code, 6-20 digit account, holder name; all three or none).\n"
    "A file without these columns keeps the accounts already loaded.\n"
    "The file is uploaded to klaimd, which checks every row and switches to the new registry\n"
    "generation at once; a bad row is skipped and reported with its line number, good rows\n"
    "still load, nothing is half-written. On a terminal a progress line shows the upload and\n"
    "then klaimd's build of the new generation, each with an ETA.\n"
    "\n"
    "Prints one JSON object: generation, rows_read, inserted, updated, unchanged, bad,\n"
    "bad_rows [{line, reason}] (the first 1000) and total_rows; each bad row is also\n"
    "printed on stderr as FILE:LINE: reason.\n"
    "\n"
    "exit: 0 the import was applied (even with bad rows); 65 klaimd refused the whole file\n"
    "(INVALID_REGISTRY); 66 FILE cannot be opened; 69 klaimd unreachable; 77 forbidden.\n"
    "\n"
    "examples:\n"
    "  klaimctl registry import participants.csv\n"
    "  klaimctl --endpoint tcp://10.0.0.5:7710 registry import /srv/upstream/peserta-2026-03.csv\n";

struct s_upload {
    const struct ctl_opts *o;
    struct ctl_conn *conn;
    const char *name;
    FILE *f;
    long long total;      /* -1 when unknown (a pipe) */
    long long sent;
    long long rows;       /* lines sent so far (the header included) */
    int64_t start_ms;
    int progress;
    char id[17];
};

/* [a-z0-9]{16} from the kernel's CSPRNG: ids of concurrent uploads must
 * not collide, and a guessable id would let another client append. */
static void s_upload_id(char out[17])
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (errno != EINTR)
            abort();   /* no entropy source at all: nothing sane to do */
    }
    for (int i = 0; i < 16; i++)
        out[i] = abc[r[i] % 36];
    out[16] = '\0';
}

static void s_progress(const struct s_upload *u, const char *note)
{
    if (!u->progress)
        return;
    int64_t ms = ctl_now_ms() - u->start_ms;
    double mb = (double)u->sent / 1e6;
    double rate = ms > 0 ? mb * 1000.0 / (double)ms : 0.0;
    long long rows_s = ms > 0 ? u->rows * 1000 / ms : 0;
    if (u->total > 0) {
        /* ETA of the upload from the bytes still to send at the rate so far */
        long long eta = u->sent > 0 ? (u->total - u->sent) * ms / u->sent / 1000 : 0;
        fprintf(stderr, "\r\033[Kklaimctl: %s: %lld rows, %.1f / %.1f MB (%lld%%), %lld rows/s, ETA %llds%s",
                u->name, u->rows, mb, (double)u->total / 1e6, u->sent * 100 / u->total, rows_s, eta, note);
    } else {
        fprintf(stderr, "\r\033[Kklaimctl: %s: %lld rows, %.1f MB, %.1f MB/s%s", u->name, u->rows, mb, rate, note);
    }
    fflush(stderr);
}

static void s_progress_end(const struct s_upload *u)
{
    if (u->progress)
        fputs("\r\033[K", stderr);
}

/* Fill buf with up to S_CHUNK_BYTES; *last says the file ends here.
 * -1 on a read error (errno set). */
static int s_read_chunk(FILE *f, uint8_t *buf, size_t *len, int *last)
{
    *len = 0;
    while (*len < S_CHUNK_BYTES) {
        size_t n = fread(buf + *len, 1, S_CHUNK_BYTES - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    if (ferror(f))
        return -1;
    if (*len < S_CHUNK_BYTES) {
        *last = 1;
        return 0;
    }
    int c = getc(f);   /* a full chunk: is there more? */
    if (c == EOF) {
        if (ferror(f))
            return -1;
        *last = 1;
    } else {
        ungetc(c, f);
        *last = 0;
    }
    return 0;
}

static json_t *s_report_json(const Klaim__RegistryReport *rr)
{
    json_t *bad = json_array();
    for (size_t i = 0; i < rr->n_bad_rows; i++)
        json_array_append_new(bad, json_pack("{s:I, s:s}", "line", (json_int_t)rr->bad_rows[i]->line, "reason",
                                             rr->bad_rows[i]->reason ? rr->bad_rows[i]->reason : ""));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I}", "generation", (json_int_t)rr->generation,
                     "rows_read", (json_int_t)rr->rows_read, "inserted", (json_int_t)rr->inserted, "updated",
                     (json_int_t)rr->updated, "unchanged", (json_int_t)rr->unchanged, "bad", (json_int_t)rr->bad,
                     "bad_rows", bad, "total_rows", (json_int_t)rr->total_rows);
}

static int s_final(const struct s_upload *u, const Klaim__RegistryReport *rr)
{
    for (size_t i = 0; i < rr->n_bad_rows; i++)
        fprintf(stderr, "klaimctl: %s:%llu: %s\n", u->name, (unsigned long long)rr->bad_rows[i]->line,
                rr->bad_rows[i]->reason ? rr->bad_rows[i]->reason : "bad row");
    if (rr->bad > 0)
        fprintf(stderr, "klaimctl: %s: applied as registry generation %llu with %llu bad rows skipped%s; fix "
                        "them and import the file again\n",
                u->name, (unsigned long long)rr->generation, (unsigned long long)rr->bad,
                rr->bad > rr->n_bad_rows ? " (only the first ones are listed)" : "");
    json_t *j = s_report_json(rr);
    if (u->o->table)
        ctl_print_table(j);
    else
        ctl_print_json(j, 0);
    json_decref(j);
    return CTL_EX_OK;
}

/* The build's progress line: how far the builder has read the CSV, and
 * an ETA from its rate since the build started. */
static void s_build_progress(const struct s_upload *u, const Klaim__RegistryReport *rr, int64_t build_start)
{
    if (!rr->has_build_bytes_total || rr->build_bytes_total == 0) return;
    long long done = (long long)rr->build_bytes_read, total = (long long)rr->build_bytes_total;
    int64_t ms = ctl_now_ms() - build_start;
    fprintf(stderr, "\r\033[Kklaimctl: %s: sent; klaimd is building the new generation: %.1f / %.1f MB read (%lld%%)",
            u->name, (double)done / 1e6, (double)total / 1e6, done * 100 / total);
    if (done >= total)
        fputs(", committing", stderr);
    else if (done > 0 && ms > 0)
        fprintf(stderr, ", ETA %llds", (long long)((total - done) * ms / done / 1000));
    fflush(stderr);
}

/* The last chunk on a terminal: send it, and while its reply (held until
 * the build is done) has not come, ask how far the build is every
 * S_PROBE_MS with a probe chunk (same upload id, no data, not last, a seq
 * past the last). A klaimd without probes answers them with an error:
 * probing stops and the wait goes on. Same results as ctl_conn_call. */
static enum ctl_recv s_wait_build(struct s_upload *u, Klaim__Request *req, uint32_t seq, int timeout,
                                  Klaim__Reply **out, struct klaim_err *err)
{
    int64_t start = ctl_now_ms(), deadline = start + timeout;
    uint64_t id = ctl_conn_send(u->conn, req, timeout);
    if (id == 0) return CTL_RECV_TIMEOUT;
    int probing = 1;
    for (;;) {
        int64_t left = deadline - ctl_now_ms();
        if (left <= 0) return CTL_RECV_TIMEOUT;
        Klaim__Reply *r;
        enum ctl_recv rc = ctl_conn_recv(u->conn, (int)(left < S_PROBE_MS ? left : S_PROBE_MS), &r, err);
        if (rc == CTL_RECV_BAD) return rc;
        if (rc == CTL_RECV_TIMEOUT) {
            if (ctl_conn_refused(u->conn)) return rc;
            if (probing) {
                Klaim__RegistryChunk pc = KLAIM__REGISTRY_CHUNK__INIT;
                pc.upload_id = u->id;
                pc.has_seq = 1, pc.seq = seq + 1;
                Klaim__Request pr = KLAIM__REQUEST__INIT;
                pr.body_case = KLAIM__REQUEST__BODY_REGISTRY_CHUNK;
                pr.registry_chunk = &pc;
                ctl_conn_send(u->conn, &pr, S_PROBE_MS);
            }
            continue;
        }
        if (r->has_request_id && r->request_id == id) {
            *out = r;
            return CTL_RECV_OK;
        }
        if (r->body_case == KLAIM__REPLY__BODY_REGISTRY && !r->registry->done)
            s_build_progress(u, r->registry, start);
        else
            probing = 0; /* an error: this klaimd has no progress to give */
        codec_reply_free(r);
    }
}

/* Send every chunk, one at a time, and handle the replies. */
static int s_upload(struct s_upload *u)
{
    uint8_t *buf = xmalloc(S_CHUNK_BYTES);
    int rc = -1;
    for (uint32_t seq = 0; rc < 0; seq++) {
        size_t len;
        int last;
        if (s_read_chunk(u->f, buf, &len, &last) < 0) {
            s_progress_end(u);
            fprintf(stderr, "klaimctl: %s: cannot read: %s; the upload was abandoned, nothing was applied\n",
                    u->name, strerror(errno));
            rc = CTL_EX_NOINPUT;
            break;
        }
        Klaim__RegistryChunk ch = KLAIM__REGISTRY_CHUNK__INIT;
        ch.upload_id = u->id;
        ch.has_seq = 1;
        ch.seq = seq;
        ch.has_data = len > 0;
        ch.data.len = len;
        ch.data.data = buf;
        ch.has_last = 1;
        ch.last = last;
        Klaim__Request req = KLAIM__REQUEST__INIT;
        req.body_case = KLAIM__REQUEST__BODY_REGISTRY_CHUNK;
        req.registry_chunk = &ch;
        int timeout = last && u->o->timeout_ms < S_BUILD_TIMEOUT_MS ? S_BUILD_TIMEOUT_MS : u->o->timeout_ms;
        u->sent += (long long)len;
        if (u->progress)
            for (const uint8_t *p = buf; (p = memchr(p, '\n', (size_t)(buf + len - p))) != NULL; p++) u->rows++;
        s_progress(u, last ? ", sent; klaimd is building the new generation" : "");
        Klaim__Reply *rep;
        struct klaim_err err = {0};
        enum ctl_recv r = last && u->progress ? s_wait_build(u, &req, seq, timeout, &rep, &err)
                                              : ctl_conn_call(u->conn, &req, timeout, &rep, &err);
        if (r != CTL_RECV_OK) {
            s_progress_end(u);
            rc = r == CTL_RECV_TIMEOUT ? ctl_conn_no_answer(u->conn, timeout) : ctl_conn_bad_reply(u->conn, &err);
            break;
        }
        if (rep->body_case == KLAIM__REPLY__BODY_ERROR) {
            s_progress_end(u);
            char where[300];
            snprintf(where, sizeof where, "%s (chunk %u)", u->name, seq);
            rc = ctl_print_error(where, rep->error);
        } else if (rep->body_case != KLAIM__REPLY__BODY_REGISTRY || rep->registry->done != last) {
            s_progress_end(u);
            fprintf(stderr, "klaimctl: %s: klaimd answered chunk %u with an unexpected reply (body %d); is klaimd "
                            "the same version as klaimctl %s?\n",
                    u->name, seq, (int)rep->body_case, KLAIM_VERSION);
            rc = CTL_EX_SOFTWARE;
        } else if (last) {
            s_progress_end(u);
            rc = s_final(u, rep->registry);
        }
        codec_reply_free(rep);
    }
    free(buf);
    return rc;
}

static int s_import(const struct ctl_opts *o, const char *path)
{
    struct s_upload u = {.o = o, .total = -1};
    int is_stdin = strcmp(path, "-") == 0;
    u.name = is_stdin ? "stdin" : path;
    u.f = is_stdin ? stdin : fopen(path, "rb");
    if (!u.f) {
        fprintf(stderr, "klaimctl: %s: cannot open: %s\n", path, strerror(errno));
        return CTL_EX_NOINPUT;
    }
    struct stat st;
    if (fstat(fileno(u.f), &st) == 0 && S_ISREG(st.st_mode))
        u.total = (long long)st.st_size;
    else if (!is_stdin && fstat(fileno(u.f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "klaimctl: %s: is a directory; give the CSV file itself\n", path);
        fclose(u.f);
        return CTL_EX_NOINPUT;
    }
    int rc;
    u.conn = ctl_connect(o, &rc);
    if (u.conn) {
        s_upload_id(u.id);
        u.progress = isatty(STDERR_FILENO);
        u.start_ms = ctl_now_ms();
        rc = s_upload(&u);
        ctl_conn_destroy(&u.conn);
    }
    if (!is_stdin)
        fclose(u.f);
    return rc;
}

int ctl_registry(const struct ctl_opts *o, int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_help, stdout);
            return CTL_EX_OK;
        }
    if (argc < 1)
        return ctl_usage(S_USAGE, "registry: which action? import or generate");
    if (strcmp(argv[0], "generate") == 0)
        return ctl_generate(argc - 1, argv + 1);
    if (strcmp(argv[0], "import") != 0)
        return ctl_usage(S_USAGE, "registry: unknown action \"%s\"; import or generate", argv[0]);
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0 && i + 1 < argc && !file)
            file = argv[++i];
        else if ((argv[i][0] != '-' || strcmp(argv[i], "-") == 0) && !file)
            file = argv[i];
        else
            return ctl_usage(S_USAGE, "registry import: unexpected argument \"%s\"", argv[i]);
    }
    if (!file)
        return ctl_usage(S_USAGE, "registry import: which file? give the participants CSV");
    return s_import(o, file);
}

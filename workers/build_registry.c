/* build_registry.c - the registry builder: gen-<from>.db + CSV -> gen-<to>.db.
 *
 * Owns: the import of one CSV into a new registry generation, the counts and
 * bad-row list of the import report, and its JSON form.
 * Runs in: `klaim-worker --build-registry`, one short-lived process per
 * import started by klaimd (and unit tests). Never in a worker that decides.
 * Order (each step names the failure it prevents):
 *   1. header checked before any file is created (a refused file publishes
 *      nothing and leaves no .tmp);
 *   2. the old generation is copied with VACUUM INTO from a read-only,
 *      immutable connection (the published file is never opened for write);
 *   3. all rows go in ONE transaction with synchronous=OFF and no journal:
 *      the .tmp is private and is thrown away on any error;
 *   4. fsync the .tmp, rename it to gen-<to>.db, fsync the directory, so a
 *      crash leaves either no gen-<to>.db or a complete, durable one before
 *      klaimd records registry_gen=<to>.
 * The CSV is streamed through a fixed buffer: memory does not grow with the
 * file (except the kpj set for the duplicate check: 16 bytes per row).
 */
#include "build_registry.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "registry.h"
#include "registry_csv.h"
#include "xalloc.h"

#define S_LINE_MAX (64 * 1024)

/* ---------------------------------------------------------------- reading */

/* A line reader over a fixed buffer: lines longer than the cap are cut and
 * flagged, so a file without newlines cannot make us hold it whole. NUL
 * bytes pass through (the row parser rejects them). */
struct s_reader {
    FILE *f;
    size_t pos, end;
    int eof;
    char buf[1 << 16];
};

/* 1: a line in line[0..*len) (no '\n'), 0: end of file, -1: read error. */
static int s_getline(struct s_reader *r, char *line, size_t cap, size_t *len, int *toolong)
{
    size_t n = 0;
    int any = 0;
    *toolong = 0;
    *len = 0;
    for (;;) {
        if (r->pos == r->end) {
            if (r->eof) {
                *len = n;
                return any ? 1 : 0;
            }
            size_t got = fread(r->buf, 1, sizeof r->buf, r->f);
            if (got == 0) {
                if (ferror(r->f)) return -1;
                r->eof = 1;
                continue;
            }
            r->pos = 0;
            r->end = got;
        }
        any = 1;
        char *start = r->buf + r->pos;
        char *nl = memchr(start, '\n', r->end - r->pos);
        size_t take = nl ? (size_t)(nl - start) : r->end - r->pos;
        size_t c = take < cap - n ? take : cap - n;
        memcpy(line + n, start, c);
        n += c;
        if (take > c) *toolong = 1;
        r->pos += take;
        if (nl) {
            r->pos++;
            *len = n;
            return 1;
        }
    }
}

/* ------------------------------------------------------ the kpj set (dups) */

/* Open addressing, key = kpj value + 1 (11 digits fit in 37 bits; 0 = empty). */
struct s_kpjset {
    uint64_t *keys;
    uint64_t *lines;
    size_t cap, n;
};

static uint64_t s_hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static void s_kpjset_grow(struct s_kpjset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 4096;
    uint64_t *nk = xcalloc(ncap, sizeof *nk), *nl = xcalloc(ncap, sizeof *nl);
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->keys[i]) continue;
        size_t j = s_hash(s->keys[i]) & (ncap - 1);
        while (nk[j]) j = (j + 1) & (ncap - 1);
        nk[j] = s->keys[i];
        nl[j] = s->lines[i];
    }
    free(s->keys);
    free(s->lines);
    s->keys = nk;
    s->lines = nl;
    s->cap = ncap;
}

/* Adds kpj seen on line; returns 0, or the line it was first seen on. */
static uint64_t s_kpjset_add(struct s_kpjset *s, const char *kpj, uint64_t line)
{
    if (2 * (s->n + 1) > s->cap) s_kpjset_grow(s);
    uint64_t key = strtoull(kpj, NULL, 10) + 1;
    size_t j = s_hash(key) & (s->cap - 1);
    while (s->keys[j]) {
        if (s->keys[j] == key) return s->lines[j];
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = key;
    s->lines[j] = line;
    s->n++;
    return 0;
}

/* -------------------------------------------------------------- reporting */

static int s_fail(struct registry_build_report *rep, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int s_fail(struct registry_build_report *rep, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->error, sizeof rep->error, fmt, ap);
    va_end(ap);
    return rc;
}

static void s_bad(struct registry_build_report *rep, uint64_t line, const char *reason)
{
    rep->bad++;
    if (rep->n_bad_rows >= REGISTRY_BAD_ROWS_MAX) return;
    if (!rep->bad_rows) rep->bad_rows = xcalloc(REGISTRY_BAD_ROWS_MAX, sizeof *rep->bad_rows);
    struct registry_bad_row *b = &rep->bad_rows[rep->n_bad_rows++];
    b->line = line;
    snprintf(b->reason, sizeof b->reason, "%s", reason);
}

static int s_fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int s_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Binds a member to ?1..?12 in column order (both upsert statements), its
 * sponsor account to ?13..?15 ('' when none), and ?16: 1 when the file has
 * the account columns; a 12-column file leaves stored accounts as they are. */
static int s_bind_member(sqlite3_stmt *st, const struct klaim_member *m, int with_bank)
{
    int rc = SQLITE_OK;
    rc |= sqlite3_bind_text(st, 1, m->kpj, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 2, m->nik, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 3, m->name, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 4, m->birth_date);
    rc |= sqlite3_bind_text(st, 5, klaim_category_name(m->category), -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 6, m->programs);
    rc |= sqlite3_bind_int64(st, 7, m->wage);
    rc |= sqlite3_bind_int64(st, 8, m->coverage_start);
    if (m->has_coverage_end)
        rc |= sqlite3_bind_int64(st, 9, m->coverage_end);
    else
        rc |= sqlite3_bind_null(st, 9);
    rc |= sqlite3_bind_int64(st, 10, m->paid_through);
    rc |= sqlite3_bind_text(st, 11, m->sponsor, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 12, m->regency, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 13, m->has_sponsor_bank ? m->sponsor_bank.code : "", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 14, m->has_sponsor_bank ? m->sponsor_bank.account : "", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 15, m->has_sponsor_bank ? m->sponsor_bank.name : "", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int(st, 16, with_bank);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Runs a bound write statement; returns rows changed, or -1. */
static int s_step_changes(sqlite3 *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int ch = rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ch;
}

/* Copies the published generation into tmp without opening it for write. */
static int s_copy_from(const char *src, const char *tmp, struct registry_build_report *rep)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *uri = registry_uri(src);
    int rc = REGISTRY_BUILD_IOERR;
    int64_t app = 0, ver = 0;
    if (access(src, R_OK) != 0) {
        s_fail(rep, rc, "cannot read %s: %s (the previous generation must exist; check --from)", src,
               strerror(errno));
        goto out;
    }
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
        registry_sql_int(db, "PRAGMA application_id", &app) < 0 || registry_sql_int(db, "PRAGMA user_version", &ver) < 0) {
        s_fail(rep, rc, "cannot open %s: %s", src, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    if (app != KLAIM_REGISTRY_APP_ID || ver != KLAIM_REGISTRY_SCHEMA) {
        s_fail(rep, rc, "%s is not a klaimd registry of schema %d: import into a fresh generation (--from 0)", src,
               KLAIM_REGISTRY_SCHEMA);
        goto out;
    }
    if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        s_fail(rep, rc, "cannot copy %s to %s: %s (check free space and permissions)", src, tmp,
               sqlite3_errmsg(db));
        goto out;
    }
    rc = REGISTRY_BUILD_OK;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(uri);
    return rc;
}

/* The body after the header is known good and tmp exists (or is to be
 * created fresh): open tmp, load every row, commit, count, close. */
static int s_load(sqlite3 *db, struct s_reader *rd, const char *csv, int fresh, int ncols,
                  struct registry_build_report *rep)
{
    int with_bank = ncols > 12;
    sqlite3_stmt *ins = NULL, *upd = NULL;
    struct s_kpjset seen = {0};
    char *line = xmalloc(S_LINE_MAX + 2);
    int rc = REGISTRY_BUILD_IOERR;

    if (s_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
                   "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY") < 0)
        goto sqlfail;
    if (fresh) {
        char sql[64];
        if (s_exec(db, registry_schema_sql) < 0) goto sqlfail;
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d", KLAIM_REGISTRY_APP_ID);
        if (s_exec(db, sql) < 0) goto sqlfail;
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", KLAIM_REGISTRY_SCHEMA);
        if (s_exec(db, sql) < 0) goto sqlfail;
    } else {
        /* A copy of a generation built before sponsor accounts. */
        sqlite3_stmt *probe = NULL;
        int has = sqlite3_prepare_v2(db, "SELECT sponsor_account FROM members LIMIT 0", -1, &probe, NULL) ==
                  SQLITE_OK;
        sqlite3_finalize(probe);
        if (!has && s_exec(db, registry_add_sponsor_bank_sql) < 0) goto sqlfail;
    }
    /* Insert first (the common case of a fresh load is one seek); on a kpj
     * conflict, update only if some column differs, so changes() tells
     * updated from unchanged. IS NOT compares NULL coverage_end correctly. */
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO members(kpj, nik, name, birth_date, category, programs, wage,"
                           " coverage_start, coverage_end, paid_through, sponsor, regency, sponsor_bank_code,"
                           " sponsor_account, sponsor_account_name)"
                           " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,iif(?16,?13,''),iif(?16,?14,''),"
                           "iif(?16,?15,'')) ON CONFLICT(kpj) DO NOTHING",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "UPDATE members SET nik=?2, name=?3, birth_date=?4, category=?5, programs=?6, wage=?7,"
                           " coverage_start=?8, coverage_end=?9, paid_through=?10, sponsor=?11, regency=?12,"
                           " sponsor_bank_code=iif(?16, ?13, sponsor_bank_code),"
                           " sponsor_account=iif(?16, ?14, sponsor_account),"
                           " sponsor_account_name=iif(?16, ?15, sponsor_account_name)"
                           " WHERE kpj=?1 AND (nik IS NOT ?2 OR name IS NOT ?3 OR birth_date IS NOT ?4 OR"
                           " category IS NOT ?5 OR programs IS NOT ?6 OR wage IS NOT ?7 OR coverage_start IS NOT ?8"
                           " OR coverage_end IS NOT ?9 OR paid_through IS NOT ?10 OR sponsor IS NOT ?11 OR"
                           " regency IS NOT ?12 OR (?16 AND (sponsor_bank_code IS NOT ?13 OR sponsor_account IS NOT"
                           " ?14 OR sponsor_account_name IS NOT ?15)))",
                           -1, &upd, NULL) != SQLITE_OK)
        goto sqlfail;
    if (s_exec(db, "BEGIN") < 0) goto sqlfail;

    uint64_t lineno = 1;
    for (;;) {
        size_t len;
        int toolong;
        int r = s_getline(rd, line, S_LINE_MAX + 2, &len, &toolong);
        if (r < 0) {
            rc = s_fail(rep, REGISTRY_BUILD_IOERR, "%s:%" PRIu64 ": read error: %s", csv, lineno + 1,
                        strerror(errno));
            goto out;
        }
        if (r == 0) break;
        lineno++;
        if (len == 0 || (len == 1 && line[0] == '\r')) continue;
        rep->rows_read++;
        if (toolong) {
            s_bad(rep, lineno, "the line is longer than 65536 bytes: a registry row is one membership of 12 or 15 columns");
            continue;
        }
        struct klaim_member m;
        char why[256];
        if (registry_csv_row_ncols(line, len, ncols, &m, why, sizeof why) < 0) {
            s_bad(rep, lineno, why);
            continue;
        }
        uint64_t first = s_kpjset_add(&seen, m.kpj, lineno);
        if (first) {
            snprintf(why, sizeof why, "kpj %s already appears on line %" PRIu64 ": keep one row per membership",
                     m.kpj, first);
            s_bad(rep, lineno, why);
            continue;
        }
        if (s_bind_member(ins, &m, with_bank) < 0) goto sqlfail;
        int ch = s_step_changes(db, ins);
        if (ch < 0) goto sqlfail;
        if (ch == 1) {
            rep->inserted++;
            continue;
        }
        if (s_bind_member(upd, &m, with_bank) < 0) goto sqlfail;
        ch = s_step_changes(db, upd);
        if (ch < 0) goto sqlfail;
        if (ch == 1)
            rep->updated++;
        else
            rep->unchanged++;
    }
    if (s_exec(db, "COMMIT") < 0) goto sqlfail;
    int64_t total = 0;
    if (registry_sql_int(db, "SELECT count(*) FROM members", &total) < 0) goto sqlfail;
    rep->total_rows = (uint64_t)total;
    rc = REGISTRY_BUILD_OK;
    goto out;

sqlfail:
    rc = s_fail(rep, REGISTRY_BUILD_IOERR, "writing the new registry generation failed: %s (check free space and "
                "permissions of the registry dir)", sqlite3_errmsg(db));
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    free(seen.keys);
    free(seen.lines);
    free(line);
    return rc;
}

int registry_build(const char *dir, uint64_t from, uint64_t to, const char *csv, struct registry_build_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->generation = to;
    if (to <= from)
        return s_fail(rep, REGISTRY_BUILD_DATAERR, "--to %" PRIu64 " must be above --from %" PRIu64
                      ": a new generation gets a new number", to, from);

    char src[4096], tmp[4096], dst[4096];
    if (registry_path(src, sizeof src, dir, from, "") < 0 || registry_path(tmp, sizeof tmp, dir, to, ".tmp") < 0 ||
        registry_path(dst, sizeof dst, dir, to, "") < 0)
        return s_fail(rep, REGISTRY_BUILD_IOERR, "registry dir %s: path too long: use a shorter data_dir", dir);

    struct s_reader *rd = xcalloc(1, sizeof *rd);
    char *line = xmalloc(S_LINE_MAX + 2);
    sqlite3 *db = NULL;
    int rc;
    int made_tmp = 0;

    rd->f = fopen(csv, "rb");
    if (!rd->f) {
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "cannot open %s: %s (check the path and permissions)", csv,
                    strerror(errno));
        goto out;
    }
    /* 1. header first: a refused file creates nothing. */
    size_t len;
    int toolong;
    int r = s_getline(rd, line, S_LINE_MAX + 2, &len, &toolong);
    if (r < 0) {
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "%s:1: read error: %s", csv, strerror(errno));
        goto out;
    }
    if (r == 0) {
        rc = s_fail(rep, REGISTRY_BUILD_DATAERR, "%s: the file is empty: start it with the header line "
                    "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,"
                    "sponsor,regency", csv);
        goto out;
    }
    char why[512];
    if (toolong) {
        rc = s_fail(rep, REGISTRY_BUILD_DATAERR, "%s:1: the header line is too long: is this a registry CSV?", csv);
        goto out;
    }
    int ncols = 0;
    if (registry_csv_header_ncols(line, len, &ncols, why, sizeof why) < 0) {
        rc = s_fail(rep, REGISTRY_BUILD_DATAERR, "%s:1: %s", csv, why);
        goto out;
    }

    /* 2. the starting point: a copy of gen-<from>, or an empty file. */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "cannot remove the stale %s: %s", tmp, strerror(errno));
        goto out;
    }
    made_tmp = 1;
    if (from > 0 && (rc = s_copy_from(src, tmp, rep)) != REGISTRY_BUILD_OK) goto out;
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "cannot create %s: %s (check the registry dir exists and is "
                    "writable)", tmp, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    /* 3. the rows, in one transaction. */
    if ((rc = s_load(db, rd, csv, from == 0, ncols, rep)) != REGISTRY_BUILD_OK) goto out;
    if (sqlite3_close(db) != SQLITE_OK) {
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "closing %s failed: %s", tmp, sqlite3_errmsg(db));
        goto out;
    }
    db = NULL;

    /* 4. durable before visible: fsync the file, rename, fsync the dir. */
    if (s_fsync_path(tmp, O_RDONLY) != 0) {
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "fsync %s: %s", tmp, strerror(errno));
        goto out;
    }
    struct stat st;
    if (stat(dst, &st) == 0)
        log_warn("registry: %s already exists and is replaced (an earlier import was never recorded)", dst);
    if (rename(tmp, dst) != 0) {
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "rename %s to %s: %s", tmp, dst, strerror(errno));
        goto out;
    }
    made_tmp = 0;
    if (s_fsync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
        /* The file is complete but its name may not survive a power cut:
         * report failure so klaimd does not record the generation. */
        rc = s_fail(rep, REGISTRY_BUILD_IOERR, "fsync of directory %s: %s", dir, strerror(errno));
        unlink(dst);
        goto out;
    }
    log_info("registry: gen=%" PRIu64 " rows_read=%" PRIu64 " inserted=%" PRIu64 " updated=%" PRIu64
             " unchanged=%" PRIu64 " bad=%" PRIu64 " total=%" PRIu64, to, rep->rows_read, rep->inserted,
             rep->updated, rep->unchanged, rep->bad, rep->total_rows);
    rc = REGISTRY_BUILD_OK;

out:
    if (db) sqlite3_close(db);
    if (made_tmp) unlink(tmp);
    if (rd->f) fclose(rd->f);
    free(rd);
    free(line);
    return rc;
}

void registry_build_report_free(struct registry_build_report *rep)
{
    free(rep->bad_rows);
    rep->bad_rows = NULL;
    rep->n_bad_rows = 0;
}

/* jansson refuses invalid UTF-8 (a path may hold any bytes): fall back to a
 * copy with every non-ASCII byte replaced. */
static json_t *s_jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j) return j;
    char *c = xstrdup(s);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    j = json_string(c);
    free(c);
    return j;
}

char *registry_build_report_json(const struct registry_build_report *rep, int rc)
{
    json_t *o = json_object();
    if (rc != REGISTRY_BUILD_OK) {
        json_object_set_new(o, "error", s_jstr(rep->error[0] ? rep->error : "registry build failed"));
    } else {
        json_object_set_new(o, "generation", json_integer((json_int_t)rep->generation));
        json_object_set_new(o, "rows_read", json_integer((json_int_t)rep->rows_read));
        json_object_set_new(o, "inserted", json_integer((json_int_t)rep->inserted));
        json_object_set_new(o, "updated", json_integer((json_int_t)rep->updated));
        json_object_set_new(o, "unchanged", json_integer((json_int_t)rep->unchanged));
        json_object_set_new(o, "bad", json_integer((json_int_t)rep->bad));
        json_t *a = json_array();
        for (size_t i = 0; i < rep->n_bad_rows; i++) {
            json_t *b = json_object();
            json_object_set_new(b, "line", json_integer((json_int_t)rep->bad_rows[i].line));
            json_object_set_new(b, "reason", s_jstr(rep->bad_rows[i].reason));
            json_array_append_new(a, b);
        }
        json_object_set_new(o, "bad_rows", a);
        json_object_set_new(o, "total_rows", json_integer((json_int_t)rep->total_rows));
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    ASSERT(s != NULL);
    return s;
}

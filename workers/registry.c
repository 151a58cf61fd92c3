/* registry.c - open a published registry generation and look members up.
 *
 * Owns: the read-only connection to DATA/registry/gen-<N>.db, its prepared
 * lookup statement, and an mlock'ed shared mapping of the same file.
 * Runs in: klaim-worker, after exec (never across fork: pitfalls.md, SQLite).
 * Invariant: only files the builder published (fsynced, renamed, never
 * written again) are opened here, which is what makes immutable=1 honest;
 * on a file that changed, immutable=1 would return wrong answers.
 * See also: build_registry.c (writes generations), registry_csv.c (rows).
 */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

const char registry_schema_sql[] =
    "CREATE TABLE members("
    " kpj TEXT PRIMARY KEY NOT NULL CHECK(length(kpj) = 11),"
    " nik TEXT NOT NULL CHECK(length(nik) = 16),"
    " name TEXT NOT NULL,"
    " birth_date INTEGER NOT NULL,"             /* kdate: days since 1970-01-01 */
    " category TEXT NOT NULL CHECK(category IN ('PU','PU_GOV','BPU','JAKON','ASN')),"
    " programs INTEGER NOT NULL CHECK(programs > 0)," /* KLAIM_PROG_BIT mask */
    " wage INTEGER NOT NULL CHECK(wage BETWEEN 0 AND 1000000000000),"
    " coverage_start INTEGER NOT NULL,"
    " coverage_end INTEGER,"                    /* NULL: open-ended */
    " paid_through INTEGER NOT NULL,"           /* kmonth: 12*y + m */
    " sponsor TEXT NOT NULL,"
    " regency TEXT NOT NULL,"
    REGISTRY_SPONSOR_BANK_COLS
    ") STRICT, WITHOUT ROWID;";

const char registry_add_sponsor_bank_sql[] =
    "ALTER TABLE members ADD COLUMN sponsor_bank_code TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE members ADD COLUMN sponsor_account TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE members ADD COLUMN sponsor_account_name TEXT NOT NULL DEFAULT '';";

struct registry {
    uint64_t gen;
    sqlite3 *db;
    sqlite3_stmt *lookup;
    int has_bank_cols;      /* 0: a generation built before sponsor accounts */
    void *map;              /* our own mapping, only to mlock the pages */
    size_t map_len;
};

int registry_path(char *buf, size_t size, const char *dir, uint64_t gen, const char *suffix)
{
    int n = snprintf(buf, size, "%s/gen-%" PRIu64 ".db%s", dir, gen, suffix ? suffix : "");
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* SQLite URIs treat '?', '#' and '%' specially: percent-encode everything
 * that is not plainly safe so any directory name works. */
char *registry_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = xmalloc(5 + 3 * n + 32);
    char *p = u;
    memcpy(p, "file:", 5);
    p += 5;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
            c == '_' || c == '.' || c == '~' || c == '+')
            *p++ = (char)c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    strcpy(p, "?immutable=1");
    return u;
}

/* The largest generation a worker copies into its own memory when it
 * cannot lock it (~123 MB at 1,000,000 participants). */
#define REGISTRY_COPY_MAX ((size_t)1 << 30)

/* Pins the file's page cache pages: SQLite's own map shares them, so locking
 * our mapping keeps lookups warm (this VM drops idle page cache in 30-60 s,
 * architecture.md §9), one copy shared by every worker. Returns 0, or -1 with
 * errno when the kernel refuses (RLIMIT_MEMLOCK, usual outside systemd). */
static int s_pin(struct registry *r, int fd, size_t len)
{
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) return -1;
    if (mlock(m, len) != 0) {
        int e = errno;
        munmap(m, len);
        errno = e;
        return -1;
    }
    r->map = m;
    r->map_len = len;
    return 0;
}

/* When the file cannot be locked: this worker's own copy of it, served by
 * sqlite3_deserialize. Anonymous memory is what the page cache is not: it
 * is never dropped after an idle spell (there is no swap), so a lookup
 * still never waits for the disk. The cost is a copy per worker instead of
 * one shared, locked page cache. Runs before any statement is prepared. */
static int s_load_copy(struct registry *r, int fd, size_t len)
{
    if (len > REGISTRY_COPY_MAX) {
        errno = EFBIG;
        return -1;
    }
    unsigned char *buf = sqlite3_malloc64(len);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t got = 0; got < len;) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            sqlite3_free(buf);
            errno = e;
            return -1;
        }
        got += (size_t)n;
    }
    /* FREEONCLOSE: SQLite frees buf at close, or now if this fails. */
    if (sqlite3_deserialize(r->db, "main", buf, (sqlite3_int64)len, (sqlite3_int64)len,
                            SQLITE_DESERIALIZE_READONLY | SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Keeps a generation's pages out of the disk's way: locked, else copied,
 * else (logged) only mapped. One warning per process, not per generation. */
static void s_keep_resident(struct registry *r, int fd, size_t len)
{
    static int warned;
    if (len == 0 || s_pin(r, fd, len) == 0) return;
    int pin_errno = errno;
    if (s_load_copy(r, fd, len) == 0) {
        if (!warned++)
            log_warn("registry: cannot mlock gen-%" PRIu64 ".db (%zu bytes): %s; this worker holds its own copy in "
                     "memory instead (raise LimitMEMLOCK / ulimit -l to share one locked copy)",
                     r->gen, len, strerror(pin_errno));
        return;
    }
    if (!warned++)
        log_warn("registry: cannot mlock gen-%" PRIu64 ".db (%zu bytes: %s) nor copy it into memory (%s); lookups "
                 "may go cold when the page cache is dropped (raise LimitMEMLOCK / ulimit -l)",
                 r->gen, len, strerror(pin_errno), strerror(errno));
}

int registry_sql_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

struct registry *registry_open(const char *dir, uint64_t gen, char *why, size_t whylen)
{
    char path[4096];
    if (gen == 0 || registry_path(path, sizeof path, dir, gen, "") < 0) {
        snprintf(why, whylen, "registry generation %" PRIu64 " in %s: no such generation (they start at 1)", gen,
                 dir);
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "cannot open %s: %s (import a registry first, or check the registry dir)", path,
                 strerror(errno));
        return NULL;
    }
    struct stat stt;
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        snprintf(why, whylen, "%s is not a regular file: remove it and re-import", path);
        close(fd);
        return NULL;
    }

    struct registry *r = xcalloc(1, sizeof *r);
    r->gen = gen;
    char *uri = registry_uri(path);
    int rc = sqlite3_open_v2(uri, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    int64_t app = 0, ver = 0;
    char sql[64];
    /* mmap_size above the file size: every page is served from the map. */
    snprintf(sql, sizeof sql, "PRAGMA mmap_size=%lld", (long long)stt.st_size + (64LL << 20));
    if (rc != SQLITE_OK) {
        snprintf(why, whylen, "cannot open %s: %s", path, r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
        goto fail;
    }
    if (registry_sql_int(r->db, sql, &app) < 0 || registry_sql_int(r->db, "PRAGMA application_id", &app) < 0 ||
        registry_sql_int(r->db, "PRAGMA user_version", &ver) < 0) {
        snprintf(why, whylen, "%s is not a readable SQLite database (%s): remove it and re-import", path,
                 sqlite3_errmsg(r->db));
        goto fail;
    }
    if (app != KLAIM_REGISTRY_APP_ID || ver != KLAIM_REGISTRY_SCHEMA) {
        snprintf(why, whylen, "%s is not a klaimd registry of schema %d (application_id %lld, user_version %lld): "
                 "re-import the registry CSV", path, KLAIM_REGISTRY_SCHEMA, (long long)app, (long long)ver);
        goto fail;
    }
    s_keep_resident(r, fd, (size_t)stt.st_size);
    /* A generation built before sponsor accounts has no such columns: it
     * still opens, and its members have no account. */
    r->has_bank_cols = 1;
    rc = sqlite3_prepare_v3(r->db,
                            "SELECT nik, name, birth_date, category, programs, wage, coverage_start, coverage_end,"
                            " paid_through, sponsor, regency, sponsor_bank_code, sponsor_account,"
                            " sponsor_account_name FROM members WHERE kpj = ?1",
                            -1, SQLITE_PREPARE_PERSISTENT, &r->lookup, NULL);
    if (rc != SQLITE_OK) {
        r->has_bank_cols = 0;
        rc = sqlite3_prepare_v3(r->db,
                                "SELECT nik, name, birth_date, category, programs, wage, coverage_start, coverage_end,"
                                " paid_through, sponsor, regency FROM members WHERE kpj = ?1",
                                -1, SQLITE_PREPARE_PERSISTENT, &r->lookup, NULL);
    }
    if (rc != SQLITE_OK) {
        snprintf(why, whylen, "%s has no usable members table (%s): re-import the registry CSV", path,
                 sqlite3_errmsg(r->db));
        goto fail;
    }
    close(fd);
    return r;

fail:
    close(fd);
    registry_close(&r);
    return NULL;
}

uint64_t registry_generation(const struct registry *r)
{
    return r ? r->gen : 0;
}

static void s_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!t) n = 0;
    if (n >= size) n = size - 1;
    if (n) memcpy(dst, t, n);
    dst[n] = '\0';
}

int registry_lookup(struct registry *r, const char *kpj, struct klaim_member *out)
{
    sqlite3_stmt *st = r->lookup;
    int rc = sqlite3_bind_text(st, 1, kpj, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    int ret;
    if (rc == SQLITE_ROW) {
        struct klaim_member m;
        memset(&m, 0, sizeof m);
        size_t kl = strlen(kpj);
        memcpy(m.kpj, kpj, kl < sizeof m.kpj ? kl : sizeof m.kpj - 1);
        s_text(st, 0, m.nik, sizeof m.nik);
        s_text(st, 1, m.name, sizeof m.name);
        m.birth_date = (kdate)sqlite3_column_int64(st, 2);
        const char *cat = (const char *)sqlite3_column_text(st, 3);
        m.category = klaim_category_parse(cat ? cat : "");
        m.programs = (uint32_t)sqlite3_column_int64(st, 4);
        m.wage = sqlite3_column_int64(st, 5);
        m.coverage_start = (kdate)sqlite3_column_int64(st, 6);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            m.has_coverage_end = 1;
            m.coverage_end = (kdate)sqlite3_column_int64(st, 7);
        }
        m.paid_through = (kmonth)sqlite3_column_int64(st, 8);
        s_text(st, 9, m.sponsor, sizeof m.sponsor);
        s_text(st, 10, m.regency, sizeof m.regency);
        if (r->has_bank_cols && sqlite3_column_bytes(st, 12) > 0) {
            s_text(st, 11, m.sponsor_bank.code, sizeof m.sponsor_bank.code);
            s_text(st, 12, m.sponsor_bank.account, sizeof m.sponsor_bank.account);
            s_text(st, 13, m.sponsor_bank.name, sizeof m.sponsor_bank.name);
            m.has_sponsor_bank = 1;
        }
        *out = m;
        ret = 1;
    } else if (rc == SQLITE_DONE) {
        ret = 0;
    } else {
        log_error("registry: lookup in gen-%" PRIu64 ".db failed: %s", r->gen, sqlite3_errmsg(r->db));
        ret = -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

void registry_close(struct registry **rp)
{
    struct registry *r = *rp;
    if (!r) return;
    sqlite3_finalize(r->lookup);
    if (r->db) sqlite3_close(r->db);
    if (r->map) {
        munlock(r->map, r->map_len);
        munmap(r->map, r->map_len);
    }
    free(r);
    *rp = NULL;
}

int registry_coverage(struct registry *r, kdate day,
                      void (*fn)(void *arg, const char *regency, const char *category, const char *sponsor,
                                 int64_t active),
                      void *arg)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT regency, category, sponsor, count(*) FROM members"
                      " WHERE coverage_start <= ?1 AND (coverage_end IS NULL OR coverage_end >= ?1)"
                      " AND ?2 - paid_through < CASE category WHEN 'BPU' THEN 3 ELSE 4 END"
                      " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("registry: coverage query: %s", sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_int(st, 1, day);
    sqlite3_bind_int(st, 2, kmonth_of(day));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(arg, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
           (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* backup.c - `klaimctl backup`: a consistent copy of the live klaim.db.
 *
 * Owns: the one running backup and its FILE.tmp (backup.h).
 * Runs in: klaimd main loop only.
 *
 * Why the online backup API in steps from the write connection, and not
 * VACUUM INTO: VACUUM INTO is one statement; on a 1 GB store it reads and
 * rewrites every row in a single call, and the one main loop would stand
 * still for seconds (no acks, no JOBs, no heartbeats; the watchdog may
 * fire). sqlite3_backup_step(256) copies 256 pages (1 MiB at 4 KiB pages)
 * per call, a millisecond or so, and the loop serves claims in between.
 * Why the write connection as the source: a backup read through any other
 * connection restarts from page 1 whenever the store changes between two
 * steps, so under a steady stream of claims it would never end. A backup
 * whose source is the writer itself is instead updated in place by every
 * COMMIT of that connection (SQLite's documented behaviour), so it always
 * ends, and it ends holding everything committed until its last step: the
 * reply is sent in that same loop pass, so every claim acknowledged before
 * the reply is in the copy. A step cannot run while the writer holds an
 * open write transaction (batch.c keeps one filling for a few ms at a
 * time), so steps run from batch_between() right after each COMMIT, and
 * from a timer when the store is idle.
 * Durability: the copy's connection runs synchronous=OFF and journal OFF
 * (FILE.tmp is worthless until renamed); after each step the new pages
 * are handed to the kernel's writeback (sync_file_range, non-blocking), so
 * the single fsync at the end finds little left to write. Then FILE.tmp
 * gets its name by link()+unlink(), which, unlike rename(), fails rather
 * than overwrite a FILE created meanwhile, and the directory is fsync'ed.
 * Where it may write: only backup_dir (config, default DATA/backups): the
 * systemd unit lets the sandboxed daemon write only under its state
 * directory, and an admin request must not be able to pick any path the
 * daemon's user can write (klaim.db itself, for one).
 */
#include "backup.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

#define BACKUP_STEP_PAGES 256

struct backup {
    struct klaimd *k;
    struct intake *in;
    struct event *step_ev;
    int running;
    struct reply_to to;
    sqlite3 *dest;
    sqlite3_backup *bk;
    int fd;                     /* FILE.tmp, for writeback and the final fsync; -1 until it exists */
    char path[PATH_MAX];
    char tmp[PATH_MAX + 8];
    int64_t started_ms;
    uint64_t steps;
};

static void s_step(struct backup *b);

/* The timer: one step per expiry, again at once while the copy advances,
 * 1 ms later while the writer's transaction is open. */
static void s_on_step(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    s_step(arg);
}

/* batch_between: the writer just committed and holds no transaction. */
static void s_on_between(void *arg)
{
    struct backup *b = arg;
    if (b->running) s_step(b);
}

static void s_rearm(struct backup *b, int ms)
{
    struct timeval tv = {0, ms * 1000};
    evtimer_add(b->step_ev, &tv);
}

/* Ends the running backup without a file: FILE.tmp removed, hook and
 * timer off, the caller answered with code and the message. */
static void s_fail(struct backup *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void s_fail(struct backup *b, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (b->bk) sqlite3_backup_finish(b->bk);
    b->bk = NULL;
    sqlite3_close(b->dest);
    b->dest = NULL;
    if (b->fd >= 0) close(b->fd);
    b->fd = -1;
    unlink(b->tmp);
    b->running = 0;
    evtimer_del(b->step_ev);
    batch_between(b->k->batch, NULL, NULL);
    log_error("backup: %s", msg);
    intake_send_error(b->in, &b->to, code, "file", "%s", msg);
}

/* The copy is complete in FILE.tmp: make it durable under its name and
 * answer. Counts come from the store at this moment, which is the moment
 * the copy shows (no transaction is open, the last step just ran). */
static void s_done(struct backup *b)
{
    uint64_t pages = (uint64_t)sqlite3_backup_pagecount(b->bk);
    int rc = sqlite3_backup_finish(b->bk);
    b->bk = NULL;
    if (rc != SQLITE_OK) {
        s_fail(b, KLAIM__ERROR_CODE__CANNOT_WRITE, "%s: finishing the copy failed: %s", b->tmp, sqlite3_errmsg(b->dest));
        return;
    }
    uint64_t counts[8], claims = 0;
    store_count_states(b->k->store, counts);
    for (int i = 0; i < 8; i++) claims += counts[i];
    int64_t head = store_audit_head(b->k->store);
    if (sqlite3_close(b->dest) != SQLITE_OK) {
        s_fail(b, KLAIM__ERROR_CODE__CANNOT_WRITE, "%s: closing the copy failed: %s", b->tmp, sqlite3_errmsg(b->dest));
        return;
    }
    b->dest = NULL;
    if (b->fd < 0) b->fd = open(b->tmp, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (b->fd < 0 || fsync(b->fd) != 0 || fstat(b->fd, &st) != 0) {
        s_fail(b, KLAIM__ERROR_CODE__CANNOT_WRITE, "%s: fsync failed: %s; check the disk under backup_dir", b->tmp,
               strerror(errno));
        return;
    }
    if (link(b->tmp, b->path) != 0) {
        s_fail(b, errno == EEXIST ? KLAIM__ERROR_CODE__BACKUP_REFUSED : KLAIM__ERROR_CODE__CANNOT_WRITE,
               "%s: cannot give the copy its name: %s%s", b->path, strerror(errno),
               errno == EEXIST ? " (created by someone else meanwhile; choose a new name)" : "");
        return;
    }
    unlink(b->tmp);
    close(b->fd);
    b->fd = -1;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", b->k->cfg.backup_dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        int e = errno;
        if (dfd >= 0) close(dfd);
        unlink(b->path);
        s_fail(b, KLAIM__ERROR_CODE__CANNOT_WRITE, "%s: fsync of the directory failed: %s", dir, strerror(e));
        return;
    }
    close(dfd);
    b->running = 0;
    evtimer_del(b->step_ev);
    batch_between(b->k->batch, NULL, NULL);
    int64_t ms = klaimd_mono_ms() - b->started_ms;
    log_info("backup: %s written: %lld bytes, %llu pages, %llu claims, audit head %lld, %lld ms in %llu steps",
             b->path, (long long)st.st_size, (unsigned long long)pages, (unsigned long long)claims, (long long)head,
             (long long)ms, (unsigned long long)b->steps);
    Klaim__BackupReport rep = KLAIM__BACKUP_REPORT__INIT;
    rep.path = b->path;
    rep.has_size_bytes = 1, rep.size_bytes = (uint64_t)st.st_size;
    rep.has_pages = 1, rep.pages = pages;
    rep.has_claims = 1, rep.claims = claims;
    rep.has_audit_head_seq = 1, rep.audit_head_seq = head;
    rep.has_duration_ms = 1, rep.duration_ms = ms > 0 ? (uint64_t)ms : 0;
    Klaim__Reply r = KLAIM__REPLY__INIT;
    r.body_case = KLAIM__REPLY__BODY_BACKUP_REPORT;
    r.backup_report = &rep;
    intake_send_reply(b->in, &b->to, &r);
}

/* One step of BACKUP_STEP_PAGES, unless the writer is inside a
 * transaction (the step would only get SQLITE_BUSY). */
static void s_step(struct backup *b)
{
    if (!b->running) return;
    if (batch_is_open(b->k->batch)) {
        s_rearm(b, 1);
        return;
    }
    int rc = sqlite3_backup_step(b->bk, BACKUP_STEP_PAGES);
    b->steps++;
    if (b->fd < 0) b->fd = open(b->tmp, O_RDONLY | O_CLOEXEC);
    if (b->fd >= 0) (void)sync_file_range(b->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (rc == SQLITE_DONE) {
        s_done(b);
    } else if (rc == SQLITE_OK) {
        s_rearm(b, 0);
    } else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        s_rearm(b, 1);
    } else {
        int rc8 = rc & 0xff;
        int io = rc8 == SQLITE_IOERR || rc8 == SQLITE_FULL || rc8 == SQLITE_CANTOPEN || rc8 == SQLITE_READONLY ||
                 rc8 == SQLITE_PERM;
        s_fail(b, io ? KLAIM__ERROR_CODE__CANNOT_WRITE : KLAIM__ERROR_CODE__INTERNAL,
               "%s: copying the store failed: %s (%s)", b->tmp, sqlite3_errstr(rc),
               io ? "check free space and permissions of backup_dir" : "see klaimd's log");
    }
}

struct backup *backup_new(struct klaimd *k, struct intake *in)
{
    struct backup *b = xcalloc(1, sizeof *b);
    b->k = k;
    b->in = in;
    b->fd = -1;
    b->step_ev = evtimer_new(k->base, s_on_step, b);
    ASSERT(b->step_ev);
    /* After the sockets: claims first, the copy with what is left. */
    event_priority_set(b->step_ev, PRIO_COMMIT);
    return b;
}

void backup_abort(struct backup *b)
{
    if (b && b->running)
        s_fail(b, KLAIM__ERROR_CODE__SHUTTING_DOWN, "%s: klaimd is stopping; the backup was abandoned and nothing "
               "was written; run it again after the restart", b->path);
}

void backup_free(struct backup **bp)
{
    struct backup *b = *bp;
    if (!b) return;
    backup_abort(b);
    event_free(b->step_ev);
    free(b);
    *bp = NULL;
}

/* Refusal before anything was written. */
static void s_refuse(struct backup *b, const struct reply_to *to, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_refuse(struct backup *b, const struct reply_to *to, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_info("backup: refused: %s", msg);
    intake_send_error(b->in, to, code, "file", "%s", msg);
}

/* FILE as the request gives it -> the absolute path in backup_dir, or a
 * refusal. A plain name lands in backup_dir; an absolute path must name a
 * file directly in it; a relative path with a slash, "." or ".." never. */
static int s_resolve(struct backup *b, const struct reply_to *to, const char *file, char *out, size_t outlen)
{
    const char *dir = b->k->cfg.backup_dir;
    const char *name = file;
    if (!file || !file[0]) {
        s_refuse(b, to, KLAIM__ERROR_CODE__BACKUP_REFUSED, "no file given: name the copy, e.g. klaim-2026-12-06.db; "
                 "it is written in backup_dir %s", dir);
        return -1;
    }
    if (file[0] == '/') {
        const char *slash = strrchr(file, '/');
        size_t dl = (size_t)(slash - file);
        if (dl != strlen(dir) || strncmp(file, dir, dl) != 0) {
            s_refuse(b, to, KLAIM__ERROR_CODE__BACKUP_REFUSED, "\"%s\" is not in backup_dir %s: klaimd writes "
                     "backups only there (config key backup_dir); give a plain name or a path in it", file, dir);
            return -1;
        }
        name = slash + 1;
    } else if (strchr(file, '/')) {
        s_refuse(b, to, KLAIM__ERROR_CODE__BACKUP_REFUSED, "\"%s\" is a relative path: give a plain name (written "
                 "in backup_dir %s) or an absolute path in backup_dir", file, dir);
        return -1;
    }
    if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '.') {
        s_refuse(b, to, KLAIM__ERROR_CODE__BACKUP_REFUSED, "\"%s\": not a file name (empty or starting with a dot); "
                 "use e.g. klaim-2026-12-06.db", file);
        return -1;
    }
    if ((size_t)snprintf(out, outlen, "%s/%s", dir, name) >= outlen) {
        s_refuse(b, to, KLAIM__ERROR_CODE__BACKUP_REFUSED, "\"%s\": path too long", file);
        return -1;
    }
    return 0;
}

void backup_request(struct backup *b, const struct reply_to *to, const Klaim__BackupRequest *req)
{
    if (b->k->stopping) {
        intake_send_error(b->in, to, KLAIM__ERROR_CODE__SHUTTING_DOWN, "", "klaimd is stopping; back up after the restart");
        return;
    }
    if (b->running) {
        intake_send_error(b->in, to, KLAIM__ERROR_CODE__BUSY, "file",
                          "a backup to %s is running; retry when it is done", b->path);
        return;
    }
    char path[PATH_MAX];
    if (s_resolve(b, to, req->file, path, sizeof path) != 0) return;
    const char *dir = b->k->cfg.backup_dir;
    struct stat st;
    if (lstat(path, &st) == 0) {
        s_refuse(b, to, KLAIM__ERROR_CODE__BACKUP_REFUSED,
                 "%s exists: klaimd never overwrites a file; choose a new name or remove it", path);
        return;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        s_refuse(b, to, KLAIM__ERROR_CODE__CANNOT_WRITE, "cannot create backup_dir %s: %s; klaimd writes backups "
                 "only there: create it writable for klaimd's user or set backup_dir", dir, strerror(errno));
        return;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        s_refuse(b, to, KLAIM__ERROR_CODE__CANNOT_WRITE, "backup_dir %s: %s; klaimd writes backups only there: "
                 "make it writable for klaimd's user or set backup_dir", dir, strerror(errno));
        return;
    }
    snprintf(b->path, sizeof b->path, "%s", path);
    snprintf(b->tmp, sizeof b->tmp, "%s.tmp", path);
    unlink(b->tmp);   /* a leftover of an abandoned backup: ours by its name */
    b->to = *to;
    b->dest = NULL;
    int rc = sqlite3_open_v2(b->tmp, &b->dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(b->dest, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        b->bk = sqlite3_backup_init(b->dest, "main", store_db(b->k->store), "main");
        if (!b->bk) rc = sqlite3_errcode(b->dest);
    }
    if (rc != SQLITE_OK) {
        s_refuse(b, to, KLAIM__ERROR_CODE__CANNOT_WRITE, "cannot create %s: %s; klaimd writes backups only in "
                 "backup_dir %s", b->tmp, b->dest ? sqlite3_errmsg(b->dest) : sqlite3_errstr(rc), dir);
        sqlite3_close(b->dest);
        b->dest = NULL;
        unlink(b->tmp);
        return;
    }
    b->running = 1;
    b->steps = 0;
    b->started_ms = klaimd_mono_ms();
    log_info("backup: to %s (client \"%s\")", b->path, to->client);
    batch_between(b->k->batch, s_on_between, b);
    s_rearm(b, 0);
}

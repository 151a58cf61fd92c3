/* ckpt.c - see ckpt.h. */
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

#define LOG_LIMIT_MS 10000

struct ckpt {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int db_fd;                  /* klaim.db, to sync what a partial checkpoint copied */
    int interval_ms;
};

static void *s_run(void *arg)
{
    struct ckpt *c = arg;
    int synced = 0;             /* frames of this WAL copied and synced */
    /* A full disk fails every checkpoint (100 a second): one line per 10 s. */
    struct log_limit ckpt_fail = LOG_LIMIT_INIT, sync_fail = LOG_LIMIT_INIT;
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)c->interval_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&c->cond, &c->lock, &until);
        if (c->stop) break;
        pthread_mutex_unlock(&c->lock);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            log_limited(&ckpt_fail, LOG_LIMIT_MS, LOG_LVL_WARN, "ckpt: passive checkpoint failed: %s",
                        sqlite3_errmsg(c->db));
        /* SQLite syncs the database file only after a checkpoint that
         * copied the whole WAL, which a steady stream of commits rarely
         * allows. Syncing what was copied here keeps the writer's own
         * checkpoint (store.c, WAL_FRAMES_MAX), which runs in the main
         * loop, from having to flush megabytes. */
        if (rc == SQLITE_OK && done < log && done > synced) {
            if (fdatasync(c->db_fd) != 0)
                log_limited(&sync_fail, LOG_LIMIT_MS, LOG_LVL_WARN, "ckpt: fdatasync of the database file: %s",
                            strerror(errno));
            synced = done;
        } else if (rc == SQLITE_OK && done < synced) {
            synced = done;      /* the WAL started over */
        }
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

struct ckpt *ckpt_start(const char *db_path, int interval_ms, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "checkpoint connection to %s: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 100);
    /* A connection that has read nothing has not opened the WAL yet, and
     * SQLite 3.40's sqlite3_wal_checkpoint_v2() then returns SQLITE_OK with
     * log = -1 without copying a page (later releases open it themselves).
     * Reading the schema once opens the WAL for the life of the connection;
     * FULL makes the checkpoint sync the WAL before it copies and the
     * database before the WAL may be overwritten. */
    char *emsg = NULL;
    if (sqlite3_exec(db, "PRAGMA synchronous=FULL; SELECT count(*) FROM sqlite_schema", NULL, NULL, &emsg) != SQLITE_OK) {
        snprintf(err, errlen, "checkpoint connection to %s: %s", db_path, emsg ? emsg : sqlite3_errmsg(db));
        sqlite3_free(emsg);
        sqlite3_close(db);
        return NULL;
    }
    int db_fd = open(db_path, O_RDONLY | O_CLOEXEC);
    if (db_fd < 0) {
        snprintf(err, errlen, "checkpoint: cannot open %s: %s", db_path, strerror(errno));
        sqlite3_close(db);
        return NULL;
    }
    struct ckpt *c = xcalloc(1, sizeof *c);
    c->db = db;
    c->db_fd = db_fd;
    c->interval_ms = interval_ms > 0 ? interval_ms : 50;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, s_run, c) != 0) {
        snprintf(err, errlen, "cannot start the checkpoint thread: %s", strerror(errno));
        sqlite3_close(db);
        close(db_fd);
        free(c);
        return NULL;
    }
    return c;
}

void ckpt_stop(struct ckpt **cp)
{
    struct ckpt *c = *cp;
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    close(c->db_fd);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
    *cp = NULL;
}

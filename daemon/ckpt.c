/* ckpt.c - see ckpt.h. */
#include "ckpt.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xalloc.h"

struct ckpt {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int interval_ms;
};

static void *s_run(void *arg)
{
    struct ckpt *c = arg;
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
            log_warn("ckpt: passive checkpoint failed: %s", sqlite3_errmsg(c->db));
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
    struct ckpt *c = xcalloc(1, sizeof *c);
    c->db = db;
    c->interval_ms = interval_ms > 0 ? interval_ms : 50;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, s_run, c) != 0) {
        snprintf(err, errlen, "cannot start the checkpoint thread: %s", strerror(errno));
        sqlite3_close(db);
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
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
    *cp = NULL;
}

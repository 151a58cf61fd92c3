/* walsync.c - see walsync.h. */
#include "walsync.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "klaimd.h"
#include "log.h"
#include "xalloc.h"

#define EX_IOERR 74

struct walsync {
    int fd;                     /* klaim.db-wal, read-only: fdatasync needs no write access */
    int efd;                    /* eventfd: the thread's "something got durable" */
    char path[512];
    struct event *ev;
    walsync_fn fn;
    void *arg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* under lock */
    uint64_t wanted;            /* highest sequence requested */
    uint64_t synced;            /* highest sequence an fdatasync covered */
    int failed_errno;           /* nonzero: an fdatasync failed; no more syncs */
    struct metrics_hist sync_us; /* fdatasync durations */
    int stop;
    /* main loop only */
    uint64_t asked;             /* = wanted, without the lock */
    uint64_t reported;          /* highest sequence handed to fn */
};

static void s_fail(const struct walsync *w, int e)
{
    log_fatal(EX_IOERR, "fdatasync of %s failed: %s; exiting: what was not acknowledged is not durable, "
              "and the next start recovers what reached the disk (check the disk and the kernel log)",
              w->path, strerror(e));
}

static void *s_run(void *arg)
{
    struct walsync *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->stop && !w->failed_errno && w->wanted <= w->synced) pthread_cond_wait(&w->cond, &w->lock);
        if (w->stop || w->failed_errno) break;
        /* Everything committed up to `target` was written before it was
         * requested, so a sync that starts now covers it. */
        uint64_t target = w->wanted;
        pthread_mutex_unlock(&w->lock);
        int64_t started = klaimd_mono_us();
        int rc = fdatasync(w->fd);
        int e = errno;
        int64_t took = klaimd_mono_us() - started;
        pthread_mutex_lock(&w->lock);
        if (rc != 0) w->failed_errno = e ? e : EIO;
        else w->synced = target;
        metrics_observe(&w->sync_us, took);
        pthread_mutex_unlock(&w->lock);
        uint64_t one = 1;
        if (write(w->efd, &one, sizeof one) != (ssize_t)sizeof one)
            log_error("walsync: cannot signal the main loop: %s", strerror(errno));
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Main loop: the thread finished a sync (or failed). */
static void s_on_event(evutil_socket_t fd, short what, void *arg)
{
    struct walsync *w = arg;
    uint64_t n;
    if (read(w->efd, &n, sizeof n) < 0 && errno != EAGAIN) log_error("walsync: eventfd read: %s", strerror(errno));
    pthread_mutex_lock(&w->lock);
    uint64_t synced = w->synced;
    int failed = w->failed_errno;
    pthread_mutex_unlock(&w->lock);
    if (failed) s_fail(w, failed);
    if (synced > w->reported) {
        w->reported = synced;
        w->fn(w->arg, synced);
    }
}

struct walsync *walsync_start(struct event_base *base, int priority, const char *wal_path, walsync_fn fn, void *arg,
                              char *err, size_t errlen)
{
    int fd = open(wal_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s for fdatasync: %s", wal_path, strerror(errno));
        return NULL;
    }
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    struct walsync *w = xcalloc(1, sizeof *w);
    w->fd = fd;
    w->efd = efd;
    snprintf(w->path, sizeof w->path, "%s", wal_path);
    w->fn = fn;
    w->arg = arg;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->ev = event_new(base, efd, EV_READ | EV_PERSIST, s_on_event, w);
    ASSERT(w->ev);
    event_priority_set(w->ev, priority);
    event_add(w->ev, NULL);
    if (pthread_create(&w->thread, NULL, s_run, w) != 0) {
        snprintf(err, errlen, "cannot start the WAL sync thread: %s", strerror(errno));
        event_free(w->ev);
        close(efd);
        close(fd);
        free(w);
        return NULL;
    }
    return w;
}

void walsync_request(struct walsync *w, uint64_t seq)
{
    if (seq <= w->asked) return;
    w->asked = seq;
    pthread_mutex_lock(&w->lock);
    w->wanted = seq;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int walsync_busy(const struct walsync *w) { return w->asked > w->reported; }

void walsync_now(struct walsync *w)
{
    uint64_t target = w->asked;
    if (fdatasync(w->fd) != 0) s_fail(w, errno);
    if (target > w->reported) {
        w->reported = target;
        w->fn(w->arg, target);
    }
}

void walsync_sync_hist(struct walsync *w, struct metrics_hist *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->sync_us;
    pthread_mutex_unlock(&w->lock);
}

void walsync_stop(struct walsync **wp)
{
    struct walsync *w = *wp;
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    event_free(w->ev);
    close(w->efd);
    close(w->fd);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
    *wp = NULL;
}

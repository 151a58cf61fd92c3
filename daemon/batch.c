/* batch.c - group commit for everything klaimd writes.
 *
 * Owns: the open transaction, the callbacks waiting for it, the committed
 *   transactions waiting for their fdatasync (walsync.c), the commit event,
 *   degraded mode (commit failures, or a degraded start: recovery could
 *   not commit, see batch_degraded_until) and the probe that ends it.
 * Runs in: klaimd main loop only.
 * Invariant: no reply, JOB or decision for an op leaves before its COMMIT
 *   returned SQLITE_OK and an fdatasync of the WAL that began after it
 *   succeeded. Callers hand over callbacks and get the verdict.
 * The loop keeps working while the WAL is synced: the next transaction
 *   fills meanwhile and commits when that sync is reported (or inline when
 *   full or old), so one fsync still covers everything that queued while the
 *   previous one ran, and the main loop no longer stands still for it.
 * See also: store.c (statements), intake.c, broker.c (the callers).
 */
#include "batch.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "klaimd.h"
#include "log.h"
#include "store.h"
#include "walsync.h"
#include "xalloc.h"

struct then {
    batch_done_fn fn;
    void *arg;
};

/* A committed transaction whose callbacks wait for its fdatasync. */
struct durable_wait {
    uint64_t seq;
    struct then *thens;
    size_t n_thens, cap_thens;
};

struct batch {
    struct store *store;
    struct walsync *sync;
    uint64_t seq;               /* transactions committed */
    struct durable_wait *waits; /* committed, not yet durable, oldest first */
    size_t n_waits, cap_waits;
    struct event *commit_ev;
    struct event *defer_ev;     /* commits a transaction of deferrable ops only */
    struct event *probe_ev;
    int (*until_fn)(void *arg); /* batch_degraded_until(): the probe's write */
    void *until_arg;
    int batch_max;
    int64_t max_age_us;         /* commit inline once the transaction is this old */
    int64_t opened_us;
    int open;
    int degraded;
    int ops;                    /* ops in the open transaction */
    int urgent;                 /* of those, ops someone is waiting on (not batch_op_deferrable) */
    struct then *thens;
    size_t n_thens, cap_thens;
    struct batch_stats stats;
    void (*between_fn)(void *arg); /* batch_between(): after each successful COMMIT */
    void *between_arg;
};

static void s_run_thens(struct then *list, size_t n, int committed)
{
    for (size_t i = 0; i < n; i++) list[i].fn(list[i].arg, committed);
    free(list);
}

static void s_add_then(struct then **list, size_t *n, size_t *cap, batch_done_fn fn, void *arg)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *list = xrealloc(*list, *cap * sizeof **list);
    }
    (*list)[(*n)++] = (struct then){fn, arg};
}

static struct durable_wait *s_push_wait(struct batch *b, uint64_t seq)
{
    if (b->n_waits == b->cap_waits) {
        b->cap_waits = b->cap_waits ? 2 * b->cap_waits : 8;
        b->waits = xrealloc(b->waits, b->cap_waits * sizeof *b->waits);
    }
    struct durable_wait *w = &b->waits[b->n_waits++];
    *w = (struct durable_wait){seq, NULL, 0, 0};
    return w;
}

/* Closes the open transaction's books. Rolled back: its callbacks run now
 * with committed=0. Committed: they wait for the fdatasync of this commit.
 * They may open the next batch (a decision leads to the next lease), so
 * the list is detached first. */
static void s_finish(struct batch *b, int committed)
{
    struct then *list = b->thens;
    size_t n = b->n_thens, cap = b->cap_thens;
    b->thens = NULL;
    b->n_thens = b->cap_thens = 0;
    b->open = 0;
    b->ops = 0;
    b->urgent = 0;
    evtimer_del(b->defer_ev);
    if (!committed) {
        s_run_thens(list, n, 0);
        return;
    }
    b->seq++;
    if (n > 0) {
        *s_push_wait(b, b->seq) = (struct durable_wait){b->seq, list, n, cap};
    } else {
        free(list);
    }
    walsync_request(b->sync, b->seq);
}

/* walsync: every transaction up to `durable` is on disk. Runs their
 * callbacks in commit order, then commits what filled meanwhile. */
static void s_on_durable(void *arg, uint64_t durable)
{
    struct batch *b = arg;
    size_t done = 0;
    while (done < b->n_waits && b->waits[done].seq <= durable) done++;
    if (done > 0) {
        /* Callbacks may commit (batch_flush) and so add waits: detach first. */
        struct durable_wait *ready = xmalloc(done * sizeof *ready);
        memcpy(ready, b->waits, done * sizeof *ready);
        memmove(b->waits, b->waits + done, (b->n_waits - done) * sizeof *b->waits);
        b->n_waits -= done;
        for (size_t i = 0; i < done; i++) s_run_thens(ready[i].thens, ready[i].n_thens, 1);
        free(ready);
    }
    if (b->open) event_active(b->commit_ev, 0, 0);
}

static void s_enter_degraded(struct batch *b)
{
    if (!b->degraded) {
        log_error("store: commit failed (%s); refusing new claims until the store can commit again",
                  store_errmsg(b->store));
        b->degraded = 1;
        struct timeval one = {1, 0};
        event_add(b->probe_ev, &one);
    }
    b->stats.failures++;
}

static void s_commit(struct batch *b)
{
    if (!b->open) return;
    uint64_t ops = (uint64_t)b->ops;
    int64_t started = klaimd_mono_us();
    if (store_commit(b->store) != 0) {
        store_rollback(b->store);
        s_enter_degraded(b);
        s_finish(b, 0);
        return;
    }
    metrics_observe(&b->stats.commit_us, klaimd_mono_us() - started);
    b->stats.commits++;
    b->stats.ops += ops;
    if (ops > b->stats.max_batch) b->stats.max_batch = ops;
    s_finish(b, 1);
    if (b->between_fn) b->between_fn(b->between_arg);
}

/* The loop is drained. While the previous commit is being synced, keep
 * filling this transaction: s_on_durable commits it when that sync is
 * done, and one fsync covers all of it. A transaction of deferrable ops
 * only waits for company until it is max_age old (defer_ev). */
static void s_on_commit(evutil_socket_t fd, short what, void *arg)
{
    struct batch *b = arg;
    if (!b->open || walsync_busy(b->sync)) return;
    int64_t age = klaimd_mono_us() - b->opened_us;
    if (b->urgent == 0 && age < b->max_age_us) {
        int64_t us = b->max_age_us - age;
        struct timeval left = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
        evtimer_add(b->defer_ev, &left);
        return;
    }
    s_commit(b);
}

/* Once a second while degraded: a small real write. The first one that
 * commits ends degraded mode; the watchdog keeps being fed meanwhile
 * because this never blocks for long (busy_timeout bounds it). */
static void s_on_probe(evutil_socket_t fd, short what, void *arg)
{
    struct batch *b = arg;
    if (!b->degraded) return;
    int ok;
    if (b->until_fn) {
        ok = b->until_fn(b->until_arg) == 0;
        if (ok) b->until_fn = NULL;
    } else {
        int64_t n = 0;
        ok = store_begin(b->store) == 0 && store_meta_get(b->store, "probe", &n) == 0 &&
             store_meta_set(b->store, "probe", n + 1) == 0 && store_commit(b->store) == 0;
        if (!ok) store_rollback(b->store);
    }
    if (ok) {
        b->degraded = 0;
        log_info("store: commits work again; accepting claims");
        return;
    }
    struct timeval one = {1, 0};
    event_add(b->probe_ev, &one);
}

struct batch *batch_new(struct event_base *base, struct store *store, int sync_priority, int priority, int batch_max,
                        int max_age_ms, char *err, size_t errlen)
{
    char wal[600];
    if (store_async_commit(store, wal, sizeof wal, err, errlen) != 0) return NULL;
    struct batch *b = xcalloc(1, sizeof *b);
    b->sync = walsync_start(base, sync_priority, wal, s_on_durable, b, err, errlen);
    if (!b->sync) {
        free(b);
        return NULL;
    }
    b->store = store;
    b->batch_max = batch_max > 0 ? batch_max : 1000;
    b->max_age_us = (int64_t)(max_age_ms > 0 ? max_age_ms : 5) * 1000;
    b->commit_ev = event_new(base, -1, 0, s_on_commit, b);
    b->defer_ev = evtimer_new(base, s_on_commit, b);
    b->probe_ev = evtimer_new(base, s_on_probe, b);
    ASSERT(b->commit_ev && b->defer_ev && b->probe_ev);
    event_priority_set(b->commit_ev, priority);
    return b;
}

void batch_free(struct batch **bp)
{
    struct batch *b = *bp;
    if (!b) return;
    batch_flush(b);
    log_info("store: %llu commits, %llu checkpoints by the writer", (unsigned long long)b->stats.commits,
             (unsigned long long)store_writer_checkpoints(b->store));
    walsync_stop(&b->sync);
    event_free(b->commit_ev);
    event_free(b->defer_ev);
    event_free(b->probe_ev);
    free(b->thens);
    free(b->waits);
    free(b);
    *bp = NULL;
}

int batch_open(struct batch *b)
{
    if (b->degraded) return -1;
    if (b->open) return 0;
    if (store_begin(b->store) != 0) {
        s_enter_degraded(b);
        return -1;
    }
    b->open = 1;
    b->opened_us = klaimd_mono_us();
    /* The commit waits until the higher-priority sources are drained. */
    event_active(b->commit_ev, 0, 0);
    return 0;
}

void batch_then(struct batch *b, batch_done_fn fn, void *arg)
{
    if (b->open) {
        s_add_then(&b->thens, &b->n_thens, &b->cap_thens, fn, arg);
    } else {
        /* Nothing open: wait for the newest commit's sync. */
        ASSERT(walsync_busy(b->sync));
        struct durable_wait *w = b->n_waits > 0 && b->waits[b->n_waits - 1].seq == b->seq
                                     ? &b->waits[b->n_waits - 1]
                                     : s_push_wait(b, b->seq);
        s_add_then(&w->thens, &w->n_thens, &w->cap_thens, fn, arg);
    }
}

static void s_op_done(struct batch *b, int urgent)
{
    if (!b->open) return;
    /* The first urgent op ends a deferral: the commit event runs again
     * once the loop is drained. */
    if (urgent && b->urgent++ == 0) event_active(b->commit_ev, 0, 0);
    /* A low-priority commit event can starve under sustained input: commit
     * inline when the batch is full or old. The age bound matters as much as
     * the size: JOBs and decisions wait for the commit too, so a transaction
     * kept open by a stream of inserts would starve the workers. */
    if (++b->ops >= b->batch_max || klaimd_mono_us() - b->opened_us >= b->max_age_us) s_commit(b);
}

void batch_op_done(struct batch *b) { s_op_done(b, 1); }
void batch_op_deferrable(struct batch *b) { s_op_done(b, 0); }

void batch_fail(struct batch *b)
{
    if (!b->open) return;
    store_rollback(b->store);
    s_enter_degraded(b);
    s_finish(b, 0);
}

void batch_flush(struct batch *b)
{
    s_commit(b);
    if (walsync_busy(b->sync) || b->n_waits > 0) walsync_now(b->sync);
}

int batch_degraded(const struct batch *b) { return b->degraded; }

void batch_degraded_until(struct batch *b, int (*fn)(void *arg), void *arg)
{
    ASSERT(!b->open);
    b->until_fn = fn;
    b->until_arg = arg;
    b->stats.failures++;
    if (!b->degraded) {
        b->degraded = 1;
        struct timeval one = {1, 0};
        event_add(b->probe_ev, &one);
    }
}
void batch_between(struct batch *b, void (*fn)(void *arg), void *arg)
{
    b->between_fn = fn;
    b->between_arg = arg;
}

int batch_is_open(const struct batch *b) { return b->open; }
int batch_is_pending(const struct batch *b) { return b->open || walsync_busy(b->sync); }
void batch_get_stats(const struct batch *b, struct batch_stats *out)
{
    *out = b->stats;
    walsync_sync_hist(b->sync, &out->sync_us);
}

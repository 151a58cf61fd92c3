/* batch.c - group commit for everything klaimd writes.
 *
 * Owns: the open transaction, the pending callbacks, the commit event,
 *   degraded mode (commit failures) and the probe that ends it.
 * Runs in: klaimd main loop only.
 * Invariant: no reply, JOB or decision for an op leaves before COMMIT
 *   returned SQLITE_OK. Callers hand over callbacks and get the verdict.
 * See also: store.c (statements), intake.c, broker.c (the callers).
 */
#include "batch.h"

#include <event2/event.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "store.h"
#include "xalloc.h"

struct then {
    batch_done_fn fn;
    void *arg;
};

struct batch {
    struct store *store;
    struct event *commit_ev;
    struct event *probe_ev;
    int batch_max;
    int64_t max_age_us;         /* commit inline once the transaction is this old */
    int64_t opened_us;
    int open;
    int degraded;
    int ops;                    /* ops in the open transaction */
    struct then *thens;
    size_t n_thens, cap_thens;
    struct batch_stats stats;
};

/* Runs and clears the callbacks. They may open the next batch (a decision
 * leads to the next lease), so the list is detached first. */
static void s_finish(struct batch *b, int committed)
{
    struct then *list = b->thens;
    size_t n = b->n_thens;
    b->thens = NULL;
    b->n_thens = b->cap_thens = 0;
    b->open = 0;
    b->ops = 0;
    for (size_t i = 0; i < n; i++) list[i].fn(list[i].arg, committed);
    free(list);
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
    if (store_commit(b->store) != 0) {
        store_rollback(b->store);
        s_enter_degraded(b);
        s_finish(b, 0);
        return;
    }
    b->stats.commits++;
    b->stats.ops += ops;
    if (ops > b->stats.max_batch) b->stats.max_batch = ops;
    s_finish(b, 1);
}

static void s_on_commit(evutil_socket_t fd, short what, void *arg) { s_commit(arg); }

/* Once a second while degraded: a small real write. The first one that
 * commits ends degraded mode; the watchdog keeps being fed meanwhile
 * because this never blocks for long (busy_timeout bounds it). */
static void s_on_probe(evutil_socket_t fd, short what, void *arg)
{
    struct batch *b = arg;
    if (!b->degraded) return;
    int64_t n = 0;
    int ok = store_begin(b->store) == 0 && store_meta_get(b->store, "probe", &n) == 0 &&
             store_meta_set(b->store, "probe", n + 1) == 0 && store_commit(b->store) == 0;
    if (ok) {
        b->degraded = 0;
        log_info("store: commits work again; accepting claims");
        return;
    }
    store_rollback(b->store);
    struct timeval one = {1, 0};
    event_add(b->probe_ev, &one);
}

static int64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct batch *batch_new(struct event_base *base, struct store *store, int priority, int batch_max, int max_age_ms)
{
    struct batch *b = xcalloc(1, sizeof *b);
    b->store = store;
    b->batch_max = batch_max > 0 ? batch_max : 1000;
    b->max_age_us = (int64_t)(max_age_ms > 0 ? max_age_ms : 5) * 1000;
    b->commit_ev = event_new(base, -1, 0, s_on_commit, b);
    b->probe_ev = evtimer_new(base, s_on_probe, b);
    ASSERT(b->commit_ev && b->probe_ev);
    event_priority_set(b->commit_ev, priority);
    return b;
}

void batch_free(struct batch **bp)
{
    struct batch *b = *bp;
    if (!b) return;
    batch_flush(b);
    event_free(b->commit_ev);
    event_free(b->probe_ev);
    free(b->thens);
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
    b->opened_us = s_now_us();
    /* The commit waits until the higher-priority sources are drained. */
    event_active(b->commit_ev, 0, 0);
    return 0;
}

void batch_then(struct batch *b, batch_done_fn fn, void *arg)
{
    ASSERT(b->open);
    if (b->n_thens == b->cap_thens) {
        b->cap_thens = b->cap_thens ? 2 * b->cap_thens : 64;
        b->thens = xrealloc(b->thens, b->cap_thens * sizeof *b->thens);
    }
    b->thens[b->n_thens++] = (struct then){fn, arg};
}

void batch_op_done(struct batch *b)
{
    if (!b->open) return;
    /* A low-priority commit event can starve under sustained input: commit
     * inline when the batch is full or old. The age bound matters as much as
     * the size: JOBs and decisions wait for the commit too, so a transaction
     * kept open by a stream of inserts would starve the workers. */
    if (++b->ops >= b->batch_max || s_now_us() - b->opened_us >= b->max_age_us) s_commit(b);
}

void batch_fail(struct batch *b)
{
    if (!b->open) return;
    store_rollback(b->store);
    s_enter_degraded(b);
    s_finish(b, 0);
}

void batch_flush(struct batch *b) { s_commit(b); }
int batch_degraded(const struct batch *b) { return b->degraded; }
int batch_is_open(const struct batch *b) { return b->open; }
void batch_get_stats(const struct batch *b, struct batch_stats *out) { *out = b->stats; }

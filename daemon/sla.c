/* sla.c - SLA clocks: the next stored deadline, one timer, breaches.
 *
 * Owns: the one libevent timer, armed for the earliest running clock.
 * Runs in: klaimd main loop only.
 * Invariant: the clocks live only in the cases table, in due order through
 *   two partial indexes (store.c migration 5 -> 6); memory holds one
 *   deadline, whatever the number of open cases. A breach is decided
 *   against the stored case (cases_breach), so a clock met meanwhile or a
 *   rolled-back case never emits an event.
 * See also: cases.c (what a breach writes), store_dispatch.c (the SQL).
 */
#include "sla.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch.h"
#include "cases.h"
#include "feed.h"
#include "klaimd.h"
#include "log.h"
#include "store.h"
#include "store_dispatch.h"
#include "xalloc.h"

#define S_DUE_BATCH 500         /* breaches written per transaction */

struct sla {
    struct klaimd *k;
    struct event *timer;
    int64_t armed_for;          /* due_ms the timer waits for, 0 = none */
};

int64_t sla_duration_ms(const struct config *c, int clock)
{
    int64_t hour = c->sla_test_unit_ms > 0 ? c->sla_test_unit_ms : 3600 * 1000;
    int64_t day = c->sla_test_unit_ms > 0 ? c->sla_test_unit_ms : 86400 * 1000;
    int64_t minute = c->sla_test_unit_ms > 0 ? c->sla_test_unit_ms : 60 * 1000;
    switch (clock) {
    case SLA_REPORT: return (int64_t)c->sla_report_hours * hour;
    case SLA_DECISION: return (int64_t)c->sla_decision_days * day;
    default: return (int64_t)c->sla_ack_minutes * minute;
    }
}

static void s_arm_at(struct sla *s, int64_t due_ms)
{
    int64_t wait = due_ms - klaimd_now_ms();
    if (wait < 0) wait = 0;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
    event_add(s->timer, &tv);
    s->armed_for = due_ms;
}

/* Arms the timer for the store's earliest running clock. A read error
 * retries in a second rather than losing the clocks. */
static void s_arm(struct sla *s)
{
    int64_t next = 0;
    if (store_clock_next(feed_store(s->k->feed), &next) != 0) {
        s_arm_at(s, klaimd_now_ms() + 1000);
        return;
    }
    if (next) s_arm_at(s, next);
    else {
        event_del(s->timer);
        s->armed_for = 0;
    }
}

/* Clocks are due: mark up to S_DUE_BATCH in one transaction, then arm for
 * the next. A store that cannot commit tries again in a second. */
static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct sla *s = arg;
    struct klaimd *k = s->k;
    s->armed_for = 0;
    int64_t ids[S_DUE_BATCH];
    int clocks[S_DUE_BATCH], n = 0;
    if (store_clocks_due(feed_store(k->feed), klaimd_now_ms(), S_DUE_BATCH, ids, clocks, &n) != 0) {
        s_arm_at(s, klaimd_now_ms() + 1000);
        return;
    }
    if (n > 0) {
        if (batch_open(k->batch) != 0) {
            s_arm_at(s, klaimd_now_ms() + 1000);
            return;
        }
        for (int i = 0; i < n; i++) {
            if (cases_breach(k->cases, ids[i], clocks[i]) != 0) {
                batch_fail(k->batch);
                s_arm_at(s, klaimd_now_ms() + 1000);
                return;
            }
        }
        batch_op_done(k->batch);
    }
    /* The breaches are not committed yet, but this connection reads its own
     * open transaction: the next deadline already excludes them. */
    s_arm(s);
}

void sla_watch(struct sla *s, int64_t due_ms)
{
    if (!s->armed_for || due_ms < s->armed_for) s_arm_at(s, due_ms);
}

struct sla *sla_new(struct klaimd *k, char *err, size_t errlen)
{
    struct sla *s = xcalloc(1, sizeof *s);
    s->k = k;
    s->timer = evtimer_new(k->base, s_on_timer, s);
    event_priority_set(s->timer, PRIO_IO);
    uint64_t n = 0;
    int64_t next = 0;
    if (store_clock_count(feed_store(k->feed), &n) != 0 || store_clock_next(feed_store(k->feed), &next) != 0) {
        snprintf(err, errlen, "cannot read the SLA clocks: %s", store_errmsg(k->store));
        sla_free(&s);
        return NULL;
    }
    store_clocks_init(k->store, n);
    uint64_t open = 0;
    if (store_case_open_count(feed_store(k->feed), &open) != 0) {
        snprintf(err, errlen, "cannot count the open dispatch cases: %s", store_errmsg(k->store));
        sla_free(&s);
        return NULL;
    }
    store_cases_init(k->store, open);
    if (n) log_info("sla: %llu clocks running", (unsigned long long)n);
    if (next) s_arm_at(s, next);
    return s;
}

void sla_free(struct sla **sp)
{
    struct sla *s = *sp;
    if (!s) return;
    event_free(s->timer);
    free(s);
    *sp = NULL;
}

uint64_t sla_pending(const struct sla *s) { return store_clocks_running(s->k->store); }

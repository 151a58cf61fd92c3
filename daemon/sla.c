/* sla.c - SLA clocks: load stored deadlines, wait for the earliest, breach.
 *
 * Owns: the heap of running clocks and its single timer.
 * Runs in: klaimd main loop only.
 * Invariant: a breach is decided against the stored case (cases_breach),
 *   never against the heap alone, so a clock met meanwhile, a rolled-back
 *   case or a duplicate heap entry never emits an event.
 * See also: sla_heap.c (ordering), cases.c (what a breach writes).
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
#include "sla_heap.h"
#include "store.h"
#include "store_dispatch.h"
#include "xalloc.h"

struct sla {
    struct klaimd *k;
    struct sla_heap heap;
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

static void s_arm(struct sla *s)
{
    const struct sla_entry *e = sla_heap_peek(&s->heap);
    if (!e) {
        event_del(s->timer);
        s->armed_for = 0;
        return;
    }
    if (s->armed_for == e->due_ms && event_pending(s->timer, EV_TIMEOUT, NULL)) return;
    int64_t wait = e->due_ms - klaimd_now_ms();
    if (wait < 0) wait = 0;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
    event_add(s->timer, &tv);
    s->armed_for = e->due_ms;
}

/* The earliest clocks are due: mark each in one transaction. A store that
 * cannot commit keeps them in the heap and tries again in a second. */
static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct sla *s = arg;
    struct klaimd *k = s->k;
    s->armed_for = 0;
    int64_t now = klaimd_now_ms();
    const struct sla_entry *top = sla_heap_peek(&s->heap);
    if (!top || top->due_ms > now) {
        s_arm(s);
        return;
    }
    if (batch_open(k->batch) != 0) {
        struct timeval one = {1, 0};
        event_add(s->timer, &one);
        return;
    }
    int n = 0;
    struct sla_entry e;
    while ((top = sla_heap_peek(&s->heap)) && top->due_ms <= now && n < 500) {
        sla_heap_pop(&s->heap, &e);
        if (cases_breach(k->cases, e.case_id, e.clock) != 0) {
            sla_heap_push(&s->heap, e);
            batch_fail(k->batch);
            struct timeval one = {1, 0};
            event_add(s->timer, &one);
            return;
        }
        n++;
    }
    batch_op_done(k->batch);
    s_arm(s);
}

void sla_watch(struct sla *s, int64_t case_id, int clock, int64_t due_ms)
{
    sla_heap_push(&s->heap, (struct sla_entry){.due_ms = due_ms, .case_id = case_id, .clock = clock});
    const struct sla_entry *top = sla_heap_peek(&s->heap);
    if (top->due_ms == due_ms && top->case_id == case_id) s_arm(s);
}

static void s_load(void *arg, const struct store_case *c)
{
    struct sla *s = arg;
    if (!c->decided_at_ms && !(c->breached & SLA_DECISION))
        sla_heap_push(&s->heap, (struct sla_entry){c->decision_due_ms, c->id, SLA_DECISION});
    if (!c->acked_at_ms && !(c->breached & SLA_ACK))
        sla_heap_push(&s->heap, (struct sla_entry){c->ack_due_ms, c->id, SLA_ACK});
}

struct sla *sla_new(struct klaimd *k, char *err, size_t errlen)
{
    struct sla *s = xcalloc(1, sizeof *s);
    s->k = k;
    s->timer = evtimer_new(k->base, s_on_timer, s);
    event_priority_set(s->timer, PRIO_IO);
    if (store_cases_clocks(feed_store(k->feed), s_load, s) != 0) {
        snprintf(err, errlen, "cannot read the SLA clocks: %s", store_errmsg(k->store));
        sla_free(&s);
        return NULL;
    }
    if (s->heap.n) log_info("sla: %zu clocks running", s->heap.n);
    s_arm(s);
    return s;
}

void sla_free(struct sla **sp)
{
    struct sla *s = *sp;
    if (!s) return;
    event_free(s->timer);
    sla_heap_clear(&s->heap);
    free(s);
    *sp = NULL;
}

uint64_t sla_pending(const struct sla *s) { return s->heap.n; }

/* payclock.h - the JKM payment clock (docs/money.md §7).
 *
 * Owns: which claims have the clock (APPROVED death claims, JKM or JKK with
 *   a death date, with an heir with a NIK), their deadline, days late and
 *   late amount as the decision JSON shows them (payment.due, days_late,
 *   late_amount), the breach of an unpaid clock (an SLA_BREACHED feed event
 *   with clock "PAYMENT", once per claim), the payment columns of the
 *   claims report, and the statements on claims.payment_clock (store.c
 *   migration 8 -> 9) on the write connection (store_db()).
 * Runs in: klaimd main loop only.
 * Invariant: nothing about a clock is kept in memory but the next deadline:
 *   the running clocks are the claims_payment_clock index, in approval
 *   order (which is deadline order), so clocks survive a restart and a
 *   breach is written once, with its event, in one transaction. The clock
 *   starts when a claim is APPROVED (decided_at_ms) and stops when the bank
 *   paid it (payment_state PAID, the latest settled_on of its paid lines).
 *   The timer also looks every minute (every sla_test_unit_ms in tests) for
 *   clocks started since, so no other module has to tell it.
 * Working days: workdays.h, holidays from config; with sla_test_unit_ms > 0
 * a working day lasts that many ms (tests only).
 */
#ifndef KLAIM_PAYCLOCK_H
#define KLAIM_PAYCLOCK_H
#include <stddef.h>
#include <stdint.h>

#include "klaim.pb-c.h"
#include "workdays.h"

struct klaimd;
struct payclock;

/* Prepares the statements and arms the timer for the earliest running
 * clock (an overdue one fires at once). NULL with err on a store error. */
struct payclock *payclock_new(struct klaimd *k, char *err, size_t errlen);
void payclock_free(struct payclock **pc);

/* The clock fields of one claim's decision. Plain data owned by the caller
 * (e.g. inside a claim view); valid while it lives. */
struct payclock_view {
    Klaim__Payment payment;
    char due[11];
};
/* For a stored claim shown as d (status, GET /v1/claims/{id}): when it has
 * the clock, sets d->payment to v->payment (a copy of any payment d already
 * had, so other payment fields are kept) with due, days_late and
 * late_amount as of now. Leaves d alone otherwise, or on a store error
 * (logged). Call it after every other change to d->payment. */
void payclock_fill(struct payclock *pc, int64_t claim_id, Klaim__Decision *d, struct payclock_view *v);

/* Clocks running (unpaid, not yet breached), counted in the store. */
uint64_t payclock_running(struct payclock *pc);
/* Breaches committed since klaimd started. */
uint64_t payclock_breaches(const struct payclock *pc);

/* What the claims report shows of one claim with the clock. */
enum { PAYCLOCK_ON_TIME = 1, PAYCLOCK_PAID_LATE = 2, PAYCLOCK_PAST_DUE = 3, PAYCLOCK_NOT_DUE = 4 };
struct payclock_report_row {
    const char *regency, *sponsor; /* "" when unknown, as the claims report groups them */
    int program;
    int outcome;                   /* PAYCLOCK_* */
    int64_t late_amount;           /* paid late: fixed; unpaid past due: as of today */
};
/* Calls fn for each APPROVED claim with the clock decided between lo and
 * hi (unix ms, inclusive), or, by_event, whose event date is between lo
 * and hi (days since 1970-01-01, inclusive). 0, or -1 on a store error. */
int payclock_report(struct payclock *pc, int by_event, int64_t lo, int64_t hi,
                    void (*fn)(void *arg, const struct payclock_report_row *r), void *arg);

#endif

/* sla.h - SLA clocks of dispatch cases: stored deadlines, one timer.
 *
 * Owns: the one libevent timer that waits for the earliest running clock
 *   (read from the store: no clock is kept in memory); the clock durations
 *   from config.
 * Runs in: klaimd main loop only.
 * The deadlines live in the cases table (store_dispatch.c), in due order;
 * at start the timer is armed for the earliest, and overdue ones fire at
 * once, so clocks survive a restart. A breach commits with its SLA_BREACHED event (cases_breach).
 * Clocks: REPORT (end of the accident day + sla_report_hours -> the first
 * report; judged when the case opens), DECISION (first report +
 * sla_decision_days -> a final decision), ACK (case opened +
 * sla_ack_minutes -> acknowledged). sla_test_unit_ms > 0 makes every hour,
 * day and minute of these clocks that many milliseconds (tests only).
 * The JKM payment clock is payclock.c's (claims, not cases).
 */
#ifndef KLAIM_SLA_H
#define KLAIM_SLA_H
#include <stddef.h>
#include <stdint.h>

struct klaimd;
struct config;
struct sla;

/* Loads the running clocks from the store and arms the timer. NULL with
 * err on a store error. */
struct sla *sla_new(struct klaimd *k, char *err, size_t errlen);
void sla_free(struct sla **s);
/* A clock started (its case row holds it): due_ms in unix ms. Only re-arms
 * the timer when due_ms is earlier than what it waits for. Safe inside an
 * open transaction: a rolled-back case is not found when the timer fires. */
void sla_watch(struct sla *s, int64_t due_ms);
/* The duration of clock (SLA_REPORT, SLA_DECISION, SLA_ACK) in ms. */
int64_t sla_duration_ms(const struct config *c, int clock);
/* Running clocks, counted in the store; for /metrics. */
uint64_t sla_pending(const struct sla *s);

#endif

/* workdays.h - working days and the JKM payment clock's arithmetic.
 *
 * Owns: what a working day is (Monday to Friday, minus configured holiday
 *   dates), the payment deadline (the 3rd working day after the WIB date a
 *   claim became APPROVED), working days late, and the late amount (1 % of
 *   the benefit per working day late, whole Rupiah, rounded down).
 * Runs in: anywhere; pure functions on kdate (dates.h), no clock reads, no
 *   allocation. Integer arithmetic only.
 * A holiday list is sorted and free of repeats (workdays_parse makes it
 * so); a holiday on a Saturday or Sunday changes nothing.
 */
#ifndef KLAIM_WORKDAYS_H
#define KLAIM_WORKDAYS_H
#include <stddef.h>
#include <stdint.h>

#include "dates.h"

/* Working days from the approval date to the payment deadline. */
#define WORKDAYS_PAYMENT_DAYS 3

struct workdays {
    const kdate *holidays;      /* ascending, no repeats; NULL when n == 0 */
    size_t n;
};

/* Parses a holiday list: YYYY-MM-DD dates separated by commas and/or
 * white space (an empty text is an empty list). Writes at most max dates,
 * sorted and without repeats, to out and their number to *n. Returns 0, or
 * -1 with err naming the bad entry and what is expected (e.g. "\"2026-02-30\"
 * is not a date: expected YYYY-MM-DD, a real calendar day"). */
int workdays_parse(const char *text, kdate *out, size_t max, size_t *n, char *err, size_t errlen);

/* Day of the week of a date: 0 Sunday .. 6 Saturday. */
int workdays_weekday(kdate d);

/* 1 when d is Monday..Friday and not a holiday of w, else 0. */
int workdays_is_working(const struct workdays *w, kdate d);

/* The n-th working day after d (n >= 1; d itself never counts, whatever
 * day it is). */
kdate workdays_after(const struct workdays *w, kdate d, int n);

/* Working days in (from, to]: 0 when to <= from. */
int workdays_between(const struct workdays *w, kdate from, kdate to);

/* The deadline of a claim that became APPROVED on the WIB date approved. */
kdate workdays_payment_due(const struct workdays *w, kdate approved);

/* Working days late when paid (or, unpaid, as of) the date on, for a
 * deadline due: working days in (due, on], so paying on the due date is on
 * time and each working day after it counts one. */
int workdays_days_late(const struct workdays *w, kdate due, kdate on);

/* floor(total x 1 % x days_late) in whole Rupiah, exact for any total >= 0
 * and days_late >= 0 that fit (no intermediate overflow); 0 when either is
 * <= 0. A figure for reports: never added to a payment. */
int64_t workdays_late_amount(int64_t total, int days_late);

/* One claim's payment clock as it stands at now_ms (unix ms). */
struct workdays_clock {
    kdate due;                  /* the deadline, a WIB date */
    int64_t runs_out_ms;        /* an unpaid claim is late from this instant (the end of due, WIB) */
    int days_late;              /* paid: fixed at the paid date; unpaid: as of now (0 while not past due) */
    int64_t late_amount;        /* workdays_late_amount(total, days_late) */
    int past_due;               /* unpaid and now_ms >= runs_out_ms */
};

/* The clock of a claim APPROVED at approved_ms (unix ms), with benefit
 * total, paid on paid_on when paid (else unpaid, judged at now_ms).
 * unit_ms > 0 is the test clock (config sla_test_unit_ms): every day is a
 * working day unit_ms long, the first starting at approved_ms, so an
 * unpaid clock runs out (3 + 1) x unit_ms after the approval and days_late
 * grows by one each unit_ms after that; due is then the WIB date of the
 * last instant before it runs out. A paid clock counts calendar working
 * days from due to paid_on in both modes. */
void workdays_clock_of(const struct workdays *w, int64_t unit_ms, int64_t approved_ms, int paid, kdate paid_on,
                       int64_t now_ms, int64_t total, struct workdays_clock *out);

#endif

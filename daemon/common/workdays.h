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

#endif

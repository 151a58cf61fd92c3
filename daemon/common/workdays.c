/* workdays.c - see workdays.h.
 *
 * Owns: the working-day calendar arithmetic of the JKM payment clock.
 * Runs in: anywhere; pure.
 * Weekdays are counted in closed form (weeks x 5 plus the rest of a week)
 * and holidays by binary search in the sorted list, so days_late over a
 * year of arrears costs the same as over a day.
 */
#include "workdays.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1970-01-05 was a Monday: day 4 of the epoch. */
#define S_MONDAY0 4

int workdays_weekday(kdate d)
{
    int r = (int)(((int64_t)d + 4) % 7); /* 1970-01-01 was a Thursday */
    return r < 0 ? r + 7 : r;
}

/* floor(a / b) for b > 0, whatever the sign of a. */
static int64_t s_floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* Mondays-to-Fridays in [S_MONDAY0, d) (negative before the anchor): the
 * difference of two of these counts weekdays in any range. */
static int64_t s_weekdays_before(kdate d)
{
    int64_t t = (int64_t)d - S_MONDAY0;
    int64_t weeks = s_floordiv(t, 7);
    int64_t rest = t - 7 * weeks; /* 0 Monday .. 6 Sunday */
    return 5 * weeks + (rest < 5 ? rest : 5);
}

/* Index of the first holiday >= d (w->n when none). */
static size_t s_lower(const struct workdays *w, kdate d)
{
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->holidays[mid] < d) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int s_is_weekday(kdate d)
{
    int wd = workdays_weekday(d);
    return wd >= 1 && wd <= 5;
}

int workdays_is_working(const struct workdays *w, kdate d)
{
    if (!s_is_weekday(d)) return 0;
    size_t i = s_lower(w, d);
    return !(i < w->n && w->holidays[i] == d);
}

kdate workdays_after(const struct workdays *w, kdate d, int n)
{
    /* at most 2 weekend days per 5 working days plus every holiday: the
     * loop ends, whatever the list */
    kdate day = d;
    for (int found = 0; found < n;)
        if (workdays_is_working(w, ++day)) found++;
    return day;
}

int workdays_between(const struct workdays *w, kdate from, kdate to)
{
    if (to <= from) return 0;
    int64_t n = s_weekdays_before(to + 1) - s_weekdays_before(from + 1);
    for (size_t i = s_lower(w, from + 1); i < w->n && w->holidays[i] <= to; i++)
        if (s_is_weekday(w->holidays[i])) n--;
    return (int)n;
}

kdate workdays_payment_due(const struct workdays *w, kdate approved)
{
    return workdays_after(w, approved, WORKDAYS_PAYMENT_DAYS);
}

int workdays_days_late(const struct workdays *w, kdate due, kdate on) { return workdays_between(w, due, on); }

int64_t workdays_late_amount(int64_t total, int days_late)
{
    if (total <= 0 || days_late <= 0) return 0;
    /* floor(total * days / 100) without forming total * days */
    int64_t q = total / 100, r = total % 100;
    return q * days_late + r * days_late / 100;
}

/* The WIB date of a unix-ms instant (rounding toward the past). */
static kdate s_wib_date(int64_t ms)
{
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    return kdate_wib(s);
}

void workdays_clock_of(const struct workdays *w, int64_t unit_ms, int64_t approved_ms, int paid, kdate paid_on,
                       int64_t now_ms, int64_t total, struct workdays_clock *out)
{
    memset(out, 0, sizeof *out);
    if (unit_ms > 0) {
        out->runs_out_ms = approved_ms + (int64_t)(WORKDAYS_PAYMENT_DAYS + 1) * unit_ms;
        out->due = s_wib_date(out->runs_out_ms - 1);
    } else {
        out->due = workdays_payment_due(w, s_wib_date(approved_ms));
        out->runs_out_ms = ((int64_t)(out->due + 1) * 86400 - KLAIM_WIB_OFFSET_S) * 1000;
    }
    if (paid) {
        out->days_late = workdays_days_late(w, out->due, paid_on);
    } else if (now_ms >= out->runs_out_ms) {
        out->past_due = 1;
        out->days_late = unit_ms > 0 ? (int)((now_ms - out->runs_out_ms) / unit_ms + 1)
                                     : workdays_days_late(w, out->due, s_wib_date(now_ms));
    }
    out->late_amount = workdays_late_amount(total, out->days_late);
}

static int s_cmp_kdate(const void *a, const void *b)
{
    kdate x = *(const kdate *)a, y = *(const kdate *)b;
    return (x > y) - (x < y);
}

int workdays_parse(const char *text, kdate *out, size_t max, size_t *n, char *err, size_t errlen)
{
    size_t count = 0;
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", \t\n\r");
        kdate d;
        if (kdate_parse(p, len, &d) != 0) {
            snprintf(err, errlen, "\"%.*s\" is not a date: expected YYYY-MM-DD (a real calendar day), dates "
                                  "separated by commas or spaces",
                     (int)(len > 40 ? 40 : len), p);
            return -1;
        }
        if (count == max) {
            snprintf(err, errlen, "more than %zu dates: list only the holidays of the years claims are paid in", max);
            return -1;
        }
        out[count++] = d;
        p += len;
    }
    qsort(out, count, sizeof *out, s_cmp_kdate);
    size_t u = 0;
    for (size_t i = 0; i < count; i++)
        if (u == 0 || out[u - 1] != out[i]) out[u++] = out[i];
    *n = u;
    return 0;
}

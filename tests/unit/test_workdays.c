/* test_workdays.c - the JKM payment clock's working-day arithmetic
 * (daemon/common/workdays.c): deadlines at the boundaries (approved on a
 * Friday, on a weekend, across holidays, at the year end, a holiday on a
 * weekend), days late, the late amount, the holiday list parser, the
 * closed-form count against a day-by-day count, and a claim's whole clock
 * (paid on time, paid late, unpaid past due; real days and the test unit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dates.h"
#include "workdays.h"

static kdate D(const char *s)
{
    kdate d = 0;
    assert_int_equal(kdate_parse(s, strlen(s), &d), 0);
    return d;
}

static void s_assert_date(kdate got, const char *want)
{
    char buf[11];
    kdate_format(got, buf);
    assert_string_equal(buf, want);
}

static const struct workdays s_none = {NULL, 0};

static void test_weekday(void **state)
{
    (void)state;
    assert_int_equal(workdays_weekday(D("1970-01-01")), 4); /* Thursday */
    assert_int_equal(workdays_weekday(D("2026-01-02")), 5); /* Friday */
    assert_int_equal(workdays_weekday(D("2026-12-06")), 0); /* Sunday */
    assert_int_equal(workdays_weekday(D("1969-12-27")), 6); /* Saturday, before the epoch */
}

static void test_due_plain_week(void **state)
{
    (void)state;
    s_assert_date(workdays_payment_due(&s_none, D("2026-01-05")), "2026-01-08"); /* Mon -> Thu */
    s_assert_date(workdays_payment_due(&s_none, D("2026-01-06")), "2026-01-09"); /* Tue -> Fri */
}

static void test_due_friday_and_weekend(void **state)
{
    (void)state;
    /* approved on a Friday: Mon, Tue, Wed */
    s_assert_date(workdays_payment_due(&s_none, D("2026-01-02")), "2026-01-07");
    /* approved on a Saturday or a Sunday: the day itself never counts */
    s_assert_date(workdays_payment_due(&s_none, D("2026-01-03")), "2026-01-07");
    s_assert_date(workdays_payment_due(&s_none, D("2026-01-04")), "2026-01-07");
    /* Wednesday across a weekend: Thu, Fri, Mon */
    s_assert_date(workdays_payment_due(&s_none, D("2026-01-07")), "2026-01-12");
}

static void test_due_across_holidays(void **state)
{
    (void)state;
    kdate h[] = {D("2026-03-20"), D("2026-03-21")}; /* a Friday and a Saturday */
    struct workdays w = {h, 2};
    /* Wed 18: Thu 19, (Fri 20 holiday), Mon 23, Tue 24 */
    s_assert_date(workdays_payment_due(&w, D("2026-03-18")), "2026-03-24");
    s_assert_date(workdays_payment_due(&s_none, D("2026-03-18")), "2026-03-23");
    /* approved on the holiday itself */
    s_assert_date(workdays_payment_due(&w, D("2026-03-20")), "2026-03-25");
    assert_int_equal(workdays_is_working(&w, D("2026-03-20")), 0);
    assert_int_equal(workdays_is_working(&w, D("2026-03-19")), 1);
}

static void test_holiday_on_weekend(void **state)
{
    (void)state;
    kdate sat[] = {D("2026-08-15")};
    struct workdays w = {sat, 1};
    /* a Saturday holiday changes nothing: Thu 13 -> Fri 14, Mon 17, Tue 18 */
    s_assert_date(workdays_payment_due(&w, D("2026-08-13")), "2026-08-18");
    s_assert_date(workdays_payment_due(&s_none, D("2026-08-13")), "2026-08-18");
    assert_int_equal(workdays_between(&w, D("2026-08-13"), D("2026-08-18")), 3);
    kdate mon[] = {D("2026-08-15"), D("2026-08-17")};
    struct workdays w2 = {mon, 2};
    s_assert_date(workdays_payment_due(&w2, D("2026-08-13")), "2026-08-19");
    assert_int_equal(workdays_between(&w2, D("2026-08-13"), D("2026-08-18")), 2);
}

static void test_due_year_end(void **state)
{
    (void)state;
    kdate h[] = {D("2026-12-25"), D("2027-01-01")};
    struct workdays w = {h, 2};
    /* Wed 23: Thu 24, (Fri 25), Mon 28, Tue 29 */
    s_assert_date(workdays_payment_due(&w, D("2026-12-23")), "2026-12-29");
    /* Tue 29: Wed 30, Thu 31, (Fri 1 Jan), Mon 4 Jan */
    s_assert_date(workdays_payment_due(&w, D("2026-12-29")), "2027-01-04");
    /* from Thu 24 to Mon 4 Jan: 28, 29, 30, 31, 4 */
    assert_int_equal(workdays_days_late(&w, D("2026-12-24"), D("2027-01-04")), 5);
}

static void test_days_late(void **state)
{
    (void)state;
    kdate due = D("2026-01-07"); /* a Wednesday */
    assert_int_equal(workdays_days_late(&s_none, due, D("2026-01-05")), 0); /* early */
    assert_int_equal(workdays_days_late(&s_none, due, due), 0);             /* on the day: on time */
    assert_int_equal(workdays_days_late(&s_none, due, D("2026-01-08")), 1);
    assert_int_equal(workdays_days_late(&s_none, due, D("2026-01-09")), 2);
    assert_int_equal(workdays_days_late(&s_none, due, D("2026-01-10")), 2); /* Saturday adds nothing */
    assert_int_equal(workdays_days_late(&s_none, due, D("2026-01-11")), 2);
    assert_int_equal(workdays_days_late(&s_none, due, D("2026-01-12")), 3);
    /* a year of arrears: 2026 has 261 weekdays, 2026-01-08 .. 2027-01-07 */
    assert_int_equal(workdays_days_late(&s_none, due, D("2027-01-07")), 261);
}

static void test_late_amount(void **state)
{
    (void)state;
    assert_int_equal(workdays_late_amount(42000000, 2), 840000);
    assert_int_equal(workdays_late_amount(199, 1), 1); /* 1.99 -> 1 */
    assert_int_equal(workdays_late_amount(99, 1), 0);
    assert_int_equal(workdays_late_amount(12345, 7), 864); /* 864.15 */
    assert_int_equal(workdays_late_amount(42000000, 0), 0);
    assert_int_equal(workdays_late_amount(0, 10), 0);
    assert_int_equal(workdays_late_amount(-5, 10), 0);
    /* no overflow where total x days would not fit in 64 bits */
    int64_t big = INT64_MAX / 50;
    __int128 want = (__int128)big * 49 / 100;
    assert_true(workdays_late_amount(big, 49) == (int64_t)want);
}

static void test_parse(void **state)
{
    (void)state;
    kdate out[8];
    size_t n = 99;
    char err[256];
    assert_int_equal(workdays_parse("", out, 8, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(workdays_parse("2026-12-25, 2026-01-01 2026-03-20,,2026-01-01\n", out, 8, &n, err, sizeof err),
                     0);
    assert_int_equal(n, 3);
    s_assert_date(out[0], "2026-01-01");
    s_assert_date(out[1], "2026-03-20");
    s_assert_date(out[2], "2026-12-25");
    assert_int_equal(workdays_parse("2026-01-01, 2026-02-30", out, 8, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"2026-02-30\""));
    assert_non_null(strstr(err, "YYYY-MM-DD"));
    assert_int_equal(workdays_parse("2026/01/01", out, 8, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "2026/01/01"));
    assert_int_equal(workdays_parse("2026-01-01;2026-01-02", out, 8, &n, err, sizeof err), -1);
    assert_int_equal(workdays_parse("2026-01-01 2026-01-02 2026-01-03", out, 2, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than 2"));
}

/* Unix ms of a WIB wall-clock time on a date. */
static int64_t s_wib_ms(const char *date, int hour, int minute)
{
    return ((int64_t)D(date) * 86400 + hour * 3600 + minute * 60 - 7 * 3600) * 1000;
}

/* Paid on time, paid late, unpaid past due, and not yet due: the figures
 * the decision JSON and the claims report show. */
static void test_clock_paid_and_unpaid(void **state)
{
    (void)state;
    kdate h[] = {D("2026-01-08")}; /* a Thursday holiday */
    struct workdays w = {h, 1};
    int64_t approved = s_wib_ms("2026-01-02", 10, 0); /* Friday */
    int64_t total = 42000000;
    struct workdays_clock c;
    /* paid on the due date: on time, whenever asked */
    workdays_clock_of(&w, 0, approved, 1, D("2026-01-07"), s_wib_ms("2026-03-01", 9, 0), total, &c);
    s_assert_date(c.due, "2026-01-07");
    assert_true(c.runs_out_ms == s_wib_ms("2026-01-08", 0, 0));
    assert_int_equal(c.days_late, 0);
    assert_int_equal(c.late_amount, 0);
    assert_int_equal(c.past_due, 0);
    /* paid on Monday 12th: Fri 9th and Mon 12th late (Thu 8th a holiday) */
    workdays_clock_of(&w, 0, approved, 1, D("2026-01-12"), s_wib_ms("2026-03-01", 9, 0), total, &c);
    assert_int_equal(c.days_late, 2);
    assert_int_equal(c.late_amount, 840000);
    assert_int_equal(c.past_due, 0);
    /* unpaid, the last minute of the due date (WIB): not late yet */
    workdays_clock_of(&w, 0, approved, 0, 0, s_wib_ms("2026-01-07", 23, 59), total, &c);
    assert_int_equal(c.past_due, 0);
    assert_int_equal(c.days_late, 0);
    /* unpaid at midnight: past due; the holiday is no day late, Friday is */
    workdays_clock_of(&w, 0, approved, 0, 0, s_wib_ms("2026-01-08", 0, 0), total, &c);
    assert_int_equal(c.past_due, 1);
    assert_int_equal(c.days_late, 0);
    workdays_clock_of(&w, 0, approved, 0, 0, s_wib_ms("2026-01-09", 8, 0), total, &c);
    assert_int_equal(c.past_due, 1);
    assert_int_equal(c.days_late, 1);
    assert_int_equal(c.late_amount, 420000);
    /* approved at 01:00 WIB on Tuesday, still Monday in UTC: the WIB date
     * counts (due Friday, not Thursday) */
    workdays_clock_of(&s_none, 0, s_wib_ms("2026-01-06", 1, 0), 0, 0, 0, total, &c);
    s_assert_date(c.due, "2026-01-09");
}

/* sla_test_unit_ms: every day a working day unit_ms long. */
static void test_clock_test_unit(void **state)
{
    (void)state;
    int64_t t0 = s_wib_ms("2026-01-02", 10, 0), unit = 1000;
    struct workdays_clock c;
    workdays_clock_of(&s_none, unit, t0, 0, 0, t0 + 4 * unit - 1, 1000, &c);
    assert_true(c.runs_out_ms == t0 + 4 * unit);
    assert_int_equal(c.past_due, 0);
    s_assert_date(c.due, "2026-01-02");
    workdays_clock_of(&s_none, unit, t0, 0, 0, t0 + 4 * unit, 1000, &c);
    assert_int_equal(c.past_due, 1);
    assert_int_equal(c.days_late, 1);
    assert_int_equal(c.late_amount, 10);
    workdays_clock_of(&s_none, unit, t0, 0, 0, t0 + 6 * unit + 500, 1000, &c);
    assert_int_equal(c.days_late, 3);
    assert_int_equal(c.late_amount, 30);
}

/* The closed form against counting day by day, over random ranges and
 * random holiday lists (weekends included), before and after the epoch. */
static void test_between_matches_loop(void **state)
{
    (void)state;
    srand(20261206);
    for (int round = 0; round < 300; round++) {
        kdate h[20];
        size_t n = 0;
        char text[20 * 12] = "";
        for (int i = 0; i < 20; i++) {
            char b[12];
            kdate_format(D("1969-06-01") + rand() % 1000, b);
            strcat(text, b);
            strcat(text, " ");
        }
        char err[128];
        assert_int_equal(workdays_parse(text, h, 20, &n, err, sizeof err), 0);
        struct workdays w = {h, n};
        kdate from = D("1969-06-01") + rand() % 1000, to = from + rand() % 200 - 20;
        int loop = 0;
        for (kdate d = from + 1; d <= to; d++) loop += workdays_is_working(&w, d);
        assert_int_equal(workdays_between(&w, from, to), loop);
        kdate due = workdays_payment_due(&w, from);
        assert_int_equal(workdays_between(&w, from, due), WORKDAYS_PAYMENT_DAYS);
        assert_int_equal(workdays_is_working(&w, due), 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekday),          cmocka_unit_test(test_due_plain_week),
        cmocka_unit_test(test_due_friday_and_weekend), cmocka_unit_test(test_due_across_holidays),
        cmocka_unit_test(test_holiday_on_weekend), cmocka_unit_test(test_due_year_end),
        cmocka_unit_test(test_days_late),        cmocka_unit_test(test_late_amount),
        cmocka_unit_test(test_parse),            cmocka_unit_test(test_between_matches_loop),
        cmocka_unit_test(test_clock_paid_and_unpaid), cmocka_unit_test(test_clock_test_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

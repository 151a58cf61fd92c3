/* dates.c - see dates.h. Civil-date arithmetic after Howard Hinnant's
 * days_from_civil / civil_from_days, valid for every year we accept. */
#include "dates.h"

#include "fmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

kdate kdate_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (kdate)(era * 146097 + doe - 719468);
}

void kdate_to_ymd(kdate day, int *y, int *m, int *d)
{
    int z = day + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = z - era * 146097;
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int s_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int s_mdays(int y, int m)
{
    static const int t[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_leap(y) ? 29 : t[m - 1];
}

int kdate_is_valid_ymd(int y, int m, int d)
{
    return y >= KDATE_MIN_YEAR && y <= KDATE_MAX_YEAR && m >= 1 && m <= 12 && d >= 1 && d <= s_mdays(y, m);
}

/* Reads exactly n ASCII digits; -1 if any is not a digit. */
static int s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int kdate_parse(const char *s, size_t len, kdate *out)
{
    if (len != 10 || s[4] != '-' || s[7] != '-') return -1;
    int y = s_digits(s, 4), m = s_digits(s + 5, 2), d = s_digits(s + 8, 2);
    if (y < 0 || m < 0 || d < 0 || !kdate_is_valid_ymd(y, m, d)) return -1;
    *out = kdate_from_ymd(y, m, d);
    return 0;
}

void kdate_format(kdate day, char buf[11])
{
    int y, m, d;
    kdate_to_ymd(day, &y, &m, &d);
    size_t n = fmt_int(buf, (int64_t)((unsigned)y % 10000u), 4);
    buf[n++] = '-';
    n += fmt_int(buf + n, (int64_t)((unsigned)m % 100u), 2);
    buf[n++] = '-';
    n += fmt_int(buf + n, (int64_t)((unsigned)d % 100u), 2);
    buf[n] = '\0';
}

kdate kdate_add_years(kdate day, int n)
{
    int y, m, d;
    kdate_to_ymd(day, &y, &m, &d);
    y += n;
    if (m == 2 && d == 29 && !s_leap(y)) d = 28;
    return kdate_from_ymd(y, m, d);
}

int kmonth_parse(const char *s, size_t len, kmonth *out)
{
    if (len != 7 || s[4] != '-') return -1;
    int y = s_digits(s, 4), m = s_digits(s + 5, 2);
    if (y < KDATE_MIN_YEAR || y > KDATE_MAX_YEAR || m < 1 || m > 12) return -1;
    *out = 12 * y + m;
    return 0;
}

void kmonth_format(kmonth mo, char buf[8])
{
    int y = (mo - 1) / 12, m = mo - 12 * y;
    snprintf(buf, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}

kmonth kmonth_of(kdate day)
{
    int y, m, d;
    kdate_to_ymd(day, &y, &m, &d);
    return 12 * y + m;
}

int ktime_parse_rfc3339(const char *s, size_t len, int64_t *unix_s, int32_t *offset_min)
{
    kdate day;
    if (len < 20 || kdate_parse(s, 10, &day) != 0) return -1;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return -1;
    if (s[13] != ':' || s[16] != ':') return -1;
    int hh = s_digits(s + 11, 2), mi = s_digits(s + 14, 2), ss = s_digits(s + 17, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60) return -1;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start || i - start > 9) return -1;
    }
    int32_t off;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        off = 0;
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = s_digits(s + i + 1, 2), om = s_digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
        off = (int32_t)(oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return -1;
    }
    if (i != len) return -1;
    if (ss == 60) ss = 59; /* a leap second reads as the second before */
    *unix_s = (int64_t)day * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)off * 60;
    *offset_min = off;
    return 0;
}

void ktime_format_rfc3339(int64_t unix_s, int32_t offset_min, char *buf, size_t size)
{
    int64_t local = unix_s + (int64_t)offset_min * 60;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400;
    char t[48];
    kdate_format((kdate)days, t);
    size_t n = 10;
    t[n++] = 'T';
    n += fmt_int(t + n, secs / 3600, 2);
    t[n++] = ':';
    n += fmt_int(t + n, secs / 60 % 60, 2);
    t[n++] = ':';
    n += fmt_int(t + n, secs % 60, 2);
    if (offset_min == 0) {
        t[n++] = 'Z';
    } else {
        int a = offset_min < 0 ? -offset_min : offset_min;
        t[n++] = offset_min < 0 ? '-' : '+';
        n += fmt_int(t + n, a / 60 % 100, 2);
        t[n++] = ':';
        n += fmt_int(t + n, a % 60, 2);
    }
    fmt_copy(buf, size, t, n);
}

kdate kdate_wib(int64_t unix_s)
{
    int64_t local = unix_s + KLAIM_WIB_OFFSET_S;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    return (kdate)days;
}

kdate kdate_today_wib(void)
{
    return kdate_wib((int64_t)time(NULL));
}

/* dates.h - calendar dates and instants without time zones databases.
 *
 * Owns: the day-number representation every module uses for dates.
 * A date is an int32_t count of days since 1970-01-01 in the proleptic
 * Gregorian calendar ("kdate"). A month is 12*year + month ("kmonth"), so
 * months(b) - months(a) counts calendar months as rules.md §6 defines.
 * All claim dates are WIB (UTC+07:00) local dates; instants are unix time.
 * Pure functions, no global state, no clock reads except kdate_today_wib().
 */
#ifndef KLAIM_DATES_H
#define KLAIM_DATES_H
#include <stdint.h>
#include <stddef.h>

typedef int32_t kdate;
typedef int32_t kmonth;

#define KDATE_MIN_YEAR 1900
#define KDATE_MAX_YEAR 2999
#define KLAIM_WIB_OFFSET_S (7 * 3600)

/* Days since 1970-01-01 for a valid y-m-d (no range check). */
kdate kdate_from_ymd(int y, int m, int d);
void kdate_to_ymd(kdate day, int *y, int *m, int *d);
int kdate_is_valid_ymd(int y, int m, int d);

/* Strict "YYYY-MM-DD" of exactly len bytes, a real calendar day, year in
 * KDATE_MIN_YEAR..KDATE_MAX_YEAR. Returns 0 and sets *out, or -1. */
int kdate_parse(const char *s, size_t len, kdate *out);
/* Writes "YYYY-MM-DD" and a NUL into buf (11 bytes). */
void kdate_format(kdate day, char buf[11]);

/* Same month and day n years later; 29 Feb becomes 28 Feb (rules.md §6). */
kdate kdate_add_years(kdate day, int n);

/* Strict "YYYY-MM" → 12*y + m. Returns 0 and sets *out, or -1. */
int kmonth_parse(const char *s, size_t len, kmonth *out);
void kmonth_format(kmonth m, char buf[8]);
/* The month (12*y + m) a date falls in. */
kmonth kmonth_of(kdate day);

/* RFC 3339 date-time with a mandatory offset ("Z" or "+07:00"), optional
 * fraction of a second (ignored). Sets the instant (unix seconds, UTC) and
 * the offset in minutes. Returns 0, or -1 when malformed. */
int ktime_parse_rfc3339(const char *s, size_t len, int64_t *unix_s, int32_t *offset_min);
/* Formats an instant at a given offset as RFC 3339 (buf >= 32 bytes). */
void ktime_format_rfc3339(int64_t unix_s, int32_t offset_min, char *buf, size_t size);

/* The WIB calendar date of an instant (rules.md §6, "R"). */
kdate kdate_wib(int64_t unix_s);
/* Today's WIB date from the wall clock (for intake's no-future-dates check). */
kdate kdate_today_wib(void);

#endif

/* money.h - checked Rupiah arithmetic and the one rounding rule.
 *
 * Owns: int64 whole-Rupiah arithmetic that never wraps, and the floor of
 * an exact fraction (rules.md §8: floor once per item, after the exact
 * fraction; each inexact result is logged at debug level).
 * Runs in: benefits.c (and tests); header-only, pure apart from logging.
 * Every helper returns 0 and sets *out, or -1 (and leaves *out alone) on
 * overflow or a negative operand: callers turn -1 into a decision, never a
 * wrapped value.
 */
#ifndef KLAIM_MONEY_H
#define KLAIM_MONEY_H
#include <stdint.h>

#include "log.h"

/* a x b for amounts >= 0. */
static inline int money_mul(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return -1;
    *out = r;
    return 0;
}

/* a + b for amounts >= 0. */
static inline int money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) return -1;
    *out = r;
    return 0;
}

/* floor(a x b x c / d) computed exactly in 128 bits (a, b, c >= 0, d > 0),
 * e.g. W x 80 x table_bp x function_loss_bp / 10^8 (up to 8 x 10^21).
 * An inexact result is logged with `what` naming the item. -1 when an
 * operand is out of range or the result does not fit in int64. */
static inline int money_floor_frac(int64_t a, int64_t b, int64_t c, int64_t d, const char *what, int64_t *out)
{
    __int128 p, q;
    if (a < 0 || b < 0 || c < 0 || d <= 0) return -1;
    if (__builtin_mul_overflow((__int128)a, (__int128)b, &p)) return -1;
    if (__builtin_mul_overflow(p, (__int128)c, &p)) return -1;
    q = p / d;
    if (q > (__int128)INT64_MAX) return -1;
    if (p % d != 0)
        log_debug("money: item=%s inexact %lld*%lld*%lld/%lld floored to %lld (remainder %lld/%lld)", what,
                  (long long)a, (long long)b, (long long)c, (long long)d, (long long)q, (long long)(p % d),
                  (long long)d);
    *out = (int64_t)q;
    return 0;
}

#endif

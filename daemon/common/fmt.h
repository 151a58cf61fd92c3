/* fmt.h - decimal integers without printf, bounded copies, and the check
 * of a short text a person typed (a name, a note).
 *
 * Why: klaimd formats a dozen numbers a claim (ids, JSON integers, dates
 * and times of feed events and decisions), and snprintf's format parsing
 * was ~7 % of the main loop in the closed-loop profile (issue 7).
 */
#ifndef KLAIM_FMT_H
#define KLAIM_FMT_H
#include <stddef.h>
#include <stdint.h>

/* Writes v in decimal into buf, zero-padded to at least width digits (a
 * minus sign comes first, outside the width), without a NUL. Returns the
 * length; buf needs max(width, 19) + 2 bytes. */
size_t fmt_int(char *buf, int64_t v, int width);
/* Puts the n bytes at s into buf (size bytes), cut short if need be, and
 * always terminated unless size is 0. */
void fmt_copy(char *buf, size_t size, const char *s, size_t n);
/* "k-000000000042" for prefix 'k' and id 42 (ids of claims, cases): at
 * least 12 digits; cut short, still terminated, if size < 24. */
void fmt_id(char prefix, int64_t id, char *buf, size_t size);

/* 1 when s is 1..max bytes without control characters (UTF-8 allowed),
 * or empty and not required. */
int fmt_text_ok(const char *s, size_t max, int required);

#endif

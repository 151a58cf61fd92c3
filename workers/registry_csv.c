/* registry_csv.c - the participant registry CSV (interface.md) into struct klaim_member.
 *
 * Owns: splitting one line into fields (RFC 4180 quoting: "..." with "" for
 * a quote; a quoted field cannot span lines because the builder streams line
 * by line), the UTF-8 check, and the validation of every column.
 * Runs in: the registry builder (klaim-worker --build-registry), unit tests
 * and the fuzz harness. Pure: no I/O, no globals, no allocation.
 * Every error names the column, quotes the value (shortened) and says the fix.
 */
#include "registry_csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dates.h"
#include "types.h"

#define S_NCOLS_BASE 12          /* interface.md's columns */
#define S_NCOLS 15              /* ... and the sponsor's account (docs/money.md §2) */
#define S_VALUE_SHOW 40         /* bytes of a bad value quoted in a message */

static const char *const s_cols[S_NCOLS] = {
    "kpj", "nik", "name", "birth_date", "category", "programs",
    "wage", "coverage_start", "coverage_end", "paid_through", "sponsor", "regency",
    "sponsor_bank_code", "sponsor_account", "sponsor_account_name",
};

/* One field: a view into the line (unquoted) or into the caller's scratch
 * buffer (quoted fields with "" collapsed). */
struct s_field {
    const char *p;
    size_t len;
};

static void s_why(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void s_why(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || whylen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF, no NUL. Returns the offset of the first bad byte, or len. */
static size_t s_utf8_bad_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0) return i;
        if (c < 0x80) { i++; continue; }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c == 0xE0) { n = 2; lo = 0xA0; }
        else if (c >= 0xE1 && c <= 0xEC) n = 2;
        else if (c == 0xED) { n = 2; hi = 0x9F; }
        else if (c >= 0xEE && c <= 0xEF) n = 2;
        else if (c == 0xF0) { n = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) n = 3;
        else if (c == 0xF4) { n = 3; hi = 0x8F; }
        else return i;
        if (len - i - 1 < n) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += n + 1;
    }
    return len;
}

/* Split a line into at most S_NCOLS fields. Quoted fields are unescaped into
 * scratch (which is at least len bytes). Returns the number of fields found
 * (which may exceed S_NCOLS: counting stops at S_NCOLS + 1), or -1 with why. */
static int s_split(const char *line, size_t len, struct s_field *f, char *scratch, char *why, size_t whylen)
{
    int n = 0;
    size_t i = 0, sp = 0;
    for (;;) {
        struct s_field cur;
        if (i < len && line[i] == '"') {
            size_t start = sp;
            i++;
            for (;;) {
                if (i >= len) {
                    s_why(why, whylen, "column %d (%s) has an unterminated quoted field: close it with \" "
                          "(quoted fields cannot span lines)", n + 1, n < S_NCOLS ? s_cols[n] : "extra");
                    return -1;
                }
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') { scratch[sp++] = '"'; i += 2; continue; }
                    i++;
                    break;
                }
                scratch[sp++] = line[i++];
            }
            if (i < len && line[i] != ',') {
                s_why(why, whylen, "column %d (%s) has text after its closing quote: quote the whole field "
                      "and write a quote inside it as \"\"", n + 1, n < S_NCOLS ? s_cols[n] : "extra");
                return -1;
            }
            cur.p = scratch + start;
            cur.len = sp - start;
        } else {
            size_t start = i;
            while (i < len && line[i] != ',') {
                if (line[i] == '"') {
                    s_why(why, whylen, "column %d (%s) has a quote inside an unquoted field: quote the whole "
                          "field and write the quote as \"\"", n + 1, n < S_NCOLS ? s_cols[n] : "extra");
                    return -1;
                }
                i++;
            }
            cur.p = line + start;
            cur.len = i - start;
        }
        if (n < S_NCOLS) f[n] = cur;
        n++;
        if (i >= len) return n;
        i++;    /* the comma */
        if (n > S_NCOLS) return n;
    }
}

/* Copy a value for a message: at most S_VALUE_SHOW bytes, cut on a UTF-8
 * character boundary, control characters shown as '?'. */
static void s_show(const struct s_field *f, char out[S_VALUE_SHOW + 4])
{
    size_t n = f->len;
    int cut = 0;
    if (n > S_VALUE_SHOW) {
        n = S_VALUE_SHOW;
        while (n > 0 && ((unsigned char)f->p[n] & 0xC0) == 0x80) n--;
        cut = 1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f->p[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (cut) { memcpy(out + n, "...", 3); n += 3; }
    out[n] = '\0';
}

static int s_all_digits(const struct s_field *f, size_t want)
{
    if (f->len != want) return 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->p[i] < '0' || f->p[i] > '9') return 0;
    return 1;
}

static int s_has_control(const struct s_field *f)
{
    for (size_t i = 0; i < f->len; i++) {
        unsigned char c = (unsigned char)f->p[i];
        if (c < 0x20 || c == 0x7f) return 1;
    }
    return 0;
}

/* Text column: bounded, no control characters; empty allowed if may_empty. */
static int s_text(const struct s_field *f, int col, int may_empty, char *dst, char *why, size_t whylen)
{
    char v[S_VALUE_SHOW + 4];
    s_show(f, v);
    if (f->len == 0 && !may_empty) {
        s_why(why, whylen, "%s is empty: it is required", s_cols[col]);
        return -1;
    }
    if (f->len > KLAIM_TEXT_MAX) {
        s_why(why, whylen, "%s \"%s\" is %zu bytes long: shorten it to at most %d bytes", s_cols[col], v,
              f->len, KLAIM_TEXT_MAX);
        return -1;
    }
    if (s_has_control(f)) {
        s_why(why, whylen, "%s \"%s\" contains a control character: remove tabs and line breaks", s_cols[col], v);
        return -1;
    }
    memcpy(dst, f->p, f->len);
    dst[f->len] = '\0';
    return 0;
}

static int s_date(const struct s_field *f, int col, kdate *out, char *why, size_t whylen)
{
    if (kdate_parse(f->p, f->len, out) == 0) return 0;
    char v[S_VALUE_SHOW + 4];
    s_show(f, v);
    if (f->len == 0)
        s_why(why, whylen, "%s is empty: write a date as YYYY-MM-DD", s_cols[col]);
    else
        s_why(why, whylen, "%s %s is not a date (YYYY-MM-DD, a real day in %d..%d)", s_cols[col], v,
              KDATE_MIN_YEAR, KDATE_MAX_YEAR);
    return -1;
}

/* "JKK", "JKM", "JKK;JKM", "JKM;JKK": non-empty, no empty element, no repeat. */
static int s_programs(const struct s_field *f, uint32_t *out, char *why, size_t whylen)
{
    char v[S_VALUE_SHOW + 4];
    s_show(f, v);
    if (f->len == 0) {
        s_why(why, whylen, "programs is empty: write JKK, JKM or JKK;JKM");
        return -1;
    }
    uint32_t bits = 0;
    size_t i = 0;
    while (i <= f->len) {
        size_t j = i;
        while (j < f->len && f->p[j] != ';') j++;
        size_t n = j - i;
        enum klaim_program p = PROGRAM_NONE;
        if (n == 3 && memcmp(f->p + i, "JKK", 3) == 0) p = PROGRAM_JKK;
        else if (n == 3 && memcmp(f->p + i, "JKM", 3) == 0) p = PROGRAM_JKM;
        if (p == PROGRAM_NONE) {
            s_why(why, whylen, "programs \"%s\" has %s: write a semicolon list of JKK and JKM, e.g. JKK;JKM", v,
                  n == 0 ? "an empty element" : "an unknown program");
            return -1;
        }
        if (bits & KLAIM_PROG_BIT(p)) {
            s_why(why, whylen, "programs \"%s\" names %s twice: list each program once", v,
                  klaim_program_name(p));
            return -1;
        }
        bits |= KLAIM_PROG_BIT(p);
        i = j + 1;
    }
    *out = bits;
    return 0;
}

/* Whole Rupiah: digits only (no sign, no separators), 0..KLAIM_MAX_AMOUNT. */
static int s_wage(const struct s_field *f, int64_t *out, char *why, size_t whylen)
{
    char v[S_VALUE_SHOW + 4];
    s_show(f, v);
    int64_t w = 0;
    int ok = f->len > 0;
    for (size_t i = 0; ok && i < f->len; i++) {
        if (f->p[i] < '0' || f->p[i] > '9') { ok = 0; break; }
        if (__builtin_mul_overflow(w, 10, &w) || __builtin_add_overflow(w, f->p[i] - '0', &w) ||
            w > KLAIM_MAX_AMOUNT) {
            s_why(why, whylen, "wage %s is above the maximum: write whole Rupiah 0..%lld", v,
                  (long long)KLAIM_MAX_AMOUNT);
            return -1;
        }
    }
    if (!ok) {
        s_why(why, whylen, "wage \"%s\" is not a whole number of Rupiah: write digits only, 0..%lld "
              "(no sign, separators or decimals)", v, (long long)KLAIM_MAX_AMOUNT);
        return -1;
    }
    *out = w;
    return 0;
}

/* Splits the header with the same rules as a row, so a quoted header or a
 * CRLF file is accepted; column names must match exactly, in order. */
int registry_csv_header(const char *line, size_t len, char *why, size_t whylen)
{
    int ncols;
    return registry_csv_header_ncols(line, len, &ncols, why, whylen);
}

int registry_csv_header_ncols(const char *line, size_t len, int *ncols, char *why, size_t whylen)
{
    static const char expected[] =
        "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,sponsor,regency"
        " (optionally followed by sponsor_bank_code,sponsor_account,sponsor_account_name)";
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) { line += 3; len -= 3; }
    if (len > 0 && line[len - 1] == '\r') len--;
    if (len == 0) {
        s_why(why, whylen, "the header line is empty: the first line must be %s", expected);
        return -1;
    }
    if (s_utf8_bad_at((const unsigned char *)line, len) != len) {
        s_why(why, whylen, "the header is not valid UTF-8: save the file as UTF-8; the first line must be %s",
              expected);
        return -1;
    }
    char scratch[256];
    if (len > sizeof scratch) {
        s_why(why, whylen, "the header is too long: the first line must be %s", expected);
        return -1;
    }
    struct s_field f[S_NCOLS];
    char e[160];
    int n = s_split(line, len, f, scratch, e, sizeof e);
    if (n < 0) {
        s_why(why, whylen, "the header cannot be split (%s): the first line must be %s", e, expected);
        return -1;
    }
    if (n != S_NCOLS_BASE && n != S_NCOLS) {
        s_why(why, whylen, "the header has %d columns, expected %d or %d: the first line must be %s", n,
              S_NCOLS_BASE, S_NCOLS, expected);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (f[i].len != strlen(s_cols[i]) || memcmp(f[i].p, s_cols[i], f[i].len) != 0) {
            char v[S_VALUE_SHOW + 4];
            s_show(&f[i], v);
            s_why(why, whylen, "header column %d is \"%s\", expected \"%s\": the first line must be %s", i + 1, v,
                  s_cols[i], expected);
            return -1;
        }
    }
    *ncols = n;
    return 0;
}

/* The sponsor's account (columns 12..14): all three empty (no account) or
 * all three valid, and only on a row with a sponsor. */
static int s_sponsor_bank(const struct s_field *f, struct klaim_member *m, char *why, size_t whylen)
{
    int n_set = (f[12].len > 0) + (f[13].len > 0) + (f[14].len > 0);
    if (n_set == 0) return 0;
    char v[S_VALUE_SHOW + 4];
    if (n_set != 3) {
        int col = f[12].len == 0 ? 12 : f[13].len == 0 ? 13 : 14;
        s_why(why, whylen, "%s is empty: give sponsor_bank_code, sponsor_account and sponsor_account_name, "
              "all three or none", s_cols[col]);
        return -1;
    }
    if (m->sponsor[0] == '\0') {
        s_why(why, whylen, "sponsor_account is given but sponsor is empty: name the sponsor or leave the "
              "account columns empty");
        return -1;
    }
    if (!s_all_digits(&f[12], 3)) {
        s_show(&f[12], v);
        s_why(why, whylen, "sponsor_bank_code \"%s\" is not 3 digits: write Bank Indonesia's 3-digit bank code, "
              "e.g. 008", v);
        return -1;
    }
    int digits = f[13].len >= 6 && f[13].len <= 20;
    for (size_t i = 0; digits && i < f[13].len; i++) digits = f[13].p[i] >= '0' && f[13].p[i] <= '9';
    if (!digits) {
        s_show(&f[13], v);
        s_why(why, whylen, "sponsor_account \"%s\" is not 6 to 20 digits: write the account number without "
              "spaces or dashes", v);
        return -1;
    }
    if (s_text(&f[14], 14, 0, m->sponsor_bank.name, why, whylen) < 0) return -1;
    memcpy(m->sponsor_bank.code, f[12].p, 3);
    memcpy(m->sponsor_bank.account, f[13].p, f[13].len);
    m->has_sponsor_bank = 1;
    return 0;
}

/* Validates every column in order and reports the first failure; *out is
 * written only on success (fully, zero-padded, so members compare by value). */
int registry_csv_row(const char *line, size_t len, struct klaim_member *out, char *why, size_t whylen)
{
    return registry_csv_row_ncols(line, len, S_NCOLS_BASE, out, why, whylen);
}

int registry_csv_row_ncols(const char *line, size_t len, int ncols, struct klaim_member *out, char *why,
                           size_t whylen)
{
    if (len > 0 && line[len - 1] == '\r') len--;
    size_t bad = s_utf8_bad_at((const unsigned char *)line, len);
    if (bad != len) {
        s_why(why, whylen, "invalid UTF-8 at byte %zu: save the file as UTF-8", bad + 1);
        return -1;
    }
    if (len > 64 * 1024) {
        s_why(why, whylen, "the row is %zu bytes long: a registry row is at most 65536 bytes", len);
        return -1;
    }
    char scratch[64 * 1024];
    struct s_field f[S_NCOLS];
    int n = s_split(line, len, f, scratch, why, whylen);
    if (n < 0) return -1;
    if (ncols != S_NCOLS) ncols = S_NCOLS_BASE;
    if (n != ncols) {
        s_why(why, whylen, "the row has %s%d columns, expected %d: kpj,nik,name,birth_date,category,programs,wage,"
              "coverage_start,coverage_end,paid_through,sponsor,regency%s (quote fields containing commas)",
              n > ncols ? "more than " : "", n > ncols ? ncols : n, ncols,
              ncols == S_NCOLS ? ",sponsor_bank_code,sponsor_account,sponsor_account_name" : "");
        return -1;
    }

    struct klaim_member m;
    memset(&m, 0, sizeof m);
    char v[S_VALUE_SHOW + 4];

    if (!s_all_digits(&f[0], 11)) {
        s_show(&f[0], v);
        s_why(why, whylen, "kpj \"%s\" is not 11 digits: write the participant number as 11 digits", v);
        return -1;
    }
    memcpy(m.kpj, f[0].p, 11);
    if (!s_all_digits(&f[1], 16)) {
        s_show(&f[1], v);
        s_why(why, whylen, "nik \"%s\" is not 16 digits: write the NIK as 16 digits", v);
        return -1;
    }
    memcpy(m.nik, f[1].p, 16);
    if (s_text(&f[2], 2, 0, m.name, why, whylen) < 0) return -1;
    if (s_date(&f[3], 3, &m.birth_date, why, whylen) < 0) return -1;

    char cat[16];
    if (f[4].len < sizeof cat) {
        memcpy(cat, f[4].p, f[4].len);
        cat[f[4].len] = '\0';
        m.category = klaim_category_parse(cat);
    }
    if (m.category == CAT_NONE) {
        s_show(&f[4], v);
        s_why(why, whylen, "category \"%s\" is unknown: write PU, PU_GOV, BPU, JAKON or ASN", v);
        return -1;
    }
    if (s_programs(&f[5], &m.programs, why, whylen) < 0) return -1;
    if (s_wage(&f[6], &m.wage, why, whylen) < 0) return -1;
    if (s_date(&f[7], 7, &m.coverage_start, why, whylen) < 0) return -1;
    if (f[8].len > 0) {
        if (kdate_parse(f[8].p, f[8].len, &m.coverage_end) < 0) {
            s_show(&f[8], v);
            s_why(why, whylen, "coverage_end %s is not a date (YYYY-MM-DD): write a date or leave it empty "
                  "for open coverage", v);
            return -1;
        }
        if (m.coverage_end < m.coverage_start) {
            s_show(&f[8], v);
            char cs[11];
            kdate_format(m.coverage_start, cs);
            s_why(why, whylen, "coverage_end %s is before coverage_start %s: fix one of them", v, cs);
            return -1;
        }
        m.has_coverage_end = 1;
    }
    if (kmonth_parse(f[9].p, f[9].len, &m.paid_through) < 0) {
        s_show(&f[9], v);
        s_why(why, whylen, "paid_through \"%s\" is not a month: write the last month paid as YYYY-MM", v);
        return -1;
    }
    if (s_text(&f[10], 10, 1, m.sponsor, why, whylen) < 0) return -1;
    if (s_text(&f[11], 11, 0, m.regency, why, whylen) < 0) return -1;
    if (ncols == S_NCOLS && s_sponsor_bank(f, &m, why, whylen) < 0) return -1;

    *out = m;
    return 0;
}

/* ctl.h - what klaimctl's verbs share: global options, argument helpers,
 * output helpers, and one entry point per verb group.
 *
 * Runs in: klaimctl only.
 * Each verb gets argv starting at the verb's own arguments (the global
 * flags already removed), parses its own flags, prints its own --help, and
 * returns the process exit code (sysexits.h).
 */
#ifndef KLAIM_CTL_H
#define KLAIM_CTL_H
#include <stdio.h>

#include <jansson.h>

#define CTL_EX_OK 0
#define CTL_EX_USAGE 64
#define CTL_EX_DATAERR 65
#define CTL_EX_NOINPUT 66
#define CTL_EX_UNAVAILABLE 69
#define CTL_EX_SOFTWARE 70
#define CTL_EX_CANTCREAT 73
#define CTL_EX_TEMPFAIL 75
#define CTL_EX_NOPERM 77
#define CTL_EX_CONFIG 78

struct ctl_opts {
    const char *endpoint;
    int timeout_ms;
    int table;          /* --format table */
    int bad_endpoint_exit;  /* 64 for --endpoint, 78 when it came from --config */
    const char *format;     /* --format as given (export: csv|jsonl, report: json|csv), or NULL */
    const char *curve_key;  /* --curve-key: this client's key file (klaimctl keygen) */
    const char *server_key; /* --server-key: klaimd's public key file */
};

int ctl_submit(const struct ctl_opts *o, int argc, char **argv);
int ctl_status(const struct ctl_opts *o, int argc, char **argv);
int ctl_stats(const struct ctl_opts *o, int argc, char **argv);
int ctl_registry(const struct ctl_opts *o, int argc, char **argv);
int ctl_review(const struct ctl_opts *o, int argc, char **argv);
int ctl_keygen(const struct ctl_opts *o, int argc, char **argv);
int ctl_watch(const struct ctl_opts *o, int argc, char **argv);
/* registry generate (no connection needed) */
int ctl_generate(int argc, char **argv);
int ctl_audit(const struct ctl_opts *o, int argc, char **argv);
int ctl_export(const struct ctl_opts *o, int argc, char **argv);
int ctl_reports(const struct ctl_opts *o, int argc, char **argv);
int ctl_payments(const struct ctl_opts *o, int argc, char **argv);
int ctl_backup(const struct ctl_opts *o, int argc, char **argv);

struct ctl_conn;
/* Connect to o->endpoint; NULL after printing why, *exit_code then holds
 * o->bad_endpoint_exit. */
struct ctl_conn *ctl_connect(const struct ctl_opts *o, int *exit_code);

/* Match argv[*i] against --name (takes_value 0) or --name VALUE /
 * --name=VALUE (takes_value 1). Returns 1 and advances *i past what it
 * used (setting *value for flags with values), 0 if it is another
 * argument, -1 after printing a usage error when the value is missing. */
int ctl_flag(int argc, char **argv, int *i, const char *name, int takes_value, const char **value);
/* Parse a decimal integer in [min, max] for flag; -1 after printing
 * "klaimctl: FLAG \"S\": expected an integer MIN..MAX". */
int ctl_parse_int(const char *flag, const char *s, long min, long max, long *out);
/* 0 when id is a claim id (k- followed by digits, k-000000000042); else
 * prints "klaimctl: WHERE: \"ID\" is not a claim id: ..." and returns 65,
 * so a typo never reaches klaimd. */
int ctl_check_claim_id(const char *where, const char *id);
/* Print "klaimctl: MESSAGE" and "usage: USAGE" on stderr; returns 64. */
int ctl_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print v on one line (compact) or indented, followed by a newline, and
 * flush; takes no reference. */
void ctl_print_json(const json_t *v, int pretty);
/* Print an object as an aligned "key  value" table, nested keys joined
 * with '.', array elements as key[i]; values as ctl_table_value. */
void ctl_print_table(const json_t *v);
/* One value of v (found under key, the last '.' part decides) as people
 * read it in a table: Rupiah amounts (total, amount, wage_basis, ...) with
 * thousands separators (42,000,000), RFC 3339 times in WIB
 * ("2026-03-06 16:12 WIB"), other scalars as they are, nested values as
 * compact JSON. Returns a malloc'd string. */
char *ctl_table_value(const char *key, const json_t *v);
/* 42000000 -> "42,000,000" (a minus sign in front when negative). */
void ctl_format_rupiah(long long v, char *buf, size_t size);
/* An RFC 3339 time as "YYYY-MM-DD HH:MM WIB" (UTC+07:00); -1 when s is
 * not an RFC 3339 date-time (buf untouched). */
int ctl_format_wib(const char *s, char *buf, size_t size);
/* A column of a streamed table: the object key, the header, and the width
 * (negative: right-aligned, for amounts). The last column is not padded. */
struct ctl_col {
    const char *key, *title;
    int width;
};
/* Print the header (header != 0) or obj's values as one line of fixed
 * columns, then flush: rows can be printed as they arrive (watch). */
void ctl_print_row(const json_t *obj, const struct ctl_col *cols, size_t ncols, int header);

#endif

/* registry_csv.h - the participant registry CSV of interface.md.
 *
 * Owns: parsing of the header and of one row into a struct klaim_member.
 * Runs in: the registry builder (klaim-worker --build-registry) and tests; pure.
 * Header: kpj,nik,name,birth_date,category,programs,wage,coverage_start,
 *         coverage_end,paid_through,sponsor,regency
 *         [,sponsor_bank_code,sponsor_account,sponsor_account_name]
 * The three trailing columns (docs/money.md §2, the account an EMPLOYER
 * payee is paid to) are optional for the whole file: the header has 12 or
 * 15 columns and every row as many as the header.
 * Fields may be quoted ("..." with "" for a quote); UTF-8 is required.
 */
#ifndef KLAIM_REGISTRY_CSV_H
#define KLAIM_REGISTRY_CSV_H
#include <stddef.h>

#include "types.h"

/* 0 if line (without its newline) is the expected header (a UTF-8 BOM is
 * allowed), else -1 with why filled. */
int registry_csv_header(const char *line, size_t len, char *why, size_t whylen);
/* The same, telling the caller how many columns the file has (12 or 15). */
int registry_csv_header_ncols(const char *line, size_t len, int *ncols, char *why, size_t whylen);

/* Parse one data row (without its newline; a trailing \r is ignored).
 * Returns 0, or -1 with why naming the column and the fix, e.g.
 * "coverage_end 2025-13-01 is not a date (YYYY-MM-DD)". */
int registry_csv_row(const char *line, size_t len, struct klaim_member *out, char *why, size_t whylen);
/* A row of a file whose header has ncols columns (12: no sponsor accounts;
 * 15: sponsor_bank_code, sponsor_account, sponsor_account_name, all three
 * empty or all three valid, only with a sponsor). registry_csv_row is this
 * with 12. */
int registry_csv_row_ncols(const char *line, size_t len, int ncols, struct klaim_member *out, char *why,
                           size_t whylen);

#endif

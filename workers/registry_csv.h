/* registry_csv.h - the participant registry CSV of interface.md.
 *
 * Owns: parsing of the header and of one row into a struct klaim_member.
 * Runs in: the registry builder (klaim-worker --build-registry) and tests; pure.
 * Header: kpj,nik,name,birth_date,category,programs,wage,coverage_start,
 *         coverage_end,paid_through,sponsor,regency
 * Fields may be quoted ("..." with "" for a quote); UTF-8 is required.
 */
#ifndef KLAIM_REGISTRY_CSV_H
#define KLAIM_REGISTRY_CSV_H
#include <stddef.h>

#include "types.h"

/* 0 if line (without its newline) is the expected header (a UTF-8 BOM is
 * allowed), else -1 with why filled. */
int registry_csv_header(const char *line, size_t len, char *why, size_t whylen);

/* Parse one data row (without its newline; a trailing \r is ignored).
 * Returns 0, or -1 with why naming the column and the fix, e.g.
 * "coverage_end 2025-13-01 is not a date (YYYY-MM-DD)". */
int registry_csv_row(const char *line, size_t len, struct klaim_member *out, char *why, size_t whylen);

#endif

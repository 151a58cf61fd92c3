/* build_registry.h - the registry builder: CSV -> the next generation.
 *
 * Owns: writing DATA/registry/gen-<to>.db from gen-<from>.db plus a CSV.
 * Runs in: `klaim-worker --build-registry`, a short-lived process klaimd
 * starts per import (and unit tests). Never touches the live generation:
 * gen-<from>.db is only read, the new file is written as gen-<to>.db.tmp,
 * fsynced, renamed and the directory fsynced, so a crash at any point leaves
 * either no gen-<to>.db or a complete one.
 */
#ifndef KLAIM_BUILD_REGISTRY_H
#define KLAIM_BUILD_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#define REGISTRY_BAD_ROWS_MAX 1000   /* bad rows kept for the report */

/* Exit codes of the builder (sysexits). */
#define REGISTRY_BUILD_OK 0
#define REGISTRY_BUILD_DATAERR 65    /* header missing/bad, empty file: nothing published */
#define REGISTRY_BUILD_IOERR 74      /* cannot read/write a file: nothing published */

struct registry_bad_row {
    uint64_t line;                   /* 1-based; the header is line 1 */
    char reason[256];
};

struct registry_build_report {
    uint64_t generation;             /* the generation written (to) */
    uint64_t rows_read;              /* non-empty data lines */
    uint64_t inserted, updated, unchanged, bad;
    uint64_t total_rows;             /* members in the new generation */
    size_t n_bad_rows;               /* <= REGISTRY_BAD_ROWS_MAX */
    struct registry_bad_row *bad_rows;   /* xmalloc'ed; registry_build_report_free */
    char error[512];                 /* on refusal or I/O error: file, line and fix */
};

/* Builds dir/gen-<to>.db from dir/gen-<from>.db (from = 0: start empty) and
 * the CSV file, streaming it line by line in one transaction. Bad rows are
 * skipped and listed; good rows are upserted by kpj. Returns
 * REGISTRY_BUILD_OK with *rep filled, or REGISTRY_BUILD_DATAERR /
 * REGISTRY_BUILD_IOERR with rep->error set and nothing published (any
 * leftover .tmp removed). gen-<from>.db is never modified. to must be > from.
 * If gen-<to>.db already exists (klaimd crashed before recording it) it is
 * replaced, with a warning. Always call registry_build_report_free(). */
int registry_build(const char *dir, uint64_t from, uint64_t to, const char *csv, struct registry_build_report *rep);

void registry_build_report_free(struct registry_build_report *rep);

/* The one-line JSON of the CLI for a result rc of registry_build():
 * the counts on success, {"error": ...} otherwise. Caller frees (free()). */
char *registry_build_report_json(const struct registry_build_report *rep, int rc);

#endif

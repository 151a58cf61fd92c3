/* registry.h - one published registry generation, opened read-only.
 *
 * Owns: the SQLite file DATA/registry/gen-<N>.db (N >= 1) that the builder
 * (build_registry.c) publishes once and never changes, its schema, and the
 * lookup of one membership by kpj.
 * Runs in: klaim-worker (one open generation at a time; it switches between
 * two jobs) and the builder (schema). Never in klaimd.
 * Because a published generation never changes, it is opened as
 * file:...?immutable=1 (no locks, no journal checks) with mmap_size above its
 * size, and the file is mlock'ed when RLIMIT_MEMLOCK allows, or else copied
 * into the worker's memory (up to 1 GiB), so a lookup never goes to a cold
 * disk.
 */
#ifndef KLAIM_REGISTRY_H
#define KLAIM_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#include "types.h"

typedef struct sqlite3 sqlite3;

/* Stamped into every generation (PRAGMA application_id / user_version) so a
 * worker refuses a file that is not a registry or has an unknown schema. */
#define KLAIM_REGISTRY_APP_ID 0x4B4C5247    /* "KLRG" */
#define KLAIM_REGISTRY_SCHEMA 1

/* The tables of a generation (STRICT, kpj the primary key, dates as kdate
 * day numbers, coverage_end NULL when open, money in whole Rupiah). */
extern const char registry_schema_sql[];
/* The sponsor's account (docs/money.md §2), '' when none. Generations built
 * before these columns existed keep schema 1: registry_open reads them as
 * members without an account, and a build starting from one adds the
 * columns first (registry_add_sponsor_bank_sql). */
#define REGISTRY_SPONSOR_BANK_COLS                                                                         \
    " sponsor_bank_code TEXT NOT NULL DEFAULT '', sponsor_account TEXT NOT NULL DEFAULT '',"              \
    " sponsor_account_name TEXT NOT NULL DEFAULT ''"
extern const char registry_add_sponsor_bank_sql[];

struct registry;

/* "file:<path percent-encoded>?immutable=1" for sqlite3_open_v2 with
 * SQLITE_OPEN_URI; xmalloc'ed. Only for published generations. */
char *registry_uri(const char *path);

/* Writes "<dir>/gen-<gen>.db" (suffix "" or ".tmp") into buf; -1 if it
 * does not fit. */
int registry_path(char *buf, size_t size, const char *dir, uint64_t gen, const char *suffix);

/* Opens dir/gen-<gen>.db read-only and immutable and prepares the lookup.
 * Returns NULL with why filled (naming the file and the fix) when the file
 * is missing, unreadable or not a registry of our schema. mlock failure is
 * not an error: the worker copies the file into memory instead, and says
 * so once per process as a warning. */
struct registry *registry_open(const char *dir, uint64_t gen, char *why, size_t whylen);

/* The generation number r was opened with. */
uint64_t registry_generation(const struct registry *r);

/* Looks up the membership with this kpj (11 digits). Returns 1 and fills
 * *out, 0 if no row has it, -1 on an SQLite error (logged). The statement is
 * reset before returning, so no read transaction stays open. */
int registry_lookup(struct registry *r, const char *kpj, struct klaim_member *out);

/* Memberships active on `day`, grouped by regency, category and sponsor:
 * covered that day (coverage_start <= day <= coverage_end) and not lapsed
 * by arrears (BPU: fewer than 3 unpaid months, others fewer than 4, as in
 * rules.md §7 step 8). Returns 0 or -1. */
int registry_coverage(struct registry *r, kdate day,
                      void (*fn)(void *arg, const char *regency, const char *category, const char *sponsor,
                                 int64_t active),
                      void *arg);

/* Closes the file, unlocks and unmaps it; *rp becomes NULL. NULL is fine. */
void registry_close(struct registry **rp);

/* The first column of the first row of sql as an integer (a PRAGMA or a
 * count), for the reader and the builder alike. Returns 0, or -1. */
int registry_sql_int(sqlite3 *db, const char *sql, int64_t *out);

#endif

/* config.h - klaimd's settings: INI file plus command-line flags.
 *
 * Owns: every key, its default, its unit and its check.
 * Runs in: klaimd main, before the loop starts.
 * The result is a plain struct that does not change while the loop runs.
 * Flags are named after the keys (--data-dir for data_dir) and override the
 * file. Errors name file:line, the value and the fix; main exits 78.
 */
#ifndef KLAIM_CONFIG_H
#define KLAIM_CONFIG_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "dates.h"
#include "log.h"

/* Dates holidays may list (about 15 a year: decades of them). */
#define CONFIG_MAX_HOLIDAYS 512

struct config {
    char data_dir[PATH_MAX];
    char intake_endpoint[256];
    int workers;                /* local worker processes; default: CPU count; 0 only with remote workers */
    int worker_credits;         /* leases a worker holds at once */
    int worker_max_jobs;        /* retire a worker after this many jobs; 0 = never */
    char worker_path[PATH_MAX]; /* the klaim-worker binary */
    int heartbeat_ms;
    int lease_ms;               /* a job not answered by then kills its worker */
    int max_attempts;           /* then the claim is parked (PROCESSING_FAILED) */
    int64_t max_message_bytes;  /* largest request frame */
    int batch_max;              /* operations per commit at most */
    int batch_max_ms;           /* age of a transaction before it commits inline */
    int client_max_pending;     /* claims one client may have waiting for a commit */
    int drain_timeout_ms;       /* graceful stop: wait for in-flight results */
    int64_t registry_max_bytes; /* largest registry upload */
    int registry_max_age_hours; /* older registry: decisions are provisional; 0 = never */
    enum log_level log_level;
    char curve_secret_key_file[PATH_MAX]; /* server key pair (klaimctl keygen); "" = no CURVE */
    char clients_dir[PATH_MAX];           /* one .client file per allowed client */
    /* dispatch feed, HTTP gateway, SLA clocks (issue 5) */
    char feed_endpoint[256];              /* PUB; loopback-only without CURVE */
    char http_listen[256];                /* HOST:PORT; "" = no HTTP gateway */
    int64_t http_max_body_bytes;          /* larger request bodies get 413 */
    int http_body_timeout_ms;             /* an incomplete request idle this long gets 408 */
    char tokens_file[PATH_MAX];           /* bearer tokens; "" = every HTTP client is admin (loopback) */
    char http_allowed_origins[1024];      /* browser origins besides the gateway's own that may POST; space-separated */
    int sla_report_hours;                 /* accident (end of its day) -> first report */
    int sla_decision_days;                /* first report -> final decision */
    int sla_ack_minutes;                  /* case opened -> acknowledged */
    int sla_test_unit_ms;                 /* tests only: > 0 makes each SLA hour/day/minute, and each payment
                                             clock working day, this long */
    /* remote workers (scale-out, issue 7) */
    char remote_worker_endpoint[256];     /* tcp://HOST:PORT with CURVE, ZAP domain "workers"; "" = off */
    int remote_workers;                   /* remote worker slots, after the local ones */
    /* the money path (docs/money.md) */
    int64_t review_second_approval_rupiah; /* approvals at or above need a second reviewer; 0 = all */
    char holidays[4096];                  /* YYYY-MM-DD list (comma or space): not working days */
    char backup_dir[PATH_MAX];            /* klaimctl backup writes only here; default DATA/backups */

    /* derived by config_finish() */
    char curve_secret[41];              /* Z85, from curve_secret_key_file */
    char curve_public[41];
    char run_dir[PATH_MAX];             /* DATA/run, 0700 */
    char registry_dir[PATH_MAX];        /* DATA/registry */
    char db_path[PATH_MAX];             /* DATA/klaim.db */
    char lock_path[PATH_MAX];           /* DATA/klaimd.lock */
    char worker_endpoint[PATH_MAX + 8]; /* ipc://DATA/run/workers.sock */
    kdate holiday_days[CONFIG_MAX_HOLIDAYS]; /* holidays parsed: ascending, no repeats (workdays.h) */
    size_t n_holidays;
};

/* Fills every key with its default. */
void config_defaults(struct config *c);
/* Sets one key from text. Returns 0, or -1 with err ("expected ..."). */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);
/* Reads an INI file (keys at top level or in [klaimd]). Returns 0, or -1
 * with err naming file:line. */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);
/* Derives paths and checks what depends on several keys (loopback-only
 * without CURVE, ipc path length). Returns 0 or -1 with err. */
int config_finish(struct config *c, char *err, size_t errlen);

#endif

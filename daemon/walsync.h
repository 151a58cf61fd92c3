/* walsync.h - makes committed transactions durable off the main loop.
 *
 * Owns: a descriptor of klaim.db-wal, the sync thread, and the eventfd by
 *   which that thread reports back to the main loop.
 * Runs in: its own thread for fdatasync() (architecture.md §2, "walsync");
 *   requests and completions in the klaimd main loop.
 * Why: under synchronous=FULL the COMMIT itself waits for the WAL's
 *   fdatasync, and the one main loop then stands still for it (a fifth of
 *   its time in the closed loop: issue 7 notes). The writer runs
 *   synchronous=OFF instead (store_async_commit), its COMMIT only writes
 *   the frames, and this thread runs the same fdatasync of the same file.
 *   batch.c holds every ack, JOB and reply of a transaction until the
 *   thread reports a sync that started after that COMMIT returned, so
 *   nothing leaves klaimd earlier than it would under FULL.
 * Invariant: walsync_request(seq) followed by a report of durable >= seq
 *   means an fdatasync of the WAL began after the request, and succeeded.
 *   A failed fdatasync is never retried (the kernel may have dropped the
 *   dirty pages): klaimd exits with EX_IOERR, and recovery at the next
 *   start decides from what reached the disk.
 */
#ifndef KLAIM_WALSYNC_H
#define KLAIM_WALSYNC_H
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct event_base;
struct walsync;

/* Called in the main loop with the highest sequence number now durable. */
typedef void (*walsync_fn)(void *arg, uint64_t durable);

/* Opens wal_path (it must exist: the store has been opened) and starts the
 * thread. priority: the libevent priority of the completion event. */
struct walsync *walsync_start(struct event_base *base, int priority, const char *wal_path, walsync_fn fn, void *arg,
                              char *err, size_t errlen);
/* Asks for a sync covering everything committed up to seq (increasing). */
void walsync_request(struct walsync *w, uint64_t seq);
/* 1 while a requested sequence has not been reported durable. */
int walsync_busy(const struct walsync *w);
/* fdatasync in the caller's thread (shutdown, flush); exits on failure.
 * Everything committed before the call is durable when it returns. */
void walsync_now(struct walsync *w);
/* A copy of the thread's fdatasync durations (for /metrics). */
void walsync_sync_hist(struct walsync *w, struct metrics_hist *out);
/* Stops and joins the thread; closes the descriptor. */
void walsync_stop(struct walsync **w);

#endif

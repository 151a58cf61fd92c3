/* ckpt.h - WAL checkpoints off the commit path.
 *
 * Owns: the checkpoint thread and its own connection to klaim.db.
 * Runs in: its own thread (architecture.md §2, "ckpt"); it never touches
 *   the event base, and never writes a row: it only runs PASSIVE
 *   checkpoints, which copy committed WAL frames into the database file
 *   without blocking the writer. The writer itself has wal_autocheckpoint
 *   off, so no COMMIT ever pays for a checkpoint's fsync of the main file
 *   (measured in ../shared/bench: p99 at 10k/s 3.8 -> 1.9 ms).
 */
#ifndef KLAIM_CKPT_H
#define KLAIM_CKPT_H
#include <stddef.h>

struct ckpt;

/* Opens its connection and starts the thread; NULL with err on failure. */
struct ckpt *ckpt_start(const char *db_path, int interval_ms, char *err, size_t errlen);
/* Stops and joins the thread, closes its connection. */
void ckpt_stop(struct ckpt **c);

#endif

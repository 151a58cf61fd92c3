/* ckpt.h - WAL checkpoints off the commit path.
 *
 * Owns: the checkpoint thread and its own connection to klaim.db.
 * Runs in: its own thread (architecture.md §2, "ckpt"); it never touches
 *   the event base, and never writes a row: it only runs PASSIVE
 *   checkpoints, which copy committed WAL frames into the database file
 *   without blocking the writer, every 10 ms. Its connection
 *   is synchronous=FULL: the WAL is synced before frames are copied, and
 *   the database file before a checkpoint counts as whole.
 * The WAL starts over (is overwritten from its start) only at a commit whose
 *   transaction began with the WAL copied whole. Under a steady stream of
 *   commits that moment rarely comes, so the writer checkpoints itself once
 *   the WAL is long (store.c, WAL_FRAMES_MAX); this thread has copied and
 *   synced nearly all of it by then, which keeps that pass short.
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

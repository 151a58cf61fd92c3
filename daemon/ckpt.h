/* ckpt.h - WAL checkpoints off the commit path.
 *
 * Owns: the checkpoint thread and its own connection to klaim.db.
 * Runs in: its own thread (architecture.md §2, "ckpt"); it never touches
 *   the event base, and never writes a row: it only runs PASSIVE
 *   checkpoints, which copy committed WAL frames into the database file
 *   without blocking the writer, every 10 ms. The writer keeps a small
 *   autocheckpoint (1,000 pages, store.c) that copies only what this thread
 *   has not, so the WAL starts over every 4 MB instead of growing (why:
 *   store.c, s_pragmas).
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

/* backup.h - `klaimctl backup`: a consistent copy of the live klaim.db.
 *
 * Owns: the one running backup (its destination connection, its
 *   sqlite3_backup handle, the FILE.tmp it writes) and its reply.
 * Runs in: klaimd main loop only (created and freed by intake.c).
 * Invariant: the reply goes out only after FILE exists under its final
 *   name, its bytes and its directory entry fsync'ed; it then holds every
 *   claim whose COMMIT returned before the reply was sent (and so every
 *   claim acknowledged before it). On any failure FILE does not exist and
 *   FILE.tmp is removed. An existing FILE is never overwritten.
 * See also: README "Backup and restore", batch.h (batch_between).
 */
#ifndef KLAIM_BACKUP_H
#define KLAIM_BACKUP_H

#include "klaim.pb-c.h"

struct klaimd;
struct intake;
struct reply_to;
struct backup;

struct backup *backup_new(struct klaimd *k, struct intake *in);
/* Abandons a running backup (its caller gets SHUTTING_DOWN, FILE.tmp is
 * removed) and frees everything. */
void backup_free(struct backup **b);

/* Starts a backup for an admin's BackupRequest; answers BackupReport when
 * it is done, or an error at once (BACKUP_REFUSED, CANNOT_WRITE, BUSY when
 * one is already running, SHUTTING_DOWN) or later (CANNOT_WRITE). */
void backup_request(struct backup *b, const struct reply_to *to, const Klaim__BackupRequest *req);

/* klaimd is stopping: a running backup is abandoned as in backup_free. */
void backup_abort(struct backup *b);

#endif

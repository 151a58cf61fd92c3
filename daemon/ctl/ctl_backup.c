/* ctl_backup.c - klaimctl backup: a consistent copy of the running store.
 *
 * Owns: the backup verb (its flags, help, output and exit codes).
 * Runs in: klaimctl only. The copy is written by klaimd on its own host,
 *   in its backup_dir (README "Backup and restore"); klaimctl only asks.
 * Exit codes: 0 written, 65 refused (FILE exists or is not a name in
 *   backup_dir), 69 klaimd unreachable or busy, 73 klaimd cannot write
 *   there, 77 not an admin.
 * See also: daemon/backup.c.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_conn.h"

#define S_BACKUP_USAGE "klaimctl backup FILE"
/* A backup of a large store takes a while: wait at least this long for it
 * once klaimd has shown it is there (the first request uses --timeout). */
#define S_BACKUP_MIN_WAIT_MS (60 * 60 * 1000)

static const char s_backup_help[] =
    "usage: " S_BACKUP_USAGE "\n"
    "\n"
    "Asks the running klaimd to write a consistent copy of its store (klaim.db) to FILE on\n"
    "klaimd's host, while it keeps taking claims. The copy holds every claim acknowledged\n"
    "before this command prints. FILE is a plain name, written in klaimd's backup_dir\n"
    "(config key; default DATA/backups), or an absolute path directly in backup_dir. An\n"
    "existing file is never overwritten. Admin only.\n"
    "Prints {\"path\",\"size_bytes\",\"pages\",\"claims\",\"audit_head_seq\",\"duration_ms\"}.\n"
    "Restore: README \"Backup and restore\".\n"
    "\n"
    "exit codes: 0 written, 65 refused (FILE exists or is not in backup_dir),\n"
    "69 klaimd unreachable, busy or stopping, 73 klaimd cannot write in backup_dir, 77 not admin\n";

/* One round trip with the usual error handling; 0 with *rep set. */
static int s_call(struct ctl_conn *c, Klaim__Request *req, int timeout_ms, int body, Klaim__Reply **rep)
{
    return ctl_conn_expect(c, req, timeout_ms, body, "backup", rep);
}

int ctl_backup(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(s_backup_help, stdout);
        return CTL_EX_OK;
    }
    if (argc != 1 || argv[0][0] == '-')
        return ctl_usage(S_BACKUP_USAGE, "backup: give one FILE (a name in klaimd's backup_dir)");
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c)
        return rc;
    /* Is klaimd there? A stats round trip within --timeout, so that an
     * unreachable klaimd is reported at once, not after the long wait. */
    Klaim__StatsRequest sr = KLAIM__STATS_REQUEST__INIT;
    Klaim__Request ping = KLAIM__REQUEST__INIT;
    ping.body_case = KLAIM__REQUEST__BODY_STATS;
    ping.stats = &sr;
    Klaim__Reply *rep = NULL;
    rc = s_call(c, &ping, o->timeout_ms, KLAIM__REPLY__BODY_STATS, &rep);
    if (rc != 0) {
        ctl_conn_destroy(&c);
        return rc;
    }
    codec_reply_free(rep);

    Klaim__BackupRequest br = KLAIM__BACKUP_REQUEST__INIT;
    br.file = argv[0];
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_BACKUP;
    req.backup = &br;
    int wait = o->timeout_ms > S_BACKUP_MIN_WAIT_MS ? o->timeout_ms : S_BACKUP_MIN_WAIT_MS;
    rc = s_call(c, &req, wait, KLAIM__REPLY__BODY_BACKUP_REPORT, &rep);
    if (rc == 0) {
        const Klaim__BackupReport *b = rep->backup_report;
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "path", b->path ? b->path : "", "size_bytes",
                              (json_int_t)b->size_bytes, "pages", (json_int_t)b->pages, "claims",
                              (json_int_t)b->claims, "audit_head_seq", (json_int_t)b->audit_head_seq,
                              "duration_ms", (json_int_t)b->duration_ms);
        if (o->table)
            ctl_print_table(j);
        else
            ctl_print_json(j, 0);
        json_decref(j);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

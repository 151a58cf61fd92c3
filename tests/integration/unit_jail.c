/* unit_jail.c - runs a program under the restrictions systemd/klaimd.service
 * puts on klaimd, without systemd: used by tests/integration/unit_sandbox.sh
 * (via UNIT_JAIL=...), because systemd cannot run as PID 1 in the test
 * container.
 *
 * usage: unit_jail --uid UID --gid GID --syscalls FILE (--errno N | --kill)
 *                  -- PROGRAM [ARGS...]
 *
 * In order, as systemd's exec does it for the unit: no_new_privs
 * (NoNewPrivileges=yes), an empty capability bounding set
 * (CapabilityBoundingSet=), no supplementary groups, the gid and uid
 * (DynamicUser=yes; no capability survives the switch away from root), then
 * a seccomp allow-list of the syscall names in FILE (one a line: the
 * SystemCallFilter= lines of the unit, expanded by the test) whose default
 * action is SystemCallErrorNumber= (--errno) or killing the process
 * (--kill), native architecture only (SystemCallArchitectures=native).
 * Names libseccomp does not know on this architecture are skipped, as
 * systemd skips them. Exits 64 on bad usage, 71 when a step fails (one
 * line on stderr naming it), else becomes PROGRAM.
 */
#include <errno.h>
#include <grp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* One line naming the failed step and the reason, then exit 71. */
static void s_die(const char *step, int err)
{
    fprintf(stderr, "unit_jail: %s: %s\n", step, strerror(err));
    exit(71);
}

/* Loads the allow-list of FILE with default action dflt. */
static void s_load_filter(const char *path, uint32_t dflt)
{
    FILE *f = fopen(path, "r");
    if (!f) s_die(path, errno);
    scmp_filter_ctx ctx = seccomp_init(dflt);
    if (!ctx) s_die("seccomp_init", ENOMEM);
    char line[128];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n")] = '\0';
        if (!line[0]) continue;
        int nr = seccomp_syscall_resolve_name(line);
        if (nr == __NR_SCMP_ERROR) continue;
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        if (rc != 0) {
            fprintf(stderr, "unit_jail: seccomp_rule_add %s: %s\n", line, strerror(-rc));
            exit(71);
        }
        n++;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "unit_jail: %s lists no known system call\n", path);
        exit(64);
    }
    int rc = seccomp_load(ctx);
    if (rc != 0) s_die("seccomp_load", -rc);
    seccomp_release(ctx);
}

int main(int argc, char **argv)
{
    long uid = -1, gid = -1;
    const char *syscalls = NULL;
    uint32_t dflt = 0;
    int have_dflt = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc && strcmp(argv[i], "--kill") != 0) break;
        if (strcmp(argv[i], "--uid") == 0) uid = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--gid") == 0) gid = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--syscalls") == 0) syscalls = argv[++i];
        else if (strcmp(argv[i], "--errno") == 0) dflt = SCMP_ACT_ERRNO((uint16_t)atoi(argv[++i])), have_dflt = 1;
        else if (strcmp(argv[i], "--kill") == 0) dflt = SCMP_ACT_KILL_PROCESS, have_dflt = 1;
        else break;
    }
    if (uid <= 0 || gid <= 0 || !syscalls || !have_dflt || i >= argc) {
        fprintf(stderr, "usage: unit_jail --uid UID --gid GID --syscalls FILE (--errno N | --kill) -- PROGRAM "
                        "[ARGS...] (UID and GID not root)\n");
        return 64;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) s_die("PR_SET_NO_NEW_PRIVS", errno);
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) s_die("PR_CAPBSET_DROP", errno);
    if (setgroups(0, NULL) != 0) s_die("setgroups", errno);
    if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) s_die("setresgid", errno);
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) s_die("setresuid", errno);
    s_load_filter(syscalls, dflt);
    execv(argv[i], argv + i);
    s_die(argv[i], errno);
}

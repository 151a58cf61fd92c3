/* sandbox.c - see sandbox.h. seccomp through libseccomp. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* LeakSanitizer inspects the process at exit through a ptrace'ing helper
 * thread: sanitizer builds (tests only) keep ptrace. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ALLOW_PTRACE 1
#endif

/* Whether the process holds any capability (effective, permitted or
 * inheritable): capget, or /proc/self/status when a syscall filter refuses
 * capget too. Returns 1 (holds some), 0 (holds none) or -1 (cannot tell:
 * callers must assume it holds some). */
static int s_holds_caps(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) == 0) {
        for (int i = 0; i < 2; i++)
            if (data[i].effective || data[i].permitted || data[i].inheritable) return 1;
        return 0;
    }
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    int seen = 0, held = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if ((sscanf(line, "CapInh: %llx", &v) == 1 || sscanf(line, "CapPrm: %llx", &v) == 1 ||
             sscanf(line, "CapEff: %llx", &v) == 1)) {
            seen++;
            if (v) held = 1;
        }
    }
    fclose(f);
    return seen == 3 ? held : -1;
}

/* Drops every capability from the bounding set (where permitted) and from
 * the effective, permitted and inheritable sets: a worker started as root
 * keeps root's uid but none of its powers. A capset refused (EPERM, EACCES:
 * a syscall filter such as systemd's SystemCallFilter=~@privileged, or
 * ENOSYS) is not an error when the process holds no capability anyway
 * (DynamicUser=, CapabilityBoundingSet= empty): there is nothing to drop.
 * Callers may rely on: 0 means the process holds no capability. */
static int s_drop_caps(char *why, size_t whylen)
{
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM) break;
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) != 0) {
        int e = errno;
        if ((e == EPERM || e == EACCES || e == ENOSYS) && s_holds_caps() == 0) return 0;
        snprintf(why, whylen, "capset: %s (the worker holds capabilities it cannot drop: run it without them, "
                              "e.g. CapabilityBoundingSet= empty)", strerror(e));
        return -1;
    }
    return 0;
}

int sandbox_enter(int allow_inet, char *why, size_t whylen)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
        return -1;
    }
    if (s_drop_caps(why, whylen) != 0) return -1;
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
    if (!f) {
        snprintf(why, whylen, "seccomp_init failed");
        return -1;
    }
    const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
    static const int denied[] = {
        SCMP_SYS(execve),     SCMP_SYS(execveat),    SCMP_SYS(fork),          SCMP_SYS(vfork),
#ifndef SANDBOX_ALLOW_PTRACE
        SCMP_SYS(ptrace),
#endif
        SCMP_SYS(mount),       SCMP_SYS(umount2),       SCMP_SYS(pivot_root),
        SCMP_SYS(chroot),     SCMP_SYS(setuid),      SCMP_SYS(setgid),        SCMP_SYS(setreuid),
        SCMP_SYS(setregid),   SCMP_SYS(setresuid),   SCMP_SYS(setresgid),     SCMP_SYS(setgroups),
        SCMP_SYS(kexec_load), SCMP_SYS(init_module), SCMP_SYS(finit_module),  SCMP_SYS(delete_module),
        SCMP_SYS(reboot),     SCMP_SYS(swapon),      SCMP_SYS(swapoff),       SCMP_SYS(bpf),
        SCMP_SYS(unshare),    SCMP_SYS(setns),       SCMP_SYS(perf_event_open), SCMP_SYS(process_vm_writev),
        SCMP_SYS(chmod),      SCMP_SYS(fchmod),      SCMP_SYS(chown),         SCMP_SYS(fchown),
        SCMP_SYS(unlink),     SCMP_SYS(unlinkat),    SCMP_SYS(rename),        SCMP_SYS(renameat),
        SCMP_SYS(truncate),   SCMP_SYS(ftruncate),   SCMP_SYS(mkdir),         SCMP_SYS(mkdirat),
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof denied / sizeof denied[0] && rc == 0; i++)
        rc = seccomp_rule_add(f, deny, denied[i], 0);
    /* Threads (CLONE_VM) yes, processes with their own memory (fork) no;
     * a CLONE_VM child could not exec anyway. clone3 passes its flags in
     * memory seccomp cannot read: ENOSYS makes glibc fall back to clone. */
    if (rc == 0) rc = seccomp_rule_add(f, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, 0));
    if (rc == 0) rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* No file is opened for writing. */
    static const int open_calls[] = {SCMP_SYS(open), SCMP_SYS(openat)};
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        unsigned arg = open_calls[i] == SCMP_SYS(open) ? 1 : 2;
        struct scmp_arg_cmp wr = {arg, SCMP_CMP_MASKED_EQ, O_ACCMODE, O_WRONLY};
        struct scmp_arg_cmp rw = {arg, SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDWR};
        struct scmp_arg_cmp cr = {arg, SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT};
        rc = seccomp_rule_add_array(f, deny, open_calls[i], 1, &wr);
        if (rc == 0) rc = seccomp_rule_add_array(f, deny, open_calls[i], 1, &rw);
        if (rc == 0) rc = seccomp_rule_add_array(f, deny, open_calls[i], 1, &cr);
    }
    /* Sockets: AF_UNIX for the ipc endpoint (and AF_INET for tcp). */
    if (rc == 0)
        rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_GT, allow_inet ? AF_INET6 : AF_UNIX));
    if (rc == 0 && !allow_inet)
        rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_LT, AF_UNIX));
    if (rc == 0) rc = seccomp_load(f);
    seccomp_release(f);
    if (rc != 0) {
        snprintf(why, whylen, "seccomp filter: %s", strerror(-rc));
        return -1;
    }
    return 0;
}

static const char *s_result(long rc)
{
    if (rc >= 0) return "ALLOWED";
    return errno == EPERM ? "EPERM" : errno == EAFNOSUPPORT ? "EAFNOSUPPORT" : strerror(errno);
}

void sandbox_probe(void)
{
    char *argv[] = {"/bin/true", NULL};
    long ex = execve(argv[0], argv, NULL);
    const char *exec_r = s_result(ex);
    long pid = syscall(SYS_fork);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    const char *fork_r = s_result(pid);
    int fd = open("/tmp/klaim-sandbox-probe", O_WRONLY | O_CREAT, 0600);
    const char *open_r = s_result(fd);
    if (fd >= 0) {
        close(fd);
        unlink("/tmp/klaim-sandbox-probe");
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    const char *sock_r = s_result(s);
    if (s >= 0) close(s);
    log_info("sandbox probe: exec=%s fork=%s open_write=%s socket_inet=%s", exec_r, fork_r, open_r, sock_r);
}

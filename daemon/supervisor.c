/* supervisor.c - see supervisor.h. After Postfix master_spawn.c and
 * master_reap_child(): reap until nothing is left, throttle crash loops. */
#include "supervisor.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "klaimd.h"
#include "log.h"
#include "xalloc.h"

#define SUP_EARLY_DEATH_MS 10000
#define SUP_MAX_DELAY_MS 60000
#define SUP_MAX_HELPERS 4

extern char **environ;

struct slot {
    int idx;
    pid_t pid;                  /* 0 when not running */
    uint32_t gen;               /* spawn generation, part of the routing id */
    int ctrl_fd;                /* our end of the fd-3 socketpair */
    int64_t started_mono;
    int ready;
    int delay_ms;               /* current respawn delay */
    struct event *respawn_ev;
    struct supervisor *sup;
};

struct helper {
    pid_t pid;
    supervisor_exit_fn on_exit;
    void *arg;
};

struct supervisor {
    struct klaimd *k;
    struct slot *slots;
    int n;
    struct helper helpers[SUP_MAX_HELPERS];
    struct event *sigchld_ev;
    char **envp;                /* environ without NOTIFY_SOCKET */
    uint64_t restarts;
    int stopping;
};

/* The child must not be able to talk to systemd as if it were klaimd. */
static char **s_env_without_notify(void)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **env = xcalloc(n + 1, sizeof *env);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0 && strncmp(environ[i], "WATCHDOG_", 9) != 0)
            env[j++] = environ[i];
    return env;
}

/* fork + exec with fd 3 (worker control pair) or fd 1 (helper output)
 * prepared. Only async-signal-safe calls between fork and execve. */
static pid_t s_spawn(struct supervisor *s, char *const argv[], int child_fd, int target_fd)
{
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        log_error("supervisor: fork %s: %s", argv[0], strerror(errno));
        if (devnull >= 0) close(devnull);
        return -1;
    }
    if (pid == 0) {
        if (devnull >= 0) dup2(devnull, 0);
        /* dup2 onto itself would keep FD_CLOEXEC set: clear it by hand. */
        if (child_fd == target_fd) fcntl(target_fd, F_SETFD, 0);
        else if (dup2(child_fd, target_fd) < 0) _exit(71);
        close_range(target_fd == 3 ? 4 : 3, ~0U, 0);
        execve(argv[0], argv, s->envp);
        _exit(127);
    }
    if (devnull >= 0) close(devnull);
    return pid;
}

static void s_spawn_worker(struct slot *sl)
{
    struct supervisor *s = sl->sup;
    const struct config *c = &s->k->cfg;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        log_error("supervisor: socketpair: %s", strerror(errno));
        return;
    }
    sl->gen++;
    char slot_s[16], gen_s[16], ppid_s[16], credits_s[16], hb_s[16], jobs_s[16];
    snprintf(slot_s, sizeof slot_s, "%d", sl->idx);
    snprintf(gen_s, sizeof gen_s, "%u", sl->gen);
    snprintf(ppid_s, sizeof ppid_s, "%d", (int)getpid());
    snprintf(credits_s, sizeof credits_s, "%d", c->worker_credits);
    snprintf(hb_s, sizeof hb_s, "%d", c->heartbeat_ms);
    snprintf(jobs_s, sizeof jobs_s, "%d", c->worker_max_jobs);
    char *argv[] = {(char *)c->worker_path, "--endpoint", (char *)c->worker_endpoint, "--slot", slot_s,
                    "--spawn-gen", gen_s, "--parent-pid", ppid_s, "--registry-dir", (char *)c->registry_dir,
                    "--credits", credits_s, "--heartbeat-ms", hb_s, "--log-level",
                    (char *)log_level_name(c->log_level), c->worker_max_jobs > 0 ? "--max-jobs" : NULL, jobs_s,
                    NULL};
    pid_t pid = s_spawn(s, argv, sv[1], 3);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    sl->pid = pid;
    sl->ctrl_fd = sv[0];
    sl->ready = 0;
    sl->started_mono = klaimd_mono_ms();
    log_info("supervisor: worker w%d.%u started pid=%d", sl->idx, sl->gen, (int)pid);
    broker_worker_started(s->k->broker, sl->idx, pid, sl->gen);
}

static void s_on_respawn(evutil_socket_t fd, short what, void *arg)
{
    struct slot *sl = arg;
    if (!sl->sup->stopping && sl->pid == 0) s_spawn_worker(sl);
}

static void s_worker_exited(struct supervisor *s, struct slot *sl, int status)
{
    int early = !sl->ready || klaimd_mono_ms() - sl->started_mono < SUP_EARLY_DEATH_MS;
    char how[64];
    if (WIFEXITED(status)) snprintf(how, sizeof how, "exit=%d", WEXITSTATUS(status));
    else snprintf(how, sizeof how, "signal=%d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    sl->pid = 0;
    if (sl->ctrl_fd >= 0) close(sl->ctrl_fd);
    sl->ctrl_fd = -1;
    broker_worker_exited(s->k->broker, sl->idx);
    if (s->stopping) return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 78) {
        log_error("supervisor: worker w%d.%u exited with 78 (configuration or protocol mismatch); stopping klaimd",
                  sl->idx, sl->gen);
        klaimd_shutdown(s->k, 78);
        return;
    }
    int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !early;
    sl->delay_ms = early ? (sl->delay_ms ? sl->delay_ms * 2 : 1000) : 0;
    if (sl->delay_ms > SUP_MAX_DELAY_MS) sl->delay_ms = SUP_MAX_DELAY_MS;
    s->restarts++;
    if (clean) log_info("supervisor: worker w%d.%u retired (%s)", sl->idx, sl->gen, how);
    else log_warn("supervisor: worker w%d.%u died (%s)%s; respawn in %d ms", sl->idx, sl->gen, how,
                  early ? " early" : "", sl->delay_ms);
    struct timeval tv = {sl->delay_ms / 1000, (sl->delay_ms % 1000) * 1000};
    event_add(sl->respawn_ev, &tv);
}

/* SIGCHLD coalesces: reap until there is nothing left. */
static void s_reap(struct supervisor *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        int found = 0;
        for (int i = 0; i < s->n && !found; i++) {
            if (s->slots[i].pid == pid) {
                s_worker_exited(s, &s->slots[i], status);
                found = 1;
            }
        }
        for (int i = 0; i < SUP_MAX_HELPERS && !found; i++) {
            struct helper *h = &s->helpers[i];
            if (h->pid == pid) {
                h->pid = 0;
                found = 1;
                h->on_exit(h->arg, pid, status);
            }
        }
        if (!found) log_warn("supervisor: reaped unknown child pid=%d", (int)pid);
    }
}

static void s_on_sigchld(evutil_socket_t fd, short what, void *arg) { s_reap(arg); }

struct supervisor *supervisor_new(struct klaimd *k)
{
    struct supervisor *s = xcalloc(1, sizeof *s);
    s->k = k;
    s->n = k->cfg.workers;
    s->slots = xcalloc((size_t)s->n, sizeof *s->slots);
    s->envp = s_env_without_notify();
    for (int i = 0; i < s->n; i++) {
        struct slot *sl = &s->slots[i];
        sl->idx = i;
        sl->ctrl_fd = -1;
        sl->sup = s;
        sl->respawn_ev = evtimer_new(k->base, s_on_respawn, sl);
    }
    s->sigchld_ev = evsignal_new(k->base, SIGCHLD, s_on_sigchld, s);
    event_priority_set(s->sigchld_ev, PRIO_URGENT);
    event_add(s->sigchld_ev, NULL);
    return s;
}

void supervisor_free(struct supervisor **sp)
{
    struct supervisor *s = *sp;
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        event_free(s->slots[i].respawn_ev);
        if (s->slots[i].ctrl_fd >= 0) close(s->slots[i].ctrl_fd);
    }
    event_free(s->sigchld_ev);
    free(s->slots);
    free(s->envp);
    free(s);
    *sp = NULL;
}

void supervisor_start(struct supervisor *s)
{
    for (int i = 0; i < s->n; i++) s_spawn_worker(&s->slots[i]);
}

void supervisor_worker_ready(struct supervisor *s, int slot)
{
    if (slot >= 0 && slot < s->n) s->slots[slot].ready = 1;
}

void supervisor_kill(struct supervisor *s, int slot, const char *why)
{
    if (slot < 0 || slot >= s->n || s->slots[slot].pid == 0) return;
    log_warn("supervisor: killing worker w%d.%u pid=%d: %s", slot, s->slots[slot].gen, (int)s->slots[slot].pid, why);
    kill(s->slots[slot].pid, SIGKILL);
}

static int s_running(struct supervisor *s)
{
    int n = 0;
    for (int i = 0; i < s->n; i++) n += s->slots[i].pid != 0;
    for (int i = 0; i < SUP_MAX_HELPERS; i++) n += s->helpers[i].pid != 0;
    return n;
}

void supervisor_stop(struct supervisor *s, int timeout_ms)
{
    s->stopping = 1;
    for (int i = 0; i < s->n; i++) {
        struct slot *sl = &s->slots[i];
        event_del(sl->respawn_ev);
        if (sl->ctrl_fd >= 0) {
            close(sl->ctrl_fd);
            sl->ctrl_fd = -1;
        }
        if (sl->pid) kill(sl->pid, SIGTERM);
    }
    for (int i = 0; i < SUP_MAX_HELPERS; i++)
        if (s->helpers[i].pid) kill(s->helpers[i].pid, SIGTERM);
    int64_t deadline = klaimd_mono_ms() + timeout_ms;
    while (s_running(s) > 0 && klaimd_mono_ms() < deadline) {
        s_reap(s);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < s->n; i++)
        if (s->slots[i].pid) kill(s->slots[i].pid, SIGKILL);
    for (int i = 0; i < SUP_MAX_HELPERS; i++)
        if (s->helpers[i].pid) kill(s->helpers[i].pid, SIGKILL);
    while (s_running(s) > 0) {
        int status;
        if (waitpid(-1, &status, 0) < 0 && errno == ECHILD) break;
        s_reap(s);
    }
}

pid_t supervisor_run_helper(struct supervisor *s, char *const argv[], int *stdout_fd, supervisor_exit_fn on_exit,
                            void *arg)
{
    struct helper *h = NULL;
    for (int i = 0; i < SUP_MAX_HELPERS && !h; i++)
        if (s->helpers[i].pid == 0) h = &s->helpers[i];
    if (!h) return -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    pid_t pid = s_spawn(s, argv, p[1], 1);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    h->pid = pid;
    h->on_exit = on_exit;
    h->arg = arg;
    *stdout_fd = p[0];
    return pid;
}

uint64_t supervisor_restarts(const struct supervisor *s) { return s->restarts; }

/* supervisor.h - klaim-worker processes: spawn, reap, respawn with backoff.
 *
 * Owns: worker pids, their control socketpairs (fd 3 in the child), the
 *   respawn delays; also the one-shot helper processes (registry builder).
 * Runs in: klaimd main loop only; SIGCHLD arrives as a libevent signal.
 * Between fork and exec only async-signal-safe calls run (dup2,
 * close_range, execve): klaimd has zmq threads and a SQLite handle that
 * must never be touched in the child (pitfalls.md "Prefork supervision").
 * A worker that dies before READY or within 10 s doubles its respawn delay
 * (1 s up to 60 s); exit code 78 (configuration) stops klaimd with 78.
 */
#ifndef KLAIM_SUPERVISOR_H
#define KLAIM_SUPERVISOR_H
#include <stdint.h>
#include <sys/types.h>

struct klaimd;
struct supervisor;

typedef void (*supervisor_exit_fn)(void *arg, pid_t pid, int status);

struct supervisor *supervisor_new(struct klaimd *k);
void supervisor_free(struct supervisor **s);

/* Spawns every worker slot. */
void supervisor_start(struct supervisor *s);
/* A worker said READY: it counts as started well. */
void supervisor_worker_ready(struct supervisor *s, int slot);
/* Kills a misbehaving worker (SIGKILL); the reaper does the rest. */
void supervisor_kill(struct supervisor *s, int slot, const char *why);
/* Graceful stop: close the control fds (workers exit on EOF), SIGTERM,
 * wait up to timeout_ms, then SIGKILL what is left. Blocking; only at exit. */
void supervisor_stop(struct supervisor *s, int timeout_ms);

/* Runs a helper: argv[0] is the program; its stdout is returned in
 * *stdout_fd (non-blocking, close-on-exec), stdin is /dev/null, stderr is
 * ours. on_exit runs once when it is reaped. Returns the pid or -1. */
pid_t supervisor_run_helper(struct supervisor *s, char *const argv[], int *stdout_fd, supervisor_exit_fn on_exit,
                            void *arg);

uint64_t supervisor_restarts(const struct supervisor *s);

#endif

/* sandbox.h - what a worker gives up before it touches its first claim.
 *
 * Owns: the worker's privilege drop and its seccomp filter.
 * Runs in: klaim-worker (worker mode only; the registry builder writes
 *   files and is not sandboxed), once, before the ZeroMQ context exists, so
 *   every thread libzmq starts inherits the filter.
 * A worker only needs to read registry generations, talk on its ipc socket
 * and fd 3, and write logs to stderr. After sandbox_enter() it cannot
 * execute programs, start processes (threads still work), open files for
 * writing, gain privileges (no_new_privs, no capabilities), trace, mount,
 * load modules or change user. A denied call fails with EPERM rather than
 * killing the worker, so a bug shows up as an error in the log.
 */
#ifndef KLAIM_SANDBOX_H
#define KLAIM_SANDBOX_H
#include <stddef.h>

/* allow_inet: keep AF_INET sockets (a remote worker on tcp); otherwise only
 * AF_UNIX. Returns 0, or -1 with why (the caller exits 78). */
int sandbox_enter(int allow_inet, char *why, size_t whylen);

/* Test hook: tries what the sandbox forbids and logs what happened, one line
 * ("sandbox probe: exec=EPERM fork=EPERM open_write=EPERM"). */
void sandbox_probe(void);

#endif

/* worker_loop.h - the klaim-worker event loop: jobs in, results out.
 *
 * Owns: the worker's zmq context and DEALER, the open registry generation,
 * the job counter and the heartbeat clock.
 * Runs in: klaim-worker (spawned by klaimd's supervisor), after
 * worker_main.c has parsed the arguments, set PR_SET_PDEATHSIG and checked
 * the parent. Protocol: architecture.md §6 and proto/PROTOCOL.md.
 */
#ifndef KLAIM_WORKER_LOOP_H
#define KLAIM_WORKER_LOOP_H
#include <stdint.h>

/* Exit codes (sysexits) the loop returns. */
#define WORKER_EXIT_OK 0
#define WORKER_EXIT_CONFIG 78       /* bad endpoint, protocol/version mismatch */

struct worker_opts {
    const char *endpoint;           /* ipc://DATA/run/workers.sock */
    uint32_t slot;
    uint64_t spawn_gen;
    const char *registry_dir;       /* DATA/registry */
    uint32_t credits;               /* leases it can hold at once (READY) */
    uint32_t heartbeat_ms;          /* send a heartbeat after this much silence */
    uint64_t max_jobs;              /* 0: no retirement */
    int ctl_fd;                     /* 3: our end of klaimd's socketpair */
    const char *crash_kpj;          /* test hook KLAIM_WORKER_CRASH_KPJ, or NULL */
};

/* Connects, sends READY, then serves jobs until: SIGTERM/SIGINT (after the
 * job in hand is answered), max_jobs jobs, EOF or error on ctl_fd (klaimd is
 * gone). Returns WORKER_EXIT_OK for those, WORKER_EXIT_CONFIG when the
 * endpoint is unusable or a frame from klaimd cannot be decoded or has
 * another version (a half-upgraded pool must not guess). Installs its own
 * SIGTERM/SIGINT handlers (no SA_RESTART, so zmq_poll wakes up). */
int worker_run(const struct worker_opts *o);

#endif

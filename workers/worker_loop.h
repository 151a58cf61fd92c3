/* worker_loop.h - the klaim-worker event loop: jobs in, results out.
 *
 * Owns: the worker's zmq context and DEALER, the open registry generation,
 * the job counter and the heartbeat clock; in remote mode also the CURVE
 * client keys on the DEALER, its handshake monitor and the re-READY rule.
 * Runs in: klaim-worker, after worker_main.c has parsed the arguments and
 * entered the sandbox, in one of two modes:
 *   local (spawned by klaimd's supervisor, PR_SET_PDEATHSIG set, parent
 *     checked): ipc endpoint, routing id wS.G, fd 3 EOF = klaimd is gone;
 *   remote (started by an operator on any host): tcp endpoint with CURVE,
 *     routing id r.NAME.PID.N.RAND, no fd 3. No frame from klaimd for 3
 *     heartbeats means klaimd restarted or dropped us: a fresh DEALER with
 *     a new routing id sends READY again (klaimd answers nothing on an id
 *     that holds no slot). klaimd's heartbeats name the current registry
 *     generation; a remote worker opens it when one arrives and reports it
 *     in its own heartbeats, since klaimd leases to a remote worker only
 *     while it has that generation open.
 * Protocol: architecture.md §6 and proto/PROTOCOL.md.
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
    int ctl_fd;                     /* 3: our end of klaimd's socketpair; -1 in remote mode */
    const char *crash_kpj;          /* test hook KLAIM_WORKER_CRASH_KPJ, or NULL */
    /* Remote mode when curve_public is set (then ctl_fd is -1, slot and
     * spawn_gen are unused, max_jobs is 0): Z85 keys, 40 characters each. */
    const char *curve_public, *curve_secret;    /* this worker's key pair */
    const char *server_public;                  /* klaimd's public key */
    const char *name;               /* [A-Za-z0-9_.-]{1,32}: in the routing id and the logs */
};

/* Connects, sends READY, then serves jobs until: SIGTERM/SIGINT (after the
 * job in hand is answered), max_jobs jobs, EOF or error on ctl_fd (klaimd is
 * gone; local mode: a remote worker outlives klaimd restarts). Returns WORKER_EXIT_OK for those, WORKER_EXIT_CONFIG when the
 * endpoint is unusable or a frame from klaimd cannot be decoded or has
 * another version (a half-upgraded pool must not guess). Installs its own
 * SIGTERM/SIGINT handlers (no SA_RESTART, so zmq_poll wakes up). */
int worker_run(const struct worker_opts *o);

#endif

/* worker_conn.h - klaim-worker's DEALER to klaimd.
 *
 * Owns: the DEALER socket, its routing id, its CURVE client keys (remote
 *   mode), and the socket monitor that turns a refused key or a failed
 *   handshake into one log line naming the fix.
 * Runs in: klaim-worker (worker_loop.c), single-threaded.
 * A local worker's routing id is wS.G (slot, spawn generation: klaimd
 * knows it in advance). A remote worker's is r.NAME.PID.N.RAND, new for
 * every connection N, so klaimd can tell a READY after a drop or a klaimd
 * restart from a stale frame of the previous connection.
 */
#ifndef KLAIM_WORKER_CONN_H
#define KLAIM_WORKER_CONN_H
#include <stddef.h>

struct worker_opts;

struct worker_conn {
    void *sock;                 /* the DEALER; NULL when closed */
    void *mon;                  /* PAIR with the DEALER's handshake events (remote mode), or NULL */
    char rid[64];
    unsigned n;                 /* connections made so far */
    unsigned salt;              /* random, per process: two hosts' workers never share an id */
    int complained;             /* a refused key / failed handshake was logged (until one succeeds) */
};

/* Opens the next connection: a DEALER with a fresh routing id, LINGER 0,
 * SNDTIMEO, CURVE client keys and a handshake monitor in remote mode,
 * connected to o->endpoint. The connection is made in the background;
 * messages sent meanwhile wait in the DEALER's pipe. Returns 0, or -1 with
 * why naming the endpoint (c is left closed). */
int worker_conn_open(struct worker_conn *c, void *ctx, const struct worker_opts *o, char *why, size_t whylen);

/* Reads every pending monitor event and logs what an operator must know:
 * klaimd refused our key, the handshake failed, connected, disconnected.
 * Cheap when there is nothing. */
void worker_conn_events(struct worker_conn *c, const char *endpoint);

/* Closes the DEALER (pending messages are dropped unless linger_ms > 0:
 * then up to linger_ms are spent delivering them) and the monitor. */
void worker_conn_close(struct worker_conn *c, int linger_ms);

#endif

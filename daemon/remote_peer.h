/* remote_peer.h - the remote worker listener and who is on its other end.
 *
 * Owns: the CURVE bind of remote_worker_endpoint on the worker ROUTER, the
 *   rule that tells a frame of a remote worker from one of a local worker,
 *   the peer's authenticated client name, role and address, and the memory
 *   of routing ids klaimd does not answer (each is logged once).
 * Runs in: klaimd main loop only (broker.c).
 * The local ipc workers and the remote tcp workers share one ROUTER, so one
 * routing-id space: a remote peer could pick an id like "w0.7". The
 * listener decides instead: libzmq copies the socket options into each
 * listener when it binds, so the ipc endpoint bound first stays plain
 * (no ZAP, no User-Id) and only the tcp endpoint, bound after the CURVE
 * options and the ZAP domain "workers" were set, authenticates. A frame
 * with a ZAP User-Id therefore came through the tcp listener, and is only
 * ever matched against remote slots.
 */
#ifndef KLAIM_REMOTE_PEER_H
#define KLAIM_REMOTE_PEER_H
#include <stddef.h>
#include <zmq.h>

#include "clients.h"

struct config;
struct zap;

/* Makes sock (the worker ROUTER, its ipc endpoint already bound) a CURVE
 * server with ZAP domain "workers" and binds c->remote_worker_endpoint.
 * Call once, after every plain bind of sock. Returns 0, or -1 with err
 * naming the endpoint and the fix. */
int remote_peer_bind(void *sock, const struct config *c, char *err, size_t errlen);

struct remote_peer {
    int remote;             /* 1: came through the CURVE listener */
    enum klaim_role role;   /* remote: the client's role now (ROLE_NONE once revoked) */
    char client[65];        /* remote: the .client file's name (its owner id once revoked) */
    char addr[64];          /* remote: the peer's IP address, "?" if unknown */
};

/* Who sent frame (any frame of a received message). zap may be NULL (no
 * CURVE: then every frame is local). Never fails. */
void remote_peer_of(struct zap *zap, zmq_msg_t *frame, struct remote_peer *p);

/* Routing ids already logged as unknown: a small ring, so a worker that
 * keeps talking on a dropped id costs one log line, not one per frame. */
#define REMOTE_QUIET_IDS 32
struct remote_quiet {
    char ids[REMOTE_QUIET_IDS][64];
    size_t lens[REMOTE_QUIET_IDS];
    unsigned next;
};
/* 1 the first time this routing id is seen (since it left the ring), then
 * 0; remembers it. */
int remote_quiet_first(struct remote_quiet *q, const void *rid, size_t len);
/* Forgets a routing id (it took a slot: log its next drop again). */
void remote_quiet_forget(struct remote_quiet *q, const void *rid, size_t len);

#endif

/* zap.h - the ZAP handler: ZeroMQ's authentication hook for CURVE sockets.
 *
 * Owns: the ZAP thread, its REP socket on inproc://zeromq.zap.01, and the
 *   current allow-list (shared with the main thread under a mutex).
 * Runs in: its own thread (blocking zmq_poll); the main thread only calls
 *   zap_swap() and zap_role_of(). It never touches the event base or the
 *   store (architecture.md §2).
 * Without a ZAP handler libzmq accepts ANY CURVE key (encryption without
 * authentication), so zap_start() must succeed before a CURVE socket binds.
 * The handler accepts a key in the allow-list and gives libzmq the client's
 * name as User-Id; the main thread maps that name to a role per request, so
 * a key revoked by a reload fails at its next request.
 */
#ifndef KLAIM_ZAP_H
#define KLAIM_ZAP_H
#include <stddef.h>

#include "clients.h"

struct zap;

/* The ZAP domain of the remote worker endpoint (broker.c): only clients of
 * role worker pass its handshake. */
#define ZAP_DOMAIN_WORKERS "workers"

/* Binds the handler in ctx and starts its thread; takes ownership of list.
 * NULL with err on failure. */
struct zap *zap_start(void *ctx, struct clients *list, char *err, size_t errlen);
/* Replaces the allow-list (takes ownership); connections already
 * authenticated stay up, their next request is checked against it. */
void zap_swap(struct zap *z, struct clients *list);
/* The role of an authenticated client name, ROLE_NONE if not (or no longer)
 * in the allow-list. */
enum klaim_role zap_role_of(struct zap *z, const char *name);
/* Stops and joins the thread; call before zmq_ctx_term. */
void zap_stop(struct zap **z);

/* Configures sock as a CURVE server with this secret key (Z85) and the ZAP
 * domain, before it binds. Returns 0 or -1 with errno. */
int zap_curve_server(void *sock, const char *secret_z85, const char *domain);

#endif

/* zap.h - the ZAP handler: ZeroMQ's authentication hook for CURVE sockets.
 *
 * Owns: the ZAP thread, its REP socket on inproc://zeromq.zap.01, and the
 *   current allow-list (shared with the main thread under a mutex).
 * Runs in: its own thread (blocking zmq_poll); the main thread only calls
 *   zap_swap() and zap_who(). It never touches the event base or the
 *   store (architecture.md §2).
 * Without a ZAP handler libzmq accepts ANY CURVE key (encryption without
 * authentication), so zap_start() must succeed before a CURVE socket binds.
 * The handler accepts a key in the allow-list and gives libzmq the key's
 * owner id ("key:" + its Z85 public key) as User-Id; the main thread maps
 * that id to the client's name and role per request, so a key revoked by a
 * reload fails at its next request, and a name, which is only a label,
 * never decides whose claims a client reads.
 */
#ifndef KLAIM_ZAP_H
#define KLAIM_ZAP_H
#include <stddef.h>
#include <stdint.h>

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
/* The owner id of a CURVE public key: "key:" + its 40 Z85 characters.
 * Stable for as long as the key is, whatever the client file calls it;
 * out gets ZAP_OWNER_LEN + 1 bytes. */
#define ZAP_OWNER_PREFIX "key:"
#define ZAP_OWNER_LEN 44
void zap_owner_of(const uint8_t key[32], char *out);
/* The role of an authenticated owner id (a User-Id from this handler), with
 * the client's name copied to name (65 bytes; "" when unknown); ROLE_NONE if
 * the key is not (or no longer) in the allow-list. */
enum klaim_role zap_who(struct zap *z, const char *owner, char *name);
/* Stops and joins the thread; call before zmq_ctx_term. */
void zap_stop(struct zap **z);

/* Configures sock as a CURVE server with this secret key (Z85) and the ZAP
 * domain, before it binds. Returns 0 or -1 with errno. */
int zap_curve_server(void *sock, const char *secret_z85, const char *domain);

#endif

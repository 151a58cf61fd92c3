/* zmq_ev.h - a ZeroMQ socket inside the libevent loop.
 *
 * Owns: the ZMQ_FD integration of one socket: budgeted draining, the
 * re-activation rule, and sending.
 * Runs in: klaimd main loop only.
 * ZMQ_FD is edge-triggered and only means "look at the socket": after any
 * send or receive the socket may hold input that will never make the fd
 * readable again (pitfalls.md). So every read pass receives until EAGAIN
 * (at most `budget` messages, then re-activates itself so other sources
 * and timers get a turn), and every send goes through zmq_ev_send(), which
 * re-activates the reader. A receive that says EAGAIN has processed the
 * socket's pending commands, which is what re-arms ZMQ_FD; it is also what
 * the ZMQ_EVENTS check of pitfalls.md does, without its system calls on
 * every message.
 */
#ifndef KLAIM_ZMQ_EV_H
#define KLAIM_ZMQ_EV_H
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

struct event_base;
struct zmq_ev;

#define ZMQ_EV_MAX_FRAMES 4

/* One received message. frames[i] are valid during the callback only.
 * nframes counts every frame received; only the first ZMQ_EV_MAX_FRAMES
 * are kept, so nframes > ZMQ_EV_MAX_FRAMES means "too many frames". */
struct zmq_ev_msg {
    zmq_msg_t frames[ZMQ_EV_MAX_FRAMES];
    int nframes;
};
typedef void (*zmq_ev_msg_fn)(struct zmq_ev_msg *msg, void *arg);

/* A bound ROUTER as klaimd wants every one: ROUTER_MANDATORY (an unknown
 * peer is an error, not a silent drop), LINGER 0, the given high-water
 * marks (0 = none) and ZMQ_MAXMSGSIZE; a CURVE server with ZAP domain
 * zap_domain when curve_secret (Z85) is given. Returns the socket, or NULL
 * with err naming the endpoint and the reason. */
void *zmq_ev_router_bind(void *ctx, const char *endpoint, int hwm, int64_t max_msg, const char *curve_secret,
                         const char *zap_domain, char *err, size_t errlen);

/* Watches sock (owned by the caller, must outlive the zmq_ev) and calls
 * on_msg for every complete multipart message. priority is the libevent
 * priority of the read event. */
struct zmq_ev *zmq_ev_new(struct event_base *base, void *sock, int priority, int budget, zmq_ev_msg_fn on_msg,
                          void *arg);
void zmq_ev_free(struct zmq_ev **z);
void *zmq_ev_socket(struct zmq_ev *z);

/* Send a multipart message without blocking. Returns 0, or -1 with errno
 * (EAGAIN at the high-water mark, EHOSTUNREACH for an unknown ROUTER peer). */
int zmq_ev_send(struct zmq_ev *z, const void *const *parts, const size_t *lens, int nparts);
/* The same, for a routing id frame followed by one payload frame. */
int zmq_ev_send2(struct zmq_ev *z, const void *rid, size_t rid_len, const void *data, size_t len);

#endif

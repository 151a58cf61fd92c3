/* worker_conn.c - see worker_conn.h. */
#include "worker_conn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "worker_loop.h"

#define S_SEND_TIMEOUT_MS 5000
/* Remote mode never blocks on a send: after a refused handshake libzmq
 * drops the connection for good (no pipe, no reconnect), and a blocked
 * send would stall the silence check that makes the next connection. A
 * frame that cannot be queued is lost like one on a broken link: klaimd
 * requeues the lease, and we READY again. */
#define S_REMOTE_SEND_TIMEOUT_MS 0
/* A refused or unreachable klaimd is retried at this pace, not libzmq's
 * 100 ms: each refusal is a ZAP request and a log line in klaimd. */
#define S_RECONNECT_MS 250
#define S_RECONNECT_MAX_MS 4000
#define S_MON_EVENTS                                                                                               \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |         \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED)

static int s_remote(const struct worker_opts *o) { return o->curve_public != NULL; }

/* The monitor reports on an inproc PAIR: it must exist before the DEALER
 * connects, or the first handshake's verdict is lost. */
static int s_monitor(struct worker_conn *c, void *ctx, char *why, size_t whylen)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://klaim-worker-monitor.%u", c->n);
    if (zmq_socket_monitor(c->sock, ep, S_MON_EVENTS) != 0) {
        snprintf(why, whylen, "cannot monitor the connection to klaimd: %s", zmq_strerror(errno));
        return -1;
    }
    c->mon = zmq_socket(ctx, ZMQ_PAIR);
    int zero = 0;
    if (!c->mon || zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero) != 0 || zmq_connect(c->mon, ep) != 0) {
        snprintf(why, whylen, "cannot read the connection monitor: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int worker_conn_open(struct worker_conn *c, void *ctx, const struct worker_opts *o, char *why, size_t whylen)
{
    if (c->salt == 0 && getrandom(&c->salt, sizeof c->salt, GRND_NONBLOCK) != (ssize_t)sizeof c->salt)
        c->salt = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
    c->n++;
    if (s_remote(o))
        snprintf(c->rid, sizeof c->rid, "r.%s.%d.%u.%04x", o->name, (int)getpid(), c->n, c->salt & 0xffff);
    else
        snprintf(c->rid, sizeof c->rid, "w%" PRIu32 ".%" PRIu64, o->slot, o->spawn_gen);
    c->sock = zmq_socket(ctx, ZMQ_DEALER);
    if (!c->sock) {
        snprintf(why, whylen, "cannot create a DEALER socket: %s", zmq_strerror(errno));
        return -1;
    }
    int linger = 0, ivl = S_RECONNECT_MS, ivl_max = S_RECONNECT_MAX_MS;
    int sndtimeo = s_remote(o) ? S_REMOTE_SEND_TIMEOUT_MS : S_SEND_TIMEOUT_MS;
    int rc = zmq_setsockopt(c->sock, ZMQ_ROUTING_ID, c->rid, strlen(c->rid));
    if (rc == 0) rc = zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (rc == 0) rc = zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    if (rc == 0 && s_remote(o)) {
        rc = zmq_setsockopt(c->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
        if (rc == 0) rc = zmq_setsockopt(c->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
        if (rc == 0) rc = zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, o->server_public, 40);
        if (rc == 0) rc = zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, o->curve_public, 40);
        if (rc == 0) rc = zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, o->curve_secret, 40);
        if (rc != 0) snprintf(why, whylen, "cannot set the CURVE keys: %s (libzmq without CURVE?)", zmq_strerror(errno));
        if (rc == 0) rc = s_monitor(c, ctx, why, whylen);
    } else if (rc != 0) {
        snprintf(why, whylen, "cannot set the socket options: %s", zmq_strerror(errno));
    }
    if (rc == 0 && zmq_connect(c->sock, o->endpoint) != 0) {
        snprintf(why, whylen, "--endpoint %s: %s: pass klaimd's worker endpoint (%s)", o->endpoint, zmq_strerror(errno),
                 s_remote(o) ? "its remote_worker_endpoint, tcp://HOST:PORT" : "ipc://DATA/run/workers.sock");
        rc = -1;
    }
    if (rc != 0) worker_conn_close(c, 0);
    return rc;
}

/* One event: a 6-byte frame (uint16 event, uint32 value) and the endpoint. */
static int s_event(void *mon, uint16_t *event, uint32_t *value)
{
    zmq_msg_t f;
    zmq_msg_init(&f);
    if (zmq_msg_recv(&f, mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&f);
        return -1;
    }
    int ok = zmq_msg_size(&f) >= 6;
    if (ok) {
        const uint8_t *d = zmq_msg_data(&f);
        memcpy(event, d, sizeof *event);
        memcpy(value, d + 2, sizeof *value);
    }
    int more = zmq_msg_more(&f);
    zmq_msg_close(&f);
    while (more) { /* the endpoint frame: we know it */
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, mon, 0) < 0) more = 0;
        else more = zmq_msg_more(&f);
        zmq_msg_close(&f);
    }
    return ok ? 0 : -1;
}

void worker_conn_events(struct worker_conn *c, const char *endpoint)
{
    uint16_t ev;
    uint32_t value;
    while (c->mon && s_event(c->mon, &ev, &value) == 0) {
        switch (ev) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            log_info("connected to klaimd at %s as %s (CURVE)", endpoint, c->rid);
            c->complained = 0;
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            if (!c->complained)
                log_error("klaimd at %s refused this worker's key (ZAP status %" PRIu32 "): klaimd's clients_dir "
                          "needs a .client file with role = worker and this key's public = line; retrying",
                          endpoint, value);
            else
                log_debug("klaimd at %s refused this worker's key again (ZAP status %" PRIu32 ")", endpoint, value);
            c->complained = 1;
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            if (!c->complained)
                log_error("CURVE handshake with %s failed (%s): is it klaimd's remote_worker_endpoint, and "
                          "--server-key klaimd's public key (the server.pub of its curve_secret_key_file)? retrying",
                          endpoint, ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "protocol error" : "no detail");
            c->complained = 1;
            break;
        case ZMQ_EVENT_DISCONNECTED:
            log_debug("connection to klaimd at %s closed; libzmq reconnects", endpoint);
            break;
        default:
            break;
        }
    }
}

void worker_conn_close(struct worker_conn *c, int linger_ms)
{
    if (c->sock) {
        if (c->mon) zmq_socket_monitor(c->sock, NULL, 0);
        if (linger_ms > 0) zmq_setsockopt(c->sock, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
        zmq_close(c->sock);
        c->sock = NULL;
    }
    if (c->mon) {
        zmq_close(c->mon);
        c->mon = NULL;
    }
}

/* zmq_ev.c - see zmq_ev.h. After memcached's per-event budget and CZMQ's
 * zloop: drain a bounded number, re-arm ourselves, never block. */
#include "zmq_ev.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"
#include "zap.h"

struct zmq_ev {
    void *sock;
    struct event *ev;
    int budget;
    zmq_ev_msg_fn on_msg;
    void *arg;
};

/* Receives one whole multipart message. A partial read would desynchronise
 * the envelope, so surplus frames are read and dropped, never left behind.
 * Returns 0, or -1 with errno when nothing was waiting (EAGAIN). */
static int s_recv_msg(void *sock, struct zmq_ev_msg *m)
{
    m->nframes = 0;
    int more = 1;
    while (more) {
        zmq_msg_t tmp;
        zmq_msg_t *f = m->nframes < ZMQ_EV_MAX_FRAMES ? &m->frames[m->nframes] : &tmp;
        zmq_msg_init(f);
        if (zmq_msg_recv(f, sock, m->nframes == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(f);
            if (m->nframes == 0) return -1;
            break; /* cannot happen: parts of a message arrive together */
        }
        more = zmq_msg_more(f);
        if (f == &tmp) zmq_msg_close(&tmp);
        m->nframes++;
    }
    return 0;
}

/* Drains until the socket says EAGAIN: libzmq has then taken every
 * pending notification off ZMQ_FD, so the next arrival makes it readable
 * again. A successful receive costs no system call; the ZMQ_EVENTS check
 * it replaces cost a poll() and a getpid() per message. */
static void s_on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct zmq_ev *z = arg;
    for (int i = 0; i < z->budget; i++) {
        struct zmq_ev_msg m;
        if (s_recv_msg(z->sock, &m) != 0) {
            if (errno == EINTR) break; /* not drained: try again */
            return;
        }
        z->on_msg(&m, z->arg);
        int kept = m.nframes < ZMQ_EV_MAX_FRAMES ? m.nframes : ZMQ_EV_MAX_FRAMES;
        for (int k = 0; k < kept; k++) zmq_msg_close(&m.frames[k]);
    }
    /* Budget spent, maybe with input left: run again after the other
     * active events, without waiting for an edge that will not come. */
    event_active(z->ev, EV_READ, 0);
}

struct zmq_ev *zmq_ev_new(struct event_base *base, void *sock, int priority, int budget, zmq_ev_msg_fn on_msg,
                          void *arg)
{
    int fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) != 0) return NULL;
    struct zmq_ev *z = xcalloc(1, sizeof *z);
    z->sock = sock;
    z->budget = budget > 0 ? budget : 64;
    z->on_msg = on_msg;
    z->arg = arg;
    z->ev = event_new(base, fd, EV_READ | EV_PERSIST, s_on_readable, z);
    ASSERT(z->ev != NULL);
    event_priority_set(z->ev, priority);
    event_add(z->ev, NULL);
    /* Messages may already be queued: the edge for them has passed. */
    event_active(z->ev, EV_READ, 0);
    return z;
}

void zmq_ev_free(struct zmq_ev **zp)
{
    struct zmq_ev *z = *zp;
    if (!z) return;
    event_free(z->ev);
    free(z);
    *zp = NULL;
}

void *zmq_ev_socket(struct zmq_ev *z) { return z->sock; }

int zmq_ev_send(struct zmq_ev *z, const void *const *parts, const size_t *lens, int nparts)
{
    int rc = 0;
    for (int i = 0; i < nparts; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < nparts ? ZMQ_SNDMORE : 0);
        if (zmq_send(z->sock, parts[i], lens[i], flags) < 0) {
            rc = -1;
            break;
        }
    }
    /* Sending may have consumed the edge that announced waiting input: the
     * reader drains again once the loop gets to it (one receive that says
     * EAGAIN per pass, however many were sent; activating is idempotent). */
    int saved = errno;
    event_active(z->ev, EV_READ, 0);
    errno = saved;
    return rc;
}

int zmq_ev_send2(struct zmq_ev *z, const void *rid, size_t rid_len, const void *data, size_t len)
{
    const void *parts[2] = {rid, data};
    size_t lens[2] = {rid_len, len};
    return zmq_ev_send(z, parts, lens, 2);
}

void *zmq_ev_router_bind(void *ctx, const char *endpoint, int hwm, int64_t max_msg, const char *curve_secret,
                         const char *zap_domain, char *err, size_t errlen)
{
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    int one = 1, zero = 0;
    if (!sock) {
        snprintf(err, errlen, "cannot create a ROUTER socket: %s", zmq_strerror(errno));
        return NULL;
    }
    zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg);
    if (curve_secret && zap_curve_server(sock, curve_secret, zap_domain) != 0) {
        snprintf(err, errlen, "cannot make %s a CURVE server: %s", endpoint, zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    if (zmq_bind(sock, endpoint) != 0) {
        snprintf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* remote_peer.c - see remote_peer.h. */
#include "remote_peer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "zap.h"

int remote_peer_bind(void *sock, const struct config *c, char *err, size_t errlen)
{
    /* Set here, after the ipc bind and right before this one: the ipc
     * listener keeps the plain options it was bound with. */
    if (zap_curve_server(sock, c->curve_secret, ZAP_DOMAIN_WORKERS) != 0) {
        snprintf(err, errlen, "remote_worker_endpoint = \"%s\": cannot make the worker socket a CURVE server: %s",
                 c->remote_worker_endpoint, zmq_strerror(errno));
        return -1;
    }
    if (zmq_bind(sock, c->remote_worker_endpoint) != 0) {
        snprintf(err, errlen, "remote_worker_endpoint = \"%s\": cannot bind: %s (is the port in use, or the "
                              "address not on this host?)", c->remote_worker_endpoint, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

void remote_peer_of(struct zap *zap, zmq_msg_t *frame, struct remote_peer *p)
{
    memset(p, 0, sizeof *p);
    const char *user = zap ? zmq_msg_gets(frame, "User-Id") : NULL;
    if (!user || !user[0]) return;
    p->remote = 1;
    p->role = zap_who(zap, user, p->client);
    if (!p->client[0]) snprintf(p->client, sizeof p->client, "%s", user);
    const char *addr = zmq_msg_gets(frame, "Peer-Address");
    snprintf(p->addr, sizeof p->addr, "%s", addr && addr[0] ? addr : "?");
}

/* Ids longer than a ring entry are remembered by their first 64 bytes. */
static int s_find(const struct remote_quiet *q, const void *rid, size_t len)
{
    if (len > sizeof q->ids[0]) len = sizeof q->ids[0];
    for (int i = 0; i < REMOTE_QUIET_IDS; i++)
        if (q->lens[i] == len && len > 0 && memcmp(q->ids[i], rid, len) == 0) return i;
    return -1;
}

int remote_quiet_first(struct remote_quiet *q, const void *rid, size_t len)
{
    if (len > sizeof q->ids[0]) len = sizeof q->ids[0];
    if (len == 0 || s_find(q, rid, len) >= 0) return 0;
    unsigned i = q->next++ % REMOTE_QUIET_IDS;
    memcpy(q->ids[i], rid, len);
    q->lens[i] = len;
    return 1;
}

void remote_quiet_forget(struct remote_quiet *q, const void *rid, size_t len)
{
    int i = s_find(q, rid, len);
    if (i >= 0) q->lens[i] = 0;
}

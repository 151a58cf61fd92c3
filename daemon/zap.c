/* zap.c - see zap.h. After CZMQ's zauth.c and RFC 27 (ZAP). */
#include "zap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "xalloc.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct zap {
    void *sock;
    pthread_t thread;
    pthread_mutex_t lock;
    struct clients *list;
    volatile int stop;
    unsigned long accepted, refused;
};

/* Reads the rest of a multipart message into frames[]; returns the count. */
static int s_recv_frames(void *sock, zmq_msg_t *frames, int max)
{
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t tmp, *f = n < max ? &frames[n] : &tmp;
        zmq_msg_init(f);
        if (zmq_msg_recv(f, sock, 0) < 0) {
            zmq_msg_close(f);
            break;
        }
        more = zmq_msg_more(f);
        if (f == &tmp) zmq_msg_close(&tmp);
        n++;
    }
    return n;
}

static void s_reply(void *sock, const zmq_msg_t *request_id, const char *code, const char *text, const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, zmq_msg_data((zmq_msg_t *)request_id), zmq_msg_size((zmq_msg_t *)request_id), ZMQ_SNDMORE);
    zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* One ZAP request: version, request id, domain, address, identity,
 * mechanism, credentials (RFC 27). Only CURVE with a listed key passes. */
static void s_handle(struct zap *z)
{
    zmq_msg_t f[8];
    int n = s_recv_frames(z->sock, f, 8);
    int kept = n < 8 ? n : 8;
    if (n < 6) {
        log_warn("zap: malformed request (%d frames)", n);
        if (n >= 2) s_reply(z->sock, &f[1], "500", "malformed request", "");
        goto out;
    }
    char domain[32] = "", mech[16] = "", addr[64] = "";
    snprintf(domain, sizeof domain, "%.*s", (int)zmq_msg_size(&f[2]), (const char *)zmq_msg_data(&f[2]));
    snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]), (const char *)zmq_msg_data(&f[3]));
    snprintf(mech, sizeof mech, "%.*s", (int)zmq_msg_size(&f[5]), (const char *)zmq_msg_data(&f[5]));
    if (strcmp(mech, "CURVE") != 0 || n < 7 || zmq_msg_size(&f[6]) != 32) {
        z->refused++;
        log_warn("zap: refused %s client from %s on %s: mechanism %s is not allowed", mech, addr, domain, mech);
        s_reply(z->sock, &f[1], "400", "CURVE required", "");
        goto out;
    }
    char name[65] = "", owner[ZAP_OWNER_LEN + 1] = "";
    enum klaim_role role = ROLE_NONE;
    pthread_mutex_lock(&z->lock);
    const struct client *c = clients_by_key(z->list, zmq_msg_data(&f[6]));
    if (c) snprintf(name, sizeof name, "%s", c->name), role = c->role;
    pthread_mutex_unlock(&z->lock);
    /* The feed PUB has no requests to check a role against: only consoles
     * and admins may connect to it at all. */
    if (name[0] && strcmp(domain, "feed") == 0 && role != ROLE_CONSOLE && role != ROLE_ADMIN) {
        z->refused++;
        log_warn("zap: refused client \"%s\" (%s) on the feed: only console and admin may subscribe", name,
                 klaim_role_name(role));
        s_reply(z->sock, &f[1], "400", "role may not subscribe", "");
        goto out;
    }
    /* The remote worker endpoint shares the worker ROUTER with the local
     * ipc workers: a key of any other role must not even connect, so it can
     * never send a READY or a RESULT (interface.md: "worker, which may do
     * nothing else"). */
    if (name[0] && strcmp(domain, ZAP_DOMAIN_WORKERS) == 0 && role != ROLE_WORKER) {
        z->refused++;
        log_warn("zap: refused client \"%s\" (%s) from %s on the remote worker endpoint: only role worker may "
                 "connect there (give the remote klaim-worker a key whose .client file says role = worker)",
                 name, klaim_role_name(role), addr);
        s_reply(z->sock, &f[1], "400", "role may not be a worker", "");
        goto out;
    }
    if (!name[0]) {
        char key[41] = "";
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        z->refused++;
        log_warn("zap: refused unknown key %s from %s on %s (add a .client file to clients_dir)", key, addr, domain);
        s_reply(z->sock, &f[1], "400", "unknown key", "");
        goto out;
    }
    z->accepted++;
    log_info("zap: accepted client \"%s\" from %s on %s", name, addr, domain);
    zap_owner_of(zmq_msg_data(&f[6]), owner);
    s_reply(z->sock, &f[1], "200", "OK", owner);
out:
    for (int i = 0; i < kept; i++) zmq_msg_close(&f[i]);
}

static void *s_thread(void *arg)
{
    struct zap *z = arg;
    while (!z->stop) {
        zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, 200);
        if (rc < 0 && errno == ETERM) break;
        if (rc > 0) s_handle(z);
    }
    zmq_close(z->sock);
    return NULL;
}

struct zap *zap_start(void *ctx, struct clients *list, char *err, size_t errlen)
{
    void *sock = zmq_socket(ctx, ZMQ_REP);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(sock, ZAP_ENDPOINT) != 0) {
        snprintf(err, errlen, "cannot bind the ZAP handler %s: %s", ZAP_ENDPOINT, zmq_strerror(errno));
        zmq_close(sock);
        clients_free(&list);
        return NULL;
    }
    struct zap *z = xcalloc(1, sizeof *z);
    z->sock = sock;
    z->list = list;
    pthread_mutex_init(&z->lock, NULL);
    if (pthread_create(&z->thread, NULL, s_thread, z) != 0) {
        snprintf(err, errlen, "cannot start the ZAP thread: %s", strerror(errno));
        zmq_close(sock);
        clients_free(&z->list);
        free(z);
        return NULL;
    }
    return z;
}

void zap_swap(struct zap *z, struct clients *list)
{
    pthread_mutex_lock(&z->lock);
    struct clients *old = z->list;
    z->list = list;
    pthread_mutex_unlock(&z->lock);
    clients_free(&old);
}

void zap_owner_of(const uint8_t key[32], char *out)
{
    memcpy(out, ZAP_OWNER_PREFIX, 4);
    zmq_z85_encode(out + 4, key, 32);
}

enum klaim_role zap_who(struct zap *z, const char *owner, char *name)
{
    name[0] = '\0';
    uint8_t key[32];
    if (!owner || strncmp(owner, ZAP_OWNER_PREFIX, 4) != 0 || strlen(owner) != ZAP_OWNER_LEN ||
        !zmq_z85_decode(key, owner + 4))
        return ROLE_NONE;
    pthread_mutex_lock(&z->lock);
    const struct client *c = clients_by_key(z->list, key);
    enum klaim_role r = c ? c->role : ROLE_NONE;
    if (c) snprintf(name, 65, "%s", c->name);
    pthread_mutex_unlock(&z->lock);
    return r;
}

void zap_stop(struct zap **zp)
{
    struct zap *z = *zp;
    if (!z) return;
    z->stop = 1;
    pthread_join(z->thread, NULL);
    pthread_mutex_destroy(&z->lock);
    clients_free(&z->list);
    free(z);
    *zp = NULL;
}

int zap_curve_server(void *sock, const char *secret_z85, const char *domain)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0) return -1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_z85, 40) != 0) return -1;
    return zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain));
}

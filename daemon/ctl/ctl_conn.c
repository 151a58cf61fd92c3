/* ctl_conn.c - klaimctl's one connection to klaimd's intake socket.
 *
 * Owns: the zmq context and DEALER socket, the request id counter, the
 *   error-code names and the sysexits each error reply maps to.
 * Runs in: klaimctl only, one thread; blocking calls with timeouts
 *   (zmq_poll), no event loop.
 * Invariant: every frame sent is one whole Klaim__Request; every frame
 *   read is decoded through codec_reply_decode with a 64 MiB cap.
 * See also: proto/codec.h, daemon/ctl/ctl_submit.c (pipelining).
 */
#include "ctl_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "xalloc.h"

struct ctl_conn {
    void *ctx;
    void *sock;
    void *mon;          /* PAIR reading sock's handshake failures, or NULL */
    char *endpoint;
    uint64_t next_id;
    int curve;
    char public_z85[41]; /* this client's CURVE public key, for the refusal message */
    int refused;        /* the ZMQ_EVENT_HANDSHAKE_FAILED_* seen, 0 if none */
    uint32_t refused_value;
};

int64_t ctl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Watch sock's handshakes through a socket monitor, so that a key klaimd
 * refuses (or a CURVE klaimd met without keys) is known at once instead
 * of as a timeout. Without a monitor (libzmq refused one) klaimctl still
 * works, only slower to say why. */
static void s_monitor(struct ctl_conn *c)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://klaimctl-monitor-%p", (void *)c);
    if (zmq_socket_monitor(c->sock, ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        return;
    c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
    int zero = 0;
    if (c->mon && (zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero) != 0 || zmq_connect(c->mon, ep) != 0)) {
        zmq_close(c->mon);
        c->mon = NULL;
    }
}

/* Read one monitor event (two frames: 16-bit event and 32-bit value,
 * then the endpoint) and remember the first handshake failure. */
static void s_monitor_read(struct ctl_conn *c)
{
    zmq_msg_t msg;
    int first = 1, more = 1;
    while (more) {
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, c->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        if (first && zmq_msg_size(&msg) >= 6 && !c->refused) {
            const uint8_t *d = zmq_msg_data(&msg);
            uint16_t ev;
            uint32_t val;
            memcpy(&ev, d, 2);
            memcpy(&val, d + 2, 4);
            /* without CURVE, a handshake cut short without detail is a
             * klaimd going away, not a refusal: wait as before */
            if (c->curve || ev != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
                c->refused = ev;
                c->refused_value = val;
            }
        }
        first = 0;
        more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
    }
}

struct ctl_conn *ctl_conn_new(const char *endpoint, const struct ctl_curve *curve, char *errbuf, size_t errlen)
{
    struct ctl_conn *c = xcalloc(1, sizeof *c);
    c->ctx = zmq_ctx_new();
    if (!c->ctx) {
        snprintf(errbuf, errlen, "cannot create a ZeroMQ context: %s", zmq_strerror(errno));
        free(c);
        return NULL;
    }
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!c->sock) {
        snprintf(errbuf, errlen, "cannot create a ZeroMQ socket: %s", zmq_strerror(errno));
        zmq_ctx_term(c->ctx);
        free(c);
        return NULL;
    }
    /* linger 0: a klaimctl that gives up must not hang in zmq_ctx_term on
     * requests klaimd never took; no HWM: pipelining is bounded by
     * --inflight, and a silent drop at the HWM would look like a lost reply */
    int zero = 0;
    int64_t maxmsg = (int64_t)CTL_MAX_REPLY_BYTES + 4096;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (curve && (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, curve->server_z85, 40) != 0 ||
                  zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, curve->public_z85, 40) != 0 ||
                  zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, curve->secret_z85, 40) != 0)) {
        snprintf(errbuf, errlen, "cannot set the CURVE keys: %s", zmq_strerror(errno));
        zmq_close(c->sock);
        zmq_ctx_term(c->ctx);
        free(c);
        return NULL;
    }
    c->curve = curve != NULL;
    if (curve) memcpy(c->public_z85, curve->public_z85, sizeof c->public_z85);
    s_monitor(c);
    if (zmq_connect(c->sock, endpoint) != 0) {
        snprintf(errbuf, errlen, "endpoint \"%s\": %s; expected e.g. tcp://127.0.0.1:7710 or ipc:///path", endpoint,
                 zmq_strerror(errno));
        if (c->mon) zmq_close(c->mon);
        zmq_close(c->sock);
        zmq_ctx_term(c->ctx);
        free(c);
        return NULL;
    }
    c->endpoint = xstrdup(endpoint);
    c->next_id = 1;
    return c;
}

void ctl_conn_destroy(struct ctl_conn **cp)
{
    struct ctl_conn *c = *cp;
    if (!c)
        return;
    if (c->mon) zmq_close(c->mon);
    zmq_close(c->sock);
    while (zmq_ctx_term(c->ctx) != 0 && errno == EINTR)
        ;
    free(c->endpoint);
    free(c);
    *cp = NULL;
}

const char *ctl_conn_endpoint(const struct ctl_conn *c) { return c->endpoint; }
int ctl_conn_refused(const struct ctl_conn *c) { return c->refused != 0; }

/* Wait for events on the socket; returns the revents or 0 on timeout,
 * retrying after signals with the time that is left. A failed handshake
 * ends the wait at once (0, as a timeout): ctl_conn_no_answer then says
 * why. */
static int s_poll(struct ctl_conn *c, short events, int timeout_ms)
{
    int64_t deadline = ctl_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        if (c->refused)
            return 0;
        zmq_pollitem_t it[2] = {{.socket = c->sock, .events = events}, {.socket = c->mon, .events = ZMQ_POLLIN}};
        int64_t left = deadline - ctl_now_ms();
        if (left < 0)
            left = 0;
        int rc = zmq_poll(it, c->mon ? 2 : 1, (long)left);
        if (rc > 0 && it[0].revents)
            return it[0].revents;
        if (rc > 0) {
            s_monitor_read(c);
            continue;
        }
        if (rc == 0 || errno != EINTR)
            return 0;
    }
}

uint64_t ctl_conn_send(struct ctl_conn *c, Klaim__Request *req, int timeout_ms)
{
    req->has_version = 1;
    req->version = KLAIM_PROTO_VERSION;
    req->has_request_id = 1;
    req->request_id = c->next_id++;
    size_t len = 0;
    uint8_t *buf = codec_pack(&req->base, &len);
    int rc;
    while ((rc = zmq_send(c->sock, buf, len, ZMQ_DONTWAIT)) < 0) {
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN || !(s_poll(c, ZMQ_POLLOUT, timeout_ms) & ZMQ_POLLOUT))
            break;
    }
    free(buf);
    return rc < 0 ? 0 : req->request_id;
}

enum ctl_recv ctl_conn_recv(struct ctl_conn *c, int timeout_ms, Klaim__Reply **out, struct klaim_err *err)
{
    *out = NULL;
    if (!(s_poll(c, ZMQ_POLLIN, timeout_ms) & ZMQ_POLLIN))
        return CTL_RECV_TIMEOUT;
    /* One frame is the contract; read every part anyway so a stray
     * envelope cannot desynchronise us, and decode the last one. */
    zmq_msg_t msg, last;
    zmq_msg_init(&last);
    int more = 1;
    while (more) {
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, c->sock, 0) < 0) {
            zmq_msg_close(&msg);
            if (errno == EINTR)
                continue;
            zmq_msg_close(&last);
            klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "", "receive failed: %s", zmq_strerror(errno));
            return CTL_RECV_BAD;
        }
        more = zmq_msg_more(&msg);
        zmq_msg_move(&last, &msg);
        zmq_msg_close(&msg);
    }
    Klaim__Reply *r = codec_reply_decode(zmq_msg_data(&last), zmq_msg_size(&last), CTL_MAX_REPLY_BYTES, err);
    zmq_msg_close(&last);
    if (!r)
        return CTL_RECV_BAD;
    *out = r;
    return CTL_RECV_OK;
}

enum ctl_recv ctl_conn_call(struct ctl_conn *c, Klaim__Request *req, int timeout_ms, Klaim__Reply **out,
                            struct klaim_err *err)
{
    *out = NULL;
    int64_t deadline = ctl_now_ms() + timeout_ms;
    uint64_t id = ctl_conn_send(c, req, timeout_ms);
    if (id == 0)
        return CTL_RECV_TIMEOUT;
    for (;;) {
        int64_t left = deadline - ctl_now_ms();
        if (left < 0)
            return CTL_RECV_TIMEOUT;
        Klaim__Reply *r;
        enum ctl_recv rc = ctl_conn_recv(c, (int)left, &r, err);
        if (rc != CTL_RECV_OK)
            return rc;
        if (r->has_request_id && r->request_id == id) {
            *out = r;
            return CTL_RECV_OK;
        }
        codec_reply_free(r);   /* a late answer to an abandoned request */
    }
}

int ctl_conn_no_answer(const struct ctl_conn *c, int waited_ms)
{
    if (c->refused && !c->curve) {
        fprintf(stderr,
                "klaimctl: klaimd at %s wants CURVE and this client gave no key: give --curve-key NAME.key "
                "(klaimctl keygen NAME) and --server-key klaimd's .pub, or set KLAIMCTL_CURVE_KEY and "
                "KLAIMCTL_SERVER_KEY, or curve_key and server_key in [klaimctl] of --config\n",
                c->endpoint);
        return 77;
    }
    if (c->refused == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        fprintf(stderr,
                "klaimctl: klaimd at %s refused this client's CURVE key (public = %s, status %u): it is not "
                "in klaimd's clients_dir; add a NAME.client file with that public = line, name = and role =, "
                "then kill -HUP klaimd, or use an allowed --curve-key\n",
                c->endpoint, c->public_z85, (unsigned)c->refused_value);
        return 77;
    }
    if (c->refused) {
        fprintf(stderr,
                "klaimctl: the CURVE handshake with klaimd at %s failed (libzmq event 0x%x, 0x%x): is --server-key "
                "klaimd's public key (the .pub of its curve_secret_key_file)?\n",
                c->endpoint, (unsigned)c->refused, (unsigned)c->refused_value);
        return 77;
    }
    if (c->curve)
        fprintf(stderr,
                "klaimctl: no answer from klaimd at %s after %d ms: is it running, is --server-key its public "
                "key, and is this client's public key in its clients_dir?\n",
                c->endpoint, waited_ms);
    else
        fprintf(stderr,
                "klaimctl: no answer from klaimd at %s after %d ms: is it running? "
                "(start it with klaimd --data-dir DIR)\n",
                c->endpoint, waited_ms);
    return 69;
}

int ctl_conn_bad_reply(const struct ctl_conn *c, const struct klaim_err *err)
{
    fprintf(stderr,
            "klaimctl: reply from klaimd at %s cannot be decoded: %s; is klaimd the same version as "
            "klaimctl %s?\n",
            c->endpoint, err->message, KLAIM_VERSION);
    return 69;
}

static const char *s_enum_name(const ProtobufCEnumDescriptor *d, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    return ev ? ev->name : "UNKNOWN";
}

const char *ctl_error_code_name(int code) { return s_enum_name(&klaim__error_code__descriptor, code); }
const char *ctl_state_name(int state) { return s_enum_name(&klaim__state__descriptor, state); }

int ctl_exit_for_error(int code)
{
    switch (code) {
    case KLAIM__ERROR_CODE__INVALID_CLAIM:
    case KLAIM__ERROR_CODE__IDEMPOTENCY_CONFLICT:
    case KLAIM__ERROR_CODE__NOT_FOUND:
    case KLAIM__ERROR_CODE__TOO_LARGE:
    case KLAIM__ERROR_CODE__INVALID_REGISTRY:
    case KLAIM__ERROR_CODE__NOT_REVIEWABLE:
    case KLAIM__ERROR_CODE__INVALID_SETTLEMENT:
    case KLAIM__ERROR_CODE__BACKUP_REFUSED:
    case KLAIM__ERROR_CODE__BAD_REQUEST:
        return 65;
    case KLAIM__ERROR_CODE__CANNOT_WRITE:
        return 73;
    case KLAIM__ERROR_CODE__UNAVAILABLE:
    case KLAIM__ERROR_CODE__SHUTTING_DOWN:
    case KLAIM__ERROR_CODE__BUSY:
        return 69;
    case KLAIM__ERROR_CODE__FORBIDDEN:
        return 77;
    default:
        return 70;
    }
}

static int s_rank(int code)
{
    switch (code) {
    case 0: return 0;
    case 75: return 1;
    case 65: return 2;
    case 77: return 3;
    case 69: return 4;
    default: return 5;   /* 70 and anything unexpected */
    }
}

int ctl_exit_worse(int a, int b) { return s_rank(b) > s_rank(a) ? b : a; }

void ctl_report(const char *where, const char *field, const char *message, const char *code_name)
{
    size_t fl = field ? strlen(field) : 0;
    const char *msg = message && *message ? message : "(no message)";
    /* messages often start with their field already; say it once */
    if (fl && strncmp(msg, field, fl) == 0 && msg[fl] == ':')
        fl = 0;
    fprintf(stderr, "klaimctl: %s: %s%s%s", where, fl ? field : "", fl ? ": " : "", msg);
    if (code_name)
        fprintf(stderr, " (%s)", code_name);
    fputc('\n', stderr);
}

int ctl_print_error(const char *where, const Klaim__Error *e)
{
    int code = e->has_code ? (int)e->code : 0;
    ctl_report(where, e->field, e->message, ctl_error_code_name(code));
    return ctl_exit_for_error(code);
}

int ctl_conn_expect(struct ctl_conn *c, Klaim__Request *req, int timeout_ms, int body, const char *where,
                    Klaim__Reply **rep)
{
    struct klaim_err err = {0};
    enum ctl_recv r = ctl_conn_call(c, req, timeout_ms, rep, &err);
    if (r == CTL_RECV_TIMEOUT) return ctl_conn_no_answer(c, timeout_ms);
    if (r == CTL_RECV_BAD) return ctl_conn_bad_reply(c, &err);
    if ((*rep)->body_case == KLAIM__REPLY__BODY_ERROR) {
        int rc = ctl_print_error(where, (*rep)->error);
        codec_reply_free(*rep);
        return rc;
    }
    if ((int)(*rep)->body_case != body) {
        fprintf(stderr, "klaimctl: %s: unexpected reply (body %d); is klaimd the same version as klaimctl %s?\n",
                where, (int)(*rep)->body_case, KLAIM_VERSION);
        codec_reply_free(*rep);
        return 70; /* EX_SOFTWARE */
    }
    return 0;
}

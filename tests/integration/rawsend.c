/* rawsend.c - sends one hand-made (often malformed) frame to klaimd.
 *
 * Owns: the raw-request test tool of the integration tests (bad_input.sh).
 * Runs in: the integration test scripts, as `rawsend ENDPOINT MODE [ARG]`.
 * It is a ZeroMQ DEALER that sends ONE request exactly as built here (no
 * validation on our side, that is the point) and prints the decoded Reply
 * as one JSON line, e.g.
 *   {"request_id":7,"body":"error","code":"TOO_LARGE","field":"","message":"..."}
 * Exit: 0 a reply arrived, 2 none within 3 s, 64 usage, 1 anything else.
 * Modes: garbage, empty, size N, truncated, file PATH, twoframes, version N,
 *   nobody, badenum, valid (see s_usage).
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"
#include "xalloc.h"

#define RAWSEND_TIMEOUT_MS 3000
#define RAWSEND_REQUEST_ID 4242

static void s_usage(void)
{
    fprintf(stderr,
            "usage: rawsend ENDPOINT MODE [ARG]\n"
            "modes: garbage | empty | size N | truncated | file PATH | twoframes |\n"
            "       version N | nobody | badenum | valid\n"
            "Sends one raw request to klaimd's intake and prints the Reply as JSON.\n");
}

/* One frame to send; data is xmalloc'ed (or NULL when len is 0). */
struct frame {
    uint8_t *data;
    size_t len;
};

/* The storage behind the claim of cases.jsonl line 1 (DEMO-001, a JKM
 * death); s_demo_claim() points a Klaim__Claim into it. */
struct demo_claim {
    Klaim__Claim claim;
    Klaim__Participant participant;
    Klaim__Event event;
    Klaim__Location location;
    Klaim__Heir heir[2];
    Klaim__Heir *heirs[2];
    char key[64];
};

/* Fills d with the claim of cases.jsonl line 1 under key (copied). The
 * claim is valid for klaimd's validator; callers may spoil one field. */
static void s_demo_claim(struct demo_claim *d, const char *key)
{
    memset(d, 0, sizeof *d);
    klaim__claim__init(&d->claim);
    klaim__participant__init(&d->participant);
    klaim__event__init(&d->event);
    klaim__location__init(&d->location);
    snprintf(d->key, sizeof d->key, "%s", key);
    d->participant.kpj = "24196494182";
    d->participant.nik = "3576022102580003";
    d->location.regency = "Kota Mojokerto";
    d->location.district = "Magersari";
    d->location.has_lat_e6 = 1, d->location.lat_e6 = -7470000;
    d->location.has_lon_e6 = 1, d->location.lon_e6 = 112445000;
    d->event.has_type = 1, d->event.type = KLAIM__EVENT_TYPE__DEATH;
    d->event.date = "2019-12-02";
    d->event.reported_at = "2019-12-03T10:15:00+07:00";
    d->event.location = &d->location;
    d->event.hospital = "RSUD dr. Wahidin Sudiro Husodo";
    const char *nik[2] = {"3576025004620901", "3576020109080902"};
    const char *name[2] = {"Sumiati", "Rendi Sutejo"};
    Klaim__Relation rel[2] = {KLAIM__RELATION__SPOUSE, KLAIM__RELATION__CHILD};
    for (int i = 0; i < 2; i++) {
        klaim__heir__init(&d->heir[i]);
        d->heir[i].nik = (char *)nik[i];
        d->heir[i].name = (char *)name[i];
        d->heir[i].has_relation = 1, d->heir[i].relation = rel[i];
        d->heirs[i] = &d->heir[i];
    }
    d->claim.idempotency_key = d->key;
    d->claim.has_program = 1, d->claim.program = KLAIM__PROGRAM__JKM;
    d->claim.participant = &d->participant;
    d->claim.event = &d->event;
    d->claim.n_heirs = 2;
    d->claim.heirs = d->heirs;
}

/* A fresh key per run so repeated test runs never collide: RAW-<hex>. */
static void s_fresh_key(char *out, size_t outlen)
{
    uint8_t r[8];
    randombytes_buf(r, sizeof r);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, r, sizeof r);
    snprintf(out, outlen, "RAW-%s", hex);
}

/* Packs a Request (version 1 unless told) around the given claim. */
static struct frame s_pack_submit(Klaim__Claim *claim, int has_version, uint32_t version)
{
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.has_version = has_version, req.version = version;
    req.has_request_id = 1, req.request_id = RAWSEND_REQUEST_ID;
    req.body_case = KLAIM__REQUEST__BODY_SUBMIT;
    req.submit = claim;
    struct frame f;
    f.data = codec_pack(&req.base, &f.len);
    return f;
}

static struct frame s_pack_stats(int has_version, uint32_t version, int with_body)
{
    Klaim__StatsRequest st = KLAIM__STATS_REQUEST__INIT;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.has_version = has_version, req.version = version;
    req.has_request_id = 1, req.request_id = RAWSEND_REQUEST_ID;
    if (with_body) {
        req.body_case = KLAIM__REQUEST__BODY_STATS;
        req.stats = &st;
    }
    struct frame f;
    f.data = codec_pack(&req.base, &f.len);
    return f;
}

/* A well-formed submit of exactly n bytes (when reachable): the demo claim
 * with its hospital name padded. Used to cross max_message_bytes. */
static struct frame s_pack_size(size_t n)
{
    struct demo_claim d;
    char key[64];
    s_fresh_key(key, sizeof key);
    s_demo_claim(&d, key);
    size_t pad = n;
    char *hospital = NULL;
    struct frame f = {0};
    for (int tries = 0; tries < 8; tries++) {
        free(hospital);
        free(f.data);
        hospital = xmalloc(pad + 1);
        memset(hospital, 'H', pad);
        hospital[pad] = '\0';
        d.event.hospital = hospital;
        f = s_pack_submit(&d.claim, 1, KLAIM_PROTO_VERSION);
        if (f.len == n) break;
        if (f.len > n) {
            size_t over = f.len - n;
            pad = over >= pad ? 0 : pad - over;
        } else {
            pad += n - f.len;
        }
    }
    free(hospital);
    return f;
}

static int s_read_file(const char *path, struct frame *f)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "rawsend: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096;
    f->data = xmalloc(cap);
    f->len = 0;
    size_t got;
    while ((got = fread(f->data + f->len, 1, cap - f->len, fp)) > 0) {
        f->len += got;
        if (f->len == cap) f->data = xrealloc(f->data, cap *= 2);
    }
    fclose(fp);
    return 0;
}

static const char *s_error_code_name(int code)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&klaim__error_code__descriptor, code);
    return v ? v->name : "UNKNOWN";
}

static const char *s_state_name(int state)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&klaim__state__descriptor, state);
    return v ? v->name : "UNKNOWN";
}

/* The reply as one JSON line (jansson does the escaping). */
static void s_print_reply(const Klaim__Reply *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "request_id", json_integer(r->has_request_id ? (json_int_t)r->request_id : -1));
    switch (r->body_case) {
    case KLAIM__REPLY__BODY_ERROR:
        json_object_set_new(o, "body", json_string("error"));
        json_object_set_new(o, "code", json_string(s_error_code_name(r->error->has_code ? r->error->code : 0)));
        json_object_set_new(o, "field", json_string(r->error->field ? r->error->field : ""));
        json_object_set_new(o, "message", json_string(r->error->message ? r->error->message : ""));
        break;
    case KLAIM__REPLY__BODY_ACK:
        json_object_set_new(o, "body", json_string("ack"));
        json_object_set_new(o, "claim_id", json_string(r->ack->claim_id ? r->ack->claim_id : ""));
        json_object_set_new(o, "idempotency_key",
                            json_string(r->ack->idempotency_key ? r->ack->idempotency_key : ""));
        json_object_set_new(o, "state", json_string(s_state_name(r->ack->state)));
        json_object_set_new(o, "duplicate", json_boolean(r->ack->duplicate));
        break;
    case KLAIM__REPLY__BODY_DECISION:
        json_object_set_new(o, "body", json_string("decision"));
        json_object_set_new(o, "claim_id", json_string(r->decision->claim_id ? r->decision->claim_id : ""));
        json_object_set_new(o, "state", json_string(s_state_name(r->decision->state)));
        break;
    case KLAIM__REPLY__BODY_STATS:
        json_object_set_new(o, "body", json_string("stats"));
        json_object_set_new(o, "queue_depth", json_integer((json_int_t)r->stats->queue_depth));
        break;
    case KLAIM__REPLY__BODY_REGISTRY:
        json_object_set_new(o, "body", json_string("registry"));
        break;
    default:
        json_object_set_new(o, "body", json_string("none"));
        break;
    }
    char *s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    json_decref(o);
}

/* Builds the frames of one mode; returns the frame count, or -1 (usage). */
static int s_build(const char *mode, const char *arg, struct frame fr[2])
{
    memset(fr, 0, 2 * sizeof *fr);
    struct demo_claim d;
    char key[64];
    s_fresh_key(key, sizeof key);
    s_demo_claim(&d, key);
    if (strcmp(mode, "garbage") == 0) {
        /* 0xFF.. never starts a valid protobuf field (wire type 7). */
        fr[0].len = 256;
        fr[0].data = xmalloc(fr[0].len);
        randombytes_buf(fr[0].data, fr[0].len);
        fr[0].data[0] = 0xFF;
        fr[0].data[1] = 0xFF;
        return 1;
    }
    if (strcmp(mode, "empty") == 0) return 1;
    if (strcmp(mode, "size") == 0 && arg) {
        fr[0] = s_pack_size(strtoull(arg, NULL, 10));
        return 1;
    }
    if (strcmp(mode, "truncated") == 0) {
        fr[0] = s_pack_submit(&d.claim, 1, KLAIM_PROTO_VERSION);
        fr[0].len /= 2;
        return 1;
    }
    if (strcmp(mode, "file") == 0 && arg) return s_read_file(arg, &fr[0]) == 0 ? 1 : -2;
    if (strcmp(mode, "twoframes") == 0) {
        fr[0] = s_pack_stats(1, KLAIM_PROTO_VERSION, 1);
        fr[1] = s_pack_stats(1, KLAIM_PROTO_VERSION, 1);
        return 2;
    }
    if (strcmp(mode, "version") == 0 && arg) {
        fr[0] = s_pack_stats(1, (uint32_t)strtoul(arg, NULL, 10), 1);
        return 1;
    }
    if (strcmp(mode, "nobody") == 0) {
        fr[0] = s_pack_stats(1, KLAIM_PROTO_VERSION, 0);
        return 1;
    }
    if (strcmp(mode, "badenum") == 0) {
        d.claim.program = (Klaim__Program)7;
        fr[0] = s_pack_submit(&d.claim, 1, KLAIM_PROTO_VERSION);
        return 1;
    }
    if (strcmp(mode, "valid") == 0) {
        fr[0] = s_pack_submit(&d.claim, 1, KLAIM_PROTO_VERSION);
        return 1;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        s_usage();
        return 64;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "rawsend: libsodium failed to initialise\n");
        return 1;
    }
    struct frame fr[2];
    int nframes = s_build(argv[2], argc == 4 ? argv[3] : NULL, fr);
    if (nframes == -2) return 1;
    if (nframes < 0) {
        fprintf(stderr, "rawsend: unknown mode or missing argument: %s\n", argv[2]);
        s_usage();
        return 64;
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(sock, argv[1]) != 0) {
        fprintf(stderr, "rawsend: cannot connect to %s: %s\n", argv[1], zmq_strerror(errno));
        return 64;
    }
    for (int i = 0; i < nframes; i++) {
        int flags = i + 1 < nframes ? ZMQ_SNDMORE : 0;
        if (zmq_send(sock, fr[i].data ? (const void *)fr[i].data : "", fr[i].len, flags) < 0) {
            fprintf(stderr, "rawsend: send failed: %s\n", zmq_strerror(errno));
            return 1;
        }
        free(fr[i].data);
    }
    int rc = 2;
    zmq_pollitem_t pi = {.socket = sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&pi, 1, RAWSEND_TIMEOUT_MS) == 1) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            fprintf(stderr, "rawsend: receive failed: %s\n", zmq_strerror(errno));
            rc = 1;
        } else {
            struct klaim_err err;
            Klaim__Reply *r = codec_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), 64u << 20, &err);
            if (!r) {
                fprintf(stderr, "rawsend: the reply is not a klaim.Reply: %s\n", err.message);
                rc = 1;
            } else {
                s_print_reply(r);
                codec_reply_free(r);
                rc = 0;
            }
        }
        zmq_msg_close(&m);
    } else {
        fprintf(stderr, "rawsend: no reply from %s within %d ms\n", argv[1], RAWSEND_TIMEOUT_MS);
    }
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return rc;
}

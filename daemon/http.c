/* http.c - the HTTP gateway: routes, tokens, JSON errors, SSE, console.
 *
 * Owns: the HTTP listener (klaimd's own; each client connection framed by
 *   http_parse.c and relayed to the evhttp server on DATA/run/http.sock,
 *   see struct http_conn), the evhttp server in klaimd's base and every
 *   HTTP reply, including the JSON errors for requests the framer refuses
 *   and the 408 of http_body_timeout_ms.
 * Runs in: klaimd main loop only.
 * Invariants: writes reply after COMMIT through intake_submit() and
 *   cases_act() (the ZeroMQ paths); reads that could see an open
 *   transaction wait for its commit; a client that left before its reply
 *   is handled by evhttp (the request is detached and freed when we reply);
 *   an SSE client with more than 1 MB unsent is cut off (it resumes with
 *   Last-Event-ID).
 * See also: http.h (routes and roles), feed.c (cursors), claim_json.c.
 */
#include "http.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "cases.h"
#include "claim_json.h"
#include "clients.h"
#include "console/console_assets.h"
#include "feed.h"
#include "http_parse.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "metrics.h"
#include "registry_gen.h"
#include "review.h"
#include "store.h"
#include "upstream.h"
#include "xalloc.h"

#define HTTP_MAX_TOKENS 4096
#define SSE_MAX_UNSENT (1 << 20)
/* The request line and headers (and, apart, the trailers) of one request. */
#define HTTP_HEAD_MAX 16384

struct http_conn;

struct http {
    struct klaimd *k;
    struct evhttp *ev;
    struct http_token *tokens;  /* replaced whole by http_reload_tokens() */
    int n_tokens;               /* -1: no tokens_file, everyone is the local admin */
    struct event *ping_ev;
    struct sse *sses;
    struct http_conn *conns;
    struct evconnlistener *listener;
    int back_fd;                /* evhttp's listening unix socket */
    struct sockaddr_un back_addr;
    char reject_path[48];       /* the target of the stand-in request of a refused one */
};

/* One client connection. klaimd accepts it itself and stands in front of
 * evhttp: every byte the client sends goes through the framer
 * (http_parse.c), and only whole, normalized requests go on to evhttp,
 * over a private unix socket (DATA/run/http.sock); evhttp's replies come
 * back the same way and go to the client unchanged. So evhttp never frames
 * a request differently from a proxy in front of klaimd, and never answers
 * with its own error pages (HTML; libevent 2.1 has no error callback): the
 * first request that does not pass is replaced by a stand-in request to
 * reject_path carrying the reject in X-Klaimd-* headers, which s_route
 * answers as klaimd's JSON error, in order after the requests before it,
 * with Connection: close. */
struct http_conn {
    struct http *h;
    struct bufferevent *cli;    /* the client's TCP connection */
    struct bufferevent *back;   /* to evhttp; NULL once closed */
    struct http_framer *fr;
    struct event *timer;        /* http_body_timeout_ms while a request is incomplete */
    int rejected;               /* the stand-in went out: nothing more is read */
    int loopback;               /* the client's address is 127.0.0.0/8 or ::1 */
    struct http_conn *prev, *next;
};

/* Who is asking (from the bearer token). */
struct who {
    int role;
    char name[65];              /* the token line's name: a label for logs and reviews */
    char owner[65];             /* "token:" + 16 hex digits of the hash, or "local" (intake.h) */
    unsigned char hash[32];     /* the token's SHA-256; zeros without tokens_file */
};

struct sse {
    struct http *h;
    struct evhttp_request *req;
    struct who who;             /* whose token opened it: a reload that drops it ends the stream */
    struct feed_sub *sub;
    struct sse *prev, *next;
};

/* ---------------------------------------------------------------- replies */

/* klaimd's own request headers, set by the framer side (s_emit) and by
 * s_route; the framer drops every X-Klaimd-* header a client sends, so
 * they cannot be forged. */
#define HDR_PEER "X-Klaimd-Peer"         /* "loopback" or "remote" */
#define HDR_WHO "X-Klaimd-Who"           /* the authenticated name, for the access log */

static const char *s_method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    default: return "OTHER";
    }
}

/* The access log: one line for every answered request, refusals included
 * ("http: METHOD PATH STATUS \"IDENTITY\" DURATIONms", "-" before a token
 * is known). The path is logged without its query, which may hold an
 * access_token; the framer's refusals (the stand-in request) show as
 * "- -". */
static void s_access_log(struct http *h, struct evhttp_request *req, int code, int64_t started_us)
{
    const char *uri = evhttp_request_get_uri(req);
    const char *method = s_method_name(evhttp_request_get_command(req));
    if (!uri || strcmp(uri, h->reject_path) == 0) uri = "-", method = "-";
    size_t plen = strcspn(uri, "?");
    const char *who = evhttp_find_header(evhttp_request_get_input_headers(req), HDR_WHO);
    double ms = started_us ? (double)(klaimd_mono_us() - started_us) / 1000.0 : 0.0;
    if (who && who[0])
        log_info("http: %s %.*s %d \"%s\" %.3fms", method, (int)(plen > 200 ? 200 : plen), uri, code, who, ms);
    else
        log_info("http: %s %.*s %d - %.3fms", method, (int)(plen > 200 ? 200 : plen), uri, code, ms);
}

/* Counts an answered request (status class, latency when started_us is
 * set) and logs its access line: every reply goes through here once. */
static void s_count(struct http *h, struct evhttp_request *req, int code, int64_t started_us)
{
    if (code >= 100 && code < 600) h->k->metrics->http_by_class[code / 100]++;
    if (started_us) metrics_observe(&h->k->metrics->http_us, klaimd_mono_us() - started_us);
    s_access_log(h, req, code, started_us);
}

static void s_send_json(struct http *h, struct evhttp_request *req, int code, const char *reason, json_t *body,
                        int64_t started_us)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, text, strlen(text));
    evbuffer_add(out, "\n", 1);
    free(text);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", "application/json");
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    evhttp_send_reply(req, code, reason, out);
    evbuffer_free(out);
    s_count(h, req, code, started_us);
}

static const char *s_code_name(int code)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&klaim__error_code__descriptor, code);
    return v ? v->name : "INTERNAL";
}

/* The HTTP status of a typed error. */
static int s_status_of(int code, const char **reason)
{
    switch (code) {
    case KLAIM__ERROR_CODE__BAD_REQUEST: *reason = "Bad Request"; return 400;
    case KLAIM__ERROR_CODE__INVALID_CLAIM: *reason = "Unprocessable Entity"; return 422;
    case KLAIM__ERROR_CODE__TOO_LARGE: *reason = "Payload Too Large"; return 413;
    case KLAIM__ERROR_CODE__NOT_FOUND: *reason = "Not Found"; return 404;
    case KLAIM__ERROR_CODE__IDEMPOTENCY_CONFLICT: *reason = "Conflict"; return 409;
    case KLAIM__ERROR_CODE__CASE_IS_CLOSED:
    case KLAIM__ERROR_CODE__NOT_REVIEWABLE: *reason = "Conflict"; return 409;
    case KLAIM__ERROR_CODE__FORBIDDEN: *reason = "Forbidden"; return 403;
    case KLAIM__ERROR_CODE__BUSY: *reason = "Too Many Requests"; return 429;
    case KLAIM__ERROR_CODE__UNAVAILABLE:
    case KLAIM__ERROR_CODE__SHUTTING_DOWN: *reason = "Service Unavailable"; return 503;
    default: *reason = "Internal Server Error"; return 500;
    }
}

/* Every JSON error reply of the gateway leaves here: it counts once in
 * klaimd_refusals_total under its code name. */
static void s_error_status(struct http *h, struct evhttp_request *req, int status, const char *reason,
                           const char *code_name, const char *field, const char *message, int64_t started_us)
{
    metrics_refusal(h->k->metrics, code_name);
    json_t *e = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code_name, "field", field ? field : "", "message",
                          message ? message : "");
    s_send_json(h, req, status, reason, e, started_us);
}

static void s_error(struct http *h, struct evhttp_request *req, int code, const char *field, const char *message,
                    int64_t started_us)
{
    const char *reason;
    int status = s_status_of(code, &reason);
    s_error_status(h, req, status, reason, s_code_name(code), field, message, started_us);
}

/* ------------------------------------------------------------------- auth */

/* A header value klaimd writes (the stand-in, HDR_WHO): visible ASCII only. */
static void s_header_safe(char *dst, size_t size, const char *src)
{
    size_t n = 0;
    for (; *src && n + 1 < size; src++) dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
    dst[n] = '\0';
}

/* Fills who from "Authorization: Bearer T" (or ?access_token=T for the
 * browser's EventSource, which cannot set headers). Answers 401 and
 * returns 0 when a token is needed and missing or unknown. */
static int s_authenticate(struct http *h, struct evhttp_request *req, const char *query_token, struct who *who,
                          int64_t started_us)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    memset(who, 0, sizeof *who);
    if (h->n_tokens < 0) {
        who->role = ROLE_ADMIN;
        snprintf(who->name, sizeof who->name, "%s", KLAIM_CLIENT_LOCAL);
        snprintf(who->owner, sizeof who->owner, "%s", KLAIM_CLIENT_LOCAL);
        evhttp_add_header(in, HDR_WHO, who->name);
        return 1;
    }
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    const char *token = NULL;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) token = auth + 7;
    else if (query_token && query_token[0]) token = query_token;
    who->role = ROLE_NONE;
    if (token && token[0]) {
        unsigned char hash[32];
        crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
        /* Every entry is compared, each in constant time. */
        int found = -1;
        for (int i = 0; i < h->n_tokens; i++)
            if (sodium_memcmp(hash, h->tokens[i].hash, 32) == 0 && found < 0) found = i;
        if (found >= 0) {
            who->role = h->tokens[found].role;
            memcpy(who->hash, h->tokens[found].hash, 32);
            snprintf(who->name, sizeof who->name, "%s", h->tokens[found].name);
            int o = snprintf(who->owner, sizeof who->owner, "token:");
            for (int i = 0; i < 8; i++) o += snprintf(who->owner + o, sizeof who->owner - (size_t)o, "%02x", who->hash[i]);
            char shown[65];
            s_header_safe(shown, sizeof shown, who->name);
            evhttp_add_header(in, HDR_WHO, shown);
            return 1;
        }
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer realm=\"klaimd\"");
    s_error_status(h, req, 401, "Unauthorized", "UNAUTHENTICATED", "Authorization",
                   token ? "unknown bearer token; ask the operator for one (tokens_file)"
                         : "send \"Authorization: Bearer TOKEN\" (tokens_file is configured)",
                   started_us);
    return 0;
}

static int s_require(struct http *h, struct evhttp_request *req, const struct who *who, int ok, const char *what,
                     int64_t started_us)
{
    if (ok) return 1;
    char msg[256];
    snprintf(msg, sizeof msg, "role %s may not %s%s", klaim_role_name(who->role), what,
             who->role == ROLE_REVIEWER   ? " (a reviewer lists, approves, rejects and confirms reviews and reads any "
                                            "claim: GET /v1/review, POST /v1/claims/{id}/review, GET /v1/claims/{id})"
             : who->role == ROLE_MONITOR ? " (a monitor reads GET /metrics and GET /healthz only)"
                                         : "");
    s_error(h, req, KLAIM__ERROR_CODE__FORBIDDEN, "", msg, started_us);
    return 0;
}

/* 1 if origin ("scheme://host[:port]") is the gateway itself as the
 * request reached it: http or https (a TLS proxy in front keeps Host) and
 * the Host header, compared without case. */
static int s_origin_is_own(const char *origin, const char *host)
{
    if (!host || !host[0]) return 0;
    const char *rest = strncasecmp(origin, "http://", 7) == 0    ? origin + 7
                       : strncasecmp(origin, "https://", 8) == 0 ? origin + 8
                                                                 : NULL;
    return rest && strcasecmp(rest, host) == 0;
}

/* 1 if origin is one of http_allowed_origins (space-separated, exact,
 * without case). */
static int s_origin_is_listed(const char *list, const char *origin)
{
    size_t olen = strlen(origin);
    for (const char *p = list; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, " \t,");
        if (n && n == olen && strncasecmp(p, origin, n) == 0) return 1;
        p += n;
    }
    return 0;
}

/* The browser guard of a state-changing request (POST, PUT, PATCH,
 * DELETE): a web page on another origin must not act through a browser on
 * the host, token or not. Refused 403: a Sec-Fetch-Site other than
 * same-origin or none, or an Origin other than the gateway's own, unless
 * that Origin is listed in http_allowed_origins; without tokens_file, a
 * client that is not on loopback. Refused 415: a body that is not
 * "Content-Type: application/json" (charset utf-8 allowed), which no HTML
 * form and no CORS-simple fetch can send. Returns 1 when the request may
 * go on; otherwise it has been answered. */
static int s_browser_guard(struct http *h, struct evhttp_request *req, int64_t started_us)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (m != EVHTTP_REQ_POST && m != EVHTTP_REQ_PUT && m != EVHTTP_REQ_PATCH && m != EVHTTP_REQ_DELETE) return 1;
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *origin = evhttp_find_header(in, "Origin");
    const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
    const char *peer = evhttp_find_header(in, HDR_PEER);
    int listed = origin && s_origin_is_listed(h->k->cfg.http_allowed_origins, origin);
    char msg[300];
    if (h->n_tokens < 0 && (!peer || strcmp(peer, "loopback") != 0)) {
        s_error_status(h, req, 403, "Forbidden", "FORBIDDEN", "",
                       "without tokens_file only loopback clients may change anything (configure tokens_file)",
                       started_us);
        return 0;
    }
    if (site && strcasecmp(site, "same-origin") != 0 && strcasecmp(site, "none") != 0 && !listed) {
        snprintf(msg, sizeof msg,
                 "Sec-Fetch-Site: %.40s: a page of another site may not change anything here (list its origin in "
                 "http_allowed_origins if it must)",
                 site);
        s_error_status(h, req, 403, "Forbidden", "FORBIDDEN", "Sec-Fetch-Site", msg, started_us);
        return 0;
    }
    if (origin && !listed && !s_origin_is_own(origin, evhttp_find_header(in, "Host"))) {
        snprintf(msg, sizeof msg,
                 "Origin %.100s is not this gateway's own; a page of another origin may not change anything here "
                 "(list it in http_allowed_origins if it must)",
                 origin);
        s_error_status(h, req, 403, "Forbidden", "FORBIDDEN", "Origin", msg, started_us);
        return 0;
    }
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0) {
        const char *ct = evhttp_find_header(in, "Content-Type");
        int ok = 0;
        if (ct && strncasecmp(ct, "application/json", 16) == 0) {
            const char *p = ct + 16;
            while (*p == ' ' || *p == '\t') p++;
            if (!*p) ok = 1;
            else if (*p == ';') {
                p++;
                while (*p == ' ' || *p == '\t') p++;
                ok = strncasecmp(p, "charset=", 8) == 0 &&
                     (strcasecmp(p + 8, "utf-8") == 0 || strcasecmp(p + 8, "\"utf-8\"") == 0);
            }
        }
        if (!ok) {
            snprintf(msg, sizeof msg,
                     "Content-Type %.80s: the body must be sent as \"Content-Type: application/json\"",
                     ct ? ct : "(none)");
            s_error_status(h, req, 415, "Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE", "Content-Type", msg,
                           started_us);
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- helpers */

/* The request body as a JSON object; answers 400 and returns NULL if not. */
static json_t *s_body_json(struct http *h, struct evhttp_request *req, int64_t started_us)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len == 0) {
        s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "", "the request needs a JSON object as its body", started_us);
        return NULL;
    }
    const char *data = (const char *)evbuffer_pullup(in, -1);
    json_error_t jerr;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        char msg[300];
        snprintf(msg, sizeof msg, "the body is not valid JSON: %s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "", msg, started_us);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "", "the body must be one JSON object", started_us);
        return NULL;
    }
    return v;
}

/* Runs fn now, or after the open transaction commits, so a read never
 * shows what a crash could still take back. */
struct later {
    void (*fn)(struct http *h, struct evhttp_request *req, void *arg, int64_t started_us);
    struct http *h;
    struct evhttp_request *req;
    void *arg;
    int64_t started_us;
};

static void s_on_later(void *arg, int committed)
{
    struct later *l = arg;
    l->fn(l->h, l->req, l->arg, l->started_us);
    free(l);
}

static void s_after_commit(struct http *h, struct evhttp_request *req,
                           void (*fn)(struct http *, struct evhttp_request *, void *, int64_t), void *arg,
                           int64_t started_us)
{
    if (!batch_is_pending(h->k->batch)) {
        fn(h, req, arg, started_us);
        return;
    }
    struct later *l = xmalloc(sizeof *l);
    *l = (struct later){fn, h, req, arg, started_us};
    batch_then(h->k->batch, s_on_later, l);
}

/* ------------------------------------------------------------ POST claims */

struct submit_ctx {
    struct http *h;
    struct evhttp_request *req;
    int64_t started_us;
};

static void s_on_submitted(void *arg, const struct intake_result *r)
{
    struct submit_ctx *c = arg;
    if (r->code) {
        s_error(c->h, c->req, r->code, r->field, r->message, c->started_us);
    } else {
        char id[32];
        klaim_id_format(r->claim_id, id, sizeof id);
        json_t *o = json_pack("{s:s,s:s,s:s,s:b}", "idempotency_key", r->idempotency_key, "claim_id", id, "state",
                              klaim_state_name((enum klaim_state)r->state), "duplicate", r->duplicate);
        s_send_json(c->h, c->req, r->duplicate ? 200 : 201, r->duplicate ? "OK" : "Created", o, c->started_us);
    }
    free(c);
}

static void s_post_claim(struct http *h, struct evhttp_request *req, const struct who *who, int64_t started_us)
{
    if (!s_require(h, req, who, who->role == ROLE_HOSPITAL || who->role == ROLE_ADMIN, "submit claims", started_us))
        return;
    json_t *body = s_body_json(h, req, started_us);
    if (!body) return;
    struct klaim_err err;
    Klaim__Claim *pb = claim_json_to_pb(body, &err);
    json_decref(body);
    if (!pb) {
        s_error(h, req, err.code ? err.code : KLAIM__ERROR_CODE__INVALID_CLAIM, err.field, err.message, started_us);
        return;
    }
    struct submit_ctx *c = xmalloc(sizeof *c);
    *c = (struct submit_ctx){h, req, started_us};
    char key[80];
    snprintf(key, sizeof key, "http:%s", who->owner);
    intake_submit(h->k->intake, pb, who->owner, who->name, key, s_on_submitted, c);
    claim_json_pb_free(pb);
}

/* ------------------------------------------------------------- GET claim */

struct claim_ctx {
    int64_t id;
    struct who who;
};

static void s_get_claim_now(struct http *h, struct evhttp_request *req, void *arg, int64_t started_us)
{
    struct claim_ctx *c = arg;
    struct store_claim_row row;
    int rc = store_get_by_id(h->k->store, c->id, &row);
    if (rc < 0) {
        s_error(h, req, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later", started_us);
    } else if (rc == 1 || (c->who.role == ROLE_HOSPITAL && !klaim_owner_is(row.owner, c->who.owner, c->who.name))) {
        /* Another client's claim is answered exactly like a missing one,
         * in the same words as ZeroMQ status (intake.h). */
        char id[32], msg[96];
        klaim_id_format(c->id, id, sizeof id);
        snprintf(msg, sizeof msg, "no claim %s" KLAIM_NOT_VISIBLE, id);
        s_error(h, req, KLAIM__ERROR_CODE__NOT_FOUND, "claim_id", msg, started_us);
    } else {
        struct claim_view *v = claim_view_new(h->k->intake, &row);
        json_t *o = decision_pb_to_json(claim_view_decision(v));
        claim_view_free(&v);
        s_send_json(h, req, 200, "OK", o, started_us);
    }
    if (rc == 0) store_claim_row_clear(&row);
    free(c);
}

static void s_get_claim(struct http *h, struct evhttp_request *req, const struct who *who, const char *id,
                        int64_t started_us)
{
    if (!s_require(h, req, who,
                   who->role == ROLE_HOSPITAL || who->role == ROLE_UPSTREAM || who->role == ROLE_REVIEWER ||
                       who->role == ROLE_ADMIN,
                   "read claims", started_us))
        return;
    int64_t cid;
    if (klaim_id_parse(id, &cid) != 0) {
        s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                "not a claim id (expected k- followed by digits, e.g. k-000000000042)", started_us);
        return;
    }
    struct claim_ctx *c = xmalloc(sizeof *c);
    c->id = cid;
    c->who = *who;
    s_after_commit(h, req, s_get_claim_now, c, started_us);
}

/* ---------------------------------------------------------------- review */

static int s_is_reviewer(const struct who *who) { return who->role == ROLE_REVIEWER || who->role == ROLE_ADMIN; }

struct review_list_ctx {
    int64_t after;
    int limit;
};

/* GET /v1/review: {"decisions": [decision JSON...], "more": bool}, the
 * ZeroMQ ReviewList's shape; page on with ?after= the last claim_id. */
static void s_review_list_now(struct http *h, struct evhttp_request *req, void *arg, int64_t started_us)
{
    struct review_list_ctx *c = arg;
    int64_t *ids = xcalloc((size_t)c->limit + 1, sizeof *ids);
    int n = 0;
    if (store_review_list(h->k->store, c->after, c->limit + 1, ids, &n) != 0) {
        s_error(h, req, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later", started_us);
    } else {
        int more = n > c->limit;
        if (more) n = c->limit;
        json_t *a = json_array();
        for (int i = 0; i < n; i++) {
            struct store_claim_row row;
            if (store_get_by_id(h->k->store, ids[i], &row) != 0) continue;
            struct claim_view *v = claim_view_new(h->k->intake, &row);
            json_array_append_new(a, decision_pb_to_json(claim_view_decision(v)));
            claim_view_free(&v);
            store_claim_row_clear(&row);
        }
        s_send_json(h, req, 200, "OK", json_pack("{s:o,s:b}", "decisions", a, "more", more), started_us);
    }
    free(ids);
    free(c);
}

static void s_get_review(struct http *h, struct evhttp_request *req, struct evkeyvalq *params, int64_t started_us)
{
    struct review_list_ctx c = {.limit = REVIEW_LIST_DEFAULT};
    const char *v = evhttp_find_header(params, "limit");
    if (v) {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || *end || !v[0] || n < 1 || n > REVIEW_LIST_MAX) {
            char msg[96];
            snprintf(msg, sizeof msg, "limit must be an integer 1..%d", REVIEW_LIST_MAX);
            s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "limit", msg, started_us);
            return;
        }
        c.limit = (int)n;
    }
    v = evhttp_find_header(params, "after");
    if (v && v[0] && klaim_id_parse(v, &c.after) != 0) {
        s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "after",
                "after must be a claim id (k- followed by digits), the last one of the previous page", started_us);
        return;
    }
    struct review_list_ctx *copy = xmalloc(sizeof *copy);
    *copy = c;
    s_after_commit(h, req, s_review_list_now, copy, started_us);
}

struct review_ctx {
    struct http *h;
    struct evhttp_request *req;
    int64_t started_us;
};

static void s_on_reviewed(void *arg, int code, const char *field, const char *message,
                          const struct store_claim_row *row)
{
    struct review_ctx *c = arg;
    if (code) {
        s_error(c->h, c->req, code, field, message, c->started_us);
    } else {
        struct claim_view *v = claim_view_new(c->h->k->intake, row);
        json_t *o = decision_pb_to_json(claim_view_decision(v));
        claim_view_free(&v);
        s_send_json(c->h, c->req, 200, "OK", o, c->started_us);
    }
    free(c);
}

/* POST /v1/claims/{id}/review {"action","by","note"?,"heirs"?}: the same
 * review_act() as ZeroMQ; the identity is the token's name (or "by:NAME"
 * without tokens_file). Answers the claim's decision JSON after COMMIT. */
static void s_post_review(struct http *h, struct evhttp_request *req, const struct who *who, const char *id,
                          int64_t started_us)
{
    json_t *body = s_body_json(h, req, started_us);
    if (!body) return;
    struct klaim_err err;
    Klaim__ReviewRequest *rr = review_json_to_pb(body, id, &err);
    json_decref(body);
    if (!rr) {
        s_error(h, req, err.code, err.field, err.message, started_us);
        return;
    }
    struct review_actor actor = {.keyed = h->n_tokens >= 0};
    snprintf(actor.client, sizeof actor.client, "%s", who->name);
    snprintf(actor.owner, sizeof actor.owner, "%s", who->owner);
    struct review_ctx *c = xmalloc(sizeof *c);
    *c = (struct review_ctx){h, req, started_us};
    review_act(h->k, &actor, rr, s_on_reviewed, c);
    protobuf_c_message_free_unpacked(&rr->base, NULL);
}

/* -------------------------------------------------------------- reports */

/* A report request in flight. The coverage report answers when its helper
 * ends; a client that left meanwhile is noticed through the connection's
 * close callback and not answered. */
struct report_ctx {
    struct http *h;
    struct evhttp_request *req;
    struct evhttp_connection *con;
    int64_t started_us;
    int gone;
    char kind[16], from[16], to[16], by[16], as_of[16];
};

static void s_report_gone(struct evhttp_connection *con, void *arg) { ((struct report_ctx *)arg)->gone = 1; }

static void s_report_done(void *arg, json_t *report, int code, const char *err)
{
    struct report_ctx *c = arg;
    if (!c->gone) {
        evhttp_connection_set_closecb(c->con, NULL, NULL);
        if (report) s_send_json(c->h, c->req, 200, "OK", report, c->started_us);
        else s_error(c->h, c->req, code, "", err, c->started_us);
    } else {
        json_decref(report);
    }
    free(c);
}

static void s_report_now(struct http *h, struct evhttp_request *req, void *arg, int64_t started_us)
{
    struct report_ctx *c = arg;
    upstream_report_json(h->k, c->kind, c->from, c->to, c->by, c->as_of, s_report_done, c);
}

static void s_get_report(struct http *h, struct evhttp_request *req, const char *kind, struct evkeyvalq *params,
                         int64_t started_us)
{
    struct report_ctx *c = xcalloc(1, sizeof *c);
    c->h = h;
    c->req = req;
    c->con = evhttp_request_get_connection(req);
    c->started_us = started_us;
    snprintf(c->kind, sizeof c->kind, "%s", kind);
    const char *v;
    if ((v = evhttp_find_header(params, "from"))) snprintf(c->from, sizeof c->from, "%.15s", v);
    if ((v = evhttp_find_header(params, "to"))) snprintf(c->to, sizeof c->to, "%.15s", v);
    if ((v = evhttp_find_header(params, "by"))) snprintf(c->by, sizeof c->by, "%.15s", v);
    if ((v = evhttp_find_header(params, "as_of"))) snprintf(c->as_of, sizeof c->as_of, "%.15s", v);
    evhttp_connection_set_closecb(c->con, s_report_gone, c);
    s_after_commit(h, req, s_report_now, c, started_us);
}

/* ------------------------------------------------------------- dispatch */

static void s_cases_now(struct http *h, struct evhttp_request *req, void *arg, int64_t started_us)
{
    json_t *a = cases_open_json(h->k->cases);
    if (!a) {
        s_error(h, req, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later", started_us);
        return;
    }
    json_t *o = json_pack("{s:I,s:o,s:I,s:{s:I,s:I,s:b}}", "head", (json_int_t)feed_head(h->k->feed), "cases", a,
                          "now_ms", (json_int_t)klaimd_now_ms(), "registry", "generation",
                          (json_int_t)registry_gen_current(h->k->reg), "imported_at_ms",
                          (json_int_t)registry_gen_imported_ms(h->k->reg), "stale", registry_gen_stale(h->k->reg));
    s_send_json(h, req, 200, "OK", o, started_us);
}

struct act_ctx {
    struct http *h;
    struct evhttp_request *req;
    int64_t started_us;
};

static void s_on_acted(void *arg, int code, const char *field, const char *message, const char *case_json, int changed)
{
    struct act_ctx *c = arg;
    if (code) {
        s_error(c->h, c->req, code, field, message, c->started_us);
    } else {
        json_error_t jerr;
        json_t *kase = json_loads(case_json, 0, &jerr);
        json_t *o = json_pack("{s:o,s:b}", "case", kase ? kase : json_null(), "changed", changed);
        s_send_json(c->h, c->req, 200, "OK", o, c->started_us);
    }
    free(c);
}

static void s_post_action(struct http *h, struct evhttp_request *req, const struct who *who, const char *case_id,
                          const char *verb, int64_t started_us)
{
    int action = strcmp(verb, "ack") == 0      ? KLAIM__DISPATCH_ACTION_TYPE__ACK
                 : strcmp(verb, "assign") == 0 ? KLAIM__DISPATCH_ACTION_TYPE__ASSIGN
                 : strcmp(verb, "close") == 0  ? KLAIM__DISPATCH_ACTION_TYPE__CLOSE
                                               : 0;
    if (!action) {
        s_error_status(h, req, 404, "Not Found", "NOT_FOUND", "", "dispatch actions are ack, assign and close",
                       started_us);
        return;
    }
    json_t *body = s_body_json(h, req, started_us);
    if (!body) return;
    static const char *const fields[] = {"by", "team", "note"};
    const char *v[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        json_t *f = json_object_get(body, fields[i]);
        if (f && !json_is_string(f)) {
            json_decref(body);
            s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, fields[i], "expected a string", started_us);
            return;
        }
        v[i] = f ? json_string_value(f) : NULL;
    }
    struct act_ctx *c = xmalloc(sizeof *c);
    *c = (struct act_ctx){h, req, started_us};
    cases_act(h->k->cases, case_id, action, v[0], v[1], v[2], who->name, s_on_acted, c);
    json_decref(body);
}

/* SSE: one "id: SEQ / data: JSON" message per event. */
static int s_sse_write(void *arg, uint64_t seq, const char *line, size_t len)
{
    struct sse *s = arg;
    struct evhttp_connection *con = evhttp_request_get_connection(s->req);
    if (!con) return -1;
    struct bufferevent *bev = evhttp_connection_get_bufferevent(con);
    if (bev && evbuffer_get_length(bufferevent_get_output(bev)) > SSE_MAX_UNSENT) return -1;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "id: %" PRIu64 "\ndata: ", seq);
    evbuffer_add(b, line, len);
    evbuffer_add(b, "\n\n", 2);
    evhttp_send_reply_chunk(s->req, b);
    evbuffer_free(b);
    return 0;
}

static void s_sse_unlink(struct sse *s)
{
    struct http *h = s->h;
    if (s->prev) s->prev->next = s->next;
    else h->sses = s->next;
    if (s->next) s->next->prev = s->prev;
    h->k->metrics->sse_clients--;
}

/* The feed dropped a slow subscriber: end its stream. */
static void s_sse_gone(void *arg)
{
    struct sse *s = arg;
    log_info("http: SSE client too slow (more than 1 MB unsent); closing its stream");
    s_sse_unlink(s);
    struct evhttp_connection *con = evhttp_request_get_connection(s->req);
    if (con) evhttp_connection_set_closecb(con, NULL, NULL);
    evhttp_send_reply_end(s->req);
    free(s);
}

/* The client closed the stream. */
static void s_sse_closed(struct evhttp_connection *con, void *arg)
{
    struct sse *s = arg;
    s_sse_unlink(s);
    feed_unsubscribe(s->h->k->feed, s->sub);
    evhttp_send_reply_end(s->req);
    free(s);
}

static void s_get_sse(struct http *h, struct evhttp_request *req, const struct who *who, const char *since_s)
{
    if (!s_require(h, req, who, who->role == ROLE_CONSOLE || who->role == ROLE_ADMIN, "follow the dispatch feed", 0))
        return;
    const char *last = evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
    const char *from = last && last[0] ? last : since_s;
    uint64_t since = 0;
    if (from && from[0]) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(from, &end, 10);
        if (errno || *end || from[0] == '-') {
            s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "since", "since must be a feed seq (0 or more)", 0);
            return;
        }
        since = v;
    } else {
        since = feed_head(h->k->feed); /* no cursor: live events only */
    }
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", "text/event-stream");
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    evhttp_add_header(hdr, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    s_count(h, req, 200, 0);
    struct sse *s = xcalloc(1, sizeof *s);
    s->h = h;
    s->req = req;
    s->who = *who;
    s->next = h->sses;
    if (h->sses) h->sses->prev = s;
    h->sses = s;
    h->k->metrics->sse_clients++;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "retry: 2000\n: klaimd feed head %" PRIu64 "\n\n", feed_head(h->k->feed));
    evhttp_send_reply_chunk(req, b);
    evbuffer_free(b);
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), s_sse_closed, s);
    s->sub = feed_subscribe(h->k->feed, since, s_sse_write, s_sse_gone, s);
}

/* Every 15 s a comment line, so proxies keep the stream and a vanished
 * client shows up as a write error. */
static void s_on_ping(evutil_socket_t fd, short what, void *arg)
{
    struct http *h = arg;
    for (struct sse *s = h->sses; s; s = s->next) {
        struct evbuffer *b = evbuffer_new();
        evbuffer_add_printf(b, ": ping\n\n");
        evhttp_send_reply_chunk(s->req, b);
        evbuffer_free(b);
    }
}

/* ----------------------------------------------------------------- static */

/* A GET outside /v1/ and /metrics: the embedded console files and
 * /openapi.json (console_assets.h), open to every client because they hold
 * nothing secret; anything else is a 404 JSON error. */
static void s_static(struct http *h, struct evhttp_request *req, const char *path, int64_t started_us)
{
    if (strcmp(path, "/") == 0) path = "/index.html";
    for (size_t i = 0; i < console_assets_n; i++) {
        const struct console_asset *a = &console_assets[i];
        if (strcmp(a->path, path) != 0) continue;
        struct evbuffer *out = evbuffer_new();
        evbuffer_add_reference(out, a->data, a->len, NULL, NULL);
        struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
        evhttp_add_header(hdr, "Content-Type", a->type);
        evhttp_add_header(hdr, "Cache-Control", "no-cache");
        evhttp_add_header(hdr, "Content-Security-Policy",
                          "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'");
        evhttp_send_reply(req, 200, "OK", out);
        evbuffer_free(out);
        s_count(h, req, 200, started_us);
        return;
    }
    s_error_status(h, req, 404, "Not Found", "NOT_FOUND", "path", "no such page or endpoint (see GET /)", started_us);
}

/* ------------------------------------------------------------ framing */

/* The stand-in request of a refused one (s_stand_in): answers the reject
 * it carries as JSON and closes. Returns 0 if req is not one. Only klaimd
 * can send it: reject_path holds a random nonce and the framer drops
 * X-Klaimd-* headers from clients. */
static int s_answer_reject(struct http *h, struct evhttp_request *req, int64_t started_us)
{
    const char *uri = evhttp_request_get_uri(req);
    if (!uri || strcmp(uri, h->reject_path) != 0) return 0;
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *status = evhttp_find_header(in, "X-Klaimd-Status");
    const char *reason = evhttp_find_header(in, "X-Klaimd-Reason");
    const char *code = evhttp_find_header(in, "X-Klaimd-Code");
    const char *field = evhttp_find_header(in, "X-Klaimd-Field");
    const char *message = evhttp_find_header(in, "X-Klaimd-Message");
    int st = status ? atoi(status) : 0;
    if (st < 400 || st > 599 || !reason || !code) return 0;
    log_debug("http: refused a request: %d %s (%s)", st, message ? message : "", field ? field : "");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    s_error_status(h, req, st, reason, code, field, message, started_us);
    return 1;
}

static void s_conn_free(struct http_conn *c)
{
    if (c->prev) c->prev->next = c->next;
    else c->h->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    http_framer_free(&c->fr);
    event_free(c->timer);
    if (c->back) bufferevent_free(c->back);
    bufferevent_free(c->cli);
    free(c);
}

/* Sends evhttp the stand-in of a refused request; reads nothing more from
 * the client. evhttp answers it after the requests before it, then closes
 * the connection, and so does s_on_back_event. */
static void s_stand_in(struct http_conn *c, const struct http_reject *rej)
{
    char field[80], message[300];
    s_header_safe(field, sizeof field, rej->field);
    s_header_safe(message, sizeof message, rej->message);
    c->rejected = 1;
    evtimer_del(c->timer);
    bufferevent_disable(c->cli, EV_READ);
    if (!c->back) return;
    evbuffer_add_printf(bufferevent_get_output(c->back),
                        "GET %s HTTP/1.1\r\nConnection: close\r\nX-Klaimd-Status: %d\r\nX-Klaimd-Reason: %s\r\n"
                        "X-Klaimd-Code: %s\r\nX-Klaimd-Field: %s\r\nX-Klaimd-Message: %s\r\n\r\n",
                        c->h->reject_path, rej->status, rej->reason, rej->code, field, message);
}

static void s_emit(void *arg, enum http_emit_kind kind, const char *data, size_t len)
{
    struct http_conn *c = arg;
    if (kind == HTTP_EMIT_REQUEST) {
        if (!c->back) return;
        /* The framer ends the request line with CRLF: klaimd's peer header
         * goes right after it (s_browser_guard reads it). */
        const char *eol = memchr(data, '\n', len);
        size_t line = eol ? (size_t)(eol - data) + 1 : 0;
        bufferevent_write(c->back, data, line);
        const char *peer = c->loopback ? HDR_PEER ": loopback\r\n" : HDR_PEER ": remote\r\n";
        bufferevent_write(c->back, peer, strlen(peer));
        bufferevent_write(c->back, data + line, len - line);
    } else {
        bufferevent_write(c->cli, data, len); /* 100 Continue */
    }
}

static void s_arm_timer(struct http_conn *c)
{
    if (!http_framer_partial(c->fr)) {
        evtimer_del(c->timer);
        return;
    }
    int ms = c->h->k->cfg.http_body_timeout_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
}

/* Bytes from the client: through the framer, whole requests on to evhttp. */
static void s_on_cli_read(struct bufferevent *bev, void *arg)
{
    struct http_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    if (c->rejected) {
        evbuffer_drain(in, n);
        return;
    }
    struct http_reject rej;
    const char *p = (const char *)evbuffer_pullup(in, -1);
    int rc = n ? http_framer_feed(c->fr, p, n, s_emit, c, &rej) : 0;
    evbuffer_drain(in, n);
    if (rc != 0) s_stand_in(c, &rej);
    else s_arm_timer(c);
}

/* No byte of an incomplete request for http_body_timeout_ms: 408. */
static void s_on_body_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct http_conn *c = arg;
    if (c->rejected || !http_framer_partial(c->fr)) return;
    struct http_reject rej = {408, "Request Timeout", "TIMEOUT", "request", ""};
    snprintf(rej.message, sizeof rej.message,
             "the request was not complete and nothing more came for %d ms (http_body_timeout_ms); send the whole "
             "request, with all the body its headers announce",
             c->h->k->cfg.http_body_timeout_ms);
    s_stand_in(c, &rej);
}

/* evhttp's replies, to the client. A client that does not read gets no
 * more than CLIENT_MAX_UNSENT buffered here: then evhttp's own output
 * grows, where the SSE limit (SSE_MAX_UNSENT) sees it. */
#define CLIENT_MAX_UNSENT (1 << 20)
static void s_on_back_read(struct bufferevent *bev, void *arg)
{
    struct http_conn *c = arg;
    bufferevent_write_buffer(c->cli, bufferevent_get_input(bev));
    if (evbuffer_get_length(bufferevent_get_output(c->cli)) > CLIENT_MAX_UNSENT) bufferevent_disable(bev, EV_READ);
}

/* The client took what was buffered: read evhttp again, or, once evhttp
 * has closed its side, close the client. */
static void s_on_cli_write(struct bufferevent *bev, void *arg)
{
    struct http_conn *c = arg;
    if (!c->back) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) s_conn_free(c);
        return;
    }
    bufferevent_enable(c->back, EV_READ);
}

/* evhttp closed its side (a reply with Connection: close, an SSE stream
 * ended, its timeout): the client gets what is left, then is closed. */
static void s_on_back_event(struct bufferevent *bev, short what, void *arg)
{
    struct http_conn *c = arg;
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) return;
    bufferevent_free(c->back);
    c->back = NULL;
    c->rejected = 1;
    bufferevent_disable(c->cli, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c->cli)) == 0) s_conn_free(c);
    else bufferevent_setwatermark(c->cli, EV_WRITE, 0, 0); /* s_on_cli_write once all is sent */
}

/* The client closed or failed: evhttp's side closes too (an SSE stream
 * sees it and unsubscribes). A client that half-closes after its request
 * gets no reply. */
static void s_on_cli_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) s_conn_free(arg);
}

/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static int s_is_loopback(const struct sockaddr *sa, int salen)
{
    if (sa->sa_family == AF_INET && salen >= (int)sizeof(struct sockaddr_in))
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6 && salen >= (int)sizeof(struct sockaddr_in6)) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static void s_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct http *h = arg;
    struct event_base *base = h->k->base;
    struct http_conn *c = xcalloc(1, sizeof *c);
    c->h = h;
    c->loopback = s_is_loopback(sa, salen);
    struct http_parse_limits lim = {HTTP_HEAD_MAX, h->k->cfg.http_max_body_bytes};
    c->fr = http_framer_new(&lim);
    c->timer = evtimer_new(base, s_on_body_timeout, c);
    c->cli = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->back = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    ASSERT(c->timer && c->cli && c->back);
    c->next = h->conns;
    if (h->conns) h->conns->prev = c;
    h->conns = c;
    bufferevent_setcb(c->cli, s_on_cli_read, s_on_cli_write, s_on_cli_event, c);
    bufferevent_setwatermark(c->cli, EV_WRITE, CLIENT_MAX_UNSENT / 4, 0);
    bufferevent_setcb(c->back, s_on_back_read, NULL, s_on_back_event, c);
    if (bufferevent_socket_connect(c->back, (struct sockaddr *)&h->back_addr, sizeof h->back_addr) != 0) {
        log_warn("http: cannot reach evhttp on %s: %s; closing a client connection", h->back_addr.sun_path,
                 strerror(errno));
        s_conn_free(c);
        return;
    }
    bufferevent_enable(c->back, EV_READ | EV_WRITE);
    bufferevent_enable(c->cli, EV_READ | EV_WRITE);
}

/* ----------------------------------------------------------------- router */

static void s_route(struct evhttp_request *req, void *arg)
{
    struct http *h = arg;
    int64_t started = klaimd_mono_us();
    if (s_answer_reject(h, req, started)) return;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
    char *path = raw ? evhttp_uridecode(raw, 0, NULL) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    struct evkeyvalq params;
    TAILQ_INIT(&params);
    if (query) evhttp_parse_query_str(query, &params);
    if (!path || !path[0]) {
        s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "path", "bad request path", started);
        goto out;
    }
    int is_get = method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD;
    int is_post = method == EVHTTP_REQ_POST;
    size_t body_len = evbuffer_get_length(evhttp_request_get_input_buffer(req));
    if ((int64_t)body_len > h->k->cfg.http_max_body_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg, "the body has %zu bytes; the limit is %lld (http_max_body_bytes)", body_len,
                 (long long)h->k->cfg.http_max_body_bytes);
        s_error(h, req, KLAIM__ERROR_CODE__TOO_LARGE, "", msg, started);
        goto out;
    }

    if (strcmp(path, "/healthz") == 0 && is_get) {
        /* 503 while degraded (the store cannot commit: no claim can be
         * taken), so a load balancer sends hospitals elsewhere meanwhile. */
        int degraded = batch_degraded(h->k->batch);
        json_t *o = json_pack("{s:s,s:b,s:I}", "status", degraded ? "degraded" : "ok", "stopping",
                              h->k->stopping, "feed_seq", (json_int_t)feed_head(h->k->feed));
        s_send_json(h, req, degraded ? 503 : 200, degraded ? "Service Unavailable" : "OK", o, started);
        goto out;
    }
    if (is_get && strncmp(path, "/v1/", 4) != 0 && strcmp(path, "/metrics") != 0) {
        s_static(h, req, path, started);
        goto out;
    }
    struct who who;
    if (!s_authenticate(h, req, evhttp_find_header(&params, "access_token"), &who, started)) goto out;
    if (!s_browser_guard(h, req, started)) goto out;
    if (strcmp(path, "/metrics") == 0 && is_get) {
        if (!s_require(h, req, &who, who.role == ROLE_MONITOR || who.role == ROLE_ADMIN, "read metrics", started))
            goto out;
        struct evbuffer *out = evbuffer_new();
        metrics_render(h->k, out);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
        evhttp_send_reply(req, 200, "OK", out);
        evbuffer_free(out);
        s_count(h, req, 200, started);
        goto out;
    }
    if (strcmp(path, "/v1/claims") == 0) {
        if (is_post) s_post_claim(h, req, &who, started);
        else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use POST", started);
        goto out;
    }
    if (strncmp(path, "/v1/claims/", 11) == 0 && strchr(path + 11, '/') &&
        strcmp(strchr(path + 11, '/'), "/review") == 0) {
        char id[32];
        size_t n = (size_t)(strchr(path + 11, '/') - (path + 11));
        snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), path + 11);
        if (!s_require(h, req, &who, s_is_reviewer(&who), "review claims (reviewer, admin)", started)) goto out;
        if (n >= sizeof id)
            s_error(h, req, KLAIM__ERROR_CODE__BAD_REQUEST, "claim_id",
                    "not a claim id (expected k- followed by digits, e.g. k-000000000042)", started);
        else if (is_post) s_post_review(h, req, &who, id, started);
        else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use POST", started);
        goto out;
    }
    if (strcmp(path, "/v1/review") == 0) {
        if (!s_require(h, req, &who, s_is_reviewer(&who), "list the review queue (reviewer, admin)", started))
            goto out;
        if (is_get) s_get_review(h, req, &params, started);
        else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use GET", started);
        goto out;
    }
    if (strncmp(path, "/v1/claims/", 11) == 0 && !strchr(path + 11, '/')) {
        if (is_get) s_get_claim(h, req, &who, path + 11, started);
        else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use GET", started);
        goto out;
    }
    if (strcmp(path, "/v1/reports/claims") == 0 || strcmp(path, "/v1/reports/coverage") == 0) {
        if (!s_require(h, req, &who, who.role == ROLE_CONSOLE || who.role == ROLE_UPSTREAM || who.role == ROLE_ADMIN,
                       "read reports", started))
            goto out;
        if (is_get) s_get_report(h, req, path + strlen("/v1/reports/"), &params, started);
        else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use GET", started);
        goto out;
    }
    if (strcmp(path, "/v1/dispatch") == 0) {
        if (is_get) s_get_sse(h, req, &who, evhttp_find_header(&params, "since"));
        else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use GET", started);
        goto out;
    }
    if (strcmp(path, "/v1/dispatch/cases") == 0) {
        if (!s_require(h, req, &who, who.role == ROLE_CONSOLE || who.role == ROLE_ADMIN, "read dispatch cases",
                       started))
            goto out;
        if (is_get) s_after_commit(h, req, s_cases_now, NULL, started);
        else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use GET", started);
        goto out;
    }
    if (strncmp(path, "/v1/dispatch/", 13) == 0) {
        char id[32], verb[16];
        const char *rest = path + 13;
        const char *slash = strchr(rest, '/');
        if (slash && (size_t)(slash - rest) < sizeof id && strlen(slash + 1) < sizeof verb && !strchr(slash + 1, '/')) {
            snprintf(id, sizeof id, "%.*s", (int)(slash - rest), rest);
            snprintf(verb, sizeof verb, "%s", slash + 1);
            if (!s_require(h, req, &who, who.role == ROLE_CONSOLE || who.role == ROLE_ADMIN, "act on dispatch cases",
                           started))
                goto out;
            if (is_post) s_post_action(h, req, &who, id, verb, started);
            else s_error_status(h, req, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "", "use POST", started);
            goto out;
        }
    }
    s_error_status(h, req, 404, "Not Found", "NOT_FOUND", "path", "no such endpoint (see interface.md)", started);
out:
    evhttp_clear_headers(&params);
    free(path);
}

/* ------------------------------------------------------------- lifecycle */

/* Reads and parses a whole tokens file into a new array (*out, *n); the
 * caller owns it. -1 with err naming the file (and line) on any problem:
 * a half-read file is never used. */
static int s_read_tokens(const char *path, struct http_token **out, int *n_out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "tokens_file = \"%s\": cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 20;
    char *text = xmalloc(cap + 1);
    size_t n = fread(text, 1, cap, f);
    int bad = ferror(f) || (n == cap && fgetc(f) != EOF);
    fclose(f);
    if (bad) {
        free(text);
        snprintf(err, errlen, "tokens_file %s: cannot read it whole (larger than %zu bytes, or a read error)", path,
                 cap);
        return -1;
    }
    text[n] = '\0';
    char why[256];
    struct http_token *t = xcalloc(HTTP_MAX_TOKENS, sizeof *t);
    int count = http_tokens_parse(text, t, HTTP_MAX_TOKENS, why, sizeof why);
    free(text);
    if (count < 0) {
        free(t);
        snprintf(err, errlen, "tokens_file %s: %s", path, why);
        return -1;
    }
    *out = t;
    *n_out = count;
    return 0;
}

int http_reload_tokens(struct http *h, const char *path, char *err, size_t errlen)
{
    if (!path[0]) {
        if (h->n_tokens < 0) return 0;
        snprintf(err, errlen, "tokens_file was removed from the configuration: going back to \"every loopback "
                              "client is admin\" needs a restart; keeping the %d running tokens", h->n_tokens);
        return -1;
    }
    struct http_token *t;
    int n;
    if (s_read_tokens(path, &t, &n, err, errlen) != 0) return -1;
    /* The main loop is the only reader: the swap is atomic for requests. */
    free(h->tokens);
    h->tokens = t;
    h->n_tokens = n;
    /* An open SSE stream whose token (hash, role, name) is gone ends now; the
     * console reconnects and meets the 401. */
    for (struct sse *s = h->sses, *next; s; s = next) {
        next = s->next;
        int held = 0;
        for (int i = 0; i < n && !held; i++)
            held = h->tokens[i].role == s->who.role && strcmp(h->tokens[i].name, s->who.name) == 0 &&
                   memcmp(h->tokens[i].hash, s->who.hash, 32) == 0;
        if (held) continue;
        log_info("http: ending the dispatch stream of \"%s\": its token is no longer in tokens_file", s->who.name);
        struct evhttp_connection *con = evhttp_request_get_connection(s->req);
        if (con) evhttp_connection_set_closecb(con, NULL, NULL);
        s_sse_unlink(s);
        feed_unsubscribe(h->k->feed, s->sub);
        evhttp_send_reply_end(s->req);
        free(s);
    }
    return n;
}

struct http *http_new(struct klaimd *k, char *err, size_t errlen)
{
    struct http *h = xcalloc(1, sizeof *h);
    h->k = k;
    h->n_tokens = -1;
    if (k->cfg.tokens_file[0] && s_read_tokens(k->cfg.tokens_file, &h->tokens, &h->n_tokens, err, errlen) != 0)
        goto fail;
    char host[256];
    snprintf(host, sizeof host, "%s", k->cfg.http_listen);
    char *colon = strrchr(host, ':');
    int port = atoi(colon + 1);
    *colon = '\0';
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        char *rb = strchr(host, ']');
        if (rb) *rb = '\0';
    }
    h->back_fd = -1;
    h->ev = evhttp_new(k->base);
    /* The framer (s_on_accept) holds requests to these limits and answers
     * above them itself; evhttp's own limits only leave room for its
     * normal form (one Content-Length line more). */
    unsigned char nonce[8];
    randombytes_buf(nonce, sizeof nonce);
    snprintf(h->reject_path, sizeof h->reject_path, "/.klaimd-refused-%02x%02x%02x%02x%02x%02x%02x%02x", nonce[0],
             nonce[1], nonce[2], nonce[3], nonce[4], nonce[5], nonce[6], nonce[7]);
    evhttp_set_max_body_size(h->ev, k->cfg.http_max_body_bytes);
    evhttp_set_max_headers_size(h->ev, HTTP_HEAD_MAX + 1024);
    evhttp_set_allowed_methods(h->ev, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
    evhttp_set_timeout(h->ev, 60);
    evhttp_set_gencb(h->ev, s_route, h);
    /* evhttp listens on a private unix socket (run_dir is 0700; the data
     * dir lock makes a stale one ours to remove); klaimd listens on
     * http_listen and frames every request before it goes there. */
    h->back_addr.sun_family = AF_UNIX;
    if (snprintf(h->back_addr.sun_path, sizeof h->back_addr.sun_path, "%s/http.sock", k->cfg.run_dir) >=
        (int)sizeof h->back_addr.sun_path) {
        snprintf(err, errlen, "data_dir %s is too long for a unix socket path (%zu bytes at most)", k->cfg.data_dir,
                 sizeof h->back_addr.sun_path - 20);
        goto fail;
    }
    unlink(h->back_addr.sun_path);
    h->back_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->back_fd < 0 || bind(h->back_fd, (struct sockaddr *)&h->back_addr, sizeof h->back_addr) != 0 ||
        listen(h->back_fd, 1024) != 0 || !evhttp_accept_socket_with_handle(h->ev, h->back_fd)) {
        snprintf(err, errlen, "cannot listen on %s for the HTTP gateway: %s", h->back_addr.sun_path, strerror(errno));
        goto fail;
    }
    char where[300];
    snprintf(where, sizeof where, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
             strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, port);
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    if (evutil_parse_sockaddr_port(where, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "http_listen = \"%s\": not an address and port (e.g. 127.0.0.1:7780)", k->cfg.http_listen);
        goto fail;
    }
    h->listener = evconnlistener_new_bind(k->base, s_on_accept, h,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
                                          (struct sockaddr *)&ss, sslen);
    if (!h->listener) {
        snprintf(err, errlen, "http_listen = \"%s\": cannot listen: %s (port taken? set http_listen, or empty for none)",
                 k->cfg.http_listen, strerror(errno));
        goto fail;
    }
    h->ping_ev = event_new(k->base, -1, EV_PERSIST, s_on_ping, h);
    struct timeval tv = {15, 0};
    event_add(h->ping_ev, &tv);
    if (h->n_tokens < 0) log_warn("http: no tokens_file: every HTTP client on %s is admin", k->cfg.http_listen);
    else log_info("http: %d bearer tokens from %s", h->n_tokens, k->cfg.tokens_file);
    if (strncmp(host, "127.", 4) != 0 && strcmp(host, "localhost") != 0 && strcmp(host, "::1") != 0)
        log_warn("http: %s is not loopback and evhttp has no TLS: put a TLS proxy in front", k->cfg.http_listen);
    return h;
fail:
    http_free(&h);
    return NULL;
}

void http_free(struct http **hp)
{
    struct http *h = *hp;
    if (!h) return;
    while (h->sses) {
        struct sse *s = h->sses;
        struct evhttp_connection *con = evhttp_request_get_connection(s->req);
        if (con) evhttp_connection_set_closecb(con, NULL, NULL);
        s_sse_unlink(s);
        feed_unsubscribe(h->k->feed, s->sub);
        free(s);
    }
    if (h->ping_ev) event_free(h->ping_ev);
    if (h->listener) evconnlistener_free(h->listener);
    while (h->conns) s_conn_free(h->conns);
    if (h->ev) evhttp_free(h->ev); /* closes back_fd */
    else if (h->back_fd >= 0) close(h->back_fd);
    if (h->back_addr.sun_path[0]) unlink(h->back_addr.sun_path);
    free(h->tokens);
    free(h);
    *hp = NULL;
}

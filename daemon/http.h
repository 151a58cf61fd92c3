/* http.h - the HTTP gateway: evhttp in klaimd's event base.
 *
 * Owns: the listener at http_listen, routing, bearer tokens and roles,
 *   body limits, JSON errors, SSE streams of the dispatch feed, and the
 *   embedded web console.
 * Runs in: klaimd main loop only.
 * Invariants: a write is answered after its COMMIT (it goes through the
 *   same intake_submit / cases_act paths as ZeroMQ); every refused request
 *   gets a 4xx JSON error {"error":{"code","field","message"}}; a body above
 *   http_max_body_bytes gets 413. Tokens are kept as SHA-256 and compared
 *   in constant time. Without tokens_file every client is admin (loopback
 *   only, as ZeroMQ without CURVE). A state-changing request (POST, PUT,
 *   PATCH, DELETE) from a browser page of another origin gets 403 (Origin,
 *   Sec-Fetch-Site; http_allowed_origins lists exceptions), and one with a
 *   body that is not application/json gets 415. Every answered request is
 *   one access-log line (http: METHOD PATH STATUS IDENTITY DURATION).
 * Routes (interface.md, proto/PROTOCOL.md "HTTP"):
 *   GET  /healthz                       open
 *   GET  /metrics                       monitor, admin (open without tokens_file)
 *   GET  / /app.js /style.css           open (the console asks for a token)
 *   POST /v1/claims                     hospital, admin
 *   GET  /v1/claims/{id}                hospital (own), upstream, reviewer, admin
 *   POST /v1/claims/{id}/review         reviewer, admin (approve|reject|confirm)
 *   GET  /v1/review?limit=&after=       reviewer, admin (the review queue)
 *   GET  /v1/dispatch?since=SEQ         console, admin (SSE; Last-Event-ID)
 *   GET  /v1/dispatch/cases             console, admin (open cases + head)
 *   POST /v1/dispatch/{case}/ack|assign|close   console, admin
 */
#ifndef KLAIM_HTTP_H
#define KLAIM_HTTP_H
#include <stddef.h>

struct klaimd;
struct http;

/* Loads the tokens and binds; NULL with err (a config error: exit 78). */
struct http *http_new(struct klaimd *k, char *err, size_t errlen);
void http_free(struct http **h);
/* SIGHUP: reads tokens_file path anew and, if it is whole and valid,
 * replaces the running tokens at once (a removed token fails its next
 * request, an added one works). Returns the new count, or -1 with err and
 * the running tokens kept. An empty path keeps "no tokens" as it is, but
 * dropping tokens that are in use needs a restart (-1). */
int http_reload_tokens(struct http *h, const char *path, char *err, size_t errlen);

/* Parses a tokens file ("SHA256_HEX ROLE NAME" per line, # comments).
 * Pure; exposed for the unit test. Returns the count, or -1 with err
 * naming the line (a NAME used twice is refused, naming both lines). */
struct http_token {
    unsigned char hash[32];
    int role;                   /* enum klaim_role */
    char name[65];              /* unique in the file (a label; the owner id is the hash's prefix) */
    int line;                   /* where it was read, for refusals */
};
int http_tokens_parse(const char *text, struct http_token *out, int max, char *err, size_t errlen);

#endif

/* http_parse.h - strict HTTP/1.1 request framing in front of evhttp.
 *
 * Owns: what klaimd accepts as an HTTP request on the wire: the request
 *   line, the header block, the body's framing (one Content-Length, or
 *   Transfer-Encoding: chunked alone) and their limits. Every request that
 *   passes is handed on normalized (request line and headers as sent,
 *   without Content-Length, Transfer-Encoding, Expect and X-Klaimd-* (klaimd's
 *   own, between its framer and evhttp), then one
 *   "Content-Length: N" and the de-chunked body), so evhttp parses only
 *   requests it cannot frame differently from a proxy in front of klaimd.
 *   The first request that does not pass ends the connection's input: the
 *   caller answers the reject (status, typed code, field, message) as JSON
 *   and closes.
 * Runs in: klaimd's main loop (http.c feeds it from a bufferevent filter)
 *   and the fuzz harness tests/fuzz/fuzz_http.c. Pure C: no libevent, no
 *   I/O, no globals, so the fuzzer runs exactly klaimd's code.
 * Rejected (status): request line not "METHOD SP /target SP HTTP/1.x" (400),
 *   a method other than GET HEAD POST PUT DELETE PATCH OPTIONS (405), an
 *   HTTP version other than 1.0 and 1.1 (505), a target outside RFC 3986's
 *   characters or with a bad %-escape (400), a line not ended by CRLF, a
 *   header without a token name and ':' right after it, a folded header,
 *   control characters in a value (400), more than 100 headers or a head
 *   above max_head_bytes (431), a Content-Length that is not digits, a
 *   second Content-Length (equal or not) or a list of them, Content-Length
 *   with Transfer-Encoding, a Transfer-Encoding other than one "chunked",
 *   chunked in HTTP/1.0, two Host headers, a body on HEAD (400), a chunk
 *   size that is not 1-15 hex digits followed by an optional extension and
 *   CRLF, chunk data not followed by CRLF, a bad trailer line (400), a body
 *   above max_body_bytes (413, as soon as it is announced or counted).
 */
#ifndef KLAIM_HTTP_PARSE_H
#define KLAIM_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_PARSE_MAX_HEADERS 100

struct http_parse_limits {
    size_t max_head_bytes;      /* request line + headers (and, apart, the trailers) */
    int64_t max_body_bytes;     /* http_max_body_bytes */
};

/* Why a request was refused: the HTTP status and reason, klaimd's typed
 * error code name (BAD_REQUEST, TOO_LARGE, ...), the field (header name or
 * "request-line", "chunk-size", "body") and a message saying what to fix. */
struct http_reject {
    int status;
    const char *reason;
    const char *code;
    char field[64];
    char message[256];
};

/* What the framer hands back while it is fed. */
enum http_emit_kind {
    HTTP_EMIT_REQUEST,          /* data: one whole normalized request */
    HTTP_EMIT_CONTINUE,         /* the head asked "Expect: 100-continue": send "100 Continue" now */
};
typedef void (*http_emit_fn)(void *arg, enum http_emit_kind kind, const char *data, size_t len);

struct http_framer;

struct http_framer *http_framer_new(const struct http_parse_limits *lim);
void http_framer_free(struct http_framer **f);

/* Feeds the next len bytes of the connection. Each request completed by
 * them is emitted (in order) through emit; the rest is kept. Returns 0, or
 * -1 with rej filled when a request is refused: it and everything after it
 * is dropped, and every later call returns -1 again without looking at the
 * bytes. */
int http_framer_feed(struct http_framer *f, const char *data, size_t len, http_emit_fn emit, void *arg,
                     struct http_reject *rej);

/* 1 when bytes of a request that is not complete yet are held (a head
 * without its end, or a body not all there): the caller's body timeout
 * runs only then. */
int http_framer_partial(const struct http_framer *f);

#endif

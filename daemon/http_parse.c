/* http_parse.c - see http_parse.h. */
#include "http_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define CHUNK_LINE_MAX 4096     /* a chunk-size line, extension included */
#define TARGET_MAX 8192

enum state { ST_HEAD, ST_BODY, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_CRLF, ST_TRAILER, ST_DEAD };

struct buf {
    char *p;
    size_t len, cap;
};

struct http_framer {
    struct http_parse_limits lim;
    enum state st;
    struct buf in;              /* bytes received, not yet framed; in.p[off..] */
    size_t off;
    size_t scan;                /* ST_HEAD: where the search for the head's end resumes */
    struct buf out;             /* the normalized request being built: head, then body */
    struct buf body;
    int64_t remaining;          /* ST_BODY, ST_CHUNK_DATA: bytes still to come */
    int64_t body_total;
    size_t trailer_bytes;
    int head_method;            /* HEAD: answered without a body */
};

static void s_add(struct buf *b, const char *p, size_t n)
{
    if (n == 0) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n) cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

struct http_framer *http_framer_new(const struct http_parse_limits *lim)
{
    struct http_framer *f = xcalloc(1, sizeof *f);
    f->lim = *lim;
    return f;
}

void http_framer_free(struct http_framer **fp)
{
    struct http_framer *f = *fp;
    if (!f) return;
    free(f->in.p);
    free(f->out.p);
    free(f->body.p);
    free(f);
    *fp = NULL;
}

int http_framer_partial(const struct http_framer *f)
{
    if (f->st == ST_DEAD) return 0;
    return f->st != ST_HEAD || f->in.len > f->off;
}

/* Fills rej and kills the framer: nothing after a refused request is read. */
__attribute__((format(printf, 6, 7))) static int s_reject(struct http_framer *f, struct http_reject *rej, int status,
                                                          const char *code, const char *field, const char *fmt, ...)
{
    rej->status = status;
    switch (status) {
    case 400: rej->reason = "Bad Request"; break;
    case 405: rej->reason = "Method Not Allowed"; break;
    case 413: rej->reason = "Payload Too Large"; break;
    case 417: rej->reason = "Expectation Failed"; break;
    case 431: rej->reason = "Request Header Fields Too Large"; break;
    case 505: rej->reason = "HTTP Version Not Supported"; break;
    default: rej->reason = "Bad Request"; break;
    }
    rej->code = code;
    snprintf(rej->field, sizeof rej->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rej->message, sizeof rej->message, fmt, ap);
    va_end(ap);
    f->st = ST_DEAD;
    free(f->in.p);
    free(f->out.p);
    free(f->body.p);
    memset(&f->in, 0, sizeof f->in);
    memset(&f->out, 0, sizeof f->out);
    memset(&f->body, 0, sizeof f->body);
    f->off = 0;
    return -1;
}

/* RFC 9110 tchar: the characters of a method or a header name. */
static int s_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int s_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int s_hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* A field value byte: HTAB, visible ASCII, space, obs-text (UTF-8 names). */
static int s_vchar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

/* RFC 3986 characters of an origin-form target (path and query). */
static int s_target_char(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c && strchr("-._~!$&'()*+,;=:@/?%", c) != NULL;
}

/* Where "\r\n" starts in p[from..n), or -1. Only for a head already
 * checked by s_line()/s_head_end(): every line there ends in CRLF. */
static long s_find_crlf(const char *p, size_t from, size_t n)
{
    for (size_t i = from; i + 1 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n') return (long)i;
    return -1;
}

/* 1 if p[j] is a bare LF or a CR followed by something else than LF
 * (unknown yet when p[j] is the last byte: 0). Lines end with CRLF only,
 * so that a proxy splitting lines on LF cannot see other requests than
 * klaimd does. */
static int s_bare(const char *p, size_t from, size_t j, size_t n)
{
    if (p[j] == '\n') return j == from || p[j - 1] != '\r';
    return p[j] == '\r' && j + 1 < n && p[j + 1] != '\n';
}

/* The line at p[from..n) of at most maxlen bytes before its CRLF. Looks
 * only at the first maxlen + 2 bytes, so the verdict is the same however
 * the bytes were split into reads. Returns 1 with *cr at its CR, 0 when
 * more bytes are needed, -1 for a bare CR or LF, -2 when it is too long. */
static int s_line(const char *p, size_t from, size_t n, size_t maxlen, size_t *cr)
{
    size_t limit = n < from + maxlen + 2 ? n : from + maxlen + 2;
    for (size_t j = from; j < limit; j++) {
        if (s_bare(p, from, j, n)) return -1;
        if (p[j] == '\n') {
            *cr = j - 1;
            return 1;
        }
    }
    return n - from >= maxlen + 2 ? -2 : 0;
}

static int s_ieq(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

/* One header (or trailer) line p[0..n): "name: value". Returns 0 with the
 * name and the trimmed value, or -1 with rej filled. */
static int s_header_line(struct http_framer *f, const char *p, size_t n, struct http_reject *rej, const char **name,
                         size_t *name_len, const char **value, size_t *value_len)
{
    if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
        return s_reject(f, rej, 400, "BAD_REQUEST", "header",
                        "a header line starts with whitespace (obsolete line folding); put each header on one line");
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p)
        return s_reject(f, rej, 400, "BAD_REQUEST", "header", "a header line without \"name:\"; send \"Name: value\"");
    size_t nl = (size_t)(colon - p);
    for (size_t i = 0; i < nl; i++)
        if (!s_tchar((unsigned char)p[i]))
            return s_reject(f, rej, 400, "BAD_REQUEST", "header",
                            "header name \"%.*s\" has a character not allowed in a name (whitespace before ':'?)",
                            (int)(nl > 40 ? 40 : nl), p);
    const char *v = colon + 1, *end = p + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
    for (const char *c = v; c < end; c++)
        if (!s_vchar((unsigned char)*c))
            return s_reject(f, rej, 400, "BAD_REQUEST", "header",
                            "header %.*s has a control character in its value", (int)(nl > 40 ? 40 : nl), p);
    *name = p;
    *name_len = nl;
    *value = v;
    *value_len = (size_t)(end - v);
    return 0;
}

/* The request line p[0..n). Copies it into out. */
static int s_request_line(struct http_framer *f, const char *p, size_t n, struct http_reject *rej, int *http10)
{
    const char *sp1 = memchr(p, ' ', n);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(p + n - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1 || memchr(sp2 + 1, ' ', (size_t)(p + n - sp2 - 1)))
        return s_reject(f, rej, 400, "BAD_REQUEST", "request-line",
                        "the request line must be \"METHOD /path HTTP/1.1\" with single spaces");
    size_t ml = (size_t)(sp1 - p);
    for (size_t i = 0; i < ml; i++)
        if (!s_tchar((unsigned char)p[i]))
            return s_reject(f, rej, 400, "BAD_REQUEST", "request-line", "the method is not a token");
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    int known = 0;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strlen(methods[i]) == ml && memcmp(p, methods[i], ml) == 0) known = 1;
    if (!known)
        return s_reject(f, rej, 405, "METHOD_NOT_ALLOWED", "method",
                        "method %.*s is not served; klaimd answers GET, HEAD and POST", (int)(ml > 20 ? 20 : ml), p);
    f->head_method = ml == 4 && memcmp(p, "HEAD", 4) == 0;
    const char *t = sp1 + 1;
    size_t tl = (size_t)(sp2 - t);
    if (t[0] != '/')
        return s_reject(f, rej, 400, "BAD_REQUEST", "request-line", "the target must be a path starting with /");
    if (tl > TARGET_MAX)
        return s_reject(f, rej, 431, "TOO_LARGE", "request-line", "the target is above %d bytes", TARGET_MAX);
    for (size_t i = 0; i < tl; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!s_target_char(c))
            return s_reject(f, rej, 400, "BAD_REQUEST", "request-line",
                            "the target has a character that must be %%-escaped (byte 0x%02x at %zu)", c, i);
        if (c == '%' && (i + 2 >= tl || !s_hex((unsigned char)t[i + 1]) || !s_hex((unsigned char)t[i + 2])))
            return s_reject(f, rej, 400, "BAD_REQUEST", "request-line",
                            "a %% in the target is not followed by two hex digits");
    }
    const char *v = sp2 + 1;
    size_t vl = (size_t)(p + n - v);
    if (vl == 8 && memcmp(v, "HTTP/1.1", 8) == 0) {
        *http10 = 0;
    } else if (vl == 8 && memcmp(v, "HTTP/1.0", 8) == 0) {
        *http10 = 1;
    } else if (vl == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' && v[5] <= '9' && v[6] == '.' && v[7] >= '0' &&
               v[7] <= '9') {
        return s_reject(f, rej, 505, "BAD_REQUEST", "request-line", "HTTP/%c.%c is not served; use HTTP/1.1", v[5],
                        v[7]);
    } else {
        return s_reject(f, rej, 400, "BAD_REQUEST", "request-line", "the request line must end with HTTP/1.1");
    }
    s_add(&f->out, p, n);
    s_add(&f->out, "\r\n", 2);
    return 0;
}

/* The head p[0..n), n including the final empty line's CRLF. Fills out with
 * the normalized head (without its empty line) and sets the body's
 * framing. Returns 0, or -1 with rej filled. */
static int s_head(struct http_framer *f, const char *p, size_t n, struct http_reject *rej, int *want_continue)
{
    long e = s_find_crlf(p, 0, n);
    int http10 = 0;
    if (s_request_line(f, p, (size_t)e, rej, &http10) != 0) return -1;
    size_t pos = (size_t)e + 2;
    int n_headers = 0, has_cl = 0, has_te = 0, has_host = 0;
    int64_t cl = 0;
    *want_continue = 0;
    while (pos < n) {
        e = s_find_crlf(p, pos, n);
        size_t ll = (size_t)e - pos;
        if (ll == 0) break;     /* the empty line */
        if (++n_headers > HTTP_PARSE_MAX_HEADERS)
            return s_reject(f, rej, 431, "TOO_LARGE", "header", "more than %d headers", HTTP_PARSE_MAX_HEADERS);
        const char *name, *value;
        size_t nl, vl;
        if (s_header_line(f, p + pos, ll, rej, &name, &nl, &value, &vl) != 0) return -1;
        pos = (size_t)e + 2;
        if (s_ieq(name, nl, "Content-Length")) {
            if (has_cl)
                return s_reject(f, rej, 400, "BAD_REQUEST", "Content-Length",
                                "Content-Length is given more than once; send it once");
            has_cl = 1;
            if (vl == 0 || vl > 18)
                return s_reject(f, rej, 400, "BAD_REQUEST", "Content-Length",
                                "Content-Length must be one number of bytes (1 to 18 digits)");
            for (size_t i = 0; i < vl; i++) {
                if (value[i] < '0' || value[i] > '9')
                    return s_reject(f, rej, 400, "BAD_REQUEST", "Content-Length",
                                    "Content-Length must be one number of bytes, not \"%.*s\"", (int)(vl > 40 ? 40 : vl),
                                    value);
                cl = cl * 10 + (value[i] - '0');
            }
            continue;
        }
        if (s_ieq(name, nl, "Transfer-Encoding")) {
            if (has_te)
                return s_reject(f, rej, 400, "BAD_REQUEST", "Transfer-Encoding",
                                "Transfer-Encoding is given more than once");
            has_te = 1;
            if (!s_ieq(value, vl, "chunked"))
                return s_reject(f, rej, 400, "BAD_REQUEST", "Transfer-Encoding",
                                "only \"Transfer-Encoding: chunked\" is accepted, not \"%.*s\"", (int)(vl > 40 ? 40 : vl),
                                value);
            continue;
        }
        if (s_ieq(name, nl, "Expect")) {
            if (!s_ieq(value, vl, "100-continue"))
                return s_reject(f, rej, 417, "BAD_REQUEST", "Expect", "only \"Expect: 100-continue\" is understood");
            *want_continue = !http10;
            continue;
        }
        if (nl >= 9 && strncasecmp(name, "X-Klaimd-", 9) == 0) continue; /* klaimd's own, never a client's */
        if (s_ieq(name, nl, "Host")) {
            if (has_host) return s_reject(f, rej, 400, "BAD_REQUEST", "Host", "Host is given more than once");
            has_host = 1;
        }
        s_add(&f->out, name, nl);
        s_add(&f->out, ": ", 2);
        s_add(&f->out, value, vl);
        s_add(&f->out, "\r\n", 2);
    }
    if (has_cl && has_te)
        return s_reject(f, rej, 400, "BAD_REQUEST", "Transfer-Encoding",
                        "Content-Length and Transfer-Encoding together; send one of them");
    if (has_te && http10)
        return s_reject(f, rej, 400, "BAD_REQUEST", "Transfer-Encoding", "chunked bodies need HTTP/1.1");
    if (f->head_method && (has_te || cl > 0))
        return s_reject(f, rej, 400, "BAD_REQUEST", "body", "a HEAD request has no body");
    if (cl > f->lim.max_body_bytes)
        return s_reject(f, rej, 413, "TOO_LARGE", "body",
                        "the body has %lld bytes; the limit is %lld (http_max_body_bytes)", (long long)cl,
                        (long long)f->lim.max_body_bytes);
    f->body_total = 0;
    if (has_te) {
        f->st = ST_CHUNK_SIZE;
    } else if (cl > 0) {
        f->st = ST_BODY;
        f->remaining = cl;
    } else {
        f->st = ST_HEAD;
    }
    if (f->st == ST_HEAD) *want_continue = 0;
    return 0;
}

/* The request is whole: emit it with its one Content-Length, start over. */
static void s_complete(struct http_framer *f, http_emit_fn emit, void *arg)
{
    char cl[48];
    int n = f->head_method ? 0 : snprintf(cl, sizeof cl, "Content-Length: %lld\r\n", (long long)f->body.len);
    s_add(&f->out, cl, (size_t)n);
    s_add(&f->out, "\r\n", 2);
    s_add(&f->out, f->body.p, f->body.len);
    emit(arg, HTTP_EMIT_REQUEST, f->out.p, f->out.len);
    f->out.len = 0;
    f->body.len = 0;
    f->body_total = 0;
    f->trailer_bytes = 0;
    f->head_method = 0;
    f->st = ST_HEAD;
    f->scan = f->off;
}

/* One step of the state machine on in.p[off..]. Returns 1 when it moved on
 * (call again), 0 when it needs more bytes, -1 on a reject. */
static int s_step(struct http_framer *f, http_emit_fn emit, void *arg, struct http_reject *rej)
{
    const char *p = f->in.p;
    size_t n = f->in.len, avail = n - f->off;
    switch (f->st) {
    case ST_HEAD: {
        /* Empty lines before a request line are skipped (RFC 9112 2.2). */
        while (avail >= 2 && p[f->off] == '\r' && p[f->off + 1] == '\n') {
            f->off += 2;
            avail -= 2;
        }
        if (avail == 0 || (avail == 1 && p[f->off] == '\r')) return 0;
        /* The first of: a bare CR or LF (400), the empty line that ends the
         * head, the head's limit (431); looking only at the first
         * max_head_bytes, so that how the bytes came in changes nothing.
         * A CR at the end of the last read is looked at again. */
        size_t limit = n < f->off + f->lim.max_head_bytes ? n : f->off + f->lim.max_head_bytes;
        size_t j = f->scan > f->off ? f->scan - 1 : f->off;
        for (; j < limit; j++) {
            if (s_bare(p, f->off, j, n)) goto bare_lf;
            if (p[j] == '\n' && j >= f->off + 3 && p[j - 1] == '\r' && p[j - 2] == '\n' && p[j - 3] == '\r') {
                int want_continue;
                const char *head = p + f->off;
                size_t head_len = j + 1 - f->off;
                f->off = j + 1;
                if (s_head(f, head, head_len, rej, &want_continue) != 0) return -1;
                if (f->st == ST_HEAD) {
                    s_complete(f, emit, arg);
                } else if (want_continue && f->off == f->in.len) {
                    emit(arg, HTTP_EMIT_CONTINUE, "HTTP/1.1 100 Continue\r\n\r\n", 25);
                }
                return 1;
            }
        }
        f->scan = limit;
        if (n - f->off > f->lim.max_head_bytes)
            return s_reject(f, rej, 431, "TOO_LARGE", "header", "the request line and headers are above %zu bytes",
                            f->lim.max_head_bytes);
        return 0;
    }
    case ST_BODY:
    case ST_CHUNK_DATA: {
        if (avail == 0) return 0;
        size_t take = (int64_t)avail < f->remaining ? avail : (size_t)f->remaining;
        s_add(&f->body, p + f->off, take);
        f->off += take;
        f->remaining -= (int64_t)take;
        if (f->remaining > 0) return 0;
        if (f->st == ST_BODY) s_complete(f, emit, arg);
        else f->st = ST_CHUNK_CRLF;
        return 1;
    }
    case ST_CHUNK_CRLF:
        if (avail >= 1 && p[f->off] != '\r') goto bad_chunk_end;
        if (avail < 2) return 0;
        if (p[f->off + 1] != '\n') goto bad_chunk_end;
        f->off += 2;
        f->st = ST_CHUNK_SIZE;
        return 1;
    case ST_CHUNK_SIZE: {
        size_t e;
        int r = s_line(p, f->off, n, CHUNK_LINE_MAX, &e);
        if (r == 0) return 0;
        if (r == -1) goto bare_lf;
        if (r == -2)
            return s_reject(f, rej, 400, "BAD_REQUEST", "chunk-size", "a chunk-size line is above %d bytes",
                            CHUNK_LINE_MAX);
        const char *l = p + f->off;
        size_t ll = e - f->off, i = 0;
        int64_t size = 0;
        while (i < ll && s_hex((unsigned char)l[i])) {
            if (i == 15) break;
            size = size * 16 + s_hexval((unsigned char)l[i]);
            i++;
        }
        if (i == 0 || (i < ll && s_hex((unsigned char)l[i])))
            return s_reject(f, rej, 400, "BAD_REQUEST", "chunk-size",
                            "a chunk size must be 1 to 15 hex digits, got \"%.*s\"", (int)(ll > 20 ? 20 : ll), l);
        while (i < ll && (l[i] == ' ' || l[i] == '\t')) i++;
        if (i < ll) {
            if (l[i] != ';')
                return s_reject(f, rej, 400, "BAD_REQUEST", "chunk-size",
                                "a chunk size must be hex digits, optionally followed by ;extension; got \"%.*s\"",
                                (int)(ll > 20 ? 20 : ll), l);
            for (; i < ll; i++)
                if (!s_vchar((unsigned char)l[i]) || (unsigned char)l[i] >= 0x80)
                    return s_reject(f, rej, 400, "BAD_REQUEST", "chunk-size",
                                    "a chunk extension has a control character");
        }
        f->off = e + 2;
        if (size > f->lim.max_body_bytes - f->body_total)
            return s_reject(f, rej, 413, "TOO_LARGE", "body",
                            "the chunked body is above %lld bytes (http_max_body_bytes)",
                            (long long)f->lim.max_body_bytes);
        f->body_total += size;
        if (size == 0) {
            f->st = ST_TRAILER;
        } else {
            f->st = ST_CHUNK_DATA;
            f->remaining = size;
        }
        return 1;
    }
    case ST_TRAILER: {
        size_t e;
        size_t room = f->trailer_bytes < f->lim.max_head_bytes ? f->lim.max_head_bytes - f->trailer_bytes : 0;
        int r = s_line(p, f->off, n, room, &e);
        if (r == 0) return 0;
        if (r == -1) goto bare_lf;
        if (r == -2)
            return s_reject(f, rej, 431, "TOO_LARGE", "trailer", "the trailers are above %zu bytes",
                            f->lim.max_head_bytes);
        size_t ll = e - f->off;
        if (ll == 0) {
            f->off += 2;
            s_complete(f, emit, arg);
            return 1;
        }
        const char *name, *value;
        size_t nl, vl;
        if (s_header_line(f, p + f->off, ll, rej, &name, &nl, &value, &vl) != 0) return -1;
        f->trailer_bytes += ll + 2;
        f->off = e + 2;
        return 1;
    }
    case ST_DEAD:
        break;
    }
    return 0;
bare_lf:
    return s_reject(f, rej, 400, "BAD_REQUEST", f->st == ST_HEAD ? "header" : "chunk-size",
                    "a line ends without CRLF (a bare LF or CR); end every line with CRLF");
bad_chunk_end:
    return s_reject(f, rej, 400, "BAD_REQUEST", "chunk-size",
                    "chunk data is not followed by CRLF: the chunk is longer than its size says");
}

int http_framer_feed(struct http_framer *f, const char *data, size_t len, http_emit_fn emit, void *arg,
                     struct http_reject *rej)
{
    if (f->st == ST_DEAD) return -1;
    s_add(&f->in, data, len);
    int rc;
    while ((rc = s_step(f, emit, arg, rej)) == 1) {
    }
    if (rc < 0) return -1;
    /* drop what was framed */
    if (f->off > 0) {
        memmove(f->in.p, f->in.p + f->off, f->in.len - f->off);
        f->in.len -= f->off;
        f->scan -= f->scan >= f->off ? f->off : f->scan;
        f->off = 0;
    }
    return 0;
}

/* fuzz_http.c - libFuzzer harness: HTTP requests as klaimd frames them.
 *
 * Owns: daemon/http_parse.c on arbitrary bytes, the code klaimd's HTTP
 * gateway runs on every byte a client sends before evhttp sees it, and its
 * invariants: (1) how the bytes are split into reads changes nothing (the
 * same requests come out, the same reject); (2) a request that comes out is
 * itself accepted and comes out unchanged (the normal form is a fixed
 * point), so evhttp sees one framing only; (3) no request that comes out is
 * above the limits; (4) a reject has a status, a typed code and a message. Deadly for
 * UBSan too (scripts/fuzz.sh halts on the first report).
 * The first byte picks the read sizes; small limits reach every branch.
 * Runs in: fuzz_http (clang, -fsanitize=fuzzer) and replay_http (ctest,
 * over tests/fuzz/corpus/http).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "log.h"

#define MAX_HEAD 2048
#define MAX_BODY 4096

/* Everything a framer emitted, concatenated, with a record per item. */
struct trace {
    char *data;
    size_t len, cap;
    int n_req, n_continue;
};

static void s_emit(void *arg, enum http_emit_kind kind, const char *data, size_t len)
{
    struct trace *t = arg;
    if (kind == HTTP_EMIT_CONTINUE) {
        t->n_continue++;
        return;
    }
    ASSERT(len <= MAX_HEAD + MAX_BODY + 64);
    t->n_req++;
    /* a length prefix keeps request boundaries in the comparison */
    size_t need = t->len + len + sizeof len;
    if (need > t->cap) {
        t->cap = need * 2;
        t->data = realloc(t->data, t->cap);
        ASSERT(t->data);
    }
    memcpy(t->data + t->len, &len, sizeof len);
    memcpy(t->data + t->len + sizeof len, data, len);
    t->len += len + sizeof len;
}

/* Feeds data in reads of the sizes the seed picks (0: all at once).
 * Returns the reject status, or 0. */
static int s_run(const uint8_t *data, size_t size, unsigned seed, size_t max_head, struct trace *t,
                 struct http_reject *rej)
{
    struct http_parse_limits lim = {max_head, MAX_BODY};
    struct http_framer *f = http_framer_new(&lim);
    int status = 0;
    size_t off = 0;
    while (off < size) {
        size_t n = seed ? 1 + (seed + off * 7) % (seed % 13 + 1) : size - off;
        if (n > size - off) n = size - off;
        if (http_framer_feed(f, (const char *)data + off, n, s_emit, t, rej) != 0) {
            status = rej->status;
            ASSERT(status >= 400 && status < 600 && rej->code && rej->code[0] && rej->message[0] && rej->reason);
            /* dead from now on */
            ASSERT(http_framer_feed(f, "x", 1, s_emit, t, rej) == -1);
            ASSERT(!http_framer_partial(f));
            break;
        }
        off += n;
    }
    http_framer_free(&f);
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned seed = data[0];
    data++, size--;
    struct trace whole = {0}, split = {0};
    struct http_reject r1, r2;
    int s1 = s_run(data, size, 0, MAX_HEAD, &whole, &r1);
    int s2 = s_run(data, size, seed | 1, MAX_HEAD, &split, &r2);
    /* (1) the reads do not matter */
    ASSERT(s1 == s2);
    ASSERT(whole.n_req == split.n_req && whole.len == split.len);
    ASSERT(whole.len == 0 || memcmp(whole.data, split.data, whole.len) == 0);
    if (s1) ASSERT(strcmp(r1.message, r2.message) == 0 && strcmp(r1.field, r2.field) == 0);
    /* (2) each request that came out goes through unchanged; its head may
     * have grown by its Content-Length line (klaimd gives evhttp 1 KiB more
     * than the framer's limit for that) */
    size_t off = 0;
    while (off < whole.len) {
        size_t len;
        memcpy(&len, whole.data + off, sizeof len);
        const uint8_t *req = (const uint8_t *)whole.data + off + sizeof len;
        struct trace again = {0};
        struct http_reject r3;
        ASSERT(s_run(req, len, 0, MAX_HEAD + 256, &again, &r3) == 0);
        ASSERT(again.n_req == 1 && again.len == len + sizeof len && memcmp(again.data + sizeof len, req, len) == 0);
        free(again.data);
        off += sizeof len + len;
    }
    free(whole.data);
    free(split.data);
    return 0;
}

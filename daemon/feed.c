/* feed.c - the dispatch feed: outbox events, PUB, replay pages, cursors.
 *
 * Owns: event emission inside a transaction, publication after its commit
 *   (PUB socket and subscriber cursors), FeedReplay pages.
 * Runs in: klaimd main loop only.
 * Invariant: nothing past the published head is ever read or sent; a
 *   rolled-back event is dropped unseen (its seq may be given again, never
 *   published twice). A stored row holds the event's own members only;
 *   the common ones (type, at, at_ms, claim_id, case_id) are its columns
 *   and are put back in front when a line is made, and the case (events
 *   with a case_id) is put at the end: the live line has it as the event
 *   left it, a replayed one as it stands now. PUB may drop at its high-water mark (pitfalls.md):
 *   consoles detect the gap by seq and replay; no ack depends on PUB.
 * See also: store_dispatch.c (SQL), cases.c and sla.c (emitters), http.c
 *   (SSE subscribers), intake.c (FeedReplay requests).
 */
#include "feed.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "batch.h"
#include "cases.h"
#include "codec.h"
#include "fmt.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_dispatch.h"
#include "xalloc.h"
#include "zap.h"

struct feed_sub {
    struct feed *f;
    uint64_t last;              /* the last seq this subscriber got */
    feed_write_fn write;
    feed_gone_fn gone;
    void *arg;
    struct event *page_ev;
    int failed;
    struct feed_sub *prev, *next;
};

struct feed {
    struct klaimd *k;
    void *pub;
    struct store_dispatch *sd;
    uint64_t head;              /* newest published seq */
    uint64_t oldest;
    struct feed_sub *subs;
    uint64_t pub_failures;
};

/* One stored event waiting for its commit. */
struct pending_event {
    struct feed *f;
    uint64_t seq;
    int type;
    int64_t at_ms;
    int64_t claim_id, case_id;
    int64_t stored_us;          /* monotonic, for the publish delay metric */
    char *line;
};

static const char *const s_type_names[] = {"", "CLAIM_RECEIVED", "DECIDED", "CASE_MERGED", "CASE_ACKED",
                                           "CASE_ASSIGNED", "CASE_CLOSED", "SLA_BREACHED", "PAYMENT"};

const char *feed_type_name(int type)
{
    return type > 0 && type < (int)(sizeof s_type_names / sizeof s_type_names[0]) ? s_type_names[type] : "UNKNOWN";
}

/* The event line: "seq", the common members (type, at, at_ms, claim_id,
 * case_id; rebuilt from the row's columns, the store keeps only the
 * event's own members), the event's own, then "case" when case_text is
 * given. A row written before the common members moved to columns holds
 * the whole object (it starts with "type"): it is used as is. */
static void s_header(struct jw *w, int type, int64_t at, int64_t claim_id, int64_t case_id);
static char *s_line(uint64_t seq, int type, int64_t at, int64_t claim_id, int64_t case_id, const char *payload,
                    const char *case_text)
{
    struct jw w;
    jw_init(&w);
    jw_open(&w, NULL, '{');
    jw_int(&w, "seq", (int64_t)seq);
    static const char legacy[] = "{\"type\":";
    if (strncmp(payload, legacy, sizeof legacy - 1) != 0) s_header(&w, type, at, claim_id, case_id);
    size_t n = strlen(payload);
    if (n > 2 && payload[0] == '{' && payload[n - 1] == '}') {
        jw_raw(&w, ",", 1);
        jw_raw(&w, payload + 1, n - 2);
    }
    if (case_text) jw_json(&w, "case", case_text);
    jw_close(&w, '}');
    return jw_take(&w);
}

/* A stored event's line. Rows written before cases left the store hold
 * their "case" (a top-level member: our own compact JSON, where '"case":'
 * cannot occur inside a string); the others with a case_id get the case
 * as it stands now. */
static char *s_stored_line(struct feed *f, const struct store_event *e)
{
    const char *payload = e->payload ? e->payload : "{}";
    const char *c = e->case_id ? strstr(payload, "\"case\":") : NULL;
    if (!e->case_id || (c && (c[-1] == '{' || c[-1] == ',')))
        return s_line(e->seq, e->type, e->at_ms, e->claim_id, e->case_id, payload, NULL);
    struct store_case kc;
    if (store_case_get(f->sd, e->case_id, &kc) != 0)
        return s_line(e->seq, e->type, e->at_ms, e->claim_id, e->case_id, payload, NULL);
    char *text = case_to_text(&kc, klaimd_now_ms());
    store_case_clear(&kc);
    char *line = s_line(e->seq, e->type, e->at_ms, e->claim_id, e->case_id, payload, text);
    free(text);
    return line;
}

struct store_dispatch *feed_store(struct feed *f) { return f->sd; }

uint64_t feed_head(const struct feed *f) { return f->head; }

static void s_drop(struct feed_sub *s)
{
    struct feed *f = s->f;
    if (s->prev) s->prev->next = s->next;
    else f->subs = s->next;
    if (s->next) s->next->prev = s->prev;
    event_free(s->page_ev);
    feed_gone_fn gone = s->gone;
    void *arg = s->arg;
    free(s);
    if (gone) gone(arg);
}

static void s_publish_pub(struct feed *f, const struct pending_event *e)
{
    char claim[32] = "", kase[32] = "";
    if (e->claim_id) klaim_id_format(e->claim_id, claim, sizeof claim);
    if (e->case_id) case_id_format(e->case_id, kase, sizeof kase);
    Klaim__FeedEvent ev = KLAIM__FEED_EVENT__INIT;
    ev.has_seq = 1, ev.seq = e->seq;
    ev.has_type = 1, ev.type = (Klaim__FeedEventType)e->type;
    ev.has_at_ms = 1, ev.at_ms = e->at_ms;
    ev.claim_id = claim;
    ev.case_id = kase;
    ev.json = e->line;
    size_t len;
    uint8_t *buf = codec_pack(&ev.base, &len);
    if (zmq_send(f->pub, buf, len, ZMQ_DONTWAIT) < 0) f->pub_failures++;
    free(buf);
}

static void s_on_commit(void *arg, int committed)
{
    struct pending_event *e = arg;
    struct feed *f = e->f;
    if (committed) {
        uint64_t before = f->head;
        f->head = e->seq;
        if (!f->oldest) f->oldest = e->seq;
        s_publish_pub(f, e);
        metrics_observe(&f->k->metrics->publish_us, klaimd_mono_us() - e->stored_us);
        size_t len = strlen(e->line);
        struct feed_sub *next;
        for (struct feed_sub *s = f->subs; s; s = next) {
            next = s->next;
            if (s->last < before) {
                event_active(s->page_ev, 0, 0); /* behind: its pages will bring this one */
                continue;
            }
            if (s->last >= e->seq) continue;
            if (s->write(s->arg, e->seq, e->line, len) != 0) s_drop(s);
            else s->last = e->seq;
        }
    }
    free(e->line);
    free(e);
}

/* ------------------------------------------------------------ JSON text */

void jw_init(struct jw *w)
{
    w->cap = 1024;
    w->len = 0;
    w->buf = xmalloc(w->cap);
    w->buf[0] = '\0';
}

char *jw_take(struct jw *w)
{
    char *b = w->buf;
    w->buf = NULL;
    w->len = w->cap = 0;
    return b;
}

void jw_free(struct jw *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

static void s_jw_reserve(struct jw *w, size_t n)
{
    if (w->len + n + 1 <= w->cap) return;
    size_t cap = w->cap ? w->cap : 1024;
    while (w->len + n + 1 > cap) cap *= 2;
    w->buf = xrealloc(w->buf, cap);
    w->cap = cap;
}

void jw_raw(struct jw *w, const char *s, size_t n)
{
    s_jw_reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void s_jw_quoted(struct jw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    s_jw_reserve(w, n * 6 + 2); /* worst case: every byte as \u00XX */
    char *o = w->buf + w->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u', *o++ = '0', *o++ = '0';
            *o++ = hex[c >> 4], *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    w->len = (size_t)(o - w->buf);
    w->buf[w->len] = '\0';
}

/* A comma unless this is the first member, then the key if any. */
static void s_jw_key(struct jw *w, const char *key)
{
    if (w->len) {
        char last = w->buf[w->len - 1];
        if (last != '{' && last != '[' && last != ':') jw_raw(w, ",", 1);
    }
    if (key) {
        s_jw_quoted(w, key);
        jw_raw(w, ":", 1);
    }
}

void jw_open(struct jw *w, const char *key, char brace)
{
    s_jw_key(w, key);
    jw_raw(w, &brace, 1);
}

void jw_close(struct jw *w, char brace) { jw_raw(w, &brace, 1); }

void jw_str(struct jw *w, const char *key, const char *s)
{
    s_jw_key(w, key);
    s_jw_quoted(w, s ? s : "");
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
    char num[24];
    size_t n = fmt_int(num, v, 0);
    s_jw_key(w, key);
    jw_raw(w, num, n);
}

void jw_bool(struct jw *w, const char *key, int v)
{
    s_jw_key(w, key);
    if (v) jw_raw(w, "true", 4);
    else jw_raw(w, "false", 5);
}

void jw_null(struct jw *w, const char *key)
{
    s_jw_key(w, key);
    jw_raw(w, "null", 4);
}

void jw_json(struct jw *w, const char *key, const char *json)
{
    s_jw_key(w, key);
    jw_raw(w, json, strlen(json));
}

/* ---------------------------------------------------------------- emit */

/* The members every event line starts with, in this order. */
static void s_header(struct jw *w, int type, int64_t at, int64_t claim_id, int64_t case_id)
{
    /* Two events a claim, thousands a second: the date and time are
     * formatted once per second (main loop only, so a static cache). */
    static time_t s_secs = -1;
    static char s_when[64];
    time_t secs = (time_t)(at / 1000);
    if (secs != s_secs) {
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(s_when, sizeof s_when, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        s_secs = secs;
    }
    int ms = (int)(at % 1000);
    char when[40];
    memcpy(when, s_when, 19);
    when[19] = '.', when[20] = (char)('0' + ms / 100), when[21] = (char)('0' + ms / 10 % 10);
    when[22] = (char)('0' + ms % 10), when[23] = 'Z', when[24] = '\0';
    jw_str(w, "type", feed_type_name(type));
    jw_str(w, "at", when);
    jw_int(w, "at_ms", at);
    if (claim_id) {
        char id[32];
        klaim_id_format(claim_id, id, sizeof id);
        jw_str(w, "claim_id", id);
    }
    if (case_id) {
        char id[32];
        case_id_format(case_id, id, sizeof id);
        jw_str(w, "case_id", id);
    }
}

int feed_emit_text(struct feed *f, int type, int64_t claim_id, int64_t case_id, const char *payload,
                   const char *case_text)
{
    int64_t at = klaimd_now_ms();
    if (!payload || payload[0] != '{') payload = "{}";
    uint64_t seq = 0;
    if (store_event_append(f->sd, type, claim_id, case_id, payload, at, &seq) != 0) return -1;
    struct pending_event *e = xcalloc(1, sizeof *e);
    e->f = f;
    e->seq = seq;
    e->type = type;
    e->at_ms = at;
    e->claim_id = claim_id;
    e->case_id = case_id;
    e->stored_us = klaimd_mono_us();
    e->line = s_line(seq, type, at, claim_id, case_id, payload, case_text);
    batch_then(f->k->batch, s_on_commit, e);
    return 0;
}

/* The rare events (console actions, SLA breaches) still come as jansson
 * objects: dumped once, then stored like the others. */
int feed_emit(struct feed *f, int type, int64_t claim_id, int64_t case_id, json_t *payload, const char *case_text)
{
    char *text = json_dumps(payload, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(payload);
    int rc = feed_emit_text(f, type, claim_id, case_id, text ? text : "{}", case_text);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------- replay */

struct page_ctx {
    struct feed *f;
    Klaim__FeedEvent *items;
    Klaim__FeedEvent **ptrs;
    char (*ids)[2][32];
    char **lines;
    size_t n;
};

static void s_collect(void *arg, const struct store_event *e)
{
    struct page_ctx *p = arg;
    Klaim__FeedEvent *ev = &p->items[p->n];
    klaim__feed_event__init(ev);
    ev->has_seq = 1, ev->seq = e->seq;
    ev->has_type = 1, ev->type = (Klaim__FeedEventType)e->type;
    ev->has_at_ms = 1, ev->at_ms = e->at_ms;
    p->ids[p->n][0][0] = p->ids[p->n][1][0] = '\0';
    if (e->claim_id) klaim_id_format(e->claim_id, p->ids[p->n][0], 32);
    if (e->case_id) case_id_format(e->case_id, p->ids[p->n][1], 32);
    ev->claim_id = p->ids[p->n][0];
    ev->case_id = p->ids[p->n][1];
    p->lines[p->n] = s_stored_line(p->f, e);
    ev->json = p->lines[p->n];
    p->ptrs[p->n] = ev;
    p->n++;
}

void feed_replay(struct feed *f, const struct reply_to *to, const Klaim__FeedReplayRequest *req)
{
    struct intake *in = f->k->intake;
    uint64_t since = req->has_since ? req->since : 0;
    int max = req->has_max && req->max > 0 && req->max < FEED_PAGE_MAX ? (int)req->max : FEED_PAGE_MAX;
    struct page_ctx p = {.f = f};
    p.items = xcalloc((size_t)max, sizeof *p.items);
    p.ptrs = xcalloc((size_t)max, sizeof *p.ptrs);
    p.ids = xcalloc((size_t)max, sizeof *p.ids);
    p.lines = xcalloc((size_t)max, sizeof *p.lines);
    int n = 0;
    if (store_events_page(f->sd, since, f->head, max, s_collect, &p, &n) != 0) {
        intake_send_error(in, to, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read the feed; retry");
    } else {
        Klaim__FeedPage page = KLAIM__FEED_PAGE__INIT;
        page.n_events = p.n;
        page.events = p.ptrs;
        page.has_head = 1, page.head = f->head;
        page.has_more = 1, page.more = p.n == (size_t)max && p.items[p.n - 1].seq < f->head;
        page.feed_endpoint = f->k->cfg.feed_endpoint;
        page.has_oldest = 1, page.oldest = f->oldest;
        Klaim__Reply r = KLAIM__REPLY__INIT;
        r.body_case = KLAIM__REPLY__BODY_FEED_PAGE;
        r.feed_page = &page;
        intake_send_reply(in, to, &r);
    }
    for (size_t i = 0; i < p.n; i++) free(p.lines[i]);
    free(p.items);
    free(p.ptrs);
    free(p.ids);
    free(p.lines);
}

/* ----------------------------------------------------------- subscribers */

static void s_sub_write(void *arg, const struct store_event *e)
{
    struct feed_sub *s = arg;
    if (s->failed) return;
    char *line = s_stored_line(s->f, e);
    if (s->write(s->arg, e->seq, line, strlen(line)) != 0) s->failed = 1;
    else s->last = e->seq;
    free(line);
}

/* One page per loop pass for a subscriber behind the head. */
static void s_on_page(evutil_socket_t fd, short what, void *arg)
{
    struct feed_sub *s = arg;
    struct feed *f = s->f;
    if (s->last >= f->head) return;
    int n = 0;
    if (store_events_page(f->sd, s->last, f->head, FEED_PAGE_MAX, s_sub_write, s, &n) != 0) s->failed = 1;
    if (s->failed) {
        s_drop(s);
        return;
    }
    if (n == 0 && s->last < f->head) s->last = f->head; /* nothing stored in between (cannot happen) */
    if (s->last < f->head) event_active(s->page_ev, 0, 0);
}

struct feed_sub *feed_subscribe(struct feed *f, uint64_t since, feed_write_fn write, feed_gone_fn gone, void *arg)
{
    struct feed_sub *s = xcalloc(1, sizeof *s);
    s->f = f;
    s->last = since > f->head ? f->head : since;
    s->write = write;
    s->gone = gone;
    s->arg = arg;
    s->page_ev = event_new(f->k->base, -1, 0, s_on_page, s);
    event_priority_set(s->page_ev, PRIO_IO);
    s->next = f->subs;
    if (f->subs) f->subs->prev = s;
    f->subs = s;
    if (s->last < f->head) event_active(s->page_ev, 0, 0);
    return s;
}

void feed_unsubscribe(struct feed *f, struct feed_sub *s)
{
    (void)f;
    s->gone = NULL;
    s_drop(s);
}

/* ------------------------------------------------------------- lifecycle */

struct feed *feed_new(struct klaimd *k, char *err, size_t errlen)
{
    struct store_dispatch *sd = store_dispatch_new(k->store, err, errlen);
    if (!sd) return NULL;
    void *pub = zmq_socket(k->zctx, ZMQ_PUB);
    int zero = 0, hwm = 100000;
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (k->zap && zap_curve_server(pub, k->cfg.curve_secret, "feed") != 0) {
        snprintf(err, errlen, "feed_endpoint: cannot make the PUB socket a CURVE server: %s", zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(pub, k->cfg.feed_endpoint) != 0) {
        snprintf(err, errlen, "feed_endpoint = \"%s\": cannot bind: %s (is another klaimd running, or the port taken?)",
                 k->cfg.feed_endpoint, zmq_strerror(errno));
        goto fail;
    }
    struct feed *f = xcalloc(1, sizeof *f);
    f->k = k;
    f->pub = pub;
    f->sd = sd;
    if (store_event_bounds(sd, &f->oldest, &f->head) != 0) {
        snprintf(err, errlen, "cannot read the feed's last seq: %s", store_errmsg(k->store));
        f->pub = NULL;
        feed_free(&f);
        sd = NULL;
        goto fail;
    }
    return f;
fail:
    zmq_close(pub);
    store_dispatch_free(&sd);
    return NULL;
}

void feed_free(struct feed **fp)
{
    struct feed *f = *fp;
    if (!f) return;
    while (f->subs) feed_unsubscribe(f, f->subs);
    if (f->pub) zmq_close(f->pub);
    store_dispatch_free(&f->sd);
    free(f);
    *fp = NULL;
}

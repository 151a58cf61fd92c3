/* ctl_watch.c - `klaimctl watch [--since SEQ]`: the dispatch feed as JSON lines.
 *
 * Owns: the console side of the feed protocol (proto/PROTOCOL.md
 *   "Dispatch feed"): subscribe to the PUB socket first, then page through
 *   the store with FeedReplay from the cursor to the head, then print live
 *   events, dropping those already printed; a seq gap (PUB dropped some, or
 *   the subscription was not up yet) means replay again. After a second
 *   without live events it also asks for a page, so nothing stays hidden.
 * Runs in: klaimctl only.
 * Output: one event per line, in seq order, no gap, no duplicate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clients.h"
#include "ctl.h"
#include "ctl_conn.h"

#define S_USAGE "klaimctl watch [--since SEQ] [--feed-endpoint EP] [--count N] [--for MS]"

static const char s_help[] =
    "usage: " S_USAGE "\n"
    "\n"
    "Follow klaimd's dispatch feed: accident notifications (CLAIM_RECEIVED, with the dispatch\n"
    "case), decisions (DECIDED), console actions (CASE_ACKED, CASE_ASSIGNED, CASE_CLOSED,\n"
    "CASE_MERGED), SLA breaches (SLA_BREACHED) and payments (PAYMENT: a batch created, a claim\n"
    "PAID or FAILED), one JSON object a line, each with its seq.\n"
    "Events after SEQ are replayed from the store first, then the live stream follows, with no\n"
    "gap and no duplicate. Without --since only new events are printed.\n"
    "With --format table: one line an event (seq, time in WIB, type, claim, state, total).\n"
    "\n"
    "flags:\n"
    "  --since SEQ          print every event with a seq above SEQ first (0: all of them)\n"
    "  --feed-endpoint EP   the PUB endpoint (default: the one klaimd reports)\n"
    "  --count N            exit 0 after N events\n"
    "  --for MS             exit 0 after MS milliseconds\n"
    "\n"
    "exit: 0 (with --count or --for); 69 klaimd unreachable; 77 forbidden (role console or admin).\n"
    "\n"
    "examples:\n"
    "  klaimctl watch\n"
    "  klaimctl watch --since 1200 | jq -c 'select(.type==\"SLA_BREACHED\")'\n";

struct watch {
    const struct ctl_opts *o;
    struct ctl_conn *conn;
    uint64_t last;
    long count, printed;
    char endpoint[256];
    int header_done; /* --format table: the header line is out */
};

static const struct ctl_col s_cols[] = {
    {"seq", "SEQ", -8},        {"at", "AT", 20},          {"type", "TYPE", 15},
    {"claim_id", "CLAIM", 16}, {"state", "STATE", 22},    {"total", "TOTAL", -14},
};

/* Print one event line as it came (JSON), or as a table row with
 * --format table (the header before the first row); flushes. */
static void s_event(struct watch *w, const char *line)
{
    line = line ? line : "{}";
    if (!w->o->table) {
        fputs(line, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        return;
    }
    size_t n = sizeof s_cols / sizeof s_cols[0];
    if (!w->header_done) {
        ctl_print_row(NULL, s_cols, n, 1);
        w->header_done = 1;
    }
    json_t *j = json_loads(line, 0, NULL);
    ctl_print_row(j, s_cols, n, 0);
    json_decref(j);
}

/* One FeedReplay round trip. Prints events above w->last. Returns 0 and
 * sets *more, or an exit code. */
static int s_page(struct watch *w, int *more, uint64_t *head)
{
    Klaim__FeedReplayRequest fr = KLAIM__FEED_REPLAY_REQUEST__INIT;
    fr.has_since = 1, fr.since = w->last;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_FEED_REPLAY;
    req.feed_replay = &fr;
    Klaim__Reply *rep = NULL;
    struct klaim_err err;
    enum ctl_recv rc = ctl_conn_call(w->conn, &req, w->o->timeout_ms, &rep, &err);
    if (rc == CTL_RECV_TIMEOUT) return ctl_conn_no_answer(w->conn, w->o->timeout_ms);
    if (rc == CTL_RECV_BAD) return ctl_conn_bad_reply(w->conn, &err);
    int out = 0;
    if (rep->body_case == KLAIM__REPLY__BODY_ERROR) {
        out = ctl_print_error("watch", rep->error);
    } else if (rep->body_case != KLAIM__REPLY__BODY_FEED_PAGE) {
        fprintf(stderr, "klaimctl: watch: unexpected reply type %d from klaimd\n", (int)rep->body_case);
        out = CTL_EX_SOFTWARE;
    } else {
        const Klaim__FeedPage *p = rep->feed_page;
        if (!w->endpoint[0] && p->feed_endpoint) snprintf(w->endpoint, sizeof w->endpoint, "%s", p->feed_endpoint);
        for (size_t i = 0; i < p->n_events && (w->count == 0 || w->printed < w->count); i++) {
            const Klaim__FeedEvent *e = p->events[i];
            if (e->seq <= w->last) continue;
            s_event(w, e->json);
            w->last = e->seq;
            w->printed++;
        }
        fflush(stdout);
        *more = p->more;
        *head = p->head;
    }
    codec_reply_free(rep);
    return out;
}

static int s_catch_up(struct watch *w)
{
    int more = 1;
    uint64_t head = 0;
    while (more && (w->count == 0 || w->printed < w->count)) {
        int rc = s_page(w, &more, &head);
        if (rc) return rc;
    }
    return 0;
}

int ctl_watch(const struct ctl_opts *o, int argc, char **argv)
{
    struct watch w = {.o = o};
    long since = -1, for_ms = 0;
    for (int i = 0; i < argc;) {
        const char *v = NULL;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_help, stdout);
            return 0;
        }
        if ((r = ctl_flag(argc, argv, &i, "--since", 1, &v)) != 0) {
            if (r < 0 || ctl_parse_int("--since", v, 0, INT64_MAX / 2, &since) != 0) return CTL_EX_USAGE;
        } else if ((r = ctl_flag(argc, argv, &i, "--feed-endpoint", 1, &v)) != 0) {
            if (r < 0) return CTL_EX_USAGE;
            snprintf(w.endpoint, sizeof w.endpoint, "%s", v);
        } else if ((r = ctl_flag(argc, argv, &i, "--count", 1, &v)) != 0) {
            if (r < 0 || ctl_parse_int("--count", v, 1, 1L << 40, &w.count) != 0) return CTL_EX_USAGE;
        } else if ((r = ctl_flag(argc, argv, &i, "--for", 1, &v)) != 0) {
            if (r < 0 || ctl_parse_int("--for", v, 1, 1L << 40, &for_ms) != 0) return CTL_EX_USAGE;
        } else {
            return ctl_usage(S_USAGE, "watch: unexpected argument \"%s\"", argv[i]);
        }
    }
    int ex = 0;
    w.conn = ctl_connect(o, &ex);
    if (!w.conn) return ex;
    /* The head (and the PUB endpoint) first: without --since, start there. */
    int more = 0;
    uint64_t head = 0;
    w.last = (uint64_t)1 << 62;
    if ((ex = s_page(&w, &more, &head)) != 0) goto out;
    w.last = since >= 0 ? (uint64_t)since : head;
    if (!w.endpoint[0]) {
        fprintf(stderr, "klaimctl: watch: klaimd did not say where its feed is; give --feed-endpoint\n");
        ex = CTL_EX_UNAVAILABLE;
        goto out;
    }
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    if (o->curve_key && o->server_key) {
        char pub[41], sec[41], srv[41], why[512];
        if (clients_read_keyfile(o->curve_key, pub, sec, why, sizeof why) != 0 ||
            clients_read_keyfile(o->server_key, srv, NULL, why, sizeof why) != 0) {
            fprintf(stderr, "klaimctl: %s\n", why);
            ex = CTL_EX_CONFIG;
            goto out_sub;
        }
        zmq_setsockopt(sub, ZMQ_CURVE_SERVERKEY, srv, 40);
        zmq_setsockopt(sub, ZMQ_CURVE_PUBLICKEY, pub, 40);
        zmq_setsockopt(sub, ZMQ_CURVE_SECRETKEY, sec, 40);
    }
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(sub, w.endpoint) != 0) {
        fprintf(stderr, "klaimctl: watch: cannot connect to the feed %s: %s\n", w.endpoint, zmq_strerror(errno));
        ex = o->bad_endpoint_exit;
        goto out_sub;
    }
    /* Subscribed first, then the store: what the replay misses, the
     * subscription has (and duplicates are dropped by seq). */
    if ((ex = s_catch_up(&w)) != 0) goto out_sub;
    int64_t end = for_ms ? ctl_now_ms() + for_ms : 0;
    while (w.count == 0 || w.printed < w.count) {
        int64_t now = ctl_now_ms();
        if (end && now >= end) break;
        long wait = 1000;
        if (end && end - now < wait) wait = (long)(end - now);
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, wait);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if ((ex = s_catch_up(&w)) != 0) goto out_sub; /* quiet: make sure nothing is hidden */
            continue;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        Klaim__FeedEvent *e = klaim__feed_event__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (!e) continue;
        if (e->seq > w.last + 1) {
            if ((ex = s_catch_up(&w)) != 0) {
                klaim__feed_event__free_unpacked(e, NULL);
                goto out_sub;
            }
        }
        if (e->seq == w.last + 1 && (w.count == 0 || w.printed < w.count)) {
            s_event(&w, e->json);
            w.last = e->seq;
            w.printed++;
        }
        klaim__feed_event__free_unpacked(e, NULL);
    }
out_sub:
    zmq_close(sub);
    zmq_ctx_term(ctx);
out:
    ctl_conn_destroy(&w.conn);
    return ex;
}

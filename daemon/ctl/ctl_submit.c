/* ctl_submit.c - `klaimctl submit FILE|-`: claims in, acks (or decisions) out.
 *
 * Owns: the submit pipeline: a window of at most --inflight claims between
 *   "read from the file" and "printed", each with at most one request
 *   outstanding, so output stays in input order however klaimd reorders
 *   its replies.
 * Runs in: klaimctl only.
 * Order of work: the whole input is syntax-checked before anything is
 *   sent (a file that is not JSON sends nothing); a claim with a JSON type
 *   error is reported and skipped, the others still go. A line is printed
 *   only after klaimd acked the claim, which it does after commit.
 * See also: claim_input.c (positions), ctl_conn.c (wire), claim_json.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim_input.h"
#include "claim_json.h"
#include "ctl.h"
#include "ctl_conn.h"
#include "xalloc.h"

#define S_USAGE "klaimctl submit FILE|- [--wait] [--wait-timeout MS] [--inflight N]"
#define S_MAX_WAIT_MS 60000   /* klaimd holds a status reply at most this long */
#define S_REASK_MS 100        /* pause when klaimd answered "undecided" early */

static const char s_help[] =
    "usage: " S_USAGE "\n"
    "\n"
    "Submit claims to klaimd. FILE (or - for stdin) holds one JSON claim object, an array of\n"
    "them, or JSON Lines (one object per line; blank lines and pretty-printed objects one after\n"
    "another are fine). The file is checked as JSON before anything is sent.\n"
    "\n"
    "For each claim, in file order, one line on stdout once klaimd has made it durable:\n"
    "  {\"idempotency_key\":\"RSIS-2026-000123\",\"claim_id\":\"k-000000000042\",\"state\":\"RECEIVED\"}\n"
    "A claim klaimd refuses is reported on stderr as FILE:LINE (or FILE[INDEX] in an array):\n"
    "  klaimctl: claims.jsonl:7: event.date: 2026-02-30 is not a date (INVALID_CLAIM)\n"
    "and the other claims still go. Submitting the same file again is safe: the same\n"
    "idempotency key with the same claim returns the first answer.\n"
    "\n"
    "flags:\n"
    "  --wait             wait for each decision and print it (the decision JSON) instead\n"
    "  --wait-timeout MS  how long --wait waits per claim (default 60000); exit 75 if a\n"
    "                     claim is still undecided then (its current state is printed)\n"
    "  --inflight N       claims sent ahead of the oldest unanswered one (default 256)\n"
    "\n"
    "exit: 0 all accepted; 65 a claim or the file was refused as bad data; 66 FILE cannot be\n"
    "opened; 69 klaimd unreachable or unavailable; 77 forbidden; 70 internal error.\n"
    "\n"
    "examples:\n"
    "  klaimctl submit claims.jsonl\n"
    "  klaimctl submit --wait --wait-timeout 120000 claim.json\n"
    "  jq -c '.[]' batch.json | klaimctl submit -\n";

enum s_phase { S_SUBMIT, S_STATUS, S_DONE };

struct s_slot {
    char where[320];
    char *key;            /* idempotency key as written, for messages; may be NULL */
    enum s_phase phase;
    uint64_t req_id;      /* the request outstanding, 0 if none */
    int64_t sent_ms;
    int64_t reply_by_ms;  /* no reply by then: klaimd is not answering */
    int64_t wait_until_ms;/* --wait: stop asking for the decision then */
    int64_t ask_at_ms;    /* --wait: next status request due (req_id 0) */
    int asked_wait_ms;    /* wait_ms of the status request outstanding */
    char *claim_id;
    json_t *out;          /* what to print; NULL when an error was printed */
};

struct s_run {
    const struct ctl_opts *o;
    struct ctl_conn *conn;
    int wait;
    int wait_timeout_ms;
    int exit;
    size_t cap;
    struct s_slot *ring;
    size_t head, tail;    /* window [head, tail) in claim order, mod cap */
};

static void s_slot_clear(struct s_slot *s)
{
    free(s->key);
    free(s->claim_id);
    json_decref(s->out);
    memset(s, 0, sizeof *s);
}

/* Send the next request for slot s in its current phase. A send that
 * cannot even be queued is treated as klaimd not answering. */
static int s_send(struct s_run *r, struct s_slot *s, Klaim__Claim *pb)
{
    Klaim__Request req = KLAIM__REQUEST__INIT;
    Klaim__StatusRequest st = KLAIM__STATUS_REQUEST__INIT;
    int wait_ms = 0;
    if (s->phase == S_SUBMIT) {
        req.body_case = KLAIM__REQUEST__BODY_SUBMIT;
        req.submit = pb;
    } else {
        int64_t left = s->wait_until_ms - ctl_now_ms();
        wait_ms = left <= 0 ? 0 : left > S_MAX_WAIT_MS ? S_MAX_WAIT_MS : (int)left;
        st.claim_id = s->claim_id;
        st.has_wait_ms = 1;
        st.wait_ms = (uint32_t)wait_ms;
        req.body_case = KLAIM__REQUEST__BODY_STATUS;
        req.status = &st;
    }
    s->asked_wait_ms = wait_ms;
    s->ask_at_ms = 0;
    s->sent_ms = ctl_now_ms();
    s->reply_by_ms = s->sent_ms + r->o->timeout_ms + wait_ms;
    s->req_id = ctl_conn_send(r->conn, &req, r->o->timeout_ms);
    return s->req_id ? 0 : -1;
}

static json_t *s_ack_json(const struct s_slot *s, const Klaim__SubmitAck *ack)
{
    const char *key = ack->idempotency_key ? ack->idempotency_key : s->key;
    return json_pack("{s:s?, s:s?, s:s}", "idempotency_key", key, "claim_id", ack->claim_id, "state",
                     ctl_state_name(ack->has_state ? (int)ack->state : 0));
}

static int s_undecided(int state)
{
    return state == KLAIM__STATE__RECEIVED || state == KLAIM__STATE__PROCESSING || state == 0;
}

/* Apply one reply to the slot it answers: finish the slot, or (with
 * --wait) send its next status request. Returns -1 only when a follow-up
 * request cannot be queued. */
static int s_on_reply(struct s_run *r, struct s_slot *s, Klaim__Reply *rep)
{
    s->req_id = 0;
    if (rep->body_case == KLAIM__REPLY__BODY_ERROR) {
        r->exit = ctl_exit_worse(r->exit, ctl_print_error(s->where, rep->error));
        s->phase = S_DONE;
        return 0;
    }
    if (s->phase == S_SUBMIT && rep->body_case == KLAIM__REPLY__BODY_ACK) {
        Klaim__SubmitAck *ack = rep->ack;
        if (!r->wait || !ack->claim_id) {
            s->out = s_ack_json(s, ack);
            s->phase = S_DONE;
            return 0;
        }
        s->claim_id = xstrdup(ack->claim_id);
        s->phase = S_STATUS;
        s->wait_until_ms = ctl_now_ms() + r->wait_timeout_ms;
        return s_send(r, s, NULL);
    }
    if (s->phase == S_STATUS && rep->body_case == KLAIM__REPLY__BODY_DECISION) {
        Klaim__Decision *d = rep->decision;
        int state = d->has_state ? (int)d->state : 0;
        int64_t now = ctl_now_ms();
        if (s_undecided(state) && now < s->wait_until_ms) {
            /* klaimd should hold the reply until decided; if it answered
             * well before the wait we asked for, do not hammer it */
            if (now - s->sent_ms >= s->asked_wait_ms / 2)
                return s_send(r, s, NULL);
            s->ask_at_ms = now + S_REASK_MS;
            return 0;
        }
        if (s_undecided(state)) {
            fprintf(stderr, "klaimctl: %s: claim %s is still %s after --wait-timeout %d ms; ask again with "
                            "klaimctl status %s\n",
                    s->where, s->claim_id, ctl_state_name(state), r->wait_timeout_ms, s->claim_id);
            r->exit = ctl_exit_worse(r->exit, CTL_EX_TEMPFAIL);
        }
        s->out = decision_pb_to_json(d);
        s->phase = S_DONE;
        return 0;
    }
    fprintf(stderr, "klaimctl: %s: klaimd answered with an unexpected reply (body %d); is klaimd the same "
                    "version as klaimctl %s?\n",
            s->where, (int)rep->body_case, KLAIM_VERSION);
    r->exit = ctl_exit_worse(r->exit, CTL_EX_SOFTWARE);
    s->phase = S_DONE;
    return 0;
}

static void s_print(const struct s_run *r, const json_t *out)
{
    if (!r->o->table) {
        ctl_print_json(out, 0);
        return;
    }
    const char *key = json_string_value(json_object_get(out, "idempotency_key"));
    const char *id = json_string_value(json_object_get(out, "claim_id"));
    const char *state = json_string_value(json_object_get(out, "state"));
    json_t *total = json_object_get(out, "total");
    printf("%-32s  %-16s  %s", key ? key : "-", id ? id : "-", state ? state : "-");
    if (json_is_integer(total)) {
        char rp[32];
        ctl_format_rupiah((long long)json_integer_value(total), rp, sizeof rp);
        printf("  total %s", rp);
    }
    putchar('\n');
    fflush(stdout);
}

/* Read claims into the window while it has room; a claim that is not a
 * well-typed claim is reported and never enters the window. */
static int s_fill(struct s_run *r, struct claim_input *in, int *eof)
{
    char err[512];
    while (!*eof && r->tail - r->head < r->cap) {
        json_t *obj;
        struct claim_pos pos;
        int rc = claim_input_next(in, &obj, &pos, err, sizeof err);
        if (rc <= 0) {
            if (rc < 0) {   /* checked before; only if the file changed under us */
                fprintf(stderr, "klaimctl: %s\n", err);
                r->exit = ctl_exit_worse(r->exit, CTL_EX_DATAERR);
            }
            *eof = 1;
            break;
        }
        char where[320];
        claim_input_where(in, &pos, where, sizeof where);
        struct klaim_err kerr = {0};
        Klaim__Claim *pb = claim_json_to_pb(obj, &kerr);
        if (!pb) {
            ctl_report(where, kerr.field, kerr.message, NULL);
            r->exit = ctl_exit_worse(r->exit, CTL_EX_DATAERR);
            json_decref(obj);
            continue;
        }
        struct s_slot *s = &r->ring[r->tail % r->cap];
        snprintf(s->where, sizeof s->where, "%s", where);
        const char *key = json_string_value(json_object_get(obj, "idempotency_key"));
        s->key = key ? xstrdup(key) : NULL;
        s->phase = S_SUBMIT;
        r->tail++;
        int sent = s_send(r, s, pb);
        claim_json_pb_free(pb);
        json_decref(obj);
        if (sent < 0)
            return -1;
    }
    return 0;
}

/* Send the status requests whose pause is over. */
static int s_reask(struct s_run *r)
{
    int64_t now = ctl_now_ms();
    for (size_t i = r->head; i < r->tail; i++) {
        struct s_slot *s = &r->ring[i % r->cap];
        if (s->phase == S_STATUS && !s->req_id && s->ask_at_ms && s->ask_at_ms <= now && s_send(r, s, NULL) < 0)
            return -1;
    }
    return 0;
}

/* Print finished slots from the head of the window, in claim order. */
static void s_flush(struct s_run *r)
{
    while (r->head < r->tail) {
        struct s_slot *s = &r->ring[r->head % r->cap];
        if (s->phase != S_DONE)
            break;
        if (s->out)
            s_print(r, s->out);
        s_slot_clear(s);
        r->head++;
    }
}

static struct s_slot *s_find(struct s_run *r, uint64_t id)
{
    for (size_t i = r->head; i < r->tail; i++) {
        struct s_slot *s = &r->ring[i % r->cap];
        if (s->req_id && s->req_id == id)
            return s;
    }
    return NULL;
}

/* klaimd stopped answering: say which claims are left and that sending
 * them again is safe; returns 69. */
static int s_abandon(struct s_run *r, const char *name, int waited_ms)
{
    size_t left = 0;
    const char *first = NULL;
    for (size_t i = r->head; i < r->tail; i++) {
        struct s_slot *s = &r->ring[i % r->cap];
        if (s->phase != S_DONE) {
            left++;
            if (!first)
                first = s->where;
        }
    }
    int rc = ctl_conn_no_answer(r->conn, waited_ms);
    if (first)
        fprintf(stderr, "klaimctl: %s: %zu claims from %s on got no answer; submitting the file again "
                        "is safe (the same idempotency key gets the same answer)\n",
                name, left, first);
    return rc;
}

static int s_run(struct s_run *r, struct claim_input *in)
{
    int eof = 0;
    for (;;) {
        if (s_fill(r, in, &eof) < 0 || s_reask(r) < 0)
            return s_abandon(r, claim_input_name(in), r->o->timeout_ms);
        s_flush(r);
        if (r->head == r->tail && eof)
            return r->exit;
        if (r->head == r->tail)
            continue;   /* every claim so far was skipped: read on */
        /* wake for the earliest reply deadline or status re-ask */
        int64_t now = ctl_now_ms(), by = INT64_MAX, wake;
        struct s_slot *late = NULL;
        for (size_t i = r->head; i < r->tail; i++) {
            struct s_slot *s = &r->ring[i % r->cap];
            if (s->req_id && s->reply_by_ms < by) {
                by = s->reply_by_ms;
                late = s;
            }
        }
        wake = by;
        for (size_t i = r->head; i < r->tail; i++) {
            struct s_slot *s = &r->ring[i % r->cap];
            if (!s->req_id && s->ask_at_ms && s->ask_at_ms < wake)
                wake = s->ask_at_ms;
        }
        if (wake == INT64_MAX) {   /* cannot happen: a slot not done is waiting for something */
            fprintf(stderr, "klaimctl: internal error: no request outstanding\n");
            return CTL_EX_SOFTWARE;
        }
        Klaim__Reply *rep = NULL;
        struct klaim_err err = {0};
        enum ctl_recv rc = ctl_conn_recv(r->conn, wake > now ? (int)(wake - now) : 0, &rep, &err);
        if (rc == CTL_RECV_TIMEOUT) {
            if (!late || ctl_now_ms() < by)
                continue;
            return s_abandon(r, claim_input_name(in), (int)(late->reply_by_ms - late->sent_ms));
        }
        if (rc == CTL_RECV_BAD) {
            int code = ctl_conn_bad_reply(r->conn, &err);
            s_abandon(r, claim_input_name(in), late ? (int)(ctl_now_ms() - late->sent_ms) : 0);
            return code;
        }
        struct s_slot *s = rep->has_request_id ? s_find(r, rep->request_id) : NULL;
        int sent = s ? s_on_reply(r, s, rep) : 0;
        codec_reply_free(rep);
        if (sent < 0)
            return s_abandon(r, claim_input_name(in), r->o->timeout_ms);
    }
}

int ctl_submit(const struct ctl_opts *o, int argc, char **argv)
{
    struct s_run r = {.o = o, .wait_timeout_ms = 60000, .cap = 256};
    const char *file = NULL, *v = NULL;
    for (int i = 0; i < argc;) {
        int rc;
        long n;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_help, stdout);
            return CTL_EX_OK;
        }
        if ((rc = ctl_flag(argc, argv, &i, "--wait-timeout", 1, &v)) != 0) {
            if (rc < 0 || ctl_parse_int("--wait-timeout", v, 0, 86400000, &n) < 0)
                return CTL_EX_USAGE;
            r.wait_timeout_ms = (int)n;
        } else if ((rc = ctl_flag(argc, argv, &i, "--inflight", 1, &v)) != 0) {
            if (rc < 0 || ctl_parse_int("--inflight", v, 1, 100000, &n) < 0)
                return CTL_EX_USAGE;
            r.cap = (size_t)n;
        } else if (ctl_flag(argc, argv, &i, "--wait", 0, NULL)) {
            r.wait = 1;
        } else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && !file) {
            file = argv[i + 1];
            i += 2;
        } else if ((argv[i][0] != '-' || strcmp(argv[i], "-") == 0) && !file) {
            file = argv[i++];
        } else {
            return ctl_usage(S_USAGE, "submit: unexpected argument \"%s\"", argv[i]);
        }
    }
    if (!file)
        return ctl_usage(S_USAGE, "submit: which file? give a FILE of claims, or - for stdin");

    char err[512];
    int errnum = 0;
    struct claim_input *in = claim_input_open(file, err, sizeof err, &errnum);
    if (!in) {
        fprintf(stderr, "klaimctl: %s\n", err);
        return CTL_EX_NOINPUT;
    }
    long n = claim_input_check(in, err, sizeof err);
    if (n <= 0) {
        if (n < 0)
            fprintf(stderr, "klaimctl: %s; nothing was sent\n", err);
        else
            fprintf(stderr, "klaimctl: %s: holds no claims; expected one JSON object, an array of objects, or "
                            "one object per line\n",
                    claim_input_name(in));
        claim_input_destroy(&in);
        return CTL_EX_DATAERR;
    }
    int rc;
    r.conn = ctl_connect(o, &rc);
    if (!r.conn) {
        claim_input_destroy(&in);
        return rc;
    }
    if ((size_t)n < r.cap)
        r.cap = (size_t)n;
    r.ring = xcalloc(r.cap, sizeof *r.ring);
    rc = s_run(&r, in);
    for (size_t i = 0; i < r.cap; i++)
        s_slot_clear(&r.ring[i]);
    free(r.ring);
    ctl_conn_destroy(&r.conn);
    claim_input_destroy(&in);
    return rc;
}

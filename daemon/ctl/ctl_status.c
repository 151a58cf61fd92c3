/* ctl_status.c - `klaimctl status` and `klaimctl stats`: read-only questions.
 *
 * Owns: the status loop (ask again while the claim is undecided and
 *   --wait has time left) and the JSON spelling of klaimd's Stats reply.
 * Runs in: klaimctl only; one request outstanding at a time.
 * See also: ctl_conn.c (wire, error mapping), proto/claim_json.h
 *   (decision_pb_to_json, the decision JSON of interface.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claim_json.h"
#include "ctl.h"
#include "ctl_conn.h"

#define S_STATUS_USAGE "klaimctl status CLAIM_ID | --key KEY [--wait MS]"
#define S_STATS_USAGE "klaimctl stats"
#define S_MAX_WAIT_MS 60000   /* klaimd holds a status reply at most this long */

static const char s_status_help[] =
    "usage: " S_STATUS_USAGE "\n"
    "\n"
    "Print the decision of one claim, by its claim id (k-000000000042) or, with --key, by the\n"
    "idempotency key it was submitted with. The JSON has claim_id, idempotency_key, state\n"
    "(RECEIVED, PROCESSING, APPROVED, REJECTED or PENDING_REVIEW), program, rule_set,\n"
    "wage_basis, items, total, scholarship_children, reasons, received_at and decided_at.\n"
    "It is indented on a terminal and one line otherwise; --format table prints key/value rows.\n"
    "\n"
    "flags:\n"
    "  --key KEY   look the claim up by its idempotency key\n"
    "  --wait MS   if the claim is not decided yet, wait up to MS for the decision; exit 75\n"
    "              if it is still undecided then (its current state is printed)\n"
    "\n"
    "exit: 0 found; 65 no such claim (NOT_FOUND); 69 klaimd unreachable; 77 forbidden.\n"
    "\n"
    "examples:\n"
    "  klaimctl status k-000000000042\n"
    "  klaimctl status --key RSIS-SAKINAH-2026-000123 --wait 30000\n";

static const char s_stats_help[] =
    "usage: " S_STATS_USAGE "\n"
    "\n"
    "Print klaimd's counters as one JSON object:\n"
    "  claims         claims by state (RECEIVED, PROCESSING, APPROVED, REJECTED, PENDING_REVIEW,\n"
    "                 AWAITING_CONFIRMATION: approved once, waiting for a second reviewer)\n"
    "  queue_depth    claims waiting for a worker    in_flight  claims leased to workers\n"
    "  dead           claims parked after too many failed attempts\n"
    "  workers        configured, ready, restarts\n"
    "  commits, committed_ops, max_batch            group commit activity\n"
    "  registry       generation and rows of the participant registry in use\n"
    "  feed_seq       last dispatch feed sequence   uptime_s, stale_results\n"
    "\n"
    "examples:\n"
    "  klaimctl stats\n"
    "  klaimctl --format table stats\n"
    "  watch -n 5 klaimctl --format table stats\n";

static void s_print(const struct ctl_opts *o, const json_t *v, int pretty_on_tty)
{
    if (o->table)
        ctl_print_table(v);
    else
        ctl_print_json(v, pretty_on_tty && isatty(STDOUT_FILENO));
}

static int s_undecided(const Klaim__Decision *d)
{
    return !d->has_state || d->state == KLAIM__STATE__RECEIVED || d->state == KLAIM__STATE__PROCESSING;
}

/* One status question, asked again while undecided and wait_ms lasts. */
static int s_status(const struct ctl_opts *o, const char *id, const char *key, long wait_ms)
{
    char where[200];
    if (id)
        snprintf(where, sizeof where, "claim %s", id);
    else
        snprintf(where, sizeof where, "key %s", key);
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c)
        return rc;
    int64_t until = ctl_now_ms() + wait_ms;
    for (;;) {
        int64_t left = until - ctl_now_ms();
        int hold = left <= 0 ? 0 : left > S_MAX_WAIT_MS ? S_MAX_WAIT_MS : (int)left;
        Klaim__StatusRequest st = KLAIM__STATUS_REQUEST__INIT;
        st.claim_id = (char *)id;
        st.idempotency_key = (char *)key;
        st.has_wait_ms = hold > 0;
        st.wait_ms = (uint32_t)hold;
        Klaim__Request req = KLAIM__REQUEST__INIT;
        req.body_case = KLAIM__REQUEST__BODY_STATUS;
        req.status = &st;
        Klaim__Reply *rep;
        struct klaim_err err = {0};
        int64_t sent = ctl_now_ms();
        enum ctl_recv r = ctl_conn_call(c, &req, o->timeout_ms + hold, &rep, &err);
        if (r != CTL_RECV_OK) {
            rc = r == CTL_RECV_TIMEOUT ? ctl_conn_no_answer(c, o->timeout_ms + hold) : ctl_conn_bad_reply(c, &err);
            break;
        }
        if (rep->body_case == KLAIM__REPLY__BODY_ERROR) {
            rc = ctl_print_error(where, rep->error);
            codec_reply_free(rep);
            break;
        }
        if (rep->body_case != KLAIM__REPLY__BODY_DECISION) {
            fprintf(stderr, "klaimctl: %s: klaimd answered with an unexpected reply (body %d); is klaimd the same "
                            "version as klaimctl %s?\n",
                    where, (int)rep->body_case, KLAIM_VERSION);
            codec_reply_free(rep);
            rc = CTL_EX_SOFTWARE;
            break;
        }
        if (s_undecided(rep->decision) && wait_ms > 0 && ctl_now_ms() < until) {
            codec_reply_free(rep);
            /* klaimd should hold the reply until decided; if it answered
             * well before the wait we asked for, do not hammer it */
            if (ctl_now_ms() - sent < hold / 2)
                usleep(100 * 1000);
            continue;
        }
        rc = CTL_EX_OK;
        if (s_undecided(rep->decision) && wait_ms > 0) {
            fprintf(stderr, "klaimctl: %s is still %s after --wait %ld ms\n", where,
                    ctl_state_name(rep->decision->has_state ? (int)rep->decision->state : 0), wait_ms);
            rc = CTL_EX_TEMPFAIL;
        }
        json_t *j = decision_pb_to_json(rep->decision);
        s_print(o, j, 1);
        json_decref(j);
        codec_reply_free(rep);
        break;
    }
    ctl_conn_destroy(&c);
    return rc;
}

int ctl_status(const struct ctl_opts *o, int argc, char **argv)
{
    const char *id = NULL, *key = NULL, *wait = NULL;
    long wait_ms = 0;
    for (int i = 0; i < argc;) {
        int rc;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_status_help, stdout);
            return CTL_EX_OK;
        }
        if ((rc = ctl_flag(argc, argv, &i, "--key", 1, &key)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--wait", 1, &wait)) != 0) {
            if (rc < 0)
                return CTL_EX_USAGE;
        } else if (argv[i][0] != '-' && !id) {
            id = argv[i++];
        } else {
            return ctl_usage(S_STATUS_USAGE, "status: unexpected argument \"%s\"", argv[i]);
        }
    }
    if (!!id == !!key)
        return ctl_usage(S_STATUS_USAGE, "status: give either a CLAIM_ID or --key KEY");
    if (key && !*key)
        return ctl_usage(S_STATUS_USAGE, "status: --key needs a non-empty idempotency key");
    if (wait && ctl_parse_int("--wait", wait, 0, 86400000, &wait_ms) < 0)
        return CTL_EX_USAGE;
    if (id && ctl_check_claim_id("status", id) != 0)
        return CTL_EX_DATAERR;
    return s_status(o, id, key, wait_ms);
}

static json_int_t s_u(protobuf_c_boolean has, uint64_t v)
{
    return has ? (json_int_t)(v > INT64_MAX ? INT64_MAX : v) : 0;
}

/* klaimd's Stats message as the JSON object klaimctl stats promises; every
 * state appears in claims, 0 when klaimd sent no count for it. */
static json_t *s_stats_json(const Klaim__Stats *st)
{
    static const int states[] = {KLAIM__STATE__RECEIVED, KLAIM__STATE__PROCESSING, KLAIM__STATE__APPROVED,
                                 KLAIM__STATE__REJECTED, KLAIM__STATE__PENDING_REVIEW,
                                 KLAIM__STATE__AWAITING_CONFIRMATION};
    json_t *claims = json_object();
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        json_int_t n = 0;
        for (size_t k = 0; k < st->n_claims; k++)
            if (st->claims[k]->has_state && (int)st->claims[k]->state == states[i])
                n += s_u(st->claims[k]->has_count, st->claims[k]->count);
        json_object_set_new(claims, ctl_state_name(states[i]), json_integer(n));
    }
    return json_pack("{s:o, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:{s:I, s:I}, s:I, s:I, s:I}",
                     "claims", claims,
                     "queue_depth", s_u(st->has_queue_depth, st->queue_depth),
                     "in_flight", s_u(st->has_in_flight, st->in_flight),
                     "dead", s_u(st->has_dead, st->dead),
                     "workers",
                     "configured", s_u(st->has_workers_configured, st->workers_configured),
                     "ready", s_u(st->has_workers_ready, st->workers_ready),
                     "restarts", s_u(st->has_worker_restarts, st->worker_restarts),
                     "commits", s_u(st->has_commits, st->commits),
                     "committed_ops", s_u(st->has_committed_ops, st->committed_ops),
                     "max_batch", s_u(st->has_max_batch, st->max_batch),
                     "registry",
                     "generation", s_u(st->has_registry_generation, st->registry_generation),
                     "rows", s_u(st->has_registry_rows, st->registry_rows),
                     "feed_seq", s_u(st->has_feed_seq, st->feed_seq),
                     "uptime_s", s_u(st->has_uptime_s, st->uptime_s),
                     "stale_results", s_u(st->has_stale_results, st->stale_results));
}

int ctl_stats(const struct ctl_opts *o, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_stats_help, stdout);
            return CTL_EX_OK;
        }
        return ctl_usage(S_STATS_USAGE, "stats: unexpected argument \"%s\"", argv[i]);
    }
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c)
        return rc;
    Klaim__StatsRequest sr = KLAIM__STATS_REQUEST__INIT;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_STATS;
    req.stats = &sr;
    Klaim__Reply *rep;
    struct klaim_err err = {0};
    enum ctl_recv r = ctl_conn_call(c, &req, o->timeout_ms, &rep, &err);
    if (r == CTL_RECV_TIMEOUT) {
        rc = ctl_conn_no_answer(c, o->timeout_ms);
    } else if (r == CTL_RECV_BAD) {
        rc = ctl_conn_bad_reply(c, &err);
    } else if (rep->body_case == KLAIM__REPLY__BODY_ERROR) {
        rc = ctl_print_error("stats", rep->error);
    } else if (rep->body_case == KLAIM__REPLY__BODY_STATS) {
        json_t *j = s_stats_json(rep->stats);
        s_print(o, j, 1);
        json_decref(j);
        rc = CTL_EX_OK;
    } else {
        fprintf(stderr, "klaimctl: stats: klaimd answered with an unexpected reply (body %d); is klaimd the same "
                        "version as klaimctl %s?\n",
                (int)rep->body_case, KLAIM_VERSION);
        rc = CTL_EX_SOFTWARE;
    }
    if (r == CTL_RECV_OK)
        codec_reply_free(rep);
    ctl_conn_destroy(&c);
    return rc;
}

/* ctl_review.c - klaimctl review list|approve|reject: the review queue.
 *
 * Runs in: klaimctl only.
 * list prints one decision JSON per line (the claims waiting for a person);
 * approve and reject print the claim's decision after klaimd recorded the
 * review. Who reviewed is --by (default: $USER), recorded with the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claim_json.h"
#include "ctl.h"
#include "ctl_conn.h"

#define S_REVIEW_USAGE                                                                                           \
    "klaimctl review list [--limit N] [--after CLAIM_ID]\n"                                                    \
    "       klaimctl review approve CLAIM_ID [--by NAME] [--note TEXT]\n"                                      \
    "       klaimctl review reject CLAIM_ID --note TEXT [--by NAME]"

static const char s_review_help[] =
    "usage: " S_REVIEW_USAGE "\n"
    "\n"
    "Claims that klaimd cannot decide alone wait in state PENDING_REVIEW with a reason\n"
    "(rules.md §4: INCONSISTENT_DATA, BPU_ARREARS, EMPLOYER_ARREARS, REPORT_LATE,\n"
    "HEIRS_MISSING, DUPLICATE_CLAIM, RULE_UNVERIFIED, NO_BENEFIT_CLAIMED, PROCESSING_FAILED).\n"
    "\n"
    "  list      print them, one decision JSON per line, oldest first (--limit, default\n"
    "            100; --after CLAIM_ID for the next page)\n"
    "  approve   accept the claim's first reason: klaimd decides it again under the same\n"
    "            rules without that check (a further reason stops it again, for its own\n"
    "            review). A PROCESSING_FAILED claim is queued again. RULE_UNVERIFIED and\n"
    "            NO_BENEFIT_CLAIMED cannot be approved: klaimd has no amount to pay.\n"
    "  reject    make it final: REJECTED with the reason, and your --note saying why\n"
    "\n"
    "  --by NAME    who reviews (default: $USER); recorded with the time and the note\n"
    "  --note TEXT  why (required to reject; up to 500 bytes)\n"
    "\n"
    "Exit codes: 0 done, 64 usage, 65 not found or not reviewable, 69 klaimd unreachable.\n"
    "Example: klaimctl review approve k-000000000017 --by \"Sri (BPJS Mojokerto)\" \\\n"
    "             --note \"employer report arrived by fax on time\"\n";

static int s_list(const struct ctl_opts *o, long limit, const char *after)
{
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c) return rc;
    Klaim__ReviewListRequest lr = KLAIM__REVIEW_LIST_REQUEST__INIT;
    lr.has_limit = 1, lr.limit = (uint32_t)limit;
    lr.after_claim_id = (char *)after;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_REVIEW_LIST;
    req.review_list = &lr;
    Klaim__Reply *rep = NULL;
    rc = ctl_conn_expect(c, &req, o->timeout_ms, KLAIM__REPLY__BODY_REVIEW_LIST, "review list", &rep);
    if (rc == 0) {
        for (size_t i = 0; i < rep->review_list->n_decisions; i++) {
            json_t *j = decision_pb_to_json(rep->review_list->decisions[i]);
            ctl_print_json(j, 0);
            json_decref(j);
        }
        if (rep->review_list->has_more && rep->review_list->more && rep->review_list->n_decisions > 0)
            fprintf(stderr, "klaimctl: more claims wait for review: klaimctl review list --after %s\n",
                    rep->review_list->decisions[rep->review_list->n_decisions - 1]->claim_id);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

static int s_resolve(const struct ctl_opts *o, const char *id, int action, const char *by, const char *note)
{
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c) return rc;
    Klaim__ReviewRequest rr = KLAIM__REVIEW_REQUEST__INIT;
    rr.claim_id = (char *)id;
    rr.has_action = 1, rr.action = (Klaim__ReviewAction)action;
    rr.by = (char *)by;
    rr.note = (char *)note;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_REVIEW;
    req.review = &rr;
    Klaim__Reply *rep = NULL;
    char where[96];
    snprintf(where, sizeof where, "review %s", id);
    rc = ctl_conn_expect(c, &req, o->timeout_ms, KLAIM__REPLY__BODY_DECISION, where, &rep);
    if (rc == 0) {
        json_t *j = decision_pb_to_json(rep->decision);
        ctl_print_json(j, isatty(STDOUT_FILENO));
        json_decref(j);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

int ctl_review(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc < 1) return ctl_usage(S_REVIEW_USAGE, "review: give list, approve or reject");
    const char *sub = argv[0];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(s_review_help, stdout);
        return CTL_EX_OK;
    }
    const char *id = NULL, *by = NULL, *note = NULL, *limit_s = NULL, *after = NULL;
    for (int i = 1; i < argc;) {
        int rc;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_review_help, stdout);
            return CTL_EX_OK;
        }
        if ((rc = ctl_flag(argc, argv, &i, "--by", 1, &by)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--note", 1, &note)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--limit", 1, &limit_s)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--after", 1, &after)) != 0) {
            if (rc < 0) return CTL_EX_USAGE;
        } else if (argv[i][0] != '-' && !id) {
            id = argv[i++];
        } else {
            return ctl_usage(S_REVIEW_USAGE, "review %s: unexpected argument \"%s\"", sub, argv[i]);
        }
    }
    if (strcmp(sub, "list") == 0) {
        long limit = 100;
        if (id) return ctl_usage(S_REVIEW_USAGE, "review list: unexpected argument \"%s\"", id);
        if (limit_s && ctl_parse_int("--limit", limit_s, 1, 1000, &limit) < 0) return CTL_EX_USAGE;
        return s_list(o, limit, after);
    }
    int action = strcmp(sub, "approve") == 0 ? KLAIM__REVIEW_ACTION__APPROVE
                 : strcmp(sub, "reject") == 0 ? KLAIM__REVIEW_ACTION__REJECT
                                              : 0;
    if (!action) return ctl_usage(S_REVIEW_USAGE, "review: unknown action \"%s\" (list, approve or reject)", sub);
    if (!id) return ctl_usage(S_REVIEW_USAGE, "review %s: give the CLAIM_ID", sub);
    if (action == KLAIM__REVIEW_ACTION__REJECT && (!note || !*note))
        return ctl_usage(S_REVIEW_USAGE, "review reject: say why with --note TEXT");
    if (!by) by = getenv("USER");
    if (!by || !*by) return ctl_usage(S_REVIEW_USAGE, "review %s: name the reviewer with --by NAME", sub);
    return s_resolve(o, id, action, by, note);
}

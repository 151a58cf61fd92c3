/* ctl_review.c - klaimctl review list|approve|reject|confirm: the review queue.
 *
 * Runs in: klaimctl only.
 * list prints one decision JSON per line (the claims waiting for a person
 * or for a second reviewer); approve, reject and confirm print the claim's
 * decision after klaimd recorded the review. Who reviewed is --by (default:
 * $USER), recorded with the client; an approve may bring heirs (--heir,
 * docs/money.md §3), checked here for their shape before anything is sent.
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
    "                [--heir NIK:NAME:RELATION[:BANKCODE:ACCOUNT]]...\n"                                       \
    "       klaimctl review reject CLAIM_ID --note TEXT [--by NAME]\n"                                         \
    "       klaimctl review confirm CLAIM_ID [--by NAME] [--note TEXT]"

static const char s_review_help[] =
    "usage: " S_REVIEW_USAGE "\n"
    "\n"
    "Claims that klaimd cannot decide alone wait in state PENDING_REVIEW with a reason\n"
    "(INCONSISTENT_DATA, BPU_ARREARS, EMPLOYER_ARREARS, REPORT_LATE, HEIRS_MISSING,\n"
    "DUPLICATE_CLAIM, RULE_UNVERIFIED, NO_BENEFIT_CLAIMED, PROCESSING_FAILED). An approved\n"
    "claim whose new total is at or above review_second_approval_rupiah (default 0: every\n"
    "approval) waits in AWAITING_CONFIRMATION for a second reviewer (four eyes).\n"
    "\n"
    "  list      print both kinds, one decision JSON per line, oldest first (--limit,\n"
    "            default 100; --after CLAIM_ID for the next page)\n"
    "  approve   accept the claim's first reason: klaimd decides it again under the same\n"
    "            rules without that check (a further reason stops it again, for its own\n"
    "            review). A PROCESSING_FAILED claim is queued again. RULE_UNVERIFIED and\n"
    "            NO_BENEFIT_CLAIMED cannot be approved: klaimd has no amount to pay.\n"
    "            HEIRS_MISSING, and INCONSISTENT_DATA because a heir has the participant's\n"
    "            own NIK, can only be approved with the right heirs (--heir): they replace\n"
    "            the claim's heirs for every later decision. Other reasons take no --heir.\n"
    "  reject    make it final: REJECTED with the reason, and your --note saying why\n"
    "  confirm   the second approval: an AWAITING_CONFIRMATION claim becomes APPROVED\n"
    "            (payable); a confirm while the claim is still being decided again is\n"
    "            kept and applies when the decision comes. Nobody confirms their own\n"
    "            approval, and nobody approves or confirms a claim their own client\n"
    "            submitted (with CURVE keys the identity is the key's client, without\n"
    "            keys it is --by).\n"
    "\n"
    "  --by NAME    who reviews (default: $USER); recorded with the time and the note\n"
    "  --note TEXT  why (required to reject; up to 500 bytes)\n"
    "  --heir NIK:NAME:RELATION[:BANKCODE:ACCOUNT]\n"
    "               one heir (repeat for each): a 16-digit NIK (may be empty, but one heir\n"
    "               needs a NIK), the name (no ':'), a relation (SPOUSE CHILD PARENT\n"
    "               GRANDPARENT GRANDCHILD SIBLING PARENT_IN_LAW WILL_BENEFICIARY OTHER),\n"
    "               and optionally the bank account the heir is paid to: a 3-digit bank\n"
    "               code and a 6-20 digit account number, held in the heir's name\n"
    "\n"
    "--format table: review list prints one line a claim (total as 42,000,000, received in\n"
    "WIB); approve, reject and confirm print the decision as key/value rows.\n"
    "Exit codes: 0 done, 64 usage or a malformed --heir, 65 not found, not reviewable, a\n"
    "CLAIM_ID that is not k- followed by digits, or a request klaimd refused (the four-eyes\n"
    "refusals, heirs klaimd refuses, BAD_REQUEST such as --heir with a reason that takes no\n"
    "heirs), 69 klaimd unreachable, 77 your role may not review.\n"
    "Example: klaimctl review approve k-000000000017 --by \"Sri (BPJS Mojokerto)\" \\\n"
    "             --heir 3516054101900901:Siti Aminah:SPOUSE:002:0123456789\n"
    "         klaimctl review confirm k-000000000017 --by \"Budi (BPJS Mojokerto)\"\n";

#define CTL_MAX_HEIRS 20

/* One --heir, parsed into h (strings point into buf). 0, or 64 after
 * printing which part of the n-th --heir is wrong and how to write it. */
static int s_heir_parse(int n, const char *arg, char *buf, size_t bufsize, Klaim__Heir *h, Klaim__BankAccount *b)
{
    char *part[6];
    int np = 0;
    if (strlen(arg) >= bufsize)
        return ctl_usage(S_REVIEW_USAGE, "--heir #%d is too long (at most %zu bytes)", n, bufsize - 1);
    memcpy(buf, arg, strlen(arg) + 1);
    for (char *p = buf, *c; np < 6; p = c + 1) {
        part[np++] = p;
        if (!(c = strchr(p, ':'))) break;
        *c = '\0';
    }
    if (np != 3 && np != 5)
        return ctl_usage(S_REVIEW_USAGE,
                         "--heir #%d has %d ':'-separated parts; write NIK:NAME:RELATION or "
                         "NIK:NAME:RELATION:BANKCODE:ACCOUNT (the name may not contain ':')",
                         n, np);
    klaim__heir__init(h);
    size_t nl = strlen(part[0]);
    int digits = nl == 16;
    for (size_t i = 0; digits && i < nl; i++) digits = part[0][i] >= '0' && part[0][i] <= '9';
    if (nl && !digits)
        return ctl_usage(S_REVIEW_USAGE, "--heir #%d: the NIK (%zu characters) is not 16 digits; give the heir's "
                                         "16-digit NIK, or nothing before the first ':' for a heir without one",
                         n, nl);
    h->nik = nl ? part[0] : NULL;
    if (!part[1][0]) return ctl_usage(S_REVIEW_USAGE, "--heir #%d: the name is empty; give the heir's name", n);
    h->name = part[1];
    int rel = (int)klaim_relation_parse(part[2]);
    if (!rel)
        return ctl_usage(S_REVIEW_USAGE,
                         "--heir #%d: relation \"%.40s\" is not known; give one of SPOUSE CHILD PARENT GRANDPARENT "
                         "GRANDCHILD SIBLING PARENT_IN_LAW WILL_BENEFICIARY OTHER",
                         n, part[2]);
    h->has_relation = 1, h->relation = (Klaim__Relation)rel;
    if (np == 5) {
        size_t cl = strlen(part[3]), al = strlen(part[4]);
        int ok = cl == 3;
        for (size_t i = 0; ok && i < cl; i++) ok = part[3][i] >= '0' && part[3][i] <= '9';
        if (!ok)
            return ctl_usage(S_REVIEW_USAGE, "--heir #%d: the bank code \"%.20s\" is not 3 digits (e.g. 002 for BRI)",
                             n, part[3]);
        ok = al >= 6 && al <= 20;
        for (size_t i = 0; ok && i < al; i++) ok = part[4][i] >= '0' && part[4][i] <= '9';
        if (!ok)
            return ctl_usage(S_REVIEW_USAGE,
                             "--heir #%d: the account (%zu characters) is not 6-20 digits; give the number without "
                             "spaces or dashes",
                             n, al);
        klaim__bank_account__init(b);
        b->bank_code = part[3];
        b->account = part[4];
        b->name = part[1]; /* the account is held in the heir's name */
        h->bank = b;
    }
    return 0;
}

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
        static const struct ctl_col cols[] = {
            {"claim_id", "CLAIM", 16}, {"state", "STATE", 22},          {"program", "PROGRAM", 7},
            {"total", "TOTAL", -14},   {"received_at", "RECEIVED", 20}, {"idempotency_key", "KEY", 0},
        };
        size_t ncols = sizeof cols / sizeof cols[0];
        if (o->table) ctl_print_row(NULL, cols, ncols, 1);
        for (size_t i = 0; i < rep->review_list->n_decisions; i++) {
            json_t *j = decision_pb_to_json(rep->review_list->decisions[i]);
            if (o->table)
                ctl_print_row(j, cols, ncols, 0);
            else
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

static int s_resolve(const struct ctl_opts *o, const char *id, int action, const char *by, const char *note,
                     Klaim__Heir **heirs, size_t n_heirs)
{
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c) return rc;
    Klaim__ReviewRequest rr = KLAIM__REVIEW_REQUEST__INIT;
    rr.claim_id = (char *)id;
    rr.has_action = 1, rr.action = (Klaim__ReviewAction)action;
    rr.by = (char *)by;
    rr.note = (char *)note;
    rr.n_heirs = n_heirs;
    rr.heirs = heirs;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_REVIEW;
    req.review = &rr;
    Klaim__Reply *rep = NULL;
    char where[96];
    snprintf(where, sizeof where, "review %s", id);
    rc = ctl_conn_expect(c, &req, o->timeout_ms, KLAIM__REPLY__BODY_DECISION, where, &rep);
    if (rc == 0) {
        json_t *j = decision_pb_to_json(rep->decision);
        if (o->table)
            ctl_print_table(j);
        else
            ctl_print_json(j, isatty(STDOUT_FILENO));
        json_decref(j);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

int ctl_review(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc < 1) return ctl_usage(S_REVIEW_USAGE, "review: give list, approve, reject or confirm");
    const char *sub = argv[0];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(s_review_help, stdout);
        return CTL_EX_OK;
    }
    const char *id = NULL, *by = NULL, *note = NULL, *limit_s = NULL, *after = NULL, *heir = NULL;
    static char bufs[CTL_MAX_HEIRS][512];
    static Klaim__Heir hs[CTL_MAX_HEIRS];
    static Klaim__BankAccount banks[CTL_MAX_HEIRS];
    Klaim__Heir *hp[CTL_MAX_HEIRS];
    size_t n_heirs = 0;
    for (int i = 1; i < argc;) {
        int rc;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_review_help, stdout);
            return CTL_EX_OK;
        }
        if ((rc = ctl_flag(argc, argv, &i, "--by", 1, &by)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--note", 1, &note)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--limit", 1, &limit_s)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--after", 1, &after)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--heir", 1, &heir)) != 0) {
            if (rc < 0) return CTL_EX_USAGE;
            if (heir) {
                if (n_heirs == CTL_MAX_HEIRS)
                    return ctl_usage(S_REVIEW_USAGE, "at most %d --heir flags", CTL_MAX_HEIRS);
                if (s_heir_parse((int)n_heirs + 1, heir, bufs[n_heirs], sizeof bufs[n_heirs], &hs[n_heirs],
                                 &banks[n_heirs]) != 0)
                    return CTL_EX_USAGE;
                hp[n_heirs] = &hs[n_heirs];
                n_heirs++;
                heir = NULL;
            }
        } else if (argv[i][0] != '-' && !id) {
            id = argv[i++];
        } else {
            return ctl_usage(S_REVIEW_USAGE, "review %s: unexpected argument \"%s\"", sub, argv[i]);
        }
    }
    if (strcmp(sub, "list") == 0) {
        long limit = 100;
        if (n_heirs) return ctl_usage(S_REVIEW_USAGE, "review list: --heir goes with approve only");
        if (id) return ctl_usage(S_REVIEW_USAGE, "review list: unexpected argument \"%s\"", id);
        if (limit_s && ctl_parse_int("--limit", limit_s, 1, 1000, &limit) < 0) return CTL_EX_USAGE;
        if (after && ctl_check_claim_id("review list --after", after) != 0) return CTL_EX_DATAERR;
        return s_list(o, limit, after);
    }
    int action = strcmp(sub, "approve") == 0   ? KLAIM__REVIEW_ACTION__APPROVE
                 : strcmp(sub, "reject") == 0  ? KLAIM__REVIEW_ACTION__REJECT
                 : strcmp(sub, "confirm") == 0 ? KLAIM__REVIEW_ACTION__CONFIRM
                                               : 0;
    if (!action)
        return ctl_usage(S_REVIEW_USAGE, "review: unknown action \"%s\" (list, approve, reject or confirm)", sub);
    if (n_heirs && action != KLAIM__REVIEW_ACTION__APPROVE)
        return ctl_usage(S_REVIEW_USAGE, "review %s: --heir goes with approve only", sub);
    if (!id) return ctl_usage(S_REVIEW_USAGE, "review %s: give the CLAIM_ID", sub);
    char where[64];
    snprintf(where, sizeof where, "review %s", sub);
    if (ctl_check_claim_id(where, id) != 0) return CTL_EX_DATAERR;
    if (action == KLAIM__REVIEW_ACTION__REJECT && (!note || !*note))
        return ctl_usage(S_REVIEW_USAGE, "review reject: say why with --note TEXT");
    if (!by) by = getenv("USER");
    if (!by || !*by) return ctl_usage(S_REVIEW_USAGE, "review %s: name the reviewer with --by NAME", sub);
    return s_resolve(o, id, action, by, note, n_heirs ? hp : NULL, n_heirs);
}

/* ctl_payments.c - klaimctl payments batch|show|settle|account.
 *
 * Runs in: klaimctl only.
 * batch asks klaimd for a new payment batch and writes it as
 * DIR/payments-NNNNNN.csv and DIR/payments-NNNNNN.xml (pain.001.001.03);
 * show re-renders a stored batch to the same bytes (pay_render.c takes
 * every value from the batch, its creation time included); settle sends
 * the bank's result file; account records a corrected payee account.
 * Files are written to a temporary name, fsynced and renamed, so a file
 * of that name is always whole. docs/money.md §6.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_conn.h"
#include "dates.h"
#include "pay_render.h"
#include "types.h"
#include "xalloc.h"

#define S_USAGE                                                                                                  \
    "klaimctl payments batch [--until DATE] [--out DIR]\n"                                                      \
    "       klaimctl payments show N [--out DIR]\n"                                                             \
    "       klaimctl payments settle FILE\n"                                                                    \
    "       klaimctl payments account CLAIM_ID --payee N --bank-code C --account A --account-name NAME --by WHO"

static const char s_help[] =
    "usage: " S_USAGE "\n"
    "\n"
    "Payments of APPROVED claims (docs/money.md §6).\n"
    "\n"
    "  batch    take every APPROVED, unpaid claim decided on or before --until (YYYY-MM-DD,\n"
    "           WIB; default today) whose payees all have a bank account into a new numbered\n"
    "           batch, one line a payee, and write it to --out DIR (default .) as\n"
    "           payments-NNNNNN.csv and payments-NNNNNN.xml (ISO 20022 pain.001.001.03, debtor\n"
    "           " PAY_DEBTOR_NAME "). Prints a JSON summary: batch, lines, total, claims, the\n"
    "           claims skipped for a missing account, and the files. Nothing payable: no batch.\n"
    "  show     the stored batch N as JSON (lines with their state); with --out DIR it writes\n"
    "           the same two files again, byte for byte as batch wrote them\n"
    "  settle   the bank's result file, one line per batch line:\n"
    "             batch,line,claim_id,amount,status,reference,date,reason\n"
    "           status PAID (reference required) or FAILED (reason required), date YYYY-MM-DD;\n"
    "           an optional header line. The whole file is checked first: any bad line\n"
    "           (unknown line, changed amount, repeated line, another batch, a settled line\n"
    "           with other values) refuses the file, naming the line, and nothing changes.\n"
    "           The same file again changes nothing. A claim is PAID when all its lines are,\n"
    "           FAILED when one failed: correct the account, and the next batch takes it.\n"
    "  account  record a payee's corrected account (payee N: its place in the decision's\n"
    "           payees, from 0); a holder name that is not the payee's is flagged, not refused\n"
    "\n"
    "Roles: batch, show and settle need upstream or admin; account needs reviewer or admin.\n"
    "Exit codes: 0 done (also: nothing to batch), 64 usage, 65 refused (the message names\n"
    "the field or file line), 66 FILE unreadable, 69 klaimd unreachable, 73 cannot write DIR,\n"
    "77 forbidden.\n"
    "Example: klaimctl payments batch --until 2026-03-31 --out /srv/bank/outgoing\n";

/* Writes data to DIR/name through a temporary file, fsync and rename. */
static int s_write_file(const char *dir, const char *name, const char *data, size_t len, char *path, size_t pathlen)
{
    char tmp[4096];
    snprintf(path, pathlen, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "klaimctl: payments: cannot create %s: %s (check --out)\n", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            fprintf(stderr, "klaimctl: payments: writing %s: %s\n", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "klaimctl: payments: saving %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Both files of a batch into dir; their paths into j (csv, xml). */
static int s_write_batch(const Klaim__PaymentBatch *b, const char *dir, json_t *j)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "klaimctl: payments: --out %s is not a directory\n", dir);
        return CTL_EX_CANTCREAT;
    }
    char name[64], path[4096];
    size_t len;
    char *csv = pay_render_csv(b, &len);
    pay_render_file_name(b->batch, "csv", name, sizeof name);
    int rc = s_write_file(dir, name, csv, len, path, sizeof path);
    free(csv);
    if (rc != 0) return CTL_EX_CANTCREAT;
    json_object_set_new(j, "csv", json_string(path));
    char *xml = pay_render_xml(b, &len);
    pay_render_file_name(b->batch, "xml", name, sizeof name);
    rc = s_write_file(dir, name, xml, len, path, sizeof path);
    free(xml);
    if (rc != 0) return CTL_EX_CANTCREAT;
    json_object_set_new(j, "xml", json_string(path));
    return CTL_EX_OK;
}

/* A BankAccount as {"bank_code","account","name"}, null when absent. */
static json_t *s_bank_json(const Klaim__BankAccount *a)
{
    if (!a) return json_null();
    return json_pack("{s:s, s:s, s:s}", "bank_code", a->bank_code ? a->bank_code : "", "account",
                     a->account ? a->account : "", "name", a->name ? a->name : "");
}

/* A PaymentState's name, "" when unknown. */
static const char *s_pay_state(int s)
{
    static const char *const names[] = {"", "UNPAID", "IN_BATCH", "PAID", "FAILED"};
    return s > 0 && s < 5 ? names[s] : "";
}

/* The batch's summary (and with lines, every line) as JSON. */
static json_t *s_batch_json(const Klaim__PaymentBatch *b, int with_lines)
{
    json_t *j = json_object();
    if (b->batch == 0) {
        json_object_set_new(j, "batch", json_null());
        json_object_set_new(j, "created", json_false());
    } else {
        json_object_set_new(j, "batch", json_integer((json_int_t)b->batch));
        json_object_set_new(j, "created_by", json_string(b->created_by ? b->created_by : ""));
        json_object_set_new(j, "until", json_string(b->until ? b->until : ""));
        json_object_set_new(j, "lines", json_integer(b->line_count));
        json_object_set_new(j, "total", json_integer(b->total));
        json_object_set_new(j, "settled", json_boolean(b->settled));
    }
    if (b->has_claims) {
        json_object_set_new(j, "claims", json_integer(b->claims));
        json_object_set_new(j, "skipped_no_account", json_integer(b->skipped_no_account));
        json_t *sk = json_array();
        for (size_t i = 0; i < b->n_skipped; i++) json_array_append_new(sk, json_string(b->skipped[i]));
        json_object_set_new(j, "skipped", sk);
        json_object_set_new(j, "skipped_no_payees", json_integer(b->skipped_no_payees));
        json_object_set_new(j, "skipped_failed", json_integer(b->skipped_failed));
    }
    if (with_lines) {
        json_t *ls = json_array();
        for (size_t i = 0; i < b->n_lines; i++) {
            const Klaim__PaymentLine *l = b->lines[i];
            json_t *items = json_array();
            for (size_t k = 0; k < l->n_items; k++) json_array_append_new(items, json_string(l->items[k]));
            json_t *x = json_pack("{s:i, s:s, s:i, s:s, s:s, s:s, s:o, s:I, s:o, s:s}", "line", (int)l->line,
                                  "claim_id", l->claim_id ? l->claim_id : "", "payee", (int)l->payee, "role",
                                  klaim_payee_role_name((enum klaim_payee_role)l->role), "payee_id",
                                  l->payee_id ? l->payee_id : "", "payee_name", l->payee_name ? l->payee_name : "",
                                  "bank", s_bank_json(l->bank), "amount", (json_int_t)l->amount, "items", items,
                                  "state", s_pay_state((int)l->state));
            if (l->reference && l->reference[0]) json_object_set_new(x, "reference", json_string(l->reference));
            if (l->settled_on) json_object_set_new(x, "settled_on", json_string(l->settled_on));
            if (l->failure) json_object_set_new(x, "failure", json_string(l->failure));
            json_array_append_new(ls, x);
        }
        json_object_set_new(j, "line_items", ls);
    }
    return j;
}

/* Connects and makes one request expecting reply body `body`; returns the
 * exit code (0 with *rep set). *cp is the connection to destroy. */
static int s_call(const struct ctl_opts *o, Klaim__Request *req, int body, const char *where, Klaim__Reply **rep,
                  struct ctl_conn **cp)
{
    int rc;
    *cp = ctl_connect(o, &rc);
    if (!*cp) return rc;
    return ctl_conn_expect(*cp, req, o->timeout_ms, body, where, rep);
}

/* payments batch: asks for a batch, writes its two files into out (default
 * .), prints the summary. An empty answer creates no file. */
static int s_batch(const struct ctl_opts *o, const char *until, const char *out)
{
    Klaim__PaymentBatchRequest br = KLAIM__PAYMENT_BATCH_REQUEST__INIT;
    br.until = (char *)until;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_PAYMENT_BATCH;
    req.payment_batch = &br;
    Klaim__Reply *rep = NULL;
    struct ctl_conn *c = NULL;
    int rc = s_call(o, &req, KLAIM__REPLY__BODY_PAYMENT_BATCH, "payments batch", &rep, &c);
    if (rc == 0) {
        const Klaim__PaymentBatch *b = rep->payment_batch;
        json_t *j = s_batch_json(b, 0);
        if (b->batch == 0) {
            fprintf(stderr, "klaimctl: payments batch: nothing payable: no batch was created\n");
        } else {
            rc = s_write_batch(b, out ? out : ".", j);
            if (rc != 0)
                fprintf(stderr, "klaimctl: payments batch: batch %" PRIu64 " is stored in klaimd; write its files "
                        "with: klaimctl payments show %" PRIu64 " --out DIR\n", b->batch, b->batch);
        }
        if (b->skipped_no_account)
            fprintf(stderr, "klaimctl: payments batch: %u claim(s) left out: a payee has no bank account "
                    "(klaimctl payments account)\n", b->skipped_no_account);
        ctl_print_json(j, isatty(STDOUT_FILENO));
        json_decref(j);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

/* payments show: the stored batch as JSON, and with out its two files,
 * the same bytes as when it was created. */
static int s_show(const struct ctl_opts *o, uint64_t n, const char *out)
{
    Klaim__PaymentShowRequest sr = KLAIM__PAYMENT_SHOW_REQUEST__INIT;
    sr.has_batch = 1, sr.batch = n;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_PAYMENT_SHOW;
    req.payment_show = &sr;
    Klaim__Reply *rep = NULL;
    struct ctl_conn *c = NULL;
    int rc = s_call(o, &req, KLAIM__REPLY__BODY_PAYMENT_BATCH, "payments show", &rep, &c);
    if (rc == 0) {
        json_t *j = s_batch_json(rep->payment_batch, out == NULL);
        if (out) rc = s_write_batch(rep->payment_batch, out, j);
        ctl_print_json(j, isatty(STDOUT_FILENO));
        json_decref(j);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

/* payments settle: sends the whole result file; klaimd checks and applies
 * it (or refuses it with the file line) and this prints the report. */
static int s_settle(const struct ctl_opts *o, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "klaimctl: payments settle: cannot open %s: %s\n", path, strerror(errno));
        return CTL_EX_NOINPUT;
    }
    size_t cap = 65536, len = 0;
    uint8_t *data = xmalloc(cap);
    size_t n;
    while ((n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) data = xrealloc(data, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        fprintf(stderr, "klaimctl: payments settle: reading %s failed\n", path);
        return CTL_EX_NOINPUT;
    }
    const char *base = strrchr(path, '/');
    Klaim__SettleRequest sr = KLAIM__SETTLE_REQUEST__INIT;
    sr.has_data = 1, sr.data.data = data, sr.data.len = len;
    sr.name = (char *)(base ? base + 1 : path);
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_SETTLE;
    req.settle = &sr;
    Klaim__Reply *rep = NULL;
    struct ctl_conn *c = NULL;
    char where[256];
    snprintf(where, sizeof where, "payments settle %s", path);
    int rc = s_call(o, &req, KLAIM__REPLY__BODY_SETTLE_REPORT, where, &rep, &c);
    free(data);
    if (rc == 0) {
        const Klaim__SettleReport *s = rep->settle_report;
        json_t *j = json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:b}", "batch", (json_int_t)s->batch, "lines",
                              (int)s->lines, "paid", (int)s->paid, "failed", (int)s->failed, "unchanged",
                              (int)s->unchanged, "claims_paid", (int)s->claims_paid, "claims_failed",
                              (int)s->claims_failed, "batch_settled", (int)s->batch_settled);
        ctl_print_json(j, isatty(STDOUT_FILENO));
        json_decref(j);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

/* payments account: records a payee's account and prints the reply,
 * warning on stderr when the holder name is flagged. */
static int s_account(const struct ctl_opts *o, const char *id, long payee, const char *code, const char *account,
                     const char *name, const char *by)
{
    Klaim__BankAccount bank = KLAIM__BANK_ACCOUNT__INIT;
    bank.bank_code = (char *)code, bank.account = (char *)account, bank.name = (char *)name;
    Klaim__PaymentAccountRequest ar = KLAIM__PAYMENT_ACCOUNT_REQUEST__INIT;
    ar.claim_id = (char *)id;
    ar.has_payee = 1, ar.payee = (uint32_t)payee;
    ar.bank = &bank;
    ar.by = (char *)by;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_PAYMENT_ACCOUNT;
    req.payment_account = &ar;
    Klaim__Reply *rep = NULL;
    struct ctl_conn *c = NULL;
    char where[96];
    snprintf(where, sizeof where, "payments account %s", id);
    int rc = s_call(o, &req, KLAIM__REPLY__BODY_PAYMENT_ACCOUNT, where, &rep, &c);
    /* A claim that is not APPROVED, or a payee paid already: refused data. */
    if (rc == CTL_EX_SOFTWARE) rc = CTL_EX_DATAERR;
    if (rc == 0) {
        const Klaim__PaymentAccount *a = rep->payment_account;
        json_t *j = json_pack("{s:s, s:i, s:s, s:o, s:b, s:s}", "claim_id", a->claim_id ? a->claim_id : "", "payee",
                              (int)a->payee, "payee_name", a->payee_name ? a->payee_name : "", "bank",
                              s_bank_json(a->bank), "bank_name_mismatch", (int)a->bank_name_mismatch,
                              "payment_state", s_pay_state((int)a->payment_state));
        if (a->bank_name_mismatch)
            fprintf(stderr, "klaimctl: payments account: the holder's name is not the payee's; recorded and "
                    "flagged: check it before the next batch\n");
        ctl_print_json(j, isatty(STDOUT_FILENO));
        json_decref(j);
        codec_reply_free(rep);
    }
    ctl_conn_destroy(&c);
    return rc;
}

/* klaimctl payments VERB ...: parses the flags and runs the verb. */
int ctl_payments(const struct ctl_opts *o, int argc, char **argv)
{
    if (argc < 1) return ctl_usage(S_USAGE, "payments: give batch, show, settle or account");
    const char *sub = argv[0];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(s_help, stdout);
        return CTL_EX_OK;
    }
    const char *arg = NULL, *until = NULL, *out = NULL, *payee_s = NULL, *code = NULL, *account = NULL,
               *name = NULL, *by = NULL;
    for (int i = 1; i < argc;) {
        int rc;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_help, stdout);
            return CTL_EX_OK;
        }
        if ((rc = ctl_flag(argc, argv, &i, "--until", 1, &until)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--out", 1, &out)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--payee", 1, &payee_s)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--bank-code", 1, &code)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--account", 1, &account)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--account-name", 1, &name)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--by", 1, &by)) != 0) {
            if (rc < 0) return CTL_EX_USAGE;
        } else if ((argv[i][0] != '-' || strcmp(argv[i], "-") == 0) && !arg) {
            arg = argv[i++];
        } else {
            return ctl_usage(S_USAGE, "payments %s: unexpected argument \"%s\"", sub, argv[i]);
        }
    }
    if (strcmp(sub, "batch") == 0) {
        if (arg) return ctl_usage(S_USAGE, "payments batch: unexpected argument \"%s\"", arg);
        kdate d;
        if (until && kdate_parse(until, strlen(until), &d) != 0)
            return ctl_usage(S_USAGE, "payments batch: --until \"%s\" is not a date: give YYYY-MM-DD (WIB)", until);
        return s_batch(o, until, out);
    }
    if (strcmp(sub, "show") == 0) {
        long n;
        if (!arg) return ctl_usage(S_USAGE, "payments show: give the batch number N");
        if (ctl_parse_int("batch", arg, 1, 2147483647L, &n) < 0) return CTL_EX_USAGE;
        return s_show(o, (uint64_t)n, out);
    }
    if (strcmp(sub, "settle") == 0) {
        if (!arg) return ctl_usage(S_USAGE, "payments settle: give the bank's result FILE");
        return s_settle(o, arg);
    }
    if (strcmp(sub, "account") == 0) {
        long payee;
        if (!arg) return ctl_usage(S_USAGE, "payments account: give the CLAIM_ID");
        if (ctl_check_claim_id("payments account", arg) != 0) return CTL_EX_DATAERR;
        if (!payee_s) return ctl_usage(S_USAGE, "payments account: give --payee N (0 for the first payee)");
        if (ctl_parse_int("--payee", payee_s, 0, 15, &payee) < 0) return CTL_EX_USAGE;
        if (!code || !account || !name)
            return ctl_usage(S_USAGE, "payments account: give --bank-code, --account and --account-name");
        if (!by) by = getenv("USER");
        if (!by || !*by) return ctl_usage(S_USAGE, "payments account: name who supplied it with --by WHO");
        return s_account(o, arg, payee, code, account, name, by);
    }
    return ctl_usage(S_USAGE, "payments: unknown action \"%s\" (batch, show, settle or account)", sub);
}

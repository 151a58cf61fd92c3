/* ctl_upstream.c - klaimctl audit, export and report: what BPJS upstream
 * and the paying local governments read out of klaimd.
 *
 * Runs in: klaimctl only.
 *   audit verify          pages through the whole chain and recomputes every
 *                         hash (proto/audit.c); names the first broken entry
 *   audit show CLAIM_ID   one claim's history: who, what, when
 *   export decisions      decided claims and payment instructions, CSV or
 *                         JSON Lines, with control totals and a cursor; the
 *                         same store gives the same bytes
 *   report claims|coverage  regional tables (CSV with --format csv)
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "claim_json.h"
#include "ctl.h"
#include "ctl_conn.h"
#include "dates.h"
#include "xalloc.h"

/* ----------------------------------------------------------------- audit */

static json_t *s_entry_json(const Klaim__AuditEntry *e)
{
    char at[40], id[32] = "";
    ktime_format_rfc3339(e->at_ms / 1000, 0, at, sizeof at);
    if (e->claim_id) klaim_id_format(e->claim_id, id, sizeof id);
    json_error_t jerr;
    json_t *detail = json_loads(e->detail ? e->detail : "{}", 0, &jerr);
    return json_pack("{s:I, s:s, s:s?, s:s, s:s, s:o}", "seq", (json_int_t)e->seq, "at", at, "claim_id",
                     e->claim_id ? id : NULL, "actor", e->actor ? e->actor : "", "action", e->action ? e->action : "",
                     "detail", detail ? detail : json_string(e->detail ? e->detail : ""));
}

static int s_audit_verify(const struct ctl_opts *o, struct ctl_conn *c)
{
    uint8_t prev[32] = {0};
    int64_t after = 0, count = 0, head = 0;
    for (;;) {
        Klaim__AuditRequest ar = KLAIM__AUDIT_REQUEST__INIT;
        ar.has_after_seq = 1, ar.after_seq = after;
        ar.has_limit = 1, ar.limit = 5000;
        Klaim__Request req = KLAIM__REQUEST__INIT;
        req.body_case = KLAIM__REQUEST__BODY_AUDIT;
        req.audit = &ar;
        Klaim__Reply *rep;
        int rc = ctl_conn_expect(c, &req, o->timeout_ms, KLAIM__REPLY__BODY_AUDIT_PAGE, "audit verify", &rep);
        if (rc) return rc;
        Klaim__AuditPage *p = rep->audit_page;
        if (count == 0) head = p->head_seq;
        for (size_t i = 0; i < p->n_entries; i++) {
            const Klaim__AuditEntry *e = p->entries[i];
            const char *broken = NULL;
            struct audit_entry ae = {.seq = e->seq, .at_ms = e->at_ms, .claim_id = e->claim_id, .actor = e->actor,
                                     .action = e->action, .detail = e->detail};
            uint8_t h[32];
            if (e->seq != after + 1) broken = after + 1 < e->seq ? "entries missing before it" : "out of order";
            else if (e->prev_hash.len != 32 || memcmp(e->prev_hash.data, prev, 32) != 0)
                broken = "its prev_hash is not the previous entry's hash (an entry before it was changed, removed "
                         "or reordered)";
            if (!broken) {
                memcpy(ae.prev_hash, prev, 32);
                audit_hash(&ae, h);
                if (e->hash.len != 32 || memcmp(e->hash.data, h, 32) != 0)
                    broken = "its content does not match its hash (the entry was changed)";
            }
            if (broken) {
                json_t *j = json_pack("{s:b, s:I, s:I, s:s, s:o}", "ok", 0, "verified", (json_int_t)count,
                                      "first_broken_seq", (json_int_t)(e->seq != after + 1 ? after + 1 : e->seq),
                                      "why", broken, "entry", s_entry_json(e));
                ctl_print_json(j, isatty(STDOUT_FILENO));
                json_decref(j);
                fprintf(stderr, "klaimctl: audit chain broken at seq %lld: %s\n",
                        (long long)(e->seq != after + 1 ? after + 1 : e->seq), broken);
                codec_reply_free(rep);
                return CTL_EX_DATAERR;
            }
            memcpy(prev, h, 32);
            after = e->seq;
            count++;
        }
        int more = p->has_more && p->more;
        codec_reply_free(rep);
        if (!more) break;
    }
    if (after != head) {
        json_t *j = json_pack("{s:b, s:I, s:I, s:s}", "ok", 0, "verified", (json_int_t)count, "first_broken_seq",
                              (json_int_t)(after + 1), "why", "the chain ends before klaimd's recorded head");
        ctl_print_json(j, 0);
        json_decref(j);
        fprintf(stderr, "klaimctl: audit chain ends at seq %lld but the head is %lld: entries were removed\n",
                (long long)after, (long long)head);
        return CTL_EX_DATAERR;
    }
    json_t *j = json_pack("{s:b, s:I, s:I}", "ok", 1, "verified", (json_int_t)count, "head_seq", (json_int_t)head);
    ctl_print_json(j, 0);
    json_decref(j);
    return CTL_EX_OK;
}

static int s_audit_show(const struct ctl_opts *o, struct ctl_conn *c, const char *id)
{
    Klaim__AuditRequest ar = KLAIM__AUDIT_REQUEST__INIT;
    ar.claim_id = (char *)id;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_AUDIT;
    req.audit = &ar;
    Klaim__Reply *rep;
    int rc = ctl_conn_expect(c, &req, o->timeout_ms, KLAIM__REPLY__BODY_AUDIT_PAGE, "audit show", &rep);
    if (rc) return rc;
    if (rep->audit_page->n_entries == 0) {
        fprintf(stderr, "klaimctl: audit show: no entries for %s\n", id);
        rc = CTL_EX_DATAERR;
    }
    static const struct ctl_col cols[] = {
        {"seq", "SEQ", -8}, {"at", "AT", 20}, {"actor", "ACTOR", 24}, {"action", "ACTION", 16}, {"detail", "DETAIL", 0},
    };
    size_t ncols = sizeof cols / sizeof cols[0];
    if (o->table) ctl_print_row(NULL, cols, ncols, 1);
    for (size_t i = 0; i < rep->audit_page->n_entries; i++) {
        json_t *j = s_entry_json(rep->audit_page->entries[i]);
        if (o->table)
            ctl_print_row(j, cols, ncols, 0);
        else
            ctl_print_json(j, 0);
        json_decref(j);
    }
    codec_reply_free(rep);
    return rc;
}

int ctl_audit(const struct ctl_opts *o, int argc, char **argv)
{
    static const char usage[] = "klaimctl audit verify | audit show CLAIM_ID";
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: %s\n\n"
               "Every claim state change, review, dispatch action and registry import is an entry of a\n"
               "hash chain (SHA-256 over the entry and the previous hash).\n"
               "  verify    recompute the whole chain here; prints {\"ok\",\"verified\",...} and, when\n"
               "            broken, the first broken entry (exit 65)\n"
               "  show ID   one claim's entries: who did what, when (JSON Lines; --format table: one\n"
               "            line an entry, times in WIB)\n",
               usage);
        return CTL_EX_OK;
    }
    int verify = argc == 1 && strcmp(argv[0], "verify") == 0;
    int show = argc == 2 && strcmp(argv[0], "show") == 0;
    if (!verify && !show) return ctl_usage(usage, "audit: give verify, or show CLAIM_ID");
    if (show && ctl_check_claim_id("audit show", argv[1]) != 0) return CTL_EX_DATAERR;
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c) return rc;
    rc = verify ? s_audit_verify(o, c) : s_audit_show(o, c, argv[1]);
    ctl_conn_destroy(&c);
    return rc;
}

/* ---------------------------------------------------------------- export */

/* A CSV value, quoted when it must be (RFC 4180). */
static void s_csv_value(FILE *f, const char *v)
{
    v = v ? v : "";
    if (strpbrk(v, ",\"\n\r")) {
        fputc('"', f);
        for (const char *p = v; *p; p++) {
            if (*p == '"') fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    } else {
        fputs(v, f);
    }
}

static void s_csv_field(FILE *f, const char *v, int last)
{
    s_csv_value(f, v);
    fputc(last ? '\n' : ',', f);
}

static void s_csv_row(FILE *f, const char *const *v, int n)
{
    for (int i = 0; i < n; i++) s_csv_field(f, v[i], i == n - 1);
}

struct totals {
    long long decisions, payments, total, paid;
    char cursor[32];
};

/* Who and when of a claim for its D record: kpj, NIK, event date and death
 * date ("" when the claim has none; a JKM claim's death is its event). */
struct claim_ids {
    const char *kpj, *nik, *event_date, *death_date;
};
static void s_claim_ids(const Klaim__Claim *cl, int jkm, struct claim_ids *out)
{
    const Klaim__Participant *p = cl ? cl->participant : NULL;
    out->kpj = p && p->kpj ? p->kpj : "";
    out->nik = p && p->nik ? p->nik : "";
    out->event_date = cl && cl->event && cl->event->date ? cl->event->date : "";
    out->death_date = jkm ? out->event_date
                          : cl && cl->outcome && cl->outcome->death_date ? cl->outcome->death_date : "";
}

/* The columns of every CSV record: the first 17 as before, then the
 * claim's identity (D records only; empty in P and T records), then the
 * payee's bank account (P records, when known). */
#define EXPORT_COLS 24

/* A payee's role as the export spells it. */
static const char *s_role(const Klaim__Payee *y)
{
    switch (y->role) {
    case KLAIM__PAYEE_ROLE__HEIR: return "HEIR";
    case KLAIM__PAYEE_ROLE__PROVIDER: return "PROVIDER";
    case KLAIM__PAYEE_ROLE__EMPLOYER: return "EMPLOYER";
    case KLAIM__PAYEE_ROLE__PARTICIPANT: return "PARTICIPANT";
    default: return "";
    }
}

/* One decided claim: its D record and, when APPROVED, one P record per
 * payee. Everything printed comes from the store, so it is repeatable. */
static void s_export_row(FILE *f, int jsonl, const Klaim__ExportRow *row, struct totals *t)
{
    const Klaim__Decision *d = row->decision;
    const Klaim__Claim *cl = row->claim;
    const Klaim__MemberFacts *m = row->member;
    char decided[40], total[32];
    ktime_format_rfc3339(d->decided_at_ms / 1000, 0, decided, sizeof decided);
    snprintf(total, sizeof total, "%lld", (long long)d->total);
    const char *state = d->has_state ? (d->state == KLAIM__STATE__APPROVED ? "APPROVED"
                                        : d->state == KLAIM__STATE__REJECTED ? "REJECTED"
                                                                              : "PENDING_REVIEW")
                                     : "";
    const char *reason = d->n_reasons ? d->reasons[0]->code : "";
    const char *program = d->program == KLAIM__PROGRAM__JKK ? "JKK" : "JKM";
    /* The payees are the decision's own (docs/money.md §2): every item
     * paid once, to a payee with an id; nothing is chosen here. */
    const int approved = d->has_state && d->state == KLAIM__STATE__APPROVED;
    char codes[KLAIM_MAX_PAYEES][256];
    size_t n_payees = approved && d->n_payees <= KLAIM_MAX_PAYEES ? d->n_payees : 0;
    for (size_t p = 0; p < n_payees; p++) {
        codes[p][0] = '\0';
        for (size_t i = 0; i < d->payees[p]->n_items; i++) {
            size_t n = strlen(codes[p]);
            snprintf(codes[p] + n, sizeof codes[p] - n, "%s%s", n ? ";" : "", d->payees[p]->items[i]);
        }
    }
    struct claim_ids ids;
    s_claim_ids(cl, d->program != KLAIM__PROGRAM__JKK, &ids);
    t->decisions++;
    t->total += d->total;
    snprintf(t->cursor, sizeof t->cursor, "%s", d->claim_id);
    if (jsonl) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:I, s:s, s:b, s:{s:s?, s:s?, s:s?}, s:[]}", "claim_id",
                              d->claim_id, "idempotency_key", d->idempotency_key, "program", program, "state", state,
                              "rule_set", d->rule_set, "decided_at", decided, "total", (json_int_t)d->total, "reason",
                              reason, "provisional", row->provisional, "member", "regency", m ? m->regency : NULL,
                              "sponsor", m ? m->sponsor : NULL, "category", m ? m->category : NULL, "payments");
        json_object_set_new(j, "kpj", json_string(ids.kpj));
        json_object_set_new(j, "nik", json_string(ids.nik));
        json_object_set_new(j, "event_date", json_string(ids.event_date));
        json_object_set_new(j, "death_date", ids.death_date[0] ? json_string(ids.death_date) : json_null());
        json_t *pays = json_object_get(j, "payments");
        for (size_t p = 0; p < n_payees; p++) {
            const Klaim__Payee *y = d->payees[p];
            json_t *pj = json_pack("{s:s, s:s, s:s, s:I, s:s}", "payee_type", s_role(y), "payee_name",
                                   y->name ? y->name : "", "payee_id", y->id ? y->id : "", "amount",
                                   (json_int_t)y->amount, "items", codes[p]);
            if (y->bank)
                json_object_set_new(pj, "bank", json_pack("{s:s, s:s, s:s}", "bank_code", y->bank->bank_code,
                                                          "account", y->bank->account, "name", y->bank->name));
            json_array_append_new(pays, pj);
            t->payments++;
            t->paid += y->amount;
        }
        char *s = json_dumps(j, JSON_COMPACT);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(j);
        return;
    }
    const char *drow[] = {"D", d->claim_id, d->idempotency_key, program, state, d->rule_set, decided,
                          m ? m->regency : "", m ? m->sponsor : "", m ? m->category : "", reason,
                          row->provisional ? "1" : "0", "", "", "", total, "",
                          ids.kpj, ids.nik, ids.event_date, ids.death_date, "", "", ""};
    _Static_assert(sizeof drow / sizeof drow[0] == EXPORT_COLS, "a D record has every column");
    s_csv_row(f, drow, EXPORT_COLS);
    for (size_t p = 0; p < n_payees; p++) {
        const Klaim__Payee *y = d->payees[p];
        const Klaim__BankAccount *b = y->bank;
        char a[32];
        snprintf(a, sizeof a, "%lld", (long long)y->amount);
        const char *prow[] = {"P", d->claim_id, d->idempotency_key, program, state, d->rule_set, decided,
                              m ? m->regency : "", m ? m->sponsor : "", m ? m->category : "", "",
                              row->provisional ? "1" : "0", s_role(y), y->name ? y->name : "", y->id ? y->id : "",
                              a, codes[p], "", "", "", "", b ? b->bank_code : "", b ? b->account : "",
                              b ? b->name : ""};
        _Static_assert(sizeof prow / sizeof prow[0] == EXPORT_COLS, "a P record has every column");
        s_csv_row(f, prow, EXPORT_COLS);
        t->payments++;
        t->paid += y->amount;
    }
}

int ctl_export(const struct ctl_opts *o, int argc, char **argv)
{
    static const char usage[] =
        "klaimctl export decisions --since YYYY-MM-DD [--format csv|jsonl] [--after CLAIM_ID] [--out FILE]";
    const char *since = NULL, *format = o->format ? o->format : "csv", *after = NULL, *out = NULL;
    if (argc < 1 || strcmp(argv[0], "decisions") != 0) {
        if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) goto help;
        return ctl_usage(usage, "export: the only export is \"decisions\"");
    }
    for (int i = 1; i < argc;) {
        int rc;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) goto help;
        if ((rc = ctl_flag(argc, argv, &i, "--since", 1, &since)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--format", 1, &format)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--after", 1, &after)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--out", 1, &out)) != 0) {
            if (rc < 0) return CTL_EX_USAGE;
        } else {
            return ctl_usage(usage, "export decisions: unexpected argument \"%s\"", argv[i]);
        }
    }
    kdate day;
    int64_t after_id = 0;
    if (!since || kdate_parse(since, strlen(since), &day) != 0)
        return ctl_usage(usage, "export decisions: --since needs a date (YYYY-MM-DD, WIB)");
    if (after && klaim_id_parse(after, &after_id) != 0)
        return ctl_usage(usage, "export decisions: --after \"%s\" is not a claim id (k-...)", after);
    int jsonl = strcmp(format, "jsonl") == 0;
    if (!jsonl && strcmp(format, "csv") != 0) return ctl_usage(usage, "export: --format csv or jsonl");
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "klaimctl: export: %s: %s\n", out, strerror(errno));
        return CTL_EX_CANTCREAT;
    }
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c) {
        if (out) fclose(f);
        return rc;
    }
    if (!jsonl)
        fputs("record,claim_id,idempotency_key,program,state,rule_set,decided_at,regency,sponsor,category,reason,"
              "provisional,payee_type,payee_name,payee_id,amount,items,kpj,nik,event_date,death_date,bank_code,account,"
              "account_name\n",
              f);
    struct totals t = {0};
    snprintf(t.cursor, sizeof t.cursor, "%s", after ? after : "");
    int64_t since_ms = ((int64_t)day * 86400 - KLAIM_WIB_OFFSET_S) * 1000;
    for (;;) {
        Klaim__ExportRequest er = KLAIM__EXPORT_REQUEST__INIT;
        er.has_since_ms = 1, er.since_ms = since_ms;
        er.has_after_claim_id = 1, er.after_claim_id = after_id;
        er.has_limit = 1, er.limit = 2000;
        Klaim__Request req = KLAIM__REQUEST__INIT;
        req.body_case = KLAIM__REQUEST__BODY_EXPORT;
        req.export = &er;
        Klaim__Reply *rep;
        rc = ctl_conn_expect(c, &req, o->timeout_ms, KLAIM__REPLY__BODY_EXPORT_PAGE, "export decisions", &rep);
        if (rc) break;
        for (size_t i = 0; i < rep->export_page->n_rows; i++) {
            s_export_row(f, jsonl, rep->export_page->rows[i], &t);
            klaim_id_parse(rep->export_page->rows[i]->decision->claim_id, &after_id);
        }
        int more = rep->export_page->has_more && rep->export_page->more;
        codec_reply_free(rep);
        if (!more) break;
    }
    if (rc == 0) {
        /* control totals: the receiver reconciles count and sums, and
         * resumes with --after CURSOR */
        if (jsonl) {
            fprintf(f, "{\"control\":{\"decisions\":%lld,\"decisions_total\":%lld,\"payments\":%lld,"
                       "\"payments_total\":%lld,\"cursor\":\"%s\"}}\n",
                    t.decisions, t.total, t.payments, t.paid, t.cursor);
        } else {
            char a[32], b[128];
            snprintf(a, sizeof a, "%lld", t.total);
            snprintf(b, sizeof b, "decisions=%lld;payments=%lld;payments_total=%lld;cursor=%s", t.decisions,
                     t.payments, t.paid, t.cursor);
            const char *trow[] = {"T", "", "", "", "", "", "", "", "", "", "", "", "", "", "", a, b, "", "", "", "", "",
                                  "", ""};
            _Static_assert(sizeof trow / sizeof trow[0] == EXPORT_COLS, "a T record has every column");
            s_csv_row(f, trow, EXPORT_COLS);
        }
    }
    if (fflush(f) != 0 || ferror(f)) rc = CTL_EX_CANTCREAT;
    if (out) fclose(f);
    ctl_conn_destroy(&c);
    return rc;
help:
    printf("usage: %s\n\n"
           "Decided claims (decided at or after --since, WIB) for upstream, in claim id order:\n"
           "  CSV: a D record per claim (state, total, reason, regency, sponsor, category,\n"
           "       and in the last four columns kpj, nik, event_date, death_date),\n"
           "       a P record per payee of an APPROVED claim, as the decision names it (HEIR,\n"
           "       PROVIDER, EMPLOYER or PARTICIPANT, with its id, the amount, the item codes\n"
           "       and, in the last three columns, its bank account when known), and a last T\n"
           "       record with the control totals and the cursor\n"
           "  jsonl: one object per claim (kpj, nik, event_date, death_date included) with\n"
           "       its payments, then {\"control\":{...}}\n"
           "The payees are the decision's own: every item paid once, each payee with an id\n"
           "(a death benefit only ever to a heir with a NIK). The same store gives the same\n"
           "bytes; resume "
           "with --after CURSOR.\n",
           usage);
    return CTL_EX_OK;
}

/* ---------------------------------------------------------------- report */

/* Rows of one shape (objects with the same keys) as aligned columns for a
 * person at a terminal: a header line, strings left, numbers right. */
static void s_print_columns(json_t *rows)
{
    size_t n = json_array_size(rows);
    if (n == 0) {
        puts("(no rows)");
        return;
    }
    json_t *first = json_array_get(rows, 0);
    size_t ncol = json_object_size(first), c = 0;
    const char **keys = xcalloc(ncol, sizeof *keys);
    size_t *width = xcalloc(ncol, sizeof *width);
    const char *k;
    json_t *v;
    json_object_foreach(first, k, v) keys[c] = k, width[c] = strlen(k), c++;
    char buf[64];
    for (size_t i = 0; i < n; i++)
        for (c = 0; c < ncol; c++) {
            json_t *x = json_object_get(json_array_get(rows, i), keys[c]);
            size_t w = json_is_string(x) ? strlen(json_string_value(x))
                                         : (size_t)snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(x));
            if (w > width[c]) width[c] = w;
        }
    for (c = 0; c < ncol; c++) printf("%-*s%s", (int)width[c], keys[c], c + 1 < ncol ? "  " : "\n");
    for (size_t i = 0; i < n; i++)
        for (c = 0; c < ncol; c++) {
            json_t *x = json_object_get(json_array_get(rows, i), keys[c]);
            if (json_is_string(x)) printf("%-*s", (int)width[c], json_string_value(x));
            else printf("%*lld", (int)width[c], (long long)json_integer_value(x));
            fputs(c + 1 < ncol ? "  " : "\n", stdout);
        }
    free(keys);
    free(width);
}

/* workforce.csv: regency,workforce (header required). */
static json_t *s_workforce(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "klaimctl: report: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    json_t *w = json_object();
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        line[strcspn(line, "\r\n")] = '\0';
        if (n == 1 || !line[0]) continue;
        char *comma = strrchr(line, ',');
        char *end;
        long long v = comma ? strtoll(comma + 1, &end, 10) : -1;
        if (!comma || v < 0 || *end) {
            fprintf(stderr, "klaimctl: %s:%d: expected \"regency,workforce\" with a whole number\n", path, n);
            json_decref(w);
            fclose(f);
            return NULL;
        }
        *comma = '\0';
        json_object_set_new(w, line, json_integer(v));
    }
    fclose(f);
    return w;
}

int ctl_reports(const struct ctl_opts *o, int argc, char **argv)
{
    static const char usage[] = "klaimctl report claims [--from DATE] [--to DATE] [--by decision|event]\n"
                                "                       [--format csv]\n"
                                "       klaimctl report coverage [--as-of DATE] [--workforce FILE.csv] [--format csv]";
    if (argc < 1 || (strcmp(argv[0], "claims") != 0 && strcmp(argv[0], "coverage") != 0)) {
        if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
            printf("usage: %s\n\n"
                   "claims    decided claims by regency, programme, sponsor and reason: counts of\n"
                   "          approvals, rejections, reviews, and Rupiah paid (APPROVED totals); for\n"
                   "          the JKM payment clock (APPROVED death claims with heirs, to be paid by\n"
                   "          the 3rd working day after approval) the claims paid on time, paid late,\n"
                   "          unpaid past due, and the late amount (1 %% of the total per working day\n"
                   "          late, as of today for unpaid ones: a figure, never paid).\n"
                   "          --by decision (default): --from/--to are decision dates; --by event:\n"
                   "          they are event dates (the accident or the death), e.g. what was decided\n"
                   "          and paid for the deaths of 2023: --by event --from 2023-01-01 --to 2023-12-31\n"
                   "coverage  memberships active on a day by regency, category and sponsor (covered,\n"
                   "          not lapsed by arrears); with --workforce (CSV regency,workforce) also the\n"
                   "          share of the workforce covered per regency, in basis points and percent\n"
                   "JSON on stdout; --format csv for a spreadsheet.\n",
                   usage);
            return CTL_EX_OK;
        }
        return ctl_usage(usage, "report: claims or coverage");
    }
    const char *kind = argv[0], *from = NULL, *to = NULL, *by = NULL, *as_of = NULL, *workforce = NULL,
               *format = o->format ? o->format : "json";
    for (int i = 1; i < argc;) {
        int rc;
        if ((rc = ctl_flag(argc, argv, &i, "--from", 1, &from)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--to", 1, &to)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--by", 1, &by)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--as-of", 1, &as_of)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--workforce", 1, &workforce)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--format", 1, &format)) != 0) {
            if (rc < 0) return CTL_EX_USAGE;
        } else {
            return ctl_usage(usage, "report %s: unexpected argument \"%s\"", kind, argv[i]);
        }
    }
    int csv = strcmp(format, "csv") == 0;
    /* people at a terminal get plain tables unless they asked for JSON */
    int table = o->table || (!o->format && isatty(STDOUT_FILENO));
    if (!csv && !o->table && strcmp(format, "json") != 0) return ctl_usage(usage, "report: --format json, table or csv");
    if (by && strcmp(by, "decision") != 0 && strcmp(by, "event") != 0)
        return ctl_usage(usage, "report claims: --by decision (decision dates, the default) or --by event "
                                "(event dates)");
    json_t *wf = workforce ? s_workforce(workforce) : NULL;
    if (workforce && !wf) return CTL_EX_DATAERR;
    int rc;
    struct ctl_conn *c = ctl_connect(o, &rc);
    if (!c) {
        json_decref(wf);
        return rc;
    }
    Klaim__ReportRequest rr = KLAIM__REPORT_REQUEST__INIT;
    rr.kind = (char *)kind;
    rr.from_date = (char *)from;
    rr.to_date = (char *)to;
    rr.by = (char *)by;
    rr.as_of = (char *)as_of;
    Klaim__Request req = KLAIM__REQUEST__INIT;
    req.body_case = KLAIM__REQUEST__BODY_REPORT;
    req.report = &rr;
    Klaim__Reply *rep;
    rc = ctl_conn_expect(c, &req, o->timeout_ms, KLAIM__REPLY__BODY_REPORT, "report", &rep);
    ctl_conn_destroy(&c);
    if (rc) {
        json_decref(wf);
        return rc;
    }
    Klaim__Report *r = rep->report;
    int claims = strcmp(kind, "claims") == 0;
    json_t *rows = json_array();
    json_t *by_regency = json_object();
    for (size_t i = 0; i < r->n_rows; i++) {
        const Klaim__ReportRow *x = r->rows[i];
        if (claims)
            json_array_append_new(
                rows, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "regency",
                                x->regency, "program", x->program, "sponsor", x->sponsor, "reason", x->reason, "claims",
                                (json_int_t)x->claims, "approved", (json_int_t)x->approved, "rejected",
                                (json_int_t)x->rejected, "pending_review", (json_int_t)x->pending_review, "paid",
                                (json_int_t)x->paid, "paid_on_time", (json_int_t)x->paid_on_time, "paid_late",
                                (json_int_t)x->paid_late, "unpaid_past_due", (json_int_t)x->unpaid_past_due,
                                "late_amount", (json_int_t)x->late_amount));
        else {
            json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I}", "regency", x->regency, "category",
                                                  x->category, "sponsor", x->sponsor, "active",
                                                  (json_int_t)x->active));
            /* ASN memberships are listed but not counted as covered: their
             * JKK/JKM is Taspen's (rules.md CATEGORY_NOT_COVERED) */
            if (strcmp(x->category ? x->category : "", "ASN") != 0) {
                json_t *cur = json_object_get(by_regency, x->regency);
                json_object_set_new(by_regency, x->regency,
                                    json_integer((cur ? json_integer_value(cur) : 0) + (json_int_t)x->active));
            }
        }
    }
    json_t *share = NULL;
    if (wf) {
        /* covered / workforce, exact integer basis points and a rounded percent string */
        share = json_array();
        const char *reg;
        json_t *v;
        json_object_foreach(wf, reg, v) {
            long long total = json_integer_value(v);
            json_t *cov = json_object_get(by_regency, reg);
            long long n = cov ? json_integer_value(cov) : 0;
            long long bp = total > 0 ? n * 10000 / total : 0;
            long long hundredths = total > 0 ? (n * 10000 * 2 + total) / (2 * total) : 0;
            char pct[32];
            snprintf(pct, sizeof pct, "%lld.%02lld", hundredths / 100, hundredths % 100);
            json_array_append_new(share, json_pack("{s:s, s:I, s:I, s:I, s:s}", "regency", reg, "covered",
                                                   (json_int_t)n, "workforce", (json_int_t)total, "coverage_bp",
                                                   (json_int_t)bp, "coverage_pct", pct));
        }
    }
    if (csv) {
        size_t i;
        json_t *row;
        if (claims)
            puts("regency,program,sponsor,reason,claims,approved,rejected,pending_review,paid,paid_on_time,paid_late,"
                 "unpaid_past_due,late_amount");
        else puts("regency,category,sponsor,active");
        json_array_foreach(rows, i, row) {
            const char *k;
            json_t *v;
            int first = 1;
            json_object_foreach(row, k, v) {
                if (!first) putchar(',');
                first = 0;
                if (json_is_string(v)) s_csv_value(stdout, json_string_value(v));
                else printf("%lld", (long long)json_integer_value(v));
            }
            putchar('\n');
        }
        if (share) {
            puts("regency,covered,workforce,coverage_bp,coverage_pct");
            json_array_foreach(share, i, row) {
                s_csv_value(stdout, json_string_value(json_object_get(row, "regency")));
                printf(",%lld,%lld,%lld,%s\n",
                       (long long)json_integer_value(json_object_get(row, "covered")),
                       (long long)json_integer_value(json_object_get(row, "workforce")),
                       (long long)json_integer_value(json_object_get(row, "coverage_bp")),
                       json_string_value(json_object_get(row, "coverage_pct")));
            }
        }
    } else if (table) {
        const char *by_text = !claims ? "" : by && strcmp(by, "event") == 0 ? " by event date" : " by decision date";
        printf("%s report%s%s%s, registry generation %llu\n\n", kind, r->as_of && r->as_of[0] ? " as of " : "",
               r->as_of ? r->as_of : "", by_text, (unsigned long long)r->registry_generation);
        s_print_columns(rows);
        if (share) {
            putchar('\n');
            s_print_columns(share);
        }
    } else {
        json_t *j = json_pack("{s:s, s:s?, s:s?, s:I, s:o}", "kind", kind, "as_of",
                              r->as_of && r->as_of[0] ? r->as_of : NULL, "by",
                              claims ? (by && strcmp(by, "event") == 0 ? "event" : "decision") : NULL,
                              "registry_generation", (json_int_t)r->registry_generation, "rows", rows);
        if (share) json_object_set_new(j, "workforce_coverage", share);
        ctl_print_json(j, isatty(STDOUT_FILENO));
        json_decref(j);
        rows = NULL;
        share = NULL;
    }
    json_decref(rows);
    json_decref(share);
    json_decref(by_regency);
    json_decref(wf);
    codec_reply_free(rep);
    return CTL_EX_OK;
}

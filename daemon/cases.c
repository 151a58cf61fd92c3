/* cases.c - dispatch cases: open, merge, coverage, actions, JSON.
 *
 * Owns: the dispatch case life cycle (OPEN -> ACKED -> ASSIGNED -> CLOSED)
 *   and the feed events that report it (CLAIM_RECEIVED, DECIDED,
 *   CASE_MERGED, CASE_ACKED, CASE_ASSIGNED, CASE_CLOSED, SLA_BREACHED).
 * Runs in: klaimd main loop only.
 * Invariant: each change and its event share one transaction; a reply to
 *   an action leaves after the COMMIT; a repeated action changes nothing.
 * See also: feed.c (events), sla.c (clocks), store_dispatch.c (SQL).
 */
#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "feed.h"
#include "fmt.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "sla.h"
#include "store.h"
#include "store_dispatch.h"
#include "xalloc.h"

struct cases {
    struct klaimd *k;
};

struct cases *cases_new(struct klaimd *k)
{
    struct cases *cs = xcalloc(1, sizeof *cs);
    cs->k = k;
    return cs;
}

void cases_free(struct cases **csp)
{
    free(*csp);
    *csp = NULL;
}

void case_id_format(int64_t id, char *buf, size_t size) { fmt_id('c', id, buf, size); }

int case_id_parse(const char *s, int64_t *id)
{
    if (!s || strncmp(s, "c-", 2) != 0 || !s[2] || strlen(s) > 20) return -1;
    int64_t v = 0;
    for (const char *p = s + 2; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
    }
    if (v <= 0) return -1;
    *id = v;
    return 0;
}

static const char *s_priority_name(int p) { return p == 1 ? "DEATH" : p == 2 ? "HOSPITALISED" : "OUTPATIENT"; }
static const char *s_state_name(int s)
{
    return s == CASE_ACKED ? "ACKED" : s == CASE_ASSIGNED ? "ASSIGNED" : s == CASE_CLOSED ? "CLOSED" : "OPEN";
}
static const char *s_coverage_name(int c)
{
    return c == 1 ? "COVERED" : c == 2 ? "NOT_COVERED" : c == 3 ? "IN_DOUBT" : "UNKNOWN";
}

int case_coverage_of(const struct klaim_decision *d)
{
    static const char *const not_covered[] = {"EVENT_BEFORE_SCOPE", "PARTICIPANT_NOT_FOUND", "CATEGORY_NOT_COVERED",
                                              "PROGRAM_NOT_HELD",   "EVENT_OUTSIDE_COVERAGE", "PAK_AFTER_COVERAGE_LIMIT",
                                              "BPU_INACTIVE"};
    static const char *const in_doubt[] = {"INCONSISTENT_DATA", "BPU_ARREARS", "EMPLOYER_ARREARS", "CLAIM_LAPSED",
                                           "PROCESSING_FAILED"};
    for (int i = 0; i < d->n_reasons; i++)
        for (size_t j = 0; j < sizeof not_covered / sizeof not_covered[0]; j++)
            if (strcmp(d->reasons[i].code, not_covered[j]) == 0) return 2;
    for (int i = 0; i < d->n_reasons; i++)
        for (size_t j = 0; j < sizeof in_doubt / sizeof in_doubt[0]; j++)
            if (strcmp(d->reasons[i].code, in_doubt[j]) == 0) return 3;
    return 1;
}

static void s_clock(struct jw *w, const char *key, int64_t due, int64_t met, int breached, int64_t now)
{
    jw_open(w, key, '{');
    jw_int(w, "due_ms", due);
    if (met) jw_int(w, "met_ms", met);
    else jw_null(w, "met_ms");
    jw_bool(w, "breached", breached);
    jw_bool(w, "running", !met && !breached && due > now);
    jw_close(w, '}');
}

/* A dispatch action of the case: {"to"?, "by", "note"?, "at_ms"} (to and
 * note only where given), or null while at_ms is 0 (not done yet). */
static void s_action(struct jw *w, const char *key, int64_t at_ms, const char *to, const char *by, const char *note)
{
    if (!at_ms) {
        jw_null(w, key);
        return;
    }
    jw_open(w, key, '{');
    if (to) jw_str(w, "to", to);
    jw_str(w, "by", by);
    if (note) jw_str(w, "note", note);
    jw_int(w, "at_ms", at_ms);
    jw_close(w, '}');
}

/* The case object, written into w (under key, or as an array element /
 * the top value when key is NULL): the stored info's members first, then
 * the case's own fields, in the order jansson used to give them, so the
 * text is byte-for-byte what case_to_json dumped before. */
static void s_case_write(struct jw *w, const char *key, const struct store_case *c, int64_t now_ms)
{
    char id[32], first[32], date[11];
    case_id_format(c->id, id, sizeof id);
    klaim_id_format(c->first_claim, first, sizeof first);
    kdate_format(c->event_date, date);
    size_t n = c->info ? strlen(c->info) : 0;
    jw_open(w, key, '{');
    if (n >= 2 && c->info[0] == '{' && c->info[n - 1] == '}') jw_raw(w, c->info + 1, n - 2);
    jw_str(w, "case_id", id);
    jw_str(w, "first_claim_id", first);
    jw_str(w, "kpj", c->kpj);
    jw_str(w, "event_date", date);
    jw_str(w, "priority", s_priority_name(c->priority));
    jw_int(w, "priority_rank", c->priority);
    jw_str(w, "state", s_state_name(c->state));
    jw_str(w, "coverage", s_coverage_name(c->coverage));
    jw_int(w, "claims", c->n_claims);
    jw_int(w, "opened_at_ms", c->opened_at_ms);
    s_action(w, "acked", c->acked_at_ms, NULL, c->acked_by, NULL);
    s_action(w, "assigned", c->assigned_at_ms, c->assigned_to, c->assigned_by, NULL);
    s_action(w, "closed", c->closed_at_ms, NULL, c->closed_by, c->close_note);
    jw_open(w, "clocks", '{');
    s_clock(w, "report", c->report_due_ms, c->reported_at_ms <= c->report_due_ms ? c->reported_at_ms : 0,
            (c->breached & SLA_REPORT) != 0, now_ms);
    s_clock(w, "decision", c->decision_due_ms, c->decided_at_ms, (c->breached & SLA_DECISION) != 0, now_ms);
    s_clock(w, "ack", c->ack_due_ms, c->acked_at_ms, (c->breached & SLA_ACK) != 0, now_ms);
    jw_close(w, '}');
    jw_open(w, "breached", '[');
    if (c->breached & SLA_REPORT) jw_str(w, NULL, "REPORT");
    if (c->breached & SLA_DECISION) jw_str(w, NULL, "DECISION");
    if (c->breached & SLA_ACK) jw_str(w, NULL, "ACK");
    jw_close(w, ']');
    jw_close(w, '}');
}

char *case_to_text(const struct store_case *c, int64_t now_ms)
{
    struct jw w;
    jw_init(&w);
    s_case_write(&w, NULL, c, now_ms);
    return jw_take(&w);
}

json_t *case_to_json(const struct store_case *c, int64_t now_ms)
{
    char *text = case_to_text(c, now_ms);
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    if (!o) {
        /* only a stored info blob that is not JSON gets here: show the case without it */
        log_warn("dispatch: case c-%012lld: stored info is not a JSON object (%s); shown without it", (long long)c->id,
                 jerr.text);
        struct store_case bare = *c;
        bare.info = NULL;
        free(text);
        text = case_to_text(&bare, now_ms);
        o = json_loads(text, 0, &jerr);
    }
    free(text);
    return o;
}

static int s_priority_of(const struct klaim_claim *c)
{
    if (c->has_death_date) return 1;
    if (c->incapacity_days > 0 || c->disability != 0) return 2;
    return 3;
}

/* The report as the case remembers it: who reported, where, when. */
static void s_report(struct jw *w, const struct klaim_claim *c, int64_t claim_id, int64_t reported_ms)
{
    char id[32];
    klaim_id_format(claim_id, id, sizeof id);
    jw_open(w, NULL, '{');
    jw_str(w, "claim_id", id);
    jw_str(w, "hospital", c->hospital);
    jw_int(w, "reported_at_ms", reported_ms);
    jw_close(w, '}');
}

static char *s_info_new(const struct klaim_claim *c, int64_t claim_id, int64_t reported_ms)
{
    struct jw w;
    jw_init(&w);
    jw_open(&w, NULL, '{');
    jw_str(&w, "program", klaim_program_name(c->program));
    jw_str(&w, "event_type", klaim_event_type_name(c->event_type));
    jw_open(&w, "participant", '{');
    jw_str(&w, "kpj", c->kpj);
    jw_str(&w, "nik", c->nik);
    jw_close(&w, '}');
    jw_open(&w, "location", '{');
    jw_str(&w, "regency", c->regency);
    jw_str(&w, "district", c->district);
    if (c->has_location_latlon) {
        jw_int(&w, "lat_e6", c->lat_e6);
        jw_int(&w, "lon_e6", c->lon_e6);
    }
    jw_close(&w, '}');
    jw_str(&w, "hospital", c->hospital);
    jw_open(&w, "reports", '[');
    s_report(&w, c, claim_id, reported_ms);
    jw_close(&w, ']');
    jw_close(&w, '}');
    return jw_take(&w);
}

/* The merge on the text s_info_new writes ({...,"location":{...},
 * "hospital":"...","reports":[...]}), without parsing it. The markers
 * searched for cannot occur inside a JSON string (a '"' there is always
 * escaped), so the first hit is the top-level member. NULL when the text
 * has another shape (the caller then merges with jansson). */
static char *s_info_merge_text(const char *info, const struct klaim_claim *c, int64_t claim_id, int64_t reported_ms)
{
    static const char k_loc[] = ",\"location\":{", k_hosp[] = ",\"hospital\":\"", k_rep[] = ",\"reports\":[",
                      k_item[] = "{\"claim_id\":", k_lat[] = "\"lat_e6\":";
    size_t n = strlen(info);
    if (n < 4 || info[0] != '{' || strcmp(info + n - 2, "]}") != 0) return NULL;
    const char *loc = strstr(info, k_loc), *hosp = strstr(info, k_hosp), *rep = strstr(info, k_rep);
    if (!loc || !hosp || !rep || !(loc < hosp && hosp < rep) || hosp[-1] != '}') return NULL;
    int n_reports = 0;
    for (const char *p = rep; (p = strstr(p, k_item)) != NULL; p += sizeof k_item - 1) n_reports++;
    int has_lat = memmem(loc, (size_t)(hosp - loc), k_lat, sizeof k_lat - 1) != NULL;
    int hosp_empty = hosp + sizeof k_hosp == rep && hosp[sizeof k_hosp - 1] == '"';
    struct jw w;
    jw_init(&w);
    jw_raw(&w, info, (size_t)(hosp - 1 - info)); /* up to the '}' closing location */
    if (!has_lat && c->has_location_latlon) {
        jw_int(&w, "lat_e6", c->lat_e6);
        jw_int(&w, "lon_e6", c->lon_e6);
    }
    jw_raw(&w, "}", 1);
    if (hosp_empty && c->hospital[0]) {
        jw_str(&w, "hospital", c->hospital);
        jw_raw(&w, rep, (size_t)(info + n - 2 - rep));
    } else {
        jw_raw(&w, hosp, (size_t)(info + n - 2 - hosp));
    }
    if (n_reports < 20) s_report(&w, c, claim_id, reported_ms);
    jw_raw(&w, "]}", 2);
    return jw_take(&w);
}

/* A second report: remember it, and fill what the first one lacked. */
static char *s_info_merge(const char *info, const struct klaim_claim *c, int64_t claim_id, int64_t reported_ms)
{
    char *fast = s_info_merge_text(info, c, claim_id, reported_ms);
    if (fast) return fast;
    json_error_t jerr;
    json_t *o = json_loads(info, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return s_info_new(c, claim_id, reported_ms);
    }
    json_t *reports = json_object_get(o, "reports");
    if (json_is_array(reports) && json_array_size(reports) < 20) {
        struct jw w;
        jw_init(&w);
        s_report(&w, c, claim_id, reported_ms);
        json_array_append_new(reports, json_loads(w.buf, 0, &jerr));
        jw_free(&w);
    }
    const char *h = json_string_value(json_object_get(o, "hospital"));
    if ((!h || !h[0]) && c->hospital[0]) json_object_set_new(o, "hospital", json_string(c->hospital));
    json_t *loc = json_object_get(o, "location");
    if (json_is_object(loc) && !json_object_get(loc, "lat_e6") && c->has_location_latlon) {
        json_object_set_new(loc, "lat_e6", json_integer(c->lat_e6));
        json_object_set_new(loc, "lon_e6", json_integer(c->lon_e6));
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Midnight WIB at the end of the accident day, in unix ms: the accident
 * has only a date, so the reporting clock starts when that day ends (the
 * same reading as rules.md REPORT_LATE: R > event date + 2 days). */
static int64_t s_end_of_day_ms(kdate d) { return ((int64_t)(d + 1) * 86400 - 7 * 3600) * 1000; }

/* The SLA clocks a case has running: ACK and DECISION, each until met or
 * breached (the partial indexes of store_dispatch.c, counted in memory). */
static int s_running(const struct store_case *c)
{
    return (c->acked_at_ms == 0 && !(c->breached & SLA_ACK)) + (c->decided_at_ms == 0 && !(c->breached & SLA_DECISION));
}

struct accident {
    struct store_dispatch *sd;
    kdate date;
    struct store_case *out;
    int rc;
};

static int s_accident_claim(void *arg, const struct store_kpj_claim *k)
{
    struct accident *a = arg;
    if (k->program != PROGRAM_JKK || k->event_date != a->date) return 0;
    a->rc = store_case_of_claim(a->sd, k->id, a->out);
    return a->rc != 1;
}

/* The case of an accident: the case of an earlier JKK claim of the same kpj
 * and date (every claim of a case is one). 0 with *out, 1 when none, -1. */
static int s_case_of_accident(struct store *s, struct store_dispatch *sd, const char *kpj, kdate date,
                              struct store_case *out)
{
    struct accident a = {sd, date, out, 1};
    if (store_kpj_claims(s, kpj, s_accident_claim, &a) < 0) return -1;
    return a.rc;
}

int cases_on_claim_received(struct cases *cs, const struct klaim_claim *c, int64_t claim_id, int64_t received_at_ms,
                            int64_t same_event)
{
    struct klaimd *k = cs->k;
    struct store_dispatch *sd = feed_store(k->feed);
    struct jw ev;
    jw_init(&ev);
    jw_open(&ev, NULL, '{');
    jw_str(&ev, "program", klaim_program_name(c->program));
    jw_str(&ev, "event_type", klaim_event_type_name(c->event_type));
    jw_str(&ev, "idempotency_key", c->idempotency_key);
    if (c->program != PROGRAM_JKK || c->event_type != EVENT_ACCIDENT) {
        jw_close(&ev, '}');
        int rc = feed_emit_text(k->feed, 1 /* CLAIM_RECEIVED */, claim_id, 0, ev.buf, NULL);
        jw_free(&ev);
        return rc;
    }

    int64_t reported = c->reported_at_s ? c->reported_at_s * 1000 : received_at_ms;
    struct store_case kc;
    int rc = same_event ? s_case_of_accident(k->store, sd, c->kpj, c->event_date, &kc) : 1;
    if (rc < 0) goto fail;
    int merged = rc == 0;
    int64_t now = klaimd_now_ms();
    int running = merged ? s_running(&kc) : 0;
    if (merged) {
        kc.n_claims++;
        int p = s_priority_of(c);
        if (p < kc.priority) kc.priority = p;
        char *info = s_info_merge(kc.info, c, claim_id, reported);
        free(kc.info);
        kc.info = info;
        if (store_case_update(sd, &kc) != 0) goto fail_case;
    } else {
        memset(&kc, 0, sizeof kc);
        snprintf(kc.kpj, sizeof kc.kpj, "%s", c->kpj);
        kc.event_date = c->event_date;
        kc.first_claim = claim_id;
        kc.priority = s_priority_of(c);
        kc.state = CASE_OPEN;
        kc.info = s_info_new(c, claim_id, reported);
        kc.n_claims = 1;
        kc.opened_at_ms = now;
        kc.reported_at_ms = reported;
        kc.report_due_ms = s_end_of_day_ms(c->event_date) + sla_duration_ms(&k->cfg, SLA_REPORT);
        kc.decision_due_ms = received_at_ms + sla_duration_ms(&k->cfg, SLA_DECISION);
        kc.ack_due_ms = now + sla_duration_ms(&k->cfg, SLA_ACK);
        if (reported > kc.report_due_ms) kc.breached |= SLA_REPORT;
        if (store_case_insert(sd, &kc) != 0) goto fail_case;
    }
    store_clocks_moved(k->store, s_running(&kc) - running);
    if (!merged) store_cases_moved(k->store, 1, kc.breached & SLA_REPORT);
    if (store_case_link(sd, claim_id, kc.id) != 0) goto fail_case;
    /* The case text is written once and goes with each event. */
    char *ctext = case_to_text(&kc, now);
    jw_bool(&ev, "merged", merged);
    jw_close(&ev, '}');
    if (feed_emit_text(k->feed, 1 /* CLAIM_RECEIVED */, claim_id, kc.id, ev.buf, ctext) != 0) goto fail_ev;
    if (merged) {
        if (feed_emit_text(k->feed, 3 /* CASE_MERGED */, claim_id, kc.id, "{}", ctext) != 0) goto fail_ev;
    } else {
        if (kc.breached & SLA_REPORT) {
            jw_free(&ev);
            jw_init(&ev);
            jw_open(&ev, NULL, '{');
            jw_str(&ev, "clock", "REPORT");
            jw_int(&ev, "due_ms", kc.report_due_ms);
            jw_close(&ev, '}');
            if (feed_emit_text(k->feed, 7 /* SLA_BREACHED */, claim_id, kc.id, ev.buf, ctext) != 0) goto fail_ev;
        }
        sla_watch(k->sla, kc.decision_due_ms);
        sla_watch(k->sla, kc.ack_due_ms);
    }
    free(ctext);
    jw_free(&ev);
    store_case_clear(&kc);
    return 0;
fail_ev:
    free(ctext);
fail_case:
    store_case_clear(&kc);
fail:
    jw_free(&ev);
    return -1;
}

int cases_on_decided(struct cases *cs, int64_t claim_id, const struct klaim_decision *d)
{
    struct klaimd *k = cs->k;
    struct store_dispatch *sd = feed_store(k->feed);
    struct jw ev;
    jw_init(&ev);
    jw_open(&ev, NULL, '{');
    jw_str(&ev, "state", klaim_state_name(d->state));
    jw_int(&ev, "total", d->total);
    jw_open(&ev, "reasons", '[');
    for (int i = 0; i < d->n_reasons; i++) jw_str(&ev, NULL, d->reasons[i].code);
    jw_close(&ev, ']');
    jw_close(&ev, '}');
    int64_t case_id = 0;
    char *ctext = NULL;
    struct store_case kc;
    int rc = store_case_of_claim(sd, claim_id, &kc);
    if (rc < 0) {
        jw_free(&ev);
        return -1;
    }
    if (rc == 0) {
        int64_t now = klaimd_now_ms();
        case_id = kc.id;
        int running = s_running(&kc);
        kc.coverage = case_coverage_of(d);
        if ((d->state == STATE_APPROVED || d->state == STATE_REJECTED) && !kc.decided_at_ms) kc.decided_at_ms = now;
        int bad = store_case_decided(sd, &kc) != 0;
        if (!bad) {
            store_clocks_moved(k->store, s_running(&kc) - running);
            ctext = case_to_text(&kc, now);
        }
        store_case_clear(&kc);
        if (bad) {
            jw_free(&ev);
            return -1;
        }
    }
    rc = feed_emit_text(k->feed, 2 /* DECIDED */, claim_id, case_id, ev.buf, ctext);
    free(ctext);
    jw_free(&ev);
    return rc;
}

int cases_breach(struct cases *cs, int64_t case_id, int clock)
{
    struct klaimd *k = cs->k;
    struct store_dispatch *sd = feed_store(k->feed);
    struct store_case kc;
    int rc = store_case_get(sd, case_id, &kc);
    if (rc != 0) return rc < 0 ? -1 : 0;
    int64_t now = klaimd_now_ms();
    int64_t due = clock == SLA_DECISION ? kc.decision_due_ms : kc.ack_due_ms;
    int met = clock == SLA_DECISION ? kc.decided_at_ms != 0 : kc.acked_at_ms != 0;
    if (met || (kc.breached & clock) || due > now) {
        store_case_clear(&kc);
        return 0;
    }
    int running = s_running(&kc);
    kc.breached |= clock;
    if (store_case_update(sd, &kc) != 0) {
        store_case_clear(&kc);
        return -1;
    }
    store_clocks_moved(k->store, s_running(&kc) - running);
    store_cases_moved(k->store, 0, clock);
    log_info("sla: case c-%012lld: %s clock ran out", (long long)case_id, clock == SLA_DECISION ? "DECISION" : "ACK");
    json_t *b = json_pack("{s:s,s:I}", "clock", clock == SLA_DECISION ? "DECISION" : "ACK", "due_ms", (json_int_t)due);
    char *ctext = case_to_text(&kc, now);
    rc = feed_emit(k->feed, 7 /* SLA_BREACHED */, kc.first_claim, kc.id, b, ctext);
    free(ctext);
    store_case_clear(&kc);
    return rc;
}

static void s_collect_open(void *arg, const struct store_case *c)
{
    json_array_append_new(arg, case_to_json(c, klaimd_now_ms()));
}

json_t *cases_open_json(struct cases *cs)
{
    json_t *a = json_array();
    if (store_cases_open(feed_store(cs->k->feed), s_collect_open, a) != 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* ---------------------------------------------------------------- actions */


struct act_op {
    cases_done_fn done;
    void *arg;
    char *json;
};

static void s_on_acted(void *arg, int committed)
{
    struct act_op *op = arg;
    if (committed) op->done(op->arg, 0, "", "", op->json, 1);
    else op->done(op->arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store could not commit; nothing was recorded; retry",
                  NULL, 0);
    free(op->json);
    free(op);
}

void cases_act(struct cases *cs, const char *case_id, int action, const char *by, const char *team, const char *note,
               const char *client, cases_done_fn done, void *arg)
{
    struct klaimd *k = cs->k;
    int64_t id;
    if (case_id_parse(case_id, &id) != 0) {
        done(arg, KLAIM__ERROR_CODE__BAD_REQUEST, "case_id",
             "give the case id (c- followed by digits, e.g. c-000000000007)", NULL, 0);
        return;
    }
    if (action != KLAIM__DISPATCH_ACTION_TYPE__ACK && action != KLAIM__DISPATCH_ACTION_TYPE__ASSIGN &&
        action != KLAIM__DISPATCH_ACTION_TYPE__CLOSE) {
        done(arg, KLAIM__ERROR_CODE__BAD_REQUEST, "action", "action must be ACK, ASSIGN or CLOSE", NULL, 0);
        return;
    }
    if (!fmt_text_ok(by, CASE_TEXT_MAX, 1)) {
        done(arg, KLAIM__ERROR_CODE__BAD_REQUEST, "by", "name the person acting: 1-64 characters, no control characters",
             NULL, 0);
        return;
    }
    if (action == KLAIM__DISPATCH_ACTION_TYPE__ASSIGN && !fmt_text_ok(team, CASE_TEXT_MAX, 1)) {
        done(arg, KLAIM__ERROR_CODE__BAD_REQUEST, "team",
             "name the team or vehicle to assign: 1-64 characters, no control characters", NULL, 0);
        return;
    }
    if (action == KLAIM__DISPATCH_ACTION_TYPE__CLOSE && !fmt_text_ok(note, CASE_NOTE_MAX, 1)) {
        done(arg, KLAIM__ERROR_CODE__BAD_REQUEST, "note",
             "closing needs an outcome note: 1-500 bytes, no control characters", NULL, 0);
        return;
    }
    if (batch_open(k->batch) != 0) {
        done(arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store cannot commit right now; retry later", NULL, 0);
        return;
    }
    struct store_dispatch *sd = feed_store(k->feed);
    struct store_case kc;
    int rc = store_case_get(sd, id, &kc);
    if (rc != 0) {
        if (rc < 0) {
            done(arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed to read; retry later", NULL, 0);
            batch_fail(k->batch);
        } else {
            done(arg, KLAIM__ERROR_CODE__NOT_FOUND, "case_id", "no dispatch case with this id", NULL, 0);
        }
        return;
    }
    int64_t now = klaimd_now_ms();
    int changed = 0, type = 0, running = s_running(&kc);
    if (action == KLAIM__DISPATCH_ACTION_TYPE__ACK) {
        if (!kc.acked_at_ms && kc.state != CASE_CLOSED) {
            kc.acked_at_ms = now;
            snprintf(kc.acked_by, sizeof kc.acked_by, "%s", by);
            kc.state = CASE_ACKED;
            changed = 1, type = 4;
        }
    } else if (action == KLAIM__DISPATCH_ACTION_TYPE__ASSIGN) {
        if (kc.state == CASE_CLOSED) {
            store_case_clear(&kc);
            done(arg, KLAIM__ERROR_CODE__CASE_IS_CLOSED, "case_id", "the case is closed; nothing can be assigned to it",
                 NULL, 0);
            return;
        }
        if (strcmp(kc.assigned_to, team) != 0) {
            if (!kc.acked_at_ms) {
                kc.acked_at_ms = now;
                snprintf(kc.acked_by, sizeof kc.acked_by, "%s", by);
            }
            snprintf(kc.assigned_to, sizeof kc.assigned_to, "%s", team);
            snprintf(kc.assigned_by, sizeof kc.assigned_by, "%s", by);
            kc.assigned_at_ms = now;
            kc.state = CASE_ASSIGNED;
            changed = 1, type = 5;
        }
    } else if (kc.state != CASE_CLOSED) {
        if (!kc.acked_at_ms) {
            kc.acked_at_ms = now;
            snprintf(kc.acked_by, sizeof kc.acked_by, "%s", by);
        }
        kc.closed_at_ms = now;
        snprintf(kc.closed_by, sizeof kc.closed_by, "%s", by);
        snprintf(kc.close_note, sizeof kc.close_note, "%s", note);
        kc.state = CASE_CLOSED;
        changed = 1, type = 6;
    }
    json_t *cj = case_to_json(&kc, now);
    if (!changed) {
        char *text = json_dumps(cj, JSON_COMPACT);
        json_decref(cj);
        store_case_clear(&kc);
        done(arg, 0, "", "", text, 0);
        free(text);
        return;
    }
    json_t *ev = json_pack("{s:s,s:s}", "by", by, "client", client ? client : "");
    if (type == 5) json_object_set_new(ev, "team", json_string(team));
    if (type == 6) json_object_set_new(ev, "note", json_string(note));
    int bad = store_case_update(sd, &kc) != 0;
    if (!bad) {
        store_clocks_moved(k->store, s_running(&kc) - running);
        if (type == 6) store_cases_moved(k->store, -1, 0);
        /* the audit chain records every dispatch action with its claim */
        char cid[24];
        case_id_format(kc.id, cid, sizeof cid);
        json_t *ad = json_pack("{s:s, s:s, s:s?, s:s?}", "case_id", cid, "by", by, "team", type == 5 ? team : NULL,
                               "note", type == 6 ? note : NULL);
        char *detail = ad ? json_dumps(ad, JSON_COMPACT) : NULL;
        json_decref(ad);
        bad = store_audit(k->store, now, kc.first_claim, client && client[0] ? client : by, feed_type_name(type),
                          detail ? detail : "{}") != 0;
        free(detail);
    }
    char *ctext = json_dumps(cj, JSON_COMPACT);
    json_decref(cj);
    if (bad) json_decref(ev);
    else bad = feed_emit(k->feed, type, kc.first_claim, kc.id, ev, ctext) != 0;
    if (bad) {
        free(ctext);
        store_case_clear(&kc);
        done(arg, KLAIM__ERROR_CODE__UNAVAILABLE, "", "the store failed; nothing was recorded; retry later", NULL, 0);
        batch_fail(k->batch);
        return;
    }
    log_info("dispatch: case c-%012lld %s by \"%s\"", (long long)kc.id, feed_type_name(type), by);
    struct act_op *op = xcalloc(1, sizeof *op);
    op->done = done;
    op->arg = arg;
    op->json = ctext;
    store_case_clear(&kc);
    batch_then(k->batch, s_on_acted, op);
    batch_op_done(k->batch);
}

/* ------------------------------------------------------- intake front end */

static void s_on_zmq_acted(void *arg, int code, const char *field, const char *message, const char *case_json,
                           int changed)
{
    struct reply_to *to = arg;
    struct intake *in = *(struct intake **)(to + 1);
    if (code) {
        intake_send_error(in, to, code, field, "%s", message);
    } else {
        json_error_t jerr;
        json_t *o = json_loads(case_json, 0, &jerr);
        Klaim__DispatchCase dc = KLAIM__DISPATCH_CASE__INIT;
        dc.case_id = (char *)(o ? json_string_value(json_object_get(o, "case_id")) : "");
        if (!dc.case_id) dc.case_id = "";
        dc.json = (char *)case_json;
        dc.has_changed = 1, dc.changed = changed;
        Klaim__Reply r = KLAIM__REPLY__INIT;
        r.body_case = KLAIM__REPLY__BODY_DISPATCH_CASE;
        r.dispatch_case = &dc;
        intake_send_reply(in, to, &r);
        json_decref(o);
    }
    free(to);
}

void cases_action(struct cases *cs, const struct reply_to *to, const Klaim__DispatchActionRequest *req)
{
    struct intake *in = cs->k->intake;
    struct reply_to *copy = xmalloc(sizeof *copy + sizeof in);
    *copy = *to;
    memcpy(copy + 1, &in, sizeof in);
    cases_act(cs, req->case_id, req->has_action ? (int)req->action : 0, req->by, req->team, req->note, to->client,
              s_on_zmq_acted, copy);
}

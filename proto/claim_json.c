/* claim_json.c - claims and decisions in the JSON spelling of interface.md.
 *
 * Owns: JSON types and enum names of the claim contract, and the decision
 * JSON. Runs in: klaimctl and the HTTP gateway; pure (jansson only).
 * This file checks JSON types only (an integer must be a JSON integer,
 * never a real; an object must be an object; enums are their upper-case
 * names) and builds a Klaim__Claim; every business rule lives in
 * validate_claim(), which both the JSON and the protobuf path go through.
 * Forward compatibility: unknown keys are ignored at every level, so an
 * older klaimd accepts a newer client's claim; misspelled known keys
 * therefore surface as "missing" errors from validate_claim().
 * JSON null counts as absent. lat/lon are the only JSON reals accepted:
 * they are converted to microdegrees (rounded), never used as money.
 */
#include "claim_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define JFAIL(path, ...)                                                              \
    do {                                                                              \
        klaim_err_set(err, KLAIM__ERROR_CODE__INVALID_CLAIM, (path), __VA_ARGS__); \
        return -1;                                                                    \
    } while (0)

static const char *s_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown JSON value";
}

/* Member lookup treating JSON null as absent. */
static json_t *s_get(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && !json_is_null(v) ? v : NULL;
}

/* Joins a parent path and a key ("event" + "date" -> "event.date"). The
 * paths are this file's own short names; a cut one would still be a string. */
static void s_path(char *buf, size_t size, const char *parent, const char *key)
{
    int n = parent && parent[0] ? snprintf(buf, size, "%s.%s", parent, key) : snprintf(buf, size, "%s", key);
    if (n < 0) buf[0] = '\0';
}

/* Optional string member; *out stays NULL when absent. */
static int s_str(const json_t *obj, const char *parent, const char *key, char **out, struct klaim_err *err)
{
    char path[64];
    json_t *v = s_get(obj, key);
    if (!v) return 0;
    s_path(path, sizeof path, parent, key);
    if (!json_is_string(v)) JFAIL(path, "%s: expected a string, got %s", path, s_kind(v));
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) JFAIL(path, "%s: the string contains a NUL character; remove it", path);
    *out = xstrdup(s);
    return 0;
}

/* Optional integer member (int64); a real is refused with its value. */
static int s_int(const json_t *obj, const char *parent, const char *key, const char *unit, protobuf_c_boolean *has,
                 int64_t *out, struct klaim_err *err)
{
    char path[64];
    json_t *v = s_get(obj, key);
    if (!v) return 0;
    s_path(path, sizeof path, parent, key);
    if (json_is_real(v))
        JFAIL(path, "%s: expected an integer number of %s, got %.17g", path, unit, json_real_value(v));
    if (!json_is_integer(v)) JFAIL(path, "%s: expected an integer number of %s, got %s", path, unit, s_kind(v));
    *has = 1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* Optional int32 member; values outside int32 are refused here with the
 * field's real range (lo..hi), the rest is validate_claim()'s job. */
static int s_int32(const json_t *obj, const char *parent, const char *key, const char *unit, int64_t lo, int64_t hi,
                   protobuf_c_boolean *has, int32_t *out, struct klaim_err *err)
{
    int64_t v = 0;
    protobuf_c_boolean h = 0;
    if (s_int(obj, parent, key, unit, &h, &v, err) != 0) return -1;
    if (!h) return 0;
    if (v < INT32_MIN || v > INT32_MAX) {
        char path[64];
        s_path(path, sizeof path, parent, key);
        JFAIL(path, "%s %lld is outside %lld..%lld", path, (long long)v, (long long)lo, (long long)hi);
    }
    *has = 1;
    *out = (int32_t)v;
    return 0;
}

/* Optional enum member by name; parse returns 0 for unknown names. */
static int s_enum(const json_t *obj, const char *parent, const char *key, int (*parse)(const char *),
                  const char *allowed, protobuf_c_boolean *has, int *out, struct klaim_err *err)
{
    char path[64];
    json_t *v = s_get(obj, key);
    if (!v) return 0;
    s_path(path, sizeof path, parent, key);
    if (!json_is_string(v)) JFAIL(path, "%s: expected one of %s as a string, got %s", path, allowed, s_kind(v));
    const char *s = json_string_value(v);
    int e = strlen(s) == json_string_length(v) ? parse(s) : 0;
    if (e == 0) {
        char shown[44];
        size_t i = 0;
        for (; s[i] && i < 40; i++) shown[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        shown[i] = '\0';
        JFAIL(path, "%s: \"%s\" is not one of %s", path, shown, allowed);
    }
    *has = 1;
    *out = e;
    return 0;
}

static int s_parse_program(const char *s) { return (int)klaim_program_parse(s); }
static int s_parse_event_type(const char *s) { return (int)klaim_event_type_parse(s); }
static int s_parse_circumstance(const char *s) { return (int)klaim_circumstance_parse(s); }
static int s_parse_disability(const char *s) { return (int)klaim_disability_parse(s); }
static int s_parse_relation(const char *s) { return (int)klaim_relation_parse(s); }

/* Optional object member: 1 and *out when present, 0 absent, -1 error. */
static int s_obj(const json_t *obj, const char *parent, const char *key, json_t **out, struct klaim_err *err)
{
    char path[64];
    json_t *v = s_get(obj, key);
    *out = NULL;
    if (!v) return 0;
    s_path(path, sizeof path, parent, key);
    if (!json_is_object(v)) JFAIL(path, "%s: expected an object, got %s", path, s_kind(v));
    *out = v;
    return 1;
}

/* lat/lon: a JSON number in degrees -> microdegrees, range-checked before
 * the conversion so an absurd value cannot overflow int32. */
static int s_degrees(const json_t *obj, const char *key, double limit, protobuf_c_boolean *has, int32_t *out,
                     struct klaim_err *err)
{
    char path[64];
    json_t *v = s_get(obj, key);
    if (!v) return 0;
    s_path(path, sizeof path, "event.location", key);
    if (!json_is_number(v)) JFAIL(path, "%s: expected a number of degrees, got %s", path, s_kind(v));
    double d = json_number_value(v);
    if (!(d >= -limit && d <= limit))
        JFAIL(path, "%s %.17g is outside -%g..%g degrees; give decimal degrees (WGS 84)", path, d, limit, limit);
    *has = 1;
    *out = (int32_t)lround(d * 1e6);
    return 0;
}

static int s_event(const json_t *ev, Klaim__Claim *pb, struct klaim_err *err)
{
    Klaim__Event *e = xmalloc(sizeof *e);
    klaim__event__init(e);
    pb->event = e;
    int t = 0;
    if (s_enum(ev, "event", "type", s_parse_event_type, "ACCIDENT, OCCUPATIONAL_DISEASE, DEATH", &e->has_type, &t,
               err))
        return -1;
    e->type = (Klaim__EventType)t;
    if (s_str(ev, "event", "date", &e->date, err)) return -1;
    if (s_enum(ev, "event", "circumstance", s_parse_circumstance, "WORKPLACE, COMMUTE, WORK_TRAVEL",
               &e->has_circumstance, &t, err))
        return -1;
    e->circumstance = (Klaim__Circumstance)t;
    if (s_str(ev, "event", "reported_at", &e->reported_at, err)) return -1;
    if (s_str(ev, "event", "hospital", &e->hospital, err)) return -1;
    json_t *loc;
    int rc = s_obj(ev, "event", "location", &loc, err);
    if (rc < 0) return -1;
    if (rc > 0) {
        Klaim__Location *l = xmalloc(sizeof *l);
        klaim__location__init(l);
        e->location = l;
        if (s_str(loc, "event.location", "regency", &l->regency, err) ||
            s_str(loc, "event.location", "district", &l->district, err) ||
            s_degrees(loc, "lat", 90.0, &l->has_lat_e6, &l->lat_e6, err) ||
            s_degrees(loc, "lon", 180.0, &l->has_lon_e6, &l->lon_e6, err))
            return -1;
    }
    return 0;
}

static int s_outcome(const json_t *oj, Klaim__Claim *pb, struct klaim_err *err)
{
    Klaim__Outcome *o = xmalloc(sizeof *o);
    klaim__outcome__init(o);
    pb->outcome = o;
    if (s_str(oj, "outcome", "death_date", &o->death_date, err)) return -1;
    if (s_int32(oj, "outcome", "incapacity_days", "days", 0, KLAIM_MAX_DAYS, &o->has_incapacity_days,
                &o->incapacity_days, err))
        return -1;
    json_t *dj, *xj;
    int rc = s_obj(oj, "outcome", "disability", &dj, err);
    if (rc < 0) return -1;
    if (rc > 0) {
        Klaim__Disability *d = xmalloc(sizeof *d);
        klaim__disability__init(d);
        o->disability = d;
        int k = 0;
        if (s_enum(dj, "outcome.disability", "kind", s_parse_disability, "TOTAL, PARTIAL_ANATOMICAL, PARTIAL_FUNCTIONAL",
                   &d->has_kind, &k, err))
            return -1;
        d->kind = (Klaim__DisabilityKind)k;
        if (s_int32(dj, "outcome.disability", "table_bp", "basis points", 0, 10000, &d->has_table_bp, &d->table_bp,
                    err) ||
            s_int32(dj, "outcome.disability", "function_loss_bp", "basis points", 0, 10000,
                    &d->has_function_loss_bp, &d->function_loss_bp, err))
            return -1;
    }
    rc = s_obj(oj, "outcome", "expenses", &xj, err);
    if (rc < 0) return -1;
    if (rc > 0) {
        Klaim__Expenses *x = xmalloc(sizeof *x);
        klaim__expenses__init(x);
        o->expenses = x;
        const char *p = "outcome.expenses";
        if (s_int(xj, p, "medical", "Rupiah", &x->has_medical, &x->medical, err) ||
            s_int(xj, p, "transport_land", "Rupiah", &x->has_transport_land, &x->transport_land, err) ||
            s_int(xj, p, "transport_sea", "Rupiah", &x->has_transport_sea, &x->transport_sea, err) ||
            s_int(xj, p, "transport_air", "Rupiah", &x->has_transport_air, &x->transport_air, err) ||
            s_int(xj, p, "home_care", "Rupiah", &x->has_home_care, &x->home_care, err))
            return -1;
    }
    return 0;
}

static int s_heirs(const json_t *hj, Klaim__Claim *pb, struct klaim_err *err)
{
    if (!json_is_array(hj)) JFAIL("heirs", "heirs: expected an array, got %s", s_kind(hj));
    size_t n = json_array_size(hj);
    if (n > KLAIM_MAX_HEIRS) JFAIL("heirs", "heirs has %zu entries; at most %d are accepted", n, KLAIM_MAX_HEIRS);
    if (n == 0) return 0;
    pb->heirs = xcalloc(n, sizeof *pb->heirs);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "heirs[%zu]", i);
        json_t *v = json_array_get(hj, i);
        if (!json_is_object(v)) JFAIL(path, "%s: expected an object, got %s", path, s_kind(v));
        Klaim__Heir *h = xmalloc(sizeof *h);
        klaim__heir__init(h);
        pb->heirs[pb->n_heirs++] = h;
        int r = 0;
        if (s_str(v, path, "nik", &h->nik, err) || s_str(v, path, "name", &h->name, err) ||
            s_enum(v, path, "relation", s_parse_relation,
                   "SPOUSE, CHILD, PARENT, GRANDPARENT, GRANDCHILD, SIBLING, PARENT_IN_LAW, WILL_BENEFICIARY, OTHER",
                   &h->has_relation, &r, err))
            return -1;
        h->relation = (Klaim__Relation)r;
        json_t *bj = s_get(v, "bank");
        if (bj) {
            char bpath[80];
            snprintf(bpath, sizeof bpath, "%s.bank", path);
            if (!json_is_object(bj)) JFAIL(bpath, "%s: expected an object, got %s", bpath, s_kind(bj));
            h->bank = xmalloc(sizeof *h->bank);
            klaim__bank_account__init(h->bank);
            if (s_str(bj, bpath, "bank_code", &h->bank->bank_code, err) ||
                s_str(bj, bpath, "account", &h->bank->account, err) || s_str(bj, bpath, "name", &h->bank->name, err))
                return -1;
        }
    }
    return 0;
}

static int s_claim(const json_t *obj, Klaim__Claim *pb, struct klaim_err *err)
{
    if (!json_is_object(obj)) JFAIL("", "claim: expected a JSON object, got %s", s_kind(obj));
    if (s_str(obj, "", "idempotency_key", &pb->idempotency_key, err)) return -1;
    int p = 0;
    if (s_enum(obj, "", "program", s_parse_program, "JKK, JKM", &pb->has_program, &p, err)) return -1;
    pb->program = (Klaim__Program)p;
    json_t *v;
    int rc = s_obj(obj, "", "participant", &v, err);
    if (rc < 0) return -1;
    if (rc > 0) {
        pb->participant = xmalloc(sizeof *pb->participant);
        klaim__participant__init(pb->participant);
        if (s_str(v, "participant", "kpj", &pb->participant->kpj, err) ||
            s_str(v, "participant", "nik", &pb->participant->nik, err))
            return -1;
    }
    rc = s_obj(obj, "", "event", &v, err);
    if (rc < 0 || (rc > 0 && s_event(v, pb, err) != 0)) return -1;
    rc = s_obj(obj, "", "outcome", &v, err);
    if (rc < 0 || (rc > 0 && s_outcome(v, pb, err) != 0)) return -1;
    v = s_get(obj, "heirs");
    if (v && s_heirs(v, pb, err) != 0) return -1;
    return 0;
}

Klaim__Claim *claim_json_to_pb(const json_t *obj, struct klaim_err *err)
{
    Klaim__Claim *pb = xmalloc(sizeof *pb);
    klaim__claim__init(pb);
    if (s_claim(obj, pb, err) != 0) {
        claim_json_pb_free(pb);
        return NULL;
    }
    return pb;
}

/* Everything above is malloc'ed in protobuf-c's own layout, so its default
 * allocator (malloc/free) releases the tree, partial or complete. */
void claim_json_pb_free(Klaim__Claim *pb)
{
    if (pb) protobuf_c_message_free_unpacked(&pb->base, NULL);
}

int claim_from_json(const json_t *obj, kdate today_wib, struct klaim_claim *out, struct klaim_err *err)
{
    Klaim__Claim *pb = claim_json_to_pb(obj, err);
    if (!pb) return -1;
    int rc = validate_claim(pb, today_wib, out, err);
    claim_json_pb_free(pb);
    return rc;
}

Klaim__ReviewRequest *review_json_to_pb(const json_t *obj, const char *claim_id, struct klaim_err *err)
{
    Klaim__ReviewRequest *rr = xmalloc(sizeof *rr);
    klaim__review_request__init(rr);
    rr->claim_id = xstrdup(claim_id);
    static const char *const actions[] = {"", "approve", "reject", "confirm"};
    json_t *a = s_get(obj, "action");
    if (!a || !json_is_string(a)) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "action",
                      "action: expected \"approve\", \"reject\" or \"confirm\"");
        goto fail;
    }
    for (size_t i = 1; i < sizeof actions / sizeof actions[0]; i++)
        if (strcasecmp(json_string_value(a), actions[i]) == 0) rr->has_action = 1, rr->action = (Klaim__ReviewAction)i;
    if (!rr->has_action) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "action",
                      "action \"%.20s\" is not known: expected \"approve\", \"reject\" or \"confirm\"",
                      json_string_value(a));
        goto fail;
    }
    if (s_str(obj, "", "by", &rr->by, err) || s_str(obj, "", "note", &rr->note, err)) {
        err->code = KLAIM__ERROR_CODE__BAD_REQUEST;
        goto fail;
    }
    json_t *hj = s_get(obj, "heirs");
    if (hj) {
        Klaim__Claim tmp = KLAIM__CLAIM__INIT;
        int rc = s_heirs(hj, &tmp, err);
        rr->n_heirs = tmp.n_heirs;
        rr->heirs = tmp.heirs;
        if (rc != 0) goto fail; /* s_heirs reads each heir's "bank" too */
    }
    return rr;
fail:
    protobuf_c_message_free_unpacked(&rr->base, NULL);
    return NULL;
}

/* ------------------------------------------------------------ JSON out */

static void s_set_str(json_t *o, const char *key, const char *v)
{
    if (v && v[0]) json_object_set_new(o, key, json_string(v));
}

/* Mirrors claim_to_pb(): the same fields are written, so JSON out, JSON in
 * gives back the same internal claim. */
json_t *claim_to_json(const struct klaim_claim *c)
{
    char buf[40];
    json_t *o = json_object();
    s_set_str(o, "idempotency_key", c->idempotency_key);
    s_set_str(o, "program", klaim_program_name(c->program));
    json_t *p = json_object();
    s_set_str(p, "kpj", c->kpj);
    s_set_str(p, "nik", c->nik);
    json_object_set_new(o, "participant", p);

    json_t *e = json_object();
    s_set_str(e, "type", klaim_event_type_name(c->event_type));
    kdate_format(c->event_date, buf);
    s_set_str(e, "date", buf);
    s_set_str(e, "circumstance", klaim_circumstance_name(c->circumstance));
    ktime_format_rfc3339(c->reported_at_s, c->reported_offset_min, buf, sizeof buf);
    s_set_str(e, "reported_at", buf);
    if (c->regency[0] || c->district[0] || c->has_location_latlon) {
        json_t *l = json_object();
        s_set_str(l, "regency", c->regency);
        s_set_str(l, "district", c->district);
        if (c->has_location_latlon) {
            json_object_set_new(l, "lat", json_real(c->lat_e6 / 1e6));
            json_object_set_new(l, "lon", json_real(c->lon_e6 / 1e6));
        }
        json_object_set_new(e, "location", l);
    }
    s_set_str(e, "hospital", c->hospital);
    json_object_set_new(o, "event", e);

    json_t *out = json_object();
    if (c->has_death_date) {
        kdate_format(c->death_date, buf);
        s_set_str(out, "death_date", buf);
    }
    if (c->incapacity_days) json_object_set_new(out, "incapacity_days", json_integer(c->incapacity_days));
    if (c->disability != DISABILITY_NONE) {
        json_t *d = json_object();
        s_set_str(d, "kind", klaim_disability_name(c->disability));
        if (c->disability != DISABILITY_TOTAL || c->table_bp)
            json_object_set_new(d, "table_bp", json_integer(c->table_bp));
        if (c->disability == DISABILITY_PARTIAL_FUNCTIONAL || c->function_loss_bp)
            json_object_set_new(d, "function_loss_bp", json_integer(c->function_loss_bp));
        json_object_set_new(out, "disability", d);
    }
    if (c->medical || c->transport_land || c->transport_sea || c->transport_air || c->home_care) {
        json_t *x = json_object();
        json_object_set_new(x, "medical", json_integer(c->medical));
        json_object_set_new(x, "transport_land", json_integer(c->transport_land));
        json_object_set_new(x, "transport_sea", json_integer(c->transport_sea));
        json_object_set_new(x, "transport_air", json_integer(c->transport_air));
        json_object_set_new(x, "home_care", json_integer(c->home_care));
        json_object_set_new(out, "expenses", x);
    }
    if (json_object_size(out))
        json_object_set_new(o, "outcome", out);
    else
        json_decref(out);

    json_t *hs = json_array();
    for (int i = 0; i < c->n_heirs && i < KLAIM_MAX_HEIRS; i++) {
        json_t *h = json_object();
        s_set_str(h, "nik", c->heirs[i].nik);
        s_set_str(h, "name", c->heirs[i].name);
        s_set_str(h, "relation", klaim_relation_name(c->heirs[i].relation));
        if (c->heirs[i].has_bank) {
            json_t *b = json_object();
            s_set_str(b, "bank_code", c->heirs[i].bank.code);
            s_set_str(b, "account", c->heirs[i].bank.account);
            s_set_str(b, "name", c->heirs[i].bank.name);
            json_object_set_new(h, "bank", b);
        }
        json_array_append_new(hs, h);
    }
    json_object_set_new(o, "heirs", hs);
    return o;
}

/* A JSON string from wire text that jansson may refuse (invalid UTF-8):
 * such bytes are shown as '?', never dropped silently with the key. */
static json_t *s_jstring(const char *s)
{
    json_t *j = json_string(s);
    if (j) return j;
    char *t = xstrdup(s);
    for (char *p = t; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    j = json_string(t);
    free(t);
    return j;
}

static json_t *s_str_or_null(const char *s) { return s ? s_jstring(s) : json_null(); }

/* Name of an enum value, or null when unset or unknown. */
static json_t *s_name_or_null(protobuf_c_boolean has, const char *name)
{
    return has && name[0] ? json_string(name) : json_null();
}

/* Unix milliseconds -> RFC 3339 UTC (whole seconds), null when unset. */
static json_t *s_time(protobuf_c_boolean has, int64_t ms)
{
    if (!has || ms == 0) return json_null();
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    char buf[40];
    ktime_format_rfc3339(s, 0, buf, sizeof buf);
    return json_string(buf);
}

/* Heirs as protobuf (a reviewer's) -> the claim JSON's heirs array, with
 * the bank account when there is one. */
static json_t *s_heirs_pb_to_json(Klaim__Heir *const *hs, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const Klaim__Heir *h = hs[i];
        json_t *j = json_object();
        if (h->nik && h->nik[0]) json_object_set_new(j, "nik", s_jstring(h->nik));
        json_object_set_new(j, "name", s_jstring(h->name ? h->name : ""));
        json_object_set_new(j, "relation",
                            s_name_or_null(h->has_relation, klaim_relation_name((enum klaim_relation)h->relation)));
        if (h->bank) {
            const Klaim__BankAccount *b = h->bank;
            json_object_set_new(j, "bank",
                                json_pack("{s:o,s:o,s:o}", "bank_code", s_jstring(b->bank_code ? b->bank_code : ""),
                                          "account", s_jstring(b->account ? b->account : ""), "name",
                                          s_jstring(b->name ? b->name : "")));
        }
        json_array_append_new(a, j);
    }
    return a;
}

/* The JKM payment clock's members of the decision's "payment" object (due,
 * days_late, late_amount; docs/money.md §7), added to that object when it
 * is already there, else to a new one. Nothing without a due date. */
static void s_payment_clock_json(json_t *o, const Klaim__Payment *p)
{
    if (!p || !p->due) return;
    json_t *pay = json_object_get(o, "payment");
    if (!json_is_object(pay)) {
        pay = json_object();
        json_object_set_new(o, "payment", pay);
    }
    json_object_set_new(pay, "due", s_jstring(p->due));
    json_object_set_new(pay, "days_late", json_integer(p->has_days_late ? p->days_late : 0));
    json_object_set_new(pay, "late_amount", json_integer(p->has_late_amount ? p->late_amount : 0));
}

json_t *decision_pb_to_json(const Klaim__Decision *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "claim_id", s_str_or_null(d->claim_id));
    json_object_set_new(o, "idempotency_key", s_str_or_null(d->idempotency_key));
    json_object_set_new(o, "state", s_name_or_null(d->has_state, klaim_state_name((enum klaim_state)d->state)));
    json_object_set_new(o, "program",
                        s_name_or_null(d->has_program, klaim_program_name((enum klaim_program)d->program)));
    json_object_set_new(o, "rule_set", s_str_or_null(d->rule_set));
    json_object_set_new(o, "wage_basis", json_integer(d->has_wage_basis ? d->wage_basis : 0));
    json_t *items = json_array();
    for (size_t i = 0; i < d->n_items; i++) {
        const Klaim__Item *it = d->items[i];
        json_t *j = json_object();
        json_object_set_new(j, "code", s_jstring(it->code ? it->code : ""));
        json_object_set_new(j, "amount", json_integer(it->has_amount ? it->amount : 0));
        json_object_set_new(j, "basis", s_jstring(it->basis ? it->basis : ""));
        json_array_append_new(items, j);
    }
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "total", json_integer(d->has_total ? d->total : 0));
    json_object_set_new(o, "scholarship_children",
                        json_integer(d->has_scholarship_children ? d->scholarship_children : 0));
    json_t *reasons = json_array();
    for (size_t i = 0; i < d->n_reasons; i++) {
        const Klaim__Reason *r = d->reasons[i];
        json_t *j = json_object();
        json_object_set_new(j, "code", s_jstring(r->code ? r->code : ""));
        json_object_set_new(j, "message", s_jstring(r->message ? r->message : ""));
        json_array_append_new(reasons, j);
    }
    json_object_set_new(o, "reasons", reasons);
    json_object_set_new(o, "received_at", s_time(d->has_received_at_ms, d->received_at_ms));
    json_object_set_new(o, "decided_at", s_time(d->has_decided_at_ms, d->decided_at_ms));
    /* The money path (docs/money.md): who is paid, and what a follow-up
     * was netted against. */
    if (d->n_payees > 0) {
        json_t *payees = json_array();
        for (size_t i = 0; i < d->n_payees; i++) {
            const Klaim__Payee *p = d->payees[i];
            json_t *j = json_object();
            json_object_set_new(j, "role", s_name_or_null(p->has_role, klaim_payee_role_name((enum klaim_payee_role)p->role)));
            json_object_set_new(j, "id", s_jstring(p->id ? p->id : ""));
            json_object_set_new(j, "name", s_jstring(p->name ? p->name : ""));
            if (p->has_relation)
                json_object_set_new(j, "relation", json_string(klaim_relation_name((enum klaim_relation)p->relation)));
            json_t *codes = json_array();
            for (size_t k = 0; k < p->n_items; k++) json_array_append_new(codes, s_jstring(p->items[k] ? p->items[k] : ""));
            json_object_set_new(j, "items", codes);
            json_object_set_new(j, "amount", json_integer(p->has_amount ? p->amount : 0));
            if (p->bank) {
                json_t *b = json_object();
                json_object_set_new(b, "bank_code", s_jstring(p->bank->bank_code ? p->bank->bank_code : ""));
                json_object_set_new(b, "account", s_jstring(p->bank->account ? p->bank->account : ""));
                json_object_set_new(b, "name", s_jstring(p->bank->name ? p->bank->name : ""));
                json_object_set_new(j, "bank", b);
            }
            if (p->has_bank_name_mismatch && p->bank_name_mismatch)
                json_object_set_new(j, "bank_name_mismatch", json_true());
            json_array_append_new(payees, j);
        }
        json_object_set_new(o, "payees", payees);
    }
    if (d->n_netted_against > 0) {
        json_t *ids = json_array();
        for (size_t i = 0; i < d->n_netted_against; i++) {
            char id[24];
            klaim_id_format(d->netted_against[i], id, sizeof id);
            json_array_append_new(ids, json_string(id));
        }
        json_object_set_new(o, "netted_against", ids);
    }
    /* Not in interface.md's example: decided on a stale registry. */
    if (d->has_provisional && d->provisional) json_object_set_new(o, "provisional", json_true());
    /* docs/money.md §6: where an APPROVED claim's money is (PROTOCOL.md);
     * payments.c always sets the state, the payment clock alone does not. */
    if (d->payment && d->payment->has_state) {
        static const char *const states[] = {NULL, "UNPAID", "IN_BATCH", "PAID", "FAILED"};
        const Klaim__Payment *pm = d->payment;
        json_t *j = json_object();
        int st = pm->has_state ? (int)pm->state : 0;
        json_object_set_new(j, "state", s_str_or_null(st > 0 && st < 5 ? states[st] : NULL));
        json_object_set_new(j, "batch", pm->has_batch && pm->batch ? json_integer((json_int_t)pm->batch) : json_null());
        json_object_set_new(j, "reference", pm->reference && pm->reference[0] ? s_jstring(pm->reference) : json_null());
        json_object_set_new(j, "paid_on", s_str_or_null(pm->paid_on));
        json_object_set_new(j, "failure", pm->failure && pm->failure[0] ? s_jstring(pm->failure) : json_null());
        json_object_set_new(o, "payment", j);
    }
    /* Not in interface.md's example: what reviewers did (PROTOCOL.md). */
    if (d->n_reviews > 0) {
        json_t *reviews = json_array();
        for (size_t i = 0; i < d->n_reviews; i++) {
            const Klaim__Review *v = d->reviews[i];
            json_t *j = json_object();
            const char *action = v->action == KLAIM__REVIEW_ACTION__APPROVE   ? "APPROVE"
                                 : v->action == KLAIM__REVIEW_ACTION__REJECT  ? "REJECT"
                                 : v->action == KLAIM__REVIEW_ACTION__CONFIRM ? "CONFIRM"
                                                                              : NULL;
            json_object_set_new(j, "action", s_str_or_null(action));
            json_object_set_new(j, "reason_code", s_jstring(v->reason_code ? v->reason_code : ""));
            json_object_set_new(j, "by", s_jstring(v->by ? v->by : ""));
            json_object_set_new(j, "client", s_jstring(v->client ? v->client : ""));
            json_object_set_new(j, "note", s_jstring(v->note ? v->note : ""));
            json_object_set_new(j, "at", s_time(v->has_at_ms, v->at_ms));
            /* docs/money.md §5: who the review counts as for four eyes; §3: the heirs it brought */
            if (v->identity) json_object_set_new(j, "identity", s_jstring(v->identity));
            if (v->n_heirs > 0) json_object_set_new(j, "heirs", s_heirs_pb_to_json(v->heirs, v->n_heirs));
            json_array_append_new(reviews, j);
        }
        json_object_set_new(o, "reviews", reviews);
    }
    s_payment_clock_json(o, d->payment);
    return o;
}

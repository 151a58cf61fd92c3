/* validate.c - a decoded protobuf claim -> the internal claim, or a typed error.
 *
 * Owns: intake's definition of "malformed" (rules.md §5): required fields,
 * enums (protobuf-c does not check proto2 enum values, so every enum goes
 * through an exhaustive switch), calendar dates, RFC 3339 instants with an
 * offset, bounds on amounts, days and basis points, digit strings, text.
 * Runs in: klaimd (intake), klaimctl (before sending), the workers (jobs)
 * and claim_json.c, so JSON and protobuf input cannot disagree.
 * Every failure names the field by its JSON path ("heirs[2].nik") and says
 * what was wrong and how to fix it. NIKs and names are never echoed back
 * (they end up in logs); other values are, truncated and made printable.
 * A well-formed but ineligible claim is NOT refused here: that is a
 * decision (e.g. JKM with a circumstance is INCONSISTENT_DATA later).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

#define FAIL(field, ...)                                                              \
    do {                                                                              \
        klaim_err_set(err, KLAIM__ERROR_CODE__INVALID_CLAIM, (field), __VA_ARGS__); \
        return -1;                                                                    \
    } while (0)

/* A printable, bounded rendering of a client's value for an error message. */
struct quoted {
    char s[48];
};

static struct quoted s_q(const char *v)
{
    struct quoted q;
    size_t o = 0, i = 0;
    for (; v[i] && o < 40; i++) q.s[o++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
    if (v[i]) {
        memcpy(q.s + o, "...", 3);
        o += 3;
    }
    q.s[o] = '\0';
    return q;
}

/* 1 if s is exactly n ASCII digits. */
static int s_is_digits(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Checks len bytes of s are well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF) without C0, DEL or C1 control characters.
 * Returns -1 if fine, else the byte offset of the first offence. */
static long s_text_bad_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return (long)i;
            i++;
            continue;
        }
        unsigned cp, n;
        if (c >= 0xc2 && c <= 0xdf) {
            cp = c & 0x1f;
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            cp = c & 0x0f;
            n = 2;
        } else if (c >= 0xf0 && c <= 0xf4) {
            cp = c & 0x07;
            n = 3;
        } else {
            return (long)i;
        }
        for (unsigned k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xc0) != 0x80) return (long)i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return (long)i;
        i += n + 1;
    }
    return -1;
}

/* Free text (hospital, regency, district, heir names): absent is "",
 * else at most KLAIM_TEXT_MAX bytes of clean UTF-8 copied into dst. */
static int s_text(const char *field, const char *v, char dst[KLAIM_TEXT_MAX + 1], int echo, struct klaim_err *err)
{
    dst[0] = '\0';
    if (!v) return 0;
    size_t n = strlen(v);
    if (n > KLAIM_TEXT_MAX)
        FAIL(field, "%s is %zu bytes long; shorten it to at most %d bytes", field, n, KLAIM_TEXT_MAX);
    long at = s_text_bad_at((const unsigned char *)v, n);
    if (at >= 0) {
        if (echo)
            FAIL(field, "%s \"%s\" has a control character or invalid UTF-8 at byte %ld; send plain UTF-8 text",
                 field, s_q(v).s, at);
        FAIL(field, "%s has a control character or invalid UTF-8 at byte %ld; send plain UTF-8 text", field, at);
    }
    memcpy(dst, v, n + 1);
    return 0;
}

/* A "YYYY-MM-DD" calendar date. */
static int s_date(const char *field, const char *v, kdate *out, struct klaim_err *err)
{
    if (!v) FAIL(field, "%s is missing; give the date as YYYY-MM-DD (WIB)", field);
    if (kdate_parse(v, strlen(v), out) != 0)
        FAIL(field, "%s \"%s\" is not a calendar date; give YYYY-MM-DD with a real day, years %d..%d", field,
             s_q(v).s, KDATE_MIN_YEAR, KDATE_MAX_YEAR);
    return 0;
}

static int s_not_future(const char *field, kdate d, kdate today_wib, struct klaim_err *err)
{
    if (today_wib != INT32_MAX && d > today_wib) {
        char a[11], b[11];
        kdate_format(d, a);
        kdate_format(today_wib, b);
        FAIL(field, "%s %s is in the future (today is %s WIB); check the date", field, a, b);
    }
    return 0;
}

static int s_amount(const char *field, protobuf_c_boolean has, int64_t v, int64_t *out, struct klaim_err *err)
{
    *out = 0;
    if (!has) return 0;
    if (v < 0 || v > KLAIM_MAX_AMOUNT)
        FAIL(field, "%s %lld is outside 0..1000000000000; give whole Rupiah, not negative", field, (long long)v);
    *out = v;
    return 0;
}

static int s_bp(const char *field, protobuf_c_boolean has, int32_t v, int need, const char *kind, int32_t *out,
                struct klaim_err *err)
{
    *out = 0;
    if (!has) {
        if (need) FAIL(field, "%s is missing; disability kind %s needs it (basis points, 0..10000)", field, kind);
        return 0;
    }
    if (v < 0 || v > 10000)
        FAIL(field, "%s %d is outside 0..10000; give basis points (10000 = 100 %%)", field, (int)v);
    *out = v;
    return 0;
}

static const char *const s_relations =
    "SPOUSE, CHILD, PARENT, GRANDPARENT, GRANDCHILD, SIBLING, PARENT_IN_LAW, WILL_BENEFICIARY, OTHER";

/* Exhaustive switches: a value not named here is refused, never defaulted. */
static enum klaim_program s_program(Klaim__Program v)
{
    switch (v) {
    case KLAIM__PROGRAM__JKK: return PROGRAM_JKK;
    case KLAIM__PROGRAM__JKM: return PROGRAM_JKM;
    case KLAIM__PROGRAM__PROGRAM_UNSPECIFIED:
    default: return PROGRAM_NONE;
    }
}

static enum klaim_event_type s_event_type(Klaim__EventType v)
{
    switch (v) {
    case KLAIM__EVENT_TYPE__ACCIDENT: return EVENT_ACCIDENT;
    case KLAIM__EVENT_TYPE__OCCUPATIONAL_DISEASE: return EVENT_OCCUPATIONAL_DISEASE;
    case KLAIM__EVENT_TYPE__DEATH: return EVENT_DEATH;
    case KLAIM__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED:
    default: return EVENT_NONE;
    }
}

static enum klaim_circumstance s_circumstance(Klaim__Circumstance v)
{
    switch (v) {
    case KLAIM__CIRCUMSTANCE__WORKPLACE: return CIRC_WORKPLACE;
    case KLAIM__CIRCUMSTANCE__COMMUTE: return CIRC_COMMUTE;
    case KLAIM__CIRCUMSTANCE__WORK_TRAVEL: return CIRC_WORK_TRAVEL;
    case KLAIM__CIRCUMSTANCE__CIRCUMSTANCE_UNSPECIFIED:
    default: return CIRC_NONE;
    }
}

static enum klaim_disability s_disability(Klaim__DisabilityKind v)
{
    switch (v) {
    case KLAIM__DISABILITY_KIND__TOTAL: return DISABILITY_TOTAL;
    case KLAIM__DISABILITY_KIND__PARTIAL_ANATOMICAL: return DISABILITY_PARTIAL_ANATOMICAL;
    case KLAIM__DISABILITY_KIND__PARTIAL_FUNCTIONAL: return DISABILITY_PARTIAL_FUNCTIONAL;
    case KLAIM__DISABILITY_KIND__DISABILITY_UNSPECIFIED:
    default: return DISABILITY_NONE;
    }
}

static enum klaim_relation s_relation(Klaim__Relation v)
{
    switch (v) {
    case KLAIM__RELATION__SPOUSE: return REL_SPOUSE;
    case KLAIM__RELATION__CHILD: return REL_CHILD;
    case KLAIM__RELATION__PARENT: return REL_PARENT;
    case KLAIM__RELATION__GRANDPARENT: return REL_GRANDPARENT;
    case KLAIM__RELATION__GRANDCHILD: return REL_GRANDCHILD;
    case KLAIM__RELATION__SIBLING: return REL_SIBLING;
    case KLAIM__RELATION__PARENT_IN_LAW: return REL_PARENT_IN_LAW;
    case KLAIM__RELATION__WILL_BENEFICIARY: return REL_WILL_BENEFICIARY;
    case KLAIM__RELATION__OTHER: return REL_OTHER;
    case KLAIM__RELATION__RELATION_UNSPECIFIED:
    default: return REL_NONE;
    }
}

static int s_key(const char *v, char dst[KLAIM_KEY_MAX + 1], struct klaim_err *err)
{
    if (!v || !v[0])
        FAIL("idempotency_key", "idempotency_key is missing; give 1..%d printable ASCII characters unique to "
                                "this claim",
             KLAIM_KEY_MAX);
    size_t n = strlen(v);
    if (n > KLAIM_KEY_MAX)
        FAIL("idempotency_key", "idempotency_key \"%s\" is %zu bytes; use at most %d", s_q(v).s, n, KLAIM_KEY_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
            FAIL("idempotency_key",
                 "idempotency_key \"%s\" has a space, control or non-ASCII byte at %zu; use printable ASCII only",
                 s_q(v).s, i);
    memcpy(dst, v, n + 1);
    return 0;
}

static int s_participant(const Klaim__Participant *p, struct klaim_claim *out, struct klaim_err *err)
{
    const char *kpj = p ? p->kpj : NULL, *nik = p ? p->nik : NULL;
    if (!kpj || !kpj[0]) FAIL("participant.kpj", "participant.kpj is missing; give the 11-digit KPJ number");
    if (!s_is_digits(kpj, 11))
        FAIL("participant.kpj", "participant.kpj \"%s\" is not 11 digits; give the 11-digit KPJ number",
             s_q(kpj).s);
    memcpy(out->kpj, kpj, 12);
    if (!nik || !nik[0]) FAIL("participant.nik", "participant.nik is missing; give the 16-digit NIK");
    if (!s_is_digits(nik, 16))
        FAIL("participant.nik", "participant.nik (%zu characters) is not 16 digits; give the 16-digit NIK",
             strlen(nik));
    memcpy(out->nik, nik, 17);
    return 0;
}

static int s_location(const Klaim__Location *l, struct klaim_claim *out, struct klaim_err *err)
{
    if (!l) return 0;
    if (s_text("event.location.regency", l->regency, out->regency, 1, err) != 0) return -1;
    if (s_text("event.location.district", l->district, out->district, 1, err) != 0) return -1;
    if (l->has_lat_e6 != l->has_lon_e6)
        FAIL(l->has_lat_e6 ? "event.location.lon" : "event.location.lat",
             "event.location.%s is missing while %s is given; give both lat and lon or neither",
             l->has_lat_e6 ? "lon" : "lat", l->has_lat_e6 ? "lat" : "lon");
    if (l->has_lat_e6) {
        if (l->lat_e6 < -90000000 || l->lat_e6 > 90000000)
            FAIL("event.location.lat", "event.location.lat %d microdegrees is outside -90..90 degrees",
                 (int)l->lat_e6);
        if (l->lon_e6 < -180000000 || l->lon_e6 > 180000000)
            FAIL("event.location.lon", "event.location.lon %d microdegrees is outside -180..180 degrees",
                 (int)l->lon_e6);
        out->has_location_latlon = 1;
        out->lat_e6 = l->lat_e6;
        out->lon_e6 = l->lon_e6;
    }
    return 0;
}

static int s_event(const Klaim__Event *e, kdate today_wib, struct klaim_claim *out, struct klaim_err *err)
{
    if (!e || !e->has_type)
        FAIL("event.type", "event.type is missing; give ACCIDENT, OCCUPATIONAL_DISEASE or DEATH");
    out->event_type = s_event_type(e->type);
    if (out->event_type == EVENT_NONE)
        FAIL("event.type", "event.type %d is not a known event type; give ACCIDENT, OCCUPATIONAL_DISEASE or DEATH",
             (int)e->type);
    if (out->program == PROGRAM_JKM && out->event_type != EVENT_DEATH)
        FAIL("event.type", "event.type %s does not fit program JKM; JKM needs DEATH (file work accidents as JKK)",
             klaim_event_type_name(out->event_type));
    if (out->program == PROGRAM_JKK && out->event_type == EVENT_DEATH)
        FAIL("event.type", "event.type DEATH does not fit program JKK; a JKK death is ACCIDENT or "
                           "OCCUPATIONAL_DISEASE with outcome.death_date (or file JKM)");

    if (s_date("event.date", e->date, &out->event_date, err) != 0) return -1;

    if (e->has_circumstance) {
        out->circumstance = s_circumstance(e->circumstance);
        if (out->circumstance == CIRC_NONE)
            FAIL("event.circumstance", "event.circumstance %d is not known; give WORKPLACE, COMMUTE or WORK_TRAVEL",
                 (int)e->circumstance);
    }
    if (out->program == PROGRAM_JKK && out->circumstance == CIRC_NONE)
        FAIL("event.circumstance", "event.circumstance is missing; a JKK claim needs WORKPLACE, COMMUTE or "
                                   "WORK_TRAVEL");

    if (!e->reported_at || !e->reported_at[0])
        FAIL("event.reported_at",
             "event.reported_at is missing; give when it was first reported, RFC 3339 with an offset "
             "(2026-03-06T09:12:00+07:00)");
    if (ktime_parse_rfc3339(e->reported_at, strlen(e->reported_at), &out->reported_at_s,
                            &out->reported_offset_min) != 0)
        FAIL("event.reported_at",
             "event.reported_at \"%s\" is not RFC 3339 with an offset; give e.g. 2026-03-06T09:12:00+07:00",
             s_q(e->reported_at).s);
    out->reported_date = kdate_wib(out->reported_at_s);
    if (out->reported_date < out->event_date) {
        char r[11], d[11];
        kdate_format(out->reported_date, r);
        kdate_format(out->event_date, d);
        FAIL("event.reported_at", "event.reported_at (%s WIB) is before event.date %s; an event is reported after "
                                  "it happens",
             r, d);
    }
    if (s_not_future("event.date", out->event_date, today_wib, err) != 0) return -1;
    if (s_not_future("event.reported_at", out->reported_date, today_wib, err) != 0) return -1;

    if (s_location(e->location, out, err) != 0) return -1;
    return s_text("event.hospital", e->hospital, out->hospital, 1, err);
}

/* JKK only: the caller skips it (and leaves the fields zero) for JKM. */
static int s_outcome(const Klaim__Outcome *o, kdate today_wib, struct klaim_claim *out, struct klaim_err *err)
{
    if (!o) return 0;
    if (o->death_date) {
        if (s_date("outcome.death_date", o->death_date, &out->death_date, err) != 0) return -1;
        if (out->death_date < out->event_date) {
            char a[11], b[11];
            kdate_format(out->death_date, a);
            kdate_format(out->event_date, b);
            FAIL("outcome.death_date", "outcome.death_date %s is before event.date %s; check both dates", a, b);
        }
        if (s_not_future("outcome.death_date", out->death_date, today_wib, err) != 0) return -1;
        out->has_death_date = 1;
    }
    if (o->has_incapacity_days) {
        if (o->incapacity_days < 0 || o->incapacity_days > KLAIM_MAX_DAYS)
            FAIL("outcome.incapacity_days", "outcome.incapacity_days %d is outside 0..%d; give whole days",
                 (int)o->incapacity_days, KLAIM_MAX_DAYS);
        out->incapacity_days = o->incapacity_days;
    }
    if (o->disability) {
        const Klaim__Disability *d = o->disability;
        if (!d->has_kind)
            FAIL("outcome.disability.kind", "outcome.disability.kind is missing; give TOTAL, PARTIAL_ANATOMICAL or "
                                            "PARTIAL_FUNCTIONAL, or leave out disability");
        out->disability = s_disability(d->kind);
        if (out->disability == DISABILITY_NONE)
            FAIL("outcome.disability.kind",
                 "outcome.disability.kind %d is not known; give TOTAL, PARTIAL_ANATOMICAL or PARTIAL_FUNCTIONAL",
                 (int)d->kind);
        const char *kind = klaim_disability_name(out->disability);
        int need_t = out->disability != DISABILITY_TOTAL;
        int need_f = out->disability == DISABILITY_PARTIAL_FUNCTIONAL;
        if (s_bp("outcome.disability.table_bp", d->has_table_bp, d->table_bp, need_t, kind, &out->table_bp, err))
            return -1;
        if (s_bp("outcome.disability.function_loss_bp", d->has_function_loss_bp, d->function_loss_bp, need_f, kind,
                 &out->function_loss_bp, err))
            return -1;
    }
    if (o->expenses) {
        const Klaim__Expenses *x = o->expenses;
        if (s_amount("outcome.expenses.medical", x->has_medical, x->medical, &out->medical, err) ||
            s_amount("outcome.expenses.transport_land", x->has_transport_land, x->transport_land,
                     &out->transport_land, err) ||
            s_amount("outcome.expenses.transport_sea", x->has_transport_sea, x->transport_sea, &out->transport_sea,
                     err) ||
            s_amount("outcome.expenses.transport_air", x->has_transport_air, x->transport_air, &out->transport_air,
                     err) ||
            s_amount("outcome.expenses.home_care", x->has_home_care, x->home_care, &out->home_care, err))
            return -1;
    }
    return 0;
}

/* 1 if s is min..max ASCII digits. */
static int s_digits_between(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int validate_bank_fields(const char *path, const char *code, const char *account, const char *name,
                         struct klaim_bank *out, struct klaim_err *err)
{
    char field[96];
    memset(out, 0, sizeof *out);
    int n_set = (code && code[0]) + (account && account[0]) + (name && name[0]);
    if (n_set == 0) return 1;
    if (n_set != 3) {
        const char *missing = !(code && code[0]) ? "bank_code" : !(account && account[0]) ? "account" : "name";
        snprintf(field, sizeof field, "%s.%s", path, missing);
        FAIL(field, "%s is missing; a bank account needs bank_code, account and name, all three or none", field);
    }
    if (!s_is_digits(code, 3)) {
        snprintf(field, sizeof field, "%s.bank_code", path);
        FAIL(field, "%s \"%s\" is not 3 digits; give Bank Indonesia's 3-digit bank code (e.g. 008)", field,
             s_q(code).s);
    }
    if (!s_digits_between(account, 6, 20)) {
        snprintf(field, sizeof field, "%s.account", path);
        FAIL(field, "%s (%zu characters) is not 6 to 20 digits; give the account number without spaces or dashes",
             field, strlen(account));
    }
    snprintf(field, sizeof field, "%s.name", path);
    if (s_text(field, name, out->name, 0, err) != 0) return -1;
    memcpy(out->code, code, 4);
    memcpy(out->account, account, strlen(account) + 1);
    return 0;
}

static int s_heirs(const Klaim__Claim *pb, struct klaim_claim *out, struct klaim_err *err)
{
    char field[64];
    if (pb->n_heirs > KLAIM_MAX_HEIRS)
        FAIL("heirs", "heirs has %zu entries; at most %d are accepted", pb->n_heirs, KLAIM_MAX_HEIRS);
    for (size_t i = 0; i < pb->n_heirs; i++) {
        const Klaim__Heir *h = pb->heirs[i];
        struct klaim_heir *o = &out->heirs[i];
        if (!h->has_relation) {
            snprintf(field, sizeof field, "heirs[%zu].relation", i);
            FAIL(field, "%s is missing; give one of %s", field, s_relations);
        }
        o->relation = s_relation(h->relation);
        if (o->relation == REL_NONE) {
            snprintf(field, sizeof field, "heirs[%zu].relation", i);
            FAIL(field, "%s %d is not known; give one of %s", field, (int)h->relation, s_relations);
        }
        if (h->nik) {
            if (!s_is_digits(h->nik, 16)) {
                snprintf(field, sizeof field, "heirs[%zu].nik", i);
                FAIL(field, "%s (%zu characters) is not 16 digits; give the heir's 16-digit NIK or leave it out",
                     field, strlen(h->nik));
            }
            memcpy(o->nik, h->nik, 17);
        }
        snprintf(field, sizeof field, "heirs[%zu].name", i);
        if (s_text(field, h->name, o->name, 0, err) != 0) return -1;
        if (h->bank) {
            snprintf(field, sizeof field, "heirs[%zu].bank", i);
            int rc = validate_bank_fields(field, h->bank->bank_code, h->bank->account, h->bank->name, &o->bank, err);
            if (rc < 0) return -1;
            o->has_bank = rc == 0;
        }
    }
    out->n_heirs = (int)pb->n_heirs;
    return 0;
}

/* A heir's bank account (Heir.bank): all of bank_code (3 digits), account
 * (6..20 digits) and the holder's name, or the whole message left out. */
static int s_heir_bank(size_t i, const Klaim__BankAccount *b, struct klaim_heir *o, struct klaim_err *err)
{
    char field[64];
    o->has_bank = 0;
    if (!b) return 0;
    snprintf(field, sizeof field, "heirs[%zu].bank.bank_code", i);
    if (!b->bank_code || !s_is_digits(b->bank_code, 3))
        FAIL(field, "%s \"%s\" is not 3 digits; give Bank Indonesia's 3-digit bank code (e.g. 002 for BRI)", field,
             s_q(b->bank_code ? b->bank_code : "").s);
    size_t n = b->account ? strlen(b->account) : 0;
    int digits = n >= 6 && n <= 20;
    for (size_t k = 0; digits && k < n; k++) digits = b->account[k] >= '0' && b->account[k] <= '9';
    snprintf(field, sizeof field, "heirs[%zu].bank.account", i);
    if (!digits)
        FAIL(field, "%s (%zu characters) is not 6-20 digits; give the account number without spaces or dashes",
             field, n);
    snprintf(field, sizeof field, "heirs[%zu].bank.name", i);
    if (s_text(field, b->name, o->bank.name, 0, err) != 0) return -1;
    if (!o->bank.name[0]) FAIL(field, "%s is missing; give the account holder's name as the bank knows it", field);
    memcpy(o->bank.code, b->bank_code, 4);
    memcpy(o->bank.account, b->account, n + 1);
    o->has_bank = 1;
    return 0;
}

int validate_heirs(Klaim__Heir *const *heirs, size_t n, struct klaim_heir out[KLAIM_MAX_HEIRS], int *n_out,
                   struct klaim_err *err)
{
    Klaim__Claim pb = KLAIM__CLAIM__INIT;
    pb.n_heirs = n;
    pb.heirs = (Klaim__Heir **)heirs;
    struct klaim_claim c;
    memset(&c, 0, sizeof c);
    *n_out = 0;
    if (s_heirs(&pb, &c, err) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        char field[64];
        snprintf(field, sizeof field, "heirs[%zu].name", i);
        if (!c.heirs[i].name[0]) FAIL(field, "%s is missing; give the heir's name", field);
        if (s_heir_bank(i, heirs[i]->bank, &c.heirs[i], err) != 0) return -1;
    }
    memcpy(out, c.heirs, sizeof c.heirs);
    *n_out = c.n_heirs;
    return 0;
}

int validate_claim(const Klaim__Claim *pb, kdate today_wib, struct klaim_claim *out, struct klaim_err *err)
{
    /* Zeroed first: padding and the tails of the strings are part of the
     * value (callers compare claims with memcmp). */
    memset(out, 0, sizeof *out);
    if (s_key(pb->idempotency_key, out->idempotency_key, err) != 0) return -1;
    if (!pb->has_program) FAIL("program", "program is missing; give JKK or JKM");
    out->program = s_program(pb->program);
    if (out->program == PROGRAM_NONE) FAIL("program", "program %d is not known; give JKK or JKM", (int)pb->program);
    if (s_participant(pb->participant, out, err) != 0) return -1;
    if (s_event(pb->event, today_wib, out, err) != 0) return -1;
    /* rules.md §5: an outcome on a JKM claim is ignored, not checked. */
    if (out->program == PROGRAM_JKK && s_outcome(pb->outcome, today_wib, out, err) != 0) return -1;
    return s_heirs(pb, out, err);
}

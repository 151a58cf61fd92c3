/* test_claim_json.c - unit tests for proto/claim_json.c.
 *
 * Owns: the JSON side of the claim contract: every acceptance claim in
 * shared/domain/cases.jsonl parses and validates; JSON- and protobuf-derived
 * claims have the same digest; type errors (12.5 for an amount, strings for
 * numbers, unknown enum names) name the field; the decision JSON's shape.
 * Runs in: ctest (test_claim_json). Needs KLAIM_SHARED_DIR; fails loudly
 * if the cases file is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "claim_json.h"

#ifndef KLAIM_SHARED_DIR
#error "KLAIM_SHARED_DIR must be defined (tests/unit/codec.cmake)"
#endif

#define INVALID KLAIM__ERROR_CODE__INVALID_CLAIM

static const char *const s_good =
    "{\"idempotency_key\":\"RSIS-SAKINAH-2026-000123\",\"program\":\"JKK\","
    "\"participant\":{\"kpj\":\"24012345678\",\"nik\":\"3516012345678901\"},"
    "\"event\":{\"type\":\"ACCIDENT\",\"date\":\"2026-03-05\",\"circumstance\":\"WORKPLACE\","
    "\"reported_at\":\"2026-03-06T09:12:00+07:00\","
    "\"location\":{\"regency\":\"Kota Mojokerto\",\"district\":\"Prajurit Kulon\",\"lat\":-7.47,\"lon\":112.43},"
    "\"hospital\":\"RS Islam Sakinah\"},"
    "\"outcome\":{\"incapacity_days\":45,"
    "\"disability\":{\"kind\":\"PARTIAL_FUNCTIONAL\",\"table_bp\":1000,\"function_loss_bp\":5000},"
    "\"expenses\":{\"medical\":12500000,\"transport_land\":750000,\"transport_sea\":0,"
    "\"transport_air\":0,\"home_care\":0}},"
    "\"heirs\":[{\"nik\":\"3516025004620901\",\"name\":\"Siti\",\"relation\":\"SPOUSE\"}]}";

static json_t *s_load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("test JSON does not parse: %s at %d", e.text, e.position);
    return j;
}

/* Sets obj[path] (dotted, objects created as needed) to v (stolen). */
static void s_set(json_t *obj, const char *path, json_t *v)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *p = buf, *dot;
    while ((dot = strchr(p, '.'))) {
        *dot = '\0';
        json_t *next = json_object_get(obj, p);
        if (!next || !json_is_object(next)) {
            next = json_object();
            json_object_set_new(obj, p, next);
        }
        obj = next;
        p = dot + 1;
    }
    json_object_set_new(obj, p, v);
}

static kdate s_today(void) { return kdate_from_ymd(2026, 3, 10); }

/* The good claim with path set to v must be refused at field; returns the
 * message for further checks (static buffer). */
static const char *s_refused(const char *path, json_t *v, const char *field)
{
    static struct klaim_err err;
    json_t *j = s_load(s_good);
    if (path) s_set(j, path, v);
    struct klaim_claim c;
    memset(&err, 0, sizeof err);
    int rc = claim_from_json(j, s_today(), &c, &err);
    json_decref(j);
    if (rc != -1) fail_msg("%s: expected a refusal at %s", path ? path : "(none)", field);
    assert_int_equal(err.code, INVALID);
    assert_string_equal(err.field, field);
    return err.message;
}

static void s_accepted(const char *path, json_t *v, struct klaim_claim *c)
{
    struct klaim_err err = {0};
    json_t *j = s_load(s_good);
    if (path) s_set(j, path, v);
    int rc = claim_from_json(j, s_today(), c, &err);
    json_decref(j);
    if (rc != 0) fail_msg("%s: refused at %s: %s", path ? path : "(none)", err.field, err.message);
}

/* Digest of the claim as it arrives over protobuf: JSON -> Klaim__Claim ->
 * Request frame -> codec_request_decode -> validate_claim. */
static void s_protobuf_digest(const json_t *obj, kdate today, uint8_t out[32], struct klaim_claim *c)
{
    struct klaim_err err = {0};
    Klaim__Claim *pb = claim_json_to_pb(obj, &err);
    assert_non_null(pb);
    Klaim__Request r = KLAIM__REQUEST__INIT;
    r.has_version = 1;
    r.version = KLAIM_PROTO_VERSION;
    r.body_case = KLAIM__REQUEST__BODY_SUBMIT;
    r.submit = pb;
    size_t len;
    uint8_t *buf = codec_pack(&r.base, &len);
    claim_json_pb_free(pb);
    Klaim__Request *d = codec_request_decode(buf, len, 1 << 20, &err);
    assert_non_null(d);
    if (validate_claim(d->submit, today, c, &err) != 0) fail_msg("protobuf path: %s: %s", err.field, err.message);
    claim_digest(c, out);
    codec_request_free(d);
    free(buf);
}

static void test_cases_jsonl(void **state)
{
    (void)state;
    const char *path = KLAIM_SHARED_DIR "/domain/cases.jsonl";
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s: the acceptance cases are required (set -DKLAIM_SHARED_DIR)", path);
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    kdate today = kdate_today_wib();
    while (getline(&line, &cap, f) > 0) {
        if (line[0] == '\n') continue;
        json_t *c = s_load(line);
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *claim = json_object_get(c, "claim");
        assert_non_null(claim);
        struct klaim_claim a, b, back;
        struct klaim_err err = {0};
        if (claim_from_json(claim, today, &a, &err) != 0)
            fail_msg("case %s: refused at %s: %s", name, err.field, err.message);
        /* JSON and protobuf agree byte for byte on the canonical claim */
        uint8_t da[32], db[32];
        claim_digest(&a, da);
        s_protobuf_digest(claim, today, db, &b);
        assert_memory_equal(&a, &b, sizeof a);
        assert_memory_equal(da, db, 32);
        /* claim_to_json is the inverse of claim_from_json */
        json_t *again = claim_to_json(&a);
        if (claim_from_json(again, today, &back, &err) != 0)
            fail_msg("case %s: claim_to_json output refused at %s: %s", name, err.field, err.message);
        assert_memory_equal(&a, &back, sizeof a);
        json_decref(again);
        /* the canonical bytes round-trip too */
        size_t len;
        uint8_t *bytes = claim_canonical_pack(&a, &len);
        assert_int_equal(claim_canonical_unpack(bytes, len, &back, &err), 0);
        assert_memory_equal(&a, &back, sizeof a);
        free(bytes);
        json_decref(c);
        n++;
    }
    free(line);
    fclose(f);
    assert_true(n >= 30);
}

static void test_good_values(void **state)
{
    (void)state;
    struct klaim_claim c;
    s_accepted(NULL, NULL, &c);
    assert_int_equal(c.program, PROGRAM_JKK);
    assert_int_equal(c.lat_e6, -7470000);
    assert_int_equal(c.lon_e6, 112430000);
    assert_int_equal(c.medical, 12500000);
    assert_int_equal(c.transport_land, 750000);
    assert_int_equal(c.table_bp, 1000);
    assert_int_equal(c.function_loss_bp, 5000);
    assert_int_equal(c.disability, DISABILITY_PARTIAL_FUNCTIONAL);
    assert_int_equal(c.n_heirs, 1);
    assert_int_equal(c.heirs[0].relation, REL_SPOUSE);
    assert_int_equal(c.reported_offset_min, 420);
    /* an integer latitude is fine, and rounding reaches microdegrees */
    s_accepted("event.location.lat", json_integer(-7), &c);
    assert_int_equal(c.lat_e6, -7000000);
    s_accepted("event.location.lon", json_real(112.4300004), &c);
    assert_int_equal(c.lon_e6, 112430000);
    s_accepted("event.location.lon", json_real(112.4300006), &c);
    assert_int_equal(c.lon_e6, 112430001);
    /* unknown keys are ignored; null is absent */
    s_accepted("x_future_field", json_string("whatever"), &c);
    s_accepted("event.x_other", json_object(), &c);
    s_accepted("event.hospital", json_null(), &c);
    assert_string_equal(c.hospital, "");
    /* amounts at the bound */
    s_accepted("outcome.expenses.medical", json_integer(1000000000000LL), &c);
    assert_int_equal(c.medical, 1000000000000LL);
}

static void test_real_amount_refused(void **state)
{
    (void)state;
    const char *m = s_refused("outcome.expenses.medical", json_real(12.5), "outcome.expenses.medical");
    assert_string_equal(m, "outcome.expenses.medical: expected an integer number of Rupiah, got 12.5");
    s_refused("outcome.expenses.home_care", json_real(1e3), "outcome.expenses.home_care");
    s_refused("outcome.expenses.transport_air", json_string("100"), "outcome.expenses.transport_air");
    s_refused("outcome.disability.table_bp", json_real(1000.0), "outcome.disability.table_bp");
    s_refused("outcome.incapacity_days", json_real(4.5), "outcome.incapacity_days");
    s_refused("outcome.incapacity_days", json_integer(1LL << 40), "outcome.incapacity_days");
    s_refused("outcome.expenses.medical", json_integer(1000000000001LL), "outcome.expenses.medical");
    s_refused("outcome.expenses.medical", json_integer(-1), "outcome.expenses.medical");
    s_refused("outcome.expenses.medical", json_true(), "outcome.expenses.medical");
}

static void test_enum_names(void **state)
{
    (void)state;
    const char *m = s_refused("program", json_string("JKX"), "program");
    assert_non_null(strstr(m, "JKX"));
    assert_non_null(strstr(m, "JKK, JKM"));
    s_refused("program", json_string("jkk"), "program");
    s_refused("program", json_integer(1), "program");
    m = s_refused("event.type", json_string("FALL"), "event.type");
    assert_non_null(strstr(m, "OCCUPATIONAL_DISEASE"));
    s_refused("event.circumstance", json_string("HOME"), "event.circumstance");
    s_refused("outcome.disability.kind", json_string("PARTIAL"), "outcome.disability.kind");
    json_t *j = s_load(s_good);
    json_object_set_new(json_array_get(json_object_get(j, "heirs"), 0), "relation", json_string("COUSIN"));
    struct klaim_claim c;
    struct klaim_err err = {0};
    assert_int_equal(claim_from_json(j, s_today(), &c, &err), -1);
    assert_string_equal(err.field, "heirs[0].relation");
    assert_non_null(strstr(err.message, "WILL_BENEFICIARY"));
    json_decref(j);
}

static void test_wrong_shapes(void **state)
{
    (void)state;
    s_refused("event", json_string("x"), "event");
    s_refused("participant", json_array(), "participant");
    s_refused("outcome.expenses", json_integer(5), "outcome.expenses");
    s_refused("outcome.disability", json_string("TOTAL"), "outcome.disability");
    s_refused("event.location", json_real(1.0), "event.location");
    s_refused("event.date", json_integer(20260305), "event.date");
    s_refused("participant.kpj", json_integer(24012345678LL), "participant.kpj");
    s_refused("heirs", json_object(), "heirs");
    s_refused("event.location.lat", json_string("-7.47"), "event.location.lat");
    s_refused("event.location.lat", json_real(90.5), "event.location.lat");
    s_refused("event.location.lon", json_integer(-181), "event.location.lon");
    json_t *arr = json_array();
    json_array_append_new(arr, json_string("Siti"));
    s_refused("heirs", arr, "heirs[0]");
    json_t *many = json_array();
    for (int i = 0; i < 21; i++) json_array_append_new(many, json_pack("{s:s}", "relation", "CHILD"));
    s_refused("heirs", many, "heirs");
    /* not an object at all */
    struct klaim_claim c;
    struct klaim_err err = {0};
    json_t *a = json_array();
    assert_int_equal(claim_from_json(a, s_today(), &c, &err), -1);
    assert_int_equal(err.code, INVALID);
    assert_string_equal(err.field, "");
    json_decref(a);
}

static void test_validation_through_json(void **state)
{
    (void)state;
    s_refused("participant.kpj", json_string("2401234567"), "participant.kpj");
    s_refused("event.date", json_string("2026-02-29"), "event.date");
    s_refused("event.reported_at", json_string("2026-03-06 09:12"), "event.reported_at");
    s_refused("outcome.disability.table_bp", json_integer(10001), "outcome.disability.table_bp");
    s_refused("idempotency_key", json_null(), "idempotency_key");
    s_refused("event.circumstance", json_null(), "event.circumstance");
}

static void test_digest_json_vs_protobuf(void **state)
{
    (void)state;
    json_t *j = s_load(s_good);
    struct klaim_claim a, b;
    struct klaim_err err = {0};
    assert_int_equal(claim_from_json(j, s_today(), &a, &err), 0);
    uint8_t da[32], db[32];
    claim_digest(&a, da);
    s_protobuf_digest(j, s_today(), db, &b);
    assert_memory_equal(da, db, 32);
    /* zero amounts given or omitted are the same claim */
    json_object_del(json_object_get(json_object_get(j, "outcome"), "expenses"), "transport_sea");
    struct klaim_claim a2;
    assert_int_equal(claim_from_json(j, s_today(), &a2, &err), 0);
    uint8_t da2[32];
    claim_digest(&a2, da2);
    assert_memory_equal(da, da2, 32);
    /* a different amount is a different claim */
    s_set(j, "outcome.expenses.medical", json_integer(12500001));
    assert_int_equal(claim_from_json(j, s_today(), &a2, &err), 0);
    claim_digest(&a2, da2);
    assert_true(memcmp(da, da2, 32) != 0);
    json_decref(j);
}

/* docs/money.md §6: Decision.payment as the decision JSON's "payment"
 * object; absent without it (every decision that is not APPROVED). */
static void test_decision_payment(void **state)
{
    (void)state;
    Klaim__Decision d = KLAIM__DECISION__INIT;
    d.claim_id = "k-000000000001";
    d.has_state = 1, d.state = KLAIM__STATE__APPROVED;
    json_t *j = decision_pb_to_json(&d);
    assert_null(json_object_get(j, "payment"));
    json_decref(j);
    Klaim__Payment p = KLAIM__PAYMENT__INIT;
    p.has_state = 1, p.state = KLAIM__PAYMENT_STATE__UNPAID;
    d.payment = &p;
    j = decision_pb_to_json(&d);
    json_t *want = json_pack("{s:s, s:n, s:n, s:n, s:n}", "state", "UNPAID", "batch", "reference", "paid_on",
                             "failure");
    assert_true(json_equal(json_object_get(j, "payment"), want));
    json_decref(want);
    json_decref(j);
    p.state = KLAIM__PAYMENT_STATE__PAID;
    p.has_batch = 1, p.batch = 3;
    p.reference = "BMRI-1; BMRI-2";
    p.paid_on = "2026-03-11";
    j = decision_pb_to_json(&d);
    want = json_pack("{s:s, s:i, s:s, s:s, s:n}", "state", "PAID", "batch", 3, "reference", "BMRI-1; BMRI-2",
                     "paid_on", "2026-03-11", "failure");
    assert_true(json_equal(json_object_get(j, "payment"), want));
    json_decref(want);
    json_decref(j);
    p.state = KLAIM__PAYMENT_STATE__FAILED;
    p.reference = NULL, p.paid_on = NULL;
    p.failure = "account closed";
    j = decision_pb_to_json(&d);
    json_t *pm = json_object_get(j, "payment");
    assert_string_equal(json_string_value(json_object_get(pm, "state")), "FAILED");
    assert_string_equal(json_string_value(json_object_get(pm, "failure")), "account closed");
    assert_true(json_is_null(json_object_get(pm, "paid_on")));
    json_decref(j);
}

/* docs/money.md §2: heirs[].bank both ways, all-or-none, and each field's
 * rule named by its path; the bank is part of the claim's digest and
 * survives JSON -> protobuf -> validate -> JSON. */
static void test_heir_bank(void **state)
{
    (void)state;
    json_t *bank = json_pack("{s:s, s:s, s:s}", "bank_code", "008", "account", "1234567890", "name", "Siti");
    struct klaim_claim c;
    s_accepted("heirs", json_pack("[{s:s, s:s, s:s, s:O}]", "nik", "3516025004620901", "name", "Siti", "relation",
                                  "SPOUSE", "bank", bank),
               &c);
    assert_int_equal(c.heirs[0].has_bank, 1);
    assert_string_equal(c.heirs[0].bank.code, "008");
    assert_string_equal(c.heirs[0].bank.account, "1234567890");
    assert_string_equal(c.heirs[0].bank.name, "Siti");
    json_t *back = claim_to_json(&c);
    json_t *b0 = json_object_get(json_array_get(json_object_get(back, "heirs"), 0), "bank");
    assert_true(json_equal(b0, bank));
    /* the protobuf path gives the same claim, and the bank changes the digest */
    uint8_t da[32], db[32];
    struct klaim_claim c2;
    claim_digest(&c, da);
    s_protobuf_digest(back, s_today(), db, &c2);
    assert_memory_equal(da, db, 32);
    assert_int_equal(memcmp(&c, &c2, sizeof c), 0);
    struct klaim_claim plain;
    s_accepted(NULL, NULL, &plain);
    assert_int_equal(plain.heirs[0].has_bank, 0);
    uint8_t dp[32];
    claim_digest(&plain, dp);
    assert_true(memcmp(da, dp, 32) != 0);
    json_decref(back);

    struct {
        const char *code, *account, *name, *field;
    } bad[] = {
        {"08", "1234567890", "Siti", "heirs[0].bank.bank_code"},
        {"0a8", "1234567890", "Siti", "heirs[0].bank.bank_code"},
        {"0080", "1234567890", "Siti", "heirs[0].bank.bank_code"},
        {"008", "12345", "Siti", "heirs[0].bank.account"},
        {"008", "123456789012345678901", "Siti", "heirs[0].bank.account"},
        {"008", "1234-567890", "Siti", "heirs[0].bank.account"},
        {"008", "1234567890", "Si\tti", "heirs[0].bank.name"},
        {"008", "1234567890", NULL, "heirs[0].bank.name"},
        {NULL, "1234567890", "Siti", "heirs[0].bank.bank_code"},
        {"008", NULL, "Siti", "heirs[0].bank.account"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *b = json_object();
        if (bad[i].code) json_object_set_new(b, "bank_code", json_string(bad[i].code));
        if (bad[i].account) json_object_set_new(b, "account", json_string(bad[i].account));
        if (bad[i].name) json_object_set_new(b, "name", json_string(bad[i].name));
        json_t *hs = json_pack("[{s:s, s:s, s:o}]", "name", "Siti", "relation", "SPOUSE", "bank", b);
        s_refused("heirs", hs, bad[i].field);
    }
    /* 20 digits and 6 digits are the bounds; an empty object is no bank */
    s_accepted("heirs", json_pack("[{s:s, s:{s:s, s:s, s:s}}]", "relation", "CHILD", "bank", "bank_code", "002",
                                  "account", "12345678901234567890", "name", "A"),
               &c);
    assert_int_equal(c.heirs[0].has_bank, 1);
    s_accepted("heirs", json_pack("[{s:s, s:{s:s, s:s, s:s}}]", "relation", "CHILD", "bank", "bank_code", "002",
                                  "account", "123456", "name", "A"),
               &c);
    s_accepted("heirs", json_pack("[{s:s, s:{}}]", "relation", "CHILD", "bank"), &c);
    assert_int_equal(c.heirs[0].has_bank, 0);
    s_refused("heirs", json_pack("[{s:s, s:s}]", "relation", "CHILD", "bank", "008"), "heirs[0].bank");
    s_refused("heirs", json_pack("[{s:s, s:{s:i}}]", "relation", "CHILD", "bank", "account", 1234567),
              "heirs[0].bank.account");
    json_decref(bank);
}

static void test_decision_json(void **state)
{
    (void)state;
    struct klaim_decision d;
    memset(&d, 0, sizeof d);
    d.state = STATE_APPROVED;
    strcpy(d.rule_set, "PP-82-2019");
    d.wage_basis = 2200000;
    d.n_items = 2;
    strcpy(d.items[0].code, "JKK_DEATH_LUMP_SUM");
    d.items[0].amount = 105600000;
    strcpy(d.items[0].basis, "PP 82/2019: 48 x wage");
    strcpy(d.items[1].code, "JKK_FUNERAL");
    d.items[1].amount = 10000000000LL; /* above 2^32: stays an integer */
    d.total = d.items[0].amount + d.items[1].amount;
    d.scholarship_children = 2;
    size_t len;
    /* 2026-03-06T02:12:00.999Z received, 2026-03-06T02:12:05Z decided */
    uint8_t *buf = decision_pack(&d, 42, "RSIS-1", PROGRAM_JKK, 1772763120999LL, 1772763125000LL, &len);
    Klaim__Decision *pb = klaim__decision__unpack(NULL, len, buf);
    assert_non_null(pb);
    json_t *j = decision_pb_to_json(pb);
    const char *keys[] = {"claim_id", "idempotency_key", "state", "program", "rule_set", "wage_basis", "items",
                          "total", "scholarship_children", "reasons", "received_at", "decided_at"};
    assert_int_equal(json_object_size(j), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(j, keys[i])) fail_msg("decision JSON lacks %s", keys[i]);
    assert_string_equal(json_string_value(json_object_get(j, "claim_id")), "k-000000000042");
    assert_string_equal(json_string_value(json_object_get(j, "idempotency_key")), "RSIS-1");
    assert_string_equal(json_string_value(json_object_get(j, "state")), "APPROVED");
    assert_string_equal(json_string_value(json_object_get(j, "program")), "JKK");
    assert_string_equal(json_string_value(json_object_get(j, "rule_set")), "PP-82-2019");
    assert_true(json_is_integer(json_object_get(j, "wage_basis")));
    assert_int_equal(json_integer_value(json_object_get(j, "wage_basis")), 2200000);
    json_t *items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), 2);
    json_t *i0 = json_array_get(items, 0);
    assert_int_equal(json_object_size(i0), 3);
    assert_string_equal(json_string_value(json_object_get(i0, "code")), "JKK_DEATH_LUMP_SUM");
    assert_string_equal(json_string_value(json_object_get(i0, "basis")), "PP 82/2019: 48 x wage");
    json_t *a1 = json_object_get(json_array_get(items, 1), "amount");
    assert_true(json_is_integer(a1));
    assert_int_equal(json_integer_value(a1), 10000000000LL);
    assert_true(json_is_integer(json_object_get(j, "total")));
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 10105600000LL);
    assert_int_equal(json_integer_value(json_object_get(j, "scholarship_children")), 2);
    assert_true(json_is_array(json_object_get(j, "reasons")));
    assert_int_equal(json_array_size(json_object_get(j, "reasons")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "received_at")), "2026-03-06T02:12:00Z");
    assert_string_equal(json_string_value(json_object_get(j, "decided_at")), "2026-03-06T02:12:05Z");
    json_decref(j);
    klaim__decision__free_unpacked(pb, NULL);
    free(buf);

    /* undecided: decided_at null; a rejection's reasons */
    memset(&d, 0, sizeof d);
    d.state = STATE_REJECTED;
    strcpy(d.rule_set, "OUT_OF_SCOPE");
    d.n_reasons = 1;
    strcpy(d.reasons[0].code, "EVENT_BEFORE_SCOPE");
    strcpy(d.reasons[0].message, "event.date 2015-06-30 is before 2015-07-01");
    buf = decision_pack(&d, 7, "K", PROGRAM_JKM, 1772763120000LL, 0, &len);
    pb = klaim__decision__unpack(NULL, len, buf);
    j = decision_pb_to_json(pb);
    assert_true(json_is_null(json_object_get(j, "decided_at")));
    assert_string_equal(json_string_value(json_object_get(j, "state")), "REJECTED");
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 0);
    json_t *r0 = json_array_get(json_object_get(j, "reasons"), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "code")), "EVENT_BEFORE_SCOPE");
    assert_string_equal(json_string_value(json_object_get(r0, "message")),
                        "event.date 2015-06-30 is before 2015-07-01");
    json_decref(j);
    klaim__decision__free_unpacked(pb, NULL);
    free(buf);
}

/* A review's JSON body (HTTP) -> ReviewRequest; its heirs through
 * validate_heirs: each bad value is a typed error naming heirs[i].x. */
static void test_review_json(void **state)
{
    (void)state;
    struct klaim_err err;
    json_error_t je;
    json_t *j = json_loads("{\"action\":\"Approve\",\"by\":\"Rita\",\"note\":\"KK seen\",\"heirs\":["
                           "{\"nik\":\"3576020505050006\",\"name\":\"Dimas\",\"relation\":\"CHILD\","
                           "\"bank\":{\"bank_code\":\"002\",\"account\":\"0123456789\",\"name\":\"Dimas\"}},"
                           "{\"name\":\"Nadia\",\"relation\":\"CHILD\"}]}",
                           0, &je);
    Klaim__ReviewRequest *rr = review_json_to_pb(j, "k-000000000007", &err);
    json_decref(j);
    assert_non_null(rr);
    assert_string_equal(rr->claim_id, "k-000000000007");
    assert_int_equal(rr->action, KLAIM__REVIEW_ACTION__APPROVE);
    assert_string_equal(rr->by, "Rita");
    assert_int_equal(rr->n_heirs, 2);
    struct klaim_heir hs[KLAIM_MAX_HEIRS];
    int n = 0;
    assert_int_equal(validate_heirs(rr->heirs, rr->n_heirs, hs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(hs[0].nik, "3576020505050006");
    assert_int_equal(hs[0].relation, REL_CHILD);
    assert_true(hs[0].has_bank);
    assert_string_equal(hs[0].bank.code, "002");
    assert_string_equal(hs[0].bank.account, "0123456789");
    assert_string_equal(hs[0].bank.name, "Dimas");
    assert_false(hs[1].has_bank);
    assert_string_equal(hs[1].nik, "");
    /* each malformed value, named */
    static const struct {
        const char *heir, *field;
    } bad[] = {
        {"{\"nik\":\"12\",\"name\":\"A\",\"relation\":\"CHILD\"}", "heirs[1].nik"},
        {"{\"nik\":\"3576020505050006\",\"relation\":\"CHILD\"}", "heirs[1].name"},
        {"{\"nik\":\"3576020505050006\",\"name\":\"A\"}", "heirs[1].relation"},
        {"{\"name\":\"A\",\"relation\":\"CHILD\",\"bank\":{\"bank_code\":\"02\",\"account\":\"123456\",\"name\":\"A\"}}",
         "heirs[1].bank.bank_code"},
        {"{\"name\":\"A\",\"relation\":\"CHILD\",\"bank\":{\"bank_code\":\"002\",\"account\":\"12345\",\"name\":\"A\"}}",
         "heirs[1].bank.account"},
        {"{\"name\":\"A\",\"relation\":\"CHILD\",\"bank\":{\"bank_code\":\"002\",\"account\":\"123456\"}}",
         "heirs[1].bank.name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"action\":\"approve\",\"heirs\":[{\"name\":\"B\",\"relation\":\"SPOUSE\"},%s]}", bad[i].heir);
        j = json_loads(text, 0, &je);
        assert_non_null(j);
        Klaim__ReviewRequest *r2 = review_json_to_pb(j, "k-1", &err);
        json_decref(j);
        assert_non_null(r2);
        assert_int_equal(validate_heirs(r2->heirs, r2->n_heirs, hs, &n, &err), -1);
        assert_int_equal(err.code, INVALID);
        if (strcmp(err.field, bad[i].field) != 0) fail_msg("case %zu: field %s, want %s", i, err.field, bad[i].field);
        protobuf_c_message_free_unpacked(&r2->base, NULL);
    }
    /* type errors before any value check */
    j = json_loads("{\"action\":\"maybe\"}", 0, &je);
    assert_null(review_json_to_pb(j, "k-1", &err));
    assert_int_equal(err.code, KLAIM__ERROR_CODE__BAD_REQUEST);
    assert_string_equal(err.field, "action");
    json_decref(j);
    j = json_loads("{\"action\":\"reject\",\"note\":5}", 0, &je);
    assert_null(review_json_to_pb(j, "k-1", &err));
    assert_string_equal(err.field, "note");
    json_decref(j);
    j = json_loads("{\"action\":\"approve\",\"heirs\":[{\"name\":\"A\",\"relation\":\"CHILD\",\"bank\":7}]}", 0, &je);
    assert_null(review_json_to_pb(j, "k-1", &err));
    assert_string_equal(err.field, "heirs[0].bank");
    json_decref(j);
    protobuf_c_message_free_unpacked(&rr->base, NULL);
}

/* The JKM payment clock's fields: inside "payment", kept beside the
 * members another writer put there; no "payment" without a due date. */
static void test_decision_payment_clock(void **state)
{
    (void)state;
    Klaim__Decision d = KLAIM__DECISION__INIT;
    d.has_state = 1, d.state = KLAIM__STATE__APPROVED;
    json_t *j = decision_pb_to_json(&d);
    assert_null(json_object_get(j, "payment"));
    json_decref(j);
    Klaim__Payment p = KLAIM__PAYMENT__INIT;
    d.payment = &p;
    j = decision_pb_to_json(&d);
    assert_null(json_object_get(j, "payment")); /* no due: not a clock */
    json_decref(j);
    p.due = "2026-01-07";
    p.has_days_late = 1, p.days_late = 2;
    p.has_late_amount = 1, p.late_amount = 840000;
    j = decision_pb_to_json(&d);
    json_t *pay = json_object_get(j, "payment");
    assert_true(json_is_object(pay));
    assert_string_equal(json_string_value(json_object_get(pay, "due")), "2026-01-07");
    assert_true(json_is_integer(json_object_get(pay, "days_late")));
    assert_int_equal(json_integer_value(json_object_get(pay, "days_late")), 2);
    assert_true(json_is_integer(json_object_get(pay, "late_amount")));
    assert_int_equal(json_integer_value(json_object_get(pay, "late_amount")), 840000);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_jsonl),
        cmocka_unit_test(test_good_values),
        cmocka_unit_test(test_real_amount_refused),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_wrong_shapes),
        cmocka_unit_test(test_validation_through_json),
        cmocka_unit_test(test_digest_json_vs_protobuf),
        cmocka_unit_test(test_decision_json),
        cmocka_unit_test(test_review_json),
        cmocka_unit_test(test_decision_payment_clock),
        cmocka_unit_test(test_heir_bank),
        cmocka_unit_test(test_decision_payment),
    };
    return cmocka_run_group_tests_name("claim_json", tests, NULL, NULL);
}

/* test_codec.c - unit tests for proto/codec.c and proto/validate.c.
 *
 * Owns: frame decoding (round trips, TOO_LARGE, garbage, truncation,
 * version, body, allocation budget), the canonical claim round trip and
 * digest, decision <-> protobuf, and one test or more per rules.md §5
 * validation rule, each checking the error code and the field path.
 * Runs in: ctest (test_codec).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "dates.h"
#include "fmt.h"
#include "log.h"

#define INVALID KLAIM__ERROR_CODE__INVALID_CLAIM
#define BAD KLAIM__ERROR_CODE__BAD_REQUEST

/* The receipt date of the fixture: 2026-03-10 WIB. */
static kdate s_today(void) { return kdate_from_ymd(2026, 3, 10); }

/* A fully populated, valid JKK claim (every optional field present). */
static void s_good_jkk(struct klaim_claim *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->idempotency_key, "RSIS-SAKINAH-2026-000123");
    c->program = PROGRAM_JKK;
    strcpy(c->kpj, "24012345678");
    strcpy(c->nik, "3516012345678901");
    c->event_type = EVENT_ACCIDENT;
    c->event_date = kdate_from_ymd(2026, 3, 5);
    c->circumstance = CIRC_WORKPLACE;
    ASSERT(ktime_parse_rfc3339("2026-03-06T09:12:00+07:00", 25, &c->reported_at_s, &c->reported_offset_min) == 0);
    c->reported_date = kdate_wib(c->reported_at_s);
    strcpy(c->regency, "Kota Mojokerto");
    strcpy(c->district, "Prajurit Kulon");
    c->has_location_latlon = 1;
    c->lat_e6 = -7470000;
    c->lon_e6 = 112430000;
    strcpy(c->hospital, "RS Islam Sakinah");
    c->incapacity_days = 45;
    c->disability = DISABILITY_PARTIAL_FUNCTIONAL;
    c->table_bp = 1000;
    c->function_loss_bp = 5000;
    c->medical = 12500000;
    c->transport_land = 750000;
    c->home_care = 1;
    c->n_heirs = 2;
    strcpy(c->heirs[0].nik, "3516025004620901");
    strcpy(c->heirs[0].name, "Siti");
    c->heirs[0].relation = REL_SPOUSE;
    strcpy(c->heirs[1].name, "Rendi \xc3\x91");
    c->heirs[1].relation = REL_CHILD;
}

static void s_good_jkm(struct klaim_claim *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->idempotency_key, "DEMO-001");
    c->program = PROGRAM_JKM;
    strcpy(c->kpj, "24196494182");
    strcpy(c->nik, "3576022102580003");
    c->event_type = EVENT_DEATH;
    c->event_date = kdate_from_ymd(2019, 12, 2);
    ASSERT(ktime_parse_rfc3339("2019-12-03T03:15:00Z", 20, &c->reported_at_s, &c->reported_offset_min) == 0);
    c->reported_date = kdate_wib(c->reported_at_s);
    c->n_heirs = 1;
    c->heirs[0].relation = REL_SPOUSE;
}

/* ------------------------------------------------------------- fixture */

static struct klaim_claim g_c;
static struct claim_pb_scratch *g_s;
static Klaim__Claim g_pb;

static int s_setup(void **state)
{
    (void)state;
    s_good_jkk(&g_c);
    g_s = claim_pb_scratch_new();
    claim_to_pb(&g_c, g_s, &g_pb);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    claim_pb_scratch_free(g_s);
    g_s = NULL;
    return 0;
}

static void s_expect_invalid_at(const char *field, kdate today)
{
    struct klaim_claim out;
    struct klaim_err err = {0};
    int rc = validate_claim(&g_pb, today, &out, &err);
    if (rc != -1) fail_msg("expected %s to be refused, but the claim validated", field);
    assert_int_equal(err.code, INVALID);
    assert_string_equal(err.field, field);
    /* the message names the field and says something useful */
    assert_non_null(strstr(err.message, field));
    assert_true(strlen(err.message) > strlen(field) + 10);
}

static void s_expect_invalid(const char *field) { s_expect_invalid_at(field, s_today()); }

static void s_expect_valid_at(kdate today, struct klaim_claim *out)
{
    struct klaim_err err = {0};
    int rc = validate_claim(&g_pb, today, out, &err);
    if (rc != 0) fail_msg("expected valid, got field=%s message=%s", err.field, err.message);
}

static void s_expect_valid(struct klaim_claim *out) { s_expect_valid_at(s_today(), out); }

/* --------------------------------------------------- canonical claim */

static void s_roundtrip(const struct klaim_claim *c)
{
    size_t len1, len2;
    uint8_t *b1 = claim_canonical_pack(c, &len1);
    struct klaim_claim back;
    struct klaim_err err = {0};
    int rc = claim_canonical_unpack(b1, len1, &back, &err);
    if (rc != 0) fail_msg("unpack: %s: %s", err.field, err.message);
    assert_memory_equal(&back, c, sizeof back);
    uint8_t *b2 = claim_canonical_pack(&back, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(b1, b2, len1);
    uint8_t d1[32], d2[32];
    claim_digest(c, d1);
    claim_digest(&back, d2);
    assert_memory_equal(d1, d2, 32);
    free(b1);
    free(b2);
}

static void test_canonical_roundtrip_jkk(void **state)
{
    (void)state;
    struct klaim_claim c;
    s_good_jkk(&c);
    s_roundtrip(&c);
}

static void test_canonical_roundtrip_jkm(void **state)
{
    (void)state;
    struct klaim_claim c;
    s_good_jkm(&c);
    s_roundtrip(&c);
    /* a JKM with a circumstance is well-formed (decided INCONSISTENT_DATA) */
    c.circumstance = CIRC_COMMUTE;
    s_roundtrip(&c);
}

static void test_canonical_reported_at_offset_kept(void **state)
{
    (void)state;
    struct klaim_claim c, back;
    s_good_jkk(&c);
    /* fractions of a second are dropped, the offset is kept */
    ASSERT(ktime_parse_rfc3339("2026-03-06T09:12:00.123-03:30", 29, &c.reported_at_s, &c.reported_offset_min) == 0);
    c.reported_date = kdate_wib(c.reported_at_s);
    struct claim_pb_scratch *s = claim_pb_scratch_new();
    Klaim__Claim pb;
    claim_to_pb(&c, s, &pb);
    assert_string_equal(pb.event->reported_at, "2026-03-06T09:12:00-03:30");
    struct klaim_err err = {0};
    assert_int_equal(validate_claim(&pb, INT32_MAX, &back, &err), 0);
    assert_memory_equal(&back, &c, sizeof c);
    claim_pb_scratch_free(s);
}

static void test_digest_differs(void **state)
{
    (void)state;
    struct klaim_claim a, b;
    s_good_jkk(&a);
    s_good_jkk(&b);
    b.medical += 1;
    uint8_t da[32], db[32];
    claim_digest(&a, da);
    claim_digest(&b, db);
    assert_true(memcmp(da, db, 32) != 0);
}

static void test_canonical_unpack_garbage(void **state)
{
    (void)state;
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    struct klaim_claim out;
    struct klaim_err err = {0};
    assert_int_equal(claim_canonical_unpack(junk, sizeof junk, &out, &err), -1);
    assert_int_equal(err.code, INVALID);
}

/* ---------------------------------------------------------- frames */

static uint8_t *s_request(uint32_t version, int with_version, int with_body, size_t *len)
{
    Klaim__Request r = KLAIM__REQUEST__INIT;
    r.has_version = with_version;
    r.version = version;
    r.has_request_id = 1;
    r.request_id = 77;
    if (with_body) {
        r.body_case = KLAIM__REQUEST__BODY_SUBMIT;
        r.submit = &g_pb;
    }
    return codec_pack(&r.base, len);
}

static void test_request_roundtrip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = s_request(1, 1, 1, &len);
    struct klaim_err err = {0};
    Klaim__Request *r = codec_request_decode(buf, len, 65536, &err);
    assert_non_null(r);
    assert_int_equal(r->request_id, 77);
    assert_int_equal(r->body_case, KLAIM__REQUEST__BODY_SUBMIT);
    struct klaim_claim out;
    assert_int_equal(validate_claim(r->submit, s_today(), &out, &err), 0);
    assert_memory_equal(&out, &g_c, sizeof out);
    codec_request_free(r);
    free(buf);
}

static void test_request_too_large(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = s_request(1, 1, 1, &len);
    struct klaim_err err = {0};
    assert_null(codec_request_decode(buf, len, len - 1, &err));
    assert_int_equal(err.code, KLAIM__ERROR_CODE__TOO_LARGE);
    char lim[32];
    snprintf(lim, sizeof lim, "%zu", len - 1);
    assert_non_null(strstr(err.message, lim));
    /* exactly at the cap is fine */
    Klaim__Request *r = codec_request_decode(buf, len, len, &err);
    assert_non_null(r);
    codec_request_free(r);
    free(buf);
}

static void test_request_garbage(void **state)
{
    (void)state;
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)(0xf7 ^ (i * 37));
    junk[0] = 0xff;
    junk[1] = 0xff;
    struct klaim_err err = {0};
    assert_null(codec_request_decode(junk, sizeof junk, 65536, &err));
    assert_int_equal(err.code, BAD);
    assert_true(strlen(err.message) > 10);
}

static void test_request_truncated(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = s_request(1, 1, 1, &len);
    struct klaim_err err = {0};
    for (size_t cut = 1; cut < 40; cut++) {
        memset(&err, 0, sizeof err);
        assert_null(codec_request_decode(buf, len - cut, 65536, &err));
        assert_int_equal(err.code, BAD);
    }
    free(buf);
}

static void test_request_wrong_version(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = s_request(2, 1, 1, &len);
    struct klaim_err err = {0};
    assert_null(codec_request_decode(buf, len, 65536, &err));
    assert_int_equal(err.code, BAD);
    assert_string_equal(err.field, "version");
    assert_non_null(strstr(err.message, "version 2"));
    free(buf);
    buf = s_request(0, 0, 1, &len);
    assert_null(codec_request_decode(buf, len, 65536, &err));
    assert_string_equal(err.field, "version");
    free(buf);
}

static void test_request_no_body(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = s_request(1, 1, 0, &len);
    struct klaim_err err = {0};
    assert_null(codec_request_decode(buf, len, 65536, &err));
    assert_int_equal(err.code, BAD);
    assert_string_equal(err.field, "body");
    free(buf);
    /* an empty frame is a message with nothing set */
    assert_null(codec_request_decode((const uint8_t *)"", 0, 65536, &err));
    assert_int_equal(err.code, BAD);
}

/* A Request{version 1, submit: Claim{heirs: n empty entries}} built by
 * hand: 2 bytes on the wire per heir, but a whole Klaim__Heir each in
 * memory. */
static uint8_t *s_many_heirs(size_t n, size_t *len)
{
    size_t body = 2 * n;
    uint8_t *b = malloc(body + 16);
    size_t o = 0;
    b[o++] = 0x08; /* version */
    b[o++] = 0x01;
    b[o++] = 0x52; /* field 10, length-delimited */
    size_t v = body;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        b[o++] = byte | (v ? 0x80 : 0);
    } while (v);
    for (size_t i = 0; i < n; i++) {
        b[o++] = 0x32; /* heirs, length 0 */
        b[o++] = 0x00;
    }
    *len = o;
    return b;
}

static void test_request_budget(void **state)
{
    (void)state;
    size_t len;
    struct klaim_err err = {0};
    /* a few heirs: decodes (validation caps the count later) */
    uint8_t *b = s_many_heirs(30, &len);
    Klaim__Request *r = codec_request_decode(b, len, 1 << 20, &err);
    assert_non_null(r);
    assert_int_equal(r->submit->n_heirs, 30);
    struct klaim_claim out;
    assert_int_equal(validate_claim(r->submit, INT32_MAX, &out, &err), -1);
    codec_request_free(r);
    free(b);
    /* 200k empty heirs in 400 KB: more memory than the budget allows */
    b = s_many_heirs(200000, &len);
    memset(&err, 0, sizeof err);
    assert_null(codec_request_decode(b, len, 1 << 20, &err));
    assert_int_equal(err.code, BAD);
    assert_non_null(strstr(err.message, "needs more than"));
    free(b);
}

static void test_reply_roundtrip(void **state)
{
    (void)state;
    Klaim__Error e = KLAIM__ERROR__INIT;
    e.has_code = 1;
    e.code = KLAIM__ERROR_CODE__INVALID_CLAIM;
    e.field = "event.date";
    e.message = "bad";
    Klaim__Reply rep = KLAIM__REPLY__INIT;
    rep.has_version = 1;
    rep.version = 1;
    rep.body_case = KLAIM__REPLY__BODY_ERROR;
    rep.error = &e;
    size_t len;
    uint8_t *buf = codec_pack(&rep.base, &len);
    struct klaim_err err = {0};
    Klaim__Reply *r = codec_reply_decode(buf, len, 4096, &err);
    assert_non_null(r);
    assert_int_equal(r->body_case, KLAIM__REPLY__BODY_ERROR);
    assert_string_equal(r->error->field, "event.date");
    codec_reply_free(r);
    rep.version = 3;
    free(buf);
    buf = codec_pack(&rep.base, &len);
    assert_null(codec_reply_decode(buf, len, 4096, &err));
    assert_string_equal(err.field, "version");
    free(buf);
}

/* ------------------------------------------------------- decisions */

static void s_approved(struct klaim_decision *d)
{
    memset(d, 0, sizeof *d);
    d->state = STATE_APPROVED;
    strcpy(d->rule_set, "PP-82-2019");
    d->wage_basis = 2200000;
    d->n_items = 2;
    strcpy(d->items[0].code, "JKK_DEATH_LUMP_SUM");
    d->items[0].amount = 105600000;
    strcpy(d->items[0].basis, "PP 82/2019: 48 x wage");
    strcpy(d->items[1].code, "JKK_FUNERAL");
    d->items[1].amount = 10000000;
    d->total = 115600000;
    d->scholarship_children = 2;
    d->n_payees = 1;
    d->payees[0].role = PAYEE_HEIR;
    strcpy(d->payees[0].id, "3516054101900901");
    strcpy(d->payees[0].name, "Siti Aminah");
    d->payees[0].relation = REL_SPOUSE;
    d->payees[0].items = 3;
    d->payees[0].amount = 115600000;
    d->payees[0].has_bank = 1;
    strcpy(d->payees[0].bank.code, "008");
    strcpy(d->payees[0].bank.account, "1234567890");
    strcpy(d->payees[0].bank.name, "SITI AMINAH");
    d->n_netted = 1;
    d->netted_against[0] = 7;
}

static Klaim__Decision *s_pack_unpack(const struct klaim_decision *d)
{
    size_t len;
    uint8_t *buf = decision_pack(d, 42, "KEY-1", PROGRAM_JKK, 1772763120000LL, 0, &len);
    Klaim__Decision *pb = klaim__decision__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(pb);
    return pb;
}

/* A worker's payees are checked like the rest of its decision: an id, the
 * decision's own items each paid once, amounts that add up to the total. */
static void test_decision_payees_checked(void **state)
{
    (void)state;
    struct klaim_decision d, back;
    struct klaim_err err = {0};
    s_approved(&d);
    Klaim__Decision *pb = s_pack_unpack(&d);
    assert_int_equal(decision_from_pb(pb, &back, &err), 0);
    assert_int_equal(back.n_payees, 1);
    assert_int_equal(back.payees[0].items, 3);
    assert_string_equal(back.payees[0].bank.account, "1234567890");
    assert_int_equal(back.netted_against[0], 7);

    /* What the checks below replace, put back before the free. */
    Klaim__Payee *y = pb->payees[0];
    char *id0 = y->id, *item1 = y->items[1], *account0 = y->bank->account;
    Klaim__BankAccount *bank0 = y->bank;
    pb->payees[0]->id = "";                            /* nobody to pay */
    assert_int_equal(decision_from_pb(pb, &back, &err), -1);
    assert_string_equal(err.field, "decision.payees[0]");
    pb->payees[0]->id = "3516054101900901";
    pb->payees[0]->amount = 1;                         /* not its items' sum */
    assert_int_equal(decision_from_pb(pb, &back, &err), -1);
    pb->payees[0]->amount = 115600000;
    pb->payees[0]->items[1] = "JKK_DEATH_LUMP_SUM";    /* an item paid twice */
    assert_int_equal(decision_from_pb(pb, &back, &err), -1);
    pb->payees[0]->items[1] = "JKK_FUNERAL";
    pb->payees[0]->bank->account = "12AB";             /* not digits */
    assert_int_equal(decision_from_pb(pb, &back, &err), -1);
    pb->payees[0]->bank = NULL;
    assert_int_equal(decision_from_pb(pb, &back, &err), 0);
    pb->n_payees = 0;                                  /* approved, paid to no one */
    assert_int_equal(decision_from_pb(pb, &back, &err), -1);
    assert_string_equal(err.field, "decision.payees");
    y->id = id0, y->items[1] = item1, y->bank = bank0, bank0->account = account0, pb->n_payees = 1;
    klaim__decision__free_unpacked(pb, NULL);
}

static void test_decision_roundtrip_via_worker_msg(void **state)
{
    (void)state;
    struct klaim_decision d, back;
    s_approved(&d);
    Klaim__Decision *pb = s_pack_unpack(&d);
    assert_string_equal(pb->claim_id, "k-000000000042");
    assert_string_equal(pb->idempotency_key, "KEY-1");
    assert_false(pb->has_decided_at_ms);
    Klaim__Result res = KLAIM__RESULT__INIT;
    res.has_claim_id = 1;
    res.claim_id = 42;
    res.decision = pb;
    Klaim__WorkerMsg m = KLAIM__WORKER_MSG__INIT;
    m.has_version = 1;
    m.version = 1;
    m.body_case = KLAIM__WORKER_MSG__BODY_RESULT;
    m.result = &res;
    size_t len;
    uint8_t *buf = codec_pack(&m.base, &len);
    struct klaim_err err = {0};
    Klaim__WorkerMsg *wm = codec_worker_decode(buf, len, 65536, &err);
    assert_non_null(wm);
    assert_int_equal(decision_from_pb(wm->result->decision, &back, &err), 0);
    assert_memory_equal(&back, &d, sizeof d);
    codec_worker_free(wm);
    klaim__decision__free_unpacked(pb, NULL);
    free(buf);
}

/* codec_job_pack splices the stored claim's bytes into the frame by hand:
 * it must decode to the same JOB as protobuf-c's own packing of it, with a
 * claim that packs back to the same bytes, at sizes whose length prefixes
 * take one and two bytes. */
static void s_job_pack_case(const struct klaim_claim *c, int64_t claim_id, size_t n_waive)
{
    size_t claim_len;
    uint8_t *claim = claim_canonical_pack(c, &claim_len);
    char *waive[2] = {"NO_CONTRIBUTION", "LATE_REPORT"};
    Klaim__Job job = KLAIM__JOB__INIT;
    job.has_claim_id = 1, job.claim_id = claim_id;
    job.has_attempt = 1, job.attempt = 3;
    job.has_duplicate_of = 1, job.duplicate_of = 7;
    job.has_registry_generation = 1, job.registry_generation = 300;
    job.has_received_at_ms = 1, job.received_at_ms = 1772700000123;
    job.n_waive = n_waive, job.waive = waive;
    size_t len;
    uint8_t *buf = codec_job_pack(&job, claim, claim_len, &len);
    struct klaim_err err = {0};
    Klaim__WorkerMsg *m = codec_worker_decode(buf, len, 65536, &err);
    if (!m) fail_msg("JOB frame does not decode: %s", err.message);
    assert_int_equal(m->version, KLAIM_PROTO_VERSION);
    assert_int_equal(m->body_case, KLAIM__WORKER_MSG__BODY_JOB);
    const Klaim__Job *j = m->job;
    assert_int_equal(j->claim_id, claim_id);
    assert_int_equal(j->attempt, 3);
    assert_int_equal(j->duplicate_of, 7);
    assert_int_equal(j->registry_generation, 300);
    assert_int_equal(j->received_at_ms, 1772700000123);
    assert_int_equal(j->n_waive, n_waive);
    for (size_t i = 0; i < n_waive; i++) assert_string_equal(j->waive[i], waive[i]);
    assert_non_null(j->claim);
    size_t back_len;
    uint8_t *back = codec_pack(&j->claim->base, &back_len);
    assert_int_equal(back_len, claim_len);
    assert_memory_equal(back, claim, claim_len);
    /* the same size as protobuf-c's packing of the whole message */
    job.claim = j->claim;
    Klaim__WorkerMsg whole = KLAIM__WORKER_MSG__INIT;
    whole.has_version = 1, whole.version = KLAIM_PROTO_VERSION;
    whole.body_case = KLAIM__WORKER_MSG__BODY_JOB;
    whole.job = &job;
    assert_int_equal(protobuf_c_message_get_packed_size(&whole.base), len);
    free(back);
    codec_worker_free(m);
    free(buf);
    free(claim);
}

static void test_job_pack(void **state)
{
    (void)state;
    struct klaim_claim c;
    s_good_jkm(&c);
    s_job_pack_case(&c, 42, 0);
    s_good_jkk(&c);
    s_job_pack_case(&c, 9000000001, 2);
    /* a claim of over 127 bytes and a JOB of over 127: two-byte lengths */
    size_t len;
    uint8_t *b = claim_canonical_pack(&c, &len);
    assert_true(len > 127);
    free(b);
}

static void s_expect_bad_decision(struct klaim_decision *d, const char *field)
{
    Klaim__Decision *pb = s_pack_unpack(d);
    struct klaim_decision out;
    struct klaim_err err = {0};
    assert_int_equal(decision_from_pb(pb, &out, &err), -1);
    assert_int_equal(err.code, BAD);
    assert_string_equal(err.field, field);
    klaim__decision__free_unpacked(pb, NULL);
}

static void test_decision_checks(void **state)
{
    (void)state;
    struct klaim_decision d;
    s_approved(&d);
    d.total += 1;
    s_expect_bad_decision(&d, "decision.total");
    s_approved(&d);
    d.state = STATE_PROCESSING;
    s_expect_bad_decision(&d, "decision.state");
    s_approved(&d);
    d.items[1].amount = 0;
    d.total = d.items[0].amount;
    s_expect_bad_decision(&d, "decision.items[1].amount");
    s_approved(&d);
    d.state = STATE_REJECTED; /* items on a rejection */
    d.n_reasons = 1;
    strcpy(d.reasons[0].code, "PARTICIPANT_NOT_FOUND");
    s_expect_bad_decision(&d, "decision.items");
    /* a proper rejection passes */
    memset(&d, 0, sizeof d);
    d.state = STATE_REJECTED;
    strcpy(d.rule_set, "OUT_OF_SCOPE");
    d.n_reasons = 1;
    strcpy(d.reasons[0].code, "EVENT_BEFORE_SCOPE");
    strcpy(d.reasons[0].message, "event.date 2015-06-30 is before 2015-07-01");
    Klaim__Decision *pb = s_pack_unpack(&d);
    struct klaim_decision out;
    struct klaim_err err = {0};
    assert_int_equal(decision_from_pb(pb, &out, &err), 0);
    assert_memory_equal(&out, &d, sizeof d);
    klaim__decision__free_unpacked(pb, NULL);
}

/* Limits that decision_pack cannot exceed are built directly in protobuf. */
static void test_decision_limits(void **state)
{
    (void)state;
    Klaim__Item items[17], *ip[17];
    Klaim__Decision pb = KLAIM__DECISION__INIT;
    pb.has_state = 1;
    pb.state = KLAIM__STATE__APPROVED;
    for (int i = 0; i < 17; i++) {
        klaim__item__init(&items[i]);
        items[i].code = "JKK_MEDICAL";
        items[i].has_amount = 1;
        items[i].amount = 1;
        ip[i] = &items[i];
    }
    pb.items = ip;
    pb.n_items = 17;
    pb.has_total = 1;
    pb.total = 17;
    struct klaim_decision out;
    struct klaim_err err = {0};
    assert_int_equal(decision_from_pb(&pb, &out, &err), -1);
    assert_string_equal(err.field, "decision.items");
    pb.n_items = 16;
    pb.total = 16;
    char *codes[16];
    for (int i = 0; i < 16; i++) codes[i] = "JKK_MEDICAL";
    Klaim__Payee payee = KLAIM__PAYEE__INIT, *pp = &payee;
    payee.has_role = 1, payee.role = KLAIM__PAYEE_ROLE__PROVIDER;
    payee.id = "RS Islam Sakinah";
    payee.n_items = 16, payee.items = codes;
    payee.has_amount = 1, payee.amount = 16;
    pb.n_payees = 1, pb.payees = &pp;
    assert_int_equal(decision_from_pb(&pb, &out, &err), 0);
    assert_int_equal(out.n_items, 16);
    items[3].code = "0123456789012345678901234567890X"; /* 32 bytes */
    assert_int_equal(decision_from_pb(&pb, &out, &err), -1);
    assert_string_equal(err.field, "decision.items[3].code");
    items[3].code = "0123456789012345678901234567890"; /* 31 bytes */
    codes[3] = items[3].code;
    assert_int_equal(decision_from_pb(&pb, &out, &err), 0);
    char basis[129];
    memset(basis, 'b', 128);
    basis[128] = '\0';
    items[4].basis = basis;
    assert_int_equal(decision_from_pb(&pb, &out, &err), -1);
    assert_string_equal(err.field, "decision.items[4].basis");
    basis[127] = '\0';
    assert_int_equal(decision_from_pb(&pb, &out, &err), 0);
    /* checked addition: two huge amounts cannot wrap into a matching total */
    pb.n_items = 2;
    items[0].amount = INT64_MAX;
    items[1].amount = INT64_MAX;
    pb.total = -2;
    assert_int_equal(decision_from_pb(&pb, &out, &err), -1);
    assert_string_equal(err.field, "decision.total");
    /* five reasons on a review */
    Klaim__Reason rs[5], *rp[5];
    for (int i = 0; i < 5; i++) {
        klaim__reason__init(&rs[i]);
        rs[i].code = "RULE_UNVERIFIED";
        rp[i] = &rs[i];
    }
    pb.state = KLAIM__STATE__PENDING_REVIEW;
    pb.n_items = 0;
    pb.total = 0;
    pb.n_payees = 0;
    pb.reasons = rp;
    pb.n_reasons = 5;
    assert_int_equal(decision_from_pb(&pb, &out, &err), -1);
    assert_string_equal(err.field, "decision.reasons");
    pb.n_reasons = 4;
    assert_int_equal(decision_from_pb(&pb, &out, &err), 0);
    pb.state = (Klaim__State)99;
    assert_int_equal(decision_from_pb(&pb, &out, &err), -1);
    assert_string_equal(err.field, "decision.state");
}

/* ------------------------------------------------------ validation */

static void test_valid_fixture(void **state)
{
    (void)state;
    struct klaim_claim out;
    s_expect_valid(&out);
    assert_memory_equal(&out, &g_c, sizeof out);
    assert_int_equal(out.reported_date, kdate_from_ymd(2026, 3, 6));
}

static void test_key(void **state)
{
    (void)state;
    g_pb.idempotency_key = NULL;
    s_expect_invalid("idempotency_key");
    g_pb.idempotency_key = "";
    s_expect_invalid("idempotency_key");
    g_pb.idempotency_key = "has space";
    s_expect_invalid("idempotency_key");
    g_pb.idempotency_key = "tab\tkey";
    s_expect_invalid("idempotency_key");
    g_pb.idempotency_key = "caf\xc3\xa9";
    s_expect_invalid("idempotency_key");
    char key[130];
    memset(key, 'K', 129);
    key[129] = '\0';
    g_pb.idempotency_key = key;
    s_expect_invalid("idempotency_key");
    key[128] = '\0';
    struct klaim_claim out;
    s_expect_valid(&out);
    assert_int_equal(strlen(out.idempotency_key), 128);
    g_pb.idempotency_key = "!~";
    s_expect_valid(&out);
}

static void test_program(void **state)
{
    (void)state;
    g_pb.has_program = 0;
    s_expect_invalid("program");
    g_pb.has_program = 1;
    g_pb.program = KLAIM__PROGRAM__PROGRAM_UNSPECIFIED;
    s_expect_invalid("program");
    g_pb.program = (Klaim__Program)7;
    s_expect_invalid("program");
}

static void test_kpj(void **state)
{
    (void)state;
    g_pb.participant->kpj = "2401234567"; /* 10 */
    s_expect_invalid("participant.kpj");
    g_pb.participant->kpj = "240123456789"; /* 12 */
    s_expect_invalid("participant.kpj");
    g_pb.participant->kpj = "2401234567a";
    s_expect_invalid("participant.kpj");
    g_pb.participant->kpj = NULL;
    s_expect_invalid("participant.kpj");
    g_pb.participant = NULL;
    s_expect_invalid("participant.kpj");
}

static void test_nik(void **state)
{
    (void)state;
    g_pb.participant->nik = "351601234567890"; /* 15 */
    s_expect_invalid("participant.nik");
    g_pb.participant->nik = "35160123456789012"; /* 17 */
    s_expect_invalid("participant.nik");
    g_pb.participant->nik = "3516-12345678901";
    s_expect_invalid("participant.nik");
    g_pb.participant->nik = NULL;
    s_expect_invalid("participant.nik");
}

static void test_event_type(void **state)
{
    (void)state;
    g_pb.event->has_type = 0;
    s_expect_invalid("event.type");
    g_pb.event->has_type = 1;
    g_pb.event->type = (Klaim__EventType)9;
    s_expect_invalid("event.type");
    g_pb.event->type = KLAIM__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED;
    s_expect_invalid("event.type");
    g_pb.event->type = KLAIM__EVENT_TYPE__DEATH; /* JKK with DEATH */
    s_expect_invalid("event.type");
    g_pb.event->type = KLAIM__EVENT_TYPE__ACCIDENT; /* JKM with ACCIDENT */
    g_pb.program = KLAIM__PROGRAM__JKM;
    s_expect_invalid("event.type");
    g_pb.event = NULL;
    s_expect_invalid("event.type");
}

static void test_event_date(void **state)
{
    (void)state;
    g_pb.event->date = NULL;
    s_expect_invalid("event.date");
    g_pb.event->date = "2026-02-29";
    s_expect_invalid("event.date");
    g_pb.event->date = "2026-3-05";
    s_expect_invalid("event.date");
    g_pb.event->date = "2026-03-05 ";
    s_expect_invalid("event.date");
    g_pb.event->date = "2024-02-29";
    struct klaim_claim out;
    s_expect_valid(&out);
    assert_int_equal(out.event_date, kdate_from_ymd(2024, 2, 29));
}

static void test_circumstance(void **state)
{
    (void)state;
    g_pb.event->has_circumstance = 0;
    s_expect_invalid("event.circumstance");
    g_pb.event->has_circumstance = 1;
    g_pb.event->circumstance = (Klaim__Circumstance)5;
    s_expect_invalid("event.circumstance");
    g_pb.event->circumstance = KLAIM__CIRCUMSTANCE__CIRCUMSTANCE_UNSPECIFIED;
    s_expect_invalid("event.circumstance");
}

static void test_jkm_circumstance_kept_outcome_ignored(void **state)
{
    (void)state;
    g_pb.program = KLAIM__PROGRAM__JKM;
    g_pb.event->type = KLAIM__EVENT_TYPE__DEATH;
    g_pb.outcome->expenses->medical = -5; /* ignored for JKM */
    g_pb.outcome->disability->has_kind = 0;
    struct klaim_claim out;
    s_expect_valid(&out);
    assert_int_equal(out.circumstance, CIRC_WORKPLACE);
    assert_int_equal(out.medical, 0);
    assert_int_equal(out.incapacity_days, 0);
    assert_int_equal(out.disability, DISABILITY_NONE);
    assert_int_equal(out.table_bp, 0);
    /* a JKM without circumstance is fine too */
    g_pb.event->has_circumstance = 0;
    s_expect_valid(&out);
    assert_int_equal(out.circumstance, CIRC_NONE);
}

static void test_reported_at(void **state)
{
    (void)state;
    g_pb.event->reported_at = NULL;
    s_expect_invalid("event.reported_at");
    g_pb.event->reported_at = "2026-03-06T09:12:00"; /* no offset */
    s_expect_invalid("event.reported_at");
    g_pb.event->reported_at = "2026-03-06";
    s_expect_invalid("event.reported_at");
    g_pb.event->reported_at = "2026-03-06T25:12:00+07:00";
    s_expect_invalid("event.reported_at");
    /* R (WIB) before the event date: 2026-03-04T16:59:59Z is 23:59:59 WIB */
    g_pb.event->reported_at = "2026-03-04T16:59:59Z";
    s_expect_invalid("event.reported_at");
    /* one second later it is 2026-03-05 WIB: same day is fine */
    g_pb.event->reported_at = "2026-03-04T17:00:00Z";
    struct klaim_claim out;
    s_expect_valid(&out);
    assert_int_equal(out.reported_date, kdate_from_ymd(2026, 3, 5));
    assert_int_equal(out.reported_offset_min, 0);
}

static void test_future_dates(void **state)
{
    (void)state;
    struct klaim_claim out;
    /* event.date after today */
    g_pb.event->date = "2026-03-11";
    g_pb.event->reported_at = "2026-03-11T08:00:00+07:00";
    s_expect_invalid("event.date");
    s_expect_valid_at(INT32_MAX, &out); /* stored claims skip the check */
    s_expect_valid_at(kdate_from_ymd(2026, 3, 11), &out);
    /* R after today */
    g_pb.event->date = "2026-03-05";
    g_pb.event->reported_at = "2026-03-10T17:00:00Z"; /* 2026-03-11 WIB */
    s_expect_invalid("event.reported_at");
    g_pb.event->reported_at = "2026-03-10T16:59:59Z"; /* 2026-03-10 WIB */
    s_expect_valid(&out);
    /* death_date after today */
    g_pb.outcome->death_date = "2026-03-11";
    s_expect_invalid("outcome.death_date");
    g_pb.outcome->death_date = "2026-03-10";
    s_expect_valid(&out);
    assert_true(out.has_death_date);
}

static void test_death_date(void **state)
{
    (void)state;
    g_pb.outcome->death_date = "2026-03-04"; /* before event.date */
    s_expect_invalid("outcome.death_date");
    g_pb.outcome->death_date = "2026-02-30";
    s_expect_invalid("outcome.death_date");
    g_pb.outcome->death_date = "2026-03-05";
    struct klaim_claim out;
    s_expect_valid(&out);
    assert_int_equal(out.death_date, kdate_from_ymd(2026, 3, 5));
}

static void test_amounts(void **state)
{
    (void)state;
    struct klaim_claim out;
    Klaim__Expenses *x = g_pb.outcome->expenses;
    x->medical = KLAIM_MAX_AMOUNT;
    s_expect_valid(&out);
    assert_int_equal(out.medical, 1000000000000LL);
    x->medical = KLAIM_MAX_AMOUNT + 1;
    s_expect_invalid("outcome.expenses.medical");
    x->medical = -1;
    s_expect_invalid("outcome.expenses.medical");
    x->medical = 0;
    x->has_transport_sea = 1;
    x->transport_sea = -1;
    s_expect_invalid("outcome.expenses.transport_sea");
    x->transport_sea = 0;
    x->has_transport_air = 1;
    x->transport_air = KLAIM_MAX_AMOUNT + 1;
    s_expect_invalid("outcome.expenses.transport_air");
    x->transport_air = 0;
    x->transport_land = INT64_MIN;
    s_expect_invalid("outcome.expenses.transport_land");
    x->transport_land = 0;
    x->home_care = INT64_MAX;
    s_expect_invalid("outcome.expenses.home_care");
}

static void test_incapacity_days(void **state)
{
    (void)state;
    struct klaim_claim out;
    g_pb.outcome->incapacity_days = 36500;
    s_expect_valid(&out);
    assert_int_equal(out.incapacity_days, 36500);
    g_pb.outcome->incapacity_days = 36501;
    s_expect_invalid("outcome.incapacity_days");
    g_pb.outcome->incapacity_days = -1;
    s_expect_invalid("outcome.incapacity_days");
}

static void test_disability(void **state)
{
    (void)state;
    struct klaim_claim out;
    Klaim__Disability *d = g_pb.outcome->disability;
    d->table_bp = 10000;
    d->function_loss_bp = 10000;
    s_expect_valid(&out);
    d->table_bp = 10001;
    s_expect_invalid("outcome.disability.table_bp");
    d->table_bp = -1;
    s_expect_invalid("outcome.disability.table_bp");
    d->table_bp = 0;
    d->function_loss_bp = 10001;
    s_expect_invalid("outcome.disability.function_loss_bp");
    d->function_loss_bp = 5000;
    d->has_function_loss_bp = 0; /* FUNCTIONAL needs both */
    s_expect_invalid("outcome.disability.function_loss_bp");
    d->kind = KLAIM__DISABILITY_KIND__PARTIAL_ANATOMICAL; /* needs table_bp only */
    s_expect_valid(&out);
    assert_int_equal(out.function_loss_bp, 0);
    d->has_table_bp = 0;
    s_expect_invalid("outcome.disability.table_bp");
    d->kind = KLAIM__DISABILITY_KIND__TOTAL; /* needs neither */
    s_expect_valid(&out);
    assert_int_equal(out.disability, DISABILITY_TOTAL);
    d->has_kind = 0;
    s_expect_invalid("outcome.disability.kind");
    d->has_kind = 1;
    d->kind = KLAIM__DISABILITY_KIND__DISABILITY_UNSPECIFIED;
    s_expect_invalid("outcome.disability.kind");
    d->kind = (Klaim__DisabilityKind)4;
    s_expect_invalid("outcome.disability.kind");
}

static void test_heirs(void **state)
{
    (void)state;
    struct klaim_claim out;
    Klaim__Heir h[21], *hp[21];
    for (int i = 0; i < 21; i++) {
        klaim__heir__init(&h[i]);
        h[i].has_relation = 1;
        h[i].relation = KLAIM__RELATION__CHILD;
        hp[i] = &h[i];
    }
    g_pb.heirs = hp;
    g_pb.n_heirs = 21;
    s_expect_invalid("heirs");
    g_pb.n_heirs = 20;
    s_expect_valid(&out);
    assert_int_equal(out.n_heirs, 20);
    h[2].nik = "351601234567890"; /* 15 digits */
    s_expect_invalid("heirs[2].nik");
    h[2].nik = "";
    s_expect_invalid("heirs[2].nik");
    h[2].nik = "3516012345678901";
    s_expect_valid(&out);
    assert_string_equal(out.heirs[2].nik, "3516012345678901");
    h[3].has_relation = 0;
    s_expect_invalid("heirs[3].relation");
    h[3].has_relation = 1;
    h[3].relation = (Klaim__Relation)10;
    s_expect_invalid("heirs[3].relation");
    h[3].relation = KLAIM__RELATION__RELATION_UNSPECIFIED;
    s_expect_invalid("heirs[3].relation");
    h[3].relation = KLAIM__RELATION__WILL_BENEFICIARY;
    char name[130];
    memset(name, 'n', 129);
    name[129] = '\0';
    h[19].name = name;
    s_expect_invalid("heirs[19].name");
    name[128] = '\0';
    s_expect_valid(&out);
    h[19].name = "Siti\nAminah";
    s_expect_invalid("heirs[19].name");
    h[19].name = "Siti \xff";
    s_expect_invalid("heirs[19].name");
    h[19].name = "Siti";
    /* docs/money.md §2: a heir's bank account, all three fields or none */
    Klaim__BankAccount b = KLAIM__BANK_ACCOUNT__INIT;
    b.bank_code = "008", b.account = "1234567890", b.name = "Siti";
    h[5].bank = &b;
    s_expect_valid(&out);
    assert_int_equal(out.heirs[5].has_bank, 1);
    assert_string_equal(out.heirs[5].bank.account, "1234567890");
    assert_int_equal(out.heirs[4].has_bank, 0);
    s_roundtrip(&out);
    b.account = "12345";
    s_expect_invalid("heirs[5].bank.account");
    b.account = "123456789012345678901";
    s_expect_invalid("heirs[5].bank.account");
    b.account = "1234567890";
    b.bank_code = "8";
    s_expect_invalid("heirs[5].bank.bank_code");
    b.bank_code = "008";
    b.name = NULL;
    s_expect_invalid("heirs[5].bank.name");
    b.name = "Siti\x01";
    s_expect_invalid("heirs[5].bank.name");
    b.name = "Siti";
    b.bank_code = NULL;
    s_expect_invalid("heirs[5].bank.bank_code");
    b.account = NULL, b.name = NULL;
    s_expect_valid(&out); /* an empty BankAccount is no account */
    assert_int_equal(out.heirs[5].has_bank, 0);
    h[5].bank = NULL;
}

static void test_text_fields(void **state)
{
    (void)state;
    struct klaim_claim out;
    char big[130];
    memset(big, 'h', 129);
    big[129] = '\0';
    g_pb.event->hospital = big;
    s_expect_invalid("event.hospital");
    big[128] = '\0';
    s_expect_valid(&out);
    g_pb.event->hospital = "RS\x7f";
    s_expect_invalid("event.hospital");
    g_pb.event->hospital = "RS \xc2\x85"; /* C1 control (NEL) */
    s_expect_invalid("event.hospital");
    g_pb.event->hospital = "RS Sakinah";
    g_pb.event->location->regency = "Kota \xc0\x80"; /* overlong */
    s_expect_invalid("event.location.regency");
    g_pb.event->location->regency = "Kota \xed\xa0\x80"; /* surrogate */
    s_expect_invalid("event.location.regency");
    g_pb.event->location->regency = "Kota \xe2\x82"; /* truncated */
    s_expect_invalid("event.location.regency");
    g_pb.event->location->regency = "Kota \xf4\x90\x80\x80"; /* > U+10FFFF */
    s_expect_invalid("event.location.regency");
    g_pb.event->location->regency = "Kota \xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xb1";
    g_pb.event->location->district = "Prajurit\tKulon";
    s_expect_invalid("event.location.district");
    g_pb.event->location->district = "Prajurit Kulon";
    s_expect_valid(&out);
    assert_string_equal(out.regency, "Kota \xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xb1");
}

static void test_latlon(void **state)
{
    (void)state;
    struct klaim_claim out;
    Klaim__Location *l = g_pb.event->location;
    l->lat_e6 = 90000000;
    l->lon_e6 = -180000000;
    s_expect_valid(&out);
    assert_true(out.has_location_latlon);
    l->lat_e6 = 90000001;
    s_expect_invalid("event.location.lat");
    l->lat_e6 = 0;
    l->lon_e6 = 180000001;
    s_expect_invalid("event.location.lon");
    l->lon_e6 = 0;
    l->has_lon_e6 = 0;
    s_expect_invalid("event.location.lon");
    l->has_lat_e6 = 0;
    s_expect_valid(&out);
    assert_false(out.has_location_latlon);
    assert_string_equal(out.regency, "Kota Mojokerto");
}

/* The printf-free formatters (fmt.c) and what is built on them. */
static void test_formatting(void **state)
{
    char b[48];
    b[fmt_int(b, 0, 0)] = '\0';
    assert_string_equal(b, "0");
    b[fmt_int(b, 42, 12)] = '\0';
    assert_string_equal(b, "000000000042");
    b[fmt_int(b, -5, 3)] = '\0';
    assert_string_equal(b, "-005");
    b[fmt_int(b, INT64_MAX, 0)] = '\0';
    assert_string_equal(b, "9223372036854775807");
    b[fmt_int(b, INT64_MIN, 0)] = '\0';
    assert_string_equal(b, "-9223372036854775808");
    b[fmt_int(b, 1234567, 2)] = '\0';
    assert_string_equal(b, "1234567");
    klaim_id_format(42, b, sizeof b);
    assert_string_equal(b, "k-000000000042");
    klaim_id_format(1234567890123LL, b, sizeof b);
    assert_string_equal(b, "k-1234567890123");
    klaim_id_format(42, b, 6); /* short buffer: truncated, terminated */
    assert_string_equal(b, "k-000");
    kdate_format(kdate_from_ymd(2026, 3, 7), b);
    assert_string_equal(b, "2026-03-07");
    /* 2026-03-07T01:02:03Z = 1772845323 */
    ktime_format_rfc3339(1772845323, 0, b, sizeof b);
    assert_string_equal(b, "2026-03-07T01:02:03Z");
    ktime_format_rfc3339(1772845323, 420, b, sizeof b);
    assert_string_equal(b, "2026-03-07T08:02:03+07:00");
    ktime_format_rfc3339(1772845323, -90, b, sizeof b);
    assert_string_equal(b, "2026-03-06T23:32:03-01:30");
    ktime_format_rfc3339(1772845323, 0, b, 11);
    assert_string_equal(b, "2026-03-07");
}

#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formatting),
        T(test_canonical_roundtrip_jkk),
        T(test_canonical_roundtrip_jkm),
        T(test_canonical_reported_at_offset_kept),
        T(test_digest_differs),
        T(test_canonical_unpack_garbage),
        T(test_request_roundtrip),
        T(test_request_too_large),
        T(test_request_garbage),
        T(test_request_truncated),
        T(test_request_wrong_version),
        T(test_request_no_body),
        T(test_request_budget),
        T(test_reply_roundtrip),
        T(test_decision_roundtrip_via_worker_msg),
        T(test_job_pack),
        T(test_decision_checks),
        T(test_decision_limits),
        T(test_decision_payees_checked),
        T(test_valid_fixture),
        T(test_key),
        T(test_program),
        T(test_kpj),
        T(test_nik),
        T(test_event_type),
        T(test_event_date),
        T(test_circumstance),
        T(test_jkm_circumstance_kept_outcome_ignored),
        T(test_reported_at),
        T(test_future_dates),
        T(test_death_date),
        T(test_amounts),
        T(test_incapacity_days),
        T(test_disability),
        T(test_heirs),
        T(test_text_fields),
        T(test_latlon),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}

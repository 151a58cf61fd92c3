/* test_money.c - unit tests of the money rules of the worker (docs/money.md).
 *
 * Owns: the payee rule (payees.c), the checks that protect the payee
 *   (heir = participant, earlier death, heirs without a NIK: never waived),
 *   and the follow-up netting of followup.c at its boundaries: the worked
 *   example, the STMB tier across 360 days summed over claims, a transport
 *   cap across claims, a death after a disability, and one death paid by
 *   one programme.
 * Runs in: ctest (test_money); pure, no files, no clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "followup.h"
#include "payees.h"

static kdate D(const char *s)
{
    kdate d = 0;
    assert_int_equal(kdate_parse(s, strlen(s), &d), 0);
    return d;
}

/* A PU worker of PT Ngoro Sinar Tekstil, W = 3,000,000, both programmes. */
static struct klaim_member s_member(void)
{
    struct klaim_member m;
    memset(&m, 0, sizeof m);
    strcpy(m.kpj, "24128006011");
    strcpy(m.nik, "3516051406890001");
    strcpy(m.name, "Bagus Setyawan");
    m.birth_date = D("1989-06-14");
    m.category = CAT_PU;
    m.programs = KLAIM_PROG_BIT(PROGRAM_JKK) | KLAIM_PROG_BIT(PROGRAM_JKM);
    m.wage = 3000000;
    m.coverage_start = D("2019-04-01");
    kmonth_parse("2099-12", 7, &m.paid_through);
    strcpy(m.sponsor, "PT Ngoro Sinar Tekstil");
    return m;
}

/* A work accident on 2025-11-03, reported that day. */
static struct klaim_claim s_accident(int days, int64_t medical, int64_t land)
{
    struct klaim_claim c;
    memset(&c, 0, sizeof c);
    strcpy(c.idempotency_key, "M-1");
    c.program = PROGRAM_JKK;
    strcpy(c.kpj, "24128006011");
    strcpy(c.nik, "3516051406890001");
    c.event_type = EVENT_ACCIDENT;
    c.event_date = D("2025-11-03");
    c.circumstance = CIRC_WORKPLACE;
    c.reported_date = c.event_date;
    strcpy(c.hospital, "RS Islam Sakinah");
    c.incapacity_days = days;
    c.medical = medical;
    c.transport_land = land;
    return c;
}

static void s_heir(struct klaim_claim *c, enum klaim_relation rel, const char *nik, const char *name)
{
    struct klaim_heir *h = &c->heirs[c->n_heirs++];
    memset(h, 0, sizeof *h);
    h->relation = rel;
    strcpy(h->nik, nik);
    strcpy(h->name, name);
}

static int64_t s_item(const struct klaim_decision *d, const char *code)
{
    for (int i = 0; i < d->n_items; i++)
        if (strcmp(d->items[i].code, code) == 0) return d->items[i].amount;
    return 0;
}

/* A prior claim as klaimd sends it: the claim and what it was approved for. */
static struct klaim_prior s_prior(int64_t id, const struct klaim_claim *c, const struct klaim_member *m)
{
    struct klaim_prior p;
    memset(&p, 0, sizeof p);
    p.claim_id = id;
    p.claim = *c;
    struct klaim_decision d;
    decide_claim(c, m, 0, &d);
    assert_int_equal(d.state, STATE_APPROVED);
    p.n_items = d.n_items;
    memcpy(p.items, d.items, sizeof d.items);
    return p;
}

/* The follow-up (DUPLICATE_CLAIM approved on review) against priors. */
static struct klaim_decision s_followup(const struct klaim_claim *c, const struct klaim_member *m,
                                        const struct klaim_prior *prior, int n)
{
    struct klaim_case_facts f = {.duplicate_of = prior[0].claim_id, .waive = klaim_waiver_for_code("DUPLICATE_CLAIM"),
                                 .n_prior = n, .prior = prior};
    struct klaim_decision d;
    decide_claim_with(c, m, &f, &d);
    return d;
}

/* The worked example: 30 days + 15,000,000 + 4,000,000 land paid; 10 more
 * days, 3,000,000 of bills and 2,000,000 of land transport now. */
static void test_followup_example(void **state)
{
    struct klaim_member m = s_member();
    struct klaim_claim first = s_accident(30, 15000000, 4000000), next = s_accident(10, 3000000, 2000000);
    struct klaim_prior p = s_prior(9, &first, &m);
    struct klaim_decision d = s_followup(&next, &m, &p, 1);
    assert_int_equal(d.state, STATE_APPROVED);
    assert_int_equal(s_item(&d, "JKK_STMB"), 1000000);
    assert_int_equal(s_item(&d, "JKK_MEDICAL"), 3000000);
    assert_int_equal(s_item(&d, "JKK_TRANSPORT_LAND"), 1000000);
    assert_int_equal(d.total, 5000000);
    assert_int_equal(d.n_netted, 1);
    assert_int_equal(d.netted_against[0], 9);
    /* The same claim without the prior would pay it all again. */
    struct klaim_decision alone;
    decide_claim(&next, &m, 0, &alone);
    assert_int_equal(alone.total, s_item(&alone, "JKK_STMB") + 3000000 + 2000000);
}

/* 4,000,000 + 2,000,000 of land transport paid 5,000,000 (the cap); a
 * 500,000 taxi bill adds nothing: NO_BENEFIT_CLAIMED, never a negative. */
static void test_followup_transport_cap(void **state)
{
    struct klaim_member m = s_member();
    struct klaim_claim a = s_accident(0, 0, 4000000), b = s_accident(0, 0, 2000000), c = s_accident(0, 0, 500000);
    struct klaim_prior p[2];
    p[0] = s_prior(1, &a, &m);
    struct klaim_decision db = s_followup(&b, &m, p, 1);
    assert_int_equal(db.total, 1000000);
    p[1] = p[0];
    p[1].claim_id = 2;
    p[1].claim = b;
    p[1].n_items = db.n_items;
    memcpy(p[1].items, db.items, sizeof db.items);
    struct klaim_decision dc = s_followup(&c, &m, p, 2);
    assert_int_equal(dc.state, STATE_PENDING_REVIEW);
    assert_string_equal(dc.reasons[0].code, "NO_BENEFIT_CLAIMED");
    assert_int_equal(dc.total, 0);
    assert_int_equal(dc.n_payees, 0);
}

/* PP-82 STMB: days 1-360 at 100 %, then 50 %, counted over the event. 350
 * days paid W*700/60; 20 more make 370: W*(720+10)/60, so the follow-up
 * pays 1,500,000, not the 2,000,000 twenty days would pay alone. */
static void test_followup_stmb_tier(void **state)
{
    struct klaim_member m = s_member();
    struct klaim_claim a = s_accident(350, 0, 0), b = s_accident(20, 0, 0);
    struct klaim_prior p = s_prior(3, &a, &m);
    assert_int_equal(p.items[0].amount, 35000000);
    struct klaim_decision d = s_followup(&b, &m, &p, 1);
    assert_int_equal(d.state, STATE_APPROVED);
    assert_int_equal(s_item(&d, "JKK_STMB"), 1500000);
    assert_int_equal(d.total, 1500000);
}

/* Death after a disability: the death supersedes the disability in the
 * merged claim; the death items are paid in full, the disability paid
 * before is not taken back, and everything goes to the heir. */
static void test_followup_death_after_disability(void **state)
{
    struct klaim_member m = s_member();
    struct klaim_claim a = s_accident(0, 0, 0);
    a.disability = DISABILITY_PARTIAL_ANATOMICAL;
    a.table_bp = 1000;
    struct klaim_prior p = s_prior(4, &a, &m);
    assert_int_equal(p.items[0].amount, 24000000);
    struct klaim_claim b = s_accident(0, 0, 0);
    b.has_death_date = 1;
    b.death_date = D("2025-12-01");
    s_heir(&b, REL_CHILD, "3516050101100003", "Anak");
    s_heir(&b, REL_SPOUSE, "3516054101900901", "Siti Aminah");
    struct klaim_decision d = s_followup(&b, &m, &p, 1);
    assert_int_equal(d.state, STATE_APPROVED);
    assert_int_equal(s_item(&d, "JKK_DEATH_LUMP_SUM"), 144000000);
    assert_int_equal(s_item(&d, "JKK_FUNERAL"), 10000000);
    assert_int_equal(s_item(&d, "JKK_PERIODIC"), 12000000);
    assert_int_equal(s_item(&d, "JKK_DISABILITY_PARTIAL"), 0);
    assert_int_equal(d.total, 166000000);
    assert_int_equal(d.n_payees, 1);
    assert_int_equal(d.payees[0].role, PAYEE_HEIR);
    assert_string_equal(d.payees[0].id, "3516054101900901");
}

/* One death pays one programme: JKM after an APPROVED JKK death of the same
 * death pays nothing; a JKK death after an APPROVED JKM death pays only
 * what is not a death benefit (the hospital's bill). */
static void test_followup_one_death_one_programme(void **state)
{
    struct klaim_member m = s_member();
    struct klaim_claim jkk = s_accident(4, 27500000, 0);
    jkk.has_death_date = 1;
    jkk.death_date = D("2025-11-07");
    s_heir(&jkk, REL_SPOUSE, "3516054101900901", "Siti Aminah");
    struct klaim_claim jkm = jkk;
    jkm.program = PROGRAM_JKM;
    jkm.event_type = EVENT_DEATH;
    jkm.event_date = D("2025-11-07");
    jkm.circumstance = CIRC_NONE;
    jkm.has_death_date = 0;
    jkm.incapacity_days = 0;
    jkm.medical = 0;
    jkm.hospital[0] = '\0';
    struct klaim_prior p = s_prior(12, &jkk, &m);
    struct klaim_decision d = s_followup(&jkm, &m, &p, 1);
    assert_int_equal(d.state, STATE_PENDING_REVIEW);
    assert_string_equal(d.reasons[0].code, "NO_BENEFIT_CLAIMED");
    assert_non_null(strstr(d.reasons[0].message, "one death pays one programme"));

    struct klaim_prior q = s_prior(13, &jkm, &m);
    d = s_followup(&jkk, &m, &q, 1);
    assert_int_equal(d.state, STATE_APPROVED);
    assert_int_equal(s_item(&d, "JKK_DEATH_LUMP_SUM") + s_item(&d, "JKK_FUNERAL") + s_item(&d, "JKK_PERIODIC"), 0);
    assert_int_equal(s_item(&d, "JKK_MEDICAL"), 27500000);
    assert_int_equal(d.total, s_item(&d, "JKK_MEDICAL") + s_item(&d, "JKK_STMB"));
}

/* Payees: relation order over list order; a spouse without a NIK is
 * passed over; medical to the hospital, a wage earner's STMB to the
 * employer with the sponsor's account; amounts add up to the total. */
static void test_payees(void **state)
{
    struct klaim_member m = s_member();
    m.has_sponsor_bank = 1;
    strcpy(m.sponsor_bank.code, "009");
    strcpy(m.sponsor_bank.account, "0012345678");
    strcpy(m.sponsor_bank.name, "PT NGORO SINAR TEKSTIL");
    struct klaim_claim c = s_accident(4, 27500000, 0);
    c.has_death_date = 1;
    c.death_date = D("2025-11-07");
    s_heir(&c, REL_PARENT, "3516164101600015", "Ibu");
    s_heir(&c, REL_SPOUSE, "", "Istri tanpa KTP");
    s_heir(&c, REL_CHILD, "3516166106010016", "Anak");
    c.heirs[2].has_bank = 1;
    strcpy(c.heirs[2].bank.code, "002");
    strcpy(c.heirs[2].bank.account, "123456789012");
    strcpy(c.heirs[2].bank.name, "Orang Lain");
    struct klaim_decision d;
    decide_claim(&c, &m, 0, &d);
    assert_int_equal(d.state, STATE_APPROVED);
    assert_int_equal(d.n_payees, 3);
    int64_t sum = 0;
    for (int i = 0; i < d.n_payees; i++) {
        const struct klaim_payee *p = &d.payees[i];
        sum += p->amount;
        assert_true(p->id[0]);
        if (p->role == PAYEE_HEIR) {
            assert_string_equal(p->id, "3516166106010016");       /* the child: the spouse has no NIK */
            assert_int_equal(p->amount, 144000000 + 10000000 + 12000000);
            assert_true(p->has_bank);
            assert_true(p->bank_name_mismatch);                   /* flagged, not corrected */
        } else if (p->role == PAYEE_PROVIDER) {
            assert_string_equal(p->id, "RS Islam Sakinah");
            assert_int_equal(p->amount, 27500000);
        } else {
            assert_int_equal(p->role, PAYEE_EMPLOYER);
            assert_string_equal(p->id, "PT Ngoro Sinar Tekstil");
            assert_int_equal(p->amount, s_item(&d, "JKK_STMB"));
            assert_string_equal(p->bank.account, "0012345678");
            assert_false(p->bank_name_mismatch);
        }
    }
    assert_int_equal(sum, d.total);

    /* A BPU worker alive: STMB and transport to the worker himself. */
    m.category = CAT_BPU;
    struct klaim_claim a = s_accident(10, 0, 300000);
    decide_claim(&a, &m, 0, &d);
    assert_int_equal(d.n_payees, 1);
    assert_int_equal(d.payees[0].role, PAYEE_PARTICIPANT);
    assert_string_equal(d.payees[0].id, "3516051406890001");
    assert_string_equal(d.payees[0].name, "Bagus Setyawan");
    assert_true(payees_same_name("SITI  AMINAH", "Siti Aminah"));
    assert_false(payees_same_name("Siti Aminah", "Siti Aminah Putri"));
}

/* What a waiver never skips: a heir with the participant's NIK, and a
 * death claim whose heirs have no NIK. An earlier death is waivable
 * (INCONSISTENT_DATA) and says which claim and date. */
static void test_payee_protections(void **state)
{
    struct klaim_member m = s_member();
    struct klaim_claim c = s_accident(0, 0, 0);
    c.program = PROGRAM_JKM;
    c.event_type = EVENT_DEATH;
    c.circumstance = CIRC_NONE;
    c.medical = 0;
    s_heir(&c, REL_SPOUSE, "3516051406890001", "Himself");
    struct klaim_decision d;
    decide_claim_waived(&c, &m, 0, 0xffffffffu, &d);
    assert_int_equal(d.state, STATE_PENDING_REVIEW);
    assert_string_equal(d.reasons[0].code, "INCONSISTENT_DATA");
    assert_non_null(strstr(d.reasons[0].message, "heirs[0].nik"));

    c.n_heirs = 0;
    s_heir(&c, REL_SPOUSE, "", "No KTP");
    decide_claim_waived(&c, &m, 0, 0xffffffffu, &d);
    assert_string_equal(d.reasons[0].code, "HEIRS_MISSING");
    assert_non_null(strstr(d.reasons[0].message, "none with a NIK"));

    c.n_heirs = 0;
    s_heir(&c, REL_SPOUSE, "3516054101900901", "Siti Aminah");
    struct klaim_case_facts f = {.earlier_death = 31, .earlier_death_date = D("2025-10-01")};
    decide_claim_with(&c, &m, &f, &d);
    assert_string_equal(d.reasons[0].code, "INCONSISTENT_DATA");
    assert_non_null(strstr(d.reasons[0].message, "k-000000000031"));
    f.waive = klaim_waiver_for_code("INCONSISTENT_DATA");
    decide_claim_with(&c, &m, &f, &d);
    assert_int_equal(d.state, STATE_APPROVED);
    assert_int_equal(d.total, 42000000);
    assert_string_equal(d.payees[0].id, "3516054101900901");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_followup_example),
        cmocka_unit_test(test_followup_transport_cap),
        cmocka_unit_test(test_followup_stmb_tier),
        cmocka_unit_test(test_followup_death_after_disability),
        cmocka_unit_test(test_followup_one_death_one_programme),
        cmocka_unit_test(test_payees),
        cmocka_unit_test(test_payee_protections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

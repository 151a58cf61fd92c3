/* test_rules.c - unit tests of the rules engine (klaim_rules).
 *
 * Owns: boundary tests of every item formula and reason code of
 * rules.md, the money helpers, the same-event predicate, and a seeded
 * property test over random valid claims.
 * Runs in: ctest (test_rules); pure, no files, no clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "benefits.h"
#include "decide.h"
#include "money.h"
#include "ruleset.h"
#include "same_event.h"

static kdate D(const char *s)
{
    kdate d = 0;
    assert_int_equal(kdate_parse(s, strlen(s), &d), 0);
    return d;
}

static kmonth M(const char *s)
{
    kmonth m = 0;
    assert_int_equal(kmonth_parse(s, strlen(s), &m), 0);
    return m;
}

/* A PU member holding both programmes, paid far ahead, wage 3,000,000. */
static struct klaim_member s_member(void)
{
    struct klaim_member m;
    memset(&m, 0, sizeof m);
    strcpy(m.kpj, "24000000001");
    strcpy(m.nik, "3516000000000001");
    m.birth_date = D("1980-01-01");
    m.category = CAT_PU;
    m.programs = KLAIM_PROG_BIT(PROGRAM_JKK) | KLAIM_PROG_BIT(PROGRAM_JKM);
    m.wage = 3000000;
    m.coverage_start = D("2010-01-01");
    m.paid_through = M("2099-12");
    return m;
}

/* A JKK accident at work on `date`, reported the same day, no outcome. */
static struct klaim_claim s_jkk(const char *date)
{
    struct klaim_claim c;
    memset(&c, 0, sizeof c);
    strcpy(c.idempotency_key, "T-1");
    c.program = PROGRAM_JKK;
    strcpy(c.kpj, "24000000001");
    strcpy(c.nik, "3516000000000001");
    c.event_type = EVENT_ACCIDENT;
    c.event_date = D(date);
    c.circumstance = CIRC_WORKPLACE;
    c.reported_date = c.event_date;
    return c;
}

static void s_heir(struct klaim_claim *c, enum klaim_relation rel, const char *nik)
{
    struct klaim_heir *h = &c->heirs[c->n_heirs++];
    memset(h, 0, sizeof *h);
    h->relation = rel;
    strcpy(h->nik, nik);
    strcpy(h->name, "Heir");
}

/* A JKM death on `date` with one spouse heir. */
static struct klaim_claim s_jkm(const char *date)
{
    struct klaim_claim c = s_jkk(date);
    c.program = PROGRAM_JKM;
    c.event_type = EVENT_DEATH;
    c.circumstance = CIRC_NONE;
    c.reported_date = c.event_date + 1;
    s_heir(&c, REL_SPOUSE, "3516000000000002");
    return c;
}

static struct klaim_decision s_decide(const struct klaim_claim *c, const struct klaim_member *m)
{
    struct klaim_decision d;
    decide_claim(c, m, 0, &d);
    return d;
}

static int64_t s_amount(const struct klaim_decision *d, const char *code)
{
    for (int i = 0; i < d->n_items; i++)
        if (strcmp(d->items[i].code, code) == 0) return d->items[i].amount;
    return 0;
}

static void s_approved(const struct klaim_decision *d, int64_t total)
{
    if (d->state != STATE_APPROVED) print_error("not approved: %s %s\n", d->reasons[0].code, d->reasons[0].message);
    assert_int_equal(d->state, STATE_APPROVED);
    assert_int_equal(d->n_reasons, 0);
    assert_int_equal(d->total, total);
}

static void s_refused(const struct klaim_decision *d, enum klaim_state st, const char *code)
{
    assert_int_equal(d->state, st);
    assert_true(d->n_reasons >= 1);
    assert_string_equal(d->reasons[0].code, code);
    assert_int_equal(d->total, 0);
    assert_int_equal(d->n_items, 0);
    assert_int_equal(d->scholarship_children, 0);
}

/* ---- rule sets by event date */

static void test_regime_boundary(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkm("2019-12-01");
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 24000000);
    assert_string_equal(d.rule_set, "PP-44-2015");
    assert_int_equal(s_amount(&d, "JKM_LUMP_SUM"), 16200000);
    assert_int_equal(s_amount(&d, "JKM_PERIODIC"), 4800000);
    assert_int_equal(s_amount(&d, "JKM_FUNERAL"), 3000000);

    c = s_jkm("2019-12-02");
    d = s_decide(&c, &m);
    s_approved(&d, 42000000);
    assert_string_equal(d.rule_set, "PP-82-2019");
    assert_int_equal(s_amount(&d, "JKM_LUMP_SUM"), 20000000);
    assert_int_equal(s_amount(&d, "JKM_PERIODIC"), 12000000);
    assert_int_equal(s_amount(&d, "JKM_FUNERAL"), 10000000);
    assert_string_equal(d.items[0].code, "JKM_LUMP_SUM");
    assert_string_equal(d.items[1].code, "JKM_PERIODIC");
    assert_string_equal(d.items[2].code, "JKM_FUNERAL");

    /* the claim date never changes the rule set */
    c = s_jkm("2019-12-01");
    c.reported_date = D("2024-01-01");
    d = s_decide(&c, &m);
    assert_string_equal(d.rule_set, "PP-44-2015");

    assert_null(ruleset_for_event(D("2015-06-30")));
    assert_ptr_equal(ruleset_for_event(D("2015-07-01")), &klaim_rules_pp44_2015);
    assert_ptr_equal(ruleset_for_event(D("2019-12-01")), &klaim_rules_pp44_2015);
    assert_ptr_equal(ruleset_for_event(D("2019-12-02")), &klaim_rules_pp82_2019);
    assert_int_equal(ruleset_scope_start(), D("2015-07-01"));
}

static void test_scope(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkm("2015-06-30");
    struct klaim_decision d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "EVENT_BEFORE_SCOPE");
    assert_string_equal(d.rule_set, "OUT_OF_SCOPE");
    assert_int_equal(d.wage_basis, 0);
    assert_non_null(strstr(d.reasons[0].message, "2015-06-30"));

    c = s_jkm("2015-07-01");
    d = s_decide(&c, &m);
    s_approved(&d, 24000000);
}

/* ---- JKK items */

static void test_jkk_death(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2024-01-10");
    c.has_death_date = 1;
    c.death_date = D("2024-01-11");
    s_heir(&c, REL_SPOUSE, "3516000000000002");
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 144000000 + 10000000 + 12000000);
    assert_int_equal(d.wage_basis, 3000000);
    assert_string_equal(d.items[0].code, "JKK_DEATH_LUMP_SUM");
    assert_string_equal(d.items[0].basis, "PP 82/2019: 48 x wage, min 20,000,000");
    assert_string_equal(d.items[1].code, "JKK_FUNERAL");
    assert_string_equal(d.items[2].code, "JKK_PERIODIC");

    m.wage = 300000; /* 14,400,000 < 20M floor */
    d = s_decide(&c, &m);
    s_approved(&d, 42000000);
    assert_int_equal(s_amount(&d, "JKK_DEATH_LUMP_SUM"), 20000000);

    /* PP-44: no verified floor; exactly 16,200,000 is fine, below is not */
    c = s_jkk("2018-01-10");
    c.has_death_date = 1;
    c.death_date = D("2018-01-10");
    s_heir(&c, REL_SPOUSE, "3516000000000002");
    m.wage = 337500;
    d = s_decide(&c, &m);
    s_approved(&d, 16200000 + 3000000 + 4800000);
    assert_string_equal(d.rule_set, "PP-44-2015");
    m.wage = 337499;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");
    m.wage = 1000000;
    d = s_decide(&c, &m);
    s_approved(&d, 48000000 + 3000000 + 4800000);
}

static void test_jkk_total_and_partial(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    m.wage = 5000000;
    struct klaim_claim c = s_jkk("2023-02-10");
    c.disability = DISABILITY_TOTAL;
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 292000000);
    assert_int_equal(d.n_items, 2);
    assert_string_equal(d.items[0].code, "JKK_PERIODIC");
    assert_string_equal(d.items[1].code, "JKK_DISABILITY_TOTAL");
    assert_int_equal(d.items[1].amount, 280000000);

    c = s_jkk("2017-02-10");
    c.disability = DISABILITY_TOTAL;
    d = s_decide(&c, &m);
    s_approved(&d, 280000000 + 4800000);

    /* §8 example: floor(3,456,789 x 80 x 1200 / 10^4) = 33,185,174 */
    m.wage = 3456789;
    c = s_jkk("2024-05-20");
    c.disability = DISABILITY_PARTIAL_ANATOMICAL;
    c.table_bp = 1200;
    d = s_decide(&c, &m);
    s_approved(&d, 33185174);
    assert_int_equal(s_amount(&d, "JKK_DISABILITY_PARTIAL"), 33185174);

    m.wage = 4000000;
    c.disability = DISABILITY_PARTIAL_FUNCTIONAL;
    c.table_bp = 4000;
    c.function_loss_bp = 5000;
    d = s_decide(&c, &m);
    s_approved(&d, 64000000);

    c.table_bp = 7000; /* the highest known Lampiran III row */
    d = s_decide(&c, &m);
    s_approved(&d, 112000000);
    c.table_bp = 7001;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");
}

static void test_stmb(void **state)
{
    (void)state;
    int64_t v = -1;
    const struct kr_stmb *p82 = &klaim_rules_pp82_2019.jkk_stmb, *p44 = &klaim_rules_pp44_2015.jkk_stmb;
    /* §8 example */
    assert_int_equal(benefits_stmb(p82, 2345678, 45, &v), 0);
    assert_int_equal(v, 3518517);
    /* §3 check: 450 days at 3,000,000 */
    assert_int_equal(benefits_stmb(p82, 3000000, 450, &v), 0);
    assert_int_equal(v, 40500000);
    assert_int_equal(benefits_stmb(p44, 3000000, 450, &v), 0);
    assert_int_equal(v, 36000000);
    /* PP-82: day 360 still at 100 %, day 361 at 50 % */
    assert_int_equal(benefits_stmb(p82, 3000000, 360, &v), 0);
    assert_int_equal(v, 36000000);
    assert_int_equal(benefits_stmb(p82, 3000000, 361, &v), 0);
    assert_int_equal(v, 36050000);
    /* PP-44: 180 at 100 %, 181 at 75 %, 360 / 361 */
    assert_int_equal(benefits_stmb(p44, 3000000, 180, &v), 0);
    assert_int_equal(v, 18000000);
    assert_int_equal(benefits_stmb(p44, 3000000, 181, &v), 0);
    assert_int_equal(v, 18075000);
    assert_int_equal(benefits_stmb(p44, 3000000, 360, &v), 0);
    assert_int_equal(v, 31500000);
    assert_int_equal(benefits_stmb(p44, 3000000, 361, &v), 0);
    assert_int_equal(v, 31550000);
    assert_int_equal(benefits_stmb(p82, 3000000, 0, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(benefits_stmb(p82, 3000000, -1, &v), -1);

    struct klaim_member m = s_member();
    m.wage = 2345678;
    struct klaim_claim c = s_jkk("2024-03-01");
    c.incapacity_days = 45;
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 3518517);
    assert_string_equal(d.items[0].code, "JKK_STMB");
}

static void test_expenses(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2024-06-03");
    c.medical = 187654321;
    c.transport_land = 5000001;
    c.transport_sea = 2000000;
    c.transport_air = 12000000;
    c.home_care = 25000000;
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 187654321 + 5000000 + 2000000 + 10000000 + 20000000);
    const char *order[] = {"JKK_MEDICAL", "JKK_TRANSPORT_LAND", "JKK_TRANSPORT_SEA", "JKK_TRANSPORT_AIR",
                           "JKK_HOME_CARE"};
    assert_int_equal(d.n_items, 5);
    for (int i = 0; i < 5; i++) assert_string_equal(d.items[i].code, order[i]);

    /* medical alone is not wage-based: W = 0 still pays it */
    m.wage = 0;
    c = s_jkk("2024-06-03");
    c.medical = 100;
    d = s_decide(&c, &m);
    s_approved(&d, 100);

    /* PP-44: any transport billed is unverified; home care is not a benefit */
    m = s_member();
    c = s_jkk("2018-09-04");
    c.medical = 2000000;
    c.transport_sea = 1;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");
    c.transport_sea = 0;
    c.transport_air = 5;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");
    c.transport_air = 0;
    c.home_care = 5000000;
    d = s_decide(&c, &m);
    s_approved(&d, 2000000);
    c.medical = 0;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "NO_BENEFIT_CLAIMED");
}

/* Every item at once, in §3 order. */
static void test_item_order(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2024-06-03");
    c.has_death_date = 1;
    c.death_date = D("2024-09-01");
    c.incapacity_days = 90;
    c.medical = 1;
    c.transport_land = 2;
    c.transport_sea = 3;
    c.transport_air = 4;
    c.home_care = 5;
    s_heir(&c, REL_CHILD, "3516000000000003");
    struct klaim_decision d = s_decide(&c, &m);
    const char *order[] = {"JKK_DEATH_LUMP_SUM", "JKK_FUNERAL", "JKK_PERIODIC", "JKK_STMB", "JKK_MEDICAL",
                           "JKK_TRANSPORT_LAND", "JKK_TRANSPORT_SEA", "JKK_TRANSPORT_AIR", "JKK_HOME_CARE"};
    s_approved(&d, 144000000 + 10000000 + 12000000 + 9000000 + 15);
    assert_int_equal(d.n_items, 9);
    for (int i = 0; i < 9; i++) assert_string_equal(d.items[i].code, order[i]);
    assert_int_equal(d.scholarship_children, 1);
}

/* ---- money */

static void test_money(void **state)
{
    (void)state;
    int64_t v = 7;
    assert_int_equal(money_mul(INT64_MAX, 2, &v), -1);
    assert_int_equal(v, 7);
    assert_int_equal(money_add(INT64_MAX, 1, &v), -1);
    assert_int_equal(money_mul(-1, 2, &v), -1);
    assert_int_equal(money_mul(1000000000000LL, 56, &v), 0);
    assert_int_equal(v, 56000000000000LL);
    assert_int_equal(money_floor_frac(3456789, 80 * 1200, 1, 10000, "t", &v), 0);
    assert_int_equal(v, 33185174);
    assert_int_equal(money_floor_frac(INT64_MAX, INT64_MAX, 1, 1, "t", &v), -1);
    assert_int_equal(money_floor_frac(1, 1, 1, 0, "t", &v), -1);

    /* W = 10^12 with bp 10000/10000: W·80·t·f = 8·10^21, no wrap */
    assert_int_equal(benefits_partial(&klaim_rules_pp82_2019.jkk_partial, 1000000000000LL,
                                      DISABILITY_PARTIAL_FUNCTIONAL, 10000, 10000, &v),
                     0);
    assert_int_equal(v, 80000000000000LL);
    assert_int_equal(benefits_partial(&klaim_rules_pp82_2019.jkk_partial, 1000000000000LL,
                                      DISABILITY_PARTIAL_ANATOMICAL, 10000, 0, &v),
                     0);
    assert_int_equal(v, 80000000000000LL);
    assert_int_equal(benefits_stmb(&klaim_rules_pp82_2019.jkk_stmb, 1000000000000LL, 36500, &v), 0);
    assert_int_equal(v, 614333333333333LL);
    assert_int_equal(benefits_stmb(&klaim_rules_pp44_2015.jkk_stmb, 1000000000000LL, 36500, &v), 0);
    assert_int_equal(v, 612833333333333LL);

    /* the whole decision at the bounds */
    struct klaim_member m = s_member();
    m.wage = 1000000000000LL;
    struct klaim_claim c = s_jkk("2024-06-03");
    c.disability = DISABILITY_PARTIAL_FUNCTIONAL;
    c.table_bp = 7000;
    c.function_loss_bp = 10000;
    c.incapacity_days = 36500;
    c.medical = c.transport_land = c.transport_sea = c.transport_air = c.home_care = 1000000000000LL;
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 56000000000000LL + 614333333333333LL + 1000000000000LL + 5000000 + 2000000 + 10000000 +
                       20000000);

    /* a negative wage (outside §8) never wraps: review */
    m.wage = -1;
    c = s_jkk("2024-06-03");
    c.incapacity_days = 3;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "INCONSISTENT_DATA");
}

/* ---- reason codes, each at its boundary */

static void test_not_found_and_inconsistent(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2024-06-03");
    c.incapacity_days = 3;
    struct klaim_decision d;
    decide_claim(&c, NULL, 0, &d);
    s_refused(&d, STATE_REJECTED, "PARTICIPANT_NOT_FOUND");
    assert_int_equal(d.wage_basis, 0);
    assert_string_equal(d.rule_set, "PP-82-2019");

    strcpy(c.nik, "3516000000000009");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "INCONSISTENT_DATA");
    c = s_jkk("2024-06-03");
    c.incapacity_days = 3;
    m.birth_date = D("2024-06-04");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "INCONSISTENT_DATA");
    m.birth_date = D("2024-06-03");
    d = s_decide(&c, &m);
    s_approved(&d, 300000);

    m = s_member();
    c = s_jkm("2024-06-03");
    c.circumstance = CIRC_COMMUTE;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "INCONSISTENT_DATA");

    c = s_jkk("2024-06-03");
    c.has_death_date = 1;
    c.death_date = c.event_date;
    c.disability = DISABILITY_TOTAL;
    s_heir(&c, REL_SPOUSE, "3516000000000002");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "INCONSISTENT_DATA");
}

static void test_category_program_coverage(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2024-06-03");
    c.medical = 10;
    m.category = CAT_ASN;
    m.programs = 0; /* also not held: step 4 comes first */
    struct klaim_decision d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "CATEGORY_NOT_COVERED");

    m = s_member();
    m.programs = KLAIM_PROG_BIT(PROGRAM_JKM);
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "PROGRAM_NOT_HELD");

    m = s_member();
    m.coverage_start = D("2024-06-04");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "EVENT_OUTSIDE_COVERAGE");
    m.coverage_start = D("2024-06-03");
    d = s_decide(&c, &m);
    s_approved(&d, 10);

    m.has_coverage_end = 1;
    m.coverage_end = D("2024-06-03");
    d = s_decide(&c, &m);
    s_approved(&d, 10);
    m.coverage_end = D("2024-06-02");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "EVENT_OUTSIDE_COVERAGE");
}

static void test_pak_after_coverage(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    m.has_coverage_end = 1;
    m.coverage_end = D("2021-01-31");
    m.paid_through = M("2021-01");   /* ref = coverage_end month: 0 unpaid */
    struct klaim_claim c = s_jkk("2024-01-31");
    c.event_type = EVENT_OCCUPATIONAL_DISEASE;
    c.medical = 10;
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 10);
    c = s_jkk("2024-02-01");
    c.event_type = EVENT_OCCUPATIONAL_DISEASE;
    c.medical = 10;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "PAK_AFTER_COVERAGE_LIMIT");
    /* an accident after coverage_end has no such grace */
    c = s_jkk("2021-02-01");
    c.medical = 10;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "EVENT_OUTSIDE_COVERAGE");

    /* 29 Feb coverage_end: the limit is 28 Feb three years later */
    m.coverage_end = D("2020-02-29");
    m.paid_through = M("2020-02");
    c = s_jkk("2023-02-28");
    c.event_type = EVENT_OCCUPATIONAL_DISEASE;
    c.medical = 10;
    d = s_decide(&c, &m);
    s_approved(&d, 10);
    c.event_date = c.reported_date = D("2023-03-01");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "PAK_AFTER_COVERAGE_LIMIT");

    /* a BPU PAK with arrears counted to the coverage_end month */
    m.category = CAT_BPU;
    m.paid_through = M("2019-11");
    c.event_date = c.reported_date = D("2022-05-01");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "BPU_INACTIVE");
    assert_non_null(strstr(d.reasons[0].message, "ref month 2020-02"));
}

static void test_lapse(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2020-03-10");
    c.incapacity_days = 30;
    c.reported_date = D("2025-03-10");
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 3000000);
    c.reported_date = D("2025-03-11");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "CLAIM_LAPSED");

    /* PP-44: 2 years; 29 Feb + 2 years = 28 Feb */
    c = s_jkk("2016-02-29");
    c.incapacity_days = 30;
    c.reported_date = D("2018-02-28");
    d = s_decide(&c, &m);
    s_approved(&d, 3000000);
    c.reported_date = D("2018-03-01");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "CLAIM_LAPSED");
    assert_non_null(strstr(d.reasons[0].message, "2018-02-28"));

    /* PP-82 29 Feb: 2020-02-29 + 5 = 2025-02-28 */
    c = s_jkk("2020-02-29");
    c.incapacity_days = 30;
    c.reported_date = D("2025-02-28");
    d = s_decide(&c, &m);
    s_approved(&d, 3000000);
    c.reported_date = D("2025-03-01");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "CLAIM_LAPSED");

    /* JKM has no lapse rule */
    c = s_jkm("2016-01-10");
    c.reported_date = D("2030-01-01");
    d = s_decide(&c, &m);
    s_approved(&d, 24000000);
}

static void test_arrears(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    m.category = CAT_BPU;
    m.paid_through = M("2025-12");
    struct klaim_claim c = s_jkm("2026-03-10");
    struct klaim_decision d = s_decide(&c, &m);
    s_refused(&d, STATE_REJECTED, "BPU_INACTIVE");
    assert_non_null(strstr(d.reasons[0].message, "event 2026-03-10 is 3 unpaid months after paid_through 2025-12"));
    c = s_jkm("2026-02-10");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "BPU_ARREARS");
    c = s_jkm("2026-01-31");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "BPU_ARREARS");
    c = s_jkm("2025-12-31");
    d = s_decide(&c, &m);
    s_approved(&d, 42000000);

    enum klaim_category cats[] = {CAT_PU, CAT_PU_GOV, CAT_JAKON};
    for (int i = 0; i < 3; i++) {
        m.category = cats[i];
        m.paid_through = M("2025-11");
        c = s_jkk("2026-02-09"); /* Dec, Jan, Feb: 3 unpaid, BPJS pays */
        c.medical = 10;
        d = s_decide(&c, &m);
        s_approved(&d, 10);
        c = s_jkk("2026-03-09"); /* 4 unpaid */
        c.medical = 10;
        d = s_decide(&c, &m);
        s_refused(&d, STATE_PENDING_REVIEW, "EMPLOYER_ARREARS");
    }
}

static void test_report_late(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2025-02-24");
    c.medical = 10;
    c.reported_date = c.event_date + 2;
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 10);
    c.reported_date = c.event_date + 3;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "REPORT_LATE");
    /* before Permenaker 1/2025: no lateness rule */
    c = s_jkk("2025-02-23");
    c.medical = 10;
    c.reported_date = c.event_date + 30;
    d = s_decide(&c, &m);
    s_approved(&d, 10);
    /* JKM is not subject to it */
    c = s_jkm("2025-06-01");
    c.reported_date = c.event_date + 30;
    d = s_decide(&c, &m);
    s_approved(&d, 42000000);
}

static void test_heirs_and_duplicate(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkm("2025-06-01");
    c.n_heirs = 0;
    struct klaim_decision d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "HEIRS_MISSING");

    c = s_jkk("2025-06-01");
    c.has_death_date = 1;
    c.death_date = c.event_date;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "HEIRS_MISSING");

    c = s_jkk("2025-06-01"); /* not a death claim: heirs not needed */
    c.medical = 5;
    d = s_decide(&c, &m);
    s_approved(&d, 5);

    decide_claim(&c, &m, 42, &d);
    s_refused(&d, STATE_PENDING_REVIEW, "DUPLICATE_CLAIM");
    assert_non_null(strstr(d.reasons[0].message, "k-000000000042"));

    /* an earlier step wins over the duplicate */
    strcpy(c.nik, "3516000000000009");
    decide_claim(&c, &m, 42, &d);
    s_refused(&d, STATE_PENDING_REVIEW, "INCONSISTENT_DATA");
}

static void test_rule_unverified(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    m.wage = 0;
    struct klaim_claim c = s_jkk("2025-06-01");
    c.incapacity_days = 1;
    struct klaim_decision d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");
    assert_int_equal(d.wage_basis, 0);

    /* PP-82 death with W = 0: unverified, even though a floor exists */
    c = s_jkk("2025-06-01");
    c.has_death_date = 1;
    c.death_date = c.event_date;
    s_heir(&c, REL_SPOUSE, "3516000000000002");
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");

    c = s_jkk("2025-06-01");
    c.disability = DISABILITY_TOTAL;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");

    c = s_jkk("2025-06-01");
    c.disability = DISABILITY_PARTIAL_ANATOMICAL;
    c.table_bp = 100;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");

    /* several conditions: each gets a reason */
    c = s_jkk("2018-06-01");
    c.incapacity_days = 1;
    c.transport_land = 1;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "RULE_UNVERIFIED");
    assert_int_equal(d.n_reasons, 2);
    assert_string_equal(d.reasons[1].code, "RULE_UNVERIFIED");
}

static void test_no_benefit(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2026-03-02");
    struct klaim_decision d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "NO_BENEFIT_CLAIMED");
    assert_int_equal(d.wage_basis, 3000000);
    /* PARTIAL with table 0 pays nothing */
    c.disability = DISABILITY_PARTIAL_ANATOMICAL;
    d = s_decide(&c, &m);
    s_refused(&d, STATE_PENDING_REVIEW, "NO_BENEFIT_CLAIMED");
}

/* ---- scholarship_children (§6) */

static void test_scholarship(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    m.coverage_start = D("2020-01-15");
    /* PP-82 JKM: contrib Jan 2020..Dec 2022 = 36 months */
    struct klaim_claim c = s_jkm("2022-12-20");
    s_heir(&c, REL_CHILD, "3516000000000003");
    s_heir(&c, REL_CHILD, "3516000000000003"); /* same child twice */
    s_heir(&c, REL_CHILD, "3516000000000004");
    s_heir(&c, REL_CHILD, "3516000000000005");
    s_heir(&c, REL_GRANDCHILD, "3516000000000006");
    assert_int_equal(benefits_child_heirs(&c), 3);
    struct klaim_decision d = s_decide(&c, &m);
    s_approved(&d, 42000000);
    assert_int_equal(d.scholarship_children, 2);
    c.event_date = D("2022-11-30"); /* 35 months */
    c.reported_date = c.event_date + 1;
    d = s_decide(&c, &m);
    assert_int_equal(d.scholarship_children, 0);
    /* paid_through before ref caps the count */
    m.paid_through = M("2022-11");
    c.event_date = D("2022-12-20");
    d = s_decide(&c, &m);
    s_approved(&d, 42000000);
    assert_int_equal(d.scholarship_children, 0);

    /* PP-44 JKM: 60 months, at most 1 child */
    m = s_member();
    m.coverage_start = D("2013-01-01");
    c = s_jkm("2017-12-31"); /* Jan 2013..Dec 2017 = 60 */
    s_heir(&c, REL_CHILD, "3516000000000003");
    s_heir(&c, REL_CHILD, "3516000000000004");
    d = s_decide(&c, &m);
    assert_int_equal(d.scholarship_children, 1);
    c.event_date = D("2017-11-30");
    d = s_decide(&c, &m);
    s_approved(&d, 24000000);
    assert_int_equal(d.scholarship_children, 0);

    /* JKK death or TOTAL: no minimum period; partial: none */
    m = s_member();
    m.coverage_start = D("2025-06-01");
    c = s_jkk("2025-06-01");
    c.disability = DISABILITY_TOTAL;
    s_heir(&c, REL_CHILD, "3516000000000003");
    s_heir(&c, REL_CHILD, "3516000000000004");
    s_heir(&c, REL_CHILD, "3516000000000007");
    d = s_decide(&c, &m);
    assert_int_equal(d.scholarship_children, 2);
    c.disability = DISABILITY_PARTIAL_ANATOMICAL;
    c.table_bp = 1000;
    d = s_decide(&c, &m);
    s_approved(&d, 24000000);
    assert_int_equal(d.scholarship_children, 0);
    /* not approved: 0 */
    c.disability = DISABILITY_TOTAL;
    decide_claim(&c, &m, 1, &d);
    assert_int_equal(d.scholarship_children, 0);
}

/* ---- same event (§6) */

static void test_same_event(void **state)
{
    (void)state;
    struct klaim_claim a = s_jkm("2024-01-10"), b = s_jkm("2024-01-10");
    assert_true(claim_same_event(&a, &b));
    strcpy(b.kpj, "24000000002");
    assert_false(claim_same_event(&a, &b)); /* other membership */

    b = s_jkk("2024-01-05");
    assert_false(claim_same_event(&a, &b));
    b.has_death_date = 1;
    b.death_date = D("2024-01-10");
    assert_true(claim_same_event(&a, &b));
    assert_true(claim_same_event(&b, &a));
    b.death_date = D("2024-01-11");
    assert_false(claim_same_event(&a, &b));

    /* a follow-up JKK claim for the same accident */
    a = s_jkk("2024-01-05");
    b = s_jkk("2024-01-05");
    b.incapacity_days = 10;
    assert_true(claim_same_event(&a, &b));
    b = s_jkk("2024-01-06");
    assert_false(claim_same_event(&a, &b));
}

/* ---- property test */

static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t s_next(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}
static int64_t s_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(s_next() % (uint64_t)(hi - lo + 1));
}
static int64_t s_money(void)
{
    switch (s_next() % 4) {
    case 0: return 0;
    case 1: return s_range(0, 10000000);
    case 2: return s_range(0, 1000000000000LL);
    default: return 1000000000000LL;
    }
}

static void test_property(void **state)
{
    (void)state;
    kdate lo = D("2014-01-01"), hi = D("2026-06-30");
    int approved = 0;
    for (int n = 0; n < 10000; n++) {
        struct klaim_member m = s_member();
        m.category = (enum klaim_category)s_range(CAT_PU, CAT_ASN);
        m.programs = (uint32_t)s_range(0, 3) << 1;
        m.wage = s_next() % 8 == 0 ? 0 : s_money();
        m.coverage_start = (kdate)s_range(lo - 3000, hi);
        m.has_coverage_end = (int)(s_next() % 2);
        m.coverage_end = (kdate)s_range(m.coverage_start, hi + 100);
        m.paid_through = kmonth_of((kdate)s_range(lo, hi + 400));
        m.birth_date = (kdate)s_range(D("1950-01-01"), D("2010-01-01"));

        struct klaim_claim c = s_jkk("2020-01-01");
        c.event_date = (kdate)s_range(lo, hi);
        c.reported_date = c.event_date + (kdate)(s_next() % 4 == 0 ? s_range(0, 3000) : s_range(0, 3));
        if (s_next() % 3 == 0) {
            c.program = PROGRAM_JKM;
            c.event_type = EVENT_DEATH;
            c.circumstance = s_next() % 20 == 0 ? CIRC_COMMUTE : CIRC_NONE;
        } else {
            c.event_type = s_next() % 4 == 0 ? EVENT_OCCUPATIONAL_DISEASE : EVENT_ACCIDENT;
            c.circumstance = (enum klaim_circumstance)s_range(CIRC_WORKPLACE, CIRC_WORK_TRAVEL);
            c.has_death_date = s_next() % 4 == 0;
            if (c.has_death_date) c.death_date = c.event_date + (kdate)s_range(0, 30);
            c.disability = c.has_death_date && s_next() % 10 ? DISABILITY_NONE
                                                               : (enum klaim_disability)s_range(0, 3);
            c.table_bp = (int32_t)s_range(0, 10000);
            c.function_loss_bp = (int32_t)s_range(0, 10000);
            c.incapacity_days = s_next() % 3 ? (int32_t)s_range(0, 500) : (int32_t)s_range(0, KLAIM_MAX_DAYS);
            c.medical = s_money();
            c.transport_land = s_next() % 2 ? 0 : s_money();
            c.transport_sea = s_next() % 2 ? 0 : s_money();
            c.transport_air = s_next() % 2 ? 0 : s_money();
            c.home_care = s_next() % 2 ? 0 : s_money();
        }
        int heirs = (int)s_range(0, 5);
        for (int i = 0; i < heirs; i++) {
            char nik[17];
            snprintf(nik, sizeof nik, "35160000000000%02d", (int)s_range(0, 6));
            s_heir(&c, (enum klaim_relation)s_range(REL_SPOUSE, REL_OTHER), nik);
        }
        if (s_next() % 50 == 0) strcpy(c.nik, "3516999999999999");

        const struct klaim_member *row = s_next() % 40 == 0 ? NULL : &m;
        int64_t dup = s_next() % 30 == 0 ? n + 1 : 0;
        struct klaim_decision d;
        decide_claim(&c, row, dup, &d);
        int64_t sum = 0;
        for (int i = 0; i < d.n_items; i++) {
            assert_true(d.items[i].amount > 0);
            assert_true(d.items[i].basis[0] != '\0');
            sum += d.items[i].amount;
        }
        assert_int_equal(sum, d.total);
        if (d.state == STATE_APPROVED) {
            approved++;
            assert_int_equal(d.n_reasons, 0);
            assert_true(d.total > 0);
            assert_true(d.scholarship_children >= 0 && d.scholarship_children <= 2);
        } else {
            assert_true(d.state == STATE_REJECTED || d.state == STATE_PENDING_REVIEW);
            assert_int_equal(d.total, 0);
            assert_int_equal(d.n_items, 0);
            assert_true(d.n_reasons >= 1);
            assert_int_equal(d.scholarship_children, 0);
        }
        /* pure: the same inputs give the same decision */
        struct klaim_decision d2;
        decide_claim(&c, row, dup, &d2);
        assert_memory_equal(&d, &d2, sizeof d);
    }
    assert_true(approved > 100); /* the generator reaches step 12 */
}


/* A reviewer's approval waives exactly the reasons named, one by one; a
 * REJECTED reason or an amount klaimd cannot compute is never waivable. */
static void test_waivers(void **state)
{
    (void)state;
    struct klaim_member m = s_member();
    struct klaim_claim c = s_jkk("2025-06-02");
    c.medical = 10;
    c.reported_date = c.event_date + 3; /* REPORT_LATE */
    c.n_heirs = 0;
    struct klaim_decision d;
    decide_claim_waived(&c, &m, 0, 0, &d);
    s_refused(&d, STATE_PENDING_REVIEW, "REPORT_LATE");
    decide_claim_waived(&c, &m, 0, klaim_waiver_for_code("REPORT_LATE"), &d);
    s_approved(&d, 10);
    /* waiving another reason changes nothing */
    decide_claim_waived(&c, &m, 0, klaim_waiver_for_code("BPU_ARREARS"), &d);
    s_refused(&d, STATE_PENDING_REVIEW, "REPORT_LATE");
    /* a second review reason (a duplicate) stops it again after the first is waived */
    decide_claim_waived(&c, &m, 42, klaim_waiver_for_code("REPORT_LATE"), &d);
    s_refused(&d, STATE_PENDING_REVIEW, "DUPLICATE_CLAIM");
    decide_claim_waived(&c, &m, 42, klaim_waiver_for_code("REPORT_LATE") | klaim_waiver_for_code("DUPLICATE_CLAIM"), &d);
    s_approved(&d, 10);
    assert_int_equal(klaim_waiver_for_code("RULE_UNVERIFIED"), 0);
    assert_int_equal(klaim_waiver_for_code("NO_BENEFIT_CLAIMED"), 0);
    assert_int_equal(klaim_waiver_for_code("PARTICIPANT_NOT_FOUND"), 0);
    assert_int_equal(klaim_waiver_for_code("BPU_INACTIVE"), 0);
    for (int bit = 0; klaim_waiver_code(bit); bit++)
        assert_int_equal(klaim_waiver_for_code(klaim_waiver_code(bit)), 1u << bit);
    /* BPU_INACTIVE (REJECTED) is not skipped by waiving BPU_ARREARS */
    m.category = CAT_BPU;
    m.paid_through = M("2025-03");
    c.reported_date = c.event_date + 1;
    decide_claim_waived(&c, &m, 0, 0xffffffffu, &d);
    s_refused(&d, STATE_REJECTED, "BPU_INACTIVE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regime_boundary),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_jkk_death),
        cmocka_unit_test(test_jkk_total_and_partial),
        cmocka_unit_test(test_stmb),
        cmocka_unit_test(test_expenses),
        cmocka_unit_test(test_item_order),
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_not_found_and_inconsistent),
        cmocka_unit_test(test_category_program_coverage),
        cmocka_unit_test(test_pak_after_coverage),
        cmocka_unit_test(test_lapse),
        cmocka_unit_test(test_arrears),
        cmocka_unit_test(test_report_late),
        cmocka_unit_test(test_heirs_and_duplicate),
        cmocka_unit_test(test_rule_unverified),
        cmocka_unit_test(test_no_benefit),
        cmocka_unit_test(test_scholarship),
        cmocka_unit_test(test_same_event),
        cmocka_unit_test(test_property),
        cmocka_unit_test(test_waivers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

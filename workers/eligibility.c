/* eligibility.c - steps 1-11 of rules.md §7, in their fixed order.
 *
 * Owns: scope, registry match, consistency, category, programme, coverage
 * (with the PAK 3-year rule), lapse, arrears, late report, heirs and
 * duplicate checks, and the reason messages that name the facts.
 * Runs in: klaim-worker via decide_claim() and unit tests; pure: the "as
 * of" date is the claim's R (reported_date), never the clock.
 * The first failing step decides: later steps are not evaluated, so
 * reasons[0] is always the earliest failing step.
 * See also: benefits.c (step 12), rules/ruleset.c (tables by event date).
 */
#include "eligibility.h"

#include "decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void decision_add_reason(struct klaim_decision *out, const char *code, const char *fmt, ...)
{
    if (out->n_reasons >= KLAIM_MAX_REASONS) return;
    struct klaim_reason *r = &out->reasons[out->n_reasons++];
    snprintf(r->code, sizeof r->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

int eligibility_death_claim(const struct klaim_claim *c, kdate *death_date)
{
    if (c->program == PROGRAM_JKM) {
        *death_date = c->event_date;
        return 1;
    }
    if (c->program == PROGRAM_JKK && c->has_death_date) {
        *death_date = c->death_date;
        return 1;
    }
    return 0;
}

/* Sets the failing state; the caller has added the reason. Returns 0 so a
 * step can `return s_fail(...)`. */
static int s_fail(struct klaim_decision *out, enum klaim_state st)
{
    out->state = st;
    out->n_items = 0;
    out->total = 0;
    out->scholarship_children = 0;
    return 0;
}

/* After a step failed with PENDING_REVIEW: if a reviewer waived that
 * reason (klaimctl review approve), forget it and let the next step run,
 * so a second, different review reason still stops the claim. Returns 1
 * when waived. */
static int s_waived(struct klaim_decision *out, uint32_t waive)
{
    if (out->state != STATE_PENDING_REVIEW || out->n_reasons == 0) return 0;
    uint32_t bit = klaim_waiver_for_code(out->reasons[out->n_reasons - 1].code);
    if (!(bit & waive)) return 0;
    out->n_reasons--;
    out->state = STATE_NONE;
    return 1;
}

/* A step found a review reason: PENDING_REVIEW, unless a reviewer waived
 * it. Returns 1 when the claim may go on to the next step. */
static int s_review(struct klaim_decision *out, uint32_t waive)
{
    s_fail(out, STATE_PENDING_REVIEW);
    return s_waived(out, waive);
}

/* The review reasons a person may accept, in bit order. Append only: the
 * bits are stored in klaim.db (claims.waive). */
static const char *const s_waivable[] = {"INCONSISTENT_DATA", "BPU_ARREARS", "EMPLOYER_ARREARS", "REPORT_LATE",
                                         "HEIRS_MISSING", "DUPLICATE_CLAIM"};

uint32_t klaim_waiver_for_code(const char *code)
{
    for (size_t i = 0; i < sizeof s_waivable / sizeof s_waivable[0]; i++)
        if (strcmp(code, s_waivable[i]) == 0) return 1u << i;
    return 0;
}

const char *klaim_waiver_code(int bit)
{
    return bit >= 0 && (size_t)bit < sizeof s_waivable / sizeof s_waivable[0] ? s_waivable[bit] : NULL;
}

static void s_programs(uint32_t programs, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", (programs & KLAIM_PROG_BIT(PROGRAM_JKK)) ? "JKK" : "",
             (programs & KLAIM_PROG_BIT(PROGRAM_JKK)) && (programs & KLAIM_PROG_BIT(PROGRAM_JKM)) ? ";" : "",
             (programs & KLAIM_PROG_BIT(PROGRAM_JKM)) ? "JKM" : "");
    if (!buf[0]) snprintf(buf, size, "none");
}

/* Step 3: facts that contradict the registry or each other. */
static int s_consistent(const struct klaim_claim *c, const struct klaim_member *m, struct klaim_decision *out)
{
    char a[11], b[11];
    if (strcmp(c->nik, m->nik) != 0) {
        decision_add_reason(out, "INCONSISTENT_DATA",
                            "claim participant.nik differs from the registry nik of kpj %s; check the "
                            "kpj or the nik",
                            m->kpj);
        return 0;
    }
    if (c->event_date < m->birth_date) {
        kdate_format(c->event_date, a);
        kdate_format(m->birth_date, b);
        decision_add_reason(out, "INCONSISTENT_DATA", "event.date %s is before the birth_date %s of kpj %s", a, b,
                            m->kpj);
        return 0;
    }
    if (c->program == PROGRAM_JKM && c->circumstance != CIRC_NONE) {
        decision_add_reason(out, "INCONSISTENT_DATA",
                            "JKM claim gives event.circumstance %s: a work-related death is claimed as JKK "
                            "(JKK and JKM exclude each other)",
                            klaim_circumstance_name(c->circumstance));
        return 0;
    }
    if (c->program == PROGRAM_JKK && c->has_death_date && c->disability != DISABILITY_NONE) {
        kdate_format(c->death_date, a);
        decision_add_reason(out, "INCONSISTENT_DATA",
                            "JKK claim gives both outcome.death_date %s and disability %s; give one outcome", a,
                            klaim_disability_name(c->disability));
        return 0;
    }
    return 1;
}

/* Step 6: coverage, and the PAK 3-year rule. Sets el->ref. */
static int s_covered(const struct klaim_claim *c, const struct klaim_member *m, struct klaim_decision *out,
                     struct klaim_eligibility *el)
{
    char a[11], b[11], l[11];
    kdate_format(c->event_date, a);
    el->ref = kmonth_of(c->event_date);
    if (c->event_date < m->coverage_start) {
        kdate_format(m->coverage_start, b);
        decision_add_reason(out, "EVENT_OUTSIDE_COVERAGE", "event.date %s is before coverage_start %s of kpj %s", a,
                            b, m->kpj);
        return 0;
    }
    if (!m->has_coverage_end || c->event_date <= m->coverage_end) return 1;
    kdate_format(m->coverage_end, b);
    if (c->program == PROGRAM_JKK && c->event_type == EVENT_OCCUPATIONAL_DISEASE) {
        int years = el->rs->jkk_pak_after_coverage_years.n;
        kdate limit = kdate_add_years(m->coverage_end, years);
        if (c->event_date <= limit) {
            el->ref = kmonth_of(m->coverage_end);
            return 1;
        }
        kdate_format(limit, l);
        decision_add_reason(out, "PAK_AFTER_COVERAGE_LIMIT",
                            "occupational disease diagnosed %s, more than %d years after coverage_end %s "
                            "(limit %s; %s)",
                            a, years, b, l, el->rs->jkk_pak_after_coverage_years.basis);
        return 0;
    }
    decision_add_reason(out, "EVENT_OUTSIDE_COVERAGE", "event.date %s is after coverage_end %s of kpj %s", a, b,
                        m->kpj);
    return 0;
}

/* Step 8: arrears, counted from the ref month (rules.md §6). */
static int s_arrears(const struct klaim_claim *c, const struct klaim_member *m, struct klaim_decision *out,
                     struct klaim_eligibility *el)
{
    char ev[11], pt[8], ref[8];
    int32_t unpaid = el->unpaid_months;
    if (unpaid <= 0) return 1;
    kdate_format(c->event_date, ev);
    kmonth_format(m->paid_through, pt);
    kmonth_format(el->ref, ref);
    int ref_is_event = el->ref == kmonth_of(c->event_date);
    if (m->category == CAT_BPU) {
        int32_t inactive = klaim_rule_constants.bpu_inactive_months.n;
        if (unpaid >= inactive) {
            if (ref_is_event)
                decision_add_reason(out, "BPU_INACTIVE",
                                    "event %s is %d unpaid months after paid_through %s; BPU coverage is "
                                    "inactive from %d",
                                    ev, unpaid, pt, inactive);
            else
                decision_add_reason(out, "BPU_INACTIVE",
                                    "ref month %s (coverage_end) is %d unpaid months after paid_through %s; "
                                    "BPU coverage is inactive from %d",
                                    ref, unpaid, pt, inactive);
            return s_fail(out, STATE_REJECTED);
        }
        if (ref_is_event)
            decision_add_reason(out, "BPU_ARREARS",
                                "event %s is %d unpaid month%s after paid_through %s; BPU coverage with 1-2 "
                                "unpaid months is unknown",
                                ev, unpaid, unpaid == 1 ? "" : "s", pt);
        else
            decision_add_reason(out, "BPU_ARREARS",
                                "ref month %s (coverage_end) is %d unpaid month%s after paid_through %s; BPU "
                                "coverage with 1-2 unpaid months is unknown",
                                ref, unpaid, unpaid == 1 ? "" : "s", pt);
        return s_fail(out, STATE_PENDING_REVIEW);
    }
    int32_t limit = klaim_rule_constants.employer_arrears_months.n;
    if (unpaid >= limit) {
        if (ref_is_event)
            decision_add_reason(out, "EMPLOYER_ARREARS",
                                "event %s is %d unpaid months after paid_through %s (more than %d): the "
                                "employer pays first, BPJS repays after the arrears are settled",
                                ev, unpaid, pt, limit - 1);
        else
            decision_add_reason(out, "EMPLOYER_ARREARS",
                                "ref month %s (coverage_end) is %d unpaid months after paid_through %s (more "
                                "than %d): the employer pays first",
                                ref, unpaid, pt, limit - 1);
        return s_fail(out, STATE_PENDING_REVIEW);
    }
    return 1;
}

/* Step 3, the earlier death (docs/money.md §1): klaimd found, in commit
 * order, a stored death claim of the same NIK on date D, and this claim is
 * an event after D or a death on another day. A person dies once. */
static int s_alive(const struct klaim_claim *c, const struct klaim_case_facts *f, struct klaim_decision *out)
{
    if (!f->earlier_death) return 1;
    char id[24], d[11], e[11];
    klaim_id_format(f->earlier_death, id, sizeof id);
    kdate_format(f->earlier_death_date, d);
    kdate death;
    if (eligibility_death_claim(c, &death) && death != f->earlier_death_date) {
        kdate_format(death, e);
        decision_add_reason(out, "INCONSISTENT_DATA",
                            "nik %s already died on %s (claim %s); this claim gives another death date, %s", c->nik, d,
                            id, e);
    } else {
        kdate_format(c->event_date, e);
        decision_add_reason(out, "INCONSISTENT_DATA", "event.date %s is after the death of nik %s on %s (claim %s)", e,
                            c->nik, d, id);
    }
    return 0;
}

int eligibility_heir_is_participant(const struct klaim_claim *c)
{
    for (int i = 0; i < c->n_heirs && i < KLAIM_MAX_HEIRS; i++)
        if (c->heirs[i].nik[0] && strcmp(c->heirs[i].nik, c->nik) == 0) return i + 1;
    return 0;
}

int eligibility_heir_with_nik(const struct klaim_claim *c)
{
    for (int i = 0; i < c->n_heirs && i < KLAIM_MAX_HEIRS; i++)
        if (c->heirs[i].nik[0]) return 1;
    return 0;
}

int eligibility_check(const struct klaim_claim *c, const struct klaim_member *m, const struct klaim_case_facts *f,
                      struct klaim_decision *out, struct klaim_eligibility *el)
{
    char a[11], b[11];
    const uint32_t waive = f->waive;
    memset(el, 0, sizeof *el);

    /* 1. scope, and the rule set by event date alone */
    el->rs = ruleset_for_event(c->event_date);
    if (!el->rs) {
        snprintf(out->rule_set, sizeof out->rule_set, "OUT_OF_SCOPE");
        kdate_format(c->event_date, a);
        kdate_format(ruleset_scope_start(), b);
        decision_add_reason(out, "EVENT_BEFORE_SCOPE",
                            "event.date %s is before %s: earlier events fall under PP 14/1993, which klaimd "
                            "does not implement",
                            a, b);
        return s_fail(out, STATE_REJECTED);
    }
    snprintf(out->rule_set, sizeof out->rule_set, "%s", el->rs->name);

    /* 2. registry row */
    if (!m) {
        decision_add_reason(out, "PARTICIPANT_NOT_FOUND", "kpj %s is not in the registry", c->kpj);
        return s_fail(out, STATE_REJECTED);
    }
    out->wage_basis = m->wage;

    /* 3. consistency; a waiver never skips the heir check: only new heirs
     * from a reviewer do (docs/money.md §3) */
    if (!s_consistent(c, m, out) && !s_review(out, waive)) return 0;
    if (!s_alive(c, f, out) && !s_review(out, waive)) return 0;
    int heir = eligibility_heir_is_participant(c);
    if (heir) {
        decision_add_reason(out, "INCONSISTENT_DATA",
                            "heirs[%d].nik is the participant's own nik %s: nobody inherits from themself; a "
                            "reviewer gives the heirs from the family card",
                            heir - 1, c->nik);
        return s_fail(out, STATE_PENDING_REVIEW);
    }

    /* 4. category */
    if (m->category == CAT_ASN) {
        decision_add_reason(out, "CATEGORY_NOT_COVERED",
                            "kpj %s is category ASN: civil servants' JKK/JKM is Taspen's (PP 70/2015), not "
                            "BPJS Ketenagakerjaan",
                            m->kpj);
        return s_fail(out, STATE_REJECTED);
    }

    /* 5. programme held */
    if (!(m->programs & KLAIM_PROG_BIT(c->program))) {
        char progs[16];
        s_programs(m->programs, progs, sizeof progs);
        decision_add_reason(out, "PROGRAM_NOT_HELD", "kpj %s does not hold %s (registry programs: %s)", m->kpj,
                            klaim_program_name(c->program), progs);
        return s_fail(out, STATE_REJECTED);
    }

    /* 6. coverage (sets the ref month) */
    if (!s_covered(c, m, out, el)) return s_fail(out, STATE_REJECTED);
    el->unpaid_months = el->ref > m->paid_through ? el->ref - m->paid_through : 0;
    {
        kmonth upto = m->paid_through < el->ref ? m->paid_through : el->ref;
        int32_t n = upto - kmonth_of(m->coverage_start) + 1;
        el->contrib_months = n > 0 ? n : 0;
    }

    /* 7. lapse (JKK only; JKM has none) */
    if (c->program == PROGRAM_JKK) {
        int years = el->rs->jkk_lapse_years.n;
        kdate limit = kdate_add_years(c->event_date, years);
        if (c->reported_date > limit) {
            char r[11], l[11];
            kdate_format(c->event_date, a);
            kdate_format(c->reported_date, r);
            kdate_format(limit, l);
            decision_add_reason(out, "CLAIM_LAPSED",
                                "event %s first reported %s, after the %d-year limit %s (%s)", a, r, years, l,
                                el->rs->regulation);
            return s_fail(out, STATE_REJECTED);
        }
    }

    /* 8. arrears */
    if (!s_arrears(c, m, out, el) && !s_waived(out, waive)) return 0;

    /* 9. late Tahap I report (Permenaker 1/2025) */
    if (c->program == PROGRAM_JKK && c->event_date >= ruleset_ymd_to_kdate(klaim_overlay_pmk1_2025.from)) {
        int grace = klaim_rule_constants.tahap1_grace_days.n;
        kdate due = c->event_date + grace;
        if (c->reported_date > due) {
            char r[11], d[11];
            kdate_format(c->event_date, a);
            kdate_format(c->reported_date, r);
            kdate_format(due, d);
            decision_add_reason(out, "REPORT_LATE",
                                "event %s first reported %s, after the %d x 24 h Tahap I deadline %s (%s): the "
                                "employer pays first and is reimbursed",
                                a, r, grace, d, klaim_overlay_pmk1_2025.name);
            if (!s_review(out, waive)) return 0;
        }
    }

    /* 10. heirs of a death claim: someone with a NIK to pay. Never waived:
     * a reviewer supplies heirs instead, so nothing is paid to a blank. */
    kdate death;
    if (eligibility_death_claim(c, &death) && !eligibility_heir_with_nik(c)) {
        kdate_format(death, a);
        if (c->n_heirs == 0)
            decision_add_reason(out, "HEIRS_MISSING", "death claim (death on %s) names no heirs; add heirs[]", a);
        else
            decision_add_reason(out, "HEIRS_MISSING",
                                "death claim (death on %s) names %d heir%s but none with a NIK: nobody can be paid; "
                                "give a heir's 16-digit NIK",
                                a, c->n_heirs, c->n_heirs == 1 ? "" : "s");
        return s_fail(out, STATE_PENDING_REVIEW);
    }

    /* 11. duplicate, found at intake in commit order */
    if (f->duplicate_of != 0) {
        char id[24];
        klaim_id_format(f->duplicate_of, id, sizeof id);
        decision_add_reason(out, "DUPLICATE_CLAIM",
                            "same event as earlier claim %s (same kpj and program and event date, or the same "
                            "death)",
                            id);
        if (!s_review(out, waive)) return 0;
    }
    return 1;
}

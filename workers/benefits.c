/* benefits.c - step 12 of rules.md §7: items from the rule table.
 *
 * Owns: the item formulas of rules.md §3 (listed in that order, zero items
 * omitted), the RULE_UNVERIFIED conditions (§4, §10 #1), NO_BENEFIT_CLAIMED,
 * and scholarship_children (§6).
 * Runs in: klaim-worker via decide_claim() and unit tests; pure.
 * Money: int64 whole Rupiah through money.h only; each item is one exact
 * fraction floored once (§8). Amounts and bases come from the table chosen
 * by event date; this file never spells an amount.
 */
#include "benefits.h"

#include <stdio.h>
#include <string.h>

#include "money.h"

/* The working state of one computation. */
struct s_calc {
    struct klaim_decision *out;
    int unverified;     /* RULE_UNVERIFIED reasons added */
    int bounds_error;   /* an amount overflowed or an input was negative */
    const char *bounds_what;
};

static void s_item(struct s_calc *k, const char *code, int64_t amount, const char *basis)
{
    struct klaim_decision *out = k->out;
    if (amount == 0) return;
    if (amount < 0) {
        k->bounds_error = 1;
        k->bounds_what = code;
        return;
    }
    ASSERT(out->n_items < KLAIM_MAX_ITEMS);
    struct klaim_item *it = &out->items[out->n_items++];
    snprintf(it->code, sizeof it->code, "%s", code);
    it->amount = amount;
    snprintf(it->basis, sizeof it->basis, "%s", basis);
}

static void s_bounds(struct s_calc *k, const char *what)
{
    if (!k->bounds_error) k->bounds_what = what;
    k->bounds_error = 1;
}

/* Record one RULE_UNVERIFIED condition (each gets its own reason). */
#define s_unverified(k, ...)                                          \
    do {                                                              \
        (k)->unverified++;                                            \
        decision_add_reason((k)->out, "RULE_UNVERIFIED", __VA_ARGS__); \
    } while (0)

int benefits_stmb(const struct kr_stmb *t, int64_t wage, int32_t days, int64_t *out)
{
    if (wage < 0 || days < 0 || t->days_per_month <= 0) return -1;
    int64_t weighted = 0;   /* sum of days x rate_bp; <= 36500 x 10000 per tier */
    int32_t prev = 0;
    for (int i = 0; i < t->n_tiers && prev < days; i++) {
        int32_t last = t->tiers[i].last_day;
        int32_t upto = (last == 0 || last > days) ? days : last;
        int64_t part;
        if (upto > prev) {
            if (money_mul(upto - prev, t->tiers[i].rate_bp, &part) || money_add(weighted, part, &weighted))
                return -1;
        }
        if (last == 0) break;
        prev = last;
    }
    return money_floor_frac(wage, weighted, 1, (int64_t)t->days_per_month * 10000, "JKK_STMB", out);
}

int benefits_partial(const struct kr_partial *p, int64_t wage, enum klaim_disability kind, int32_t table_bp,
                     int32_t function_loss_bp, int64_t *out)
{
    if (table_bp < 0 || function_loss_bp < 0) return -1;
    int64_t ft = (int64_t)p->factor * table_bp;
    if (kind == DISABILITY_PARTIAL_ANATOMICAL)
        return money_floor_frac(wage, ft, 1, 10000, "JKK_DISABILITY_PARTIAL", out);
    if (kind == DISABILITY_PARTIAL_FUNCTIONAL)
        return money_floor_frac(wage, ft, function_loss_bp, 100000000, "JKK_DISABILITY_PARTIAL", out);
    return -1;
}

int32_t benefits_child_heirs(const struct klaim_claim *c)
{
    int32_t n = 0;
    for (int i = 0; i < c->n_heirs && i < KLAIM_MAX_HEIRS; i++) {
        const struct klaim_heir *h = &c->heirs[i];
        if (h->relation != REL_CHILD) continue;
        int seen = 0;
        if (h->nik[0])
            for (int j = 0; j < i && !seen; j++)
                seen = c->heirs[j].relation == REL_CHILD && strcmp(c->heirs[j].nik, h->nik) == 0;
        if (!seen) n++;
    }
    return n;
}

int32_t benefits_scholarship_children(const struct klaim_claim *c, const struct klaim_ruleset *rs,
                                      int32_t contrib_months)
{
    int32_t max;
    if (c->program == PROGRAM_JKM) {
        if (contrib_months < rs->jkm_scholar_min_contrib_months.n) return 0;
        max = rs->jkm_scholar_max_children.n;
    } else if (c->program == PROGRAM_JKK && (c->has_death_date || c->disability == DISABILITY_TOTAL)) {
        max = rs->jkk_scholar_max_children.n;
    } else {
        return 0;
    }
    int32_t n = benefits_child_heirs(c);
    return n < max ? n : max;
}

/* A billed expense under a cap row (medical, transport, home care). */
static void s_capped(struct s_calc *k, const char *code, const struct kr_cap *row, int64_t billed)
{
    if (billed < 0) {
        s_bounds(k, code);
        return;
    }
    if (billed == 0 || !row->covered) return;
    if (!row->verified) {
        s_unverified(k, "%s billed %lld, but the cap of this regulation is unverified; review by hand", code,
                     (long long)billed);
        return;
    }
    s_item(k, code, row->cap_idr >= 0 && billed > row->cap_idr ? row->cap_idr : billed, row->basis);
}

static void s_jkk(struct s_calc *k, const struct klaim_claim *c, const struct klaim_ruleset *rs, int64_t w,
                  const char *kpj)
{
    int wage_based = c->has_death_date || c->disability != DISABILITY_NONE || c->incapacity_days > 0;
    int have_wage = w > 0;
    int64_t amt;

    if (wage_based && w < 0) {
        s_bounds(k, "registry wage");
        return;
    }
    if (wage_based && !have_wage)
        s_unverified(k, "registry wage of kpj %s is %lld (unknown) and the claim needs a wage-based item "
                        "(death, disability or STMB)",
                     kpj, (long long)w);

    /* death: lump sum, funeral, periodic */
    int periodic = 0;
    if (c->has_death_date) {
        if (have_wage) {
            if (money_mul(w, rs->jkk_death.wage_mult, &amt)) {
                s_bounds(k, "JKK_DEATH_LUMP_SUM");
            } else if (amt < rs->jkk_death.floor_idr && !rs->jkk_death.floor_verified) {
                s_unverified(k, "%s death: %d x wage = %lld is below %lld, an unverified floor; review by hand",
                                    rs->regulation, rs->jkk_death.wage_mult, (long long)amt,
                                    (long long)rs->jkk_death.floor_idr);
            } else {
                if (amt < rs->jkk_death.floor_idr) amt = rs->jkk_death.floor_idr;
                s_item(k, "JKK_DEATH_LUMP_SUM", amt, rs->jkk_death.basis);
            }
        }
        s_item(k, "JKK_FUNERAL", rs->jkk_funeral.idr, rs->jkk_funeral.basis);
        periodic = 1;
    }
    if (c->disability == DISABILITY_TOTAL) periodic = 1;
    if (periodic) s_item(k, "JKK_PERIODIC", rs->jkk_periodic.idr, rs->jkk_periodic.basis);   /* at most once */

    if (c->disability == DISABILITY_TOTAL && have_wage) {
        if (money_mul(w, rs->jkk_total_mult.n, &amt)) s_bounds(k, "JKK_DISABILITY_TOTAL");
        else s_item(k, "JKK_DISABILITY_TOTAL", amt, rs->jkk_total_basis);
    }

    if (c->disability == DISABILITY_PARTIAL_ANATOMICAL || c->disability == DISABILITY_PARTIAL_FUNCTIONAL) {
        if (c->table_bp > rs->jkk_partial.table_max_bp) {
            s_unverified(k, "disability table_bp %d is above %d, the highest known Lampiran III row; review "
                                "by hand",
                                (int)c->table_bp, (int)rs->jkk_partial.table_max_bp);
        } else if (have_wage) {
            if (benefits_partial(&rs->jkk_partial, w, c->disability, c->table_bp, c->function_loss_bp, &amt))
                s_bounds(k, "JKK_DISABILITY_PARTIAL");
            else
                s_item(k, "JKK_DISABILITY_PARTIAL", amt,
                       c->disability == DISABILITY_PARTIAL_ANATOMICAL ? rs->jkk_partial.basis_anatomical
                                                                      : rs->jkk_partial.basis_functional);
        }
    }

    if (c->incapacity_days > 0 && have_wage) {
        if (benefits_stmb(&rs->jkk_stmb, w, c->incapacity_days, &amt)) s_bounds(k, "JKK_STMB");
        else s_item(k, "JKK_STMB", amt, rs->jkk_stmb.basis);
    } else if (c->incapacity_days < 0) {
        s_bounds(k, "JKK_STMB");
    }

    s_capped(k, "JKK_MEDICAL", &rs->jkk_medical, c->medical);
    s_capped(k, "JKK_TRANSPORT_LAND", &rs->jkk_transport_land, c->transport_land);
    s_capped(k, "JKK_TRANSPORT_SEA", &rs->jkk_transport_sea, c->transport_sea);
    s_capped(k, "JKK_TRANSPORT_AIR", &rs->jkk_transport_air, c->transport_air);
    s_capped(k, "JKK_HOME_CARE", &rs->jkk_home_care, c->home_care);
}

static void s_clear(struct klaim_decision *out, enum klaim_state st)
{
    out->state = st;
    out->n_items = 0;
    memset(out->items, 0, sizeof out->items);
    out->total = 0;
    out->scholarship_children = 0;
}

void benefits_compute(const struct klaim_claim *c, const struct klaim_member *m, const struct klaim_eligibility *el,
                      struct klaim_decision *out)
{
    const struct klaim_ruleset *rs = el->rs;
    struct s_calc k = {.out = out};
    out->n_items = 0;

    if (c->program == PROGRAM_JKM) {
        s_item(&k, "JKM_LUMP_SUM", rs->jkm_lump.idr, rs->jkm_lump.basis);
        s_item(&k, "JKM_PERIODIC", rs->jkm_periodic.idr, rs->jkm_periodic.basis);
        s_item(&k, "JKM_FUNERAL", rs->jkm_funeral.idr, rs->jkm_funeral.basis);
    } else {
        s_jkk(&k, c, rs, m->wage, m->kpj);
    }

    int64_t total = 0;
    for (int i = 0; i < out->n_items && !k.bounds_error; i++)
        if (money_add(total, out->items[i].amount, &total)) s_bounds(&k, "total");

    if (k.bounds_error) {
        s_clear(out, STATE_PENDING_REVIEW);
        out->n_reasons = 0;
        decision_add_reason(out, "INCONSISTENT_DATA",
                            "%s is out of bounds (a negative input or an amount beyond int64); inputs must be "
                            "within rules.md §8",
                            k.bounds_what);
        log_error("benefits: kpj=%s item=%s out of bounds; intake should have refused this claim", m->kpj,
                  k.bounds_what);
        return;
    }
    if (k.unverified) {
        s_clear(out, STATE_PENDING_REVIEW);
        return;
    }
    if (total == 0) {
        s_clear(out, STATE_PENDING_REVIEW);
        if (c->home_care > 0 && !rs->jkk_home_care.covered)
            decision_add_reason(out, "NO_BENEFIT_CLAIMED",
                                "nothing payable: home care billed %lld is not a benefit under %s, and no other "
                                "outcome or expense is given",
                                (long long)c->home_care, rs->regulation);
        else
            decision_add_reason(out, "NO_BENEFIT_CLAIMED",
                                "nothing payable yet: no death_date, disability, incapacity_days or expense (a "
                                "Tahap I report without outcome); the 30-day KK decision clock runs");
        return;
    }
    out->state = STATE_APPROVED;
    out->total = total;
    out->n_reasons = 0;
    out->scholarship_children = benefits_scholarship_children(c, rs, el->contrib_months);
}

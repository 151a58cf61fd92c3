/* followup.c - see followup.h. */
#include "followup.h"

#include <stdio.h>
#include <string.h>

#include "benefits.h"
#include "money.h"
#include "payees.h"

/* The rank of a disability when claims of one event are merged. */
static int32_t s_disability_rank(const struct klaim_claim *c)
{
    if (c->disability == DISABILITY_TOTAL) return 10001;
    if (c->disability == DISABILITY_NONE) return -1;
    return c->table_bp;
}

/* a + b for a summed expense or day count, kept within the bounds every
 * claim is held to (an absurd sum is then refused like an absurd claim). */
static int64_t s_sum(int64_t a, int64_t b, int64_t max)
{
    int64_t r;
    if (money_add(a, b, &r) || r > max) return max;
    return r;
}

void followup_merge(const struct klaim_claim *c, const struct klaim_case_facts *f, struct klaim_claim *merged)
{
    *merged = *c;
    for (int i = 0; i < f->n_prior; i++) {
        const struct klaim_claim *p = &f->prior[i].claim;
        if (p->program != PROGRAM_JKK) {
            /* A JKM prior brings its death date only. */
            if (merged->program == PROGRAM_JKK && !merged->has_death_date)
                merged->has_death_date = 1, merged->death_date = p->event_date;
            continue;
        }
        merged->incapacity_days = (int32_t)s_sum(merged->incapacity_days, p->incapacity_days, KLAIM_MAX_DAYS);
        merged->medical = s_sum(merged->medical, p->medical, KLAIM_MAX_AMOUNT);
        merged->transport_land = s_sum(merged->transport_land, p->transport_land, KLAIM_MAX_AMOUNT);
        merged->transport_sea = s_sum(merged->transport_sea, p->transport_sea, KLAIM_MAX_AMOUNT);
        merged->transport_air = s_sum(merged->transport_air, p->transport_air, KLAIM_MAX_AMOUNT);
        merged->home_care = s_sum(merged->home_care, p->home_care, KLAIM_MAX_AMOUNT);
        if (merged->program == PROGRAM_JKK && !merged->has_death_date && p->has_death_date)
            merged->has_death_date = 1, merged->death_date = p->death_date;
        if (s_disability_rank(p) > s_disability_rank(merged)) {
            merged->disability = p->disability;
            merged->table_bp = p->table_bp;
            merged->function_loss_bp = p->function_loss_bp;
        }
    }
    if (merged->has_death_date) {
        merged->disability = DISABILITY_NONE;
        merged->table_bp = merged->function_loss_bp = 0;
    }
}

/* 1 when prior p is a death claim of the other programme for c's death. */
static int s_other_programme_death(const struct klaim_claim *c, const struct klaim_claim *merged,
                                   const struct klaim_claim *p)
{
    kdate mine, theirs;
    if (p->program == c->program || !eligibility_death_claim(p, &theirs)) return 0;
    return eligibility_death_claim(merged, &mine) && mine == theirs;
}

void followup_compute(const struct klaim_claim *c, const struct klaim_member *m, const struct klaim_eligibility *el,
                      const struct klaim_case_facts *f, struct klaim_decision *out)
{
    struct klaim_claim merged;
    followup_merge(c, f, &merged);
    struct klaim_decision whole = *out;
    benefits_compute(&merged, m, el, &whole);
    if (whole.state != STATE_APPROVED) {
        /* RULE_UNVERIFIED, bounds or nothing at all: as for a single claim. */
        *out = whole;
        return;
    }
    int one_death_paid = 0;
    for (int i = 0; i < f->n_prior; i++) one_death_paid |= s_other_programme_death(c, &merged, &f->prior[i].claim);

    out->n_items = 0;
    out->total = 0;
    char ids[160] = "";
    size_t used = 0;
    for (int i = 0; i < f->n_prior; i++) {
        char id[24];
        klaim_id_format(f->prior[i].claim_id, id, sizeof id);
        int n = snprintf(ids + used, sizeof ids - used, "%s%s", i ? ", " : "", id);
        if (n < 0 || (size_t)n >= sizeof ids - used) break;
        used += (size_t)n;
    }
    for (int i = 0; i < whole.n_items; i++) {
        const struct klaim_item *it = &whole.items[i];
        int64_t paid = 0;
        for (int p = 0; p < f->n_prior; p++)
            for (int j = 0; j < f->prior[p].n_items; j++)
                if (strcmp(f->prior[p].items[j].code, it->code) == 0) paid = s_sum(paid, f->prior[p].items[j].amount, INT64_MAX);
        int64_t net = it->amount > paid ? it->amount - paid : 0;
        if (one_death_paid && payees_death_item(it->code)) net = 0;
        if (net == 0) continue;
        struct klaim_item *o = &out->items[out->n_items++];
        *o = *it;
        o->amount = net;
        if (paid > 0) {
            char basis[sizeof o->basis];
            int n = snprintf(basis, sizeof basis, "%s; follow-up: %lld for the event less %lld paid", it->basis,
                             (long long)it->amount, (long long)paid);
            if (n > 0 && (size_t)n < sizeof basis) memcpy(o->basis, basis, (size_t)n + 1);
        }
        out->total += net;
    }
    if (out->total == 0) {
        out->state = STATE_PENDING_REVIEW;
        out->n_items = 0;
        out->scholarship_children = 0;
        out->n_reasons = 0;
        if (one_death_paid)
            decision_add_reason(out, "NO_BENEFIT_CLAIMED",
                                "nothing new to pay: this death was already paid under the other programme (%s); "
                                "one death pays one programme",
                                ids);
        else
            decision_add_reason(out, "NO_BENEFIT_CLAIMED",
                                "nothing new to pay: the event's approved claims (%s) already paid everything this "
                                "follow-up adds, within the caps",
                                ids);
        return;
    }
    out->state = STATE_APPROVED;
    out->n_reasons = 0;
    out->scholarship_children = whole.scholarship_children;
}

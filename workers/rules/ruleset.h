/* ruleset.h - the benefit regulations as data: one table per regime.
 *
 * Owns: the shape of a rule table (rules.md §2) and the lookup of the table
 * in force on an event date (§1), plus the procedural overlays and the
 * constants of §2.3.
 * Runs in: klaim-worker and tests; constant data, no state.
 * Every amount, multiple, cap, tier, deadline and scholarship limit is a
 * field here, each with the legal basis it comes from. Code in
 * eligibility.c / benefits.c never spells a Rupiah amount or a regulation.
 * A new regulation is a new table file (see pp82_2019.c) plus one line in
 * the list in ruleset.c.
 */
#ifndef KLAIM_RULESET_H
#define KLAIM_RULESET_H
#include <stdint.h>

#include "dates.h"

/* A date written as data: 20191202 for 2019-12-02. */
typedef int32_t klaim_ymd;
kdate ruleset_ymd_to_kdate(klaim_ymd ymd);

/* A flat amount in Rupiah. verified = 0: the amount is [U] in rules.md and
 * must never be paid; a claim that needs it goes to RULE_UNVERIFIED. */
struct kr_amount {
    int64_t idr;
    int verified;
    const char *basis;
};

/* A count (months, years, children, multiples, days). */
struct kr_count {
    int32_t n;
    const char *basis;
};

/* JKK death lump sum: wage_mult x W, at least floor_idr. When the floor is
 * unverified it is not applied: wage_mult x W below it is RULE_UNVERIFIED. */
struct kr_death {
    int32_t wage_mult;
    int64_t floor_idr;
    int floor_verified;
    const char *basis;
};

/* A billed expense paid up to a cap. covered = 0: not a benefit (pays 0).
 * cap_idr < 0: no cap. verified = 0: the cap is [U]; billed > 0 is
 * RULE_UNVERIFIED. */
struct kr_cap {
    int covered;
    int verified;
    int64_t cap_idr;
    const char *basis;
};

/* Partial permanent disability: factor x W x table_bp / 10^4 (anatomical),
 * times function_loss_bp / 10^4 more (functional). table_bp above
 * table_max_bp is beyond the known Lampiran III rows: RULE_UNVERIFIED. */
struct kr_partial {
    int32_t factor;
    int32_t table_max_bp;
    const char *basis_anatomical;
    const char *basis_functional;
};

/* STMB (wage replacement): day k of incapacity pays W / days_per_month at
 * the rate of the tier holding k. Tiers are in order; last_day 0 = open. */
#define KR_STMB_MAX_TIERS 4
struct kr_stmb_tier {
    int32_t last_day;
    int32_t rate_bp;
};
struct kr_stmb {
    int32_t days_per_month;
    int n_tiers;
    struct kr_stmb_tier tiers[KR_STMB_MAX_TIERS];
    const char *basis;
};

/* One benefit regulation (rules.md §2.1, §2.2), in force for events from
 * `from` (inclusive) until the next table's `from`. */
struct klaim_ruleset {
    const char *name;           /* decision rule_set, e.g. "PP-82-2019" */
    const char *regulation;     /* "PP 82/2019" */
    klaim_ymd from;
    const char *from_basis;

    /* JKM (§2.1) */
    struct kr_amount jkm_lump;
    struct kr_amount jkm_periodic;
    struct kr_amount jkm_funeral;
    struct kr_count jkm_scholar_min_contrib_months;
    struct kr_count jkm_scholar_max_children;

    /* JKK (§2.2) */
    struct kr_death jkk_death;
    struct kr_amount jkk_funeral;
    struct kr_amount jkk_periodic;
    struct kr_count jkk_total_mult;
    const char *jkk_total_basis;
    struct kr_partial jkk_partial;
    struct kr_stmb jkk_stmb;
    struct kr_cap jkk_medical;
    struct kr_cap jkk_transport_land;
    struct kr_cap jkk_transport_sea;
    struct kr_cap jkk_transport_air;
    struct kr_cap jkk_home_care;
    struct kr_count jkk_lapse_years;
    struct kr_count jkk_pak_after_coverage_years;
    struct kr_count jkk_scholar_max_children;
};

/* A procedural overlay (§1): changes procedure from an event date, never
 * amounts. */
struct klaim_overlay {
    const char *name;
    klaim_ymd from;
    const char *basis;
};

/* §2.3 constants that are not per regulation. */
struct klaim_rule_constants {
    struct kr_count tahap1_grace_days;        /* on time if R <= event + 2 */
    struct kr_count bpu_inactive_months;      /* unpaid >= 3: REJECTED */
    struct kr_count employer_arrears_months;  /* unpaid >= 4: review */
};

extern const struct klaim_ruleset klaim_rules_pp44_2015;
extern const struct klaim_ruleset klaim_rules_pp82_2019;
extern const struct klaim_overlay klaim_overlay_pp49_2023;   /* PU_GOV; 30-day KK/PAK clock */
extern const struct klaim_overlay klaim_overlay_pmk1_2025;   /* REPORT_LATE from this event date */
extern const struct klaim_rule_constants klaim_rule_constants;

/* The table in force on an event date, or NULL before the first table
 * (OUT_OF_SCOPE). Depends only on the event date (rules.md §1). */
const struct klaim_ruleset *ruleset_for_event(kdate event_date);
/* The first date any table covers (SCOPE_START, 2015-07-01). */
kdate ruleset_scope_start(void);
/* The tables, oldest first (for tests and documentation). */
const struct klaim_ruleset *const *ruleset_all(int *n);

#endif

/* pp44_2015.c - the rule table of PP 44/2015 (rule_set "PP-44-2015").
 *
 * Owns: the JKK and JKM amounts, multiples, caps, tiers and limits for
 * events from 2015-07-01 to 2019-12-01 (rules.md §1, §2), each with its
 * source. Unconfirmed values ([U] in rules.md) are marked verified = 0 and
 * are never paid: a claim needing one goes to RULE_UNVERIFIED.
 * Runs in: linked into klaim_rules; constant data.
 */
#include "ruleset.h"

const struct klaim_ruleset klaim_rules_pp44_2015 = {
    .name = "PP-44-2015",
    .regulation = "PP 44/2015",
    .from = 20150701,
    .from_basis = "PP 44/2015, signed 30 Jun 2015, in force 1 Jul 2015 (S23 S58)",

    .jkm_lump = {16200000, 1, "PP 44/2015: JKM lump sum 16,200,000"},
    .jkm_periodic = {4800000, 1, "PP 44/2015: JKM periodic 24 x 200,000 paid at once"},
    .jkm_funeral = {3000000, 1, "PP 44/2015: JKM funeral 3,000,000"},
    .jkm_scholar_min_contrib_months = {60, "PP 44/2015: scholarship after 5 years of contributions (S1 S14)"},
    .jkm_scholar_max_children = {1, "PP 44/2015: scholarship for 1 child (S4 S12)"},

    /* The 16,200,000 floor is inferred [U]: not applied (rules.md §2.2). */
    .jkk_death = {48, 16200000, 0, "PP 44/2015: 48 x wage"},
    .jkk_funeral = {3000000, 1, "PP 44/2015: JKK funeral 3,000,000"},
    .jkk_periodic = {4800000, 1, "PP 44/2015: JKK periodic 24 x 200,000 paid at once"},
    .jkk_total_mult = {56, "PP 44/2015: total disability 70 % x 80 = 56 x wage (S6 S8)"},
    .jkk_total_basis = "PP 44/2015: 56 x wage (total permanent disability)",
    .jkk_partial = {80, 7000, "PP 44/2015: table % x 80 x wage (Lampiran III)",
                    "PP 44/2015: table % x loss-of-function % x 80 x wage (Lampiran III)"},
    .jkk_stmb = {30, 3, {{180, 10000}, {360, 7500}, {0, 5000}},
                 "PP 44/2015: STMB days 1-180 at 100 %, 181-360 at 75 %, 361+ at 50 % of wage/30"},
    .jkk_medical = {1, 1, -1, "PP 44/2015: medical care at PLKK as billed, no cap"},
    /* Caps of 1.0 / 1.5 / 2.5 M are from memory only [U]: never paid. */
    .jkk_transport_land = {1, 0, 1000000, "PP 44/2015: land transport cap unverified (1,000,000 from memory)"},
    .jkk_transport_sea = {1, 0, 1500000, "PP 44/2015: sea transport cap unverified (1,500,000 from memory)"},
    .jkk_transport_air = {1, 0, 2500000, "PP 44/2015: air transport cap unverified (2,500,000 from memory)"},
    .jkk_home_care = {0, 1, 0, "PP 44/2015: home care is not a benefit"},
    .jkk_lapse_years = {2, "PP 44/2015: JKK claim lapses 2 years after the event (S23)"},
    .jkk_pak_after_coverage_years = {3, "Perpres 7/2019: PAK up to 3 years after coverage ends (S39)"},
    .jkk_scholar_max_children = {1, "PP 44/2015: scholarship for 1 child (S2 S12)"},
};

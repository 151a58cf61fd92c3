/* pp82_2019.c - the rule table of PP 82/2019 (rule_set "PP-82-2019").
 *
 * Owns: the JKK and JKM amounts, multiples, caps, tiers and limits for
 * events from 2019-12-02 (rules.md §1, §2), each with its source.
 * Runs in: linked into klaim_rules; constant data, read by ruleset.c,
 * eligibility.c and benefits.c.
 * The basis strings are copied verbatim into decision items: keep them
 * short (< 128 bytes) and naming the regulation.
 */
#include "ruleset.h"

const struct klaim_ruleset klaim_rules_pp82_2019 = {
    .name = "PP-82-2019",
    .regulation = "PP 82/2019",
    .from = 20191202,
    .from_basis = "PP 82/2019 in force on promulgation, 2 Dec 2019; applied by event date (S1 S2)",

    .jkm_lump = {20000000, 1, "PP 82/2019 Ps. 34: JKM lump sum 20,000,000"},
    .jkm_periodic = {12000000, 1, "PP 82/2019: JKM periodic 24 x 500,000 paid at once"},
    .jkm_funeral = {10000000, 1, "PP 82/2019: JKM funeral 10,000,000"},
    .jkm_scholar_min_contrib_months = {36, "PP 82/2019: scholarship after 3 years of contributions (S1 S14)"},
    .jkm_scholar_max_children = {2, "PP 82/2019: scholarship for at most 2 children (S4 S12)"},

    .jkk_death = {48, 20000000, 1, "PP 82/2019: 48 x wage, min 20,000,000"},
    .jkk_funeral = {10000000, 1, "PP 82/2019: JKK funeral 10,000,000"},
    .jkk_periodic = {12000000, 1, "PP 82/2019: JKK periodic 24 x 500,000 paid at once"},
    .jkk_total_mult = {56, "PP 82/2019: total disability 70 % x 80 = 56 x wage (S6 S8)"},
    .jkk_total_basis = "PP 82/2019: 56 x wage (total permanent disability)",
    .jkk_partial = {80, 7000, "PP 82/2019: table % x 80 x wage (Lampiran III)",
                    "PP 82/2019: table % x loss-of-function % x 80 x wage (Lampiran III)"},
    .jkk_stmb = {30, 2, {{360, 10000}, {0, 5000}},
                 "PP 82/2019: STMB days 1-360 at 100 %, 361+ at 50 % of wage/30"},
    .jkk_medical = {1, 1, -1, "PP 82/2019: medical care at PLKK as billed, no cap"},
    .jkk_transport_land = {1, 1, 5000000, "PP 82/2019: land/river/lake transport up to 5,000,000"},
    .jkk_transport_sea = {1, 1, 2000000, "PP 82/2019: sea transport up to 2,000,000"},
    .jkk_transport_air = {1, 1, 10000000, "PP 82/2019: air transport up to 10,000,000"},
    .jkk_home_care = {1, 1, 20000000, "PP 82/2019: home care up to 20,000,000 (up to 1 year)"},
    .jkk_lapse_years = {5, "PP 82/2019 Ps. 26: JKK claim lapses 5 years after the event (S1 S3)"},
    .jkk_pak_after_coverage_years = {3, "Perpres 7/2019: PAK up to 3 years after coverage ends (S39)"},
    .jkk_scholar_max_children = {2, "PP 82/2019: scholarship for at most 2 children (S2 S12)"},
};

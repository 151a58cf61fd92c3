/* ruleset.c - which rule table applies to an event, and the overlays.
 *
 * Owns: the list of benefit regulations in force-date order, the
 * procedural overlays (PP 49/2023, Permenaker 1/2025) and the §2.3
 * constants, all as data.
 * Runs in: klaim-worker and tests; pure, no state.
 * The rule set depends only on the event date (rules.md §1): never on the
 * claim date or today. To add a regulation, write its table file and add
 * one line to s_tables below (oldest first).
 */
#include "ruleset.h"

#include <stddef.h>

static const struct klaim_ruleset *const s_tables[] = {
    &klaim_rules_pp44_2015,
    &klaim_rules_pp82_2019,
};
#define S_N_TABLES ((int)(sizeof s_tables / sizeof s_tables[0]))

const struct klaim_overlay klaim_overlay_pp49_2023 = {
    "PP 49/2023", 20231006,
    "PP 49/2023 Ps. 25A/25B: PU_GOV category, 30-day KK/PAK decision clock; "
    "fixing date 2023-10-06, effective date unverified (S15 S16 S17)",
};

const struct klaim_overlay klaim_overlay_pmk1_2025 = {
    "Permenaker 1/2025", 20250224,
    "Permenaker 1/2025 Ps. 8(2a)-(2c): late Tahap I report makes JKK the employer's duty first; "
    "promulgation 2025-02-24, effective date unverified (S18a S19)",
};

const struct klaim_rule_constants klaim_rule_constants = {
    .tahap1_grace_days = {2, "Permenaker 1/2025 Ps. 8: Tahap I report within 2 x 24 h (S18a S21)"},
    .bpu_inactive_months = {3, "BPU inactive after 3 unpaid months (S25 S26)"},
    .employer_arrears_months = {4, "more than 3 months of employer arrears: employer pays first (S24)"},
};

kdate ruleset_ymd_to_kdate(klaim_ymd ymd)
{
    return kdate_from_ymd(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

/* The last table whose `from` is on or before the event date. */
const struct klaim_ruleset *ruleset_for_event(kdate event_date)
{
    const struct klaim_ruleset *found = NULL;
    for (int i = 0; i < S_N_TABLES; i++)
        if (ruleset_ymd_to_kdate(s_tables[i]->from) <= event_date)
            found = s_tables[i];
    return found;
}

kdate ruleset_scope_start(void)
{
    return ruleset_ymd_to_kdate(s_tables[0]->from);
}

const struct klaim_ruleset *const *ruleset_all(int *n)
{
    *n = S_N_TABLES;
    return s_tables;
}

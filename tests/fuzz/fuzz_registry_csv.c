/* fuzz_registry_csv.c - libFuzzer harness of the registry CSV parser.
 *
 * Owns: LLVMFuzzerTestOneInput over registry_csv_row() and
 * registry_csv_header() (workers/registry_csv.c): the input is one line.
 * Runs in: fuzz_registry_csv (clang, -DKLAIM_FUZZ=ON) and replay_registry_csv
 * (any compiler, ctest, over tests/fuzz/corpus/registry_csv/).
 * Besides memory errors it checks what callers rely on for an accepted row:
 * every column within its bounds, and an error message on every refusal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry_csv.h"

static void s_check(int ok)
{
    if (!ok) abort();
}

static int s_digits(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    char why[256];
    why[0] = '\0';
    if (registry_csv_header(line, size, why, sizeof why) < 0) s_check(why[0] != '\0');

    struct klaim_member m;
    why[0] = '\0';
    if (registry_csv_row(line, size, &m, why, sizeof why) < 0) {
        s_check(why[0] != '\0' && strlen(why) < sizeof why);
        return 0;
    }
    s_check(s_digits(m.kpj, 11));
    s_check(s_digits(m.nik, 16));
    s_check(m.name[0] != '\0' && strlen(m.name) <= KLAIM_TEXT_MAX);
    s_check(m.regency[0] != '\0' && strlen(m.regency) <= KLAIM_TEXT_MAX);
    s_check(strlen(m.sponsor) <= KLAIM_TEXT_MAX);
    s_check(m.category != CAT_NONE);
    s_check(m.programs != 0 &&
            (m.programs & ~(KLAIM_PROG_BIT(PROGRAM_JKK) | KLAIM_PROG_BIT(PROGRAM_JKM))) == 0);
    s_check(m.wage >= 0 && m.wage <= KLAIM_MAX_AMOUNT);
    s_check(!m.has_coverage_end || m.coverage_end >= m.coverage_start);
    s_check(m.paid_through >= 12 * KDATE_MIN_YEAR + 1 && m.paid_through <= 12 * KDATE_MAX_YEAR + 12);
    return 0;
}

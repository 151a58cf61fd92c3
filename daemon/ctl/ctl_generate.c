/* ctl_generate.c - klaimctl registry generate: a synthetic participant
 * registry in the CSV of interface.md, for tests and benchmarks.
 *
 * Runs in: klaimctl only; talks to nobody.
 * The rows look like Mojokerto's covered workforce: factory workers (PU)
 * with their employers, non-civil-servant city staff (PU_GOV), sponsored
 * informal workers (BPU: RT/RW heads, TPQ teachers, DBHCHT farm workers),
 * construction (JAKON) and civil servants (ASN, covered elsewhere), with
 * some memberships ended and some in arrears. The same --seed and --rows
 * always give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dates.h"

#define S_GEN_USAGE "klaimctl registry generate --rows N [--seed S] [--out FILE]"

static const char s_gen_help[] =
    "usage: " S_GEN_USAGE "\n"
    "\n"
    "Writes N synthetic membership rows (header first) to FILE or stdout: kpj 24000000001,\n"
    "24000000002, ... (11 digits), NIKs with Mojokerto region codes, Javanese names, Kota and\n"
    "Kabupaten Mojokerto, PU/PU_GOV/BPU/JAKON/ASN in realistic shares, sponsors (Pemkot,\n"
    "Pemkab DBHCHT, RS Islam Sakinah, factories), paid_through up to 2026-10 with some\n"
    "arrears, about 10 % of memberships ended. Deterministic for a given --seed (default 1).\n"
    "Example: klaimctl registry generate --rows 1000000 --out participants.csv\n";

/* xorshift64*: small, fast, and the same everywhere. */
static uint64_t s_state;
static uint64_t s_next(void)
{
    s_state ^= s_state >> 12;
    s_state ^= s_state << 25;
    s_state ^= s_state >> 27;
    return s_state * 2685821657736338717ULL;
}
static int s_pick(int n) { return (int)(s_next() % (uint64_t)n); }

static const char *const s_given[] = {"Bagus", "Dimas", "Siti", "Sri", "Agus", "Budi", "Eko", "Dwi", "Tri",
                                      "Wahyu", "Nur", "Endang", "Slamet", "Suparman", "Lilik", "Heru", "Rudi",
                                      "Yuli", "Umi", "Imam", "Ahmad", "Joko", "Ponirah", "Sumarno", "Dewi",
                                      "Rizky", "Andik", "Wulan", "Kasiadi", "Marsudi"};
static const char *const s_family[] = {"Setyawan", "Anggoro", "Prayitno", "Wahyudi", "Hartono", "Riyanto",
                                       "Lestari", "Rahayu", "Santoso", "Cahyono", "Kurniawan", "Astutik",
                                       "Prasetyo", "Susilo", "Hidayati", "Maulana", "Firmansyah", "Purwati"};
static const char *const s_factories[] = {"PT Ngoro Sinar Tekstil", "PT Pungging Kemasan Jaya", "PT Jetis Baja Perkasa",
                                          "PT Puri Makmur Plastik", "PT Sinar Prajurit Garmen",
                                          "PT Gedeg Anyaman Rotan", "PT Bangsal Kertas Indah", "CV Mojoanyar Mebel",
                                          "UD Bata Merah Trowulan", "PT Mojosari Agro Lestari"};
static const char *const s_gov[] = {"Pemkot Mojokerto (DLH)", "Pemkot Mojokerto (Satpol PP)",
                                    "Pemkot Mojokerto (Dinas PUPR)", "Pemkab Mojokerto (Dinas Kesehatan)"};
static const char *const s_bpu_sponsor[] = {"Pemkot Mojokerto", "Pemkab Mojokerto (DBHCHT)", "RS Islam Sakinah",
                                            "Pemkot Mojokerto (tenaga keagamaan)", ""};
static const char *const s_jakon[] = {"CV Karya Bangun Majapahit", "PT Wijaya Konstruksi Jatim"};

static void s_date(char out[11], int y0, int y1)
{
    int y = y0 + s_pick(y1 - y0 + 1), m = 1 + s_pick(12), d = 1 + s_pick(28);
    kdate_format(kdate_from_ymd(y, m, d), out);
}

static void s_row(FILE *f, long i)
{
    int kota = s_pick(100) < 35;                 /* Kota vs Kabupaten Mojokerto */
    int r = s_pick(100);
    const char *cat = r < 45 ? "PU" : r < 53 ? "PU_GOV" : r < 88 ? "BPU" : r < 95 ? "JAKON" : "ASN";
    const char *sponsor = "";
    long wage = 0;
    const char *programs = "JKK;JKM";
    if (strcmp(cat, "PU") == 0) sponsor = s_factories[s_pick(10)], wage = 2500000 + 10000L * s_pick(300);
    else if (strcmp(cat, "PU_GOV") == 0) sponsor = s_gov[s_pick(4)], wage = 2200000 + 10000L * s_pick(80);
    else if (strcmp(cat, "BPU") == 0) {
        sponsor = s_bpu_sponsor[s_pick(5)];
        wage = sponsor[0] ? 1000000 : 1000000 + 100000L * s_pick(20);
        if (s_pick(100) < 5) programs = "JKK";
    } else if (strcmp(cat, "JAKON") == 0) sponsor = s_jakon[s_pick(2)], wage = s_pick(4) ? 3000000 + 10000L * s_pick(100) : 0;
    else wage = 4000000 + 10000L * s_pick(200);
    int by = 1955 + s_pick(52), bm = 1 + s_pick(12), bd = 1 + s_pick(28);
    int female = s_pick(2);
    char birth[11], start[11], end[11] = "", paid[8];
    kdate_format(kdate_from_ymd(by, bm, bd), birth);
    s_date(start, 2015 > by + 17 ? 2015 : by + 17, 2026);
    kdate st;
    kdate_parse(start, 10, &st);
    if (st > kdate_from_ymd(2026, 10, 1)) { /* no membership starts after the data's "today" */
        st = kdate_from_ymd(2026, 10, 1);
        kdate_format(st, start);
    }
    kmonth paid_m = 12 * 2026 + 10;
    if (s_pick(100) < 10) {                      /* ended memberships */
        kdate e = st + 30 + s_pick(2000);
        if (e < kdate_from_ymd(2026, 10, 31)) {
            kdate_format(e, end);
            paid_m = kmonth_of(e);
        }
    }
    if (s_pick(100) < 8) paid_m -= 1 + s_pick(6); /* arrears */
    if (paid_m < kmonth_of(st)) paid_m = kmonth_of(st);
    kmonth_format(paid_m, paid);
    fprintf(f, "%011ld,%s%02d%02d%02d%02d%04ld,%s %s,%s,%s,%s,%ld,%s,%s,%s,%s,%s\n", 24000000000L + i,
            kota ? "3576" : "3516", 1 + s_pick(18), bd + (female ? 40 : 0), bm, by % 100, i % 10000,
            s_given[s_pick(30)], s_family[s_pick(18)], birth, cat, programs, wage, start, end, paid,
            sponsor, kota ? "Kota Mojokerto" : "Kabupaten Mojokerto");
}

int ctl_generate(int argc, char **argv)
{
    const char *rows_s = NULL, *seed_s = NULL, *out = NULL;
    for (int i = 0; i < argc;) {
        int rc;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(s_gen_help, stdout);
            return CTL_EX_OK;
        }
        if ((rc = ctl_flag(argc, argv, &i, "--rows", 1, &rows_s)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--seed", 1, &seed_s)) != 0 ||
            (rc = ctl_flag(argc, argv, &i, "--out", 1, &out)) != 0) {
            if (rc < 0) return CTL_EX_USAGE;
        } else {
            return ctl_usage(S_GEN_USAGE, "registry generate: unexpected argument \"%s\"", argv[i]);
        }
    }
    long rows, seed = 1;
    if (!rows_s) return ctl_usage(S_GEN_USAGE, "registry generate: how many? give --rows N");
    if (ctl_parse_int("--rows", rows_s, 1, 99999999, &rows) < 0) return CTL_EX_USAGE;
    if (seed_s && ctl_parse_int("--seed", seed_s, 0, 2147483647, &seed) < 0) return CTL_EX_USAGE;
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        perror(out);
        return CTL_EX_CANTCREAT;
    }
    s_state = 0x9E3779B97F4A7C15ULL ^ (uint64_t)seed;
    fputs("kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,sponsor,regency\n",
          f);
    for (long i = 1; i <= rows; i++) s_row(f, i);
    int bad = ferror(f) | (out ? fclose(f) : fflush(f));
    if (bad) {
        fprintf(stderr, "klaimctl: registry generate: writing %s failed\n", out ? out : "stdout");
        return CTL_EX_CANTCREAT;
    }
    return CTL_EX_OK;
}

/* test_registry_csv.c - the registry CSV header and row parser (registry_csv.c).
 *
 * Owns: unit tests of every column's validation and its message, quoting,
 * CRLF, BOM, UTF-8 and the boundaries (128-byte texts, wage 0 and 10^12,
 * coverage_end == coverage_start).
 * Runs in: ctest (test_registry_csv).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "registry_csv.h"

#define HEADER "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,sponsor,regency"
#define GOOD "24128006011,3516051406890001,Bagus Setyawan,1989-06-14,PU,JKK;JKM,3000000,2019-04-01,,2026-10," \
             "PT Ngoro Sinar Tekstil,Kabupaten Mojokerto"

static int s_row(const char *line, struct klaim_member *m, char *why, size_t n)
{
    return registry_csv_row(line, strlen(line), m, why, n);
}

/* Builds GOOD with column col (0-based) replaced by value. */
static void s_with(char *out, size_t size, int col, const char *value)
{
    const char *cols[12] = {"24128006011", "3516051406890001", "Bagus Setyawan", "1989-06-14", "PU", "JKK;JKM",
                            "3000000", "2019-04-01", "", "2026-10", "PT Ngoro Sinar Tekstil", "Kabupaten Mojokerto"};
    cols[col] = value;
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < 12; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", cols[i]);
}

/* The row with column col set to value must fail with a message holding want. */
static void s_expect_error(int col, const char *value, const char *want)
{
    char line[1024], why[256] = "";
    struct klaim_member m;
    s_with(line, sizeof line, col, value);
    int rc = s_row(line, &m, why, sizeof why);
    if (rc != -1 || !strstr(why, want))
        fail_msg("column %d value \"%s\": rc=%d why=\"%s\", wanted \"%s\"", col, value, rc, why, want);
}

static void s_expect_ok(int col, const char *value, struct klaim_member *m)
{
    char line[1024], why[256] = "";
    s_with(line, sizeof line, col, value);
    if (s_row(line, m, why, sizeof why) != 0) fail_msg("column %d value \"%s\" refused: %s", col, value, why);
}

static void test_header(void **state)
{
    (void)state;
    char why[512];
    assert_int_equal(registry_csv_header(HEADER, strlen(HEADER), why, sizeof why), 0);
    const char *bom = "\xEF\xBB\xBF" HEADER;
    assert_int_equal(registry_csv_header(bom, strlen(bom), why, sizeof why), 0);
    const char *crlf = HEADER "\r";
    assert_int_equal(registry_csv_header(crlf, strlen(crlf), why, sizeof why), 0);
    const char *quoted = "\"kpj\",nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,"
                         "paid_through,sponsor,\"regency\"";
    assert_int_equal(registry_csv_header(quoted, strlen(quoted), why, sizeof why), 0);

    const char *missing = "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,"
                          "sponsor";
    assert_int_equal(registry_csv_header(missing, strlen(missing), why, sizeof why), -1);
    assert_non_null(strstr(why, "has 11 columns, expected 12"));
    const char *renamed = "kpj,NIK,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,"
                          "sponsor,regency";
    assert_int_equal(registry_csv_header(renamed, strlen(renamed), why, sizeof why), -1);
    assert_non_null(strstr(why, "header column 2 is \"NIK\", expected \"nik\""));
    const char *swapped = "nik,kpj,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,"
                          "sponsor,regency";
    assert_int_equal(registry_csv_header(swapped, strlen(swapped), why, sizeof why), -1);
    assert_non_null(strstr(why, "header column 1 is \"nik\", expected \"kpj\""));
    assert_int_equal(registry_csv_header("", 0, why, sizeof why), -1);
    assert_non_null(strstr(why, "empty"));
    /* a data row where the header should be */
    assert_int_equal(registry_csv_header(GOOD, strlen(GOOD), why, sizeof why), -1);
    const char *badutf = "kpj,nik,n\xFF" "ame";
    assert_int_equal(registry_csv_header(badutf, strlen(badutf), why, sizeof why), -1);
    assert_non_null(strstr(why, "UTF-8"));
    /* a BOM twice is not a header */
    const char *bom2 = "\xEF\xBB\xBF\xEF\xBB\xBF" HEADER;
    assert_int_equal(registry_csv_header(bom2, strlen(bom2), why, sizeof why), -1);
}

static void test_good_row(void **state)
{
    (void)state;
    struct klaim_member m;
    char why[256];
    assert_int_equal(s_row(GOOD, &m, why, sizeof why), 0);
    assert_string_equal(m.kpj, "24128006011");
    assert_string_equal(m.nik, "3516051406890001");
    assert_string_equal(m.name, "Bagus Setyawan");
    assert_int_equal(m.birth_date, kdate_from_ymd(1989, 6, 14));
    assert_int_equal(m.category, CAT_PU);
    assert_int_equal(m.programs, KLAIM_PROG_BIT(PROGRAM_JKK) | KLAIM_PROG_BIT(PROGRAM_JKM));
    assert_int_equal(m.wage, 3000000);
    assert_int_equal(m.coverage_start, kdate_from_ymd(2019, 4, 1));
    assert_int_equal(m.has_coverage_end, 0);
    assert_int_equal(m.paid_through, 12 * 2026 + 10);
    assert_string_equal(m.sponsor, "PT Ngoro Sinar Tekstil");
    assert_string_equal(m.regency, "Kabupaten Mojokerto");

    const char *closed = "24196494182,3576022102580003,Bambang Sutejo,1958-02-21,BPU,JKK;JKM,1000000,2019-07-01,"
                         "2019-12-02,2019-12,Pemkot Mojokerto,Kota Mojokerto";
    assert_int_equal(s_row(closed, &m, why, sizeof why), 0);
    assert_int_equal(m.category, CAT_BPU);
    assert_int_equal(m.has_coverage_end, 1);
    assert_int_equal(m.coverage_end, kdate_from_ymd(2019, 12, 2));
    assert_int_equal(m.paid_through, 12 * 2019 + 12);

    /* one program, the other order, every category */
    s_expect_ok(5, "JKK", &m);
    assert_int_equal(m.programs, KLAIM_PROG_BIT(PROGRAM_JKK));
    s_expect_ok(5, "JKM;JKK", &m);
    assert_int_equal(m.programs, KLAIM_PROG_BIT(PROGRAM_JKK) | KLAIM_PROG_BIT(PROGRAM_JKM));
    s_expect_ok(4, "PU_GOV", &m);
    assert_int_equal(m.category, CAT_PU_GOV);
    s_expect_ok(4, "JAKON", &m);
    assert_int_equal(m.category, CAT_JAKON);
    s_expect_ok(4, "ASN", &m);
    assert_int_equal(m.category, CAT_ASN);
    s_expect_ok(10, "", &m);
    assert_string_equal(m.sponsor, "");
}

static void test_quoting_and_crlf(void **state)
{
    (void)state;
    struct klaim_member m;
    char why[256];
    const char *q = "\"24128006011\",3516051406890001,\"Setyawan, Bagus \"\"Bagas\"\"\",1989-06-14,PU,\"JKK;JKM\","
                    "3000000,2019-04-01,\"\",2026-10,\"PT Ngoro, Tbk\",Kabupaten Mojokerto\r";
    assert_int_equal(s_row(q, &m, why, sizeof why), 0);
    assert_string_equal(m.name, "Setyawan, Bagus \"Bagas\"");
    assert_string_equal(m.sponsor, "PT Ngoro, Tbk");
    assert_string_equal(m.regency, "Kabupaten Mojokerto");
    assert_int_equal(m.has_coverage_end, 0);

    const char *crlf = GOOD "\r";
    assert_int_equal(s_row(crlf, &m, why, sizeof why), 0);
    assert_string_equal(m.regency, "Kabupaten Mojokerto");

    const char *unterminated = "24128006011,3516051406890001,\"Bagus Setyawan,1989-06-14,PU,JKK;JKM,3000000,"
                               "2019-04-01,,2026-10,x,y";
    assert_int_equal(s_row(unterminated, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "column 3 (name) has an unterminated quoted field"));
    const char *after = "24128006011,3516051406890001,\"Bagus\" Setyawan,1989-06-14,PU,JKK;JKM,3000000,"
                        "2019-04-01,,2026-10,x,y";
    assert_int_equal(s_row(after, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "column 3 (name) has text after its closing quote"));
    s_expect_error(2, "Bagus \"Bagas\"", "column 3 (name) has a quote inside an unquoted field");
}

static void test_column_count(void **state)
{
    (void)state;
    struct klaim_member m;
    char why[256];
    const char *eleven = "24128006011,3516051406890001,Bagus Setyawan,1989-06-14,PU,JKK;JKM,3000000,2019-04-01,,"
                         "2026-10,PT Ngoro Sinar Tekstil";
    assert_int_equal(s_row(eleven, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "the row has 11 columns, expected 12"));
    const char *thirteen = GOOD ",extra";
    assert_int_equal(s_row(thirteen, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "the row has more than 12 columns, expected 12"));
    const char *trailing = GOOD ",";
    assert_int_equal(s_row(trailing, &m, why, sizeof why), -1);
    assert_int_equal(s_row("", &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "the row has 1 columns"));
}

static void test_kpj_nik(void **state)
{
    (void)state;
    s_expect_error(0, "2412800601", "kpj \"2412800601\" is not 11 digits");
    s_expect_error(0, "241280060111", "kpj \"241280060111\" is not 11 digits");
    s_expect_error(0, "2412800601a", "kpj \"2412800601a\" is not 11 digits");
    s_expect_error(0, "", "kpj \"\" is not 11 digits");
    s_expect_error(0, " 24128006011", "is not 11 digits");
    s_expect_error(1, "351605140689000", "nik \"351605140689000\" is not 16 digits");
    s_expect_error(1, "351605140689000X", "nik \"351605140689000X\" is not 16 digits");
}

static void test_name(void **state)
{
    (void)state;
    struct klaim_member m;
    char name[200];
    memset(name, 'a', 128);
    name[128] = '\0';
    s_expect_ok(2, name, &m);
    assert_int_equal(strlen(m.name), 128);
    name[128] = 'a';
    name[129] = '\0';
    s_expect_error(2, name, "is 129 bytes long: shorten it to at most 128 bytes");
    s_expect_error(2, "", "name is empty: it is required");
    s_expect_error(2, "Bagus\tSetyawan", "name \"Bagus?Setyawan\" contains a control character");
    s_expect_ok(2, "Sri Rahayu Ñoño", &m);
    assert_string_equal(m.name, "Sri Rahayu Ñoño");
}

static void test_dates(void **state)
{
    (void)state;
    struct klaim_member m;
    s_expect_error(3, "1989-02-30", "birth_date 1989-02-30 is not a date (YYYY-MM-DD");
    s_expect_error(3, "14/06/1989", "birth_date 14/06/1989 is not a date");
    s_expect_error(3, "", "birth_date is empty");
    s_expect_error(7, "2019-4-01", "coverage_start 2019-4-01 is not a date");
    s_expect_error(8, "2025-13-01", "coverage_end 2025-13-01 is not a date (YYYY-MM-DD)");
    s_expect_error(8, "2019-03-31", "coverage_end 2019-03-31 is before coverage_start 2019-04-01");
    s_expect_ok(8, "2019-04-01", &m);
    assert_int_equal(m.has_coverage_end, 1);
    assert_int_equal(m.coverage_end, m.coverage_start);
    s_expect_ok(3, "2000-02-29", &m);
    assert_int_equal(m.birth_date, kdate_from_ymd(2000, 2, 29));
    s_expect_error(3, "1900-02-29", "birth_date 1900-02-29 is not a date");
}

static void test_category_programs(void **state)
{
    (void)state;
    s_expect_error(4, "pu", "category \"pu\" is unknown: write PU, PU_GOV, BPU, JAKON or ASN");
    s_expect_error(4, "", "category \"\" is unknown");
    s_expect_error(4, "PEKERJA_PENERIMA_UPAH", "category \"PEKERJA_PENERIMA_UPAH\" is unknown");
    s_expect_error(5, "", "programs is empty: write JKK, JKM or JKK;JKM");
    s_expect_error(5, "JKK;", "programs \"JKK;\" has an empty element");
    s_expect_error(5, ";JKM", "programs \";JKM\" has an empty element");
    s_expect_error(5, "JKK;JKK", "programs \"JKK;JKK\" names JKK twice");
    s_expect_error(5, "JHT", "programs \"JHT\" has an unknown program");
    s_expect_error(5, "JKK JKM", "programs \"JKK JKM\" has an unknown program");
}

static void test_wage(void **state)
{
    (void)state;
    struct klaim_member m;
    s_expect_ok(6, "0", &m);
    assert_int_equal(m.wage, 0);
    s_expect_ok(6, "1000000000000", &m);
    assert_int_equal(m.wage, 1000000000000LL);
    s_expect_error(6, "1000000000001", "wage 1000000000001 is above the maximum");
    s_expect_error(6, "99999999999999999999999", "is above the maximum");
    s_expect_error(6, "-1", "wage \"-1\" is not a whole number of Rupiah");
    s_expect_error(6, "1.5", "wage \"1.5\" is not a whole number");
    s_expect_error(6, "3.000.000", "wage \"3.000.000\" is not a whole number");
    s_expect_error(6, "", "wage \"\" is not a whole number");
}

static void test_paid_sponsor_regency(void **state)
{
    (void)state;
    struct klaim_member m;
    s_expect_error(9, "2026-13", "paid_through \"2026-13\" is not a month: write the last month paid as YYYY-MM");
    s_expect_error(9, "2026-1", "paid_through \"2026-1\" is not a month");
    s_expect_error(9, "2026-10-01", "paid_through \"2026-10-01\" is not a month");
    s_expect_error(9, "", "paid_through \"\" is not a month");
    char big[200];
    memset(big, 's', 129);
    big[129] = '\0';
    s_expect_error(10, big, "sponsor \"ssss");
    s_expect_error(10, big, "is 129 bytes long");
    s_expect_error(11, "", "regency is empty");
    big[128] = '\0';
    s_expect_ok(11, big, &m);
    assert_int_equal(strlen(m.regency), 128);
}

static void test_utf8(void **state)
{
    (void)state;
    s_expect_error(2, "Bagus \xC3\x28", "invalid UTF-8 at byte");
    s_expect_error(2, "\xC0\xAF", "invalid UTF-8");          /* overlong '/' */
    s_expect_error(2, "\xED\xA0\x80", "invalid UTF-8");      /* surrogate */
    s_expect_error(2, "\xF4\x90\x80\x80", "invalid UTF-8");  /* above U+10FFFF */
    s_expect_error(2, "trunc\xE2\x82", "invalid UTF-8");
    s_expect_error(2, "\xFF", "invalid UTF-8");
    struct klaim_member m;
    s_expect_ok(2, "\xF0\x9F\x98\x80 emoji", &m);
    /* a NUL inside the line */
    char line[512], why[256];
    s_with(line, sizeof line, 2, "Bagus");
    size_t len = strlen(line);
    char *p = strstr(line, "Bagus");
    p[2] = '\0';
    assert_int_equal(registry_csv_row(line, len, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "invalid UTF-8 at byte 32"));
}

/* docs/money.md §2: the optional sponsor account columns. A 15-column
 * header makes every row 15 columns; all three account fields or none,
 * only with a sponsor, each field's rule named. */
static void test_sponsor_bank(void **state)
{
    (void)state;
    char why[512] = "";
    int ncols = 0;
    const char *h15 = HEADER ",sponsor_bank_code,sponsor_account,sponsor_account_name";
    assert_int_equal(registry_csv_header_ncols(h15, strlen(h15), &ncols, why, sizeof why), 0);
    assert_int_equal(ncols, 15);
    assert_int_equal(registry_csv_header_ncols(HEADER, strlen(HEADER), &ncols, why, sizeof why), 0);
    assert_int_equal(ncols, 12);
    const char *h14 = HEADER ",sponsor_bank_code,sponsor_account";
    assert_int_equal(registry_csv_header_ncols(h14, strlen(h14), &ncols, why, sizeof why), -1);
    assert_non_null(strstr(why, "expected 12 or 15"));
    const char *hbad = HEADER ",bank,sponsor_account,sponsor_account_name";
    assert_int_equal(registry_csv_header_ncols(hbad, strlen(hbad), &ncols, why, sizeof why), -1);
    assert_non_null(strstr(why, "expected \"sponsor_bank_code\""));

    struct klaim_member m;
    const char *row = GOOD ",008,1234567890,PT Ngoro Sinar Tekstil";
    assert_int_equal(registry_csv_row_ncols(row, strlen(row), 15, &m, why, sizeof why), 0);
    assert_int_equal(m.has_sponsor_bank, 1);
    assert_string_equal(m.sponsor_bank.code, "008");
    assert_string_equal(m.sponsor_bank.account, "1234567890");
    assert_string_equal(m.sponsor_bank.name, "PT Ngoro Sinar Tekstil");
    const char *none = GOOD ",,,";
    assert_int_equal(registry_csv_row_ncols(none, strlen(none), 15, &m, why, sizeof why), 0);
    assert_int_equal(m.has_sponsor_bank, 0);
    assert_int_equal(registry_csv_row_ncols(GOOD, strlen(GOOD), 12, &m, why, sizeof why), 0);
    assert_int_equal(m.has_sponsor_bank, 0);
    /* a 12-column row in a 15-column file, and the reverse */
    assert_int_equal(registry_csv_row_ncols(GOOD, strlen(GOOD), 15, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "expected 15"));
    assert_int_equal(registry_csv_row_ncols(row, strlen(row), 12, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "expected 12"));
    struct {
        const char *tail, *want;
    } bad[] = {
        {",08,1234567890,PT X", "sponsor_bank_code \"08\" is not 3 digits"},
        {",0O8,1234567890,PT X", "sponsor_bank_code \"0O8\" is not 3 digits"},
        {",008,12345,PT X", "sponsor_account \"12345\" is not 6 to 20 digits"},
        {",008,123456789012345678901,PT X", "is not 6 to 20 digits"},
        {",008,1234 567890,PT X", "is not 6 to 20 digits"},
        {",008,1234567890,", "sponsor_account_name is empty"},
        {",,1234567890,PT X", "sponsor_bank_code is empty"},
        {",008,,PT X", "sponsor_account is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[1024];
        snprintf(line, sizeof line, "%s%s", GOOD, bad[i].tail);
        why[0] = '\0';
        int rc = registry_csv_row_ncols(line, strlen(line), 15, &m, why, sizeof why);
        if (rc != -1 || !strstr(why, bad[i].want))
            fail_msg("\"%s\": rc=%d why=\"%s\", wanted \"%s\"", bad[i].tail, rc, why, bad[i].want);
    }
    char line[1024];
    s_with(line, sizeof line, 10, "");
    strcat(line, ",008,1234567890,PT X");
    assert_int_equal(registry_csv_row_ncols(line, strlen(line), 15, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "sponsor is empty"));
}

static void test_long_value_shortened(void **state)
{
    (void)state;
    char v[300], line[1024], why[256];
    memset(v, '9', 250);
    v[250] = '\0';
    struct klaim_member m;
    s_with(line, sizeof line, 0, v);
    assert_int_equal(s_row(line, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "..."));
    assert_true(strlen(why) < 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_good_row),
        cmocka_unit_test(test_quoting_and_crlf),
        cmocka_unit_test(test_column_count),
        cmocka_unit_test(test_kpj_nik),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_category_programs),
        cmocka_unit_test(test_wage),
        cmocka_unit_test(test_paid_sponsor_regency),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_long_value_shortened),
        cmocka_unit_test(test_sponsor_bank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

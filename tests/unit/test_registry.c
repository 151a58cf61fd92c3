/* test_registry.c - registry generations: the builder and the lookups.
 *
 * Owns: tests of registry_build() (build_registry.c) on the shared demo
 * registry and on derived CSVs, and of registry_open()/registry_lookup()
 * (registry.c) on what it published.
 * Runs in: ctest (test_registry). Needs KLAIM_SHARED_DIR/domain/registry-demo.csv
 * and fails loudly without it. Each test works in its own temporary dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "build_registry.h"
#include "registry.h"
#include "registry_csv.h"

#ifndef KLAIM_SHARED_DIR
#error "KLAIM_SHARED_DIR must be defined (tests/unit/registry.cmake)"
#endif
#define DEMO_CSV KLAIM_SHARED_DIR "/domain/registry-demo.csv"

static char *s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static int s_setup(void **state)
{
    char *dir = strdup("/tmp/klaim-test-registry-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    *state = dir;
    return 0;
}

static int s_teardown(void **state)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
    int rc = system(cmd);
    free(*state);
    return rc == 0 ? 0 : -1;
}

static int s_exists(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void s_demo_present(void)
{
    if (access(DEMO_CSV, R_OK) != 0)
        fail_msg("the demo registry %s is missing: set -DKLAIM_SHARED_DIR to the shared/ folder", DEMO_CSV);
}

static void s_build_ok(const char *dir, uint64_t from, uint64_t to, const char *csv, struct registry_build_report *rep)
{
    int rc = registry_build(dir, from, to, csv, rep);
    if (rc != REGISTRY_BUILD_OK) fail_msg("registry_build %s -> %d: %s", csv, rc, rep->error);
}

static struct klaim_member s_lookup(struct registry *r, const char *kpj)
{
    struct klaim_member m;
    memset(&m, 0, sizeof m);
    if (registry_lookup(r, kpj, &m) != 1) fail_msg("kpj %s not found", kpj);
    return m;
}

static void test_demo_build_and_lookup(void **state)
{
    const char *dir = *state;
    s_demo_present();
    struct registry_build_report rep;
    s_build_ok(dir, 0, 1, DEMO_CSV, &rep);
    assert_int_equal(rep.generation, 1);
    assert_int_equal(rep.rows_read, 40);
    assert_int_equal(rep.inserted, 40);
    assert_int_equal(rep.updated, 0);
    assert_int_equal(rep.unchanged, 0);
    assert_int_equal(rep.bad, 0);
    assert_int_equal(rep.total_rows, 40);
    registry_build_report_free(&rep);
    assert_true(s_exists(dir, "gen-1.db"));
    assert_false(s_exists(dir, "gen-1.db.tmp"));

    char why[512];
    struct registry *r = registry_open(dir, 1, why, sizeof why);
    if (!r) fail_msg("registry_open: %s", why);
    assert_int_equal(registry_generation(r), 1);

    struct klaim_member m = s_lookup(r, "24128006011");
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

    m = s_lookup(r, "24196494182");
    assert_string_equal(m.name, "Bambang Sutejo");
    assert_int_equal(m.category, CAT_BPU);
    assert_int_equal(m.wage, 1000000);
    assert_int_equal(m.has_coverage_end, 1);
    assert_int_equal(m.coverage_end, kdate_from_ymd(2019, 12, 2));
    assert_int_equal(m.paid_through, 12 * 2019 + 12);
    assert_string_equal(m.sponsor, "Pemkot Mojokerto");
    assert_string_equal(m.regency, "Kota Mojokerto");

    m = s_lookup(r, "24193550506");   /* Karsono: JKK only, no sponsor */
    assert_int_equal(m.programs, KLAIM_PROG_BIT(PROGRAM_JKK));
    assert_string_equal(m.sponsor, "");
    assert_int_equal(m.coverage_end, kdate_from_ymd(2026, 1, 20));

    m = s_lookup(r, "24656681130");   /* ASN */
    assert_int_equal(m.category, CAT_ASN);
    assert_string_equal(m.name, "Drs. Sutrisno");

    /* The struct a lookup fills equals what the CSV parser makes of the row:
     * compare all 40 rows of the demo file by value. */
    FILE *f = fopen(DEMO_CSV, "rb");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    assert_non_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\n");
        if (len == 0) continue;
        struct klaim_member want, got;
        assert_int_equal(registry_csv_row(line, len, &want, why, sizeof why), 0);
        assert_int_equal(registry_lookup(r, want.kpj, &got), 1);
        assert_memory_equal(&want, &got, sizeof want);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 40);

    struct klaim_member none;
    assert_int_equal(registry_lookup(r, "99999999999", &none), 0);
    assert_int_equal(registry_lookup(r, "", &none), 0);
    registry_close(&r);
    assert_null(r);
    registry_close(&r);   /* NULL is fine */
}

/* gen 2 from gen 1 and a changed CSV: one changed row, one new, one bad row
 * (line 5), one empty line and CRLF endings; gen 1 stays byte-identical. */
static void test_reimport(void **state)
{
    const char *dir = *state;
    s_demo_present();
    struct registry_build_report rep;
    s_build_ok(dir, 0, 1, DEMO_CSV, &rep);
    registry_build_report_free(&rep);

    char gen1[1024];
    snprintf(gen1, sizeof gen1, "%s/gen-1.db", dir);
    size_t len1;
    char *before = s_read_file(gen1, &len1);
    struct stat st1;
    assert_int_equal(stat(gen1, &st1), 0);

    size_t dlen;
    char *demo = s_read_file(DEMO_CSV, &dlen);
    /* wage of Dimas Anggoro (line 3) 2750000 -> 2800000 */
    char *w = strstr(demo, "2750000");
    assert_non_null(w);
    memcpy(w, "2800000", 7);
    /* CRLF everything, insert a bad row as line 5 and an empty line later */
    size_t cap = dlen * 2 + 4096, o = 0;
    char *csv = malloc(cap);
    int lineno = 1;
    for (char *p = demo; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        memcpy(csv + o, p, n);
        o += n;
        memcpy(csv + o, "\r\n", 2);
        o += 2;
        lineno++;
        if (lineno == 5)
            o += (size_t)sprintf(csv + o, "24000000001,3516000000000001,Bad Date,1990-02-31,PU,JKK;JKM,1,"
                                          "2020-01-01,,2026-10,,Kota Mojokerto\r\n"), lineno++;
        if (lineno == 10) o += (size_t)sprintf(csv + o, "\r\n"), lineno++;
        p = nl ? nl + 1 : p + n;
    }
    o += (size_t)sprintf(csv + o, "24000000002,3516000000000002,Orang Baru,1995-05-05,BPU,JKK,1500000,2024-01-01,,"
                                  "2026-09,,Kabupaten Mojokerto\r\n");
    csv[o] = '\0';
    char path[1024];
    snprintf(path, sizeof path, "%s/changed.csv", dir);
    s_write_file(path, csv);

    s_build_ok(dir, 1, 2, path, &rep);
    assert_int_equal(rep.generation, 2);
    assert_int_equal(rep.rows_read, 42);
    assert_int_equal(rep.inserted, 1);
    assert_int_equal(rep.updated, 1);
    assert_int_equal(rep.unchanged, 39);
    assert_int_equal(rep.bad, 1);
    assert_int_equal(rep.n_bad_rows, 1);
    assert_int_equal(rep.bad_rows[0].line, 5);
    assert_non_null(strstr(rep.bad_rows[0].reason, "birth_date 1990-02-31 is not a date"));
    assert_int_equal(rep.total_rows, 41);

    /* the JSON the CLI prints */
    char *js = registry_build_report_json(&rep, REGISTRY_BUILD_OK);
    json_error_t jerr;
    json_t *j = json_loads(js, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "generation")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "rows_read")), 42);
    assert_int_equal(json_integer_value(json_object_get(j, "inserted")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "updated")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "unchanged")), 39);
    assert_int_equal(json_integer_value(json_object_get(j, "bad")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "total_rows")), 41);
    json_t *bad = json_object_get(j, "bad_rows");
    assert_int_equal(json_array_size(bad), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(bad, 0), "line")), 5);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(bad, 0), "reason")), "birth_date"));
    json_decref(j);
    free(js);
    registry_build_report_free(&rep);

    /* gen 1 untouched on disk */
    size_t len1b;
    char *after = s_read_file(gen1, &len1b);
    assert_int_equal(len1, len1b);
    assert_memory_equal(before, after, len1);
    struct stat st1b;
    assert_int_equal(stat(gen1, &st1b), 0);
    assert_int_equal(st1.st_ino, st1b.st_ino);
    assert_int_equal(st1.st_mtim.tv_sec, st1b.st_mtim.tv_sec);
    assert_int_equal(st1.st_mtim.tv_nsec, st1b.st_mtim.tv_nsec);

    char why[512];
    struct registry *r1 = registry_open(dir, 1, why, sizeof why);
    struct registry *r2 = registry_open(dir, 2, why, sizeof why);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_int_equal(s_lookup(r1, "24887972376").wage, 2750000);
    assert_int_equal(s_lookup(r2, "24887972376").wage, 2800000);
    struct klaim_member m;
    assert_int_equal(registry_lookup(r1, "24000000002", &m), 0);
    m = s_lookup(r2, "24000000002");
    assert_string_equal(m.name, "Orang Baru");
    assert_int_equal(m.programs, KLAIM_PROG_BIT(PROGRAM_JKK));
    assert_int_equal(registry_lookup(r2, "24000000001", &m), 0);
    registry_close(&r1);
    registry_close(&r2);

    /* the same CSV again as gen 3: nothing changes */
    s_build_ok(dir, 2, 3, path, &rep);
    assert_int_equal(rep.inserted, 0);
    assert_int_equal(rep.updated, 0);
    assert_int_equal(rep.unchanged, 41);
    assert_int_equal(rep.bad, 1);
    assert_int_equal(rep.total_rows, 41);
    registry_build_report_free(&rep);

    free(before);
    free(after);
    free(demo);
    free(csv);
}

static void test_duplicates_and_coverage_end_change(void **state)
{
    const char *dir = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/dup.csv", dir);
    s_write_file(path,
                 "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,sponsor,"
                 "regency\n"
                 "24000000001,3516000000000001,Satu,1990-01-01,PU,JKK;JKM,100,2020-01-01,,2026-10,,Kota A\n"
                 "24000000002,3516000000000002,Dua,1990-01-01,PU,JKK;JKM,100,2020-01-01,2021-01-01,2026-10,,Kota A\n"
                 "24000000001,3516000000000001,Satu Lagi,1990-01-01,PU,JKK;JKM,100,2020-01-01,,2026-10,,Kota A\n"
                 "garbage\n");
    struct registry_build_report rep;
    s_build_ok(dir, 0, 1, path, &rep);
    assert_int_equal(rep.inserted, 2);
    assert_int_equal(rep.bad, 2);
    assert_int_equal(rep.bad_rows[0].line, 4);
    assert_non_null(strstr(rep.bad_rows[0].reason, "kpj 24000000001 already appears on line 2"));
    assert_int_equal(rep.bad_rows[1].line, 5);
    assert_non_null(strstr(rep.bad_rows[1].reason, "columns"));
    registry_build_report_free(&rep);

    /* coverage_end NULL <-> date counts as a change both ways */
    s_write_file(path,
                 "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,sponsor,"
                 "regency\n"
                 "24000000001,3516000000000001,Satu,1990-01-01,PU,JKK;JKM,100,2020-01-01,2022-02-02,2026-10,,Kota A\n"
                 "24000000002,3516000000000002,Dua,1990-01-01,PU,JKK;JKM,100,2020-01-01,,2026-10,,Kota A\n");
    s_build_ok(dir, 1, 2, path, &rep);
    assert_int_equal(rep.updated, 2);
    assert_int_equal(rep.unchanged, 0);
    registry_build_report_free(&rep);
    char why[512];
    struct registry *r = registry_open(dir, 2, why, sizeof why);
    assert_non_null(r);
    assert_int_equal(s_lookup(r, "24000000001").coverage_end, kdate_from_ymd(2022, 2, 2));
    assert_int_equal(s_lookup(r, "24000000002").has_coverage_end, 0);
    registry_close(&r);
}

static void test_refusals(void **state)
{
    const char *dir = *state;
    s_demo_present();
    char path[1024];
    struct registry_build_report rep;

    snprintf(path, sizeof path, "%s/badheader.csv", dir);
    s_write_file(path, "kpj;nik;name\n24128006011;3516051406890001;Bagus\n");
    assert_int_equal(registry_build(dir, 0, 1, path, &rep), REGISTRY_BUILD_DATAERR);
    assert_non_null(strstr(rep.error, "badheader.csv:1:"));
    assert_non_null(strstr(rep.error, "the first line must be kpj,nik,name"));
    char *js = registry_build_report_json(&rep, REGISTRY_BUILD_DATAERR);
    json_t *j = json_loads(js, 0, NULL);
    assert_non_null(j);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "badheader.csv:1:"));
    assert_null(json_object_get(j, "generation"));
    json_decref(j);
    free(js);
    registry_build_report_free(&rep);
    assert_false(s_exists(dir, "gen-1.db"));
    assert_false(s_exists(dir, "gen-1.db.tmp"));

    /* a data row where the header should be: refused too */
    snprintf(path, sizeof path, "%s/noheader.csv", dir);
    s_write_file(path, "24128006011,3516051406890001,Bagus Setyawan,1989-06-14,PU,JKK;JKM,3000000,2019-04-01,,"
                       "2026-10,PT Ngoro Sinar Tekstil,Kabupaten Mojokerto\n");
    assert_int_equal(registry_build(dir, 0, 1, path, &rep), REGISTRY_BUILD_DATAERR);
    registry_build_report_free(&rep);

    snprintf(path, sizeof path, "%s/empty.csv", dir);
    s_write_file(path, "");
    assert_int_equal(registry_build(dir, 0, 1, path, &rep), REGISTRY_BUILD_DATAERR);
    assert_non_null(strstr(rep.error, "empty"));
    registry_build_report_free(&rep);
    assert_false(s_exists(dir, "gen-1.db"));

    /* refused on top of an existing generation: still nothing published */
    s_build_ok(dir, 0, 1, DEMO_CSV, &rep);
    registry_build_report_free(&rep);
    snprintf(path, sizeof path, "%s/badheader.csv", dir);
    assert_int_equal(registry_build(dir, 1, 2, path, &rep), REGISTRY_BUILD_DATAERR);
    registry_build_report_free(&rep);
    assert_false(s_exists(dir, "gen-2.db"));
    assert_false(s_exists(dir, "gen-2.db.tmp"));

    /* I/O: missing CSV, missing previous generation, to <= from */
    snprintf(path, sizeof path, "%s/nope.csv", dir);
    assert_int_equal(registry_build(dir, 1, 2, path, &rep), REGISTRY_BUILD_IOERR);
    assert_non_null(strstr(rep.error, "nope.csv"));
    registry_build_report_free(&rep);
    assert_int_equal(registry_build(dir, 7, 8, DEMO_CSV, &rep), REGISTRY_BUILD_IOERR);
    assert_non_null(strstr(rep.error, "gen-7.db"));
    registry_build_report_free(&rep);
    assert_false(s_exists(dir, "gen-8.db"));
    assert_false(s_exists(dir, "gen-8.db.tmp"));
    assert_int_equal(registry_build(dir, 2, 2, DEMO_CSV, &rep), REGISTRY_BUILD_DATAERR);
    registry_build_report_free(&rep);
}

/* docs/money.md §2: sponsor accounts in a generation. A generation built
 * before the account columns (the schema as it was) still opens, with no
 * account; a build starting from it adds the columns; a 12-column import
 * keeps the stored accounts, a 15-column one replaces them. */
static void test_sponsor_accounts(void **state)
{
    const char *dir = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/gen-1.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", KLAIM_REGISTRY_APP_ID,
             KLAIM_REGISTRY_SCHEMA);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE members(kpj TEXT PRIMARY KEY NOT NULL CHECK(length(kpj) = 11),"
                                  " nik TEXT NOT NULL CHECK(length(nik) = 16), name TEXT NOT NULL,"
                                  " birth_date INTEGER NOT NULL, category TEXT NOT NULL, programs INTEGER NOT NULL,"
                                  " wage INTEGER NOT NULL, coverage_start INTEGER NOT NULL, coverage_end INTEGER,"
                                  " paid_through INTEGER NOT NULL, sponsor TEXT NOT NULL, regency TEXT NOT NULL)"
                                  " STRICT, WITHOUT ROWID;"
                                  "INSERT INTO members VALUES('24128006011','3516051406890001','Bagus',7000,'PU',3,"
                                  "3000000,17000,NULL,24322,'PT Ngoro','Kabupaten Mojokerto');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    char why[512];
    struct registry *r = registry_open(dir, 1, why, sizeof why);
    if (!r) fail_msg("an old generation does not open: %s", why);
    struct klaim_member m = s_lookup(r, "24128006011");
    assert_int_equal(m.has_sponsor_bank, 0);
    assert_string_equal(m.sponsor, "PT Ngoro");
    registry_close(&r);

    const char *h15 = "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,"
                      "sponsor,regency,sponsor_bank_code,sponsor_account,sponsor_account_name\n";
    char csv[2048], cpath[1024];
    snprintf(cpath, sizeof cpath, "%s/accounts.csv", dir);
    snprintf(csv, sizeof csv, "%s24128006011,3516051406890001,Bagus,1989-03-01,PU,JKK;JKM,3000000,2016-07-19,,"
                              "2026-10,PT Ngoro,Kabupaten Mojokerto,008,1234567890,PT Ngoro\n"
                              "24000000002,3516000000000002,Orang Baru,1995-05-05,BPU,JKK,1500000,2024-01-01,,"
                              "2026-09,,Kabupaten Mojokerto,,,\n", h15);
    s_write_file(cpath, csv);
    struct registry_build_report rep;
    s_build_ok(dir, 1, 2, cpath, &rep);
    assert_int_equal(rep.inserted, 1);
    assert_int_equal(rep.updated, 1);
    registry_build_report_free(&rep);
    r = registry_open(dir, 2, why, sizeof why);
    if (!r) fail_msg("gen 2: %s", why);
    m = s_lookup(r, "24128006011");
    assert_int_equal(m.has_sponsor_bank, 1);
    assert_string_equal(m.sponsor_bank.code, "008");
    assert_string_equal(m.sponsor_bank.account, "1234567890");
    assert_string_equal(m.sponsor_bank.name, "PT Ngoro");
    assert_int_equal(s_lookup(r, "24000000002").has_sponsor_bank, 0);
    registry_close(&r);

    /* the same accounts again: unchanged; a 12-column file keeps them */
    s_build_ok(dir, 2, 3, cpath, &rep);
    assert_int_equal(rep.unchanged, 2);
    registry_build_report_free(&rep);
    snprintf(csv, sizeof csv, "kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,"
                              "paid_through,sponsor,regency\n24128006011,3516051406890001,Bagus,1989-03-01,PU,"
                              "JKK;JKM,3100000,2016-07-19,,2026-10,PT Ngoro,Kabupaten Mojokerto\n");
    s_write_file(cpath, csv);
    s_build_ok(dir, 3, 4, cpath, &rep);
    assert_int_equal(rep.updated, 1);
    registry_build_report_free(&rep);
    r = registry_open(dir, 4, why, sizeof why);
    if (!r) fail_msg("gen 4: %s", why);
    m = s_lookup(r, "24128006011");
    assert_int_equal(m.wage, 3100000);
    assert_int_equal(m.has_sponsor_bank, 1);
    assert_string_equal(m.sponsor_bank.account, "1234567890");
    registry_close(&r);

    /* a 15-column file with empty account columns removes it */
    snprintf(csv, sizeof csv, "%s24128006011,3516051406890001,Bagus,1989-03-01,PU,JKK;JKM,3100000,2016-07-19,,"
                              "2026-10,PT Ngoro,Kabupaten Mojokerto,,,\n", h15);
    s_write_file(cpath, csv);
    s_build_ok(dir, 4, 5, cpath, &rep);
    assert_int_equal(rep.updated, 1);
    registry_build_report_free(&rep);
    r = registry_open(dir, 5, why, sizeof why);
    if (!r) fail_msg("gen 5: %s", why);
    assert_int_equal(s_lookup(r, "24128006011").has_sponsor_bank, 0);
    registry_close(&r);
}

static void test_open_errors(void **state)
{
    const char *dir = *state;
    char why[512] = "";
    assert_null(registry_open(dir, 5, why, sizeof why));
    assert_non_null(strstr(why, "gen-5.db"));
    assert_null(registry_open(dir, 0, why, sizeof why));
    char path[1024];
    snprintf(path, sizeof path, "%s/gen-6.db", dir);
    s_write_file(path, "this is not a database at all, not even close to one..................................");
    assert_null(registry_open(dir, 6, why, sizeof why));
    assert_non_null(strstr(why, "gen-6.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_demo_build_and_lookup, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reimport, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_and_coverage_end_change, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sponsor_accounts, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

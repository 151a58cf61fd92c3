/* test_pay_render.c - unit tests for daemon/ctl/pay_render.c.
 *
 * Owns: the bytes of a payment batch's CSV and pain.001.001.03 XML: exact
 * CSV text with quoting and the control line, amounts with two decimals
 * from integer Rupiah, XML escaping and the schema's length limits, the
 * same batch rendering to the same bytes, and every rendered XML valid
 * against the vendored ISO 20022 schema (xmllint --schema).
 * Runs in: ctest (test_pay_render). Needs xmllint (libxml2-utils) and
 * KLAIM_XSD_DIR; fails loudly without them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pay_render.h"

#ifndef KLAIM_XSD_DIR
#error "KLAIM_XSD_DIR must be defined (daemon/ctl/ctl.cmake)"
#endif

struct fixture {
    Klaim__PaymentBatch b;
    Klaim__PaymentLine l[3];
    Klaim__PaymentLine *lp[3];
    Klaim__BankAccount a[3];
    char *items0[2], *items1[1], *items2[1];
};

/* Batch 7 of 2026-03-10 09:30:00 WIB: a heir with two items, a hospital
 * whose name needs quoting and escaping, an employer. */
static void s_fixture(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    klaim__payment_batch__init(&f->b);
    f->b.has_batch = 1, f->b.batch = 7;
    f->b.has_created_at_ms = 1, f->b.created_at_ms = 1773109800000LL; /* 2026-03-10T02:30:00Z */
    f->b.until = "2026-03-10";
    f->b.created_by = "local";
    static const char *const names[3] = {"Siti Aminah", "RS \"Sakinah\" & Co, <Mojokerto>", "PT Ngoro Sinar Tekstil"};
    static const char *const ids[3] = {"3516025004620901", "RS \"Sakinah\" & Co, <Mojokerto>", "PT Ngoro Sinar Tekstil"};
    static const char *const claims[3] = {"k-000000000003", "k-000000000005", "k-000000000005"};
    static const int roles[3] = {KLAIM__PAYEE_ROLE__HEIR, KLAIM__PAYEE_ROLE__PROVIDER, KLAIM__PAYEE_ROLE__EMPLOYER};
    static const int64_t amounts[3] = {70000000, 12500000, 4500001};
    f->items0[0] = "JKM_DEATH";
    f->items0[1] = "JKM_FUNERAL";
    f->items1[0] = "JKK_MEDICAL";
    f->items2[0] = "JKK_STMB";
    char **items[3] = {f->items0, f->items1, f->items2};
    size_t n_items[3] = {2, 1, 1};
    static const char *const codes[3] = {"008", "002", "014"};
    static const char *const accts[3] = {"1234567890", "000123456789", "98765432109876543210"};
    for (int i = 0; i < 3; i++) {
        Klaim__PaymentLine *l = &f->l[i];
        klaim__payment_line__init(l);
        l->has_line = 1, l->line = (uint32_t)i + 1;
        l->claim_id = (char *)claims[i];
        l->has_role = 1, l->role = (Klaim__PayeeRole)roles[i];
        l->payee_id = (char *)ids[i];
        l->payee_name = (char *)names[i];
        klaim__bank_account__init(&f->a[i]);
        f->a[i].bank_code = (char *)codes[i];
        f->a[i].account = (char *)accts[i];
        f->a[i].name = (char *)names[i];
        l->bank = &f->a[i];
        l->has_amount = 1, l->amount = amounts[i];
        l->n_items = n_items[i];
        l->items = items[i];
        l->has_state = 1, l->state = KLAIM__PAYMENT_STATE__IN_BATCH;
        f->lp[i] = l;
    }
    f->b.n_lines = 3;
    f->b.lines = f->lp;
    f->b.has_line_count = 1, f->b.line_count = 3;
    f->b.has_total = 1, f->b.total = 70000000 + 12500000 + 4500001;
}

/* xmllint --noout --schema on xml; returns its exit status. */
static int s_xmllint(const char *xml, size_t len)
{
    char path[] = "/tmp/klaim-test-pay-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, xml, len), (ssize_t)len);
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "xmllint --noout --schema '%s/pain.001.001.03.xsd' '%s' 2>&1", KLAIM_XSD_DIR, path);
    int rc = system(cmd);
    unlink(path);
    return rc;
}

static void test_file_names_and_amounts(void **state)
{
    (void)state;
    char buf[64];
    pay_render_file_name(7, "csv", buf, sizeof buf);
    assert_string_equal(buf, "payments-000007.csv");
    pay_render_file_name(1234567, "xml", buf, sizeof buf);
    assert_string_equal(buf, "payments-1234567.xml");
    pay_render_amount(0, buf, sizeof buf);
    assert_string_equal(buf, "0.00");
    pay_render_amount(87000001, buf, sizeof buf);
    assert_string_equal(buf, "87000001.00");
    pay_render_amount(1000000000000LL, buf, sizeof buf);
    assert_string_equal(buf, "1000000000000.00");
}

static void test_csv(void **state)
{
    (void)state;
    struct fixture f;
    s_fixture(&f);
    size_t len;
    char *csv = pay_render_csv(&f.b, &len);
    assert_int_equal(strlen(csv), len);
    assert_string_equal(csv,
                        "batch,line,claim_id,role,payee_id,payee_name,bank_code,account,account_name,amount,items\r\n"
                        "7,1,k-000000000003,HEIR,3516025004620901,Siti Aminah,008,1234567890,Siti Aminah,70000000,"
                        "JKM_DEATH;JKM_FUNERAL\r\n"
                        "7,2,k-000000000005,PROVIDER,\"RS \"\"Sakinah\"\" & Co, <Mojokerto>\",\"RS \"\"Sakinah\"\" & "
                        "Co, <Mojokerto>\",002,000123456789,\"RS \"\"Sakinah\"\" & Co, <Mojokerto>\",12500000,"
                        "JKK_MEDICAL\r\n"
                        "7,3,k-000000000005,EMPLOYER,PT Ngoro Sinar Tekstil,PT Ngoro Sinar Tekstil,014,"
                        "98765432109876543210,PT Ngoro Sinar Tekstil,4500001,JKK_STMB\r\n"
                        "CONTROL,3,,,,,,,,87000001,\r\n");
    free(csv);
}

static void test_xml(void **state)
{
    (void)state;
    struct fixture f;
    s_fixture(&f);
    size_t len, len2;
    char *xml = pay_render_xml(&f.b, &len);
    char *again = pay_render_xml(&f.b, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(xml, again, len);
    free(again);
    assert_non_null(strstr(xml, "<MsgId>KLAIMD-BATCH-000007</MsgId>"));
    assert_non_null(strstr(xml, "<CreDtTm>2026-03-10T09:30:00+07:00</CreDtTm>"));
    assert_non_null(strstr(xml, "<ReqdExctnDt>2026-03-10</ReqdExctnDt>"));
    assert_non_null(strstr(xml, "<NbOfTxs>3</NbOfTxs>"));
    assert_non_null(strstr(xml, "<CtrlSum>87000001.00</CtrlSum>"));
    assert_non_null(strstr(xml, "<Nm>" PAY_DEBTOR_NAME "</Nm>"));
    assert_non_null(strstr(xml, "<EndToEndId>KLAIMD-000007-000002</EndToEndId>"));
    assert_non_null(strstr(xml, "<InstdAmt Ccy=\"IDR\">12500000.00</InstdAmt>"));
    assert_non_null(strstr(xml, "<MmbId>002</MmbId>"));
    assert_non_null(strstr(xml, "<Nm>RS &quot;Sakinah&quot; &amp; Co, &lt;Mojokerto&gt;</Nm>"));
    assert_non_null(strstr(xml, "<Id>98765432109876543210</Id>"));
    assert_non_null(strstr(xml, "<Ustrd>k-000000000003 JKM_DEATH;JKM_FUNERAL</Ustrd>"));
    assert_null(strstr(xml, "\"Sakinah\""));
    assert_int_equal(s_xmllint(xml, len), 0);
    free(xml);
}

/* Names at the 128-byte limit, multi-byte UTF-8, a remittance longer than
 * the schema's 140 characters: still valid, cut on a character. */
static void test_xml_limits(void **state)
{
    (void)state;
    struct fixture f;
    s_fixture(&f);
    char name[129];
    memset(name, 'N', 128);
    name[128] = '\0';
    f.a[0].name = name;
    f.l[1].payee_name = "Rumah Sakit \xc3\x89lis\xc3\xa9"; /* "Élisé" */
    f.a[1].name = f.l[1].payee_name;
    char *many[40];
    for (int i = 0; i < 40; i++) many[i] = "JKK_TRANSPORT_LAND";
    f.l[2].items = many;
    f.l[2].n_items = 40;
    size_t len;
    char *xml = pay_render_xml(&f.b, &len);
    assert_non_null(strstr(xml, "<Nm>Rumah Sakit \xc3\x89lis\xc3\xa9</Nm>"));
    assert_int_equal(s_xmllint(xml, len), 0);
    free(xml);
    /* a batch of one line, amount 0 (the schema's minimum) */
    f.b.n_lines = 1;
    f.b.line_count = 1;
    f.l[0].amount = 0;
    f.b.total = 0;
    xml = pay_render_xml(&f.b, &len);
    assert_non_null(strstr(xml, "<CtrlSum>0.00</CtrlSum>"));
    assert_int_equal(s_xmllint(xml, len), 0);
    free(xml);
}

/* The schema really is checked: a broken document is refused. */
static void test_xmllint_refuses(void **state)
{
    (void)state;
    struct fixture f;
    s_fixture(&f);
    size_t len;
    char *xml = pay_render_xml(&f.b, &len);
    char *p = strstr(xml, "Ccy=\"IDR\"");
    assert_non_null(p);
    memcpy(p, "Ccy=\"idr\"", 9);
    assert_int_not_equal(s_xmllint(xml, len), 0);
    free(xml);
}

int main(void)
{
    if (system("xmllint --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_pay_render: xmllint is missing: install libxml2-utils (scripts/install-deps.sh)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_names_and_amounts),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_xml_limits),
        cmocka_unit_test(test_xmllint_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_dispatch.c - the pure parts of issue 5: the HTTP bearer tokens file.
 * (SLA clocks are in the store now: it_sla tests them end to end.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clients.h"
#include "http.h"

static void test_tokens(void **state)
{
    (void)state;
    struct http_token t[4];
    char err[256];
    const char *ok = "# comment\n\n"
                     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 hospital RS Islam Sakinah\n"
                     "  2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE admin Operator  \n"
                     "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9 reviewer Sri Lestari\n";
    assert_int_equal(http_tokens_parse(ok, t, 4, err, sizeof err), 3);
    assert_int_equal(t[2].role, ROLE_REVIEWER);
    assert_string_equal(t[2].name, "Sri Lestari");
    assert_int_equal(t[0].role, ROLE_HOSPITAL);
    assert_string_equal(t[0].name, "RS Islam Sakinah");
    assert_int_equal(t[0].hash[0], 0x9f);
    assert_int_equal(t[1].role, ROLE_ADMIN);
    assert_string_equal(t[1].name, "Operator");
    assert_int_equal(t[1].hash[31], 0xae);
    assert_int_equal(http_tokens_parse("abc hospital X\n", t, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(http_tokens_parse("\n9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 worker W\n",
                                       t, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(http_tokens_parse("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 admin\n", t,
                                       4, err, sizeof err), -1);
    assert_int_equal(http_tokens_parse("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g admin A\n",
                                       t, 4, err, sizeof err), -1);
    /* monitor (issue 16): reads /metrics only; added after the older roles,
     * so their numbers did not move. */
    assert_int_equal(http_tokens_parse("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 monitor "
                                       "Prometheus\n", t, 4, err, sizeof err), 1);
    assert_int_equal(t[0].role, ROLE_MONITOR);
    assert_string_equal(t[0].name, "Prometheus");
    /* A name labels one token only (issue 16): the second line is refused,
     * naming both lines. */
    assert_int_equal(http_tokens_parse("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 hospital RS A\n"
                                       "# x\n"
                                       "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9 hospital RS A\n",
                                       t, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 3: the name \"RS A\" is already used on line 1"));
    assert_int_equal(klaim_role_parse("monitor"), ROLE_MONITOR);
    assert_string_equal(klaim_role_name(ROLE_MONITOR), "monitor");
    assert_int_equal(ROLE_REVIEWER, 6);
    assert_int_equal(ROLE_MONITOR, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tokens)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

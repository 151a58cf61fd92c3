/* test_claim_input.c - unit tests for daemon/ctl/claim_input.c.
 *
 * Owns: the input shapes `klaimctl submit` promises to read (one object, an
 * array, JSON Lines with blank lines, pretty-printed objects in sequence)
 * and the positions it reports for claims and for syntax errors.
 * Runs in: ctest (test_claim_input).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "claim_input.h"

/* Read every claim of buf; keys[i] gets obj["k"] (or "?"), pos[i] its
 * position. Returns the count, or -(count+1) when an error stopped it. */
static int s_read_all(const char *buf, const char *keys[], struct claim_pos pos[], int max, char *err,
                      size_t errlen)
{
    struct claim_input *in = claim_input_from_buffer("f.json", buf, strlen(buf));
    static char keybuf[16][32];
    int n = 0, rc;
    json_t *obj;
    struct claim_pos p;
    err[0] = '\0';
    while ((rc = claim_input_next(in, &obj, &p, err, errlen)) == 1) {
        assert_true(n < max);
        const char *k = json_string_value(json_object_get(obj, "k"));
        snprintf(keybuf[n], sizeof keybuf[n], "%s", k ? k : "?");
        keys[n] = keybuf[n];
        pos[n] = p;
        n++;
        json_decref(obj);
    }
    /* after the end or an error the answer stays the same */
    int again = claim_input_next(in, &obj, &p, err, errlen);
    assert_int_equal(again, rc);
    claim_input_destroy(&in);
    assert_null(in);
    return rc < 0 ? -(n + 1) : n;
}

static void test_single_object(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("{\"k\":\"A\",\"program\":\"JKK\"}", keys, pos, 16, err, sizeof err), 1);
    assert_string_equal(keys[0], "A");
    assert_int_equal(pos[0].line, 1);
    /* trailing newline and leading blank lines */
    assert_int_equal(s_read_all("\n\n  {\"k\":\"B\"}\n", keys, pos, 16, err, sizeof err), 1);
    assert_string_equal(keys[0], "B");
    assert_int_equal(pos[0].line, 3);
}

static void test_array(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("\n[ {\"k\":\"A\"},\n  {\"k\":\"B\"},\n  {\"k\":\"C\"} ]\n", keys, pos, 16, err,
                                sizeof err), 3);
    assert_string_equal(keys[0], "A");
    assert_string_equal(keys[2], "C");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pos[i].line, 0);
        assert_int_equal(pos[i].index, i);
    }
    struct claim_input *in = claim_input_from_buffer("f.json", "[]", 2);
    char where[64];
    assert_string_equal(claim_input_where(in, &pos[1], where, sizeof where), "f.json[1]");
    claim_input_destroy(&in);
    assert_int_equal(s_read_all("[]", keys, pos, 16, err, sizeof err), 0);
}

static void test_json_lines_with_blank_lines(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    const char *buf = "{\"k\":\"A\"}\n"
                      "\n"
                      "{\"k\":\"B\"}\n"
                      "   \n"
                      "\t\n"
                      "{\"k\":\"C\"}";   /* no final newline */
    assert_int_equal(s_read_all(buf, keys, pos, 16, err, sizeof err), 3);
    assert_string_equal(keys[1], "B");
    assert_int_equal(pos[0].line, 1);
    assert_int_equal(pos[1].line, 3);
    assert_int_equal(pos[2].line, 6);
    struct claim_input *in = claim_input_from_buffer("claims.jsonl", "", 0);
    char where[64];
    assert_string_equal(claim_input_where(in, &pos[2], where, sizeof where), "claims.jsonl:6");
    claim_input_destroy(&in);
}

static void test_crlf_lines(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("{\"k\":\"A\"}\r\n\r\n{\"k\":\"B\"}\r\n", keys, pos, 16, err, sizeof err), 2);
    assert_int_equal(pos[1].line, 3);
}

static void test_pretty_objects_in_sequence(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    const char *buf = "{\n"                       /* 1 */
                      "  \"k\": \"A\",\n"         /* 2 */
                      "  \"event\": {\n"          /* 3 */
                      "    \"date\": \"2026-03-05\"\n"
                      "  }\n"                     /* 5 */
                      "}\n"                       /* 6 */
                      "\n"                        /* 7 */
                      "{\n"                       /* 8 */
                      "  \"k\": \"B\"\n"
                      "}{\"k\":\"C\"}\n"          /* 10: two objects touch */
                      "  {\"k\":\"D\",\n"         /* 11 */
                      "   \"x\":[1,\n2]}\n";
    assert_int_equal(s_read_all(buf, keys, pos, 16, err, sizeof err), 4);
    assert_string_equal(keys[0], "A");
    assert_string_equal(keys[1], "B");
    assert_string_equal(keys[2], "C");
    assert_string_equal(keys[3], "D");
    assert_int_equal(pos[0].line, 1);
    assert_int_equal(pos[1].line, 8);
    assert_int_equal(pos[2].line, 10);
    assert_int_equal(pos[3].line, 11);
}

static void test_garbage(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("hello world", keys, pos, 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "f.json:1:"));
    assert_non_null(strstr(err, "not valid JSON"));
    assert_non_null(strstr(err, "(byte "));

    /* a CSV handed to submit by mistake */
    assert_int_equal(s_read_all("kpj,nik,name\n1,2,3\n", keys, pos, 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "f.json:1:"));

    /* a broken array refuses the whole file */
    assert_int_equal(s_read_all("[{\"k\":\"A\"},\n{\"k\":}]", keys, pos, 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "f.json:2:"));
}

static void test_error_position_mid_file(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    /* line 3 col 9 holds the bad token 'x'; it is the 29th byte */
    const char *buf = "{\"k\":\"A\"}\n"
                      "{\"k\":\"B\"}\n"
                      "  {\"k\": x}\n";
    assert_int_equal(s_read_all(buf, keys, pos, 16, err, sizeof err), -3);
    assert_string_equal(keys[1], "B");
    assert_non_null(strstr(err, "f.json:3:"));
    assert_non_null(strstr(err, "f.json:3:9: not valid JSON"));
    assert_non_null(strstr(err, "(byte 29)"));

    /* unterminated object at the end */
    assert_int_equal(s_read_all("{\"k\":\"A\"}\n{\"k\":\"B\",\n", keys, pos, 16, err, sizeof err), -2);
    assert_non_null(strstr(err, "f.json:"));

    /* two objects separated by a comma (an array without brackets) */
    assert_int_equal(s_read_all("{\"k\":\"A\"},\n{\"k\":\"B\"}", keys, pos, 16, err, sizeof err), -2);
    assert_non_null(strstr(err, "f.json:1:"));

    /* trailing garbage after an object on the same line */
    assert_int_equal(s_read_all("{\"k\":\"A\"} junk\n", keys, pos, 16, err, sizeof err), -2);
    assert_non_null(strstr(err, "f.json:1:"));
}

static void test_not_objects(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("[{\"k\":\"A\"}, 42]", keys, pos, 16, err, sizeof err), -2);
    assert_non_null(strstr(err, "f.json[1]: expected a claim object, got an integer"));
    assert_int_equal(s_read_all("{\"k\":\"A\"}\n[1]\n", keys, pos, 16, err, sizeof err), -2);
    assert_non_null(strstr(err, "f.json:2: expected a claim object, got an array"));
    /* jansson refuses a bare scalar itself, still with the right line */
    assert_int_equal(s_read_all("{\"k\":\"A\"}\n\"B\"\n", keys, pos, 16, err, sizeof err), -2);
    assert_non_null(strstr(err, "f.json:2:"));
    assert_int_equal(s_read_all("[[{\"k\":\"A\"}]]", keys, pos, 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "f.json[0]: expected a claim object, got an array"));
}

static void test_duplicate_keys_refused(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("{\"k\":\"A\",\"k\":\"B\"}", keys, pos, 16, err, sizeof err), -1);
    assert_non_null(strstr(err, "duplicate"));
}

static void test_empty(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("", keys, pos, 16, err, sizeof err), 0);
    assert_int_equal(s_read_all(" \n\n\t\r\n", keys, pos, 16, err, sizeof err), 0);
    struct claim_input *in = claim_input_from_buffer("e.json", "", 0);
    assert_int_equal(claim_input_check(in, err, sizeof err), 0);
    claim_input_destroy(&in);
}

static void test_bom(void **state)
{
    const char *keys[16];
    struct claim_pos pos[16];
    char err[512];
    assert_int_equal(s_read_all("\xEF\xBB\xBF{\"k\":\"A\"}\n{\"k\":\"B\"}", keys, pos, 16, err, sizeof err), 2);
    assert_int_equal(pos[1].line, 2);
    assert_int_equal(s_read_all("\xEF\xBB\xBF[{\"k\":\"A\"}]", keys, pos, 16, err, sizeof err), 1);
}

static void test_check_and_rewind(void **state)
{
    char err[512];
    const char *buf = "{\"k\":\"A\"}\n{\"k\":\"B\"}\n";
    struct claim_input *in = claim_input_from_buffer("f.json", buf, strlen(buf));
    assert_int_equal(claim_input_check(in, err, sizeof err), 2);
    json_t *obj;
    struct claim_pos pos;
    assert_int_equal(claim_input_next(in, &obj, &pos, err, sizeof err), 1);
    assert_string_equal(json_string_value(json_object_get(obj, "k")), "A");
    json_decref(obj);
    claim_input_rewind(in);
    assert_int_equal(claim_input_next(in, &obj, &pos, err, sizeof err), 1);
    assert_string_equal(json_string_value(json_object_get(obj, "k")), "A");
    assert_int_equal(pos.line, 1);
    json_decref(obj);
    claim_input_destroy(&in);

    const char *bad = "{\"k\":\"A\"}\n{oops\n";
    in = claim_input_from_buffer("b.json", bad, strlen(bad));
    assert_int_equal(claim_input_check(in, err, sizeof err), -1);
    assert_non_null(strstr(err, "b.json:2:"));
    /* after a rewind the same error comes back at the same place */
    claim_input_rewind(in);
    assert_int_equal(claim_input_next(in, &obj, &pos, err, sizeof err), 1);
    json_decref(obj);
    assert_int_equal(claim_input_next(in, &obj, &pos, err, sizeof err), -1);
    assert_non_null(strstr(err, "b.json:2:"));
    claim_input_destroy(&in);

    const char *arr = "[{\"k\":\"A\"},{\"k\":\"B\"},{\"k\":\"C\"}]";
    in = claim_input_from_buffer("a.json", arr, strlen(arr));
    assert_int_equal(claim_input_check(in, err, sizeof err), 3);
    assert_int_equal(claim_input_check(in, err, sizeof err), 3);
    claim_input_destroy(&in);
}

static void test_open_files(void **state)
{
    char err[512];
    int errnum = 0;
    struct claim_input *in = claim_input_open("/nonexistent/claims.json", err, sizeof err, &errnum);
    assert_null(in);
    assert_int_equal(errnum, ENOENT);
    assert_non_null(strstr(err, "/nonexistent/claims.json"));
    assert_non_null(strstr(err, strerror(ENOENT)));

    char path[] = "/tmp/test_claim_input_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* bigger than the first read buffer, so the growth path runs */
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int i = 0; i < 5000; i++)
        fprintf(f, "{\"k\":\"K%05d\",\"pad\":\"%s\"}\n", i, "................................");
    fclose(f);
    in = claim_input_open(path, err, sizeof err, &errnum);
    assert_non_null(in);
    assert_string_equal(claim_input_name(in), path);
    assert_int_equal(claim_input_check(in, err, sizeof err), 5000);
    json_t *obj;
    struct claim_pos pos;
    long last = 0;
    while (claim_input_next(in, &obj, &pos, err, sizeof err) == 1) {
        last = pos.line;
        if (pos.line == 4321)
            assert_string_equal(json_string_value(json_object_get(obj, "k")), "K04320");
        json_decref(obj);
    }
    assert_int_equal(last, 5000);
    claim_input_destroy(&in);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_object),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_json_lines_with_blank_lines),
        cmocka_unit_test(test_crlf_lines),
        cmocka_unit_test(test_pretty_objects_in_sequence),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_error_position_mid_file),
        cmocka_unit_test(test_not_objects),
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_check_and_rewind),
        cmocka_unit_test(test_open_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

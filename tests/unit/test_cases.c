/* test_cases.c - the 30 public acceptance cases, through the real parsers.
 *
 * Owns: running shared/domain/cases.jsonl against registry-demo.csv:
 * claims parsed with claim_from_json() (klaim_codec), rows with
 * registry_csv_row() (klaim_registry), duplicates found in file order with
 * claim_same_event(), decisions by decide_claim(). Compares state, total,
 * each item by code, reasons[0] and scholarship_children (when given).
 * Runs in: ctest (test_cases). Reads KLAIM_SHARED_DIR; fails loudly when
 * the files are missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "claim_json.h"
#include "decide.h"
#include "registry_csv.h"
#include "same_event.h"

#ifndef KLAIM_SHARED_DIR
#error "KLAIM_SHARED_DIR must be defined (tests/unit/rules.cmake)"
#endif

#define S_MAX_ROWS 256
#define S_MAX_CASES 256

static struct klaim_member s_rows[S_MAX_ROWS];
static int s_nrows;

static FILE *s_open(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/domain/%s", KLAIM_SHARED_DIR, name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s: set -DKLAIM_SHARED_DIR=<path to shared/> when configuring", path);
    return f;
}

static void s_load_registry(void)
{
    FILE *f = s_open("registry-demo.csv");
    char *line = NULL, why[256];
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    s_nrows = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (lineno == 1) {
            if (registry_csv_header(line, (size_t)len, why, sizeof why) != 0)
                fail_msg("registry-demo.csv:1: bad header: %s", why);
            continue;
        }
        if (len == 0) continue;
        assert_true(s_nrows < S_MAX_ROWS);
        if (registry_csv_row(line, (size_t)len, &s_rows[s_nrows], why, sizeof why) != 0)
            fail_msg("registry-demo.csv:%d: %s", lineno, why);
        s_nrows++;
    }
    free(line);
    fclose(f);
    assert_true(s_nrows > 0);
}

static const struct klaim_member *s_lookup(const char *kpj)
{
    for (int i = 0; i < s_nrows; i++)
        if (strcmp(s_rows[i].kpj, kpj) == 0) return &s_rows[i];
    return NULL;
}

/* Compares one decision with one `expect`; prints every mismatch.
 * Returns 1 when the case passes. */
static int s_check(const char *name, const struct klaim_decision *d, json_t *ex)
{
    int ok = 1;
    const char *st = json_string_value(json_object_get(ex, "state"));
    if (!st || strcmp(st, klaim_state_name(d->state)) != 0) {
        print_message("  %s: state %s, expected %s\n", name, klaim_state_name(d->state), st ? st : "?");
        ok = 0;
    }
    json_int_t total = json_integer_value(json_object_get(ex, "total"));
    if (d->total != (int64_t)total) {
        print_message("  %s: total %lld, expected %lld\n", name, (long long)d->total, (long long)total);
        ok = 0;
    }
    json_t *items = json_object_get(ex, "items");
    const char *code;
    json_t *amount;
    json_object_foreach(items, code, amount) {
        int64_t got = 0;
        int found = 0;
        for (int i = 0; i < d->n_items; i++)
            if (strcmp(d->items[i].code, code) == 0) got = d->items[i].amount, found = 1;
        if (json_integer_value(amount) != 0 && (!found || got != (int64_t)json_integer_value(amount))) {
            print_message("  %s: item %s %s%lld, expected %lld\n", name, code, found ? "" : "missing, ",
                          (long long)got, (long long)json_integer_value(amount));
            ok = 0;
        }
    }
    for (int i = 0; i < d->n_items; i++) {
        json_t *want = json_object_get(items, d->items[i].code);
        if (d->items[i].amount != 0 && !want) {
            print_message("  %s: extra item %s %lld\n", name, d->items[i].code, (long long)d->items[i].amount);
            ok = 0;
        }
    }
    json_t *reasons = json_object_get(ex, "reasons");
    if (json_array_size(reasons) > 0) {
        const char *want = json_string_value(json_array_get(reasons, 0));
        if (d->n_reasons < 1 || !want || strcmp(d->reasons[0].code, want) != 0) {
            print_message("  %s: reasons[0] %s, expected %s\n", name, d->n_reasons ? d->reasons[0].code : "(none)",
                          want ? want : "?");
            ok = 0;
        }
    } else if (d->n_reasons != 0) {
        print_message("  %s: unexpected reason %s: %s\n", name, d->reasons[0].code, d->reasons[0].message);
        ok = 0;
    }
    json_t *sc = json_object_get(ex, "scholarship_children");
    if (sc && json_integer_value(sc) != d->scholarship_children) {
        print_message("  %s: scholarship_children %d, expected %lld\n", name, (int)d->scholarship_children,
                      (long long)json_integer_value(sc));
        ok = 0;
    }
    return ok;
}

static void test_acceptance_cases(void **state)
{
    (void)state;
    static struct klaim_claim claims[S_MAX_CASES];
    s_load_registry();
    FILE *f = s_open("cases.jsonl");
    kdate today_wib = kdate_today_wib();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0, passed = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len <= 1) continue;
        json_error_t jerr;
        json_t *obj = json_loadb(line, (size_t)len, 0, &jerr);
        if (!obj) fail_msg("cases.jsonl:%d: not JSON: %s", n + 1, jerr.text);
        const char *name = json_string_value(json_object_get(obj, "name"));
        struct klaim_err err;
        memset(&err, 0, sizeof err);
        assert_true(n < S_MAX_CASES);
        struct klaim_claim *c = &claims[n];
        if (claim_from_json(json_object_get(obj, "claim"), today_wib, c, &err) != 0)
            fail_msg("cases.jsonl:%d (%s): claim refused at intake: %s: %s", n + 1, name ? name : "?", err.field,
                     err.message);
        /* duplicate_of: the first earlier claim (other key) for the same event, in file order; ids are 1-based */
        int64_t duplicate_of = 0;
        for (int j = 0; j < n && !duplicate_of; j++)
            if (strcmp(claims[j].idempotency_key, c->idempotency_key) != 0 && claim_same_event(&claims[j], c))
                duplicate_of = j + 1;
        struct klaim_decision d;
        decide_claim(c, s_lookup(c->kpj), duplicate_of, &d);
        int ok = s_check(name ? name : "?", &d, json_object_get(obj, "expect"));
        print_message("%s %2d %s\n", ok ? "PASS" : "FAIL", n + 1, name ? name : "?");
        passed += ok;
        n++;
        json_decref(obj);
    }
    free(line);
    fclose(f);
    print_message("%d/%d acceptance cases pass\n", passed, n);
    assert_int_equal(n, 30);
    assert_int_equal(passed, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptance_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* types.c - names of the enums in types.h, both ways. */
#include "types.h"

#include "fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_TABLE(fn, parse, type, ...)                                           \
    static const char *const fn##_names[] = {__VA_ARGS__};                         \
    const char *fn(type v)                                                          \
    {                                                                               \
        if ((int)v <= 0 || (size_t)v >= sizeof fn##_names / sizeof fn##_names[0]) \
            return "";                                                              \
        return fn##_names[v];                                                       \
    }                                                                               \
    type parse(const char *s)                                                       \
    {                                                                               \
        for (size_t i = 1; s && i < sizeof fn##_names / sizeof fn##_names[0]; i++) \
            if (fn##_names[i][0] && strcmp(s, fn##_names[i]) == 0) return (type)i; \
        return (type)0;                                                             \
    }

NAME_TABLE(klaim_program_name, klaim_program_parse, enum klaim_program, "", "JKK", "JKM")
NAME_TABLE(klaim_event_type_name, klaim_event_type_parse, enum klaim_event_type, "", "ACCIDENT",
           "OCCUPATIONAL_DISEASE", "DEATH")
NAME_TABLE(klaim_circumstance_name, klaim_circumstance_parse, enum klaim_circumstance, "", "WORKPLACE", "COMMUTE",
           "WORK_TRAVEL")
NAME_TABLE(klaim_disability_name, klaim_disability_parse, enum klaim_disability, "", "TOTAL", "PARTIAL_ANATOMICAL",
           "PARTIAL_FUNCTIONAL")
NAME_TABLE(klaim_relation_name, klaim_relation_parse, enum klaim_relation, "", "SPOUSE", "CHILD", "PARENT",
           "GRANDPARENT", "GRANDCHILD", "SIBLING", "PARENT_IN_LAW", "WILL_BENEFICIARY", "OTHER")
/* 6 is the store's internal "parked" state, shown as PENDING_REVIEW. */
NAME_TABLE(klaim_state_name, klaim_state_parse, enum klaim_state, "", "RECEIVED", "PROCESSING", "APPROVED",
           "REJECTED", "PENDING_REVIEW", "", "AWAITING_CONFIRMATION")
NAME_TABLE(klaim_payee_role_name, klaim_payee_role_parse, enum klaim_payee_role, "", "HEIR", "PROVIDER",
           "EMPLOYER", "PARTICIPANT")
NAME_TABLE(klaim_category_name, klaim_category_parse, enum klaim_category, "", "PU", "PU_GOV", "BPU", "JAKON", "ASN")

void klaim_id_format(int64_t id, char *buf, size_t size) { fmt_id('k', id, buf, size); }

int klaim_id_parse(const char *s, int64_t *id)
{
    if (!s || s[0] != 'k' || s[1] != '-' || !s[2]) return -1;
    int64_t v = 0;
    for (const char *p = s + 2; *p; p++) {
        if (*p < '0' || *p > '9' || p - s > 20) return -1;
        v = v * 10 + (*p - '0');
    }
    if (v <= 0) return -1;
    *id = v;
    return 0;
}

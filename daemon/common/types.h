/* types.h - the internal claim, registry member and decision.
 *
 * Owns: the plain structs every module passes around once input has been
 * decoded and validated. They hold no pointers, so a struct can be copied,
 * zeroed and compared as a value; strings are NUL-terminated and bounded.
 * Who fills them:
 *   struct klaim_claim    proto/validate.c (from protobuf) and
 *                         proto/claim_json.c (from JSON); never trusted raw
 *   struct klaim_member   workers/registry_csv.c (CSV) and workers/registry.c
 *   struct klaim_decision workers/eligibility.c + workers/benefits.c
 * Money is int64 whole Rupiah; percentages are basis points (10000 = 100 %).
 */
#ifndef KLAIM_TYPES_H
#define KLAIM_TYPES_H
#include <stdint.h>
#include "dates.h"

#define KLAIM_KEY_MAX 128       /* idempotency key bytes */
#define KLAIM_TEXT_MAX 128      /* names, hospital, regency, district, sponsor */
#define KLAIM_MAX_HEIRS 20
#define KLAIM_MAX_ITEMS 16
#define KLAIM_MAX_REASONS 4
#define KLAIM_MAX_AMOUNT 1000000000000LL   /* 10^12 Rupiah, rules.md §8 */
#define KLAIM_MAX_DAYS 36500

/* Enum values equal the protobuf enum values in proto/klaim.proto. */
enum klaim_program { PROGRAM_NONE = 0, PROGRAM_JKK = 1, PROGRAM_JKM = 2 };
enum klaim_event_type { EVENT_NONE = 0, EVENT_ACCIDENT = 1, EVENT_OCCUPATIONAL_DISEASE = 2, EVENT_DEATH = 3 };
enum klaim_circumstance { CIRC_NONE = 0, CIRC_WORKPLACE = 1, CIRC_COMMUTE = 2, CIRC_WORK_TRAVEL = 3 };
enum klaim_disability { DISABILITY_NONE = 0, DISABILITY_TOTAL = 1, DISABILITY_PARTIAL_ANATOMICAL = 2,
                        DISABILITY_PARTIAL_FUNCTIONAL = 3 };
enum klaim_relation { REL_NONE = 0, REL_SPOUSE, REL_CHILD, REL_PARENT, REL_GRANDPARENT, REL_GRANDCHILD,
                      REL_SIBLING, REL_PARENT_IN_LAW, REL_WILL_BENEFICIARY, REL_OTHER };
enum klaim_state { STATE_NONE = 0, STATE_RECEIVED = 1, STATE_PROCESSING = 2, STATE_APPROVED = 3,
                   STATE_REJECTED = 4, STATE_PENDING_REVIEW = 5, STATE_AWAITING_CONFIRMATION = 7 };
enum klaim_payee_role { PAYEE_NONE = 0, PAYEE_HEIR = 1, PAYEE_PROVIDER = 2, PAYEE_EMPLOYER = 3,
                        PAYEE_PARTICIPANT = 4 };
enum klaim_category { CAT_NONE = 0, CAT_PU, CAT_PU_GOV, CAT_BPU, CAT_JAKON, CAT_ASN };

#define KLAIM_PROG_BIT(p) (1u << (p))   /* programs bitmask: KLAIM_PROG_BIT(PROGRAM_JKK) */

/* A bank account (all three set, or has_bank 0). */
struct klaim_bank {
    char code[4];               /* 3 digits, Bank Indonesia's bank code */
    char account[21];           /* 6..20 digits */
    char name[KLAIM_TEXT_MAX + 1];
};

struct klaim_heir {
    char nik[17];               /* "" when absent, else 16 digits */
    char name[KLAIM_TEXT_MAX + 1];
    enum klaim_relation relation;
    int has_bank;
    struct klaim_bank bank;
};

struct klaim_claim {
    char idempotency_key[KLAIM_KEY_MAX + 1];
    enum klaim_program program;
    char kpj[12];               /* 11 digits */
    char nik[17];               /* 16 digits */

    enum klaim_event_type event_type;
    kdate event_date;
    enum klaim_circumstance circumstance;   /* CIRC_NONE when absent */
    int64_t reported_at_s;      /* unix seconds, UTC */
    int32_t reported_offset_min;/* the offset it was given with */
    kdate reported_date;        /* R: WIB date of reported_at */
    char regency[KLAIM_TEXT_MAX + 1];
    char district[KLAIM_TEXT_MAX + 1];
    int has_location_latlon;
    int32_t lat_e6, lon_e6;     /* microdegrees */
    char hospital[KLAIM_TEXT_MAX + 1];

    /* outcome (JKK; ignored and zeroed for JKM) */
    int has_death_date;
    kdate death_date;
    int32_t incapacity_days;
    enum klaim_disability disability;
    int32_t table_bp;
    int32_t function_loss_bp;
    int64_t medical, transport_land, transport_sea, transport_air, home_care;

    int n_heirs;
    struct klaim_heir heirs[KLAIM_MAX_HEIRS];
};

/* One registry row (one membership). */
struct klaim_member {
    char kpj[12];
    char nik[17];
    char name[KLAIM_TEXT_MAX + 1];
    kdate birth_date;
    enum klaim_category category;
    uint32_t programs;          /* KLAIM_PROG_BIT(PROGRAM_JKK) | ... */
    int64_t wage;               /* monthly wage or declared income, Rupiah */
    kdate coverage_start;
    int has_coverage_end;
    kdate coverage_end;
    kmonth paid_through;        /* 12*y + m */
    char sponsor[KLAIM_TEXT_MAX + 1];
    char regency[KLAIM_TEXT_MAX + 1];
    int has_sponsor_bank;       /* the sponsor's account, for EMPLOYER payees */
    struct klaim_bank sponsor_bank;
};

struct klaim_item {
    char code[32];              /* rules.md §3, e.g. "JKM_LUMP_SUM" */
    int64_t amount;             /* > 0 */
    char basis[128];            /* e.g. "PP 82/2019: 48 x wage, min 20,000,000" */
};

struct klaim_reason {
    char code[32];              /* rules.md §4 */
    char message[192];
};

/* Who receives which items (rules.md §6 Payee). items is a bit mask of
 * indexes into the decision's items[]. */
struct klaim_payee {
    enum klaim_payee_role role;
    char id[KLAIM_TEXT_MAX + 1];    /* NIK (HEIR, PARTICIPANT), sponsor (EMPLOYER), hospital (PROVIDER) */
    char name[KLAIM_TEXT_MAX + 1];
    enum klaim_relation relation;   /* HEIR only */
    uint32_t items;
    int64_t amount;
    int has_bank;
    struct klaim_bank bank;
    int bank_name_mismatch;
};

#define KLAIM_MAX_PAYEES 4
#define KLAIM_MAX_PRIOR 16      /* APPROVED claims of one event a follow-up is netted against */

struct klaim_decision {
    enum klaim_state state;     /* APPROVED, REJECTED or PENDING_REVIEW */
    char rule_set[16];          /* "PP-82-2019", "PP-44-2015", "OUT_OF_SCOPE" */
    int64_t wage_basis;
    int n_items;
    struct klaim_item items[KLAIM_MAX_ITEMS];
    int64_t total;              /* sum of items; 0 unless APPROVED */
    int32_t scholarship_children;
    int n_reasons;
    struct klaim_reason reasons[KLAIM_MAX_REASONS];
    int n_payees;               /* APPROVED only */
    struct klaim_payee payees[KLAIM_MAX_PAYEES];
    int n_netted;               /* the prior claims it was decided against (docs/money.md §4) */
    int64_t netted_against[KLAIM_MAX_PRIOR];
};

const char *klaim_program_name(enum klaim_program p);
const char *klaim_event_type_name(enum klaim_event_type t);
const char *klaim_circumstance_name(enum klaim_circumstance c);
const char *klaim_disability_name(enum klaim_disability d);
const char *klaim_relation_name(enum klaim_relation r);
const char *klaim_state_name(enum klaim_state s);
const char *klaim_category_name(enum klaim_category c);
const char *klaim_payee_role_name(enum klaim_payee_role r);
/* Inverse lookups: return the enum value, or 0 (the NONE value) if the
 * name is unknown. Names are the upper-case contract spellings. */
enum klaim_program klaim_program_parse(const char *s);
enum klaim_event_type klaim_event_type_parse(const char *s);
enum klaim_circumstance klaim_circumstance_parse(const char *s);
enum klaim_disability klaim_disability_parse(const char *s);
enum klaim_relation klaim_relation_parse(const char *s);
enum klaim_state klaim_state_parse(const char *s);
enum klaim_category klaim_category_parse(const char *s);
enum klaim_payee_role klaim_payee_role_parse(const char *s);

/* "k-000000000042" for claim id 42; buf >= 24 bytes. */
void klaim_id_format(int64_t id, char *buf, size_t size);
/* Parses "k-<digits>" back; returns 0 and sets *id, or -1. */
int klaim_id_parse(const char *s, int64_t *id);

#endif

/* store_payments.h - the SQL of payment batches, their lines and payee accounts.
 *
 * Owns: the statements on payment_batches, payment_lines, payee_accounts
 *   and claims.payment_state (schema: store.c migration 7 -> 8), on
 *   store.c's write connection.
 * Runs in: klaimd main loop only.
 * Same rules as store.h: writes run inside the transaction batch.c opened;
 * functions return 0, 1 for a documented "no row", -1 on a store error
 * (the caller hands that to batch_fail()).
 */
#ifndef KLAIM_STORE_PAYMENTS_H
#define KLAIM_STORE_PAYMENTS_H
#include <stddef.h>
#include <stdint.h>

#include "types.h"

struct store;
struct store_payments;

struct store_payments *store_payments_new(struct store *s, char *err, size_t errlen);
void store_payments_free(struct store_payments **sp);

/* PaymentState values (klaim.proto) as stored in claims.payment_state and
 * payment_lines.state. */
enum { PAY_NONE = 0, PAY_UNPAID = 1, PAY_IN_BATCH = 2, PAY_PAID = 3, PAY_FAILED = 4 };

/* The most payees a decision can have, as the payment code indexes them. */
#define PAY_MAX_PAYEES 16

/* An APPROVED claim with payment_state UNPAID or FAILED (the partial index
 * claims_payable), decided before decided_before_ms. Valid during fn. */
struct store_pay_candidate {
    int64_t id;
    int payment_state;
    int64_t decided_at_ms;
    const void *decision;
    size_t decision_len;
};
/* In claim id order. fn must not write to the store. */
int store_pay_candidates(struct store_payments *sp, int64_t decided_before_ms,
                         void (*fn)(void *arg, const struct store_pay_candidate *c), void *arg);

/* One payment line. Text is valid during a callback, or points at the
 * caller's strings when inserting. settled_on is a kdate, -1 when unset. */
struct store_pay_line {
    int64_t batch_id;
    int line;
    int64_t claim_id;
    int payee;
    int role;
    const char *payee_id, *payee_name, *bank_code, *account, *account_name;
    int64_t amount;
    const char *items;          /* item codes, ';'-separated */
    int state;                  /* PAY_IN_BATCH, PAY_PAID, PAY_FAILED */
    const char *reference;
    int settled_on;
    const char *failure;
    int64_t settled_at_ms;      /* 0 when unsettled */
};
int store_pay_line_insert(struct store_payments *sp, const struct store_pay_line *l);
/* The lines of a batch in line order. */
int store_pay_lines(struct store_payments *sp, int64_t batch_id,
                    void (*fn)(void *arg, const struct store_pay_line *l), void *arg);
/* Every line of a claim, oldest batch first. */
int store_pay_lines_of_claim(struct store_payments *sp, int64_t claim_id,
                             void (*fn)(void *arg, const struct store_pay_line *l), void *arg);
/* Settle one line (state PAID or FAILED). */
int store_pay_line_settle(struct store_payments *sp, int64_t batch_id, int line, int state, const char *reference,
                          int settled_on, const char *failure, int64_t at_ms);

struct store_pay_batch {
    int64_t id;
    int64_t created_at_ms;
    int until_date;             /* kdate */
    char created_by[72];
    int n_lines;
    int64_t total;
    int settled;
};
/* Inserts a batch; *id gets its number (the next after the highest). */
int store_pay_batch_insert(struct store_payments *sp, const struct store_pay_batch *b, int64_t *id);
/* 0 with *b filled, 1 when there is no such batch, -1. */
int store_pay_batch_get(struct store_payments *sp, int64_t id, struct store_pay_batch *b);
/* Sets settled = 1 when no line of the batch is IN_BATCH; *settled tells. */
int store_pay_batch_check_settled(struct store_payments *sp, int64_t id, int *settled);

/* claims.payment_state of one claim: 0 with *state, 1 when no such claim. */
int store_pay_claim_state(struct store_payments *sp, int64_t claim_id, int *state);
int store_pay_set_claim_state(struct store_payments *sp, int64_t claim_id, int state);

/* A payee's bank account supplied or corrected after the decision. */
struct store_payee_account {
    int payee;
    struct klaim_bank bank;
    int64_t at_ms;
};
/* The accounts recorded for a claim's payees: accts[payee] with has[payee]
 * set, for payee < PAY_MAX_PAYEES. */
int store_payee_accounts(struct store_payments *sp, int64_t claim_id, struct store_payee_account accts[PAY_MAX_PAYEES],
                         int has[PAY_MAX_PAYEES]);
/* Records (or replaces) the account of (claim_id, payee). */
int store_payee_account_set(struct store_payments *sp, int64_t claim_id, int payee, const struct klaim_bank *bank,
                            const char *by, const char *client, int64_t at_ms);

#endif

/* payees.c - see payees.h. */
#include "payees.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "eligibility.h"
#include "log.h"

int payees_death_item(const char *code)
{
    return strncmp(code, "JKM_", 4) == 0 || strcmp(code, "JKK_DEATH_LUMP_SUM") == 0 ||
           strcmp(code, "JKK_FUNERAL") == 0 || strcmp(code, "JKK_PERIODIC") == 0;
}

/* The heir order of the death benefit (Permenaker 44/2015 Ps. 19). */
static int s_rank(enum klaim_relation r)
{
    static const enum klaim_relation order[] = {REL_SPOUSE,      REL_CHILD,         REL_PARENT,
                                                REL_GRANDCHILD,  REL_GRANDPARENT,   REL_SIBLING,
                                                REL_PARENT_IN_LAW, REL_WILL_BENEFICIARY, REL_OTHER};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (order[i] == r) return (int)i;
    return (int)(sizeof order / sizeof order[0]);
}

const struct klaim_heir *payees_heir(const struct klaim_claim *c)
{
    const struct klaim_heir *best = NULL;
    for (int i = 0; i < c->n_heirs && i < KLAIM_MAX_HEIRS; i++) {
        const struct klaim_heir *h = &c->heirs[i];
        if (h->nik[0] && (!best || s_rank(h->relation) < s_rank(best->relation))) best = h;
    }
    return best;
}

int payees_same_name(const char *a, const char *b)
{
    for (;;) {
        while (*a && !isalnum((unsigned char)*a) && !((unsigned char)*a & 0x80)) a++;
        while (*b && !isalnum((unsigned char)*b) && !((unsigned char)*b & 0x80)) b++;
        if (!*a || !*b) return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
        a++, b++;
    }
}

/* The payee of item `code` on claim c. */
static void s_payee_of(const struct klaim_claim *c, const struct klaim_member *m, const char *code,
                       struct klaim_payee *p)
{
    memset(p, 0, sizeof *p);
    kdate death;
    int dead = eligibility_death_claim(c, &death);
    if (strcmp(code, "JKK_MEDICAL") == 0 && c->hospital[0]) {
        p->role = PAYEE_PROVIDER;
        snprintf(p->id, sizeof p->id, "%s", c->hospital);
        snprintf(p->name, sizeof p->name, "%s", c->hospital);
        return;
    }
    if (strcmp(code, "JKK_STMB") == 0 && m->sponsor[0] &&
        (m->category == CAT_PU || m->category == CAT_PU_GOV || m->category == CAT_JAKON)) {
        p->role = PAYEE_EMPLOYER;
        snprintf(p->id, sizeof p->id, "%s", m->sponsor);
        snprintf(p->name, sizeof p->name, "%s", m->sponsor);
        if (m->has_sponsor_bank) p->has_bank = 1, p->bank = m->sponsor_bank;
        return;
    }
    const struct klaim_heir *h = dead ? payees_heir(c) : NULL;
    if (h) {
        p->role = PAYEE_HEIR;
        snprintf(p->id, sizeof p->id, "%s", h->nik);
        snprintf(p->name, sizeof p->name, "%s", h->name);
        p->relation = h->relation;
        if (h->has_bank) p->has_bank = 1, p->bank = h->bank;
        return;
    }
    p->role = PAYEE_PARTICIPANT;
    snprintf(p->id, sizeof p->id, "%s", c->nik);
    snprintf(p->name, sizeof p->name, "%s", m->name);
}

void payees_assign(const struct klaim_claim *c, const struct klaim_member *m, struct klaim_decision *d)
{
    d->n_payees = 0;
    for (int i = 0; i < d->n_items; i++) {
        struct klaim_payee p;
        s_payee_of(c, m, d->items[i].code, &p);
        int k = 0;
        while (k < d->n_payees && !(d->payees[k].role == p.role && strcmp(d->payees[k].id, p.id) == 0)) k++;
        ASSERT(k < KLAIM_MAX_PAYEES);
        if (k == d->n_payees) {
            p.bank_name_mismatch = p.has_bank && !payees_same_name(p.bank.name, p.name);
            d->payees[d->n_payees++] = p;
        }
        d->payees[k].items |= 1u << i;
        d->payees[k].amount += d->items[i].amount;
    }
}

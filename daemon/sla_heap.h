/* sla_heap.h - a binary min-heap of clock deadlines (pure; unit-tested).
 *
 * Owns: ordering of (due_ms, case_id, clock) entries by due_ms.
 * Runs in: klaimd main loop (sla.c); no clock reads, no I/O.
 * Entries may be stale (met or already marked): the caller re-checks the
 * stored case when one comes due, so nothing is ever removed early.
 */
#ifndef KLAIM_SLA_HEAP_H
#define KLAIM_SLA_HEAP_H
#include <stddef.h>
#include <stdint.h>

struct sla_entry {
    int64_t due_ms;
    int64_t case_id;
    int clock;
};

struct sla_heap {
    struct sla_entry *v;
    size_t n, cap;
};

void sla_heap_push(struct sla_heap *h, struct sla_entry e);
/* The earliest entry, or NULL when empty. */
const struct sla_entry *sla_heap_peek(const struct sla_heap *h);
/* Removes the earliest into *out; 0, or -1 when empty. */
int sla_heap_pop(struct sla_heap *h, struct sla_entry *out);
void sla_heap_clear(struct sla_heap *h);

#endif

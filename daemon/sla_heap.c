/* sla_heap.c - see sla_heap.h. Array heap: parent of i is (i-1)/2. */
#include "sla_heap.h"

#include <stdlib.h>

#include "xalloc.h"

static void s_swap(struct sla_entry *a, struct sla_entry *b)
{
    struct sla_entry t = *a;
    *a = *b;
    *b = t;
}

void sla_heap_push(struct sla_heap *h, struct sla_entry e)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    size_t i = h->n++;
    h->v[i] = e;
    while (i > 0 && h->v[(i - 1) / 2].due_ms > h->v[i].due_ms) {
        s_swap(&h->v[(i - 1) / 2], &h->v[i]);
        i = (i - 1) / 2;
    }
}

const struct sla_entry *sla_heap_peek(const struct sla_heap *h) { return h->n ? &h->v[0] : NULL; }

int sla_heap_pop(struct sla_heap *h, struct sla_entry *out)
{
    if (!h->n) return -1;
    *out = h->v[0];
    h->v[0] = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l].due_ms < h->v[m].due_ms) m = l;
        if (r < h->n && h->v[r].due_ms < h->v[m].due_ms) m = r;
        if (m == i) break;
        s_swap(&h->v[i], &h->v[m]);
        i = m;
    }
    return 0;
}

void sla_heap_clear(struct sla_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

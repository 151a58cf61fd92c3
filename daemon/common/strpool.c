/* strpool.c - see strpool.h. */
#include "strpool.h"

#include <stdlib.h>

#include "xalloc.h"

char *strpool_keep(struct strpool *p, const char *s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    return p->v[p->n++] = xstrdup(s ? s : "");
}

void strpool_free(struct strpool *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

/* strpool.h - copies of strings that must live until a reply is packed.
 *
 * Owns: the copies it hands out; strpool_free() releases them all at once.
 * Runs in: any single thread. Replies are built from rows whose text is
 * valid only until the next statement step; keeping copies here lets the
 * protobuf structs point at them without per-field bookkeeping.
 */
#ifndef KLAIM_STRPOOL_H
#define KLAIM_STRPOOL_H
#include <stddef.h>

struct strpool {
    char **v;
    size_t n, cap;
};

/* A copy of s ("" for NULL), valid until strpool_free(). */
char *strpool_keep(struct strpool *p, const char *s);
/* Frees every copy; the pool can be used again. */
void strpool_free(struct strpool *p);

#endif

/* xalloc.h - allocation that never returns NULL.
 *
 * Out of memory is not a condition klaimd can serve through: these abort
 * with a log line instead of scattering NULL checks over every caller.
 */
#ifndef KLAIM_XALLOC_H
#define KLAIM_XALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif

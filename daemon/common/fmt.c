/* fmt.c - see fmt.h. */
#include "fmt.h"

#include <string.h>

size_t fmt_int(char *buf, int64_t v, int width)
{
    char tmp[24];
    size_t n = 0, len = 0;
    /* negative magnitudes through uint64_t, so INT64_MIN works too */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[len++] = '-';
    for (int pad = width - (int)n; pad > 0; pad--) buf[len++] = '0';
    while (n) buf[len++] = tmp[--n];
    return len;
}

void fmt_copy(char *buf, size_t size, const char *s, size_t n)
{
    if (size == 0) return;
    if (n > size - 1) n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

void fmt_id(char prefix, int64_t id, char *buf, size_t size)
{
    char t[32];
    t[0] = prefix, t[1] = '-';
    size_t n = 2 + fmt_int(t + 2, id, 12);
    fmt_copy(buf, size, t, n);
}

int fmt_text_ok(const char *s, size_t max, int required)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0) return !required;
    if (n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return 1;
}

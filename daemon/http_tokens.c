/* http_tokens.c - the bearer tokens file of the HTTP gateway (pure).
 *
 * Owns: parsing "SHA256_HEX ROLE NAME" lines (blank lines and # comments
 *   allowed; every NAME once). Only hashes are stored: a leaked file does not leak tokens.
 *   Make a line with: printf %s "$TOKEN" | sha256sum.
 * Runs in: klaimd at start and on SIGHUP (http.c) and the unit test.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "clients.h"
#include "http.h"

static int s_hex(int c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

int http_tokens_parse(const char *text, struct http_token *out, int max, char *err, size_t errlen)
{
    int n = 0, line = 0;
    const char *p = text;
    while (*p) {
        line++;
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char buf[512];
        if (len >= sizeof buf) {
            snprintf(err, errlen, "line %d: too long (expected \"SHA256_HEX ROLE NAME\")", line);
            return -1;
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        p = end ? end + 1 : p + len;
        char *s = buf;
        while (isspace((unsigned char)*s)) s++;
        if (!*s || *s == '#') continue;
        char hex[80] = "", role[32] = "", name[128] = "";
        int used = 0;
        if (sscanf(s, "%79s %31s %n", hex, role, &used) < 2 || !s[used]) {
            snprintf(err, errlen, "line %d: expected \"SHA256_HEX ROLE NAME\" (hash from: printf %%s TOKEN | sha256sum)", line);
            return -1;
        }
        snprintf(name, sizeof name, "%s", s + used);
        size_t nl = strlen(name);
        while (nl && isspace((unsigned char)name[nl - 1])) name[--nl] = '\0';
        if (strlen(hex) != 64) {
            snprintf(err, errlen, "line %d: the hash must be 64 hex digits (SHA-256 of the token), got %zu characters",
                     line, strlen(hex));
            return -1;
        }
        unsigned char hash[32];
        for (int i = 0; i < 32; i++) {
            int hi = s_hex(hex[2 * i]), lo = s_hex(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                snprintf(err, errlen, "line %d: the hash must be hex digits", line);
                return -1;
            }
            hash[i] = (unsigned char)(hi * 16 + lo);
        }
        enum klaim_role r = klaim_role_parse(role);
        if (r == ROLE_NONE || r == ROLE_WORKER) {
            snprintf(err, errlen, "line %d: role \"%s\": expected hospital, console, upstream, reviewer, monitor or admin", line,
                     role);
            return -1;
        }
        if (nl == 0 || nl > 64) {
            snprintf(err, errlen, "line %d: the name must be 1-64 characters", line);
            return -1;
        }
        /* A name labels claims in logs and reviews: two tokens with one
         * name could not be told apart there, so the file is refused. */
        for (int i = 0; out && i < n; i++) {
            if (strcmp(out[i].name, name) == 0) {
                snprintf(err, errlen, "line %d: the name \"%.64s\" is already used on line %d; give each token its "
                         "own name", line, name, out[i].line);
                return -1;
            }
        }
        if (n >= max && out) {
            snprintf(err, errlen, "line %d: more than %d tokens", line, max);
            return -1;
        }
        if (out) {
            memcpy(out[n].hash, hash, 32);
            out[n].role = r;
            out[n].line = line;
            /* the length was checked above (1-64) */
            if (snprintf(out[n].name, sizeof out[n].name, "%s", name) >= (int)sizeof out[n].name) return -1;
        }
        n++;
    }
    return n;
}

/* claim_input.c - the claims in a file given to `klaimctl submit`.
 *
 * Owns: the file's bytes, the cursor over them and the positions used in
 *   every per-claim message klaimctl prints.
 * Runs in: klaimctl only.
 * Format detection: the first non-blank byte (after an optional UTF-8 BOM)
 *   decides. '[' means one top-level array, parsed whole, positions are
 *   indexes. Anything else is a sequence of values, each parsed with
 *   JSON_DISABLE_EOF_CHECK so jansson reports how many bytes it used; that
 *   covers a single object, JSON Lines (blank lines allowed) and
 *   pretty-printed objects one after another, positions are start lines.
 *   Duplicate keys are refused: a claim whose "program" appears twice has
 *   no single meaning.
 * See also: ctl_submit.c (the only caller), proto/claim_json.h.
 */
#include "claim_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct claim_input {
    char *name;
    char *buf;
    size_t len;
    size_t begin;       /* first byte after a UTF-8 BOM */
    int is_array;
    json_t *array;      /* array mode: parsed once, kept across rewinds */
    size_t idx;         /* array mode: next index */
    size_t off;         /* sequence mode: next byte to parse */
    long line;          /* sequence mode: the line off is on (1-based) */
    size_t line_start;  /* sequence mode: offset of that line's first byte */
    int failed;
    char err[512];
};

static struct claim_input *s_new(const char *name, char *buf, size_t len)
{
    struct claim_input *in = xcalloc(1, sizeof *in);
    in->name = xstrdup(name);
    in->buf = buf;
    in->len = len;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        in->begin = 3;
    size_t i = in->begin;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    in->is_array = i < len && buf[i] == '[';
    claim_input_rewind(in);
    return in;
}

struct claim_input *claim_input_from_buffer(const char *name, const char *buf, size_t len)
{
    char *copy = xmalloc(len + 1);
    if (len)
        memcpy(copy, buf, len);
    copy[len] = '\0';
    return s_new(name, copy, len);
}

struct claim_input *claim_input_open(const char *path, char *errbuf, size_t errlen, int *errnum)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        *errnum = errno;
        snprintf(errbuf, errlen, "%s: cannot open: %s", name, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (cap - len < 2) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    int saved = errno;
    if (!is_stdin)
        fclose(f);
    if (bad) {
        *errnum = saved;
        snprintf(errbuf, errlen, "%s: cannot read: %s", name, strerror(saved));
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return s_new(name, buf, len);
}

void claim_input_destroy(struct claim_input **in)
{
    if (!*in)
        return;
    json_decref((*in)->array);
    free((*in)->buf);
    free((*in)->name);
    free(*in);
    *in = NULL;
}

void claim_input_rewind(struct claim_input *in)
{
    in->idx = 0;
    in->off = in->begin;
    in->line = 1;
    in->line_start = 0;
    in->failed = 0;   /* a bad input fails again at the same place */
}

const char *claim_input_name(const struct claim_input *in) { return in->name; }

const char *claim_input_where(const struct claim_input *in, const struct claim_pos *pos, char *buf, size_t len)
{
    if (pos->line > 0)
        snprintf(buf, len, "%s:%ld", in->name, pos->line);
    else
        snprintf(buf, len, "%s[%ld]", in->name, pos->index);
    return buf;
}

static const char *s_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* Record a syntax error found while parsing from byte base, which lies on
 * line base_line starting at base_line_start; jansson's line and column
 * are relative to base, so shift them back to the file's coordinates. */
static int s_syntax_error(struct claim_input *in, const json_error_t *e, size_t base, long base_line,
                          size_t base_line_start)
{
    long line = base_line + (e->line > 0 ? e->line - 1 : 0);
    long col = e->column;
    if (e->line <= 1)
        col += (long)(base - base_line_start);
    snprintf(in->err, sizeof in->err,
             "%s:%ld:%ld: not valid JSON: %s (byte %zu); expected one claim object, an array of "
             "objects, or one object per line",
             in->name, line, col, e->text, base + (size_t)e->position);
    in->failed = 1;
    return -1;
}

static int s_fail(struct claim_input *in, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "%s", in->err);
    return -1;
}

static int s_next_array(struct claim_input *in, json_t **obj, struct claim_pos *pos, char *errbuf, size_t errlen)
{
    if (!in->array) {
        json_error_t e;
        in->array = json_loadb(in->buf + in->begin, in->len - in->begin, JSON_REJECT_DUPLICATES, &e);
        if (!in->array) {
            s_syntax_error(in, &e, in->begin, 1, 0);
            return s_fail(in, errbuf, errlen);
        }
    }
    if (in->idx >= json_array_size(in->array))
        return 0;
    json_t *v = json_array_get(in->array, in->idx);
    if (!json_is_object(v)) {
        snprintf(in->err, sizeof in->err, "%s[%zu]: expected a claim object, got %s", in->name, in->idx,
                 s_type_name(v));
        in->failed = 1;
        return s_fail(in, errbuf, errlen);
    }
    pos->line = 0;
    pos->index = (long)in->idx++;
    *obj = json_incref(v);
    return 1;
}

static int s_next_seq(struct claim_input *in, json_t **obj, struct claim_pos *pos, char *errbuf, size_t errlen)
{
    while (in->off < in->len) {
        char c = in->buf[in->off];
        if (c == '\n') {
            in->line++;
            in->line_start = in->off + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        in->off++;
    }
    if (in->off >= in->len)
        return 0;
    json_error_t e;
    json_t *v = json_loadb(in->buf + in->off, in->len - in->off, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);
    if (!v) {
        s_syntax_error(in, &e, in->off, in->line, in->line_start);
        return s_fail(in, errbuf, errlen);
    }
    long start_line = in->line;
    if (!json_is_object(v)) {
        snprintf(in->err, sizeof in->err, "%s:%ld: expected a claim object, got %s", in->name, start_line,
                 s_type_name(v));
        in->failed = 1;
        json_decref(v);
        return s_fail(in, errbuf, errlen);
    }
    size_t end = in->off + (size_t)e.position;
    if (end > in->len || end <= in->off)
        end = in->len;   /* jansson promises position; never loop on a bad one */
    for (size_t i = in->off; i < end; i++)
        if (in->buf[i] == '\n') {
            in->line++;
            in->line_start = i + 1;
        }
    in->off = end;
    pos->line = start_line;
    pos->index = 0;
    *obj = v;
    return 1;
}

int claim_input_next(struct claim_input *in, json_t **obj, struct claim_pos *pos, char *errbuf, size_t errlen)
{
    if (in->failed)
        return s_fail(in, errbuf, errlen);
    return in->is_array ? s_next_array(in, obj, pos, errbuf, errlen) : s_next_seq(in, obj, pos, errbuf, errlen);
}

long claim_input_check(struct claim_input *in, char *errbuf, size_t errlen)
{
    claim_input_rewind(in);
    long n = 0;
    json_t *obj;
    struct claim_pos pos;
    int rc;
    while ((rc = claim_input_next(in, &obj, &pos, errbuf, errlen)) == 1) {
        json_decref(obj);
        n++;
    }
    if (rc < 0)
        return -1;
    claim_input_rewind(in);
    return n;
}

/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *s_prog = "klaim";
static enum log_level s_level = LOG_LVL_INFO;
static int s_prefix = 1;

void log_init(const char *progname)
{
    const char *slash = progname ? strrchr(progname, '/') : NULL;
    s_prog = slash ? slash + 1 : (progname ? progname : "klaim");
}

void log_set_level(enum log_level lvl) { s_level = lvl; }
enum log_level log_get_level(void) { return s_level; }
void log_set_prefix(int on) { s_prefix = on; }

int log_level_parse(const char *s, enum log_level *out)
{
    static const struct { const char *name; enum log_level lvl; } t[] = {
        {"error", LOG_LVL_ERROR}, {"warn", LOG_LVL_WARN}, {"warning", LOG_LVL_WARN},
        {"info", LOG_LVL_INFO}, {"debug", LOG_LVL_DEBUG},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(s, t[i].name) == 0) { *out = t[i].lvl; return 0; }
    return -1;
}

const char *log_level_name(enum log_level lvl)
{
    switch (lvl) {
    case LOG_LVL_ERROR: return "error";
    case LOG_LVL_WARN: return "warn";
    case LOG_LVL_INFO: return "info";
    case LOG_LVL_DEBUG: return "debug";
    }
    return "?";
}

/* Format the whole line first and emit it with one write(2), so lines from
 * several processes sharing stderr (klaimd and its workers) never interleave. */
__attribute__((format(printf, 3, 0))) static void s_vlog(int prio, const char *label, const char *fmt, va_list ap)
{
    char line[2048];
    int n = 0;
    if (s_prefix)
        n = snprintf(line, sizeof line, "<%d>%s: %s: ", prio, s_prog, label);
    else
        n = snprintf(line, sizeof line, "%s: %s: ", s_prog, label);
    if (n < 0) return;
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (m < 0) return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (lvl > s_level) return;
    va_list ap;
    va_start(ap, fmt);
    s_vlog((int)lvl, log_level_name(lvl), fmt, ap);
    va_end(ap);
}

/* See log.h. The count goes at the end of the one line that is written,
 * so a reader sees how often it happened without a line per occurrence. */
void log_limited(struct log_limit *l, int interval_ms, enum log_level lvl, const char *fmt, ...)
{
    if (lvl > s_level) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (l->next_ms && now < l->next_ms) {
        if (l->held++ == 0) l->held_since_ms = now;
        return;
    }
    char msg[1800];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (l->held)
        log_msg(lvl, "%s (and %llu more like it in the last %lld s, not logged)", msg, l->held,
                (now - l->held_since_ms + 999) / 1000);
    else
        log_msg(lvl, "%s", msg);
    l->held = 0;
    l->next_ms = now + (interval_ms > 0 ? interval_ms : 1);
}

void log_fatal(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vlog(2, "fatal", fmt, ap);
    va_end(ap);
    exit(code);
}

void log_panic(const char *file, int line, const char *expr)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "<2>%s: panic: %s:%d: assertion failed: %s\n", s_prog, file, line, expr);
    if (n > 0) { ssize_t w = write(STDERR_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1); (void)w; }
    abort();
}

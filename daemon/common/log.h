/* log.h - leveled logging to stderr, one line per event, journald prefixes.
 *
 * Owns: the process-wide log level and program name.
 * Runs in: every klaimd binary; safe from any thread (one write(2) per line).
 * Lines look like "<6>klaimd: info: claim=k-000000000042 state=APPROVED";
 * the "<N>" prefix is the syslog priority journald reads from stderr.
 * Never log NIKs or names above debug.
 */
#ifndef KLAIM_LOG_H
#define KLAIM_LOG_H

enum log_level { LOG_LVL_ERROR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Set the name printed before every line (argv[0]'s basename is a good one). */
void log_init(const char *progname);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Parse "error|warn|info|debug"; returns 0 and sets *out, or -1. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level lvl);
/* Omit the "<N>" prefix (for interactive tools writing to a terminal). */
void log_set_prefix(int on);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) do { if (log_get_level() >= LOG_LVL_DEBUG) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)

/* A warning that can repeat many times a second (a full disk fails every
 * checkpoint, every probe, every commit): the first one is logged at once,
 * the ones within the next interval_ms are only counted, and the first one
 * after it is logged with the count, e.g.
 *   "ckpt: passive checkpoint failed: database or disk is full
 *    (and 99 more like it in the last 10 s, not logged)".
 * One struct log_limit per call site, zero-initialized (LOG_LIMIT_INIT),
 * used by one thread only. */
struct log_limit {
    long long next_ms;          /* CLOCK_MONOTONIC ms before which lines are counted */
    unsigned long long held;    /* counted, not logged, since the last line */
    long long held_since_ms;
};
#define LOG_LIMIT_INIT {0, 0, 0}
void log_limited(struct log_limit *l, int interval_ms, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The environment is wrong (config, disk, permissions): one line at crit
 * level, then exit(code) with a sysexits code. Never for bad client input. */
void log_fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Our own bug: a broken invariant. Logs file:line and aborts, in release
 * builds too, so a core dump is left for the post-mortem. */
void log_panic(const char *file, int line, const char *expr) __attribute__((noreturn));
#define ASSERT(e) do { if (!(e)) log_panic(__FILE__, __LINE__, #e); } while (0)

#endif

/* upstream.h - what BPJS upstream systems and the paying local governments
 * read out of klaimd: the audit chain, decision exports, regional reports.
 *
 * Owns: the audit, export and report requests and their replies.
 * Runs in: klaimd main loop only. Every read is one short page (a bounded
 *   query), so a large export never holds the loop; the coverage report
 *   scans the registry in a klaim-worker helper process, since klaimd never
 *   opens the registry itself.
 */
#ifndef KLAIM_UPSTREAM_H
#define KLAIM_UPSTREAM_H
#include <jansson.h>

#include "klaim.pb-c.h"

struct klaimd;
struct reply_to;

void upstream_audit(struct klaimd *k, const struct reply_to *to, const Klaim__AuditRequest *req);
void upstream_export(struct klaimd *k, const struct reply_to *to, const Klaim__ExportRequest *req);
void upstream_report(struct klaimd *k, const struct reply_to *to, const Klaim__ReportRequest *req);

/* The same reports as JSON, for the HTTP gateway: done(arg, report, err)
 * runs exactly once, at once for "claims" and when the helper ends for
 * "coverage"; report (a new reference the callee owns) is NULL on error and
 * err then says why. The caller must keep arg valid until done runs.
 * Claims: by is "decision" (NULL or "": the default) or "event", which
 * dates from and to are. */
typedef void (*upstream_json_fn)(void *arg, json_t *report, int code, const char *err);
void upstream_report_json(struct klaimd *k, const char *kind, const char *from, const char *to, const char *by,
                          const char *as_of, upstream_json_fn done, void *arg);

#endif

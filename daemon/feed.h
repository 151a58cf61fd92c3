/* feed.h - the dispatch feed: the outbox, the PUB socket, replay, cursors.
 *
 * Owns: the events table's writes (via store_dispatch.c), the PUB socket at
 *   feed_endpoint, the published head seq, FeedReplay pages on the intake
 *   socket, and the cursors of live subscribers (HTTP SSE).
 * Runs in: klaimd main loop only.
 * Invariant: an event is stored in the transaction of the change it
 *   reports (feed_emit inside an open batch) and leaves klaimd only after
 *   that COMMIT, in seq order; the head is the newest published seq, and
 *   a store read never goes past it, so nobody sees an uncommitted event.
 *   A cursor behind the head reads pages of 500 from the store, one per
 *   loop pass; at the head it gets each event as it is published: no gap,
 *   no duplicate.
 */
#ifndef KLAIM_FEED_H
#define KLAIM_FEED_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "klaim.pb-c.h"

struct klaimd;
struct feed;
struct reply_to;
struct store_dispatch;

#define FEED_PAGE_MAX 500

/* Binds the PUB socket and reads the newest stored seq. NULL with err. */
struct feed *feed_new(struct klaimd *k, char *err, size_t errlen);
void feed_free(struct feed **f);
/* The statements of the dispatch tables (shared with cases.c and sla.c). */
struct store_dispatch *feed_store(struct feed *f);

/* Inside an open batch: stores one event (payload: a JSON object; the feed
 * adds type, at, claim_id, case_id; the reference is stolen) and publishes
 * it after the commit. case_text, when not NULL, is the case as this event
 * leaves it (JSON object text): the published line ends with it as "case",
 * but it is not stored (see feed_emit_text). Returns 0, or -1 on a store
 * error (the caller hands that to batch_fail()). */
int feed_emit(struct feed *f, int type, int64_t claim_id, int64_t case_id, json_t *payload, const char *case_text);

/* The same, with the payload as JSON object text (the hot path: no
 * jansson). payload must be a compact JSON object ("{...}") whose keys do
 * not repeat the common ones and hold no "case"; it is copied, the caller
 * keeps it. The store keeps only payload: a case is most of an event's
 * bytes and changes after it, so a replayed event (FeedReplay, an SSE
 * cursor behind the head) carries the case as it stands at replay time,
 * read from the cases table, in the same place as the live line. */
int feed_emit_text(struct feed *f, int type, int64_t claim_id, int64_t case_id, const char *payload,
                   const char *case_text);

/* A small JSON text writer for the per-claim events (jansson costs too much
 * CPU there). Appends to a growable buffer; commas are placed by looking at
 * the last byte, so callers write keys and values in order. Strings are
 * escaped byte-for-byte like jansson's json_dumps (\", \\, \b \f \n \r
 * \t, other control bytes as \u00XX, UTF-8 left as is). buf is always
 * NUL-terminated; jw_take hands it over (free it), jw_free drops it. */
struct jw {
    char *buf;
    size_t len, cap;
};
void jw_init(struct jw *w);
char *jw_take(struct jw *w);
void jw_free(struct jw *w);
void jw_raw(struct jw *w, const char *s, size_t n);
void jw_open(struct jw *w, const char *key, char brace);   /* key NULL inside arrays / at top */
void jw_close(struct jw *w, char brace);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, int v);
void jw_null(struct jw *w, const char *key);
/* A value already in JSON text (an object or array from elsewhere). */
void jw_json(struct jw *w, const char *key, const char *json);

uint64_t feed_head(const struct feed *f);
const char *feed_type_name(int type);

/* Answers a FeedReplayRequest with a FeedPage (intake socket). */
void feed_replay(struct feed *f, const struct reply_to *to, const Klaim__FeedReplayRequest *req);

/* A live subscriber. write(arg, seq, line, len) gets each event's JSON line
 * in order; it returns 0, or -1 when the subscriber must go (too slow, gone):
 * the feed then calls gone(arg) once and frees the cursor. */
typedef int (*feed_write_fn)(void *arg, uint64_t seq, const char *line, size_t len);
typedef void (*feed_gone_fn)(void *arg);
struct feed_sub;
struct feed_sub *feed_subscribe(struct feed *f, uint64_t since, feed_write_fn write, feed_gone_fn gone, void *arg);
/* The subscriber left on its own: free the cursor (gone is not called). */
void feed_unsubscribe(struct feed *f, struct feed_sub *s);

#endif

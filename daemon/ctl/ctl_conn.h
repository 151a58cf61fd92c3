/* ctl_conn.h - klaimctl's one connection to klaimd's intake socket.
 *
 * Owns: the ZeroMQ context and DEALER socket, request ids, and the
 * mapping of typed error replies to messages and sysexits codes.
 * Runs in: klaimctl only (single thread).
 * Every request is one frame (a packed Klaim__Request) and gets exactly
 * one reply frame carrying the same request_id; replies may arrive out of
 * order, so callers that pipeline match them by id.
 */
#ifndef KLAIM_CTL_CONN_H
#define KLAIM_CTL_CONN_H
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* Largest reply frame klaimctl accepts (a registry report with 1000 bad
 * rows is far below this). */
#define CTL_MAX_REPLY_BYTES (64u << 20)

struct ctl_conn;

/* Connect a DEALER to endpoint (linger 0, no HWM). The connection is
 * lazy: an endpoint nobody listens on shows up later as a receive
 * timeout. NULL when libzmq refuses the endpoint; errbuf says why. */
/* curve: NULL for a plain connection, else {client public, client secret,
 * server public} as Z85 strings: the connection is a CURVE client. */
struct ctl_curve {
    char public_z85[41], secret_z85[41], server_z85[41];
};
struct ctl_conn *ctl_conn_new(const char *endpoint, const struct ctl_curve *curve, char *errbuf, size_t errlen);
void ctl_conn_destroy(struct ctl_conn **c);
const char *ctl_conn_endpoint(const struct ctl_conn *c);

/* Stamp req with version 1 and a fresh request id (never 0), pack it and
 * queue it. Returns the id, or 0 when it could not be queued within
 * timeout_ms (treat like "no answer"). req itself is not freed. */
uint64_t ctl_conn_send(struct ctl_conn *c, Klaim__Request *req, int timeout_ms);

enum ctl_recv { CTL_RECV_OK = 0, CTL_RECV_TIMEOUT = 1, CTL_RECV_BAD = 2 };
/* Wait up to timeout_ms for the next reply frame, any request id.
 * OK: *out is the decoded reply (free with codec_reply_free).
 * TIMEOUT: nothing arrived. BAD: a frame arrived that does not decode;
 * err says why (the request it answered cannot be known). */
enum ctl_recv ctl_conn_recv(struct ctl_conn *c, int timeout_ms, Klaim__Reply **out, struct klaim_err *err);

/* Send req and wait up to timeout_ms for the reply with its id; replies to
 * other (earlier, abandoned) ids are dropped. Same results as recv. */
enum ctl_recv ctl_conn_call(struct ctl_conn *c, Klaim__Request *req, int timeout_ms, Klaim__Reply **out,
                            struct klaim_err *err);

/* Print "klaimctl: no answer from klaimd at EP after MS ms: ..." and
 * return 69 (EX_UNAVAILABLE); or, when the handshake failed (a socket
 * monitor saw it, and the wait ended at once), say so and return 77: the
 * CURVE key was refused, or klaimd wants CURVE and no key was given. */
int ctl_conn_no_answer(const struct ctl_conn *c, int waited_ms);
/* Print "klaimctl: reply from klaimd at EP cannot be decoded: ..." and
 * return 69: most likely klaimd speaks another protocol version. */
int ctl_conn_bad_reply(const struct ctl_conn *c, const struct klaim_err *err);

/* 1 once a handshake failed (the key was refused, or CURVE is wanted):
 * a wait that ended early for this is not worth repeating. */
int ctl_conn_refused(const struct ctl_conn *c);

/* Monotonic milliseconds. */
int64_t ctl_now_ms(void);

/* "INVALID_CLAIM" for a Klaim__ErrorCode (the enum's own spelling). */
const char *ctl_error_code_name(int code);
/* "APPROVED" for a Klaim__State. */
const char *ctl_state_name(int state);
/* The sysexits code an error reply means: 65 bad data (INVALID_CLAIM,
 * IDEMPOTENCY_CONFLICT, NOT_FOUND, TOO_LARGE, INVALID_REGISTRY,
 * NOT_REVIEWABLE, INVALID_SETTLEMENT, BACKUP_REFUSED, BAD_REQUEST: klaimd
 * refused what the operator typed), 69 unavailable (UNAVAILABLE,
 * SHUTTING_DOWN, BUSY), 73 CANNOT_WRITE, 77 FORBIDDEN, 70 otherwise
 * (INTERNAL: a bug on one side). */
int ctl_exit_for_error(int code);
/* Of two exit codes, the more serious: 70 > 69 > 77 > 65 > 75 > 0. */
int ctl_exit_worse(int a, int b);
/* Print "klaimctl: WHERE: FIELD: MESSAGE (CODE)" on stderr (no "FIELD: "
 * when the field is empty) and return ctl_exit_for_error(code). */
int ctl_print_error(const char *where, const Klaim__Error *e);
/* The line behind ctl_print_error: "klaimctl: WHERE: FIELD: MESSAGE
 * (CODE)"; the field is left out when empty or when the message already
 * starts with "FIELD:", the code when code_name is NULL. */
void ctl_report(const char *where, const char *field, const char *message, const char *code_name);

/* One request, one reply of the expected body (a Klaim__Reply body case).
 * Returns 0 with *rep set (free with codec_reply_free), or the exit code
 * after printing why: no answer, an undecodable or unexpected reply, or
 * an error reply (which is freed). */
int ctl_conn_expect(struct ctl_conn *c, Klaim__Request *req, int timeout_ms, int body, const char *where,
                    Klaim__Reply **rep);

#endif

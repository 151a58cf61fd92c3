/* worker_loop.c - klaim-worker's loop: READY, jobs, results, heartbeats.
 *
 * Owns: the zmq context, the connection (worker_conn.c), the currently
 * open registry generation, the job count, the time of the last frame sent
 * and received.
 * Runs in: klaim-worker only, single-threaded (libzmq's I/O threads block
 * signals themselves). zmq_poll watches the DEALER and fd 3 (local mode;
 * fd 3 reaching EOF means klaimd is gone, and the worker exits 0 at once)
 * or the handshake monitor (remote mode; klaimd's silence for 3 heartbeats
 * makes a new connection and a new READY, see worker_loop.h).
 * Invariant: every job gets exactly one Result: a decision, retry=true (the
 * registry generation cannot be opened: not charged), or retry=false with
 * an error and no decision (the claim does not decode: klaimd charges an
 * attempt). The decision depends only on (claim, registry row, rule tables).
 */
#include "worker_loop.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "codec.h"
#include "decide.h"
#include "log.h"
#include "registry.h"
#include "types.h"
#include "worker_conn.h"
#include "xalloc.h"

#define S_MAX_FRAME (1u << 20)      /* 1 MiB: a job is a claim, far below */
#define S_FLUSH_MS 1000             /* linger for the last Result on an orderly exit */
#define S_MISSED_HEARTBEATS 3       /* klaimd's silence that makes a remote worker READY again */

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

struct s_worker {
    const struct worker_opts *o;
    void *ctx, *sock;       /* sock: conn.sock */
    struct worker_conn conn;
    int remote;
    struct registry *reg;
    uint64_t jobs;
    int64_t last_send_ms;
    int64_t last_recv_ms;   /* any frame from klaimd (remote mode: its liveness) */
    uint64_t missing_gen;   /* remote: the generation last found missing (logged once) */
    int silence_logged;     /* remote: klaimd's silence was logged; quiet until a frame arrives */
    int daemon_gone;        /* fd 3 EOF/error: nobody to flush results to */
};

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One frame, no delimiter. A failed send is logged, not fatal: the lease
 * expires in klaimd and the claim is retried; fd 3 (local) or klaimd's
 * silence (remote) tells us if it died. */
static void s_send(struct s_worker *w, Klaim__WorkerMsg *m)
{
    m->has_version = 1;
    m->version = KLAIM_PROTO_VERSION;
    size_t len;
    uint8_t *buf = codec_pack(&m->base, &len);
    if (zmq_send(w->sock, buf, len, 0) < 0) {
        /* Remote: EAGAIN while there is no connection (worker_conn.c). */
        if (w->remote && errno == EAGAIN) log_debug("send to klaimd: no connection; frame dropped");
        else log_warn("send to klaimd failed: %s", zmq_strerror(errno));
    }
    free(buf);
    w->last_send_ms = s_mono_ms();
}

static void s_send_heartbeat(struct s_worker *w)
{
    Klaim__Heartbeat hb = KLAIM__HEARTBEAT__INIT;
    hb.has_registry_generation = 1;
    hb.registry_generation = registry_generation(w->reg);
    Klaim__WorkerMsg m = KLAIM__WORKER_MSG__INIT;
    m.body_case = KLAIM__WORKER_MSG__BODY_HEARTBEAT;
    m.heartbeat = &hb;
    s_send(w, &m);
}

static void s_send_result(struct s_worker *w, Klaim__Result *res)
{
    Klaim__WorkerMsg m = KLAIM__WORKER_MSG__INIT;
    m.body_case = KLAIM__WORKER_MSG__BODY_RESULT;
    m.result = res;
    s_send(w, &m);
}

/* Switches to the job's generation between two jobs: the new one is opened
 * before the old one is closed, so a failed open keeps serving the old
 * generation to later jobs that still name it. 0, or -1 with why. A remote
 * worker's registry is a copy: a missing file is named with the way to
 * sync it. */
static int s_use_generation(struct s_worker *w, uint64_t gen, char *why, size_t whylen)
{
    if (gen == 0) {
        snprintf(why, whylen, "no registry generation yet: import a registry CSV (klaimctl registry import)");
        return -1;
    }
    if (w->reg && registry_generation(w->reg) == gen) return 0;
    char path[4096];
    if (w->remote && registry_path(path, sizeof path, w->o->registry_dir, gen, "") == 0 && access(path, F_OK) != 0 &&
        errno == ENOENT) {
        snprintf(why, whylen, "registry generation %" PRIu64 " is missing on this host: no %.400s; copy klaimd's "
                 "DATA/registry/gen-%" PRIu64 ".db into --registry-dir (e.g. rsync -a --include='gen-*.db' "
                 "--exclude='*' KLAIMD_HOST:DATA/registry/ %.200s/)", gen, path, gen, w->o->registry_dir);
        return -1;
    }
    struct registry *r = registry_open(w->o->registry_dir, gen, why, whylen);
    if (!r) return -1;
    log_info("registry generation %" PRIu64 " open (was %" PRIu64 ")", gen, registry_generation(w->reg));
    registry_close(&w->reg);
    w->reg = r;
    return 0;
}

/* A job this worker cannot use: answered, not retried (a bug of klaimd's,
 * charged like a crash so the claim is parked after max_attempts). */
static void s_refuse_job(struct s_worker *w, Klaim__Result *res, const char *id, uint32_t attempt, const char *why)
{
    log_error("claim=%s attempt=%u %s", id, attempt, why);
    res->has_retry = 1;
    res->retry = 0;
    res->error = (char *)why;
    s_send_result(w, res);
}

/* The event's APPROVED claims from the job, validated like any claim, with
 * the items they were approved for. 0, or -1 with why. */
static int s_priors(const Klaim__Job *job, struct klaim_prior *out, char *why, size_t whylen)
{
    for (size_t i = 0; i < job->n_prior; i++) {
        const Klaim__PriorClaim *p = job->prior[i];
        struct klaim_err err;
        memset(&err, 0, sizeof err);
        out[i].claim_id = p->has_claim_id ? p->claim_id : 0;
        if (!p->claim || validate_claim(p->claim, INT32_MAX, &out[i].claim, &err) < 0 ||
            p->n_items > KLAIM_MAX_ITEMS) {
            snprintf(why, whylen, "prior claim %lld of the event does not decode: %s%s%s", (long long)out[i].claim_id,
                     err.field, err.field[0] ? ": " : "", err.message);
            return -1;
        }
        for (size_t j = 0; j < p->n_items; j++) {
            const Klaim__Item *it = p->items[j];
            if (!it->code || strlen(it->code) >= sizeof out[i].items[j].code || !it->has_amount || it->amount < 0) {
                snprintf(why, whylen, "prior claim %lld has an unusable item", (long long)out[i].claim_id);
                return -1;
            }
            snprintf(out[i].items[j].code, sizeof out[i].items[j].code, "%s", it->code);
            out[i].items[j].amount = it->amount;
        }
        out[i].n_items = (int)p->n_items;
    }
    return 0;
}

/* Decides one job and sends its one Result. The protobuf Decision points
 * into the local struct klaim_decision: nothing to free. */
static void s_job(struct s_worker *w, const Klaim__Job *job)
{
    Klaim__Result res = KLAIM__RESULT__INIT;
    res.has_claim_id = 1;
    res.claim_id = job->claim_id;
    res.has_attempt = 1;
    res.attempt = job->attempt;
    char idbuf[24];
    klaim_id_format(job->claim_id, idbuf, sizeof idbuf);

    const Klaim__Claim *pc = job->claim;
    /* Test-only poison claim (--help documents it): die before answering,
     * exactly like a decider bug would, so crash tests can watch klaimd. */
    if (w->o->crash_kpj && pc && pc->participant && pc->participant->kpj &&
        strcmp(pc->participant->kpj, w->o->crash_kpj) == 0) {
        log_error("claim=%s KLAIM_WORKER_CRASH_KPJ matched: aborting (test hook)", idbuf);
        abort();
    }

    char why[1024];
    struct klaim_claim claim;
    struct klaim_err err;
    memset(&err, 0, sizeof err);
    if (s_use_generation(w, job->has_registry_generation ? job->registry_generation : 0, why, sizeof why) < 0) {
        log_warn("claim=%s attempt=%u retry: %s", idbuf, job->attempt, why);
        res.has_retry = 1;
        res.retry = 1;
        res.error = why;
        s_send_result(w, &res);
        return;
    }
    /* The job carries the claim klaimd re-encoded from its validated form;
     * validating it again (without the today check) is the same decode as
     * claim_canonical_unpack, without a pack/unpack round trip. */
    /* A reviewer's heirs replace the claim's (its stored bytes never
     * change): the claim is validated with them, like any heirs. */
    Klaim__Claim with_heirs;
    if (pc && job->has_heirs_replaced && job->heirs_replaced) {
        with_heirs = *pc;
        with_heirs.n_heirs = job->n_heirs;
        with_heirs.heirs = job->heirs;
        pc = &with_heirs;
    }
    if (!pc || validate_claim(pc, INT32_MAX, &claim, &err) < 0) {
        if (!pc)
            snprintf(why, sizeof why, "job has no claim");
        else
            snprintf(why, sizeof why, "claim does not decode: %s%s%s", err.field, err.field[0] ? ": " : "",
                     err.message);
        log_error("claim=%s attempt=%u %s", idbuf, job->attempt, why);
        res.has_retry = 1;
        res.retry = 0;
        res.error = why;
        s_send_result(w, &res);
        return;
    }

    struct klaim_member member;
    int found = registry_lookup(w->reg, claim.kpj, &member);
    if (found < 0) {
        snprintf(why, sizeof why, "registry lookup failed in generation %" PRIu64, registry_generation(w->reg));
        res.has_retry = 1;
        res.retry = 1;
        res.error = why;
        s_send_result(w, &res);
        return;
    }
    /* Review reasons a person accepted; an unknown code (a newer klaimd)
     * waives nothing, so the claim goes back to review rather than pay. */
    uint32_t waive = 0;
    for (size_t i = 0; i < job->n_waive; i++) waive |= klaim_waiver_for_code(job->waive[i] ? job->waive[i] : "");
    struct klaim_case_facts facts_in = {.duplicate_of = job->duplicate_of, .waive = waive};
    if (job->has_earlier_death && job->earlier_death) {
        facts_in.earlier_death = job->earlier_death;
        if (!job->earlier_death_date || kdate_parse(job->earlier_death_date, strlen(job->earlier_death_date), &facts_in.earlier_death_date) != 0) {
            snprintf(why, sizeof why, "job's earlier_death_date \"%s\" is not a date",
                     job->earlier_death_date ? job->earlier_death_date : "");
            s_refuse_job(w, &res, idbuf, job->attempt, why);
            return;
        }
    }
    struct klaim_prior *prior = NULL;
    if (job->n_prior > 0) {
        if (job->n_prior > KLAIM_MAX_PRIOR) {
            snprintf(why, sizeof why, "job has %zu prior claims; at most %d", job->n_prior, KLAIM_MAX_PRIOR);
            s_refuse_job(w, &res, idbuf, job->attempt, why);
            return;
        }
        prior = xcalloc(job->n_prior, sizeof *prior);
        if (s_priors(job, prior, why, sizeof why) != 0) {
            free(prior);
            s_refuse_job(w, &res, idbuf, job->attempt, why);
            return;
        }
        facts_in.n_prior = (int)job->n_prior;
        facts_in.prior = prior;
    }
    struct klaim_decision d;
    decide_claim_with(&claim, found ? &member : NULL, &facts_in, &d);
    free(prior);
    ASSERT(d.n_items >= 0 && d.n_items <= KLAIM_MAX_ITEMS);
    ASSERT(d.n_reasons >= 0 && d.n_reasons <= KLAIM_MAX_REASONS);

    Klaim__Item items[KLAIM_MAX_ITEMS], *itemp[KLAIM_MAX_ITEMS];
    Klaim__Reason reasons[KLAIM_MAX_REASONS], *reasonp[KLAIM_MAX_REASONS];
    for (int i = 0; i < d.n_items; i++) {
        klaim__item__init(&items[i]);
        items[i].code = d.items[i].code;
        items[i].has_amount = 1;
        items[i].amount = d.items[i].amount;
        items[i].basis = d.items[i].basis;
        itemp[i] = &items[i];
    }
    for (int i = 0; i < d.n_reasons; i++) {
        klaim__reason__init(&reasons[i]);
        reasons[i].code = d.reasons[i].code;
        reasons[i].message = d.reasons[i].message;
        reasonp[i] = &reasons[i];
    }
    Klaim__Decision pd = KLAIM__DECISION__INIT;
    pd.claim_id = idbuf;
    pd.idempotency_key = claim.idempotency_key;
    pd.has_state = 1;
    pd.state = (Klaim__State)d.state;
    pd.has_program = 1;
    pd.program = (Klaim__Program)claim.program;
    pd.rule_set = d.rule_set;
    pd.has_wage_basis = 1;
    pd.wage_basis = d.wage_basis;
    pd.n_items = (size_t)d.n_items;
    pd.items = itemp;
    pd.has_total = 1;
    pd.total = d.total;
    pd.has_scholarship_children = 1;
    pd.scholarship_children = d.scholarship_children;
    pd.n_reasons = (size_t)d.n_reasons;
    pd.reasons = reasonp;
    pd.has_received_at_ms = job->has_received_at_ms;
    pd.received_at_ms = job->received_at_ms;
    pd.has_decided_at_ms = 1;
    pd.decided_at_ms = s_wall_ms();
    struct payees_pb_scratch payees;
    decision_payees_to_pb(&d, &payees, &pd);
    res.decision = &pd;
    Klaim__MemberFacts facts = KLAIM__MEMBER_FACTS__INIT;
    if (found) {
        facts.name = member.name;
        facts.category = (char *)klaim_category_name(member.category);
        facts.sponsor = member.sponsor;
        facts.regency = member.regency;
        res.member = &facts;
    }
    log_debug("claim=%s attempt=%u state=%s total=%lld member=%s", idbuf, job->attempt, klaim_state_name(d.state),
              (long long)d.total, found ? "found" : "absent");
    s_send_result(w, &res);
}

/* Drains fd 3. klaimd sends nothing on it today; EOF or an error means the
 * daemon is gone. Returns 0 to go on, -1 to exit. */
static int s_ctl_readable(int fd)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) return 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    log_info("control fd %d: %s; klaimd is gone, exiting", fd, n == 0 ? "EOF" : strerror(errno));
    return -1;
}

/* Remote mode: klaimd's heartbeat names its current registry generation.
 * Open it now, between jobs, and say so at once in a heartbeat: klaimd
 * leases to us only while we report it. A missing file is logged once per
 * generation, with the file and how to sync it; retried at every heartbeat. */
static void s_follow_generation(struct s_worker *w, const Klaim__Heartbeat *hb)
{
    uint64_t gen = hb->has_registry_generation ? hb->registry_generation : 0;
    if (gen == 0 || (w->reg && registry_generation(w->reg) == gen)) return;
    char why[1024];
    if (s_use_generation(w, gen, why, sizeof why) != 0) {
        if (w->missing_gen != gen)
            log_warn("klaimd is on a registry generation this worker cannot open, and sends it no claims until it "
                     "can: %s", why);
        w->missing_gen = gen;
        return;
    }
    w->missing_gen = 0;
    s_send_heartbeat(w);
}

/* Receives everything queued on the DEALER. Returns -1 to keep going, or an
 * exit code. */
static int s_drain(struct s_worker *w)
{
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, w->sock, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(&msg);
            if (e == EAGAIN || e == EINTR) return -1;
            log_error("receive from klaimd failed: %s", zmq_strerror(e));
            return WORKER_EXIT_OK;
        }
        struct klaim_err err;
        memset(&err, 0, sizeof err);
        Klaim__WorkerMsg *m = codec_worker_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), S_MAX_FRAME, &err);
        size_t size = zmq_msg_size(&msg);
        zmq_msg_close(&msg);
        w->last_recv_ms = s_mono_ms();
        w->silence_logged = 0;
        if (!m || m->version != KLAIM_PROTO_VERSION) {
            log_error("frame of %zu bytes from klaimd does not decode (%s%s%s): klaimd and klaim-worker must be the "
                      "same version; exiting 78", size, err.field, err.field[0] ? ": " : "", err.message);
            codec_worker_free(m);
            return WORKER_EXIT_CONFIG;
        }
        switch (m->body_case) {
        case KLAIM__WORKER_MSG__BODY_JOB:
            s_job(w, m->job);
            w->jobs++;
            break;
        case KLAIM__WORKER_MSG__BODY_HEARTBEAT:
            /* Local: liveness only (fd 3 is the parent check). Remote: also
             * the generation klaimd leases on; report it once it is open. */
            if (w->remote) s_follow_generation(w, m->heartbeat);
            break;
        default:
            log_warn("unexpected worker message body %d from klaimd ignored", (int)m->body_case);
            break;
        }
        codec_worker_free(m);
        if (s_stop) return WORKER_EXIT_OK;
        if (w->o->max_jobs && w->jobs >= w->o->max_jobs) {
            log_info("retiring after %" PRIu64 " jobs", w->jobs);
            return WORKER_EXIT_OK;
        }
    }
}

/* READY on the current connection: the first frame klaimd hears from it. */
static void s_send_ready(struct s_worker *w)
{
    Klaim__Ready ready = KLAIM__READY__INIT;
    ready.magic = (char *)KLAIM_WORKER_MAGIC;
    ready.has_pid = 1;
    ready.pid = (uint32_t)getpid();
    ready.has_credits = 1;
    ready.credits = w->o->credits;
    ready.has_registry_generation = 1;
    ready.registry_generation = registry_generation(w->reg);
    Klaim__WorkerMsg m = KLAIM__WORKER_MSG__INIT;
    m.body_case = KLAIM__WORKER_MSG__BODY_READY;
    m.ready = &ready;
    s_send(w, &m);
    w->last_recv_ms = s_mono_ms(); /* klaimd's silence counts from here */
}

/* Opens the next connection and sends READY on it. 0, or -1 (logged). */
static int s_connect(struct s_worker *w)
{
    char why[512];
    if (worker_conn_open(&w->conn, w->ctx, w->o, why, sizeof why) != 0) {
        log_error("%s", why);
        return -1;
    }
    w->sock = w->conn.sock;
    s_send_ready(w);
    return 0;
}

/* Remote mode: klaimd has been silent for 3 heartbeats. It restarted, or
 * dropped our slot (missed heartbeats, an expired lease), or the network
 * is down: either way only a READY on a new routing id gets a slot again.
 * Jobs in hand are already answered (one at a time); klaimd requeued what
 * it had leased to the old routing id. */
static int s_reconnect(struct s_worker *w)
{
    if (!w->silence_logged)
        log_warn("no frame from klaimd at %s for %" PRId64 " ms (%d heartbeats): sending READY again on a new "
                 "connection, every %d heartbeats until klaimd answers", w->o->endpoint,
                 s_mono_ms() - w->last_recv_ms, S_MISSED_HEARTBEATS, S_MISSED_HEARTBEATS);
    else
        log_debug("klaimd at %s still silent: sending READY again on a new connection", w->o->endpoint);
    w->silence_logged = 1;
    worker_conn_close(&w->conn, 0);
    w->sock = NULL;
    return s_connect(w);
}

static int s_loop(struct s_worker *w)
{
    while (!s_stop) {
        int64_t now = s_mono_ms();
        int64_t due = w->last_send_ms + w->o->heartbeat_ms;
        if (now >= due) {
            s_send_heartbeat(w);
            continue;
        }
        if (w->remote) {
            int64_t deadline = w->last_recv_ms + (int64_t)S_MISSED_HEARTBEATS * w->o->heartbeat_ms;
            if (now >= deadline) {
                if (s_reconnect(w) != 0) return WORKER_EXIT_CONFIG;
                continue;
            }
            if (deadline < due) due = deadline;
        }
        /* items: the DEALER, then fd 3 (local) or the monitor (remote) */
        zmq_pollitem_t items[2] = {{.socket = w->sock, .events = ZMQ_POLLIN}};
        int n_items = 1;
        if (w->o->ctl_fd >= 0) items[n_items++] = (zmq_pollitem_t){.fd = w->o->ctl_fd, .events = ZMQ_POLLIN};
        else if (w->conn.mon) items[n_items++] = (zmq_pollitem_t){.socket = w->conn.mon, .events = ZMQ_POLLIN};
        int n = zmq_poll(items, n_items, (long)(due - now));
        if (n < 0) {
            if (errno == EINTR) continue;
            log_error("zmq_poll failed: %s", zmq_strerror(errno));
            return WORKER_EXIT_OK;
        }
        if (w->o->ctl_fd >= 0 && (items[1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) &&
            s_ctl_readable(w->o->ctl_fd) < 0) {
            w->daemon_gone = 1;
            return WORKER_EXIT_OK;
        }
        if (w->conn.mon && (items[1].revents & ZMQ_POLLIN)) worker_conn_events(&w->conn, w->o->endpoint);
        /* ZMQ_POLLIN on the DEALER can be stale; s_drain reads until EAGAIN. */
        if (items[0].revents & ZMQ_POLLIN) {
            int rc = s_drain(w);
            if (rc >= 0) return rc;
        }
    }
    log_info("signal received, exiting");
    return WORKER_EXIT_OK;
}

int worker_run(const struct worker_opts *o)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;    /* no SA_RESTART: zmq_poll returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct s_worker w = {.o = o, .remote = o->curve_public != NULL};
    int rc = WORKER_EXIT_OK;
    w.ctx = zmq_ctx_new();
    ASSERT(w.ctx != NULL);
    if (s_connect(&w) != 0) {
        rc = WORKER_EXIT_CONFIG;
        goto out;
    }
    if (w.remote)
        log_info("remote worker %s pid=%d connecting to %s credits=%" PRIu32 " heartbeat_ms=%" PRIu32
                 " registry_dir=%s", w.conn.rid, (int)getpid(), o->endpoint, o->credits, o->heartbeat_ms,
                 o->registry_dir);
    else
        log_info("worker %s pid=%d ready credits=%" PRIu32 " heartbeat_ms=%" PRIu32, w.conn.rid, (int)getpid(),
                 o->credits, o->heartbeat_ms);

    rc = s_loop(&w);
out:
    /* LINGER is 0 so a dead daemon never holds us up; on an orderly exit
     * (retirement, SIGTERM) the last Result may still sit in libzmq's queue:
     * give it a bounded moment to reach klaimd, or the claim would be
     * requeued and charged although it was decided. */
    worker_conn_close(&w.conn, rc == WORKER_EXIT_OK && !w.daemon_gone ? S_FLUSH_MS : 0);
    registry_close(&w.reg);
    zmq_ctx_term(w.ctx);
    return rc;
}

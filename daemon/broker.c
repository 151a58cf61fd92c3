/* broker.c - credits, JOBs, RESULTs, heartbeats and leases.
 *
 * Owns: the worker ROUTER, the dispatch queue, each worker's leases, and
 *   the remote worker slots (after the local ones).
 * Runs in: klaimd main loop only.
 * Invariant: a JOB is sent only after its lease committed; a RESULT counts
 *   only for the lease it answers. Work waits in the store and in the queue,
 *   never in libzmq pipes: a worker holds at most `credits` jobs (zguide's
 *   load-balancing broker; pitfalls.md "Pushing into DEALER pipes").
 * Remote workers (remote_worker_endpoint, CURVE, role worker) are not our
 *   processes: a READY on a fresh routing id takes a free remote slot, and
 *   where a local worker would be killed (silence, an expired lease, a
 *   protocol error) a remote slot is dropped instead, its leases failing
 *   exactly as a dead local worker's. A remote worker gets leases only
 *   while it reports the current registry generation open (heartbeats),
 *   since its registry is a copy that may lag behind.
 * See also: supervisor.c (processes), remote_peer.c (who a frame is from),
 *   store.c (lease/decide/requeue).
 */
#include "broker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "batch.h"
#include "cases.h"
#include "codec.h"
#include "decide.h"
#include "intake.h"
#include "klaimd.h"
#include "log.h"
#include "metrics.h"
#include "registry_gen.h"
#include "remote_peer.h"
#include "store.h"
#include "supervisor.h"
#include "xalloc.h"
#include "zmq_ev.h"

#define BROKER_MISSED_HEARTBEATS 3
#define BROKER_BACKOFF_BASE_MS 200
#define BROKER_BACKOFF_MAX_MS 30000

struct lease {
    int64_t claim_id;
    int attempt;
    int64_t deadline_mono;
    int64_t received_at_ms;     /* the claim's, for klaimd_claim_decision_seconds (0 = unknown) */
};

struct worker {
    int slot;
    uint32_t gen;               /* local: spawn generation (0 = no process); remote: bumped per READY */
    pid_t pid;                  /* local: the process; remote: what its READY said (logs only) */
    int ready;
    int credits;                /* granted by READY */
    int reserved;               /* credits held for uncommitted inserts/leases */
    int n_leases;
    struct lease *leases;       /* capacity: config worker_credits */
    int solo;                   /* holds a suspect claim: no other job meanwhile */
    int64_t last_seen_mono;
    char rid[64];
    size_t rid_len;
    /* remote slots only */
    int remote;
    int in_use;                 /* taken by a READY, until dropped */
    uint64_t reg_gen;           /* the registry generation it reports open */
    int64_t behind_since_mono;  /* reg_gen != current since then; 0 = on it */
    uint64_t warned_gen;        /* the current generation we last said it lacks */
    char client[65];            /* the .client file's name (remote_peer_of) */
    char addr[64];
};

struct delayed {
    int64_t claim_id;
    int64_t due_ms;
};

struct broker {
    struct klaimd *k;
    void *sock;
    struct zmq_ev *zev;
    struct event *tick_ev;
    struct worker *workers;     /* local slots 0..n_local-1, then the remote ones */
    int n_workers;
    int n_local;
    struct remote_quiet quiet;  /* unanswered remote routing ids, logged once */
    int64_t full_logged_mono;   /* last "no free remote slot" line */
    int next_worker;            /* round-robin start */
    /* ready queue: a ring of claim ids */
    int64_t *ring;
    size_t ring_cap, ring_head, ring_len;
    struct delayed *delayed;
    size_t n_delayed, cap_delayed;
    uint64_t registry_gen;
    int leasing;                /* 0 once stopping */
    uint64_t stale_results;
    uint64_t decided;
    int warned_no_registry;
    /* Claims that were leased to a worker that died holding several: one of
     * them may be the culprit. Each runs alone on an idle worker until it is
     * decided, so a crash is charged to the claim that caused it only. */
    int64_t *suspects;
    size_t n_suspects, cap_suspects;
};

static int s_is_suspect(const struct broker *b, int64_t id)
{
    for (size_t i = 0; i < b->n_suspects; i++)
        if (b->suspects[i] == id) return 1;
    return 0;
}

static void s_suspect_add(struct broker *b, int64_t id)
{
    if (s_is_suspect(b, id)) return;
    if (b->n_suspects == b->cap_suspects) {
        b->cap_suspects = b->cap_suspects ? 2 * b->cap_suspects : 16;
        b->suspects = xrealloc(b->suspects, b->cap_suspects * sizeof *b->suspects);
    }
    b->suspects[b->n_suspects++] = id;
}

static void s_suspect_clear(struct broker *b, int64_t id)
{
    for (size_t i = 0; i < b->n_suspects; i++)
        if (b->suspects[i] == id) b->suspects[i] = b->suspects[--b->n_suspects];
}

/* ---------------------------------------------------------------- queue */

static void s_ring_push(struct broker *b, int64_t id, int front)
{
    if (b->ring_len == b->ring_cap) {
        size_t cap = b->ring_cap ? 2 * b->ring_cap : 1024;
        int64_t *r = xmalloc(cap * sizeof *r);
        for (size_t i = 0; i < b->ring_len; i++) r[i] = b->ring[(b->ring_head + i) % b->ring_cap];
        free(b->ring);
        b->ring = r;
        b->ring_cap = cap;
        b->ring_head = 0;
    }
    if (front) {
        b->ring_head = (b->ring_head + b->ring_cap - 1) % b->ring_cap;
        b->ring[b->ring_head] = id;
    } else {
        b->ring[(b->ring_head + b->ring_len) % b->ring_cap] = id;
    }
    b->ring_len++;
}

static int64_t s_ring_pop(struct broker *b)
{
    int64_t id = b->ring[b->ring_head];
    b->ring_head = (b->ring_head + 1) % b->ring_cap;
    b->ring_len--;
    return id;
}

void broker_enqueue(struct broker *b, int64_t claim_id, int64_t not_before_ms)
{
    if (not_before_ms <= klaimd_now_ms()) {
        s_ring_push(b, claim_id, 0);
        return;
    }
    if (b->n_delayed == b->cap_delayed) {
        b->cap_delayed = b->cap_delayed ? 2 * b->cap_delayed : 64;
        b->delayed = xrealloc(b->delayed, b->cap_delayed * sizeof *b->delayed);
    }
    b->delayed[b->n_delayed++] = (struct delayed){claim_id, not_before_ms};
}

/* Backoff before retry `attempt`: min(200 ms * 2^(attempt-1), 30 s), +-20 %
 * so claims failed together do not come back together. */
static int64_t s_backoff_ms(int attempt)
{
    int64_t ms = BROKER_BACKOFF_BASE_MS;
    for (int i = 1; i < attempt && ms < BROKER_BACKOFF_MAX_MS; i++) ms *= 2;
    if (ms > BROKER_BACKOFF_MAX_MS) ms = BROKER_BACKOFF_MAX_MS;
    int64_t jitter = ms / 5;
    return ms - jitter + (jitter > 0 ? random() % (2 * jitter + 1) : 0);
}

/* -------------------------------------------------------------- workers */

/* A slot with a worker behind it: a local process, or a remote READY. */
static int s_alive(const struct worker *w) { return w->remote ? w->in_use : w->pid != 0; }

/* The slot a frame belongs to. Local frames (no ZAP User-Id) are matched
 * against local slots by "wS.G", remote ones against the routing ids that
 * took a remote slot: a remote peer cannot speak for a local slot. */
static struct worker *s_worker_by_rid(struct broker *b, const void *rid, size_t len, int remote)
{
    if (remote) {
        for (int i = b->n_local; i < b->n_workers; i++) {
            struct worker *w = &b->workers[i];
            if (w->in_use && w->rid_len == len && memcmp(w->rid, rid, len) == 0) return w;
        }
        return NULL;
    }
    int slot;
    unsigned gen;
    char buf[32];
    if (len == 0 || len >= sizeof buf) return NULL;
    memcpy(buf, rid, len);
    buf[len] = '\0';
    if (sscanf(buf, "w%d.%u", &slot, &gen) != 2 || slot < 0 || slot >= b->n_local) return NULL;
    struct worker *w = &b->workers[slot];
    return w->gen == gen && w->pid != 0 ? w : NULL;
}

/* A remote worker decides with its own copy of the registry: it gets
 * leases only while it has the current generation open. Local workers
 * share klaimd's registry folder and switch on the job. */
static int s_on_generation(const struct broker *b, const struct worker *w)
{
    return !w->remote || w->reg_gen == b->registry_gen;
}

static int s_free_credits(const struct broker *b, const struct worker *w)
{
    return w->ready && !w->solo && s_on_generation(b, w) ? w->credits - w->n_leases - w->reserved : 0;
}

/* A failed send to a remote peer is usual while its connection is down
 * (ROUTER_MANDATORY: EHOSTUNREACH); silence detection drops it in time. */
static int s_send_frame(struct broker *b, struct worker *w, const uint8_t *frame, size_t len)
{
    int rc = zmq_ev_send2(b->zev, w->rid, w->rid_len, frame, len);
    if (rc != 0 && w->remote)
        log_debug("broker: send to remote worker %.*s failed: %s", (int)w->rid_len, w->rid, zmq_strerror(errno));
    else if (rc != 0)
        log_warn("broker: send to worker %.*s failed: %s", (int)w->rid_len, w->rid, zmq_strerror(errno));
    return rc;
}

static int s_send(struct broker *b, struct worker *w, const Klaim__WorkerMsg *m)
{
    size_t len;
    uint8_t *buf = codec_pack(&m->base, &len);
    int rc = s_send_frame(b, w, buf, len);
    free(buf);
    return rc;
}

/* One heartbeat to one worker: liveness, and the registry generation a
 * remote worker should have open. Returns s_send's result. */
static int s_heartbeat(struct broker *b, struct worker *w)
{
    Klaim__Heartbeat hb = KLAIM__HEARTBEAT__INIT;
    hb.has_registry_generation = 1, hb.registry_generation = b->registry_gen;
    Klaim__WorkerMsg m = KLAIM__WORKER_MSG__INIT;
    m.has_version = 1, m.version = KLAIM_PROTO_VERSION;
    m.body_case = KLAIM__WORKER_MSG__BODY_HEARTBEAT;
    m.heartbeat = &hb;
    return s_send(b, w, &m);
}

/* The claim of a lease that ended without a decision. Charged failures back
 * off and, at max_attempts, park the claim as DEAD with PROCESSING_FAILED
 * (architecture.md §3); uncharged ones (retry, restart) come back soon. */
struct requeue_op {
    struct broker *b;
    int64_t claim_id;
    int64_t not_before_ms;
    int dead;
};

static void s_on_requeued(void *arg, int committed)
{
    struct requeue_op *op = arg;
    struct broker *b = op->b;
    if (committed && op->dead) intake_on_decided(b->k->intake, op->claim_id);
    else broker_enqueue(b, op->claim_id, committed ? op->not_before_ms : 0);
    free(op);
}

static void s_fail_lease(struct broker *b, const struct lease *l, int charge, const char *why)
{
    struct klaimd *k = b->k;
    struct requeue_op *op = xcalloc(1, sizeof *op);
    op->b = b;
    op->claim_id = l->claim_id;
    if (batch_open(k->batch) != 0) {
        broker_enqueue(b, l->claim_id, 0);
        free(op);
        return;
    }
    int rc;
    if (charge && l->attempt >= k->cfg.max_attempts) {
        struct klaim_decision d;
        memset(&d, 0, sizeof d);
        d.state = STATE_PENDING_REVIEW;
        d.n_reasons = 1;
        snprintf(d.reasons[0].code, sizeof d.reasons[0].code, "PROCESSING_FAILED");
        snprintf(d.reasons[0].message, sizeof d.reasons[0].message,
                 "the workers failed %d times to decide this claim (last: %s); a person must review it",
                 l->attempt, why);
        size_t len;
        uint8_t *blob = decision_pack(&d, l->claim_id, "", PROGRAM_NONE, 0, 0, &len);
        struct store_facts dead = {.reason = "PROCESSING_FAILED"};
        rc = store_decide(k->store, l->claim_id, l->attempt, STORE_STATE_DEAD, 0, blob, len, klaimd_now_ms(), &dead);
        free(blob);
        if (rc == 0 && cases_on_decided(k->cases, l->claim_id, &d) != 0) rc = -1; /* feed: DECIDED */
        char detail[96];
        snprintf(detail, sizeof detail, "{\"state\":\"PENDING_REVIEW\",\"reason\":\"PROCESSING_FAILED\",\"attempt\":%d}",
                 l->attempt);
        if (rc == 0 && store_audit(k->store, klaimd_now_ms(), l->claim_id, "klaimd", "PARKED", detail) != 0) rc = -1;
        op->dead = 1;
        log_error("broker: claim=%lld parked after %d attempts (PROCESSING_FAILED): %s", (long long)l->claim_id,
                  l->attempt, why);
    } else {
        op->not_before_ms = klaimd_now_ms() + (charge ? s_backoff_ms(l->attempt) : 50);
        rc = store_requeue(k->store, l->claim_id, l->attempt, charge, op->not_before_ms);
    }
    if (rc < 0) {
        free(op);
        batch_fail(k->batch);
        broker_enqueue(b, l->claim_id, 0);
        return;
    }
    if (rc == 1) {
        /* Stale: decided already, or a newer lease holds it. Leave it be. */
        free(op);
        batch_op_done(k->batch);
        return;
    }
    batch_then(k->batch, s_on_requeued, op);
    batch_op_done(k->batch);
}

/* A worker died. Holding one claim, that claim is charged. Holding several,
 * nobody knows which one killed it: none is charged, all become suspects
 * and run alone from now on (architecture.md §3), where a crash is theirs. */
static void s_drop_leases(struct broker *b, struct worker *w, const char *why)
{
    int alone = w->n_leases == 1;
    for (int i = 0; i < w->n_leases; i++) {
        if (!alone) s_suspect_add(b, w->leases[i].claim_id);
        s_fail_lease(b, &w->leases[i], alone, why);
    }
    w->n_leases = 0;
    w->solo = 0;
}

/* A remote worker is gone, silent, late or misbehaving: its leases fail
 * as a dead local worker's (one alone is charged, several become
 * suspects), and the slot is free for the next READY. Frames on its
 * routing id are ignored from now on; the worker notices the silence and
 * sends READY again on a fresh routing id. */
static void s_remote_drop(struct broker *b, struct worker *w, const char *why)
{
    log_warn("broker: remote worker %.*s (client \"%s\" from %s) dropped: %s; %d claims go back to the queue",
             (int)w->rid_len, w->rid, w->client, w->addr, why, w->n_leases);
    s_drop_leases(b, w, why);
    w->in_use = 0;
    w->ready = 0;
    w->reserved = 0;
}

/* Where klaimd would kill a local worker, it drops a remote one. */
static void s_evict(struct broker *b, struct worker *w, const char *why)
{
    if (w->remote) s_remote_drop(b, w, why);
    else supervisor_kill(b->k->sup, w->slot, why);
}

void broker_worker_started(struct broker *b, int slot, pid_t pid, uint32_t gen)
{
    struct worker *w = &b->workers[slot];
    w->gen = gen;
    w->pid = pid;
    w->ready = 0;
    w->credits = 0;
    w->reserved = 0;
    w->n_leases = 0;
    w->last_seen_mono = klaimd_mono_ms();
    w->rid_len = (size_t)snprintf(w->rid, sizeof w->rid, "w%d.%u", slot, gen);
}

void broker_worker_exited(struct broker *b, int slot)
{
    struct worker *w = &b->workers[slot];
    s_drop_leases(b, w, "worker exited");
    w->pid = 0;
    w->ready = 0;
    w->reserved = 0;
    w->solo = 0;
    broker_pump(b);
}

/* ------------------------------------------------------------- leasing */

struct lease_op {
    struct broker *b;
    struct broker_ticket t;
    int64_t claim_id;
    int attempt;
    uint8_t *claim;
    size_t claim_len;
    int64_t duplicate_of;
    int64_t received_at_ms;
    uint32_t waive;
    struct store_lease_extras x;
    int n_prior;                /* the APPROVED claims of its event (docs/money.md §4) */
    int64_t prior_ids[KLAIM_MAX_PRIOR];
    uint8_t *prior_claim[KLAIM_MAX_PRIOR], *prior_decision[KLAIM_MAX_PRIOR];
    size_t prior_claim_len[KLAIM_MAX_PRIOR], prior_decision_len[KLAIM_MAX_PRIOR];
};

static void s_lease_op_free(struct lease_op *op)
{
    store_lease_extras_clear(&op->x);
    for (int i = 0; i < op->n_prior; i++) {
        free(op->prior_claim[i]);
        free(op->prior_decision[i]);
    }
    free(op->claim);
    free(op);
}

/* The money inputs of a JOB from a lease (NULL when a claim goes out at
 * intake: new, so no reviewer heirs, no earlier death, no priors). What is
 * unpacked here is freed by s_job_money_free. */
struct job_money {
    Klaim__Claim *heirs;        /* unpacked review_heirs */
    Klaim__PriorClaim prior[KLAIM_MAX_PRIOR], *prior_ptrs[KLAIM_MAX_PRIOR];
    Klaim__Decision *prior_decision[KLAIM_MAX_PRIOR];
    char death_date[11];
};

/* Fills job's money fields from op; -1 when a stored blob does not decode. */
static int s_job_money(const struct lease_op *op, struct job_money *m, Klaim__Job *job)
{
    memset(m, 0, sizeof *m);
    if (op->x.review_heirs) {
        m->heirs = klaim__claim__unpack(NULL, op->x.review_heirs_len, op->x.review_heirs);
        if (!m->heirs) return -1;
        job->n_heirs = m->heirs->n_heirs;
        job->heirs = m->heirs->heirs;
        job->has_heirs_replaced = 1, job->heirs_replaced = 1;
    }
    if (op->x.earlier_death) {
        job->has_earlier_death = 1, job->earlier_death = op->x.earlier_death;
        kdate_format(op->x.earlier_death_date, m->death_date);
        job->earlier_death_date = m->death_date;
    }
    for (int i = 0; i < op->n_prior; i++) {
        Klaim__PriorClaim *p = &m->prior[i];
        klaim__prior_claim__init(p);
        p->has_claim_id = 1, p->claim_id = op->prior_ids[i];
        p->claim = klaim__claim__unpack(NULL, op->prior_claim_len[i], op->prior_claim[i]);
        m->prior_decision[i] = klaim__decision__unpack(NULL, op->prior_decision_len[i], op->prior_decision[i]);
        m->prior_ptrs[i] = p;
        job->n_prior = (size_t)i + 1;
        if (!p->claim || !m->prior_decision[i]) return -1;
        p->n_items = m->prior_decision[i]->n_items;
        p->items = m->prior_decision[i]->items;
    }
    job->prior = op->n_prior ? m->prior_ptrs : NULL;
    return 0;
}

static void s_job_money_free(struct job_money *m, size_t n_prior)
{
    if (m->heirs) klaim__claim__free_unpacked(m->heirs, NULL);
    for (size_t i = 0; i < n_prior; i++) {
        if (m->prior[i].claim) klaim__claim__free_unpacked(m->prior[i].claim, NULL);
        if (m->prior_decision[i]) klaim__decision__free_unpacked(m->prior_decision[i], NULL);
    }
}

/* Sends a JOB on a committed lease. A worker that vanished since the
 * reservation leaves the claim PROCESSING in the store; it goes back to the
 * queue and the next lease supersedes this attempt. claim goes out as it
 * is (codec_job_pack): bytes read back from the store are decoded first
 * (from_store), because a frame the worker cannot decode makes it exit;
 * intake's own fresh encoding needs no such check. */
static void s_send_job(struct broker *b, const struct broker_ticket *t, int64_t claim_id, int attempt,
                       const uint8_t *claim, size_t claim_len, int from_store, int64_t duplicate_of,
                       int64_t received_at_ms, uint32_t waive, const struct lease_op *money)
{
    struct worker *w = &b->workers[t->slot];
    if (w->gen != t->gen || !s_alive(w)) {
        broker_enqueue(b, claim_id, 0);
        return;
    }
    w->reserved--;
    Klaim__Claim *pb = from_store ? klaim__claim__unpack(NULL, claim_len, claim) : NULL;
    if (from_store && !pb) {
        log_error("broker: stored claim=%lld does not decode; parking it", (long long)claim_id);
        struct lease l = {claim_id, attempt, 0, received_at_ms};
        s_fail_lease(b, &l, 1, "stored claim does not decode");
        return;
    }
    klaim__claim__free_unpacked(pb, NULL);
    Klaim__Job job = KLAIM__JOB__INIT;
    job.has_claim_id = 1, job.claim_id = claim_id;
    job.has_attempt = 1, job.attempt = (uint32_t)attempt;
    job.has_duplicate_of = 1, job.duplicate_of = duplicate_of;
    job.has_registry_generation = 1, job.registry_generation = b->registry_gen;
    job.has_received_at_ms = 1, job.received_at_ms = received_at_ms;
    char *waived[32];
    for (int bit = 0; bit < 32 && klaim_waiver_code(bit); bit++)
        if (waive & (1u << bit)) waived[job.n_waive++] = (char *)klaim_waiver_code(bit);
    job.waive = waived;
    struct job_money m = {0};
    if (money && s_job_money(money, &m, &job) != 0) {
        s_job_money_free(&m, job.n_prior);
        log_error("broker: claim=%lld: its reviewer heirs or a prior claim of its event do not decode; parking it",
                  (long long)claim_id);
        struct lease l = {claim_id, attempt, 0, received_at_ms};
        s_fail_lease(b, &l, 1, "stored money inputs do not decode");
        return;
    }
    ASSERT(w->n_leases < b->k->cfg.worker_credits);
    w->leases[w->n_leases++] =
        (struct lease){claim_id, attempt, klaimd_mono_ms() + b->k->cfg.lease_ms, received_at_ms};
    size_t len;
    uint8_t *frame = codec_job_pack(&job, claim, claim_len, &len);
    s_job_money_free(&m, job.n_prior);
    int rc = s_send_frame(b, w, frame, len);
    free(frame);
    if (rc != 0) {
        if (w->remote) {
            /* Its connection is gone: this claim never reached it and is
             * not charged; the others it holds fail as usual. */
            struct lease l = w->leases[--w->n_leases];
            s_fail_lease(b, &l, 0, "job could not be sent");
        }
        s_evict(b, w, "job could not be sent");
    }
}

static void s_on_leased(void *arg, int committed)
{
    struct lease_op *op = arg;
    struct broker *b = op->b;
    if (committed) {
        s_send_job(b, &op->t, op->claim_id, op->attempt, op->claim, op->claim_len, 1, op->duplicate_of,
                   op->received_at_ms, op->waive, op);
    } else {
        broker_ticket_cancel(b, &op->t);
        s_ring_push(b, op->claim_id, 1);
    }
    s_lease_op_free(op);
}

/* Reads what the JOB of a lease needs beyond the claim: the reviewer's
 * heirs, the earlier death, and the APPROVED claims of its event with
 * their decisions (read in the lease's transaction, so the worker decides
 * against what is committed with it). 0 or -1. */
static int s_lease_money(struct store *st, struct lease_op *op)
{
    if (store_lease_extras(st, op->claim_id, &op->x) != 0) return -1;
    if (store_same_event_approved(st, op->claim_id, op->prior_ids, KLAIM_MAX_PRIOR, &op->n_prior, NULL) != 0)
        return -1;
    for (int i = 0; i < op->n_prior; i++)
        if (store_prior(st, op->prior_ids[i], &op->prior_claim[i], &op->prior_claim_len[i], &op->prior_decision[i],
                        &op->prior_decision_len[i]) != 0) {
            op->n_prior = i;
            return -1;
        }
    return 0;
}

int broker_reserve(struct broker *b, struct broker_ticket *t)
{
    if (!b->leasing || b->registry_gen == 0) return -1;
    for (int i = 0; i < b->n_workers; i++) {
        struct worker *w = &b->workers[(b->next_worker + i) % b->n_workers];
        if (s_free_credits(b, w) > 0) {
            w->reserved++;
            t->slot = w->slot;
            t->gen = w->gen;
            b->next_worker = (w->slot + 1) % b->n_workers;
            return 0;
        }
    }
    return -1;
}

/* A suspect needs a worker with nothing else: reserve it whole. */
static int s_reserve_idle(struct broker *b, struct broker_ticket *t)
{
    if (!b->leasing || b->registry_gen == 0) return -1;
    for (int i = 0; i < b->n_workers; i++) {
        struct worker *w = &b->workers[i];
        if (w->ready && s_alive(w) && s_on_generation(b, w) && !w->solo && w->n_leases == 0 && w->reserved == 0) {
            w->reserved++;
            w->solo = 1;
            t->slot = w->slot;
            t->gen = w->gen;
            return 0;
        }
    }
    return -1;
}

void broker_ticket_send(struct broker *b, const struct broker_ticket *t, int64_t claim_id, const uint8_t *claim,
                        size_t claim_len, int64_t duplicate_of, int64_t received_at_ms)
{
    s_send_job(b, t, claim_id, 1, claim, claim_len, 0, duplicate_of, received_at_ms, 0, NULL);
}

void broker_ticket_cancel(struct broker *b, const struct broker_ticket *t)
{
    struct worker *w = &b->workers[t->slot];
    if (w->gen == t->gen && w->reserved > 0) w->reserved--;
    if (w->gen == t->gen && w->n_leases == 0 && w->reserved == 0) w->solo = 0;
}

void broker_pump(struct broker *b)
{
    if (!b) return;
    struct klaimd *k = b->k;
    if (b->registry_gen == 0 && b->ring_len > 0 && !b->warned_no_registry) {
        log_warn("broker: %zu claims wait for a participant registry; import one with "
                 "\"klaimctl registry import FILE.csv\"", b->ring_len);
        b->warned_no_registry = 1;
    }
    size_t held = 0; /* suspects popped while no worker was idle */
    int64_t *held_ids = NULL;
    while (b->ring_len > 0) {
        struct broker_ticket t;
        int64_t id = b->ring[b->ring_head];
        if (s_is_suspect(b, id)) {
            if (s_reserve_idle(b, &t) != 0) {
                held_ids = xrealloc(held_ids, (held + 1) * sizeof *held_ids);
                held_ids[held++] = s_ring_pop(b);
                continue;
            }
        } else if (broker_reserve(b, &t) != 0) {
            break;
        }
        if (batch_open(k->batch) != 0) {
            broker_ticket_cancel(b, &t);
            break;
        }
        s_ring_pop(b);
        struct lease_op *op = xcalloc(1, sizeof *op);
        op->b = b;
        op->t = t;
        op->claim_id = id;
        int rc = store_lease(k->store, id, &op->attempt, &op->claim, &op->claim_len, &op->duplicate_of,
                             &op->received_at_ms, &op->waive);
        if (rc != 0) {
            broker_ticket_cancel(b, &t);
            free(op);
            if (rc < 0) {
                s_ring_push(b, id, 1);
                batch_fail(k->batch);
                break;
            }
            continue; /* decided meanwhile: nothing to do */
        }
        if (s_lease_money(k->store, op) != 0) {
            broker_ticket_cancel(b, &t);
            s_lease_op_free(op);
            s_ring_push(b, id, 1);
            batch_fail(k->batch);
            break;
        }
        batch_then(k->batch, s_on_leased, op);
        batch_op_done(k->batch);
    }
    while (held > 0) s_ring_push(b, held_ids[--held], 1);
    free(held_ids);
}

/* ------------------------------------------------------------- results */

struct decide_op {
    struct broker *b;
    int64_t claim_id;
    int64_t received_at_ms;     /* 0: not observed in klaimd_claim_decision_seconds */
};

static void s_on_decided(void *arg, int committed)
{
    struct decide_op *op = arg;
    if (committed) {
        op->b->decided++;
        if (op->received_at_ms > 0)
            metrics_observe(&op->b->k->metrics->decision_us, (klaimd_now_ms() - op->received_at_ms) * 1000);
        intake_on_decided(op->b->k->intake, op->claim_id);
    } else {
        /* The decision was rolled back: decide again later. */
        broker_enqueue(op->b, op->claim_id, 0);
    }
    free(op);
}

/* Before an APPROVED result is recorded (docs/money.md §4, §5), in the
 * transaction that records it:
 * - the APPROVED claims of its event must still be the ones the worker
 *   netted it against, or the same event could be paid twice: 1, decide
 *   it again (not charged);
 * - an approval on review that a second reviewer has not confirmed keeps a
 *   total at or above review_second_approval_rupiah AWAITING_CONFIRMATION
 *   (d->state is changed).
 * 0 to record d, 1 to decide again, -1 on a store error. */
static int s_money_gate(struct broker *b, const struct lease *l, struct klaim_decision *d)
{
    struct store *st = b->k->store;
    int64_t now[KLAIM_MAX_PRIOR];
    int n, approval;
    if (store_same_event_approved(st, l->claim_id, now, KLAIM_MAX_PRIOR, &n, &approval) != 0) return -1;
    int same = n == d->n_netted;
    for (int i = 0; same && i < n; i++) same = now[i] == d->netted_against[i];
    if (!same) {
        log_info("broker: claim=%lld was decided against %d approved claims of its event, %d now; deciding again",
                 (long long)l->claim_id, d->n_netted, n);
        return 1;
    }
    if (approval == 1 && d->total >= b->k->cfg.review_second_approval_rupiah) d->state = STATE_AWAITING_CONFIRMATION;
    return 0;
}

static void s_on_result(struct broker *b, struct worker *w, const Klaim__Result *r)
{
    struct klaimd *k = b->k;
    int idx = -1;
    for (int i = 0; i < w->n_leases; i++)
        if (w->leases[i].claim_id == r->claim_id && (uint32_t)w->leases[i].attempt == r->attempt) idx = i;
    if (idx < 0) {
        b->stale_results++;
        log_debug("broker: stale result claim=%lld attempt=%u from %.*s", (long long)r->claim_id, r->attempt,
                  (int)w->rid_len, w->rid);
        return;
    }
    struct lease l = w->leases[idx];
    w->leases[idx] = w->leases[--w->n_leases];
    if (w->n_leases == 0) w->solo = 0;
    s_suspect_clear(b, l.claim_id);

    if (r->has_retry && r->retry) {
        log_info("broker: claim=%lld retry requested by %.*s: %s", (long long)l.claim_id, (int)w->rid_len, w->rid,
                 r->error ? r->error : "");
        s_fail_lease(b, &l, 0, r->error ? r->error : "retry");
        return;
    }
    struct klaim_decision d;
    struct klaim_err err;
    if (!r->decision || decision_from_pb(r->decision, &d, &err) != 0) {
        const char *why = r->decision ? err.message : (r->error ? r->error : "result without a decision");
        log_error("broker: claim=%lld attempt=%d: worker %.*s gave no usable decision: %s", (long long)l.claim_id,
                  l.attempt, (int)w->rid_len, w->rid, why);
        s_fail_lease(b, &l, 1, why);
        return;
    }
    if (batch_open(k->batch) != 0) {
        broker_enqueue(b, l.claim_id, 0);
        return;
    }
    if (d.state == STATE_APPROVED) {
        int gate = s_money_gate(b, &l, &d);
        if (gate < 0) {
            batch_fail(k->batch);
            broker_enqueue(b, l.claim_id, 0);
            return;
        }
        if (gate > 0) {
            batch_op_done(k->batch);
            s_fail_lease(b, &l, 0, "another claim of its event was approved meanwhile; deciding it again");
            return;
        }
    }
    /* The registry facts behind it (exports, reports) and the audit entry
     * commit with the decision. */
    const Klaim__MemberFacts *mf = r->member;
    struct store_facts facts = {.known = mf != NULL,
                                .name = mf && mf->name ? mf->name : "",
                                .category = mf && mf->category ? mf->category : "",
                                .sponsor = mf && mf->sponsor ? mf->sponsor : "",
                                .regency = mf && mf->regency ? mf->regency : "",
                                .provisional = registry_gen_stale(k->reg),
                                .reason = d.n_reasons > 0 ? d.reasons[0].code : NULL};
    size_t len;
    uint8_t *blob = decision_pack(&d, l.claim_id, "", PROGRAM_NONE, 0, 0, &len);
    int rc = store_decide(k->store, l.claim_id, l.attempt, (int)d.state, d.total, blob, len, klaimd_now_ms(), &facts);
    free(blob);
    if (rc < 0) {
        batch_fail(k->batch);
        broker_enqueue(b, l.claim_id, 0);
        return;
    }
    if (rc == 0 && cases_on_decided(k->cases, l.claim_id, &d) != 0) { /* feed: DECIDED, case coverage */
        batch_fail(k->batch);
        broker_enqueue(b, l.claim_id, 0);
        return;
    }
    if (rc == 1) {
        b->stale_results++;
        batch_op_deferrable(k->batch);
        return;
    }
    char detail[256];
    snprintf(detail, sizeof detail, "{\"state\":\"%s\",\"total\":%lld,\"rule_set\":\"%s\",\"attempt\":%d%s}",
             klaim_state_name(d.state), (long long)d.total, d.rule_set, l.attempt,
             facts.provisional ? ",\"provisional\":true" : "");
    char actor[160];
    if (w->remote) snprintf(actor, sizeof actor, "worker %.*s (%s)", (int)w->rid_len, w->rid, w->client);
    else snprintf(actor, sizeof actor, "worker %.*s", (int)w->rid_len, w->rid);
    if (store_audit(k->store, klaimd_now_ms(), l.claim_id, actor, "DECIDED", detail) != 0) {
        batch_fail(k->batch);
        broker_enqueue(b, l.claim_id, 0);
        return;
    }
    log_debug("broker: claim=%lld decided state=%s total=%lld", (long long)l.claim_id, klaim_state_name(d.state),
              (long long)d.total);
    struct decide_op *op = xmalloc(sizeof *op);
    op->b = b;
    op->claim_id = l.claim_id;
    op->received_at_ms = l.received_at_ms;
    batch_then(k->batch, s_on_decided, op);
    batch_op_deferrable(k->batch);
}

/* --------------------------------------------------------- remote slots */

/* A READY on a routing id that holds no slot: a remote worker starting,
 * or coming back after a drop or a klaimd restart. It takes a free remote
 * slot and a heartbeat at once, so it opens the current registry
 * generation and reports it (s_remote_generation) before its first lease. */
static void s_remote_admit(struct broker *b, const void *rid, size_t len, const struct remote_peer *peer,
                           const Klaim__Ready *r)
{
    if (!r->magic || strcmp(r->magic, KLAIM_WORKER_MAGIC) != 0) {
        if (remote_quiet_first(&b->quiet, rid, len))
            log_error("broker: remote worker %.*s (client \"%s\" from %s) speaks \"%s\", not %s: upgrade it to the "
                      "klaimd version; not admitted", (int)len, (const char *)rid, peer->client, peer->addr,
                      r->magic ? r->magic : "", KLAIM_WORKER_MAGIC);
        return;
    }
    struct worker *w = NULL;
    for (int i = b->n_local; i < b->n_workers && !w; i++)
        if (!b->workers[i].in_use) w = &b->workers[i];
    if (!w || len > sizeof w->rid) {
        int64_t now = klaimd_mono_ms();
        if (now - b->full_logged_mono >= 10000 || b->full_logged_mono == 0) {
            b->full_logged_mono = now;
            if (w)
                log_warn("broker: remote worker from %s has a routing id of %zu bytes (at most %zu); not admitted",
                         peer->addr, len, sizeof w->rid);
            else
                log_warn("broker: no free remote worker slot for %.*s (client \"%s\" from %s): all %d are taken; "
                         "raise remote_workers or stop a remote worker", (int)len, (const char *)rid, peer->client,
                         peer->addr, b->n_workers - b->n_local);
        }
        return;
    }
    w->in_use = 1;
    w->gen++;
    w->ready = 1;
    w->pid = r->has_pid ? (pid_t)r->pid : 0;
    w->credits = (int)r->credits;
    if (w->credits < 1 || w->credits > b->k->cfg.worker_credits) w->credits = b->k->cfg.worker_credits;
    w->reserved = 0;
    w->n_leases = 0;
    w->solo = 0;
    w->last_seen_mono = klaimd_mono_ms();
    memcpy(w->rid, rid, len);
    w->rid_len = len;
    w->reg_gen = r->has_registry_generation ? r->registry_generation : 0;
    w->behind_since_mono = 0;
    w->warned_gen = 0;
    snprintf(w->client, sizeof w->client, "%s", peer->client);
    snprintf(w->addr, sizeof w->addr, "%s", peer->addr);
    remote_quiet_forget(&b->quiet, rid, len);
    log_info("broker: remote worker %.*s ready client=\"%s\" peer=%s pid=%u credits=%d slot=%d",
             (int)w->rid_len, w->rid, w->client, w->addr, r->has_pid ? r->pid : 0, w->credits, w->slot);
    s_heartbeat(b, w);
}

/* A remote worker's heartbeat says which registry generation it has open:
 * it gets leases again once that is the current one. */
static void s_remote_generation(struct broker *b, struct worker *w, const Klaim__Heartbeat *hb)
{
    uint64_t g = hb->has_registry_generation ? hb->registry_generation : 0;
    if (g != w->reg_gen)
        log_info("broker: remote worker %.*s has registry generation %llu open (klaimd: %llu)", (int)w->rid_len,
                 w->rid, (unsigned long long)g, (unsigned long long)b->registry_gen);
    w->reg_gen = g;
}

/* Once a tick: a remote worker that stays behind the current generation
 * for 3 heartbeats is told about in the log, once per generation: it
 * decides nothing until that file is on its host. */
static void s_remote_check_generation(struct broker *b, struct worker *w, int64_t now)
{
    if (b->registry_gen == 0 || w->reg_gen == b->registry_gen) {
        w->behind_since_mono = 0;
        return;
    }
    if (w->behind_since_mono == 0) w->behind_since_mono = now;
    if (w->warned_gen == b->registry_gen ||
        now - w->behind_since_mono < (int64_t)BROKER_MISSED_HEARTBEATS * b->k->cfg.heartbeat_ms)
        return;
    w->warned_gen = b->registry_gen;
    log_warn("broker: remote worker %.*s (client \"%s\" from %s) has registry generation %llu open, not %llu: it "
             "gets no claims until gen-%llu.db is in its --registry-dir (sync it from %s)", (int)w->rid_len, w->rid,
             w->client, w->addr, (unsigned long long)w->reg_gen, (unsigned long long)b->registry_gen,
             (unsigned long long)b->registry_gen, b->k->cfg.registry_dir);
}

/* ------------------------------------------------------------- messages */

static void s_on_msg(struct zmq_ev_msg *msg, void *arg)
{
    struct broker *b = arg;
    if (msg->nframes != 2) {
        log_warn("broker: dropped a worker message with %d frames (expected 2)", msg->nframes);
        return;
    }
    const void *rid = zmq_msg_data(&msg->frames[0]);
    size_t rid_len = zmq_msg_size(&msg->frames[0]);
    struct remote_peer peer;
    remote_peer_of(b->k->zap, &msg->frames[1], &peer);
    struct worker *w = s_worker_by_rid(b, rid, rid_len, peer.remote);
    if (!w && !peer.remote) {
        log_debug("broker: message from an unknown or retired worker %.*s", (int)rid_len, (const char *)rid);
        return;
    }
    /* ZAP let only worker keys through; a reload may have revoked it since. */
    if (peer.remote && peer.role != ROLE_WORKER) {
        if (w) s_remote_drop(b, w, "its key is no longer a worker in the allow-list (clients_dir)");
        else if (remote_quiet_first(&b->quiet, rid, rid_len))
            log_warn("broker: ignored remote worker %.*s: client \"%s\" from %s is no longer a worker in the "
                     "allow-list (clients_dir)", (int)rid_len, (const char *)rid, peer.client, peer.addr);
        broker_pump(b);
        return;
    }
    struct klaim_err err;
    Klaim__WorkerMsg *m = codec_worker_decode(zmq_msg_data(&msg->frames[1]), zmq_msg_size(&msg->frames[1]),
                                              (size_t)b->k->cfg.max_message_bytes, &err);
    if (!m) {
        if (w) {
            log_error("broker: undecodable message from %.*s: %s", (int)w->rid_len, w->rid, err.message);
            s_evict(b, w, "protocol error");
        } else if (remote_quiet_first(&b->quiet, rid, rid_len)) {
            log_error("broker: undecodable message from remote worker %.*s (client \"%s\" from %s): %s; ignored",
                      (int)rid_len, (const char *)rid, peer.client, peer.addr, err.message);
        }
        broker_pump(b);
        return;
    }
    if (!w) {
        /* A remote routing id without a slot: a READY takes one; anything
         * else (a result or heartbeat of a dropped slot, or from before a
         * klaimd restart) is answered by nothing. The worker hears nothing
         * back and sends READY again on a fresh routing id. */
        if (m->body_case == KLAIM__WORKER_MSG__BODY_READY)
            s_remote_admit(b, rid, rid_len, &peer, m->ready);
        else if (remote_quiet_first(&b->quiet, rid, rid_len))
            log_info("broker: ignoring remote worker %.*s (client \"%s\" from %s): it holds no slot (dropped, none "
                     "was free at its READY, or from before a restart) and must send READY again", (int)rid_len,
                     (const char *)rid, peer.client, peer.addr);
        codec_worker_free(m);
        broker_pump(b);
        return;
    }
    w->last_seen_mono = klaimd_mono_ms();
    switch (m->body_case) {
    case KLAIM__WORKER_MSG__BODY_READY:
        if (!m->ready->magic || strcmp(m->ready->magic, KLAIM_WORKER_MAGIC) != 0) {
            log_error("broker: worker %.*s speaks \"%s\", not %s: a half-upgraded install?", (int)w->rid_len, w->rid,
                      m->ready->magic ? m->ready->magic : "", KLAIM_WORKER_MAGIC);
            s_evict(b, w, "protocol mismatch");
            break;
        }
        w->ready = 1;
        w->credits = (int)m->ready->credits;
        if (w->credits < 1 || w->credits > b->k->cfg.worker_credits) w->credits = b->k->cfg.worker_credits;
        if (!w->remote) supervisor_worker_ready(b->k->sup, w->slot);
        log_info("broker: worker %.*s ready pid=%u credits=%d", (int)w->rid_len, w->rid, m->ready->pid, w->credits);
        break;
    case KLAIM__WORKER_MSG__BODY_RESULT:
        s_on_result(b, w, m->result);
        break;
    case KLAIM__WORKER_MSG__BODY_HEARTBEAT:
        if (w->remote) s_remote_generation(b, w, m->heartbeat);
        break;
    default:
        log_warn("broker: unexpected message from worker %.*s", (int)w->rid_len, w->rid);
        break;
    }
    codec_worker_free(m);
    broker_pump(b);
}

/* ---------------------------------------------------------------- timer */

/* Every heartbeat interval: heartbeat the workers, evict the silent ones
 * and those holding a lease past its deadline (kill a local one, drop a
 * remote one), release delayed claims. */
static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct broker *b = arg;
    struct klaimd *k = b->k;
    int64_t now = klaimd_mono_ms();
    int64_t silent = (int64_t)BROKER_MISSED_HEARTBEATS * k->cfg.heartbeat_ms;
    for (int i = 0; i < b->n_workers; i++) {
        struct worker *w = &b->workers[i];
        if (!s_alive(w)) continue;
        if (now - w->last_seen_mono > silent + (w->ready ? 0 : 10000)) {
            s_evict(b, w, w->ready ? "missed 3 heartbeats" : "no READY within 10 s");
            continue;
        }
        int expired = 0;
        for (int j = 0; j < w->n_leases && !expired; j++) expired = w->leases[j].deadline_mono < now;
        if (expired) {
            s_evict(b, w, "a lease expired (job not answered in lease_ms)");
            continue;
        }
        if (w->remote) s_remote_check_generation(b, w, now);
        if (w->ready) s_heartbeat(b, w);
    }
    int64_t wall = klaimd_now_ms();
    size_t j = 0;
    for (size_t i = 0; i < b->n_delayed; i++) {
        if (b->delayed[i].due_ms <= wall) s_ring_push(b, b->delayed[i].claim_id, 0);
        else b->delayed[j++] = b->delayed[i];
    }
    b->n_delayed = j;
    broker_pump(b);
}

/* ----------------------------------------------------------- lifecycle */

struct broker *broker_new(struct klaimd *k, char *err, size_t errlen)
{
    /* Work waits in the store, not in socket queues: no high-water mark. */
    void *sock = zmq_ev_router_bind(k->zctx, k->cfg.worker_endpoint, 0, k->cfg.max_message_bytes * 4, NULL, NULL,
                                    err, errlen);
    if (!sock) return NULL;
    /* The remote endpoint binds last, on the same socket: only it gets the
     * CURVE options (remote_peer.h says why that holds). */
    int n_remote = 0;
    if (k->cfg.remote_worker_endpoint[0]) {
        ASSERT(k->zap != NULL); /* config_finish: no remote endpoint without CURVE */
        if (remote_peer_bind(sock, &k->cfg, err, errlen) != 0) {
            zmq_close(sock);
            return NULL;
        }
        n_remote = k->cfg.remote_workers;
        log_info("broker: remote workers at %s (CURVE, role worker), %d slots", k->cfg.remote_worker_endpoint,
                 n_remote);
    }
    struct broker *b = xcalloc(1, sizeof *b);
    b->k = k;
    b->sock = sock;
    b->leasing = 1;
    b->n_local = k->cfg.workers;
    b->n_workers = b->n_local + n_remote;
    b->workers = xcalloc((size_t)(b->n_workers > 0 ? b->n_workers : 1), sizeof *b->workers);
    for (int i = 0; i < b->n_workers; i++) {
        b->workers[i].slot = i;
        b->workers[i].remote = i >= b->n_local;
        b->workers[i].leases = xcalloc((size_t)k->cfg.worker_credits, sizeof(struct lease));
    }
    b->zev = zmq_ev_new(k->base, sock, PRIO_IO, 64, s_on_msg, b);
    b->tick_ev = event_new(k->base, -1, EV_PERSIST, s_on_tick, b);
    event_priority_set(b->tick_ev, PRIO_URGENT);
    struct timeval tv = {k->cfg.heartbeat_ms / 1000, (k->cfg.heartbeat_ms % 1000) * 1000};
    event_add(b->tick_ev, &tv);
    return b;
}

void broker_free(struct broker **bp)
{
    struct broker *b = *bp;
    if (!b) return;
    zmq_ev_free(&b->zev);
    event_free(b->tick_ev);
    zmq_close(b->sock);
    for (int i = 0; i < b->n_workers; i++) free(b->workers[i].leases);
    free(b->workers);
    free(b->ring);
    free(b->delayed);
    free(b->suspects);
    free(b);
    *bp = NULL;
}

/* A new generation: remote workers hear of it at once (a heartbeat), open
 * it and report it, and get leases again from then on. */
void broker_set_registry(struct broker *b, uint64_t gen)
{
    b->registry_gen = gen;
    for (int i = b->n_local; i < b->n_workers; i++)
        if (b->workers[i].in_use && b->workers[i].ready) s_heartbeat(b, &b->workers[i]);
    broker_pump(b);
}

void broker_stop_leasing(struct broker *b) { b->leasing = 0; }

int broker_idle(const struct broker *b)
{
    for (int i = 0; i < b->n_workers; i++)
        if (b->workers[i].n_leases > 0 && s_alive(&b->workers[i])) return 0;
    return 1;
}

void broker_get_stats(const struct broker *b, struct broker_stats *out)
{
    memset(out, 0, sizeof *out);
    out->queue_depth = b->ring_len + b->n_delayed;
    for (int i = 0; i < b->n_workers; i++) {
        const struct worker *w = &b->workers[i];
        int ready = w->ready && s_alive(w);
        out->in_flight += (uint64_t)w->n_leases;
        out->workers_ready += ready;
        if (w->remote) out->remote_ready += ready;
    }
    out->remote_slots = (uint32_t)(b->n_workers - b->n_local);
    out->stale_results = b->stale_results;
    out->decided = b->decided;
}

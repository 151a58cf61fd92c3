/* codec.c - protobuf frames in and out; the canonical claim; decisions.
 *
 * Owns: the budgeted arena allocator every decoded frame lives in, the
 * frame checks (size cap, version, body), the canonical encoding of a
 * validated claim and its digest, and the decision <-> protobuf mapping.
 * Runs in: klaimd, klaimctl and klaim-worker; pure apart from allocation.
 * Why an arena: protobuf-c has no cap of its own and a repeated field
 * allocates count x size, so a small frame could ask for a lot of memory.
 * Every decode gets a private arena whose budget is proportional to the
 * frame; running past it makes the unpack fail (BAD_REQUEST), and the
 * whole message is released at once by codec_*_free().
 * See also: validate.c (field checks), claim_json.c (the JSON spelling).
 */
#include "codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "xalloc.h"

void klaim_err_set(struct klaim_err *err, int code, const char *field, const char *fmt, ...)
{
    if (!err) return;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ arena */

#define ARENA_MAGIC 0x4b4c4152u /* "KLAR" */
#define ARENA_ALIGN 16u
#define ARENA_SLACK (64u * 1024u)

struct arena_chunk {
    struct arena_chunk *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

/* The arena header sits in front of the first allocation, which protobuf-c
 * makes for the top-level message itself; codec_*_free() finds it there. */
struct arena {
    uint32_t magic;
    size_t budget;           /* bytes the allocations may still take */
    unsigned char *cur, *end;
    struct arena_chunk *chunks;
    void *first;             /* the first allocation (the message) */
    int refused;             /* an allocation was refused for the budget */
    ProtobufCAllocator pa;
};

#define ARENA_HDR ((sizeof(struct arena) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

static void *s_arena_alloc(void *data, size_t size)
{
    struct arena *a = data;
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < size || need > a->budget) {
        a->refused = 1;
        return NULL;
    }
    if ((size_t)(a->end - a->cur) < need) {
        size_t csize = need > 16384 ? need : 16384;
        if (csize > a->budget) csize = need;
        struct arena_chunk *c = xmalloc(sizeof *c + csize);
        c->size = csize;
        c->next = a->chunks;
        a->chunks = c;
        a->cur = c->data;
        a->end = c->data + csize;
    }
    void *p = a->cur;
    a->cur += need;
    a->budget -= need;
    if (!a->first) a->first = p;
    return p;
}

/* Single allocations are never returned early: the arena goes as a whole. */
static void s_arena_free(void *data, void *p) { (void)data; (void)p; }

/* A fresh arena with the given budget; its first region lies right after
 * the header so the first allocation's address leads back to the arena. */
static struct arena *s_arena_new(size_t budget, size_t first_size)
{
    first_size = (first_size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    unsigned char *block = xmalloc(ARENA_HDR + first_size);
    struct arena *a = (struct arena *)block;
    memset(a, 0, sizeof *a);
    a->magic = ARENA_MAGIC;
    a->budget = budget;
    a->cur = block + ARENA_HDR;
    a->end = a->cur + first_size;
    a->pa.alloc = s_arena_alloc;
    a->pa.free = s_arena_free;
    a->pa.allocator_data = a;
    return a;
}

static void s_arena_destroy(struct arena *a)
{
    struct arena_chunk *c = a->chunks;
    while (c) {
        struct arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->magic = 0;
    free(a);
}

/* Unpack one message of descriptor d from buf into a new arena. Returns the
 * message (arena-owned) or NULL with err filled. */
static ProtobufCMessage *s_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                                  size_t max_bytes, const char *what, struct klaim_err *err)
{
    if (len > max_bytes) {
        klaim_err_set(err, KLAIM__ERROR_CODE__TOO_LARGE, "",
                      "%s of %zu bytes is above the limit of %zu bytes (max_message_bytes); send a smaller one",
                      what, len, max_bytes);
        return NULL;
    }
    size_t budget = len * 8 + ARENA_SLACK;
    /* The first region only needs to be big enough for a typical frame;
     * the budget, not this size, is what bounds the decode. */
    size_t first = len + len / 2 + 4096;
    if (first > budget) first = budget;
    struct arena *a = s_arena_new(budget, first);
    ProtobufCMessage *m = protobuf_c_message_unpack(d, &a->pa, len, buf);
    if (!m) {
        int over = a->refused;
        s_arena_destroy(a);
        if (over)
            klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "",
                          "%s of %zu bytes needs more than %zu bytes to decode (too many repeated fields); "
                          "send a smaller one",
                          what, len, budget);
        else
            klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "",
                          "%s of %zu bytes is not a valid protobuf %s; check the sender's klaim.proto", what, len,
                          d->name);
        return NULL;
    }
    /* protobuf-c allocates the top-level message first; free relies on it. */
    ASSERT((void *)m == a->first && (unsigned char *)m == (unsigned char *)a + ARENA_HDR);
    return m;
}

static void s_arena_release(void *msg)
{
    if (!msg) return;
    struct arena *a = (struct arena *)((unsigned char *)msg - ARENA_HDR);
    ASSERT(a->magic == ARENA_MAGIC && a->first == msg);
    s_arena_destroy(a);
}

Klaim__Request *codec_request_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct klaim_err *err)
{
    Klaim__Request *r = (Klaim__Request *)s_unpack(&klaim__request__descriptor, buf, len, max_bytes, "request", err);
    if (!r) return NULL;
    if (!r->has_version || r->version != KLAIM_PROTO_VERSION) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "version",
                      "request version %u is not supported; this klaimd speaks version %d",
                      r->has_version ? r->version : 0, KLAIM_PROTO_VERSION);
        codec_request_free(r);
        return NULL;
    }
    if (r->body_case == KLAIM__REQUEST__BODY__NOT_SET) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "body",
                      "request has no body; set one of submit, status, stats, registry_chunk");
        codec_request_free(r);
        return NULL;
    }
    return r;
}

void codec_request_free(Klaim__Request *r) { s_arena_release(r); }

Klaim__Reply *codec_reply_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct klaim_err *err)
{
    Klaim__Reply *r = (Klaim__Reply *)s_unpack(&klaim__reply__descriptor, buf, len, max_bytes, "reply", err);
    if (!r) return NULL;
    if (!r->has_version || r->version != KLAIM_PROTO_VERSION) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "version",
                      "reply version %u is not supported; this client speaks version %d",
                      r->has_version ? r->version : 0, KLAIM_PROTO_VERSION);
        codec_reply_free(r);
        return NULL;
    }
    if (r->body_case == KLAIM__REPLY__BODY__NOT_SET) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "body",
                      "reply has no body; klaimd must set one of ack, error, decision, stats, registry");
        codec_reply_free(r);
        return NULL;
    }
    return r;
}

void codec_reply_free(Klaim__Reply *r) { s_arena_release(r); }

Klaim__WorkerMsg *codec_worker_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct klaim_err *err)
{
    Klaim__WorkerMsg *m =
        (Klaim__WorkerMsg *)s_unpack(&klaim__worker_msg__descriptor, buf, len, max_bytes, "worker message", err);
    if (!m) return NULL;
    if (!m->has_version || m->version != KLAIM_PROTO_VERSION) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "version",
                      "worker message version %u is not supported; expected %d (restart the worker with the "
                      "matching klaim-worker binary)",
                      m->has_version ? m->version : 0, KLAIM_PROTO_VERSION);
        codec_worker_free(m);
        return NULL;
    }
    if (m->body_case == KLAIM__WORKER_MSG__BODY__NOT_SET) {
        klaim_err_set(err, KLAIM__ERROR_CODE__BAD_REQUEST, "body",
                      "worker message has no body; set one of ready, job, result, heartbeat");
        codec_worker_free(m);
        return NULL;
    }
    return m;
}

void codec_worker_free(Klaim__WorkerMsg *m) { s_arena_release(m); }

uint8_t *codec_pack(const ProtobufCMessage *msg, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = xmalloc(n ? n : 1);
    size_t w = protobuf_c_message_pack(msg, buf);
    ASSERT(w == n);
    *len = n;
    return buf;
}

/* Appends v as a protobuf varint at p; returns the bytes written. */
static size_t s_varint(uint64_t v, uint8_t *p)
{
    size_t n = 0;
    do {
        p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static size_t s_varint_size(uint64_t v)
{
    uint8_t scratch[10];
    return s_varint(v, scratch);
}

/* Field numbers from the descriptors, so that klaim.proto stays the one
 * place that defines them. */
static uint32_t s_field_id(const ProtobufCMessageDescriptor *d, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
    ASSERT(f);
    return f->id;
}

uint8_t *codec_job_pack(const Klaim__Job *job, const uint8_t *claim, size_t claim_len, size_t *len)
{
    ASSERT(job->claim == NULL);
    const uint64_t claim_tag = (uint64_t)s_field_id(&klaim__job__descriptor, "claim") << 3 | 2;
    const uint64_t version_tag = (uint64_t)s_field_id(&klaim__worker_msg__descriptor, "version") << 3 | 0;
    const uint64_t job_tag = (uint64_t)s_field_id(&klaim__worker_msg__descriptor, "job") << 3 | 2;
    size_t head = protobuf_c_message_get_packed_size(&job->base);
    size_t job_len = head + s_varint_size(claim_tag) + s_varint_size(claim_len) + claim_len;
    size_t total = s_varint_size(version_tag) + s_varint_size(KLAIM_PROTO_VERSION) + s_varint_size(job_tag) +
                   s_varint_size(job_len) + job_len;
    uint8_t *buf = xmalloc(total), *p = buf;
    p += s_varint(version_tag, p);
    p += s_varint(KLAIM_PROTO_VERSION, p);
    p += s_varint(job_tag, p);
    p += s_varint(job_len, p);
    p += protobuf_c_message_pack(&job->base, p);
    p += s_varint(claim_tag, p);
    p += s_varint(claim_len, p);
    memcpy(p, claim, claim_len);
    p += claim_len;
    ASSERT((size_t)(p - buf) == total);
    *len = total;
    return buf;
}

/* --------------------------------------------------------- canonical claim */

struct claim_pb_scratch {
    Klaim__Participant participant;
    Klaim__Event event;
    Klaim__Location location;
    Klaim__Outcome outcome;
    Klaim__Disability disability;
    Klaim__Expenses expenses;
    Klaim__Heir heirs[KLAIM_MAX_HEIRS];
    Klaim__Heir *heir_ptrs[KLAIM_MAX_HEIRS];
    Klaim__BankAccount banks[KLAIM_MAX_HEIRS];
    char event_date[11];
    char death_date[11];
    char reported_at[40];
};

struct claim_pb_scratch *claim_pb_scratch_new(void) { return xcalloc(1, sizeof(struct claim_pb_scratch)); }

void claim_pb_scratch_free(struct claim_pb_scratch *s) { free(s); }

/* NULL for an empty string, so absent text stays absent on the wire. */
static char *s_str(const char *s) { return s && s[0] ? (char *)s : NULL; }

/* Which optional fields are written is a function of the internal claim
 * only: empty text, zero amounts and zero day counts are left out, and a
 * bp is written when the disability kind needs it or it is non-zero. So
 * the same internal claim always packs to the same bytes, and unpacking
 * and validating gives the same struct back. */
void claim_to_pb(const struct klaim_claim *c, struct claim_pb_scratch *s, Klaim__Claim *pb)
{
    klaim__claim__init(pb);
    klaim__participant__init(&s->participant);
    klaim__event__init(&s->event);
    klaim__location__init(&s->location);
    klaim__outcome__init(&s->outcome);
    klaim__disability__init(&s->disability);
    klaim__expenses__init(&s->expenses);

    pb->idempotency_key = s_str(c->idempotency_key);
    if (c->program != PROGRAM_NONE) {
        pb->has_program = 1;
        pb->program = (Klaim__Program)c->program;
    }
    s->participant.kpj = s_str(c->kpj);
    s->participant.nik = s_str(c->nik);
    pb->participant = &s->participant;

    Klaim__Event *e = &s->event;
    if (c->event_type != EVENT_NONE) {
        e->has_type = 1;
        e->type = (Klaim__EventType)c->event_type;
    }
    kdate_format(c->event_date, s->event_date);
    e->date = s->event_date;
    if (c->circumstance != CIRC_NONE) {
        e->has_circumstance = 1;
        e->circumstance = (Klaim__Circumstance)c->circumstance;
    }
    ktime_format_rfc3339(c->reported_at_s, c->reported_offset_min, s->reported_at, sizeof s->reported_at);
    e->reported_at = s->reported_at;
    s->location.regency = s_str(c->regency);
    s->location.district = s_str(c->district);
    if (c->has_location_latlon) {
        s->location.has_lat_e6 = s->location.has_lon_e6 = 1;
        s->location.lat_e6 = c->lat_e6;
        s->location.lon_e6 = c->lon_e6;
    }
    if (s->location.regency || s->location.district || c->has_location_latlon) e->location = &s->location;
    e->hospital = s_str(c->hospital);
    pb->event = e;

    Klaim__Outcome *o = &s->outcome;
    int any_outcome = 0;
    if (c->has_death_date) {
        kdate_format(c->death_date, s->death_date);
        o->death_date = s->death_date;
        any_outcome = 1;
    }
    if (c->incapacity_days) {
        o->has_incapacity_days = 1;
        o->incapacity_days = c->incapacity_days;
        any_outcome = 1;
    }
    if (c->disability != DISABILITY_NONE) {
        Klaim__Disability *d = &s->disability;
        d->has_kind = 1;
        d->kind = (Klaim__DisabilityKind)c->disability;
        int need_t = c->disability == DISABILITY_PARTIAL_ANATOMICAL || c->disability == DISABILITY_PARTIAL_FUNCTIONAL;
        int need_f = c->disability == DISABILITY_PARTIAL_FUNCTIONAL;
        if (need_t || c->table_bp) {
            d->has_table_bp = 1;
            d->table_bp = c->table_bp;
        }
        if (need_f || c->function_loss_bp) {
            d->has_function_loss_bp = 1;
            d->function_loss_bp = c->function_loss_bp;
        }
        o->disability = d;
        any_outcome = 1;
    }
    Klaim__Expenses *x = &s->expenses;
#define EXP(f)                 \
    if (c->f) {                \
        x->has_##f = 1;        \
        x->f = c->f;           \
        o->expenses = x;       \
    }
    EXP(medical)
    EXP(transport_land)
    EXP(transport_sea)
    EXP(transport_air)
    EXP(home_care)
#undef EXP
    if (o->expenses) any_outcome = 1;
    if (any_outcome) pb->outcome = o;

    int n = c->n_heirs < 0 ? 0 : c->n_heirs > KLAIM_MAX_HEIRS ? KLAIM_MAX_HEIRS : c->n_heirs;
    for (int i = 0; i < n; i++) {
        Klaim__Heir *h = &s->heirs[i];
        klaim__heir__init(h);
        h->nik = s_str(c->heirs[i].nik);
        h->name = s_str(c->heirs[i].name);
        if (c->heirs[i].relation != REL_NONE) {
            h->has_relation = 1;
            h->relation = (Klaim__Relation)c->heirs[i].relation;
        }
        if (c->heirs[i].has_bank) {
            Klaim__BankAccount *b = &s->banks[i];
            klaim__bank_account__init(b);
            b->bank_code = (char *)c->heirs[i].bank.code;
            b->account = (char *)c->heirs[i].bank.account;
            b->name = (char *)c->heirs[i].bank.name;
            h->bank = b;
        }
        s->heir_ptrs[i] = h;
    }
    pb->n_heirs = (size_t)n;
    pb->heirs = n ? s->heir_ptrs : NULL;
}

uint8_t *claim_canonical_pack(const struct klaim_claim *c, size_t *len)
{
    struct claim_pb_scratch s;
    Klaim__Claim pb;
    claim_to_pb(c, &s, &pb);
    return codec_pack(&pb.base, len);
}

/* A stored claim is re-read with the same checks as a new one, minus the
 * no-future-dates check (the receipt date has passed since). */
int claim_canonical_unpack(const uint8_t *buf, size_t len, struct klaim_claim *out, struct klaim_err *err)
{
    /* No frame cap of its own: the caller already holds the bytes. */
    Klaim__Claim *pb =
        (Klaim__Claim *)s_unpack(&klaim__claim__descriptor, buf, len, SIZE_MAX / 16, "stored claim", err);
    if (!pb) {
        err->code = KLAIM__ERROR_CODE__INVALID_CLAIM;
        return -1;
    }
    int rc = validate_claim(pb, INT32_MAX, out, err);
    s_arena_release(pb);
    return rc;
}

void claim_digest(const struct klaim_claim *c, uint8_t out[32])
{
    size_t len;
    uint8_t *buf = claim_canonical_pack(c, &len);
    claim_digest_bytes(buf, len, out);
    free(buf);
}

void claim_digest_bytes(const uint8_t *canonical, size_t len, uint8_t out[32])
{
    crypto_hash_sha256(out, canonical, len);
}

/* -------------------------------------------------------------- decisions */

void decision_payees_to_pb(const struct klaim_decision *d, struct payees_pb_scratch *s, Klaim__Decision *pb)
{
    int np = d->n_payees < 0 ? 0 : d->n_payees > KLAIM_MAX_PAYEES ? KLAIM_MAX_PAYEES : d->n_payees;
    for (int i = 0; i < np; i++) {
        const struct klaim_payee *y = &d->payees[i];
        Klaim__Payee *p = &s->payees[i];
        klaim__payee__init(p);
        p->has_role = 1, p->role = (Klaim__PayeeRole)y->role;
        p->id = (char *)y->id;
        p->name = (char *)y->name;
        if (y->relation != REL_NONE) p->has_relation = 1, p->relation = (Klaim__Relation)y->relation;
        size_t n = 0;
        for (int j = 0; j < d->n_items && j < KLAIM_MAX_ITEMS; j++)
            if (y->items & (1u << j)) s->codes[i][n++] = (char *)d->items[j].code;
        p->n_items = n;
        p->items = n ? s->codes[i] : NULL;
        p->has_amount = 1, p->amount = y->amount;
        if (y->has_bank) {
            klaim__bank_account__init(&s->banks[i]);
            s->banks[i].bank_code = (char *)y->bank.code;
            s->banks[i].account = (char *)y->bank.account;
            s->banks[i].name = (char *)y->bank.name;
            p->bank = &s->banks[i];
        }
        if (y->bank_name_mismatch) p->has_bank_name_mismatch = 1, p->bank_name_mismatch = 1;
        s->ptrs[i] = p;
    }
    pb->n_payees = (size_t)np;
    pb->payees = np ? s->ptrs : NULL;
    int nn = d->n_netted < 0 ? 0 : d->n_netted > KLAIM_MAX_PRIOR ? KLAIM_MAX_PRIOR : d->n_netted;
    pb->n_netted_against = (size_t)nn;
    pb->netted_against = nn ? (int64_t *)d->netted_against : NULL;
}

uint8_t *decision_pack(const struct klaim_decision *d, int64_t claim_id, const char *idem_key,
                       enum klaim_program program, int64_t received_at_ms, int64_t decided_at_ms, size_t *len)
{
    struct payees_pb_scratch payees;
    Klaim__Decision pb;
    Klaim__Item items[KLAIM_MAX_ITEMS], *item_ptrs[KLAIM_MAX_ITEMS];
    Klaim__Reason reasons[KLAIM_MAX_REASONS], *reason_ptrs[KLAIM_MAX_REASONS];
    char id[24];

    klaim__decision__init(&pb);
    klaim_id_format(claim_id, id, sizeof id);
    pb.claim_id = id;
    pb.idempotency_key = s_str(idem_key);
    if (d->state != STATE_NONE) {
        pb.has_state = 1;
        pb.state = (Klaim__State)d->state;
    }
    if (program != PROGRAM_NONE) {
        pb.has_program = 1;
        pb.program = (Klaim__Program)program;
    }
    pb.rule_set = s_str(d->rule_set);
    pb.has_wage_basis = 1;
    pb.wage_basis = d->wage_basis;
    int ni = d->n_items < 0 ? 0 : d->n_items > KLAIM_MAX_ITEMS ? KLAIM_MAX_ITEMS : d->n_items;
    for (int i = 0; i < ni; i++) {
        klaim__item__init(&items[i]);
        items[i].code = (char *)d->items[i].code;
        items[i].has_amount = 1;
        items[i].amount = d->items[i].amount;
        items[i].basis = s_str(d->items[i].basis);
        item_ptrs[i] = &items[i];
    }
    pb.n_items = (size_t)ni;
    pb.items = ni ? item_ptrs : NULL;
    pb.has_total = 1;
    pb.total = d->total;
    pb.has_scholarship_children = 1;
    pb.scholarship_children = d->scholarship_children;
    int nr = d->n_reasons < 0 ? 0 : d->n_reasons > KLAIM_MAX_REASONS ? KLAIM_MAX_REASONS : d->n_reasons;
    for (int i = 0; i < nr; i++) {
        klaim__reason__init(&reasons[i]);
        reasons[i].code = (char *)d->reasons[i].code;
        reasons[i].message = s_str(d->reasons[i].message);
        reason_ptrs[i] = &reasons[i];
    }
    pb.n_reasons = (size_t)nr;
    pb.reasons = nr ? reason_ptrs : NULL;
    if (received_at_ms) {
        pb.has_received_at_ms = 1;
        pb.received_at_ms = received_at_ms;
    }
    if (decided_at_ms) {
        pb.has_decided_at_ms = 1;
        pb.decided_at_ms = decided_at_ms;
    }
    decision_payees_to_pb(d, &payees, &pb);
    return codec_pack(&pb.base, len);
}

/* Copies s into dst (size bytes) if it fits with its NUL; -1 if it does not. */
static int s_copy(char *dst, size_t size, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= size) return -1;
    if (n) memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/* A bank account as received: all three parts, digits of plausible length. */
static int s_bank_from_pb(const Klaim__BankAccount *b, struct klaim_bank *o)
{
    if (!b->bank_code || !b->account || !b->name || strlen(b->bank_code) != 3 || strlen(b->account) < 6 ||
        strlen(b->account) > 20 || !b->name[0])
        return -1;
    for (const char *p = b->bank_code; *p; p++)
        if (*p < '0' || *p > '9') return -1;
    for (const char *p = b->account; *p; p++)
        if (*p < '0' || *p > '9') return -1;
    if (s_copy(o->code, sizeof o->code, b->bank_code) || s_copy(o->account, sizeof o->account, b->account) ||
        s_copy(o->name, sizeof o->name, b->name))
        return -1;
    return 0;
}

/* Payees and netted_against of a worker's decision (docs/money.md §2):
 * each with a role and an id, items that exist in the decision, each item
 * paid to exactly one payee, and amounts that add up. */
static int s_payees_from_pb(const Klaim__Decision *pb, struct klaim_decision *out, struct klaim_err *err)
{
    const int bad = KLAIM__ERROR_CODE__BAD_REQUEST;
    char field[64];
    if (pb->n_payees > KLAIM_MAX_PAYEES || pb->n_netted_against > KLAIM_MAX_PRIOR) {
        klaim_err_set(err, bad, "decision.payees", "decision has %zu payees and %zu netted claims; at most %d and %d",
                      pb->n_payees, pb->n_netted_against, KLAIM_MAX_PAYEES, KLAIM_MAX_PRIOR);
        return -1;
    }
    for (size_t i = 0; i < pb->n_netted_against; i++) out->netted_against[i] = pb->netted_against[i];
    out->n_netted = (int)pb->n_netted_against;
    uint32_t paid = 0;
    int64_t sum = 0;
    for (size_t i = 0; i < pb->n_payees; i++) {
        const Klaim__Payee *p = pb->payees[i];
        struct klaim_payee *o = &out->payees[i];
        snprintf(field, sizeof field, "decision.payees[%zu]", i);
        if (!p->has_role || p->role < KLAIM__PAYEE_ROLE__HEIR || p->role > KLAIM__PAYEE_ROLE__PARTICIPANT ||
            !p->id || !p->id[0] || s_copy(o->id, sizeof o->id, p->id) || s_copy(o->name, sizeof o->name, p->name)) {
            klaim_err_set(err, bad, field, "%s needs a role and an id (a payee without an id cannot be paid)", field);
            return -1;
        }
        o->role = (enum klaim_payee_role)p->role;
        o->relation = p->has_relation ? (enum klaim_relation)p->relation : REL_NONE;
        for (size_t j = 0; j < p->n_items; j++) {
            int k = -1;
            for (int x = 0; x < out->n_items && k < 0; x++)
                if (p->items[j] && !(paid & (1u << x)) && strcmp(p->items[j], out->items[x].code) == 0) k = x;
            if (k < 0) {
                klaim_err_set(err, bad, field, "%s lists item %s, which the decision lacks or pays twice", field,
                              p->items[j] ? p->items[j] : "");
                return -1;
            }
            paid |= 1u << k;
            o->items |= 1u << k;
            if (__builtin_add_overflow(o->amount, out->items[k].amount, &o->amount)) return -1;
        }
        if (!p->has_amount || p->amount != o->amount) {
            klaim_err_set(err, bad, field, "%s amount %lld is not the sum of its items (%lld)", field,
                          (long long)p->amount, (long long)o->amount);
            return -1;
        }
        sum += o->amount;
        if (p->bank) {
            if (s_bank_from_pb(p->bank, &o->bank) != 0) {
                klaim_err_set(err, bad, field, "%s bank: give bank_code (3 digits), account (6-20 digits) and name",
                              field);
                return -1;
            }
            o->has_bank = 1;
        }
        o->bank_name_mismatch = p->has_bank_name_mismatch && p->bank_name_mismatch;
    }
    out->n_payees = (int)pb->n_payees;
    if (out->state == STATE_APPROVED && (out->n_payees == 0 || sum != out->total)) {
        klaim_err_set(err, bad, "decision.payees", "an APPROVED decision pays its total (%lld) to payees; they get %lld",
                      (long long)out->total, (long long)sum);
        return -1;
    }
    if (out->state != STATE_APPROVED && out->n_payees != 0) {
        klaim_err_set(err, bad, "decision.payees", "a %s decision has no payees", klaim_state_name(out->state));
        return -1;
    }
    return 0;
}


/* A worker's decision is checked as untrusted input: a worker with a bug
 * (or a stranger on the socket) must not store an inconsistent decision. */
int decision_from_pb(const Klaim__Decision *pb, struct klaim_decision *out, struct klaim_err *err)
{
    const int bad = KLAIM__ERROR_CODE__BAD_REQUEST;
    char field[64];
    memset(out, 0, sizeof *out);
    if (!pb->has_state) {
        klaim_err_set(err, bad, "decision.state", "decision has no state; set APPROVED, REJECTED or PENDING_REVIEW");
        return -1;
    }
    switch (pb->state) {
    case KLAIM__STATE__APPROVED: out->state = STATE_APPROVED; break;
    case KLAIM__STATE__REJECTED: out->state = STATE_REJECTED; break;
    case KLAIM__STATE__PENDING_REVIEW: out->state = STATE_PENDING_REVIEW; break;
    case KLAIM__STATE__STATE_UNSPECIFIED:
    case KLAIM__STATE__RECEIVED:
    case KLAIM__STATE__PROCESSING:
    default:
        klaim_err_set(err, bad, "decision.state",
                      "decision state %d is not a decision; set APPROVED, REJECTED or PENDING_REVIEW",
                      (int)pb->state);
        return -1;
    }
    if (s_copy(out->rule_set, sizeof out->rule_set, pb->rule_set) != 0) {
        klaim_err_set(err, bad, "decision.rule_set", "rule_set is longer than %zu bytes; use a rules.md §1 name",
                      sizeof out->rule_set - 1);
        return -1;
    }
    out->wage_basis = pb->has_wage_basis ? pb->wage_basis : 0;
    if (out->wage_basis < 0 || out->wage_basis > KLAIM_MAX_AMOUNT) {
        klaim_err_set(err, bad, "decision.wage_basis", "wage_basis %lld is outside 0..10^12 Rupiah",
                      (long long)out->wage_basis);
        return -1;
    }
    if (pb->n_items > KLAIM_MAX_ITEMS) {
        klaim_err_set(err, bad, "decision.items", "decision has %zu items; at most %d are allowed", pb->n_items,
                      KLAIM_MAX_ITEMS);
        return -1;
    }
    int64_t sum = 0;
    for (size_t i = 0; i < pb->n_items; i++) {
        const Klaim__Item *it = pb->items[i];
        struct klaim_item *o = &out->items[i];
        if (!it->code || !it->code[0] || s_copy(o->code, sizeof o->code, it->code) != 0) {
            snprintf(field, sizeof field, "decision.items[%zu].code", i);
            klaim_err_set(err, bad, field, "item code is missing or longer than %zu bytes; use a rules.md §3 code",
                          sizeof o->code - 1);
            return -1;
        }
        if (s_copy(o->basis, sizeof o->basis, it->basis) != 0) {
            snprintf(field, sizeof field, "decision.items[%zu].basis", i);
            klaim_err_set(err, bad, field, "item basis is longer than %zu bytes; shorten it", sizeof o->basis - 1);
            return -1;
        }
        if (!it->has_amount || it->amount <= 0) {
            snprintf(field, sizeof field, "decision.items[%zu].amount", i);
            klaim_err_set(err, bad, field, "item %s amount %lld is not positive; omit items of 0", o->code,
                          (long long)(it->has_amount ? it->amount : 0));
            return -1;
        }
        o->amount = it->amount;
        if (__builtin_add_overflow(sum, it->amount, &sum)) {
            klaim_err_set(err, bad, "decision.total", "the items' sum overflows int64; check the amounts");
            return -1;
        }
    }
    out->n_items = (int)pb->n_items;
    out->total = pb->has_total ? pb->total : 0;
    if (out->total != sum) {
        klaim_err_set(err, bad, "decision.total", "total %lld is not the sum of the items (%lld)",
                      (long long)out->total, (long long)sum);
        return -1;
    }
    out->scholarship_children = pb->has_scholarship_children ? pb->scholarship_children : 0;
    if (out->scholarship_children < 0 || out->scholarship_children > KLAIM_MAX_HEIRS) {
        klaim_err_set(err, bad, "decision.scholarship_children", "scholarship_children %d is outside 0..%d",
                      (int)out->scholarship_children, KLAIM_MAX_HEIRS);
        return -1;
    }
    if (pb->n_reasons > KLAIM_MAX_REASONS) {
        klaim_err_set(err, bad, "decision.reasons", "decision has %zu reasons; at most %d are allowed",
                      pb->n_reasons, KLAIM_MAX_REASONS);
        return -1;
    }
    for (size_t i = 0; i < pb->n_reasons; i++) {
        const Klaim__Reason *r = pb->reasons[i];
        struct klaim_reason *o = &out->reasons[i];
        if (!r->code || !r->code[0] || s_copy(o->code, sizeof o->code, r->code) != 0) {
            snprintf(field, sizeof field, "decision.reasons[%zu].code", i);
            klaim_err_set(err, bad, field, "reason code is missing or longer than %zu bytes; use a rules.md §4 code",
                          sizeof o->code - 1);
            return -1;
        }
        if (s_copy(o->message, sizeof o->message, r->message) != 0) {
            snprintf(field, sizeof field, "decision.reasons[%zu].message", i);
            klaim_err_set(err, bad, field, "reason message is longer than %zu bytes; shorten it",
                          sizeof o->message - 1);
            return -1;
        }
    }
    out->n_reasons = (int)pb->n_reasons;
    /* rules.md §4: REJECTED and PENDING_REVIEW have no items and at least
     * one reason; APPROVED has no reasons. */
    if (out->state != STATE_APPROVED && (out->n_items != 0 || out->n_reasons == 0)) {
        klaim_err_set(err, bad, "decision.items", "a %s decision must have no items and at least one reason",
                      klaim_state_name(out->state));
        return -1;
    }
    if (out->state == STATE_APPROVED && out->n_reasons != 0) {
        klaim_err_set(err, bad, "decision.reasons", "an APPROVED decision must have no reasons");
        return -1;
    }
    return s_payees_from_pb(pb, out, err);
}

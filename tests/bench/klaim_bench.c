/* klaim_bench.c - klaim-bench: durable-ack and decision throughput and
 * latency of a running klaimd, over its real ZeroMQ intake.
 *
 * Owns: the load generator (a port of /work/shared/bench/reference/loadgen.c:
 *   same closed loop, same open-loop schedule with latency from the
 *   *intended* send time, same percentile code; only sending and receiving
 *   speak proto/klaim.proto), decision-latency sampling (StatusRequest with
 *   wait_ms on a second DEALER), the per-phase report, and with --spawn a
 *   throw-away klaimd on a temp data dir with a generated registry (with
 *   --curve or --remote-workers N: CURVE keys, and N remote klaim-workers
 *   over tcp; bench_curve.c).
 * Runs in: the benchmark operator's shell, tests/bench/run.sh and the
 *   bench_smoke ctest. Starts nothing but klaimd (and klaimctl once, for the
 *   registry import, and the remote klaim-workers of --remote-workers) and
 *   stops only what it started.
 * Output: key=value lines (phase prefixes closed_, open_<RATE>_), then a
 *   short table on stdout; progress on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_curve.h"
#include "dates.h"
#include "klaim.pb-c.h"
#include "xalloc.h"

#ifndef KLAIM_BENCH_DEFAULT_KLAIMD
#define KLAIM_BENCH_DEFAULT_KLAIMD ""
#endif
#ifndef KLAIM_BENCH_DEFAULT_KLAIMCTL
#define KLAIM_BENCH_DEFAULT_KLAIMCTL ""
#endif
#ifndef KLAIM_BENCH_DEFAULT_KLAIM_WORKER
#define KLAIM_BENCH_DEFAULT_KLAIM_WORKER ""
#endif

#define S_USAGE                                                                                             \
    "usage: klaim-bench (--endpoint EP [--pid PID] [--data-dir DIR] [--curve-key FILE --server-key KEY]\n"   \
    "                    | --spawn [--klaimd PATH] [--klaimctl PATH] [--participants N] [--keep]\n"           \
    "                      [--curve | --remote-workers N [--klaim-worker PATH]])\n"                           \
    "                   [--seconds S] [--phases closed,open,cold] [--cold-idle S] [--rates R1,R2,...] "\
    "[--inflight N] [--sample-every K]\n"

static const char s_help[] =
    S_USAGE
    "\n"
    "Drives claims into klaimd's ZeroMQ intake and reports durable acks/s, decisions/s and\n"
    "their latencies as key=value lines, then a short table.\n"
    "  --endpoint EP      a running klaimd (e.g. tcp://127.0.0.1:7710)\n"
    "  --pid PID          its pid, for daemon/worker RSS and CPU (optional)\n"
    "  --data-dir DIR     its data dir, for DB bytes per claim (optional)\n"
    "  --spawn            start a fresh klaimd on a temp data dir (under $BENCH_DATA_DIR, else\n"
    "                     $TMPDIR, else /var/tmp), import a generated registry, stop it at the end\n"
    "  --klaimd PATH      klaimd for --spawn (default $KLAIMD, else beside klaim-bench, else the build's)\n"
    "  --klaimctl PATH    klaimctl for the import (default $KLAIMCTL, likewise)\n"
    "  --participants N   registry rows for --spawn (default 1000000); claims name kpj\n"
    "                     24000000001.. (1 %% unknown), so an external klaimd needs that registry\n"
    "  --keep             with --spawn: leave the temp dir (data dir, klaimd.log) for inspection\n"
    "  --curve            with --spawn: CURVE on klaimd's intake (generated server, bench and\n"
    "                     worker keys, role admin for the bench), local ipc workers as usual\n"
    "  --remote-workers N with --spawn: the same keys, workers = 0 and a remote worker endpoint on\n"
    "                     a free loopback tcp port, and N klaim-worker processes in remote mode\n"
    "                     (tcp + CURVE, role worker) on klaimd's registry folder; --curve and\n"
    "                     --remote-workers 2 differ only in the worker transport (2 workers on a\n"
    "                     2-CPU host). Worker RSS and CPU then count these processes\n"
    "  --klaim-worker PATH the remote klaim-worker (default: beside klaimd, else $KLAIM_WORKER,\n"
    "                     else beside klaim-bench, else the build's)\n"
    "  --curve-key FILE   with --endpoint: the bench's key pair (klaimctl keygen) for a klaimd with\n"
    "                     CURVE; its .client needs role admin (or hospital plus console for stats)\n"
    "  --server-key KEY   with --curve-key: klaimd's server.pub, or its 40-character public key\n"
    "  --seconds S        length of each measured phase (default 10)\n"
    "  --phases LIST      closed, open and/or cold (default closed,open). cold: at each rate,\n"
    "                     after --cold-idle S seconds without load (default 10), restart the\n"
    "                     local workers (with --spawn: a mapped page cannot be dropped), drop\n"
    "                     the page cache of the registry files (DATA/registry/*, as dd\n"
    "                     iflag=nocache does; needs --spawn or --data-dir), then run open\n"
    "  --rates LIST       open-loop rates in claims/s (default 1000,10000)\n"
    "  --inflight N       closed-loop claims in flight (default 1024)\n"
    "  --sample-every K   ask for the decision of every K-th claim (default 10)\n"
    "Latency in the open loop counts from the scheduled send time (no coordinated omission).\n"
    "Besides the figures it prints workers_transport=ipc|tcp+curve (external with --endpoint)\n"
    "and intake_curve=0|1, and with --spawn memlock_unlimited=0|1 (klaimd and its workers run\n"
    "with RLIMIT_MEMLOCK raised as klaimd.service does, so the workers can mlock the registry).\n"
    "exit: 0 ok (even if not all claims were decided: see all_decided), 64 usage, 69 klaimd\n"
    "unreachable or failed to start, 70 internal error.\n";

enum { S_EX_USAGE = 64, S_EX_UNAVAILABLE = 69, S_EX_SOFTWARE = 70 };
#define S_MAX_RATES 8
#define S_CAP (1L << 22) /* sent_at ring: 4M claims (80 s at 50k/s) */
#define S_WAIT_MS 30000u /* status wait per request; re-asked while undecided */
#define S_DRAIN_S 600.0  /* give up waiting for decisions after this */

struct s_opts {
    const char *endpoint, *klaimd, *klaimctl, *data_dir;
    const char *klaim_worker, *curve_key, *server_key;
    int spawn, keep;
    int curve;            /* CURVE on the intake (--curve, --remote-workers, --curve-key) */
    long remote_workers;  /* --remote-workers N: 0 = local ipc workers */
    long participants;
    double seconds;
    int closed, open, cold;
    double cold_idle;
    long rates[S_MAX_RATES];
    int n_rates;
    int inflight;
    long sample_every;
    pid_t pid;
};

/* ---------------------------------------------------------------- state */

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static uint64_t rs;
static uint64_t xr(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void *s_ctx, *sock, *ssock; /* submit DEALER, status DEALER */
static const char *s_endpoint;
static struct bench_curve s_curve; /* the intake's CURVE client keys, when on */
static pid_t s_remote_pids[BENCH_MAX_REMOTE];
static int s_n_remote;
static uint64_t runid;
static double *sent_at;
static long npart = 1000000;
static long s_sample_every = 10;
static kdate s_today, s_first_event;
static kmonth s_paid_through;

/* What the reply handlers count for the current phase. */
struct s_counts {
    long acks, dups, errors, busy;
    long err_code[16];
    double *dlat; /* decision latencies (sampled) */
    long n_dlat, cap_dlat;
    long st_out;     /* status requests outstanding */
    long st_errors;  /* status answered with an error */
    long st_reasked; /* wait ran out, asked again */
};
static struct s_counts C;
static long s_dec_state[8];
static int s_sampling = 1;

/* ---------------------------------------------------- registry generation */

/* splitmix64: the registry row of participant i, and so the claim that
 * names it, is a pure function of i (the NIK in a claim must match). */
static uint64_t s_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

struct s_member {
    char kpj[24], nik[48], birth[11];
    int kota, female;
    int cat; /* 0 PU, 1 PU_GOV, 2 BPU, 3 JAKON */
    uint64_t h;
};

static void s_member(long i, struct s_member *m)
{
    uint64_t h = s_mix((uint64_t)i);
    m->h = h;
    m->kota = (int)(h % 100) < 35;
    int r = (int)((h >> 8) % 100);
    m->cat = r < 50 ? 0 : r < 60 ? 1 : r < 95 ? 2 : 3;
    m->female = (int)((h >> 16) & 1);
    int by = 1965 + (int)((h >> 17) % 36), bm = 1 + (int)((h >> 24) % 12), bd = 1 + (int)((h >> 28) % 28);
    kdate_format(kdate_from_ymd(by, bm, bd), m->birth);
    snprintf(m->kpj, sizeof m->kpj, "%011ld", 24000000000L + i);
    snprintf(m->nik, sizeof m->nik, "%s%02d%02d%02d%02d%04ld", m->kota ? "3576" : "3516", 1 + (int)((h >> 33) % 18),
             bd + (m->female ? 40 : 0), bm, by % 100, i % 10000);
}

static const char *const s_given[] = {"Bagus", "Dimas", "Siti", "Sri", "Agus", "Budi", "Eko", "Dwi",
                                      "Wahyu", "Nur", "Endang", "Slamet", "Lilik", "Heru", "Yuli", "Imam"};
static const char *const s_family[] = {"Setyawan", "Anggoro", "Prayitno", "Wahyudi", "Hartono", "Riyanto",
                                       "Lestari", "Rahayu", "Santoso", "Cahyono", "Kurniawan", "Astutik"};
static const char *const s_factories[] = {"PT Ngoro Sinar Tekstil", "PT Pungging Kemasan Jaya",
                                          "PT Jetis Baja Perkasa", "UD Bata Merah Trowulan"};
static const char *const s_gov[] = {"Pemkot Mojokerto (DLH)", "Pemkot Mojokerto (Dinas PUPR)",
                                    "Pemkab Mojokerto (Dinas Kesehatan)"};
static const char *const s_bpu[] = {"Pemkot Mojokerto", "Pemkab Mojokerto (DBHCHT)", "RS Islam Sakinah",
                                    "Pemkot Mojokerto (tenaga keagamaan)"};
static const char *const s_cats[] = {"PU", "PU_GOV", "BPU", "JAKON"};

/* Writes the CSV of interface.md: n open memberships (JKK;JKM, started
 * 2015-2023, paid through this month), so a claim dated 2024.. is covered. */
static int s_write_registry(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "klaim-bench: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    char paid[8];
    kmonth_format(s_paid_through, paid);
    fputs("kpj,nik,name,birth_date,category,programs,wage,coverage_start,coverage_end,paid_through,sponsor,regency\n",
          f);
    for (long i = 1; i <= n; i++) {
        struct s_member m;
        s_member(i, &m);
        uint64_t h = s_mix(m.h);
        long wage;
        const char *sponsor;
        switch (m.cat) {
        case 0: sponsor = s_factories[h % 4], wage = 2500000 + 10000L * (long)((h >> 8) % 300); break;
        case 1: sponsor = s_gov[h % 3], wage = 2200000 + 10000L * (long)((h >> 8) % 80); break;
        case 2: sponsor = s_bpu[h % 4], wage = 1000000; break;
        default: sponsor = "CV Karya Bangun Majapahit", wage = 3000000 + 10000L * (long)((h >> 8) % 100); break;
        }
        char start[11];
        kdate_format(kdate_from_ymd(2015 + (int)((h >> 20) % 9), 1 + (int)((h >> 28) % 12), 1), start);
        fprintf(f, "%s,%s,%s %s,%s,%s,JKK;JKM,%ld,%s,,%s,%s,%s\n", m.kpj, m.nik, s_given[(h >> 36) % 16],
                s_family[(h >> 44) % 12], m.birth, s_cats[m.cat], wage, start, paid, sponsor,
                m.kota ? "Kota Mojokerto" : "Kabupaten Mojokerto");
    }
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "klaim-bench: writing %s failed (disk full?)\n", path);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- send / recv */

/* One claim: a JKK accident (70 %) of a random participant among the first
 * four fifths, or a JKM death (30 %) of the next participant of the last
 * fifth, on a date fixed per participant: a person dies once, so a death
 * repeated after the pool wraps is the same event (a duplicate), never a
 * second death. 1 % name an unknown kpj. Events in 2024.. yesterday-1,
 * reported the next day. Request id = seq + 1 (0 is "undecodable" in
 * PROTOCOL.md). */
static void send_claim(long seq, double t_sched)
{
    static long deaths;
    char idem[64], date[11], rep[32], hnik[48];
    snprintf(idem, sizeof idem, "bench-%016llx-%014ld", (unsigned long long)runid, seq);
    struct s_member m;
    int jkk = xr() % 10 < 7;
    long living = npart - npart / 5, who;
    if (xr() % 100 == 0) who = npart + 1 + (long)(xr() % 1000000);
    else if (jkk || npart < 5) who = 1 + (long)(xr() % (uint64_t)(living > 0 ? living : npart));
    else who = living + 1 + deaths++ % (npart / 5);
    s_member(who, &m);
    kdate span = s_today - 1 - s_first_event;
    kdate ev = jkk ? s_first_event + (kdate)(xr() % (uint64_t)span)
                   : s_first_event + (kdate)(((uint64_t)who * 0x9e3779b97f4a7c15ULL >> 20) % (uint64_t)span);
    kdate_format(ev, date);
    char next[11];
    kdate_format(ev + 1, next);
    snprintf(rep, sizeof rep, "%sT09:%02d:00+07:00", next, (int)(xr() % 60));

    Klaim__Participant p = KLAIM__PARTICIPANT__INIT;
    p.kpj = m.kpj;
    p.nik = m.nik;
    Klaim__Location loc = KLAIM__LOCATION__INIT;
    loc.regency = m.kota ? "Kota Mojokerto" : "Kabupaten Mojokerto";
    loc.district = m.kota ? "Magersari" : "Sooko";
    Klaim__Event e = KLAIM__EVENT__INIT;
    e.date = date;
    e.reported_at = rep;
    e.location = &loc;
    e.hospital = "RSUD dr. Wahidin Sudiro Husodo";
    Klaim__Expenses ex = KLAIM__EXPENSES__INIT;
    Klaim__Outcome o = KLAIM__OUTCOME__INIT;
    Klaim__Heir h = KLAIM__HEIR__INIT, *hp[1] = {&h};
    Klaim__Claim c = KLAIM__CLAIM__INIT;
    c.idempotency_key = idem;
    c.has_program = 1;
    c.participant = &p;
    c.event = &e;
    e.has_type = 1;
    if (jkk) {
        c.program = KLAIM__PROGRAM__JKK;
        e.type = KLAIM__EVENT_TYPE__ACCIDENT;
        e.has_circumstance = 1;
        e.circumstance = xr() % 4 ? KLAIM__CIRCUMSTANCE__WORKPLACE : KLAIM__CIRCUMSTANCE__COMMUTE;
        o.has_incapacity_days = 1;
        o.incapacity_days = 1 + (int32_t)(xr() % 60);
        ex.has_medical = 1;
        ex.medical = 500000 + 1000 * (int64_t)(xr() % 20000);
        o.expenses = &ex;
        c.outcome = &o;
    } else {
        c.program = KLAIM__PROGRAM__JKM;
        e.type = KLAIM__EVENT_TYPE__DEATH;
        snprintf(hnik, sizeof hnik, "%.6s%02d%02d%02d%04d", m.nik, 1 + (int)(xr() % 28) + (m.female ? 0 : 40),
                 1 + (int)(xr() % 12), 60 + (int)(xr() % 30), 9000 + (int)(xr() % 1000));
        h.nik = hnik;
        h.name = m.female ? "Suparman" : "Sumiati";
        h.has_relation = 1;
        h.relation = KLAIM__RELATION__SPOUSE;
        c.n_heirs = 1;
        c.heirs = hp;
    }
    Klaim__Request r = KLAIM__REQUEST__INIT;
    r.has_version = 1;
    r.version = 1;
    r.has_request_id = 1;
    r.request_id = (uint64_t)seq + 1;
    r.body_case = KLAIM__REQUEST__BODY_SUBMIT;
    r.submit = &c;
    uint8_t buf[1024];
    size_t len = klaim__request__get_packed_size(&r);
    if (len > sizeof buf) abort(); /* our claim is ~250 B: a bug here */
    klaim__request__pack(&r, buf);
    sent_at[seq % S_CAP] = t_sched;
    if (zmq_send(sock, buf, len, 0) != (int)len) {
        perror("klaim-bench: zmq_send");
        exit(S_EX_SOFTWARE);
    }
}

/* Asks for the decision of claim `seq` (acked as claim_id), held by klaimd
 * until decided or S_WAIT_MS. */
static void s_send_status(long seq, const char *claim_id)
{
    Klaim__StatusRequest st = KLAIM__STATUS_REQUEST__INIT;
    st.claim_id = (char *)claim_id;
    st.has_wait_ms = 1;
    st.wait_ms = S_WAIT_MS;
    Klaim__Request r = KLAIM__REQUEST__INIT;
    r.has_version = 1;
    r.version = 1;
    r.has_request_id = 1;
    r.request_id = (uint64_t)seq + 1;
    r.body_case = KLAIM__REQUEST__BODY_STATUS;
    r.status = &st;
    uint8_t buf[256];
    size_t len = klaim__request__pack(&r, buf);
    if (zmq_send(ssock, buf, len, 0) != (int)len) {
        perror("klaim-bench: zmq_send status");
        exit(S_EX_SOFTWARE);
    }
    C.st_out++;
}

/* Handles every status reply that is ready (never blocks). Receives until
 * EAGAIN even with nothing asked: that is what re-arms the socket's ZMQ_FD
 * for s_wait (a ZMQ_EVENTS check per message would cost two system calls,
 * CPU this 2-CPU host's klaimd needs). */
static void s_drain_status(void)
{
    uint8_t buf[8192];
    for (;;) {
        int n = zmq_recv(ssock, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n < 0) break;
        double t = now_us();
        C.st_out--;
        Klaim__Reply *rp = klaim__reply__unpack(NULL, (size_t)(n > (int)sizeof buf ? (int)sizeof buf : n), buf);
        if (!rp || rp->body_case != KLAIM__REPLY__BODY_DECISION) {
            C.st_errors++;
            if (rp) klaim__reply__free_unpacked(rp, NULL);
            continue;
        }
        long seq = (long)rp->request_id - 1;
        int state = rp->decision->state;
        if (state == KLAIM__STATE__RECEIVED || state == KLAIM__STATE__PROCESSING) {
            C.st_reasked++;
            s_send_status(seq, rp->decision->claim_id);
        } else {
            if (C.n_dlat == C.cap_dlat) {
                C.cap_dlat = C.cap_dlat ? 2 * C.cap_dlat : 4096;
                C.dlat = xrealloc(C.dlat, sizeof(double) * (size_t)C.cap_dlat);
            }
            C.dlat[C.n_dlat++] = t - sent_at[seq % S_CAP];
            if (state >= 0 && state < 8) s_dec_state[state]++;
        }
        klaim__reply__free_unpacked(rp, NULL);
    }
}

/* Blocks until one of the two DEALERs may have something, at most wait_us.
 * ZMQ_FD is edge-triggered: callers first receive from both until EAGAIN
 * (s_drain_status, s_poll_reply). */
static void s_wait(double wait_us)
{
    static int fd1 = -1, fd2 = -1;
    if (fd1 < 0) {
        size_t fl = sizeof fd1;
        zmq_getsockopt(sock, ZMQ_FD, &fd1, &fl);
        fl = sizeof fd2;
        zmq_getsockopt(ssock, ZMQ_FD, &fd2, &fl);
    }
    if (wait_us <= 0) return;
    struct pollfd pf[2] = {{fd1, POLLIN, 0}, {fd2, POLLIN, 0}};
    struct timespec ts = {(time_t)(wait_us / 1e6), (long)((wait_us - (double)(time_t)(wait_us / 1e6) * 1e6) * 1000)};
    ppoll(pf, 2, &ts, NULL);
}

/* One submit reply if one is ready: 0 with *lat = its ack latency in us,
 * or -1 for an error reply (counted in C); -1 without one waiting (EAGAIN,
 * which re-arms ZMQ_FD). */
static int s_poll_reply(double *lat_out)
{
    uint8_t buf[4096];
    int r = zmq_recv(sock, buf, sizeof buf, ZMQ_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
    if (r <= 0 || r > (int)sizeof buf) {
        fprintf(stderr, "klaim-bench: bad reply frame (%d bytes)\n", r);
        exit(S_EX_SOFTWARE);
    }
    double t = now_us();
    Klaim__Reply *o = klaim__reply__unpack(NULL, (size_t)r, buf);
    if (!o) {
        fprintf(stderr, "klaim-bench: undecodable reply (%d bytes): is %s a klaimd intake?\n", r, s_endpoint);
        exit(S_EX_SOFTWARE);
    }
    long seq = (long)o->request_id - 1;
    double lat = -1;
    if (o->body_case == KLAIM__REPLY__BODY_ACK) {
        C.acks++;
        lat = t - sent_at[seq % S_CAP];
        if (o->ack->duplicate) C.dups++;
        else if (s_sampling && seq % s_sample_every == 0 && o->ack->claim_id) s_send_status(seq, o->ack->claim_id);
    } else {
        C.errors++;
        int code = o->body_case == KLAIM__REPLY__BODY_ERROR && o->error ? (int)o->error->code : 0;
        if (code < 0 || code > 15) code = 0;
        C.err_code[code]++;
        if (code == KLAIM__ERROR_CODE__BUSY) C.busy++;
        if (C.errors <= 3)
            fprintf(stderr, "klaim-bench: error reply to claim %ld: code %d %s: %s\n", seq, code,
                    o->error && o->error->field ? o->error->field : "",
                    o->error && o->error->message ? o->error->message : "");
    }
    klaim__reply__free_unpacked(o, NULL);
    *lat_out = lat;
    return 0;
}

/* Waits for one submit reply: its ack latency in us, or -1 for an error
 * reply. Status replies that arrive meanwhile are handled. */
static double recv_reply(void)
{
    double lat;
    for (;;) {
        s_drain_status();
        if (s_poll_reply(&lat) == 0) return lat;
        s_wait(100000);
    }
}

/* ----------------------------------------------------------- stats, /proc */

struct s_stats {
    uint64_t by_state[8];
    uint64_t decided, total, queue_depth, in_flight, commits, committed_ops, max_batch, registry_generation;
    uint32_t workers_ready;
};

/* One stats request on its own short-lived DEALER; 0 or -1 (no answer in
 * timeout_ms, or not a stats reply). */
static int s_get_stats(struct s_stats *st, int timeout_ms)
{
    void *s = zmq_socket(s_ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (bench_curve_client(&s_curve, s) != 0 || zmq_connect(s, s_endpoint) != 0) {
        zmq_close(s);
        return -1;
    }
    Klaim__StatsRequest sr = KLAIM__STATS_REQUEST__INIT;
    Klaim__Request r = KLAIM__REQUEST__INIT;
    r.has_version = 1;
    r.version = 1;
    r.has_request_id = 1;
    r.request_id = 7;
    r.body_case = KLAIM__REQUEST__BODY_STATS;
    r.stats = &sr;
    uint8_t buf[4096];
    size_t len = klaim__request__pack(&r, buf);
    int rc = -1;
    zmq_send(s, buf, len, 0);
    zmq_pollitem_t pi = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&pi, 1, timeout_ms) == 1) {
        int n = zmq_recv(s, buf, sizeof buf, 0);
        Klaim__Reply *rp = n > 0 && n <= (int)sizeof buf ? klaim__reply__unpack(NULL, (size_t)n, buf) : NULL;
        if (rp && rp->body_case == KLAIM__REPLY__BODY_STATS) {
            const Klaim__Stats *x = rp->stats;
            memset(st, 0, sizeof *st);
            for (size_t i = 0; i < x->n_claims; i++) {
                int k = x->claims[i]->state;
                if (k >= 0 && k < 8) st->by_state[k] = x->claims[i]->count;
                st->total += x->claims[i]->count;
            }
            st->decided = st->by_state[KLAIM__STATE__APPROVED] + st->by_state[KLAIM__STATE__REJECTED] +
                          st->by_state[KLAIM__STATE__PENDING_REVIEW];
            st->queue_depth = x->queue_depth;
            st->in_flight = x->in_flight;
            st->commits = x->commits;
            st->committed_ops = x->committed_ops;
            st->max_batch = x->max_batch;
            st->registry_generation = x->registry_generation;
            st->workers_ready = x->workers_ready;
            rc = 0;
        }
        if (rp) klaim__reply__free_unpacked(rp, NULL);
    }
    zmq_close(s);
    return rc;
}

/* VmRSS (kB) and utime+stime (ticks) of one process; 0 if it is gone. */
static long s_proc_rss(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
    fclose(f);
    return kb;
}
static long s_proc_ticks(pid_t pid, pid_t *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* comm may hold spaces */
    if (!p) return -1;
    int pp = 0;
    unsigned long ut = 0, stt = 0;
    if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &pp, &ut, &stt) != 3) return -1;
    if (ppid) *ppid = pp;
    return (long)(ut + stt);
}

/* The daemon's and its children's (the workers') RSS and CPU ticks. */
struct s_procs {
    long daemon_rss, worker_rss, daemon_ticks, worker_ticks;
};
static void s_sample_procs(pid_t daemon, struct s_procs *p)
{
    memset(p, 0, sizeof *p);
    if (daemon <= 0) return;
    p->daemon_rss = s_proc_rss(daemon);
    p->daemon_ticks = s_proc_ticks(daemon, NULL);
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
        pid_t pid = (pid_t)atol(de->d_name), pp = 0;
        long t = s_proc_ticks(pid, &pp);
        if (t < 0 || pp != daemon) continue;
        p->worker_ticks += t;
        p->worker_rss += s_proc_rss(pid);
    }
    if (d) closedir(d);
    /* --remote-workers: ours, not klaimd's children */
    for (int i = 0; i < s_n_remote; i++) {
        long t = s_remote_pids[i] > 0 ? s_proc_ticks(s_remote_pids[i], NULL) : -1;
        if (t < 0) continue;
        p->worker_ticks += t;
        p->worker_rss += s_proc_rss(s_remote_pids[i]);
    }
}

/* --------------------------------------------------------------- phases */

struct s_phase {
    char name[32];
    int open, cold;
    long cold_files, cold_resident_kb; /* cold: files dropped, their pages still resident after */
    double rate;
    int saturated;
    double elapsed_s, drain_s;
    long n;   /* replies counted (acks + errors) */
    double *lat;
    long n_lat;
    struct s_counts c;
    struct s_stats st0, st1, st2; /* start, load end, all decided */
    int have_stats, all_decided;
    long daemon_rss_max, worker_rss_max;
    double daemon_cpu_pct, worker_cpu_pct, bench_cpu_pct;
    long db_bytes_per_claim;
};

static pid_t s_daemon_pid;
static const char *s_db_dir;
static double s_next_sample;
static struct s_phase *s_cur;

static void s_maybe_sample(void)
{
    double t = now_us();
    if (t < s_next_sample || s_daemon_pid <= 0) return;
    s_next_sample = t + 250000;
    struct s_procs p;
    s_sample_procs(s_daemon_pid, &p);
    if (p.daemon_rss > s_cur->daemon_rss_max) s_cur->daemon_rss_max = p.daemon_rss;
    if (p.worker_rss > s_cur->worker_rss_max) s_cur->worker_rss_max = p.worker_rss;
}

static double s_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Waits until klaimd has nothing queued or leased and every sampled
 * status has been answered; returns 1 if so, 0 after S_DRAIN_S. */
static int s_wait_decided(struct s_stats *st)
{
    double t0 = now_us(), next = 0;
    int ok = 0;
    for (;;) {
        s_drain_status();
        double l; /* every submit reply came before this; the EAGAIN re-arms ZMQ_FD for s_wait */
        while (s_poll_reply(&l) == 0) continue;
        double t = now_us();
        if (t >= next) {
            next = t + 100000;
            if (s_get_stats(st, 5000) == 0 && st->queue_depth == 0 && st->in_flight == 0 && C.st_out == 0) {
                ok = 1;
                break;
            }
        }
        if (t - t0 > S_DRAIN_S * 1e6) break;
        s_wait(20000);
    }
    return ok;
}

static long seq; /* the next claim's sequence number, across phases */

/* The reference's warm-up: 1000 claims, 16 in flight, not counted. */
static void s_warmup(void)
{
    long s = 0, r = 0;
    s_sampling = 0;
    while (r < 1000) {
        while (s - r < 16 && s < 1000) {
            send_claim(seq++, now_us());
            s++;
        }
        recv_reply();
        r++;
    }
    s_sampling = 1;
}

static void s_lat_push(struct s_phase *ph, long *cap, double l)
{
    if (l < 0) return;
    if (ph->n_lat == *cap) {
        *cap *= 2;
        ph->lat = xrealloc(ph->lat, sizeof(double) * (size_t)*cap);
    }
    ph->lat[ph->n_lat++] = l;
}

/* One phase: warm-up, wait idle, measured load (closed: `inflight` in
 * flight for `secs`; open: `rate`/s for `secs`), then wait until every
 * claim is decided. The loops are loadgen.c's. */
static void s_run_phase(struct s_phase *ph, int inflight, double secs)
{
    struct s_stats idle;
    s_cur = ph;
    memset(&C, 0, sizeof C);
    s_warmup();
    s_wait_decided(&idle);
    memset(&C, 0, sizeof C);
    memset(s_dec_state, 0, sizeof s_dec_state);
    ph->have_stats = s_get_stats(&ph->st0, 5000) == 0;
    struct s_procs p0, p1;
    s_sample_procs(s_daemon_pid, &p0);
    double cpu0 = s_cpu_s();
    s_next_sample = 0;
    long lcap = 1L << 20;
    ph->lat = xmalloc(sizeof(double) * (size_t)lcap);
    long sent = 0, got = 0;
    double t0 = now_us();
    if (!ph->open) {
        double tend = t0 + secs * 1e6;
        int stop = 0;
        while (sent < inflight) {
            send_claim(seq++, now_us());
            sent++;
        }
        while (got < sent) {
            double l = recv_reply();
            got++;
            s_lat_push(ph, &lcap, l);
            s_maybe_sample();
            if (!stop && now_us() >= tend) stop = 1;
            if (!stop) {
                send_claim(seq++, now_us());
                sent++;
            }
        }
    } else {
        double rate = ph->rate;
        long total = (long)(rate * secs);
        double interval = 1e6 / rate;
        while (got < total) {
            double next = t0 + (double)sent * interval, t = now_us();
            while (sent < total && next <= t) {
                send_claim(seq++, next);
                sent++;
                next = t0 + (double)sent * interval;
            }
            if (sent - got > 100000) {
                fprintf(stderr, "klaim-bench: open_rate=%g saturated: >100000 outstanding after %.1fs\n", rate,
                        (t - t0) / 1e6);
                ph->saturated = 1;
                break;
            }
            /* every reply that is ready, until EAGAIN, before blocking on ZMQ_FD */
            for (;;) {
                s_drain_status();
                double l;
                if (got >= total || s_poll_reply(&l) != 0) break;
                s_lat_push(ph, &lcap, l);
                got++;
            }
            s_maybe_sample();
            if (got >= total) break;
            double wait = sent < total ? next - now_us() : 1000;
            s_wait(wait);
        }
        if (ph->saturated) /* collect what is still coming, uncounted */
            while (got < sent) {
                recv_reply();
                got++;
            }
    }
    double t1 = now_us();
    ph->elapsed_s = (t1 - t0) / 1e6;
    ph->n = got;
    s_sample_procs(s_daemon_pid, &p1);
    double cpu1 = s_cpu_s();
    long hz = sysconf(_SC_CLK_TCK);
    ph->daemon_cpu_pct = 100.0 * (double)(p1.daemon_ticks - p0.daemon_ticks) / (double)hz / ph->elapsed_s;
    ph->worker_cpu_pct = 100.0 * (double)(p1.worker_ticks - p0.worker_ticks) / (double)hz / ph->elapsed_s;
    ph->bench_cpu_pct = 100.0 * (cpu1 - cpu0) / ph->elapsed_s;
    s_maybe_sample();
    if (ph->have_stats) ph->have_stats = s_get_stats(&ph->st1, 5000) == 0;
    ph->all_decided = s_wait_decided(&ph->st2);
    ph->drain_s = (now_us() - t1) / 1e6;
    ph->c = C;
    if (ph->have_stats && ph->all_decided) {
        /* every claim stored is decided (or parked), and this phase's
         * acks (minus repeats) all became claims that are decided */
        uint64_t new_claims = ph->st2.total - ph->st0.total;
        ph->all_decided = ph->st2.decided == ph->st2.total - ph->st2.by_state[KLAIM__STATE__RECEIVED] -
                                                 ph->st2.by_state[KLAIM__STATE__PROCESSING] &&
                          new_claims == (uint64_t)(C.acks - C.dups) && C.st_errors == 0;
    }
    if (s_db_dir && ph->have_stats && ph->st2.total > 0) {
        char path[PATH_MAX];
        struct stat sb;
        long long bytes = 0;
        snprintf(path, sizeof path, "%s/klaim.db", s_db_dir);
        if (stat(path, &sb) == 0) bytes += sb.st_size;
        snprintf(path, sizeof path, "%s/klaim.db-wal", s_db_dir);
        if (stat(path, &sb) == 0) bytes += sb.st_size;
        ph->db_bytes_per_claim = (long)(bytes / (long long)ph->st2.total);
    }
}

static void s_pct(const double *v, long n, double *p50, double *p99, double *p999, double *max)
{
    if (n == 0) {
        *p50 = *p99 = *p999 = *max = 0;
        return;
    }
    *p50 = v[n / 2];
    *p99 = v[(long)((double)n * 0.99)];
    *p999 = v[(long)((double)n * 0.999)];
    *max = v[n - 1];
}

/* Restarts klaimd's local workers (SIGTERM: they retire and klaimd starts
 * them again at once) and waits until as many are ready, so that no
 * process has the registry mapped when its page cache is dropped: a
 * mapped page survives posix_fadvise, and a worker that could not mlock
 * (RLIMIT_MEMLOCK) keeps it only mapped. A restarted worker is also when a
 * registry really goes cold: after a crash, an upgrade, a new generation.
 * Returns the number restarted. */
static int s_restart_workers(void)
{
    if (s_daemon_pid <= 0) return 0;
    pid_t old[64];
    int n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *de; d && (de = readdir(d)) && n < 64;) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
        pid_t pid = (pid_t)atol(de->d_name), pp = 0;
        if (s_proc_ticks(pid, &pp) >= 0 && pp == s_daemon_pid) old[n++] = pid;
    }
    if (d) closedir(d);
    for (int i = 0; i < n; i++) kill(old[i], SIGTERM);
    for (int t = 0; t < 200; t++) { /* 20 s */
        int alive = 0;
        for (int i = 0; i < n; i++) alive += kill(old[i], 0) == 0 && s_proc_ticks(old[i], NULL) >= 0;
        struct s_stats st;
        if (!alive && s_get_stats(&st, 1000) == 0 && st.workers_ready >= (uint32_t)n) return n;
        usleep(100000);
    }
    fprintf(stderr, "klaim-bench: cold: workers not all back 20 s after their restart\n");
    return n;
}

/* key=value lines of one phase (prefix e.g. "closed_"). */
/* "cold" phases: the page cache of every registry file is dropped first
 * (posix_fadvise DONTNEED over the whole file, what `dd iflag=nocache
 * count=0` does), as after a long idle, once the workers have been
 * restarted (s_restart_workers). Pages a worker keeps mlock'ed stay (its
 * restart locks them again): how many is reported (mincore), so a cold
 * figure says what it measured. */
static void s_drop_registry_cache(struct s_phase *ph)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s/registry", PATH_MAX - 16, s_db_dir);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "klaim-bench: cold: cannot open %s: %s\n", dir, strerror(errno));
        return;
    }
    long page = sysconf(_SC_PAGESIZE);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
            posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
            ph->cold_files++;
            void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
            if (m != MAP_FAILED) {
                size_t pages = ((size_t)sb.st_size + (size_t)page - 1) / (size_t)page;
                unsigned char *vec = malloc(pages);
                if (vec && mincore(m, (size_t)sb.st_size, vec) == 0)
                    for (size_t i = 0; i < pages; i++) ph->cold_resident_kb += (vec[i] & 1) ? page / 1024 : 0;
                free(vec);
                munmap(m, (size_t)sb.st_size);
            }
        }
        close(fd);
    }
    closedir(d);
    fprintf(stderr, "klaim-bench: cold: page cache of %ld registry file(s) dropped; %ld KiB still resident "
                    "(mlock'ed or mapped by a worker)\n",
            ph->cold_files, ph->cold_resident_kb);
}

static void s_report(struct s_phase *ph)
{
    const char *k = ph->name;
    qsort(ph->lat, (size_t)ph->n_lat, sizeof(double), cmpd);
    qsort(ph->c.dlat, (size_t)ph->c.n_dlat, sizeof(double), cmpd);
    double a50, a99, a999, amax, d50, d99, d999, dmax;
    s_pct(ph->lat, ph->n_lat, &a50, &a99, &a999, &amax);
    s_pct(ph->c.dlat, ph->c.n_dlat, &d50, &d99, &d999, &dmax);
    if (ph->open) printf("%ssaturated=%d\n", k, ph->saturated);
    else printf("%sinflight=%.0f\n", k, ph->rate);
    printf("%sseconds=%.2f\n", k, ph->elapsed_s);
    printf("%sacks=%ld\n", k, ph->c.acks);
    printf("%sduplicates=%ld\n", k, ph->c.dups);
    printf("%serrors=%ld\n", k, ph->c.errors);
    printf("%sbusy=%ld\n", k, ph->c.busy);
    printf("%sacks_per_s=%.0f\n", k, (double)ph->c.acks / ph->elapsed_s);
    printf("%sack_p50_us=%.0f\n%sack_p99_us=%.0f\n%sack_p999_us=%.0f\n%sack_max_us=%.0f\n", k, a50, k, a99, k, a999, k,
           amax);
    uint64_t dec_load = ph->have_stats ? ph->st1.decided - ph->st0.decided : 0;
    uint64_t dec_all = ph->have_stats ? ph->st2.decided - ph->st0.decided : 0;
    printf("%sdecided=%llu\n", k, (unsigned long long)dec_all);
    printf("%sdecided_per_s=%.0f\n", k, (double)dec_load / ph->elapsed_s);
    printf("%sdecided_incl_drain_per_s=%.0f\n", k, (double)dec_all / (ph->elapsed_s + ph->drain_s));
    printf("%sdrain_s=%.2f\n", k, ph->drain_s);
    printf("%sdecision_samples=%ld\n", k, ph->c.n_dlat);
    printf("%sdecision_p50_us=%.0f\n%sdecision_p99_us=%.0f\n%sdecision_max_us=%.0f\n", k, d50, k, d99, k, dmax);
    printf("%sapproved=%ld\n%srejected=%ld\n%spending_review=%ld\n", k, s_dec_state[KLAIM__STATE__APPROVED], k,
           s_dec_state[KLAIM__STATE__REJECTED], k, s_dec_state[KLAIM__STATE__PENDING_REVIEW]);
    if (ph->have_stats) {
        uint64_t dc = ph->st2.commits - ph->st0.commits, dop = ph->st2.committed_ops - ph->st0.committed_ops;
        printf("%scommits=%llu\n", k, (unsigned long long)dc);
        printf("%scommit_batch_mean=%.1f\n", k, dc ? (double)dop / (double)dc : 0.0);
        printf("%scommit_batch_max=%llu\n", k, (unsigned long long)ph->st2.max_batch);
    }
    if (s_daemon_pid > 0) {
        printf("%sdaemon_rss_kb=%ld\n%sworker_rss_kb=%ld\n", k, ph->daemon_rss_max, k, ph->worker_rss_max);
        printf("%sdaemon_cpu_pct=%.0f\n%sworker_cpu_pct=%.0f\n", k, ph->daemon_cpu_pct, k, ph->worker_cpu_pct);
    }
    printf("%sbench_cpu_pct=%.0f\n", k, ph->bench_cpu_pct);
    if (s_db_dir) printf("%sdb_bytes_per_claim=%ld\n", k, ph->db_bytes_per_claim);
    if (ph->cold) printf("%scold_files=%ld\n%scold_resident_kb=%ld\n", k, ph->cold_files, k, ph->cold_resident_kb);
    printf("%sall_decided=%d\n", k, ph->all_decided);
    fflush(stdout);
}

/* --------------------------------------------------------------- spawn */

static char s_tmp[PATH_MAX - 64];
static pid_t s_spawned;
static int s_keep; /* --keep: leave the temp dir for inspection */

static int s_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(p);
    return 0;
}

/* Stops the klaimd we started (SIGTERM, then SIGKILL after 15 s); then
 * s_cleanup also removes the temp dir. Both are safe to call twice. */
static void s_cleanup_daemon(void)
{
    if (s_spawned > 0) {
        kill(s_spawned, SIGTERM);
        for (int i = 0; i < 150; i++) {
            if (waitpid(s_spawned, NULL, WNOHANG) == s_spawned) {
                s_spawned = 0;
                break;
            }
            usleep(100000);
        }
        if (s_spawned > 0) {
            kill(s_spawned, SIGKILL);
            waitpid(s_spawned, NULL, 0);
            s_spawned = 0;
        }
    }
}
static void s_cleanup(void)
{
    s_cleanup_daemon();
    bench_remote_stop(s_remote_pids, s_n_remote); /* after klaimd: they would only READY again */
    if (s_tmp[0] && s_keep) {
        fprintf(stderr, "klaim-bench: kept %s (data/, klaimd.log)\n", s_tmp);
        s_tmp[0] = '\0';
    }
    if (s_tmp[0]) {
        nftw(s_tmp, s_rm, 16, FTW_DEPTH | FTW_PHYS);
        s_tmp[0] = '\0';
    }
}
static void s_on_signal(int sig)
{
    if (s_spawned > 0) kill(s_spawned, SIGTERM); /* its workers follow (fd 3 EOF) */
    for (int i = 0; i < s_n_remote; i++)         /* remote workers do not */
        if (s_remote_pids[i] > 0) kill(s_remote_pids[i], SIGTERM);
    _exit(128 + sig);
}

/* The first of: flag, $ENV, beside klaim-bench, the build's own path. */
static const char *s_find_bin(const char *flag, const char *env, const char *name, const char *built)
{
    if (flag) return flag;
    const char *e = getenv(env);
    if (e && *e) return e;
    static char beside[2][PATH_MAX];
    static int k;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) *slash = '\0';
        char *b = beside[k++ & 1];
        snprintf(b, PATH_MAX, "%.*s/%s", PATH_MAX - 64, self, name);
        if (access(b, X_OK) == 0) return b;
    }
    if (built[0] && access(built, X_OK) == 0) return built;
    return NULL;
}

static int s_memlock_unlimited = -1; /* -1: not spawned (external klaimd) */

/* Runs the spawned klaimd as systemd/klaimd.service does
 * (LimitMEMLOCK=infinity): its workers drop every capability, so without
 * this their mlock of the registry fails under a shell's usual 8 MiB limit
 * and the registry stays only mapped, which this VM's page-cache eviction
 * does not respect. The limit is inherited by every process the bench
 * starts. Returns 1 when raised, 0 (with a note) when not permitted. */
static int s_raise_memlock(void)
{
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0) return 1;
    fprintf(stderr, "klaim-bench: cannot raise RLIMIT_MEMLOCK (%s): the workers will not be able to mlock the "
                    "registry (klaimd.service sets LimitMEMLOCK=infinity); run as root or raise ulimit -l\n",
            strerror(errno));
    return 0;
}

/* bench_exec(), or the end of the run when even fork fails. */
static pid_t s_exec(const char *const argv[], const char *out_path)
{
    pid_t pid = bench_exec(argv, out_path);
    if (pid < 0) exit(S_EX_SOFTWARE);
    return pid;
}

static void s_tail(const char *path)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "tail -n 20 '%s' >&2", path);
    if (system(cmd) != 0) fprintf(stderr, "klaim-bench: (could not show %s)\n", path);
}

static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        perror("klaim-bench: finding a free loopback port");
        exit(S_EX_SOFTWARE);
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* The klaim-worker for --remote-workers: the one beside klaimd (the same
 * build klaimd spawns for its local workers), else the usual search. */
static const char *s_find_worker(const struct s_opts *o, const char *kd)
{
    if (o->klaim_worker) return o->klaim_worker;
    static char beside[PATH_MAX];
    const char *slash = strrchr(kd, '/');
    if (slash && snprintf(beside, sizeof beside, "%.*s/klaim-worker", (int)(slash - kd), kd) < (int)sizeof beside &&
        access(beside, X_OK) == 0)
        return beside;
    return s_find_bin(NULL, "KLAIM_WORKER", "klaim-worker", KLAIM_BENCH_DEFAULT_KLAIM_WORKER);
}

/* --curve / --remote-workers: keys, clients.d and klaimd.conf in the temp
 * dir (workers = 0 and a loopback remote endpoint for remote workers).
 * conf_path gets the file. 0 or an exit code. */
static int s_spawn_conf(const struct s_opts *o, char *conf_path, size_t size, char *remote_ep, size_t ep_size)
{
    char conf[2 * PATH_MAX + 256] = "# klaim-bench --spawn\n";
    if (bench_curve_setup(s_tmp, (int)o->remote_workers, &s_curve, conf, sizeof conf) != 0) return S_EX_SOFTWARE;
    if (o->remote_workers > 0) {
        snprintf(remote_ep, ep_size, "tcp://127.0.0.1:%d", s_free_port());
        size_t used = strlen(conf);
        snprintf(conf + used, sizeof conf - used, "workers = 0\nremote_worker_endpoint = %s\n", remote_ep);
    }
    snprintf(conf_path, size, "%s/klaimd.conf", s_tmp);
    FILE *f = fopen(conf_path, "w");
    if (!f || fputs(conf, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "klaim-bench: cannot write %s: %s\n", conf_path, strerror(errno));
        if (f) fclose(f);
        return S_EX_SOFTWARE;
    }
    return 0;
}

/* Temp dir, registry CSV, klaimd (with --curve / --remote-workers: its keys
 * and the remote klaim-workers), registry import, wait for a ready worker
 * (all N remote ones) on the new generation. Returns 0 or an exit code. */
static int s_spawn(const struct s_opts *o, char *ep, size_t ep_size)
{
    const char *kd = s_find_bin(o->klaimd, "KLAIMD", "klaimd", KLAIM_BENCH_DEFAULT_KLAIMD);
    const char *kc = s_find_bin(o->klaimctl, "KLAIMCTL", "klaimctl", KLAIM_BENCH_DEFAULT_KLAIMCTL);
    if (!kd || !kc) {
        fprintf(stderr, "klaim-bench: no %s found: give --%s PATH or set %s\n", kd ? "klaimctl" : "klaimd",
                kd ? "klaimctl" : "klaimd", kd ? "KLAIMCTL" : "KLAIMD");
        return S_EX_USAGE;
    }
    const char *parent = getenv("BENCH_DATA_DIR");
    if (!parent || !*parent) parent = getenv("TMPDIR");
    if (!parent || !*parent) parent = "/var/tmp";
    snprintf(s_tmp, sizeof s_tmp, "%s/klaim-bench.XXXXXX", parent);
    if (!mkdtemp(s_tmp)) {
        fprintf(stderr, "klaim-bench: cannot create a temp dir in %s (%s): set BENCH_DATA_DIR to a writable dir\n",
                parent, strerror(errno));
        s_tmp[0] = '\0';
        return S_EX_SOFTWARE;
    }
    s_keep = o->keep;
    s_memlock_unlimited = s_raise_memlock();
    atexit(s_cleanup);
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    static char data[PATH_MAX], csv[PATH_MAX], log[PATH_MAX], imp[PATH_MAX];
    snprintf(data, sizeof data, "%s/data", s_tmp);
    snprintf(csv, sizeof csv, "%s/participants.csv", s_tmp);
    snprintf(log, sizeof log, "%s/klaimd.log", s_tmp);
    snprintf(imp, sizeof imp, "%s/import.log", s_tmp);
    double t = now_us();
    if (s_write_registry(csv, o->participants) != 0) return S_EX_SOFTWARE;
    fprintf(stderr, "klaim-bench: registry of %ld rows written in %.1f s\n", o->participants, (now_us() - t) / 1e6);
    snprintf(ep, ep_size, "tcp://127.0.0.1:%d", s_free_port());
    static char conf[PATH_MAX], remote_ep[64], feed_ep[64], wlog[PATH_MAX], bench_key[PATH_MAX],
        server_pub[PATH_MAX];
    /* The feed on a free port and no HTTP gateway: two benches, or a bench
     * beside a klaimd on the default ports, never fight over 7711/7780. */
    snprintf(feed_ep, sizeof feed_ep, "tcp://127.0.0.1:%d", s_free_port());
    const char *argv[] = {kd, "--data-dir", data, "--intake-endpoint", ep, "--feed-endpoint", feed_ep,
                          "--http-listen", "", "--log-level", "warn", NULL, NULL, NULL};
    if (o->curve) {
        int rc = s_spawn_conf(o, conf, sizeof conf, remote_ep, sizeof remote_ep);
        if (rc != 0) return rc;
        argv[11] = "--config";
        argv[12] = conf;
    }
    s_spawned = s_exec(argv, log);
    s_daemon_pid = s_spawned;
    s_db_dir = data;
    struct s_stats st;
    int up = 0;
    for (int i = 0; i < 200 && !up; i++) {
        if (waitpid(s_spawned, NULL, WNOHANG) == s_spawned) {
            s_spawned = 0;
            break;
        }
        up = s_get_stats(&st, 100) == 0;
        if (!up) usleep(50000);
    }
    if (!up) {
        fprintf(stderr, "klaim-bench: klaimd (%s) did not answer stats within 20 s; its log:\n", kd);
        s_tail(log);
        return S_EX_UNAVAILABLE;
    }
    if (o->remote_workers > 0) {
        const char *kw = s_find_worker(o, kd);
        if (!kw) {
            fprintf(stderr, "klaim-bench: no klaim-worker found for --remote-workers: give --klaim-worker PATH\n");
            return S_EX_USAGE;
        }
        static char reg[PATH_MAX + 16];
        snprintf(wlog, sizeof wlog, "%s/workers.log", s_tmp);
        snprintf(reg, sizeof reg, "%s/registry", data); /* same host: klaimd's own folder, no copy */
        s_n_remote = (int)o->remote_workers;
        if (bench_remote_start(kw, remote_ep, s_tmp, reg, s_n_remote, s_remote_pids, wlog) != s_n_remote) {
            s_tail(wlog);
            return S_EX_SOFTWARE;
        }
    }
    t = now_us();
    snprintf(bench_key, sizeof bench_key, "%s/keys/bench.key", s_tmp);
    snprintf(server_pub, sizeof server_pub, "%s/keys/server.pub", s_tmp);
    const char *iargv[] = {kc, "--endpoint", ep, "registry", "import", csv, NULL, NULL, NULL, NULL, NULL};
    if (o->curve) {
        iargv[1] = "--curve-key", iargv[2] = bench_key, iargv[3] = "--server-key", iargv[4] = server_pub;
        iargv[5] = "--endpoint", iargv[6] = ep, iargv[7] = "registry", iargv[8] = "import", iargv[9] = csv;
    }
    pid_t ip = s_exec(iargv, imp);
    int ws = 0;
    waitpid(ip, &ws, 0);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
        fprintf(stderr, "klaim-bench: klaimctl registry import failed (exit %d):\n",
                WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
        s_tail(imp);
        s_tail(log);
        return S_EX_UNAVAILABLE;
    }
    fprintf(stderr, "klaim-bench: registry imported in %.1f s\n", (now_us() - t) / 1e6);
    uint32_t want = o->remote_workers > 0 ? (uint32_t)o->remote_workers : 1;
    for (int i = 0; i < 600; i++) {
        if (s_get_stats(&st, 1000) == 0 && st.registry_generation > 0 && st.workers_ready >= want) return 0;
        usleep(100000);
    }
    fprintf(stderr, "klaim-bench: %u of %u workers ready on the new registry after 60 s; klaimd log:\n",
            st.workers_ready, want);
    s_tail(log);
    if (s_n_remote > 0) s_tail(wlog);
    return S_EX_UNAVAILABLE;
}

/* ----------------------------------------------------------------- main */

__attribute__((format(printf, 1, 2))) static int s_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "klaim-bench: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", S_USAGE);
    return S_EX_USAGE;
}

static int s_num(const char *flag, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "klaim-bench: %s must be a whole number from %ld to %ld (got \"%s\")\n", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int s_parse(int argc, char **argv, struct s_opts *o)
{
    *o = (struct s_opts){.participants = 1000000, .seconds = 10, .closed = 1, .open = 1, .inflight = 1024,
                         .sample_every = 10, .rates = {1000, 10000}, .n_rates = 2, .cold_idle = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(s_help, stdout);
            exit(0);
        }
        if (!strcmp(a, "--keep")) {
            o->keep = 1;
            continue;
        }
        if (!strcmp(a, "--spawn")) {
            o->spawn = 1;
            continue;
        }
        if (!strcmp(a, "--curve")) {
            o->curve = 1;
            continue;
        }
        if (i + 1 >= argc) return s_usage("%s needs a value", a);
        const char *v = argv[++i];
        long n;
        if (!strcmp(a, "--endpoint")) o->endpoint = v;
        else if (!strcmp(a, "--klaimd")) o->klaimd = v;
        else if (!strcmp(a, "--klaimctl")) o->klaimctl = v;
        else if (!strcmp(a, "--cold-idle")) {
            if (s_num(a, v, 0, 3600, &n)) return S_EX_USAGE;
            o->cold_idle = (double)n;
        }
        else if (!strcmp(a, "--data-dir")) o->data_dir = v;
        else if (!strcmp(a, "--klaim-worker")) o->klaim_worker = v;
        else if (!strcmp(a, "--curve-key")) o->curve_key = v;
        else if (!strcmp(a, "--server-key")) o->server_key = v;
        else if (!strcmp(a, "--remote-workers")) {
            if (s_num(a, v, 1, BENCH_MAX_REMOTE, &o->remote_workers)) return S_EX_USAGE;
        }
        else if (!strcmp(a, "--pid")) {
            if (s_num(a, v, 1, INT_MAX, &n)) return S_EX_USAGE;
            o->pid = (pid_t)n;
        } else if (!strcmp(a, "--participants")) {
            if (s_num(a, v, 10, 99999999, &o->participants)) return S_EX_USAGE;
        } else if (!strcmp(a, "--seconds")) {
            if (s_num(a, v, 1, 3600, &n)) return S_EX_USAGE;
            o->seconds = (double)n;
        } else if (!strcmp(a, "--inflight")) {
            if (s_num(a, v, 1, 100000, &n)) return S_EX_USAGE;
            o->inflight = (int)n;
        } else if (!strcmp(a, "--sample-every")) {
            if (s_num(a, v, 1, 1000000, &o->sample_every)) return S_EX_USAGE;
        } else if (!strcmp(a, "--phases")) {
            o->closed = o->open = o->cold = 0;
            char buf[64];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *sv, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
                if (!strcmp(t, "closed")) o->closed = 1;
                else if (!strcmp(t, "open")) o->open = 1;
                else if (!strcmp(t, "cold")) o->cold = 1;
                else return s_usage("--phases may name only closed, open and cold (got \"%s\")", t);
            }
        } else if (!strcmp(a, "--rates")) {
            o->n_rates = 0;
            char buf[128];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *sv, *t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
                if (o->n_rates == S_MAX_RATES) return s_usage("--rates: at most 8 rates (got \"%s\")", v);
                if (s_num("--rates", t, 1, 1000000, &o->rates[o->n_rates++])) return S_EX_USAGE;
            }
        } else {
            return s_usage("unknown option \"%s\" (try --help)", a);
        }
    }
    if (!o->spawn && !o->endpoint) return s_usage("%s", "give --endpoint EP of a running klaimd, or --spawn");
    if (o->spawn && o->endpoint) return s_usage("%s", "--spawn starts its own klaimd: drop --endpoint");
    if ((o->open || o->cold) && o->n_rates == 0) return s_usage("%s", "--phases open/cold need --rates");
    if (o->cold && !o->spawn && !o->data_dir) return s_usage("%s", "--phases cold needs --spawn or --data-dir");
    if (!o->spawn && (o->curve || o->remote_workers || o->klaim_worker))
        return s_usage("%s", "--curve, --remote-workers and --klaim-worker go with --spawn (for a running klaimd "
                             "with CURVE give --curve-key FILE --server-key KEY)");
    if (o->spawn && (o->curve_key || o->server_key))
        return s_usage("%s", "--spawn makes its own keys (--curve, --remote-workers): drop --curve-key/--server-key");
    if (!!o->curve_key != !!o->server_key)
        return s_usage("%s", "CURVE needs both --curve-key (the bench's NAME.key) and --server-key (klaimd's server.pub)");
    if (o->curve && o->remote_workers)
        return s_usage("%s", "--remote-workers already puts CURVE on the intake: drop --curve");
    if (o->remote_workers) o->curve = 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct s_opts o;
    int rc = s_parse(argc, argv, &o);
    if (rc) return rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    rs = (uint64_t)now_us() * 2654435761u ^ (uint64_t)getpid();
    if (!rs) rs = 1;
    runid = xr();
    npart = o.participants;
    s_sample_every = o.sample_every;
    s_today = kdate_today_wib();
    s_first_event = kdate_from_ymd(2024, 1, 1);
    if (s_today - 2 <= s_first_event) s_first_event = s_today - 30; /* a clock before 2024: still valid dates */
    s_paid_through = kmonth_of(s_today);
    sent_at = xmalloc(sizeof(double) * (size_t)S_CAP);
    s_ctx = zmq_ctx_new();
    char ep[64];
    s_daemon_pid = o.pid;
    s_db_dir = o.data_dir;
    if (o.curve_key && bench_curve_load(&s_curve, o.curve_key, o.server_key) != 0) return S_EX_USAGE;
    if (o.spawn) {
        s_endpoint = ep;
        if ((rc = s_spawn(&o, ep, sizeof ep)) != 0) return rc;
    } else {
        s_endpoint = o.endpoint;
        struct s_stats st;
        if (s_get_stats(&st, 5000) != 0) {
            fprintf(stderr, "klaim-bench: no stats reply from %s within 5 s: is klaimd running there?\n", s_endpoint);
            return S_EX_UNAVAILABLE;
        }
        if (st.registry_generation == 0)
            fprintf(stderr, "klaim-bench: warning: klaimd at %s has no registry; claims will wait undecided\n",
                    s_endpoint);
    }
    sock = zmq_socket(s_ctx, ZMQ_DEALER);
    ssock = zmq_socket(s_ctx, ZMQ_DEALER);
    int h = 0;
    for (int i = 0; i < 2; i++) {
        void *s = i ? ssock : sock;
        zmq_setsockopt(s, ZMQ_SNDHWM, &h, sizeof h);
        zmq_setsockopt(s, ZMQ_RCVHWM, &h, sizeof h);
        zmq_setsockopt(s, ZMQ_LINGER, &h, sizeof h);
        if (bench_curve_client(&s_curve, s) != 0 || zmq_connect(s, s_endpoint)) {
            fprintf(stderr, "klaim-bench: cannot connect to %s: %s\n", s_endpoint, zmq_strerror(errno));
            return S_EX_USAGE;
        }
    }

    struct s_phase ph[1 + 2 * S_MAX_RATES];
    int n_ph = 0;
    memset(ph, 0, sizeof ph);
    if (o.closed) {
        snprintf(ph[n_ph].name, sizeof ph[n_ph].name, "closed_");
        ph[n_ph].rate = o.inflight;
        n_ph++;
    }
    if (o.open)
        for (int i = 0; i < o.n_rates; i++) {
            snprintf(ph[n_ph].name, sizeof ph[n_ph].name, "open_%ld_", o.rates[i]);
            ph[n_ph].open = 1;
            ph[n_ph].rate = (double)o.rates[i];
            n_ph++;
        }
    if (o.cold)
        for (int i = 0; i < o.n_rates; i++) {
            snprintf(ph[n_ph].name, sizeof ph[n_ph].name, "cold_%ld_", o.rates[i]);
            ph[n_ph].open = ph[n_ph].cold = 1;
            ph[n_ph].rate = (double)o.rates[i];
            n_ph++;
        }
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    printf("bench_date=%s\nbench_seconds=%.0f\nbench_participants=%ld\nbench_sample_every=%ld\nbench_spawn=%d\n", date,
           o.seconds, o.participants, o.sample_every, o.spawn);
    printf("workers_transport=%s\nintake_curve=%d\n", !o.spawn ? "external" : o.remote_workers ? "tcp+curve" : "ipc",
           s_curve.on);
    if (s_memlock_unlimited >= 0) printf("memlock_unlimited=%d\n", s_memlock_unlimited);
    double tstart = now_us();
    int all = 1;
    for (int i = 0; i < n_ph; i++) {
        fprintf(stderr, "klaim-bench: phase %.*s ...\n", (int)strlen(ph[i].name) - 1, ph[i].name);
        if (ph[i].cold) {
            /* "after idle": the previous phase's checkpoints settle, as a
             * quiet night would; then the cache goes. */
            fprintf(stderr, "klaim-bench: cold: idle %.0f s first\n", o.cold_idle);
            usleep((useconds_t)(o.cold_idle * 1e6));
            if (o.spawn && !o.remote_workers)
                fprintf(stderr, "klaim-bench: cold: %d workers restarted\n", s_restart_workers());
            s_drop_registry_cache(&ph[i]);
        }
        s_run_phase(&ph[i], o.inflight, o.seconds);
        s_report(&ph[i]);
        all &= ph[i].all_decided;
    }
    printf("all_decided=%d\n", all);
    printf("bench_elapsed_s=%.0f\n", (now_us() - tstart) / 1e6);

    printf("\n%-12s %9s %9s %8s %8s %8s %9s %9s %9s %9s %8s\n", "phase", "acks/s", "decided/s", "ack_p50", "ack_p99",
           "ack_p999", "ack_max", "dec_p50", "dec_p99", "rss_kb", "batch");
    for (int i = 0; i < n_ph; i++) {
        struct s_phase *p = &ph[i];
        double a50, a99, a999, amax, d50, d99, d999, dmax;
        s_pct(p->lat, p->n_lat, &a50, &a99, &a999, &amax);
        s_pct(p->c.dlat, p->c.n_dlat, &d50, &d99, &d999, &dmax);
        uint64_t dc = p->st2.commits - p->st0.commits, dop = p->st2.committed_ops - p->st0.committed_ops;
        printf("%-12.*s %9.0f %9.0f %8.0f %8.0f %8.0f %9.0f %9.0f %9.0f %9ld %8.1f\n", (int)strlen(p->name) - 1,
               p->name, (double)p->c.acks / p->elapsed_s,
               p->have_stats ? (double)(p->st1.decided - p->st0.decided) / p->elapsed_s : 0.0, a50, a99, a999, amax,
               d50, d99, p->daemon_rss_max + p->worker_rss_max, dc ? (double)dop / (double)dc : 0.0);
    }
    printf("(latencies in us; rss = klaimd + workers; batch = ops per commit)\n");
    if (s_spawned > 0 && n_ph > 0 && ph[n_ph - 1].have_stats && ph[n_ph - 1].st2.total > 0) {
        /* klaimd checkpoints and drops its WAL on a clean stop: the lasting
         * size of the store, per claim (the reference's measure) */
        s_cleanup_daemon();
        s_daemon_pid = 0;
        char path[PATH_MAX];
        struct stat sb;
        long long bytes = 0;
        snprintf(path, sizeof path, "%s/klaim.db", s_db_dir);
        if (stat(path, &sb) == 0) bytes += sb.st_size;
        snprintf(path, sizeof path, "%s/klaim.db-wal", s_db_dir);
        if (stat(path, &sb) == 0) bytes += sb.st_size;
        printf("db_bytes_per_claim_after_stop=%lld\n", bytes / (long long)ph[n_ph - 1].st2.total);
        /* the file keeps the free pages of the registry upload: count the
         * pages in use from the SQLite header (exact after the checkpoint) */
        unsigned char hd[100];
        snprintf(path, sizeof path, "%s/klaim.db", s_db_dir);
        int fd = open(path, O_RDONLY);
        if (fd >= 0 && read(fd, hd, sizeof hd) == (ssize_t)sizeof hd) {
            long long psz = hd[16] << 8 | hd[17];
            if (psz == 1) psz = 65536;
            long long pages = (long long)hd[28] << 24 | hd[29] << 16 | hd[30] << 8 | hd[31];
            long long freep = (long long)hd[36] << 24 | hd[37] << 16 | hd[38] << 8 | hd[39];
            printf("db_used_bytes_per_claim_after_stop=%lld\n",
                   (pages - freep) * psz / (long long)ph[n_ph - 1].st2.total);
        }
        if (fd >= 0) close(fd);
    }
    for (int i = 0; i < n_ph; i++) {
        free(ph[i].lat);
        free(ph[i].c.dlat);
    }
    zmq_close(sock);
    zmq_close(ssock);
    zmq_ctx_term(s_ctx);
    free(sent_at);
    s_cleanup();
    return 0;
}

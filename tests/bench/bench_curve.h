/* bench_curve.h - klaim-bench's CURVE side: the client keys on its
 * DEALERs, the keys and allow-list of a spawned klaimd, and the remote
 * klaim-worker processes of --remote-workers.
 *
 * Owns: the bench's key pair and klaimd's public key (Z85), the temp key
 *   files and clients.d of a spawned klaimd, the remote workers' pids.
 * Runs in: klaim-bench (tests/bench/klaim_bench.c), single-threaded.
 * Keys are made by clients_keygen(), the code behind `klaimctl keygen`, so
 * the files are exactly what an operator would have.
 */
#ifndef KLAIM_BENCH_CURVE_H
#define KLAIM_BENCH_CURVE_H
#include <stddef.h>
#include <sys/types.h>

#define BENCH_MAX_REMOTE 64

struct bench_curve {
    int on;
    char public_z85[41], secret_z85[41];    /* the bench's key pair (role admin) */
    char server_z85[41];                    /* klaimd's public key */
};

/* --curve-key FILE (a klaimctl keygen NAME.key) and --server-key, a key
 * file or the 40-character Z85 key. 0, or -1 with a message on stderr. */
int bench_curve_load(struct bench_curve *c, const char *key_file, const char *server_key);

/* Makes sock (a DEALER, not yet connected) a CURVE client with c's keys;
 * nothing when c->on is 0. 0, or -1 with errno. */
int bench_curve_client(const struct bench_curve *c, void *sock);

/* For a spawned klaimd: in dir, keys/server, keys/bench (role admin) and
 * keys/worker1..n (role worker), their .client files in clients.d/, and
 * c filled for the bench. Appends the klaimd.conf lines
 * (curve_secret_key_file, clients_dir) to conf. 0, or -1 (stderr). */
int bench_curve_setup(const char *dir, int n_workers, struct bench_curve *c, char *conf, size_t conf_size);

/* Starts argv[0] (argv NULL-terminated) with stdout and stderr appended to
 * log_path. Returns its pid, or -1 when fork failed (said on stderr); a
 * failed exec shows as exit 127 of the child, with the reason in log_path.
 * Also klaim-bench's own launcher (klaimd, klaimctl). */
pid_t bench_exec(const char *const argv[], const char *log_path);

/* Starts n remote klaim-workers (worker_bin) against endpoint with the keys
 * of bench_curve_setup(dir, ...) and registry_dir, their output appended to
 * log_path; pids[] gets their pids (0 for one that could not start).
 * Returns how many started. */
int bench_remote_start(const char *worker_bin, const char *endpoint, const char *dir, const char *registry_dir,
                       int n, pid_t *pids, const char *log_path);

/* SIGTERM to each, then SIGKILL after 5 s; reaps them and zeroes pids[]. */
void bench_remote_stop(pid_t *pids, int n);

#endif

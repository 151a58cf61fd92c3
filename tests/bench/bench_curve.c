/* bench_curve.c - see bench_curve.h. */
#include "bench_curve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "clients.h"

int bench_curve_load(struct bench_curve *c, const char *key_file, const char *server_key)
{
    char err[512];
    memset(c, 0, sizeof *c);
    if (clients_read_keyfile(key_file, c->public_z85, c->secret_z85, err, sizeof err) != 0) {
        fprintf(stderr, "klaim-bench: --curve-key: %s\n", err);
        return -1;
    }
    uint8_t bin[32];
    if (strlen(server_key) == 40 && access(server_key, F_OK) != 0 && zmq_z85_decode(bin, server_key) != NULL) {
        memcpy(c->server_z85, server_key, 41);
    } else if (clients_read_keyfile(server_key, c->server_z85, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "klaim-bench: --server-key: %s (give klaimd's server.pub or its 40-character key)\n", err);
        return -1;
    }
    c->on = 1;
    return 0;
}

int bench_curve_client(const struct bench_curve *c, void *sock)
{
    if (!c->on) return 0;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, c->server_z85, 40) != 0) return -1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->public_z85, 40) != 0) return -1;
    return zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->secret_z85, 40);
}

/* keys/NAME.key and .pub, and clients.d/NAME.client allowing it as role. */
static int s_client(const char *dir, const char *name, const char *role, char *public_z85)
{
    char base[PATH_MAX], path[PATH_MAX + 16], err[512];
    snprintf(base, sizeof base, "%s/keys/%s", dir, name);
    if (clients_keygen(base, err, sizeof err) != 0) {
        fprintf(stderr, "klaim-bench: keygen: %s\n", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s.key", base);
    if (clients_read_keyfile(path, public_z85, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "klaim-bench: %s\n", err);
        return -1;
    }
    if (!role) return 0;
    snprintf(path, sizeof path, "%s/clients.d/%s.client", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "klaim-bench: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "name = klaim-bench %s\nrole = %s\npublic = %s\n", name, role, public_z85);
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "klaim-bench: writing %s failed\n", path);
        return -1;
    }
    return 0;
}

int bench_curve_setup(const char *dir, int n_workers, struct bench_curve *c, char *conf, size_t conf_size)
{
    char path[PATH_MAX], pub[41], err[512];
    snprintf(path, sizeof path, "%s/keys", dir);
    if (mkdir(path, 0700) != 0) {
        fprintf(stderr, "klaim-bench: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/clients.d", dir);
    if (mkdir(path, 0700) != 0) {
        fprintf(stderr, "klaim-bench: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    memset(c, 0, sizeof *c);
    if (s_client(dir, "server", NULL, c->server_z85) != 0 || s_client(dir, "bench", "admin", pub) != 0) return -1;
    snprintf(path, sizeof path, "%s/keys/bench.key", dir);
    if (clients_read_keyfile(path, c->public_z85, c->secret_z85, err, sizeof err) != 0) {
        fprintf(stderr, "klaim-bench: %s\n", err);
        return -1;
    }
    for (int i = 1; i <= n_workers; i++) {
        char name[32];
        snprintf(name, sizeof name, "worker%d", i);
        if (s_client(dir, name, "worker", pub) != 0) return -1;
    }
    size_t used = strlen(conf);
    int n = snprintf(conf + used, conf_size - used, "curve_secret_key_file = %s/keys/server.key\nclients_dir = %s/clients.d\n",
                     dir, dir);
    if (n < 0 || (size_t)n >= conf_size - used) {
        fprintf(stderr, "klaim-bench: temp dir path too long: %s\n", dir);
        return -1;
    }
    c->on = 1;
    return 0;
}

pid_t bench_exec(const char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "klaim-bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0) fprintf(stderr, "klaim-bench: fork for %s: %s\n", argv[0], strerror(errno));
    return pid;
}

int bench_remote_start(const char *worker_bin, const char *endpoint, const char *dir, const char *registry_dir,
                       int n, pid_t *pids, const char *log_path)
{
    int started = 0;
    char server[PATH_MAX];
    snprintf(server, sizeof server, "%s/keys/server.pub", dir);
    for (int i = 0; i < n; i++) {
        char key[PATH_MAX], name[32];
        snprintf(key, sizeof key, "%s/keys/worker%d.key", dir, i + 1);
        snprintf(name, sizeof name, "bench%d", i + 1);
        /* The credits of klaimd's own workers (worker_credits' default), so
         * that the ipc/tcp pair differs only in the transport: with the
         * remote default of 64, two workers held 128 claims in flight
         * against 1,024 and decided ~9,500/s whatever klaimd could do. */
        const char *argv[] = {worker_bin, "--endpoint", endpoint, "--curve-key", key, "--server-key", server,
                              "--registry-dir", registry_dir, "--name", name, "--credits", "512",
                              "--log-level", "warn", NULL};
        pid_t pid = bench_exec(argv, log_path);
        pids[i] = pid > 0 ? pid : 0;
        started += pid > 0;
    }
    return started;
}

void bench_remote_stop(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0) kill(pids[i], SIGTERM);
    for (int t = 0; t < 50; t++) {
        int left = 0;
        for (int i = 0; i < n; i++) {
            if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == pids[i]) pids[i] = 0;
            left += pids[i] > 0;
        }
        if (!left) return;
        usleep(100000);
    }
    for (int i = 0; i < n; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    }
}

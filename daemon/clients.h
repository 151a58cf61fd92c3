/* clients.h - who may talk to klaimd: the allow-list in clients_dir.
 *
 * Owns: parsing of client files and key files, roles, lookups.
 * Runs in: klaimd (main thread builds a list; the ZAP thread reads it),
 *   klaimctl (key files). A list is immutable once built: a reload builds
 *   a new one and swaps it (zap.c).
 * A client file (one per client, any name ending in .client) holds:
 *     name = RS Islam Sakinah        # 1-64 printable characters, unique
 *     role = hospital                # hospital | console | upstream | admin | worker | reviewer
 *     public = <40 Z85 characters>   # the client's CURVE public key
 * A key file (klaimctl keygen) holds "public = Z85" and "secret = Z85".
 */
#ifndef KLAIM_CLIENTS_H
#define KLAIM_CLIENTS_H
#include <stddef.h>
#include <stdint.h>

/* Values are stable (stored nowhere, but logged and compared): new roles
 * go at the end. ROLE_MONITOR is an HTTP tokens_file role only (it reads
 * /metrics and /healthz); a .client file may not use it. */
enum klaim_role { ROLE_NONE = 0, ROLE_HOSPITAL, ROLE_CONSOLE, ROLE_UPSTREAM, ROLE_ADMIN, ROLE_WORKER,
                  ROLE_REVIEWER, ROLE_MONITOR };

struct client {
    char name[65];
    enum klaim_role role;
    uint8_t key[32];            /* CURVE public key, binary */
};

struct clients {
    struct client *v;
    size_t n;
};

/* Loads every *.client file of dir. NULL with err naming file:line and the
 * fix on any bad file: a half-valid allow-list is never used. */
struct clients *clients_load(const char *dir, char *err, size_t errlen);
void clients_free(struct clients **c);
const struct client *clients_by_key(const struct clients *c, const uint8_t key[32]);
const struct client *clients_by_name(const struct clients *c, const char *name);

const char *klaim_role_name(enum klaim_role r);
enum klaim_role klaim_role_parse(const char *s);

/* Reads a key file; public_z85/secret_z85 get 41 bytes (40 + NUL). Either
 * output may be NULL; a wanted key that is missing is an error. */
int clients_read_keyfile(const char *path, char *public_z85, char *secret_z85, char *err, size_t errlen);
/* Writes a fresh key pair: PATH.key (0600, public + secret) and PATH.pub. */
int clients_keygen(const char *path, char *err, size_t errlen);

#endif

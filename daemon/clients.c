/* clients.c - see clients.h. INI syntax via libinih. */
#include "clients.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "xalloc.h"

static const char *const s_roles[] = {"", "hospital", "console", "upstream", "admin", "worker", "reviewer", "monitor"};

const char *klaim_role_name(enum klaim_role r)
{
    return (int)r > 0 && (size_t)r < sizeof s_roles / sizeof s_roles[0] ? s_roles[r] : "none";
}

enum klaim_role klaim_role_parse(const char *s)
{
    for (size_t i = 1; i < sizeof s_roles / sizeof s_roles[0]; i++)
        if (strcmp(s, s_roles[i]) == 0) return (enum klaim_role)i;
    return ROLE_NONE;
}

struct parse {
    struct client c;
    int has_name, has_role, has_key;
    char public_z85[41], secret_z85[41];
    char err[256];
};

static int s_z85_key(const char *v, uint8_t out[32])
{
    return strlen(v) == 40 && zmq_z85_decode(out, v) != NULL ? 0 : -1;
}

static int s_on_line(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    if (!name) return 1;
    if (strcmp(name, "name") == 0) {
        size_t n = strlen(value);
        int ok = n > 0 && n < sizeof p->c.name;
        for (size_t i = 0; ok && i < n; i++) ok = (unsigned char)value[i] >= 0x20 && value[i] != 0x7f;
        if (!ok) {
            snprintf(p->err, sizeof p->err, "name = \"%.80s\": expected 1-64 printable characters", value);
            return 0;
        }
        memcpy(p->c.name, value, n + 1);
        p->has_name = 1;
    } else if (strcmp(name, "role") == 0) {
        p->c.role = klaim_role_parse(value);
        if (p->c.role == ROLE_NONE || p->c.role == ROLE_MONITOR) {
            snprintf(p->err, sizeof p->err,
                     "role = \"%.40s\": expected hospital, console, upstream, admin, worker or reviewer%s", value,
                     p->c.role == ROLE_MONITOR ? " (monitor is for HTTP tokens_file lines only)" : "");
            return 0;
        }
        p->has_role = 1;
    } else if (strcmp(name, "public") == 0) {
        if (s_z85_key(value, p->c.key) != 0) {
            snprintf(p->err, sizeof p->err, "public: expected a 40-character Z85 CURVE key (klaimctl keygen makes one)");
            return 0;
        }
        snprintf(p->public_z85, sizeof p->public_z85, "%s", value);
        p->has_key = 1;
    } else if (strcmp(name, "secret") == 0) {
        uint8_t tmp[32];
        if (s_z85_key(value, tmp) != 0) {
            snprintf(p->err, sizeof p->err, "secret: expected a 40-character Z85 CURVE key");
            return 0;
        }
        snprintf(p->secret_z85, sizeof p->secret_z85, "%s", value);
    } else {
        snprintf(p->err, sizeof p->err, "unknown key \"%.40s\" (expected name, role, public)", name);
        return 0;
    }
    return 1;
}

static int s_parse_file(const char *path, struct parse *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, s_on_line, p);
    fclose(f);
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, p->err[0] ? p->err : "not a \"key = value\" line");
        return -1;
    }
    return 0;
}

/* The 1-based line of the first "key =" line of path (0 when not found),
 * so a refusal found after parsing can still name file:line. */
static int s_key_line(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[1024];
    int line = 0, found = 0;
    size_t klen = strlen(key);
    while (!found && fgets(buf, sizeof buf, f)) {
        line++;
        const char *s = buf;
        while (*s == ' ' || *s == '\t') s++;
        if (strncmp(s, key, klen) != 0) continue;
        s += klen;
        while (*s == ' ' || *s == '\t') s++;
        found = *s == '=' || *s == ':';
    }
    fclose(f);
    return found ? line : 0;
}

static int s_by_name(const void *a, const void *b)
{
    return strcmp(((const struct client *)a)->name, ((const struct client *)b)->name);
}

static void s_free_paths(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

struct clients *clients_load(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "clients_dir %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct clients *cs = xcalloc(1, sizeof *cs);
    char **paths = NULL;        /* file name of cs->v[i], for refusals */
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 8 || strcmp(e->d_name + n - 7, ".client") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct parse p;
        if (s_parse_file(path, &p, err, errlen) != 0) goto fail;
        if (!p.has_name || !p.has_role || !p.has_key) {
            snprintf(err, errlen, "%s: needs name, role and public (missing %s)", path,
                     !p.has_name ? "name" : !p.has_role ? "role" : "public");
            goto fail;
        }
        /* A name labels claims, reviews and logs: two clients with one
         * name could not be told apart there, so the list is refused. */
        for (size_t i = 0; i < cs->n; i++) {
            int same_name = strcmp(cs->v[i].name, p.c.name) == 0;
            if (same_name || memcmp(cs->v[i].key, p.c.key, 32) == 0) {
                snprintf(err, errlen, "%s:%d: the %s \"%s\" is already used by %s; give each client its own %s",
                         path, s_key_line(path, same_name ? "name" : "public"), same_name ? "name" : "key of",
                         p.c.name, paths[i], same_name ? "name" : "key (klaimctl keygen)");
                goto fail;
            }
        }
        if (cs->n == cap) {
            cap = cap ? 2 * cap : 16;
            cs->v = xrealloc(cs->v, cap * sizeof *cs->v);
            paths = xrealloc(paths, cap * sizeof *paths);
        }
        paths[cs->n] = xstrdup(e->d_name);
        cs->v[cs->n++] = p.c;
    }
    closedir(d);
    s_free_paths(paths, cs->n);
    if (cs->n) qsort(cs->v, cs->n, sizeof *cs->v, s_by_name);
    return cs;
fail:
    closedir(d);
    s_free_paths(paths, cs->n);
    clients_free(&cs);
    return NULL;
}

void clients_free(struct clients **cp)
{
    struct clients *c = *cp;
    if (!c) return;
    free(c->v);
    free(c);
    *cp = NULL;
}

const struct client *clients_by_key(const struct clients *c, const uint8_t key[32])
{
    for (size_t i = 0; c && i < c->n; i++)
        if (memcmp(c->v[i].key, key, 32) == 0) return &c->v[i];
    return NULL;
}

const struct client *clients_by_name(const struct clients *c, const char *name)
{
    if (!c || !name) return NULL;
    struct client k;
    snprintf(k.name, sizeof k.name, "%s", name);
    return bsearch(&k, c->v, c->n, sizeof *c->v, s_by_name);
}

int clients_read_keyfile(const char *path, char *public_z85, char *secret_z85, char *err, size_t errlen)
{
    struct parse p;
    if (s_parse_file(path, &p, err, errlen) != 0) return -1;
    if ((public_z85 && !p.has_key) || (secret_z85 && !p.secret_z85[0])) {
        snprintf(err, errlen, "%s: no %s key in it (klaimctl keygen writes NAME.key with both)", path,
                 public_z85 && !p.has_key ? "public" : "secret");
        return -1;
    }
    if (public_z85) memcpy(public_z85, p.public_z85, 41);
    if (secret_z85) memcpy(secret_z85, p.secret_z85, 41);
    return 0;
}

static int s_write(const char *path, mode_t mode, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s%s", path, strerror(errno), errno == EEXIST ? " (remove it first)" : "");
        return -1;
    }
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int clients_keygen(const char *path, char *err, size_t errlen)
{
    char pub[41], sec[41], file[4096], text[512];
    if (zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errlen, "zmq_curve_keypair: %s (libzmq built without CURVE?)", zmq_strerror(errno));
        return -1;
    }
    snprintf(file, sizeof file, "%s.key", path);
    snprintf(text, sizeof text, "# CURVE key pair made by klaimctl keygen. Keep it secret.\npublic = %s\nsecret = %s\n",
             pub, sec);
    if (s_write(file, 0600, text, err, errlen) != 0) return -1;
    snprintf(file, sizeof file, "%s.pub", path);
    snprintf(text, sizeof text, "# CURVE public key made by klaimctl keygen.\npublic = %s\n", pub);
    return s_write(file, 0644, text, err, errlen);
}

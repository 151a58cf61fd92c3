/* sync_gate.c - LD_PRELOAD shim for durable.sh: controls fdatasync() and
 * fsync() of SQLite WAL files (names ending in "-wal") in the process it is
 * loaded into, to show that klaimd acknowledges nothing before its WAL sync.
 *   SYNC_GATE=PATH  while PATH exists, such a sync waits (polling 10 ms)
 *   SYNC_FAIL=PATH  while PATH exists, such a sync fails with EIO
 * Other files, and processes without these variables, are untouched.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int s_is_wal(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 4) return 0;
    path[n] = '\0';
    return strcmp(path + n - 4, "-wal") == 0;
}

static int s_exists(const char *var)
{
    const char *p = getenv(var);
    return p && p[0] && access(p, F_OK) == 0;
}

/* 0: go on with the real call; -1: fail it with EIO. */
static int s_control(int fd)
{
    if (!getenv("SYNC_GATE") && !getenv("SYNC_FAIL")) return 0;
    if (!s_is_wal(fd)) return 0;
    while (s_exists("SYNC_GATE")) {
        struct timespec ten = {0, 10 * 1000 * 1000};
        nanosleep(&ten, NULL);
    }
    if (s_exists("SYNC_FAIL")) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (s_control(fd) != 0) return -1;
    return real(fd);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (s_control(fd) != 0) return -1;
    return real(fd);
}

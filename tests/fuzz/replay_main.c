/* replay_main.c - run libFuzzer corpora without libFuzzer.
 *
 * Owns: a plain main() that feeds every regular file in the directories
 * (or the files) named on the command line to LLVMFuzzerTestOneInput(),
 * so gcc builds run each corpus as a ctest test and crashers that were
 * added to a corpus stay fixed. Linked with exactly one fuzz_*.c harness;
 * it depends on nothing else, so any target (CSV, config, ...) can use it.
 * Runs in: ctest (fuzz_replay_<target>). Exits 1 if a path cannot be read
 * or no input was found, so an empty or misplaced corpus is noticed.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole file; returns 0 and a malloc'ed buffer (never NULL, even
 * for an empty file, so the harness sees a valid pointer), or -1. */
static int s_read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Runs one file through the harness. An exact-size copy is passed, so
 * ASan catches a harness reading past the input. */
static int s_run_file(const char *path)
{
    uint8_t *buf;
    size_t len;
    if (s_read_file(path, &buf, &len) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (len) memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int s_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs every regular file of a directory, in name order so a failure is
 * reproducible. Returns the count run, or -1. */
static int s_run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) break;
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, s_cmp);
    int count = 0, rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (s_run_file(names[i]) != 0)
                rc = -1;
            else
                count++;
        }
        free(names[i]);
    }
    free(names);
    return rc ? -1 : count;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 64;
    }
    int total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", argv[i]);
            return 1;
        }
        int n = S_ISDIR(st.st_mode) ? s_run_dir(argv[i]) : (s_run_file(argv[i]) == 0 ? 1 : -1);
        if (n < 0) return 1;
        printf("replay: %s: %d input(s) ok\n", argv[i], n);
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs found; put seed files in the corpus directory\n");
        return 1;
    }
    return 0;
}

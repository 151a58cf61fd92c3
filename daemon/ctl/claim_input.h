/* claim_input.h - the claims in a file given to `klaimctl submit`.
 *
 * Owns: reading a file (or stdin) that holds one JSON object, an array of
 * objects, or a sequence of objects (JSON Lines, or pretty-printed objects
 * one after another), and yielding each claim object with its position.
 * Runs in: klaimctl only; pure apart from reading the file once.
 * The whole input is read into memory at open, so stdin can be walked
 * twice: once to check the syntax (claim_input_check) before anything is
 * sent, once to submit.
 */
#ifndef KLAIM_CLAIM_INPUT_H
#define KLAIM_CLAIM_INPUT_H
#include <stddef.h>

#include <jansson.h>

struct claim_input;

/* Where a claim came from: the 1-based line its '{' starts on (a sequence
 * of objects) or its 0-based index in a top-level array (line is 0 then). */
struct claim_pos {
    long line;
    long index;
};

/* Open path ("-" = stdin) and read it whole. NULL when it cannot be read:
 * errbuf then says which file and why (strerror), and *errnum = errno. */
struct claim_input *claim_input_open(const char *path, char *errbuf, size_t errlen, int *errnum);
/* The same over a copy of buf; name is used in messages (tests use this). */
struct claim_input *claim_input_from_buffer(const char *name, const char *buf, size_t len);
void claim_input_destroy(struct claim_input **in);

/* The next claim object. Returns 1 with *obj (a new reference the caller
 * decrefs) and *pos filled; 0 at the end; -1 when the input is not JSON
 * or an element is not an object: errbuf names the file, line, column and
 * byte offset, and every later call returns -1 again. */
int claim_input_next(struct claim_input *in, json_t **obj, struct claim_pos *pos, char *errbuf, size_t errlen);
/* Start again from the first claim (clears a previous error). */
void claim_input_rewind(struct claim_input *in);
/* Walk the whole input without keeping anything: the number of claims, or
 * -1 with errbuf as for claim_input_next. Rewinds before and after. */
long claim_input_check(struct claim_input *in, char *errbuf, size_t errlen);

/* The input's name for messages: the path, or "stdin" for "-". */
const char *claim_input_name(const struct claim_input *in);
/* "FILE:LINE" or "FILE[INDEX]" into buf; returns buf. */
const char *claim_input_where(const struct claim_input *in, const struct claim_pos *pos, char *buf, size_t len);

#endif

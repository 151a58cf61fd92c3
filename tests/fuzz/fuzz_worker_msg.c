/* fuzz_worker_msg.c - libFuzzer harness: frames on the worker socket.
 *
 * Owns: codec_worker_decode() on arbitrary bytes, decision_from_pb() on a
 * RESULT's decision (what klaimd stores) and validate_claim() on a JOB's
 * claim (what a worker decides on). A decision that passes the checks must
 * survive decision_pack -> decision_from_pb unchanged; any decision, valid
 * or not, must render as JSON without crashing.
 * Runs in: fuzz_worker_msg (clang) and replay_worker_msg (ctest, over
 * tests/fuzz/corpus/worker_msg).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claim_json.h"
#include "codec.h"
#include "log.h"

static void s_decision(const Klaim__Decision *pb)
{
    struct klaim_decision d, back;
    struct klaim_err err;
    memset(&err, 0, sizeof err);
    json_t *j = decision_pb_to_json(pb);
    char *text = json_dumps(j, JSON_COMPACT);
    free(text);
    json_decref(j);
    if (decision_from_pb(pb, &d, &err) != 0) {
        ASSERT(err.code == KLAIM__ERROR_CODE__BAD_REQUEST && err.field[0]);
        return;
    }
    size_t len;
    uint8_t *buf = decision_pack(&d, 42, "K", PROGRAM_JKK, 1, 2, &len);
    Klaim__Decision *again = klaim__decision__unpack(NULL, len, buf);
    ASSERT(again != NULL);
    ASSERT(decision_from_pb(again, &back, &err) == 0);
    ASSERT(memcmp(&back, &d, sizeof d) == 0);
    klaim__decision__free_unpacked(again, NULL);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct klaim_err err;
    memset(&err, 0, sizeof err);
    Klaim__WorkerMsg *m = codec_worker_decode(data, size, 1 << 20, &err);
    if (!m) {
        ASSERT(err.code == KLAIM__ERROR_CODE__BAD_REQUEST || err.code == KLAIM__ERROR_CODE__TOO_LARGE);
        return 0;
    }
    if (m->body_case == KLAIM__WORKER_MSG__BODY_RESULT && m->result->decision) s_decision(m->result->decision);
    if (m->body_case == KLAIM__WORKER_MSG__BODY_JOB && m->job->claim) {
        struct klaim_claim c, back;
        if (validate_claim(m->job->claim, INT32_MAX, &c, &err) == 0) {
            size_t len;
            uint8_t *bytes = claim_canonical_pack(&c, &len);
            ASSERT(claim_canonical_unpack(bytes, len, &back, &err) == 0);
            ASSERT(memcmp(&back, &c, sizeof c) == 0);
            free(bytes);
        }
    }
    codec_worker_free(m);
    return 0;
}

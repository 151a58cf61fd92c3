/* fuzz_request.c - libFuzzer harness: client frames as klaimd reads them.
 *
 * Owns: the intake decode path, codec_request_decode() + validate_claim(),
 * and the canonical-claim invariants: a claim that validates packs to
 * canonical bytes that unpack to the same struct and re-pack to the same
 * bytes, and its JSON spelling reads back to the same struct.
 * Runs in: fuzz_request (clang, -fsanitize=fuzzer) and replay_request
 * (ctest, over tests/fuzz/corpus/request).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claim_json.h"
#include "codec.h"
#include "log.h"

/* The canonical-claim invariants; aborts (ASSERT) if one breaks. */
static void s_check_claim(const struct klaim_claim *c)
{
    struct klaim_claim back;
    struct klaim_err err;
    size_t len, len2;
    uint8_t *bytes = claim_canonical_pack(c, &len);
    ASSERT(claim_canonical_unpack(bytes, len, &back, &err) == 0);
    ASSERT(memcmp(&back, c, sizeof back) == 0);
    uint8_t *again = claim_canonical_pack(&back, &len2);
    ASSERT(len == len2 && memcmp(bytes, again, len) == 0);
    free(bytes);
    free(again);

    json_t *j = claim_to_json(c);
    ASSERT(claim_from_json(j, INT32_MAX, &back, &err) == 0);
    ASSERT(memcmp(&back, c, sizeof back) == 0);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct klaim_err err;
    memset(&err, 0, sizeof err);
    Klaim__Request *r = codec_request_decode(data, size, 1 << 20, &err);
    if (!r) {
        ASSERT(err.code == KLAIM__ERROR_CODE__BAD_REQUEST || err.code == KLAIM__ERROR_CODE__TOO_LARGE);
        return 0;
    }
    if (r->body_case == KLAIM__REQUEST__BODY_SUBMIT) {
        struct klaim_claim c;
        if (validate_claim(r->submit, kdate_from_ymd(2030, 1, 1), &c, &err) == 0)
            s_check_claim(&c);
        else
            ASSERT(err.code == KLAIM__ERROR_CODE__INVALID_CLAIM && err.field[0] && err.message[0]);
    }
    codec_request_free(r);
    return 0;
}

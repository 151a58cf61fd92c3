/* fuzz_claim_json.c - libFuzzer harness: claims in JSON as klaimctl and
 * the HTTP gateway read them.
 *
 * Owns: json_loadb + claim_from_json on arbitrary bytes (one object, or an
 * array of them as `klaimctl submit` accepts), and the invariant that a
 * claim that validates survives claim_to_json -> claim_from_json and the
 * canonical pack -> unpack unchanged.
 * Runs in: fuzz_claim_json (clang) and replay_claim_json (ctest, over
 * tests/fuzz/corpus/claim_json).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claim_json.h"
#include "log.h"

static void s_one(const json_t *obj)
{
    struct klaim_claim c, back;
    struct klaim_err err;
    memset(&err, 0, sizeof err);
    if (claim_from_json(obj, kdate_from_ymd(2030, 1, 1), &c, &err) != 0) {
        ASSERT(err.code == KLAIM__ERROR_CODE__INVALID_CLAIM && err.message[0]);
        return;
    }
    json_t *j = claim_to_json(&c);
    ASSERT(claim_from_json(j, INT32_MAX, &back, &err) == 0);
    ASSERT(memcmp(&back, &c, sizeof c) == 0);
    json_decref(j);
    size_t len;
    uint8_t *bytes = claim_canonical_pack(&c, &len);
    ASSERT(claim_canonical_unpack(bytes, len, &back, &err) == 0);
    ASSERT(memcmp(&back, &c, sizeof c) == 0);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &e);
    if (!j) return 0;
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j) && i < 64; i++) s_one(json_array_get(j, i));
    } else {
        s_one(j);
    }
    json_decref(j);
    return 0;
}

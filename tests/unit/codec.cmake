# tests/unit/codec.cmake - unit tests of the codec library (proto/).
# test_codec: frames, budget, canonical claim, decisions, every validation
# rule. test_claim_json: the JSON contract, against shared/domain/cases.jsonl.
add_executable(test_codec tests/unit/test_codec.c)
target_link_libraries(test_codec PRIVATE klaim_codec PkgConfig::CMOCKA)
add_test(NAME test_codec COMMAND test_codec)

add_executable(test_claim_json tests/unit/test_claim_json.c)
target_compile_definitions(test_claim_json PRIVATE KLAIM_SHARED_DIR="${KLAIM_SHARED_DIR}")
target_link_libraries(test_claim_json PRIVATE klaim_codec PkgConfig::CMOCKA)
add_test(NAME test_claim_json COMMAND test_claim_json)

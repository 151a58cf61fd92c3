# tests/unit/rules.cmake - unit tests of the rules engine (klaim_rules).
# test_rules: formulas, reason codes and boundaries, money, property test.
# test_cases: the 30 acceptance cases of shared/domain/cases.jsonl against
# registry-demo.csv; needs the JSON codec (klaim_codec) and the registry CSV
# parser (klaim_registry), so it is only registered when both exist.
add_executable(test_rules tests/unit/test_rules.c)
target_link_libraries(test_rules PRIVATE klaim_rules PkgConfig::CMOCKA)
add_test(NAME test_rules COMMAND test_rules)

if(TARGET klaim_codec AND TARGET klaim_registry)
  add_executable(test_cases tests/unit/test_cases.c)
  target_link_libraries(test_cases PRIVATE klaim_rules klaim_codec klaim_registry PkgConfig::JANSSON PkgConfig::CMOCKA)
  target_compile_definitions(test_cases PRIVATE KLAIM_SHARED_DIR="${KLAIM_SHARED_DIR}")
  add_test(NAME test_cases COMMAND test_cases)
endif()

# test_money: payees, the checks that protect the payee, follow-up netting.
add_executable(test_money tests/unit/test_money.c)
target_link_libraries(test_money PRIVATE klaim_rules PkgConfig::CMOCKA)
add_test(NAME test_money COMMAND test_money)

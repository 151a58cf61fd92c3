# tests/unit/registry.cmake - unit tests of the participant registry (klaim_registry).
# test_registry_csv: header and row parser, every column's message.
# test_registry: the builder on shared/domain/registry-demo.csv, re-imports,
# refusals, and lookups in the published generations.
add_executable(test_registry_csv tests/unit/test_registry_csv.c)
target_link_libraries(test_registry_csv PRIVATE klaim_registry PkgConfig::CMOCKA)
add_test(NAME test_registry_csv COMMAND test_registry_csv)

add_executable(test_registry tests/unit/test_registry.c)
target_link_libraries(test_registry PRIVATE klaim_registry PkgConfig::JANSSON PkgConfig::CMOCKA)
target_compile_definitions(test_registry PRIVATE KLAIM_SHARED_DIR="${KLAIM_SHARED_DIR}")
add_test(NAME test_registry COMMAND test_registry)

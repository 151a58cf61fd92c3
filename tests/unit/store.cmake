# store.c against a real SQLite file (the daemon's only SQL).
add_executable(test_store tests/unit/test_store.c daemon/store.c daemon/kpjmap.c)
target_include_directories(test_store PRIVATE ${CMAKE_SOURCE_DIR}/daemon)
target_link_libraries(test_store PRIVATE klaim_codec klaim_common PkgConfig::SQLITE PkgConfig::CMOCKA)
add_test(NAME test_store COMMAND test_store)

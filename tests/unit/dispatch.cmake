# Unit test of the pure parts of the dispatch side (issue 5): the SLA heap
# and the HTTP tokens file.
add_executable(test_dispatch tests/unit/test_dispatch.c daemon/http_tokens.c)
target_include_directories(test_dispatch PRIVATE ${CMAKE_SOURCE_DIR}/daemon)
target_link_libraries(test_dispatch PRIVATE klaim_clients klaim_common PkgConfig::CMOCKA)
add_test(NAME test_dispatch COMMAND test_dispatch)

# tests/fuzz/http.cmake - fuzz harness of the HTTP request framing
# (daemon/http_parse.c, what klaimd's gateway runs on every byte a client
# sends before evhttp sees it).
#
# Mirrors tests/fuzz/fuzz.cmake: replay_http (harness + replay_main.c) is
# always built and ctest runs it over tests/fuzz/corpus/http/; with
# -DKLAIM_FUZZ=ON (clang) fuzz_http is the libFuzzer binary:
#   ./fuzz_http tests/fuzz/corpus/http
add_library(klaim_http_parse STATIC daemon/http_parse.c)
target_include_directories(klaim_http_parse PUBLIC ${CMAKE_SOURCE_DIR}/daemon)
target_link_libraries(klaim_http_parse PUBLIC klaim_common)

add_executable(replay_http tests/fuzz/replay_main.c tests/fuzz/fuzz_http.c)
target_link_libraries(replay_http PRIVATE klaim_http_parse)
add_test(NAME fuzz_replay_http COMMAND replay_http ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/http)

if(KLAIM_FUZZ)
  # The framer and its common dependencies, coverage-instrumented; the
  # normal libraries stay uninstrumented (see fuzz.cmake).
  add_library(klaim_http_parse_fuzz STATIC
    daemon/http_parse.c daemon/common/log.c daemon/common/xalloc.c)
  target_include_directories(klaim_http_parse_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/daemon ${CMAKE_SOURCE_DIR}/daemon/common)
  target_compile_options(klaim_http_parse_fuzz PRIVATE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_executable(fuzz_http tests/fuzz/fuzz_http.c)
  target_compile_options(fuzz_http PRIVATE -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
  target_link_options(fuzz_http PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_http PRIVATE klaim_http_parse_fuzz)
endif()

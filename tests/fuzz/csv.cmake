# tests/fuzz/csv.cmake - fuzz harness of the registry CSV parser (workers/registry_csv.c).
#
# Mirrors tests/fuzz/fuzz.cmake: replay_registry_csv (harness + replay_main.c)
# is always built and ctest runs it over tests/fuzz/corpus/registry_csv/;
# with -DKLAIM_FUZZ=ON (clang) fuzz_registry_csv is the libFuzzer binary:
#   ./fuzz_registry_csv tests/fuzz/corpus/registry_csv
# Crashers go into the corpus, so the replay keeps them fixed.
add_executable(replay_registry_csv tests/fuzz/replay_main.c tests/fuzz/fuzz_registry_csv.c)
target_link_libraries(replay_registry_csv PRIVATE klaim_registry)
add_test(NAME fuzz_replay_registry_csv
         COMMAND replay_registry_csv ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/registry_csv)

if(KLAIM_FUZZ)
  # The parser and its few common dependencies, coverage-instrumented; the
  # normal libraries stay uninstrumented (see fuzz.cmake).
  add_library(klaim_registry_csv_fuzz STATIC
    workers/registry_csv.c
    daemon/common/log.c daemon/common/xalloc.c daemon/common/dates.c daemon/common/fmt.c daemon/common/types.c)
  target_include_directories(klaim_registry_csv_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/workers ${CMAKE_SOURCE_DIR}/daemon/common)
  target_compile_options(klaim_registry_csv_fuzz PRIVATE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_executable(fuzz_registry_csv tests/fuzz/fuzz_registry_csv.c)
  target_compile_options(fuzz_registry_csv PRIVATE -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
  target_link_options(fuzz_registry_csv PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_registry_csv PRIVATE klaim_registry_csv_fuzz)
endif()

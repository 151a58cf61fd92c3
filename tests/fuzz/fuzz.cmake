# tests/fuzz/fuzz.cmake - fuzz harnesses of the codec (proto/).
#
# Every harness is always built as replay_<target> (harness + the plain
# main() of replay_main.c) and run by ctest over its corpus, so gcc builds
# keep the corpus, and every crasher added to it, passing. With
# -DKLAIM_FUZZ=ON (clang) each is also built as the libFuzzer binary
# fuzz_<target>:  ./fuzz_request tests/fuzz/corpus/request
# The libFuzzer builds link klaim_codec_fuzz: the same sources compiled with
# coverage instrumentation (the normal libraries stay uninstrumented so the
# other binaries of a KLAIM_FUZZ build still link without libFuzzer).
set(KLAIM_CODEC_FUZZ_TARGETS request claim_json worker_msg)

if(KLAIM_FUZZ)
  set(KLAIM_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_library(klaim_codec_fuzz STATIC
    proto/codec.c proto/validate.c proto/claim_json.c
    daemon/common/log.c daemon/common/xalloc.c daemon/common/dates.c daemon/common/fmt.c daemon/common/types.c)
  target_include_directories(klaim_codec_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/proto ${CMAKE_SOURCE_DIR}/daemon/common)
  target_compile_options(klaim_codec_fuzz PRIVATE ${KLAIM_FUZZ_FLAGS})
  target_link_libraries(klaim_codec_fuzz PUBLIC klaim_pb PkgConfig::JANSSON PkgConfig::SODIUM m)
endif()

foreach(t IN LISTS KLAIM_CODEC_FUZZ_TARGETS)
  add_executable(replay_${t} tests/fuzz/replay_main.c tests/fuzz/fuzz_${t}.c)
  target_link_libraries(replay_${t} PRIVATE klaim_codec)
  add_test(NAME fuzz_replay_${t} COMMAND replay_${t} ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${t})
  if(KLAIM_FUZZ)
    add_executable(fuzz_${t} tests/fuzz/fuzz_${t}.c)
    target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${t} PRIVATE klaim_codec_fuzz)
  endif()
endforeach()

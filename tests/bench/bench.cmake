# tests/bench/bench.cmake - klaim-bench, the load generator of issue 7, and
# its smoke test. Included from tests/tests.cmake (paths relative to the top
# level). klaim-bench talks to klaimd over ZeroMQ only; the default klaimd
# and klaimctl it spawns are this build's (overridable by flag or env).
if(TARGET klaim_codec AND TARGET klaimd AND TARGET klaimctl)
  add_executable(klaim-bench tests/bench/klaim_bench.c tests/bench/bench_curve.c)
  target_include_directories(klaim-bench PRIVATE ${CMAKE_SOURCE_DIR}/tests/bench)
  target_link_libraries(klaim-bench PRIVATE klaim_codec klaim_clients klaim_common PkgConfig::ZMQ PkgConfig::JANSSON)
  target_compile_definitions(klaim-bench PRIVATE
    KLAIM_BENCH_DEFAULT_KLAIMD="$<TARGET_FILE:klaimd>"
    KLAIM_BENCH_DEFAULT_KLAIMCTL="$<TARGET_FILE:klaimctl>"
    KLAIM_BENCH_DEFAULT_KLAIM_WORKER="$<TARGET_FILE:klaim-worker>")
  # Smoke: a short spawned run that must print every key and decide every
  # claim. No timed assertions: the figures are printed, never judged.
  add_test(NAME bench_smoke COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/smoke.sh)
  set_tests_properties(bench_smoke PROPERTIES
    ENVIRONMENT "KLAIMD=$<TARGET_FILE:klaimd>;KLAIMCTL=$<TARGET_FILE:klaimctl>;KLAIM_BENCH=$<TARGET_FILE:klaim-bench>;KLAIM_WORKER=$<TARGET_FILE:klaim-worker>"
    TIMEOUT 300 LABELS "bench;smoke")
endif()

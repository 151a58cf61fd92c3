# Integration tests: the real klaimd, klaim-worker and klaimctl binaries on a
# temp data dir, real ZeroMQ sockets and a real SQLite file. Each test is a
# bash script sourcing tests/integration/lib.sh.
find_program(SQLITE3_SHELL sqlite3 REQUIRED)
find_program(PYTHON3 python3 REQUIRED)
set(KLAIM_IT_DIR ${CMAKE_SOURCE_DIR}/tests/integration)
set(KLAIM_IT_ENV
  KLAIMD=$<TARGET_FILE:klaimd>
  KLAIMCTL=$<TARGET_FILE:klaimctl>
  KLAIM_WORKER=$<TARGET_FILE:klaim-worker>
  RAWSEND=$<TARGET_FILE:rawsend>
  SYNC_GATE_SO=$<TARGET_FILE:sync_gate>
  UNIT_JAIL=$<TARGET_FILE:unit_jail>
  KLAIM_SHARED_DIR=${KLAIM_SHARED_DIR}
  KLAIM_BUILD_DIR=${CMAKE_BINARY_DIR})
function(klaim_integration_test name)
  add_test(NAME it_${name} COMMAND bash ${KLAIM_IT_DIR}/${name}.sh)
  set_tests_properties(it_${name} PROPERTIES ENVIRONMENT "${KLAIM_IT_ENV}" TIMEOUT 300 LABELS integration)
endfunction()
foreach(t IN ITEMS spine cases cases_money registry review four_eyes four_eyes_awaiting followup auth identity systemd diskfull flood sandbox upstream bad_input feed http sla console remote durable payment_clock payments longrun http_strict manpages http_safe backup ctl_ux metrics openapi unit_sandbox)
  if(EXISTS ${KLAIM_IT_DIR}/${t}.sh)
    klaim_integration_test(${t})
  endif()
endforeach()
# daemon/openapi.json linted with Redocly CLI (npm, pinned in the script,
# installed into the build tree once).
add_test(NAME openapi_lint COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/openapi-check.sh ${CMAKE_BINARY_DIR})
set_tests_properties(openapi_lint PROPERTIES TIMEOUT 300 LABELS integration)

# it_crash's TIMEOUT follows KLAIM_CRASH_ITERATIONS as ctest sees it, so
# `KLAIM_CRASH_ITERATIONS=200 ctest -R it_crash` gets the time it needs: the
# test is declared in a file ctest itself reads (TEST_INCLUDE_FILES), where
# $ENV{} is the environment of the ctest run, not of the configure step.
# Parts 1-3 take about 60 s (120 s under ASan); each iteration of part 4 (a
# stream, a kill -9, a restart, every claim decided) about 2.5 s (5 s under
# ASan). Budget: 120 s + 8 s per iteration, at least the usual 300 s; 200
# iterations get 1,720 s.
if(EXISTS ${KLAIM_IT_DIR}/crash.sh)
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/it_crash_test.cmake CONTENT "\
add_test(it_crash bash ${KLAIM_IT_DIR}/crash.sh)
set(klaim_crash_timeout 300)
if(\"\$ENV{KLAIM_CRASH_ITERATIONS}\" MATCHES \"^[0-9]+$\")
  math(EXPR klaim_crash_timeout \"120 + 8 * \$ENV{KLAIM_CRASH_ITERATIONS}\")
  if(klaim_crash_timeout LESS 300)
    set(klaim_crash_timeout 300)
  endif()
endif()
set_tests_properties(it_crash PROPERTIES ENVIRONMENT \"${KLAIM_IT_ENV}\"
  TIMEOUT \${klaim_crash_timeout} LABELS integration)
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${CMAKE_BINARY_DIR}/it_crash_test.cmake)
endif()

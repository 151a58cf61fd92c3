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
  KLAIM_SHARED_DIR=${KLAIM_SHARED_DIR})
function(klaim_integration_test name)
  add_test(NAME it_${name} COMMAND bash ${KLAIM_IT_DIR}/${name}.sh)
  set_tests_properties(it_${name} PROPERTIES ENVIRONMENT "${KLAIM_IT_ENV}" TIMEOUT 300 LABELS integration)
endfunction()
foreach(t IN ITEMS spine cases cases_money registry review four_eyes four_eyes_awaiting followup auth systemd diskfull flood sandbox upstream bad_input crash feed http sla console remote durable payment_clock payments)
  if(EXISTS ${KLAIM_IT_DIR}/${t}.sh)
    klaim_integration_test(${t})
  endif()
endforeach()

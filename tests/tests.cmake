# Tests: one fragment per component, each adds its own ctest entries.
# KLAIM_SHARED_DIR is the team's reference material (../shared beside the
# checkout): the acceptance cases and the demo registry are read from there
# so they stay one source of truth. Tests that need it fail loudly if absent.
set(KLAIM_SHARED_DIR "${CMAKE_SOURCE_DIR}/../shared" CACHE PATH "the shared/ reference folder")
include(tests/unit/codec.cmake OPTIONAL)
include(tests/unit/rules.cmake OPTIONAL)
include(tests/unit/registry.cmake OPTIONAL)
include(tests/unit/store.cmake OPTIONAL)
include(tests/unit/dispatch.cmake OPTIONAL)
include(tests/unit/workdays.cmake OPTIONAL)
include(tests/fuzz/fuzz.cmake OPTIONAL)
include(tests/fuzz/csv.cmake OPTIONAL)
include(tests/fuzz/http.cmake OPTIONAL)
include(tests/integration/tools.cmake OPTIONAL)
include(tests/integration/integration.cmake OPTIONAL)
include(tests/bench/bench.cmake OPTIONAL)

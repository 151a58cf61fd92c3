# tests/integration/tools.cmake - helper programs of the integration tests.
# rawsend: sends one raw (often malformed) request to klaimd's intake and
# prints the Reply as JSON; used by bad_input.sh (via RAWSEND=...).
if(TARGET klaim_codec)
  add_executable(rawsend tests/integration/rawsend.c)
  target_link_libraries(rawsend PRIVATE klaim_codec klaim_common
    PkgConfig::ZMQ PkgConfig::JANSSON PkgConfig::SODIUM)
endif()
# sync_gate: an LD_PRELOAD shim that holds or fails fdatasync of WAL files;
# used by durable.sh (via SYNC_GATE_SO=...). Never sanitized: it is
# preloaded ahead of the sanitizer runtime.
add_library(sync_gate MODULE tests/integration/sync_gate.c)
target_compile_options(sync_gate PRIVATE -fno-sanitize=all)
target_link_options(sync_gate PRIVATE -fno-sanitize=all)
target_link_libraries(sync_gate PRIVATE ${CMAKE_DL_LIBS})
# unit_jail: runs klaimd under systemd/klaimd.service's uid switch,
# capability bounding set, no_new_privs and SystemCallFilter= without
# systemd; used by unit_sandbox.sh (via UNIT_JAIL=...).
add_executable(unit_jail tests/integration/unit_jail.c)
target_link_libraries(unit_jail PRIVATE PkgConfig::SECCOMP)

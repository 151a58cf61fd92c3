# tests/integration/tools.cmake - helper programs of the integration tests.
# rawsend: sends one raw (often malformed) request to klaimd's intake and
# prints the Reply as JSON; used by bad_input.sh (via RAWSEND=...).
if(TARGET klaim_codec)
  add_executable(rawsend tests/integration/rawsend.c)
  target_link_libraries(rawsend PRIVATE klaim_codec klaim_common
    PkgConfig::ZMQ PkgConfig::JANSSON PkgConfig::SODIUM)
endif()

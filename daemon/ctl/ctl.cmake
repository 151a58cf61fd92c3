# daemon/ctl/ctl.cmake - klaimctl, the command-line client and admin tool,
# and the unit test of its claim-file reader. Included from the top-level
# CMakeLists.txt (paths are relative to it). klaimctl talks to klaimd over
# ZeroMQ only: it links no SQLite.
if(TARGET klaim_codec)
  add_executable(klaimctl
    daemon/ctl/ctl_main.c
    daemon/ctl/ctl_conn.c
    daemon/ctl/ctl_submit.c
    daemon/ctl/ctl_status.c
    daemon/ctl/ctl_registry.c
    daemon/ctl/ctl_review.c
    daemon/ctl/ctl_watch.c
    daemon/ctl/ctl_generate.c
    daemon/ctl/ctl_upstream.c
    daemon/ctl/ctl_payments.c
    daemon/ctl/ctl_backup.c
    daemon/ctl/pay_render.c
    daemon/ctl/claim_input.c)
  target_include_directories(klaimctl PRIVATE ${CMAKE_SOURCE_DIR}/daemon/ctl)
  target_link_libraries(klaimctl PRIVATE klaim_codec klaim_clients klaim_common
    PkgConfig::ZMQ PkgConfig::JANSSON PkgConfig::INIH)
  install(TARGETS klaimctl DESTINATION bin)
else()
  message(WARNING "klaim_codec is not defined (proto/proto.cmake missing?): klaimctl is not built")
endif()

# claim_input.c is pure (jansson + xalloc), so its test needs no codec.
add_executable(test_claim_input
  tests/unit/test_claim_input.c
  daemon/ctl/claim_input.c)
target_include_directories(test_claim_input PRIVATE ${CMAKE_SOURCE_DIR}/daemon/ctl)
target_link_libraries(test_claim_input PRIVATE klaim_common PkgConfig::JANSSON PkgConfig::CMOCKA)
add_test(NAME test_claim_input COMMAND test_claim_input)

# pay_render.c is pure (the payment batch's CSV and pain.001 XML); its test
# validates every XML against the vendored ISO 20022 schema with xmllint.
if(TARGET klaim_codec)
  add_executable(test_pay_render
    tests/unit/test_pay_render.c
    daemon/ctl/pay_render.c)
  target_include_directories(test_pay_render PRIVATE ${CMAKE_SOURCE_DIR}/daemon/ctl)
  target_compile_definitions(test_pay_render PRIVATE KLAIM_XSD_DIR="${CMAKE_SOURCE_DIR}/tests/xsd")
  target_link_libraries(test_pay_render PRIVATE klaim_codec klaim_common PkgConfig::CMOCKA)
  add_test(NAME test_pay_render COMMAND test_pay_render)
endif()

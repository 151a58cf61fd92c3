# klaim_clients: the CURVE allow-list and key files, shared by klaimd and klaimctl.
add_library(klaim_clients STATIC daemon/clients.c)
target_include_directories(klaim_clients PUBLIC ${CMAKE_SOURCE_DIR}/daemon)
target_link_libraries(klaim_clients PUBLIC klaim_common PkgConfig::ZMQ PkgConfig::INIH)

# klaimd: the daemon.
add_executable(klaimd
  daemon/main.c
  daemon/ckpt.c
  daemon/walsync.c
  daemon/config.c
  daemon/zmq_ev.c
  daemon/store.c
  daemon/kpjmap.c
  daemon/batch.c
  daemon/intake.c
  daemon/backup.c
  daemon/broker.c
  daemon/remote_peer.c
  daemon/supervisor.c
  daemon/registry_gen.c
  daemon/review.c
  daemon/zap.c
  daemon/upstream.c
  daemon/store_dispatch.c
  daemon/store_payments.c
  daemon/payments.c
  daemon/feed.c
  daemon/cases.c
  daemon/sla.c
  daemon/payclock.c
  daemon/http.c
  daemon/http_parse.c
  daemon/http_tokens.c
  daemon/metrics.c
  ${CMAKE_BINARY_DIR}/gen/console_assets.c)
target_include_directories(klaimd PRIVATE ${CMAKE_SOURCE_DIR}/daemon)
target_link_libraries(klaimd PRIVATE klaim_clients)
target_link_libraries(klaimd PRIVATE klaim_codec klaim_rules klaim_common
  PkgConfig::EVENT PkgConfig::ZMQ PkgConfig::SQLITE PkgConfig::JANSSON PkgConfig::INIH PkgConfig::SYSTEMD)
target_link_libraries(klaimd PRIVATE PkgConfig::SODIUM)
install(TARGETS klaimd DESTINATION sbin)

# The web console (issue 5) and the OpenAPI document of the HTTP surface
# (GET /openapi.json), embedded at build time: no node, no CDN.
set(KLAIM_CONSOLE_FILES daemon/console/index.html daemon/console/app.js daemon/console/style.css
    daemon/openapi.json)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/gen/console_assets.c
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/gen
  COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR}/daemon/console -DOUT=${CMAKE_BINARY_DIR}/gen/console_assets.c
          -P ${CMAKE_SOURCE_DIR}/daemon/console/embed.cmake
  DEPENDS ${KLAIM_CONSOLE_FILES} daemon/console/embed.cmake
  COMMENT "Embedding the web console"
  VERBATIM)

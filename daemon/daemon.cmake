# klaim_clients: the CURVE allow-list and key files, shared by klaimd and klaimctl.
add_library(klaim_clients STATIC daemon/clients.c)
target_include_directories(klaim_clients PUBLIC ${CMAKE_SOURCE_DIR}/daemon)
target_link_libraries(klaim_clients PUBLIC klaim_common PkgConfig::ZMQ PkgConfig::INIH)

# klaimd: the daemon.
add_executable(klaimd
  daemon/main.c
  daemon/config.c
  daemon/zmq_ev.c
  daemon/store.c
  daemon/batch.c
  daemon/intake.c
  daemon/broker.c
  daemon/supervisor.c
  daemon/registry_gen.c
  daemon/review.c
  daemon/zap.c)
target_include_directories(klaimd PRIVATE ${CMAKE_SOURCE_DIR}/daemon)
target_link_libraries(klaimd PRIVATE klaim_clients)
target_link_libraries(klaimd PRIVATE klaim_codec klaim_rules klaim_common
  PkgConfig::EVENT PkgConfig::ZMQ PkgConfig::SQLITE PkgConfig::JANSSON PkgConfig::INIH PkgConfig::SYSTEMD)
install(TARGETS klaimd DESTINATION sbin)

# workers/worker.cmake - the participant registry library and the klaim-worker
# program (decider + registry builder).
add_library(klaim_registry STATIC
  workers/registry_csv.c
  workers/registry.c
  workers/build_registry.c)
target_include_directories(klaim_registry PUBLIC ${CMAKE_SOURCE_DIR}/workers)
target_link_libraries(klaim_registry PUBLIC klaim_common PkgConfig::SQLITE PkgConfig::JANSSON)

# klaim_rules (workers/rules.cmake) and klaim_codec (proto/proto.cmake) are
# included before this fragment; without them the tree still configures.
if(TARGET klaim_rules AND TARGET klaim_codec)
  add_executable(klaim-worker
    workers/worker_main.c
    workers/worker_loop.c
    workers/worker_conn.c
    workers/sandbox.c)
  # klaim_clients (daemon/daemon.cmake): the key files of a remote worker.
  target_link_libraries(klaim-worker PRIVATE klaim_registry klaim_rules klaim_codec klaim_clients
    PkgConfig::ZMQ PkgConfig::SECCOMP PkgConfig::JANSSON)
  install(TARGETS klaim-worker DESTINATION sbin)
else()
  message(STATUS "klaim-worker: klaim_rules or klaim_codec missing; only klaim_registry is built")
endif()

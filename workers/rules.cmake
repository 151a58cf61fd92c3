# rules.cmake - klaim_rules: the pure rules engine (decide_claim), the rule
# tables by regulation, and checked money arithmetic. Pure C: no protobuf,
# jansson, sqlite or zmq. Included from the top-level CMakeLists.txt.
add_library(klaim_rules STATIC
  workers/rules/ruleset.c
  workers/rules/pp44_2015.c
  workers/rules/pp82_2019.c
  workers/eligibility.c
  workers/benefits.c
  workers/decide.c
  workers/followup.c
  workers/payees.c)
target_include_directories(klaim_rules PUBLIC ${CMAKE_SOURCE_DIR}/workers ${CMAKE_SOURCE_DIR}/workers/rules)
target_link_libraries(klaim_rules PUBLIC klaim_common)

# Unit test of the JKM payment clock's working-day arithmetic
# (daemon/common/workdays.c, part of klaim_common).
add_executable(test_workdays tests/unit/test_workdays.c)
target_link_libraries(test_workdays PRIVATE klaim_common PkgConfig::CMOCKA)
add_test(NAME test_workdays COMMAND test_workdays)

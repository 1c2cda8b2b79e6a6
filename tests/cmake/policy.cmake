# Tests of policy: see tests/cmake/appshare_test.cmake for the helpers.
appshare_add_test(NAME test_addr_policy
	SOURCES ${APPSHARE_TEST_ROOT}/unit/test_addr_policy.c LIBS as_policy)
appshare_add_test(NAME test_cidr
	SOURCES ${APPSHARE_TEST_ROOT}/unit/test_cidr.c LIBS as_policy)
appshare_add_fuzzer(NAME fuzz_policy
	SOURCES ${APPSHARE_TEST_ROOT}/fuzz/fuzz_policy.c LIBS as_policy)

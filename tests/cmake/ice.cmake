# Tests of ice: see tests/cmake/appshare_test.cmake for the helpers.
appshare_add_test(NAME test_ice SOURCES unit/test_ice.c LIBS as_ice)
appshare_add_fuzzer(NAME fuzz_ice SOURCES fuzz/fuzz_ice.c LIBS as_ice)

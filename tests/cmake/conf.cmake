# Tests of conf: see tests/cmake/appshare_test.cmake for the helpers.
appshare_add_test(NAME test_conf SOURCES unit/test_conf.c LIBS as_conf)
appshare_add_test(NAME test_ports SOURCES unit/test_ports.c LIBS as_conf)
appshare_add_fuzzer(NAME fuzz_conf SOURCES fuzz/fuzz_conf.c LIBS as_conf)

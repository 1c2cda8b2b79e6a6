# Tests of ctl: see tests/cmake/appshare_test.cmake for the helpers.
appshare_add_test(NAME test_bencode SOURCES unit/test_bencode.c LIBS as_ctl)
appshare_add_test(NAME test_ctl_json SOURCES unit/test_ctl_json.c LIBS as_ctl)
appshare_add_fuzzer(NAME fuzz_bencode SOURCES fuzz/fuzz_bencode.c LIBS as_ctl)
appshare_add_fuzzer(NAME fuzz_ctl SOURCES fuzz/fuzz_ctl.c LIBS as_ctl)

# Tests of sdp: see tests/cmake/appshare_test.cmake for the helpers.
appshare_add_test(NAME test_sdp_parse SOURCES unit/test_sdp_parse.c LIBS as_sdp)
appshare_add_test(NAME test_sdp_cand SOURCES unit/test_sdp_cand.c LIBS as_sdp)
appshare_add_test(NAME test_sdp_rewrite SOURCES unit/test_sdp_rewrite.c LIBS as_sdp)
appshare_add_fuzzer(NAME fuzz_sdp SOURCES fuzz/fuzz_sdp.c LIBS as_sdp)

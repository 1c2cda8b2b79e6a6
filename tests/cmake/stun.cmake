# Tests of stun: see tests/cmake/appshare_test.cmake for the helpers.
set(_stun_unit ${APPSHARE_TEST_ROOT}/unit)
set(_stun_fuzz ${APPSHARE_TEST_ROOT}/fuzz)

appshare_add_test(NAME test_stun_codec SOURCES ${_stun_unit}/test_stun_codec.c LIBS as_stun)
appshare_add_test(NAME test_stun_rfc5769 SOURCES ${_stun_unit}/test_stun_rfc5769.c
	LIBS as_stun)
appshare_add_test(NAME test_frame SOURCES ${_stun_unit}/test_frame.c LIBS as_stun)

appshare_add_fuzzer(NAME fuzz_stun SOURCES ${_stun_fuzz}/fuzz_stun.c LIBS as_stun)
appshare_add_fuzzer(NAME fuzz_frame SOURCES ${_stun_fuzz}/fuzz_frame.c LIBS as_stun)

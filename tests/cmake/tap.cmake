# The pcap tap end to end (tests/integ/tap.sh): appshare-master, appshare-peer and
# tshark on loopback.  Port block 23000-23099.
if(APPSHARE_TESTS)
	add_test(NAME integ_tap COMMAND bash ${APPSHARE_TEST_ROOT}/integ/tap.sh)
	set(_env
		"APPSHARE_MASTER=$<TARGET_FILE:appshare-master>"
		"APPSHARE_CTL=$<TARGET_FILE:appshare-ctl>"
		"APPSHARE_PEER=$<TARGET_FILE:appshare-peer>"
		"INTEG_PORT_BASE=23000")
	if(APPSHARE_SANITIZE)
		list(APPEND _env "APPSHARE_SANITIZED=1"
			"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
			"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
	endif()
	set_tests_properties(integ_tap PROPERTIES
		ENVIRONMENT "${_env}" TIMEOUT 180 LABELS integ SKIP_RETURN_CODE 77)
endif()

# tap_pkt (pure): headers, checksums, sequence numbers; and its fuzz target.
appshare_add_test(NAME test_tap_pkt
	SOURCES ${APPSHARE_TEST_ROOT}/unit/test_tap_pkt.c
	LIBS as_tap_pkt)
appshare_add_fuzzer(NAME fuzz_tap_pkt
	SOURCES ${APPSHARE_TEST_ROOT}/fuzz/fuzz_tap_pkt.c
	LIBS as_tap_pkt)

# Seeing inside (tests/integ/observe.sh): appshare-ctl sessions/stats/terminate and the
# Prometheus metrics endpoint, on a real master on loopback.  Ports 23500-23599.
appshare_add_test(NAME test_metrics_fmt
	SOURCES unit/test_metrics_fmt.c ${CMAKE_SOURCE_DIR}/master/metrics_fmt.c)
if(APPSHARE_TESTS)
	target_include_directories(test_metrics_fmt PRIVATE ${CMAKE_SOURCE_DIR}/master)
	add_test(NAME integ_observe COMMAND bash ${APPSHARE_TEST_ROOT}/integ/observe.sh)
	set(_obs_env
		"APPSHARE_MASTER=$<TARGET_FILE:appshare-master>"
		"APPSHARE_CTL=$<TARGET_FILE:appshare-ctl>"
		"APPSHARE_PEER=$<TARGET_FILE:appshare-peer>"
		"INTEG_PORT_BASE=23500")
	if(APPSHARE_SANITIZE)
		list(APPEND _obs_env "APPSHARE_SANITIZED=1"
			"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
			"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
	endif()
	set_tests_properties(integ_observe PROPERTIES
		ENVIRONMENT "${_obs_env}" TIMEOUT 180 LABELS integ SKIP_RETURN_CODE 77)
endif()

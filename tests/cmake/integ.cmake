# End-to-end tests: the real appshare-master on loopback, driven by appshare-ctl, with
# appshare-peer endpoints (tests/integ/*.sh).  Each test gets its own block of 100 ports.
if(APPSHARE_TESTS)
	set(_integ_port 21000)
	foreach(_t relay control policy integrity sandbox config worker_loss walkthrough)
		add_test(NAME integ_${_t}
			COMMAND bash ${APPSHARE_TEST_ROOT}/integ/${_t}.sh)
		set(_env
			"APPSHARE_MASTER=$<TARGET_FILE:appshare-master>"
			"APPSHARE_CTL=$<TARGET_FILE:appshare-ctl>"
			"APPSHARE_PEER=$<TARGET_FILE:appshare-peer>"
			"INTEG_PORT_BASE=${_integ_port}")
		if(APPSHARE_SANITIZE)
			list(APPEND _env "APPSHARE_SANITIZED=1"
				"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
				"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
		endif()
		set_tests_properties(integ_${_t} PROPERTIES
			ENVIRONMENT "${_env}" TIMEOUT 180 LABELS integ SKIP_RETURN_CODE 77)
		math(EXPR _integ_port "${_integ_port} + 100")
		if(_t STREQUAL "walkthrough")
			# The README walkthrough uses the default control port, as `make run` does.
			set_tests_properties(integ_${_t} PROPERTIES RESOURCE_LOCK appshare_port_2226)
		endif()
	endforeach()
endif()

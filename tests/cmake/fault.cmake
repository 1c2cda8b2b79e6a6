# Fault and abuse tests (tests/fault/*.sh, docs/robustness.md): a real master on loopback
# under SIGKILL, a full CDR disk, connection floods, slowloris, STUN and control-port
# floods.  Each test gets its own block of 100 ports in 24000-24999.  Their long forms
# (FAULT_SCALE, SOAK_MINUTES) run from `make soak`.
if(APPSHARE_TESTS)
	# `make soak` raises it for the long forms.
	if(NOT DEFINED APPSHARE_FAULT_TIMEOUT)
		set(APPSHARE_FAULT_TIMEOUT 240)
	endif()
	add_executable(fault-flood ${APPSHARE_TEST_ROOT}/fault/flood.c)
	set(_fault_port 24000)
	foreach(_t kill cdr_full conn_flood slowloris ctl_flood soak)
		add_test(NAME fault_${_t}
			COMMAND bash ${APPSHARE_TEST_ROOT}/fault/${_t}.sh)
		set(_env
			"APPSHARE_MASTER=$<TARGET_FILE:appshare-master>"
			"APPSHARE_CTL=$<TARGET_FILE:appshare-ctl>"
			"APPSHARE_PEER=$<TARGET_FILE:appshare-peer>"
			"FAULT_FLOOD=$<TARGET_FILE:fault-flood>"
			"INTEG_PORT_BASE=${_fault_port}")
		if(APPSHARE_SANITIZE)
			list(APPEND _env "APPSHARE_SANITIZED=1"
				"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
				"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
		endif()
		set_tests_properties(fault_${_t} PROPERTIES
			ENVIRONMENT "${_env}" TIMEOUT ${APPSHARE_FAULT_TIMEOUT} LABELS fault SKIP_RETURN_CODE 77)
		math(EXPR _fault_port "${_fault_port} + 100")
	endforeach()
endif()

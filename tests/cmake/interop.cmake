# Interop tests against real ICE stacks (docs/interop.md): Debian's libnice, driven by
# the C test peer tests/interop/nice_peer.c, through a real appshare-master on loopback.
# Shell tests in the style of tests/integ (tests/interop/*.sh, helpers in lib_nice.sh);
# ports 22000-22499, one block of 100 per test.
if(APPSHARE_TESTS)
	pkg_check_modules(NICE QUIET IMPORTED_TARGET nice)
	set(_interop_tests nice_oc2007r2 nice_mixed nice_initiate nice_ipv6)
	set(_interop_port 22000)
	if(NICE_FOUND)
		add_executable(nice_peer ${APPSHARE_TEST_ROOT}/interop/nice_peer.c)
		# peer.h / peer_data.c: appshare-peer's test frames, so the two peers can
		# face each other through the relay.
		target_link_libraries(nice_peer PRIVATE as_peer PkgConfig::NICE)
	else()
		# A missing real peer must not turn the interop tests into silent skips.
		message(FATAL_ERROR "libnice-dev not found: run scripts/install-deps.sh "
			"(make test does), or configure with -DAPPSHARE_TESTS=OFF")
	endif()
	foreach(_t ${_interop_tests})
		add_test(NAME interop_${_t}
			COMMAND bash ${APPSHARE_TEST_ROOT}/interop/${_t}.sh)
		set(_env
			"APPSHARE_MASTER=$<TARGET_FILE:appshare-master>"
			"APPSHARE_CTL=$<TARGET_FILE:appshare-ctl>"
			"APPSHARE_PEER=$<TARGET_FILE:appshare-peer>"
			"INTEG_PORT_BASE=${_interop_port}")
		if(NICE_FOUND)
			list(APPEND _env "NICE_PEER=$<TARGET_FILE:nice_peer>")
		endif()
		if(APPSHARE_SANITIZE)
			list(APPEND _env "APPSHARE_SANITIZED=1"
				"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
				"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
		endif()
		set_tests_properties(interop_${_t} PROPERTIES
			ENVIRONMENT "${_env}" TIMEOUT 180 LABELS interop SKIP_RETURN_CODE 77)
		math(EXPR _interop_port "${_interop_port} + 100")
	endforeach()
endif()

# A real SIP path: SIPp -> Kamailio 5.6 (stock rtpengine module) -> SIPp, with appshare as
# the media relay for application sharing (tests/kamailio/kamailio.sh).  Kamailio runs
# packaging/kamailio/appshare.cfg, the documented example.  Packages: kamailio and
# sip-tester (scripts/install-deps.sh); the test skips (77) if they are missing.
# Port block 22500-22999: appshare 22500-22599, Kamailio, SIPp and the peers 22600-22630.
if(APPSHARE_TESTS)
	set(_env
		"APPSHARE_MASTER=$<TARGET_FILE:appshare-master>"
		"APPSHARE_CTL=$<TARGET_FILE:appshare-ctl>"
		"APPSHARE_PEER=$<TARGET_FILE:appshare-peer>"
		"INTEG_PORT_BASE=22500")
	if(APPSHARE_SANITIZE)
		list(APPEND _env "APPSHARE_SANITIZED=1"
			"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
			"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
	endif()
	add_test(NAME kamailio_sip COMMAND bash ${APPSHARE_TEST_ROOT}/kamailio/kamailio.sh)
	set_tests_properties(kamailio_sip PROPERTIES
		ENVIRONMENT "${_env}" TIMEOUT 180 LABELS interop SKIP_RETURN_CODE 77)
endif()

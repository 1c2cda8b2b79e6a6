# The Debian package (packaging/): the manual pages against the code, in every build;
# and, as root, building, installing, running and purging the package
# (tests/package/test_package.sh).  The latter installs a package and a system user,
# uses the packaged control port 127.0.0.1:2226 and compiles the project once more, so
# it runs alone: other tests would see the user appear (the master's default user) and
# compete for the two cores.
if(APPSHARE_TESTS)
	add_test(NAME package_man
		COMMAND sh ${APPSHARE_TEST_ROOT}/package/check_man.sh ${CMAKE_SOURCE_DIR}
			$<TARGET_FILE:appshare-master> $<TARGET_FILE:appshare-ctl>
			$<TARGET_FILE:appshare-peer>)
	set_tests_properties(package_man PROPERTIES TIMEOUT 60 LABELS unit)

	add_test(NAME package_deb COMMAND bash ${APPSHARE_TEST_ROOT}/package/test_package.sh)
	set(_env "APPSHARE_PKG_OUT=${CMAKE_BINARY_DIR}/package-deb")
	if(APPSHARE_SANITIZE)
		list(APPEND _env "APPSHARE_SANITIZED=1")
	endif()
	set_tests_properties(package_deb PROPERTIES
		ENVIRONMENT "${_env}" TIMEOUT 900 LABELS package SKIP_RETURN_CODE 77
		RUN_SERIAL TRUE RESOURCE_LOCK appshare_port_2226)
endif()

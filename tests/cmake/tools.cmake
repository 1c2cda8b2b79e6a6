# Tests of tools/: see tests/cmake/appshare_test.cmake for the helpers.
# [io]: appshare-peer pairs on loopback, appshare-ctl against a fake control port.
appshare_add_test(NAME test_tools SOURCES io/test_tools.c LABELS io TIMEOUT 300)
if(APPSHARE_TESTS)
	target_compile_definitions(test_tools PRIVATE
		APPSHARE_PEER_BIN="$<TARGET_FILE:appshare-peer>"
		APPSHARE_CTL_BIN="$<TARGET_FILE:appshare-ctl>")
	add_dependencies(test_tools appshare-peer appshare-ctl)
endif()

# Tests of the master process: see tests/cmake/appshare_test.cmake for the helpers.
# registry.c is pure and compiled into its test directly, so the test does not pull
# the whole as_master library (sockets, libevent) into a unit test.
appshare_add_test(NAME test_registry
	SOURCES unit/test_registry.c ${CMAKE_SOURCE_DIR}/master/registry.c
	LIBS as_sdp as_ctl as_shm)
if(APPSHARE_TESTS)
	target_include_directories(test_registry PRIVATE ${CMAKE_SOURCE_DIR}/master)
endif()

# [io] the built appshare-master on loopback: -n, ping over UDP and TCP, errors,
# cookie cache, offer/answer/query/delete, load limit.
appshare_add_test(NAME test_master_ctl SOURCES io/test_master_ctl.c LIBS as_conf
	LABELS io TIMEOUT 180)
if(APPSHARE_TESTS)
	target_compile_definitions(test_master_ctl PRIVATE
		APPSHARE_MASTER_BIN="$<TARGET_FILE:appshare-master>")
	add_dependencies(test_master_ctl appshare-master)
endif()

# Tests of the worker: see tests/cmake/appshare_test.cmake for the helpers.
appshare_add_test(NAME test_worker_relay
	SOURCES ${APPSHARE_TEST_ROOT}/io/test_worker_relay.c
	LIBS as_worker as_ice as_shm_io LABELS io TIMEOUT 120)

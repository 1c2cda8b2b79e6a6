# Tests of the process framework (master/ipc*.c, master/log.c) and the sandbox
# (policy/sandbox*.c, policy/privdrop.c): see tests/cmake/appshare_test.cmake.
appshare_add_test(NAME test_ipc_check SOURCES unit/test_ipc_check.c LIBS as_ipc_check)
appshare_add_fuzzer(NAME fuzz_ipc_check SOURCES fuzz/fuzz_ipc_check.c LIBS as_ipc_check)
# [io]: socketpairs, a libevent loop, descriptor passing.
appshare_add_test(NAME test_ipc_channel SOURCES io/test_ipc_channel.c LIBS as_proc
	LABELS io TIMEOUT 60)
# [io]: forked children under the seccomp filters; skipped under sanitizers.
appshare_add_test(NAME test_sandbox SOURCES io/test_sandbox.c LIBS as_sandbox as_proc
	LABELS io TIMEOUT 60)
# [io]: needs root (skipped otherwise).
appshare_add_test(NAME test_privdrop SOURCES io/test_privdrop.c LIBS as_sandbox
	LABELS io TIMEOUT 30)
appshare_add_test(NAME test_log SOURCES io/test_log.c LIBS as_proc LABELS io TIMEOUT 30)

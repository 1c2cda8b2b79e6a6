# Tests of shm: see tests/cmake/appshare_test.cmake for the helpers.
appshare_add_test(NAME test_shm_layout SOURCES unit/test_shm_layout.c LIBS as_shm)
appshare_add_test(NAME test_seqlock SOURCES unit/test_seqlock.c LIBS as_shm TIMEOUT 60)
appshare_add_test(NAME test_ring SOURCES unit/test_ring.c LIBS as_shm TIMEOUT 60)
appshare_add_test(NAME test_snapshot SOURCES unit/test_snapshot.c LIBS as_shm)
appshare_add_test(NAME test_cdr_fmt SOURCES unit/test_cdr_fmt.c LIBS as_shm)
appshare_add_fuzzer(NAME fuzz_cdr SOURCES fuzz/fuzz_cdr.c LIBS as_shm)
# [io]: memfds, seals and the read-only reopen (architecture decision 8).
appshare_add_test(NAME test_shm_map SOURCES io/test_shm_map.c LIBS as_shm_io LABELS io)

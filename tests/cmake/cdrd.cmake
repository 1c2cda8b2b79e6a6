# Tests of the CDR writer (shm/cdrd.c, shm/cdrd_recover.c).
# Pure: identities at the end of a CSV file (crash recovery).
appshare_add_test(NAME test_cdrd_recover SOURCES unit/test_cdrd_recover.c LIBS as_shm)
appshare_add_fuzzer(NAME fuzz_cdr_recover SOURCES fuzz/fuzz_cdr_recover.c LIBS as_shm)
# [io]: cdrd_main() in a child, the test plays the master and the worker.
appshare_add_test(NAME test_cdrd SOURCES io/test_cdrd.c LIBS as_cdrd LABELS io TIMEOUT 120)

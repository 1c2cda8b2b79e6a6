# Tests of shm: see tests/cmake/appshare_test.cmake for the helpers.

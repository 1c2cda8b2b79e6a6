# Tests of policy: see tests/cmake/appshare_test.cmake for the helpers.

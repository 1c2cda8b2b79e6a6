# Tests of stun: see tests/cmake/appshare_test.cmake for the helpers.

# Tests of ice: see tests/cmake/appshare_test.cmake for the helpers.

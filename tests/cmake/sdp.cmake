# Tests of sdp: see tests/cmake/appshare_test.cmake for the helpers.

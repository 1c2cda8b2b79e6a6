# Test helpers shared by every module's test list (tests/cmake/<module>.cmake).
#
#   appshare_add_test(NAME test_x SOURCES a.c b.c LIBS as_x [LABELS unit] [TIMEOUT 60])
#       A Criterion executable registered with CTest.
#   appshare_add_fuzzer(NAME fuzz_x SOURCES fuzz_x.c LIBS as_x)
#       With APPSHARE_FUZZ: a libFuzzer binary.  Always (when tests are on): a replay
#       binary that runs the target over tests/fuzz/corpus/<short> and
#       tests/fuzz/regressions/<short>, so every seed and every past finding is a
#       regression test in every build, gcc included.

set(APPSHARE_TEST_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)

function(appshare_add_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
	if(NOT APPSHARE_TESTS)
		return()
	endif()
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 60)
	endif()
	if(NOT T_LABELS)
		set(T_LABELS unit)
	endif()
	add_executable(${T_NAME} ${T_SOURCES})
	target_include_directories(${T_NAME} PRIVATE ${APPSHARE_TEST_ROOT}/support)
	target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} as_testsupport PkgConfig::CRITERION)
	target_compile_definitions(${T_NAME} PRIVATE
		APPSHARE_TEST_DATA="${APPSHARE_TEST_ROOT}/data")
	# --jobs 1: Criterion forks per test anyway; CTest runs binaries in parallel.
	add_test(NAME ${T_NAME} COMMAND ${T_NAME} --jobs 1 --short-filename)
	set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
	if(APPSHARE_SANITIZE)
		# Criterion's workers exit early and LeakSanitizer would never report.
		set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT
			"CRITERION_NO_EARLY_EXIT=1;ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1")
	endif()
endfunction()

function(appshare_add_fuzzer)
	cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS" ${ARGN})
	string(REGEX REPLACE "^fuzz_" "" short ${F_NAME})
	set(corpus ${APPSHARE_TEST_ROOT}/fuzz/corpus/${short})
	set(regress ${APPSHARE_TEST_ROOT}/fuzz/regressions/${short})
	if(APPSHARE_FUZZ)
		add_executable(${F_NAME} ${F_SOURCES})
		target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
		target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
	endif()
	if(APPSHARE_TESTS)
		add_executable(${F_NAME}_replay ${F_SOURCES} ${APPSHARE_TEST_ROOT}/fuzz/replay_main.c)
		target_link_libraries(${F_NAME}_replay PRIVATE ${F_LIBS})
		add_test(NAME ${F_NAME}_replay COMMAND ${F_NAME}_replay ${corpus} ${regress})
		set_tests_properties(${F_NAME}_replay PROPERTIES TIMEOUT 120 LABELS fuzz-replay)
	endif()
endfunction()

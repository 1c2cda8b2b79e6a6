# Front door.  `make test` and `make run` work on a fresh Debian 12 machine:
# they install what is missing, configure, build, and test or run.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_RUNS  ?= 100000
CMAKE_ARGS ?=

.PHONY: all deps build test sanitize fuzz-build fuzz-smoke check run package clean

all: build

deps:
	@scripts/install-deps.sh build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DAPPSHARE_WERROR=ON $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# ASan + UBSan with clang, every test.
sanitize:
	@scripts/install-deps.sh sanitize
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DAPPSHARE_SANITIZE=ON -DAPPSHARE_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

fuzz-build:
	@scripts/install-deps.sh fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DAPPSHARE_FUZZ=ON -DAPPSHARE_TESTS=OFF $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# A bounded libFuzzer run of every target (FUZZ_RUNS executions each).
fuzz-smoke: fuzz-build
	scripts/fuzz-smoke.sh $(FUZZ_BUILD) $(FUZZ_RUNS)

# The fuzzing campaign (docs/security.md): every target for FUZZ_EXECS executions, one
# after the other; the grown corpora are minimised into tests/fuzz/corpus/ (review, commit).
FUZZ_EXECS ?= 10000000
.PHONY: fuzz-campaign
fuzz-campaign: fuzz-build
	scripts/fuzz-campaign.sh -n $(FUZZ_EXECS) $(FUZZ_BUILD)

# Static analysis (cppcheck is on the Debian development image; installed if missing).
CHECK_DIRS = stun sdp policy shm master worker tools
# cppcheck does not read system headers; it needs the TAILQ macros to parse the lists.
QUEUE_H = $(firstword $(wildcard /usr/include/*/sys/queue.h /usr/include/sys/queue.h))
check:
	@command -v cppcheck >/dev/null 2>&1 || scripts/install-deps.sh check
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --std=c11 -D_GNU_SOURCE $(addprefix -I ,$(CHECK_DIRS)) \
		$(if $(QUEUE_H),--include=$(QUEUE_H)) \
		$(wildcard $(CHECK_DIRS))

# The relay in the foreground on loopback with packaging/appshare.conf.example.
run: build
	BUILD=$(BUILD) scripts/run.sh

# The Debian package (packaging/debian), built from a copy of the tree into $(DEB_BUILD)/,
# then checked with lintian (errors fail).
DEB_BUILD ?= build-deb
package:
	JOBS=$(JOBS) packaging/build-deb.sh $(DEB_BUILD)

# The benchmark suite (docs/performance.md): Release (-O2) build in $(BENCH_BUILD), then
# appshare, haproxy and direct loopback side by side; prints the table.  Not run by CI.
BENCH_BUILD ?= build-bench
.PHONY: bench
bench:
	@scripts/install-deps.sh bench
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DAPPSHARE_WERROR=ON -DAPPSHARE_TESTS=OFF
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target appshare-master appshare-ctl appshare-load
	bench/run.sh $(BENCH_BUILD)

# The long forms of the fault tests (docs/robustness.md) under ASan + UBSan in
# $(ASAN_BUILD): SOAK_MINUTES of churn and abuse per test, FAULT_SCALE times the counts;
# fails on a leak, a sanitizer report, a lost record or a descriptor count that moved.
SOAK_MINUTES ?= 10
FAULT_SCALE  ?= 4
.PHONY: soak
soak:
	@scripts/install-deps.sh sanitize
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAPPSHARE_SANITIZE=ON \
		-DAPPSHARE_WERROR=ON -DAPPSHARE_FAULT_TIMEOUT=$$(( $(SOAK_MINUTES) * 120 + 600 )) \
		$(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && SOAK_MINUTES=$(SOAK_MINUTES) FAULT_SCALE=$(FAULT_SCALE) \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -L fault -j $(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(DEB_BUILD)

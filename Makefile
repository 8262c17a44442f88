# The two commands of the README, and their parts.
#   make demo   install what is needed, build, and run emsgw on simulated devices
#   make test   install what is needed (test tools included), build, and run every test
BUILD ?= build
SAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
# CTest slots: three per core (tests/CMakeLists.txt: an end-to-end case takes one, a busy one three).
TEST_JOBS ?= $(shell expr 3 \* $(JOBS))

.PHONY: all deps deps-test configure build demo test test-unit sanitize format format-check clean

all: build

deps:
	deploy/install-deps.sh

deps-test:
	deploy/install-deps.sh --test

# Line-only debug information (-g1): backtraces and sanitizer reports keep files and lines, and the
# build takes about a quarter less time. A debugger session wants cmake -DEMSGW_DEBUG_INFO=full.
DEBUG_INFO ?= lines

configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMSGW_DEBUG_INFO=$(DEBUG_INFO) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# emsgw on simulated devices through a scripted day (Ctrl-C stops it); DEMO_FLAGS=--real-time etc.
DEMO_FLAGS ?=
demo: deps build
	$(BUILD)/gateway/emsgw demo $(DEMO_FLAGS)

test: deps-test
	$(MAKE) build CMAKE_FLAGS="-DEMSGW_WERROR=ON $(CMAKE_FLAGS)"
	ctest --test-dir $(BUILD) --output-on-failure -j $(TEST_JOBS) $(CTEST_FLAGS)

# Address + UndefinedBehavior sanitizers, Debug (the code under test at -O1), warnings as errors (run by .ci/run).
sanitize: deps-test
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEMSGW_SANITIZE=ON -DEMSGW_WERROR=ON \
	      -DEMSGW_DEBUG_INFO=$(DEBUG_INFO) \
	      -DEMSGW_BUILD_BENCHMARKS=OFF $(CMAKE_FLAGS)
	cmake --build $(SAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(TEST_JOBS) $(CTEST_FLAGS)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) $(SAN_BUILD)

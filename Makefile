# The two commands of the README. Both install what is missing, configure and build.
#   make demo   rehearse a model update: the labelled retail day against model 2026.09 and
#               2026.12 under quarterly-drift, the drift and the threshold that restores it
#   make demo-curl  start wxai-mock on the default scenario and walk through the dinner example
#   make test   run every test, then every suite again under ASan+UBSan

BUILD      ?= build
BUILD_SAN  ?= build-san
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS  += --no-print-directory

.PHONY: all deps build build-san test test-plain test-san demo demo-curl format clean

all: build

deps:
	@./.ci/deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-san: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DWXAI_SANITIZE=ON >/dev/null
	cmake --build $(BUILD_SAN) -j $(JOBS)

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-san: build-san
	cd $(BUILD_SAN) && CK_FORK=no \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

test: test-plain test-san

demo: build
	@./docs/examples/drift-demo.sh $(BUILD)

demo-curl: build
	@./docs/examples/demo.sh $(BUILD)

format:
	clang-format -i lib/*.[ch] server/*.[ch] harness/*.[ch] tests/*.[ch] 2>/dev/null || true

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

# The two commands a new user needs: `make demo` and `make test`.
# Each runs scripts/setup first (installs missing Debian packages, else does nothing).
JOBS ?= $(shell nproc)

.PHONY: setup build release test demo bench fuzz asan clean

setup:
	@scripts/setup

build: setup
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

release: setup
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# Debug build with warnings as errors, then every test (unit, data-driven
# cases, fuzz seed corpora, storage conformance on SQLite and PostgreSQL).
test: setup
	cmake --preset ci >/dev/null
	cmake --build --preset ci -j $(JOBS)
	ctest --preset ci -j $(JOBS)

asan: setup
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

demo: setup
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target telemark
	scripts/demo

bench: release
	scripts/bench

# Coverage-guided fuzzing with libFuzzer (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: setup
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	scripts/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build demo-out bench-out

# refold-session — every build, demo and test entry point.
#   make demo   mint tokens against the bundled emulator, in every language
#   make test   lints and every test suite in every language
#   make bench  side-by-side benchmarks (not part of make test)
# Each language adds its own targets in mk/<lang>.mk (test-<lang>, demo-<lang>, ...).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath .)
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
# One shared target/ for the whole workspace (bindings included).
export CARGO_TARGET_DIR := $(ROOT)/target
REFOLD_BIN := $(CARGO_TARGET_DIR)/debug/refold
# The test build enables each crate's test-only entry points (a deliberate panic, probes);
# release builds (bench, packaging) leave them off. Every cargo command of `make test` passes
# the same features, so nothing is compiled twice.
TEST_FEATURES := --features refold-session/test-hooks,refold-session-node/test-hooks,refold-session-python/test-hooks,refold-session-kotlin/test-hooks

# Filled by mk/*.mk.
TEST_TARGETS :=
DEMO_TARGETS :=

# Real components the tests start themselves (never assume one running): pinned Debian packages,
# installed when missing.
REDIS_PACKAGES := redis-server=5:7.0.15-1~deb12u10 redis-tools=5:7.0.15-1~deb12u10

.PHONY: help build test demo lint test-rust demo-rust fuzz redis-deps

help:
	@echo "make demo   # mint tokens against the bundled emulator"
	@echo "make test   # lints + every test suite in every language"
	@echo "make bench  # benchmarks (release builds; slow)"
	@echo "make fuzz   # property tests with many cases for FUZZ_SECONDS (default 300)"

## Rust: one debug build of the whole workspace serves every test suite.
build:
	$(CARGO) build --workspace --all-targets --locked $(TEST_FEATURES)

lint: build
	bash scripts/check-core-imports.sh core/src
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked $(TEST_FEATURES) -- -D warnings

redis-deps:
	bash scripts/ensure-debian-packages.sh $(REDIS_PACKAGES)

test-rust: build redis-deps
	$(CARGO) test --workspace --locked $(TEST_FEATURES)

# Property tests of everything that reads the network or the caller, with many cases, for
# FUZZ_SECONDS (not part of make test, which runs a few hundred cases of each).
FUZZ_SECONDS ?= 300
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

demo-rust: build
	@bash scripts/demo-cli.sh $(REFOLD_BIN)

include $(sort $(wildcard mk/*.mk))

# No trailing echo: the output ends with the last test runner's own summary line (the fleet
# driver's "fleet: N passed, N failed").
test: lint test-rust $(TEST_TARGETS) test-fleet

demo: demo-rust $(DEMO_TARGETS)

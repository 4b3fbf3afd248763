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
# The client's request budget (docs/contract.md §16) is off for everything make runs: the
# suites and benchmarks make hundreds of calls against an emulator whose own limit is off. The
# rate limit's own tests and `make bench-fleet` set their budgets explicitly.
export REFOLD_RATE_LIMIT ?= off
# The test build enables each crate's test-only entry points (a deliberate panic, probes);
# release builds (bench, packaging) leave them off. Every cargo command of `make test` passes
# the same features, so nothing is compiled twice. Core's optional `opentelemetry` feature is on,
# so its tests and lints run too.
TEST_FEATURES := --features refold-session/test-hooks,refold-session/opentelemetry,refold-session-node/test-hooks,refold-session-python/test-hooks,refold-session-kotlin/test-hooks

# Filled by mk/*.mk.
TEST_TARGETS :=
DEMO_TARGETS :=

# Real components the tests start themselves (never assume one running): Debian packages pinned
# in scripts/debian-pins.txt, installed by scripts/debian-packages.sh when missing (a pin Debian no
# longer serves falls back, with a warning, to the version it serves now; REDIS_VERSION=... overrides).
DEBIAN_PACKAGES := bash $(ROOT)/scripts/debian-packages.sh
REDIS_PACKAGES := redis-server redis-tools

.PHONY: help build test demo demo-traces lint test-rust demo-rust fuzz redis-deps check-pins test-debian-pins

help:
	@echo "make demo   # mint tokens against the bundled emulator"
	@echo "make demo-traces  # one request's trace in Node, Python and on the JVM"
	@echo "make test   # lints + every test suite in every language"
	@echo "make bench  # benchmarks (release builds; slow)"
	@echo "make fuzz   # property tests with many cases for FUZZ_SECONDS (default 300)"
	@echo "make check-pins  # the Debian pins the archive no longer serves (information)"

## Rust: one debug build of the whole workspace serves every test suite.
build:
	@mkdir -p $(NAPI_TYPE_DEF_TMP_FOLDER)
	$(CARGO) build --workspace --all-targets --locked $(TEST_FEATURES)

lint: build
	bash scripts/check-core-imports.sh core/src
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked $(TEST_FEATURES) -- -D warnings

redis-deps:
	@$(DEBIAN_PACKAGES) install $(REDIS_PACKAGES)

# Every Debian pin the archive no longer serves, with what it serves now, so the pins can be
# refreshed on purpose. Information only: never fails (make test runs it first).
check-pins:
	@$(DEBIAN_PACKAGES) check || echo "check-pins: could not check the pins (above)"

# The pin policy itself (fallback, warning, minimum, Multi-Arch: same) against today's archive.
test-debian-pins:
	bash scripts/test-debian-packages.sh

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
test: check-pins test-debian-pins lint test-rust $(TEST_TARGETS) demo-traces test-fleet

demo: demo-rust $(DEMO_TARGETS)

# One request's trace in Node, Python and on the JVM (examples/trace-tree): the spans
# refold-session records through the application's own OpenTelemetry SDK, under its request span,
# for a mint retried once and a cache hit, each against a fresh emulator; check.sh fails unless
# each tree has the shape of examples/trace-tree/expected.txt, so `make test` runs it too.
TRACES_CHECK := REFOLD_BIN=$(REFOLD_BIN) bash scripts/with-emulator.sh --linked-account trace-tree-user -- \
	bash examples/trace-tree/check.sh
demo-traces: node-addon node-deps python-wheel kotlin-install
	@$(TRACES_CHECK) env NODE_PATH=$(NODE_DIR)/node_modules $(NODE) examples/trace-tree/tree.js
	@$(TRACES_CHECK) $(PY) examples/trace-tree/tree.py
	@$(TRACES_CHECK) java @$(KT_DIR)/target/fleet-worker.argfile examples/trace-tree/TraceTree.java

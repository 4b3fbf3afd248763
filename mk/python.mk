# Python binding (bindings-python/): PyO3 + maturin, tested with pytest against the emulator.
#   make test-python   venv from pinned requirements, debug abi3 wheel (with the core's test
#                      hooks), pytest (conformance sync+async, linked accounts, the session
#                      cache, the fleet store against a redis-server the test starts (hence
#                      redis-deps), typing: mypy --strict and stubtest, threads, fork, panics,
#                      packaging…)
#   The fleet worker (bindings-python/tests/fleet_worker.py, run by `make test-fleet`) uses the
#   same venv and wheel: `$(PY) bindings-python/tests/fleet_worker.py`.
#   make demo-python   the server-side flow from Python (upsert, mint twice with the cache,
#                      list, delete, the typed error; sync and asyncio) against a fresh emulator
# The venv (bindings-python/.venv) and the wheel (bindings-python/dist/) are build outputs.

PY_DIR := $(ROOT)/bindings-python
PY_VENV := $(PY_DIR)/.venv
PY := $(PY_VENV)/bin/python
PYTHON ?= python3
PY_STAMP := $(PY_VENV)/.requirements-dev.stamp

TEST_TARGETS += test-python
DEMO_TARGETS += demo-python

.PHONY: test-python demo-python python-venv python-wheel

$(PY_STAMP): $(PY_DIR)/requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(PY_VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r $(PY_DIR)/requirements-dev.txt
	@touch $@

python-venv: $(PY_STAMP)

# One debug cp39-abi3 wheel, built by maturin (pyo3/extension-module on), installed into the
# venv; the packaging tests install the same file into a fresh venv without Rust. Debug,
# because a release build of the dependency tree costs minutes on 2 cores and tests the same code.
# `test-hooks` gives the core's deliberate panic to the panic tests; release wheels
# (bench/prepare.sh, `maturin build --release`) are built without it.
python-wheel: build python-venv
	rm -f $(PY_DIR)/dist/refold_session-*.whl
	cd $(PY_DIR) && $(PY_VENV)/bin/maturin build --locked --features pyo3/extension-module,test-hooks --out dist
	$(PY) -m pip install --disable-pip-version-check -q --force-reinstall --no-deps $(PY_DIR)/dist/refold_session-*.whl

# mypy --strict and stubtest run inside pytest (tests/test_typing.py), beside the check that
# mypy rejects misuse, so that `pytest` alone is the whole suite.
test-python: python-wheel redis-deps
	cd $(PY_DIR) && REFOLD_BIN=$(REFOLD_BIN) $(PY) -m pytest

demo-python: python-wheel
	@REFOLD_BIN=$(REFOLD_BIN) bash scripts/with-emulator.sh --api-key demo-key --linked-account demo-user -- \
		$(PY) $(PY_DIR)/examples/demo.py

# The Python stubs generated from the core's description (codegen/emit_python_stubs.py):
# _options.py (the options as typed dicts) and _native.pyi. Part of `make generate` and of
# `make check-generated`, which therefore build the `refold` binary first.
.PHONY: generate-python-stubs check-python-stubs
generate: generate-python-stubs
check-generated: check-python-stubs

generate-python-stubs: build
	$(REFOLD_BIN) __describe > $(CARGO_TARGET_DIR)/describe.json
	cd $(ROOT) && $(CODEGEN_PYTHON) -m codegen.emit_python_stubs generate $(CARGO_TARGET_DIR)/describe.json

check-python-stubs: build
	$(REFOLD_BIN) __describe > $(CARGO_TARGET_DIR)/describe.json
	cd $(ROOT) && $(CODEGEN_PYTHON) -m codegen.emit_python_stubs check $(CARGO_TARGET_DIR)/describe.json

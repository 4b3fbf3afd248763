# The fleet store across languages (conformance/fleet/): one real redis-server, one emulator, and a
# worker process per language — Rust, Node, Python, JVM — sharing the store.
#   make test-fleet   the driver's 8 checks (one mint per account for the fleet, nothing readable
#                     in Redis, shared hits, tampered and foreign values, Redis down, a lock holder
#                     killed mid-mint, one request budget for the fleet: no 429); it ends with
#                     "fleet: N passed, N failed".
# The root Makefile runs it after every language's own suite (whose builds it reuses).

FLEET_DRIVER := $(ROOT)/conformance/fleet/driver.py
KT_ARGFILE = $(KT_DIR)/target/fleet-worker.argfile

.PHONY: test-fleet fleet-workers

# Each worker's build, made only when missing (after `make test` they all exist).
fleet-workers: build redis-deps node-addon node-deps python-venv
	@$(PY) -c 'import refold_session' 2>/dev/null || $(MAKE) --no-print-directory python-wheel
	@test -f $(KT_ARGFILE) || $(MAKE) --no-print-directory kotlin-install

test-fleet: fleet-workers
	$(PYTHON) $(FLEET_DRIVER) --refold $(REFOLD_BIN) \
	  --worker rust='$(CARGO_TARGET_DIR)/debug/examples/fleet_worker' \
	  --worker node='$(NODE) $(ROOT)/bindings-node/test/fleet-worker.js' \
	  --worker python='$(PY) $(PY_DIR)/tests/fleet_worker.py' \
	  --worker jvm='$(KT_FLEET_WORKER)'

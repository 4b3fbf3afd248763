# Benchmarks (bench/): every binding against the fastest native clients of its language and
# the loopback limit (wrk). Not part of `make test`.
#   make bench                 release builds + pinned peers (bench/prepare.sh), then every client
#                              at concurrency 1 and 64; writes bench/results/latest.{json,md,png}
#   make bench N=5000          fewer requests per client per concurrency (default 20000)
#   make bench BENCH_REPEAT=1  one run per client and concurrency (default 3: the median run is
#                              reported, as the committed results are)
#   make bench BENCH_ONLY=node,python/aiohttp   a subset (results still go to latest.*
#                              unless BENCH_TAG=name: bench/results/name.*)
#   make bench-smoke           tiny N, results to bench/results/smoke.* (git-ignored), ~2 min
#                              after the release builds exist
#   make bench BENCH_ONLY=python/cache-hit-sync,node/store-hit   the session-cache hit and
#                              fleet-store rows (a hit brings its miss path, a store hit its
#                              language's raw-GET peers; store clients also run the fleet check)
#   make bench-scale           the scaling run (bench/scale.py): ours and the best peer of each
#                              language at concurrency 1,16,64,256,1024 (N each) and 10,000 calls
#                              started at once; writes bench/results/scale.{json,md,png}
#   make bench-scale N=5000 SCALE_INFLIGHT=2000 SCALE_LEVELS=1,64,1024 BENCH_ONLY=node
#   make bench-scale-smoke     tiny N → bench/results/scale-smoke.* (git-ignored); plumbing only
#   make bench-fleet           a cold fleet against Refold's rate limit (bench/fleet.py): fleets of
#                              FLEET_SIZES Rust worker processes sharing one Redis ask for
#                              FLEET_ACCOUNTS tokens at once at 20/s with bursts of 5 scaled by
#                              FLEET_SCALE (ratio kept); time to all tokens vs N/limit, 429s on
#                              the wire, waits; writes bench/results/fleet.{json,md,svg}. Debug
#                              builds (the limit, not the client, sets the pace).
# The release builds run under `nice -n $(BENCH_BUILD_NICE)` (default 19: the machine is shared);
# the measurements themselves are not niced.
# Absolute numbers only mean something within one run on one machine (see bench/README.md).

N ?= 20000
BENCH_CONCURRENCY ?= 1,64
BENCH_ONLY ?=
BENCH_REPEAT ?= 3
BENCH_BUILD_NICE ?= 19
# Results go to bench/results/$(BENCH_TAG).{json,md,png}.
BENCH_TAG ?= latest
BENCH_PY := $(ROOT)/bench/.venv/bin/python

SCALE_LEVELS ?= 1,16,64,256,1024
SCALE_INFLIGHT ?= 10000

FLEET_SIZES ?= 1,4,16
FLEET_ACCOUNTS ?= 1000,10000
FLEET_SCALE ?= 10

.PHONY: bench bench-prepare bench-smoke bench-scale bench-scale-smoke bench-fleet

bench-prepare: redis-deps
	nice -n $(BENCH_BUILD_NICE) bash $(ROOT)/bench/prepare.sh

bench: bench-prepare
	$(BENCH_PY) $(ROOT)/bench/run.py --n $(N) --concurrency $(BENCH_CONCURRENCY) --only "$(BENCH_ONLY)" --repeat $(BENCH_REPEAT) \
		--tag $(BENCH_TAG)

bench-smoke: bench-prepare
	$(BENCH_PY) $(ROOT)/bench/run.py --n 300 --warmup 50 --concurrency $(BENCH_CONCURRENCY) \
		--hit-accounts 100 --only "$(BENCH_ONLY)" --tag smoke

bench-scale: bench-prepare
	$(BENCH_PY) $(ROOT)/bench/scale.py --n $(N) --levels $(SCALE_LEVELS) --inflight $(SCALE_INFLIGHT) \
		--repeat $(BENCH_REPEAT) --only "$(BENCH_ONLY)" --tag scale

bench-scale-smoke: bench-prepare
	$(BENCH_PY) $(ROOT)/bench/scale.py --n 300 --warmup 50 --levels $(SCALE_LEVELS) --inflight 500 \
		--only "$(BENCH_ONLY)" --tag scale-smoke

bench-fleet: build redis-deps
	$(PYTHON) $(ROOT)/bench/fleet.py --refold $(REFOLD_BIN) \
		--worker $(CARGO_TARGET_DIR)/debug/examples/fleet_worker \
		--sizes $(FLEET_SIZES) --accounts $(FLEET_ACCOUNTS) --scale $(FLEET_SCALE)

# Benchmarks (bench/): every binding against the fastest native clients of its language and
# the loopback limit (wrk). Not part of `make test`.
#   make bench                 release builds + pinned peers (bench/prepare.sh), then every client
#                              at concurrency 1 and 64; writes bench/results/latest.{json,md,png}
#   make bench N=5000          fewer requests per client per concurrency (default 20000)
#   make bench BENCH_ONLY=node,python/aiohttp   a subset (results still go to latest.*)
#   make bench-smoke           tiny N, results to bench/results/smoke.* (git-ignored), ~2 min
#                              after the release builds exist
# Absolute numbers only mean something within one run on one machine (see bench/README.md).

N ?= 20000
BENCH_CONCURRENCY ?= 1,64
BENCH_ONLY ?=
BENCH_REPEAT ?= 1
BENCH_PY := $(ROOT)/bench/.venv/bin/python

.PHONY: bench bench-prepare bench-smoke

bench-prepare:
	bash $(ROOT)/bench/prepare.sh

bench: bench-prepare
	$(BENCH_PY) $(ROOT)/bench/run.py --n $(N) --concurrency $(BENCH_CONCURRENCY) --only "$(BENCH_ONLY)" --repeat $(BENCH_REPEAT)

bench-smoke: bench-prepare
	$(BENCH_PY) $(ROOT)/bench/run.py --n 300 --warmup 50 --concurrency $(BENCH_CONCURRENCY) \
		--only "$(BENCH_ONLY)" --tag smoke

# Release packages for Linux beyond the test build (packaging/README.md). Slow: NOT in TEST_TARGETS,
# so `make test` (and CI) never run them.
#   make dist        every package for linux-x64-gnu, linux-arm64-gnu, linux-x64-musl and
#                    linux-arm64-musl into dist/out/ (CLI, npm tarballs, wheels, jar), built with
#                    pinned toolchains in target-dist/ (never the shared target/)
#   make dist-test   the arm64 packages under qemu-user against the emulator (CLI, Node, Python,
#                    Kotlin), the musl packages by inspection and the static musl CLI natively,
#                    and the core's and emulator's test suites built for aarch64 under qemu
#   make dist DIST_PLATFORMS="linux-arm64-gnu"   a subset (the release workflow builds one each)

DIST_PLATFORMS ?= linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl

.PHONY: dist dist-test dist-test-smoke dist-test-musl dist-test-core

dist:
	bash packaging/dist.sh $(DIST_PLATFORMS)

dist-test-smoke:
	bash packaging/test-arm64.sh

dist-test-musl:
	bash packaging/test-musl.sh

dist-test-core: redis-deps
	bash packaging/test-core-arm64.sh

dist-test: dist-test-smoke dist-test-musl dist-test-core

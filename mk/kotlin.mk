# Kotlin/JVM binding (bindings-kotlin/): uniffi + JNA, built and tested with Maven.
#   make test-kotlin   Maven compiles the generated bindings + the Kotlin layer (kotlinc is the
#                      type checker; javac -Werror for the Java tests), runs the JUnit 5 suites
#                      against live emulators and installs ai.refold:refold-session into ~/.m2;
#                      then examples/jvm-consumer builds against that jar alone and runs the
#                      whole server-side flow against a fresh emulator (the README's install
#                      lines are checked to be that project's). StoreTest starts its own
#                      redis-server (hence redis-deps). The build also writes the fleet worker's
#                      classpath as a java argument file (conformance/fleet/README.md), run from
#                      the repository root as
#                        java @bindings-kotlin/target/fleet-worker.argfile ai.refold.session.FleetWorker
#   make kotlin-install  the README's install route: the same `mvn install`, without the suites
#                      (it writes the fleet worker's argument file too)
#   make demo-kotlin   examples/jvm-consumer against a fresh emulator: upsert a linked account, mint
#                      its token twice with the cache on (the second is a hit), delete it, the
#                      typed error of the next mint; then the same account from Java
# Maven reuses the workspace's debug build (the `build` target): generate.sh only runs the
# built uniffi-bindgen on the built library, so nothing is compiled twice. Maven resolves the
# pinned plugin and dependency versions of the two pom.xml files into ~/.m2 on first use.

KT_DIR := $(ROOT)/bindings-kotlin
KT_CONSUMER := $(ROOT)/examples/jvm-consumer
MVN ?= mvn
KT_MVN := $(MVN) -B -ntp -Dstyle.color=never -Drefold.target.dir=$(CARGO_TARGET_DIR) -Drefold.skip.cargo=1
# Maven's chatter filtered down to warnings, errors, Surefire's counts and the verdict (Debian's
# mvn prints colour resets even in batch mode: stripped).
KT_NOCOLOR := sed -u 's/\x1b\[[0-9;]*m//g'
KT_FILTER := { $(KT_NOCOLOR) | grep --line-buffered -E '^\[(ERROR|WARNING)\]|Tests run:|BUILD (SUCCESS|FAILURE)|^generate.sh' || true; }
# One install command for the tests and for the README's `make kotlin-install`.
KT_INSTALL := cd $(KT_DIR) && $(KT_MVN) install
# The fleet worker's command (conformance/fleet/), for the root Makefile's test-fleet.
KT_FLEET_WORKER := java @$(KT_DIR)/target/fleet-worker.argfile ai.refold.session.FleetWorker
KT_EMULATOR := REFOLD_BIN=$(REFOLD_BIN) bash $(ROOT)/scripts/with-emulator.sh --api-key demo-key --linked-account demo-user --

TEST_TARGETS += test-kotlin
DEMO_TARGETS += demo-kotlin

.PHONY: test-kotlin demo-kotlin kotlin-install

test-kotlin: build redis-deps
	bash $(KT_DIR)/scripts/check-readme-install.sh
	$(KT_INSTALL) 2>&1 | $(KT_FILTER)
	$(KT_EMULATOR) $(KT_MVN) -f $(KT_CONSUMER)/pom.xml verify 2>&1 | $(KT_FILTER)

# The jar without running the suites (the README's install route, and the demo's).
kotlin-install: build
	$(KT_INSTALL) -q -DskipTests 2>&1 | $(KT_NOCOLOR)

demo-kotlin: kotlin-install
	@$(KT_EMULATOR) $(KT_MVN) -q -f $(KT_CONSUMER)/pom.xml -DskipTests compile exec:exec 2>&1 | $(KT_NOCOLOR)

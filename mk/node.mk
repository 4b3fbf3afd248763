# Node.js binding: bindings-node/, npm package `refold-session` (napi-rs v3).
#   make test-node   pinned npm tools, addon, tsc --strict, node --test (all suites; store.test.js starts a redis-server)
#   fleet worker     node bindings-node/test/fleet-worker.js (conformance/fleet/driver.py runs it)
#   make demo-node   the server-side flow from Node against the emulator (upsert, mint, cache hit, delete, typed error)
#   make node-pack   dist/refold-session-<version>.tgz to `npm install` from this checkout
#   make generate / check-generated   also write / check bindings-node/native.d.ts (napi-rs's
#                    declarations of the addon's exports, from the last compile of src/) and
#                    options.generated.d.ts (codegen/emit_node_stubs.py, from `refold __describe`)
NODE_DIR := bindings-node
NODE_ADDON := $(NODE_DIR)/refold-session.linux-x64-gnu.node
NODE_DEPS_STAMP := $(NODE_DIR)/node_modules/.package-lock.json
NPM ?= npm
NODE ?= node

TEST_TARGETS += test-node
DEMO_TARGETS += demo-node

NODE_PACK_STAGE := $(CARGO_TARGET_DIR)/node-pack/refold-session
NODE_PACK_DEST := $(ROOT)/dist

.PHONY: test-node demo-node node-addon node-deps node-pack node-native-dts node-check-native-dts \
  node-option-stubs node-check-option-stubs

# napi-derive writes the addon's TypeScript declarations here whenever it compiles the binding
# (in any profile: they do not depend on it). Set for every build, so it never forces a rebuild.
export NAPI_TYPE_DEF_TMP_FOLDER := $(CARGO_TARGET_DIR)/napi-type-defs
NODE_NATIVE_DTS := $(NODE_DIR)/native.d.ts

generate: node-native-dts node-option-stubs
check-generated: node-check-native-dts node-check-option-stubs

node-native-dts: build node-deps
	cd $(NODE_DIR) && $(NODE) tools/native-dts.mjs $(NAPI_TYPE_DEF_TMP_FOLDER) native.d.ts

node-check-native-dts: build node-deps
	cd $(NODE_DIR) && $(NODE) tools/native-dts.mjs $(NAPI_TYPE_DEF_TMP_FOLDER) native.d.ts --check

# The options' and error codes' declarations (options.generated.d.ts) from `refold __describe`.
node-option-stubs: build
	cd $(ROOT) && REFOLD_BIN=$(REFOLD_BIN) $(CODEGEN_PYTHON) -m codegen.emit_node_stubs

node-check-option-stubs: build
	cd $(ROOT) && REFOLD_BIN=$(REFOLD_BIN) $(CODEGEN_PYTHON) -m codegen.emit_node_stubs --check

# Dev tools (@napi-rs/cli, typescript, @types/node), exactly as pinned in package-lock.json.
# npm writes node_modules/.package-lock.json, so this reruns only when the lock changes.
$(NODE_DEPS_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund
	touch $@

node-deps: $(NODE_DEPS_STAMP)

# The addon is the workspace's debug cdylib that `make build` already compiled (no second
# compile of the dependency tree for an explicit target triple, as `napi build` would do),
# copied without debug info to the file name the loader expects.
node-addon: build
	objcopy --strip-debug $(CARGO_TARGET_DIR)/debug/librefold_session_node.so $(NODE_ADDON).tmp \
	  || cp $(CARGO_TARGET_DIR)/debug/librefold_session_node.so $(NODE_ADDON).tmp
	mv -f $(NODE_ADDON).tmp $(NODE_ADDON)

test-node: node-addon node-deps redis-deps
	cd $(NODE_DIR) && ./node_modules/.bin/tsc -p tsconfig.json --noEmit --strict
	cd $(NODE_DIR) && REFOLD_BIN=$(REFOLD_BIN) $(NODE) --test --test-reporter=spec test/*.test.js

demo-node: node-addon
	REFOLD_BIN=$(REFOLD_BIN) bash scripts/with-emulator.sh --api-key demo-key --linked-account demo-user \
	  -- $(NODE) $(NODE_DIR)/examples/demo.js

# The package as users get it, installable today (nothing is published yet): a release addon
# without test hooks and the runtime files that package.json lists, staged apart from the
# working tree (whose addon is the test build) and packed by npm into dist/.
node-pack:
	$(CARGO) build --release --locked -p refold-session-node
	rm -rf $(NODE_PACK_STAGE)
	mkdir -p $(NODE_PACK_STAGE) $(NODE_PACK_DEST)
	cd $(NODE_DIR) && cp package.json $$($(NODE) -p "require('./package.json').files.filter((f) => !f.endsWith('.node')).join(' ')") $(NODE_PACK_STAGE)/
	objcopy --strip-debug $(CARGO_TARGET_DIR)/release/librefold_session_node.so $(NODE_PACK_STAGE)/refold-session.linux-x64-gnu.node
	cd $(NODE_PACK_STAGE) && $(NPM) pack --pack-destination $(NODE_PACK_DEST)

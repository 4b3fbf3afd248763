# Node.js binding: bindings-node/, npm package `refold-session` (napi-rs v3).
#   make test-node   pinned npm tools, addon, tsc --strict, node --test (all suites)
#   make demo-node   mint a token from Node against the emulator
NODE_DIR := bindings-node
NODE_ADDON := $(NODE_DIR)/refold-session.linux-x64-gnu.node
NODE_DEPS_STAMP := $(NODE_DIR)/node_modules/.package-lock.json
NPM ?= npm
NODE ?= node

TEST_TARGETS += test-node
DEMO_TARGETS += demo-node

.PHONY: test-node demo-node node-addon node-deps

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

test-node: node-addon node-deps
	cd $(NODE_DIR) && ./node_modules/.bin/tsc -p tsconfig.json --noEmit --strict
	cd $(NODE_DIR) && REFOLD_BIN=$(REFOLD_BIN) $(NODE) --test --test-reporter=spec test/*.test.js

demo-node: node-addon
	REFOLD_BIN=$(REFOLD_BIN) bash scripts/with-emulator.sh --api-key demo-key --linked-account demo-user \
	  -- $(NODE) $(NODE_DIR)/examples/demo.js

# The whole flow in a real browser (examples/): Express, FastAPI and Spring Boot backends hand a
# session token to one shared page (examples/web), whose front-end SDK (@cobaltio/cobalt-js,
# bundled by esbuild) calls the emulator with it. Each backend uses our package as users get it:
# the packed npm tarball (node-pack), the wheel (python-wheel), the Maven artifact
# (kotlin-install).
#   make test-web   Debian's Chromium + chromedriver (scripts/debian-pins.txt, installed by
#                   scripts/debian-packages.sh when missing; CHROMIUM_VERSION=... overrides), then
#                   examples/web/tests (pytest + Selenium): the flow once per backend
#   make demo-web   the Express example against a fresh emulator; prints the URL to open
# Build outputs (ignored): examples/*/node_modules, examples/*/.venv, examples/web/public/cobalt.js,
# examples/spring-boot/target, examples/express/vendor, examples/web/results (screenshots).

WEB_EXAMPLES := $(ROOT)/examples
WEB_DIR := $(WEB_EXAMPLES)/web
WEB_VENV := $(WEB_DIR)/.venv
WEB_PY := $(WEB_VENV)/bin/python
WEB_VENV_STAMP := $(WEB_VENV)/.requirements-test.stamp
WEB_NPM_STAMP := $(WEB_DIR)/node_modules/.package-lock.json
WEB_SDK := $(WEB_DIR)/public/cobalt.js
EXPRESS_DIR := $(WEB_EXAMPLES)/express
EXPRESS_NPM_STAMP := $(EXPRESS_DIR)/node_modules/.package-lock.json
FASTAPI_DIR := $(WEB_EXAMPLES)/fastapi
FASTAPI_VENV_STAMP := $(FASTAPI_DIR)/.venv/.requirements.stamp
SPRING_DIR := $(WEB_EXAMPLES)/spring-boot
# node-pack's output: dist/refold-session-<version>.tgz.
NODE_TGZ = $(ROOT)/dist/refold-session-$(shell $(NODE) -p "require('$(ROOT)/bindings-node/package.json').version").tgz
PYTHON ?= python3
NPM ?= npm
NODE ?= node
MVN ?= mvn

TEST_TARGETS += test-web
DEMO_TARGETS += demo-web

.PHONY: test-web demo-web web-chromium web-sdk web-venv express-deps fastapi-deps spring-boot-jar

# The browser and its WebDriver at one version; the installed versions go to the test log.
web-chromium:
	@$(DEBIAN_PACKAGES) install chromium chromium-common chromium-driver fonts-dejavu-core

# esbuild and the front-end SDK, exactly as pinned in package-lock.json; the bundle is rebuilt
# when they change.
$(WEB_NPM_STAMP): $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && $(NPM) ci --no-audit --no-fund
	touch $@

$(WEB_SDK): $(WEB_NPM_STAMP)
	cd $(WEB_DIR) && $(NPM) run -s build

web-sdk: $(WEB_SDK)

$(WEB_VENV_STAMP): $(WEB_DIR)/requirements-test.txt
	@test -x $(WEB_PY) || $(PYTHON) -m venv $(WEB_VENV)
	$(WEB_PY) -m pip install --disable-pip-version-check -q -r $<
	@touch $@

web-venv: $(WEB_VENV_STAMP)

# Express: third-party packages from package-lock.json, then refold-session from the packed
# tarball (not listed in package.json until it is on npm; --no-save keeps both files as they are).
$(EXPRESS_NPM_STAMP): $(EXPRESS_DIR)/package.json $(EXPRESS_DIR)/package-lock.json
	cd $(EXPRESS_DIR) && $(NPM) ci --no-audit --no-fund
	touch $@

express-deps: node-pack $(EXPRESS_NPM_STAMP)
	cd $(EXPRESS_DIR) && $(NPM) install --no-save --no-audit --no-fund $(NODE_TGZ)

# FastAPI: the pinned requirements, then the wheel built by python-wheel.
$(FASTAPI_VENV_STAMP): $(FASTAPI_DIR)/requirements.txt
	@test -x $(FASTAPI_DIR)/.venv/bin/python || $(PYTHON) -m venv $(FASTAPI_DIR)/.venv
	$(FASTAPI_DIR)/.venv/bin/pip install --disable-pip-version-check -q -r $<
	@touch $@

fastapi-deps: python-wheel $(FASTAPI_VENV_STAMP)
	$(FASTAPI_DIR)/.venv/bin/pip install --disable-pip-version-check -q --force-reinstall --no-deps \
	  $(ROOT)/bindings-python/dist/refold_session-*.whl

# Spring Boot: one runnable jar, against ai.refold:refold-session from the local repository.
spring-boot-jar: kotlin-install
	cd $(SPRING_DIR) && $(MVN) -B -ntp -q -Dstyle.color=never package 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'

test-web: build web-chromium web-sdk web-venv express-deps fastapi-deps spring-boot-jar
	cd $(ROOT) && SE_OFFLINE=true REFOLD_BIN=$(REFOLD_BIN) \
	  $(WEB_PY) -m pytest -p no:cacheprovider -q -s examples/web/tests

demo-web: build web-sdk express-deps
	@REFOLD_BIN=$(REFOLD_BIN) bash $(ROOT)/scripts/demo-web.sh

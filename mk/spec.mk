# Refold's API description (conformance/openapi/README.md): the trimmed copy of openapi.yaml, the
# documented examples, the overlay, and schemathesis against the emulator.
#   make test-spec        the overlay check (every operationId of the spec once, derived members as
#                         the spec says, the official SDK's calls as its source has them when the
#                         SDK mirror is there), the committed copy against a regeneration when the
#                         docs mirror is there, then schemathesis (pinned) on all 102 operations against
#                         a fresh emulator (conformance/openapi/quirks.md lists what it tolerates)
#   make spec-regenerate  rewrites refold-openapi.json, examples.json and the overlay's derived
#                         members from the docs mirror's HEAD (REFOLD_DOCS_MIRROR)
#   make test-spec SPEC_EXAMPLES=200 SPEC_SEED=7   more cases, another seed
# Build outputs (ignored): conformance/openapi/.venv, .venv-schemathesis, target/spec/.

SPEC_DIR := $(ROOT)/conformance/openapi
SPEC_VENV := $(SPEC_DIR)/.venv
SPEC_PY := $(SPEC_VENV)/bin/python
SPEC_STAMP := $(SPEC_VENV)/.requirements.stamp
SCHEMATHESIS_VENV := $(SPEC_DIR)/.venv-schemathesis
SCHEMATHESIS_PY := $(SCHEMATHESIS_VENV)/bin/python
SCHEMATHESIS_STAMP := $(SCHEMATHESIS_VENV)/.requirements.stamp
REFOLD_DOCS_MIRROR ?= /work/.mirror/gocobalt+mintlify-docs/repo
REFOLD_SDK_MIRROR ?= /work/.mirror/gocobalt+cobalt-sdk/repo
PYTHON ?= python3
# Empty: schemathesis.toml's max-examples and seed.
SPEC_EXAMPLES ?=
SPEC_SEED ?=

TEST_TARGETS += test-spec

.PHONY: test-spec spec-check spec-regenerate

$(SPEC_STAMP): $(SPEC_DIR)/requirements.txt
	@test -x $(SPEC_PY) || $(PYTHON) -m venv $(SPEC_VENV)
	$(SPEC_PY) -m pip install --disable-pip-version-check -q -r $<
	@touch $@

$(SCHEMATHESIS_STAMP): $(SPEC_DIR)/requirements-schemathesis.txt
	@test -x $(SCHEMATHESIS_PY) || $(PYTHON) -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_PY) -m pip install --disable-pip-version-check -q -r $<
	@touch $@

spec-check: $(SPEC_STAMP)
	$(SPEC_PY) scripts/check-overlay.py $(if $(wildcard $(REFOLD_SDK_MIRROR)),--sdk-repo $(REFOLD_SDK_MIRROR))
	$(SPEC_PY) scripts/trim-openapi.py --check --mirror $(REFOLD_DOCS_MIRROR) --rev recorded

spec-regenerate:
	bash $(SPEC_DIR)/regenerate.sh $(REFOLD_DOCS_MIRROR)

test-spec: build spec-check $(SCHEMATHESIS_STAMP)
	$(SCHEMATHESIS_PY) scripts/spec-test.py --refold $(REFOLD_BIN) \
	  $(if $(SPEC_EXAMPLES),--max-examples $(SPEC_EXAMPLES)) $(if $(SPEC_SEED),--seed $(SPEC_SEED))

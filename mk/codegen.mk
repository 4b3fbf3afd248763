# The code generator (codegen/, Python standard library only): Refold's API description
# (conformance/openapi/refold-openapi.json) + our corrections (codegen/spec-patches.json) + the
# overlay (conformance/openapi/overlay.json) → the operation table and typed models in every
# language (codegen/README.md lists the files).
#   make generate          rewrite every generated file
#   make check-generated   the generator's own tests, then a fresh generation into a temporary
#                          directory: fails with a diff when a committed generated file differs
#                          (part of `make test`; needs rustfmt, which the Rust toolchain has);
#                          the same for conformance/cases.json's documented cases and
#                          conformance/operations.json (scripts/operation-cases.py)
#   make api-examples DOCS=<git dir of gocobalt/mintlify-docs>
#                          refresh core/tests/fixtures/api-examples.json, the documented examples
#                          that the core's models test reads

CODEGEN_PYTHON ?= python3

TEST_TARGETS += check-generated

.PHONY: generate check-generated api-examples

generate:
	cd $(ROOT) && $(CODEGEN_PYTHON) -m codegen generate
	cd $(ROOT) && $(CODEGEN_PYTHON) scripts/documented-cases.py generate
	cd $(ROOT) && $(CODEGEN_PYTHON) scripts/operation-cases.py generate

check-generated:
	cd $(ROOT) && $(CODEGEN_PYTHON) -m unittest discover -s codegen/tests -t .
	cd $(ROOT) && $(CODEGEN_PYTHON) -m codegen check
	cd $(ROOT) && $(CODEGEN_PYTHON) scripts/documented-cases.py check
	cd $(ROOT) && $(CODEGEN_PYTHON) scripts/operation-cases.py check

api-examples:
	@test -n "$(DOCS)" || { echo "usage: make api-examples DOCS=<git dir of gocobalt/mintlify-docs>" >&2; exit 2; }
	cd $(ROOT) && $(CODEGEN_PYTHON) -m codegen examples --docs $(DOCS)

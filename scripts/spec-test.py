#!/usr/bin/env python3
"""schemathesis against a fresh emulator, on every operation of Refold's API description, with
the quirks of the description that conformance/openapi/quirks.md accepts (make test-spec).

  spec-test.py --refold target/debug/refold [--max-examples N] [--seed N] [--out DIR]

1. Writes DIR/refold-emulated.json: conformance/openapi/refold-openapi.json with
   codegen/spec-patches.json and the documented changes of quirks.md applied.
2. Starts `refold emulator` on a free loopback port (its rate limit off when it has one) with one
   API key and any linked account id accepted, so that a case deleting the run's account does
   not change what the next case gets.
3. Runs schemathesis (conformance/openapi/schemathesis.toml; auth from
   conformance/openapi/schemathesis_hooks.py: the API key and the run's linked account, or a
   session token minted for each Bearer-only case) and exits with its status.
Run it with the Python of the venv of conformance/openapi/requirements-schemathesis.txt.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "conformance" / "openapi"
PATCHES = ROOT / "codegen" / "spec-patches.json"
EXAMPLES = ROOT / "core" / "tests" / "fixtures" / "api-examples.json"

API_KEY = "sk_schemathesis_DISTINCTIVE_51d3"
LINKED_ACCOUNT = "acct-schemathesis"
# Statuses every operation may answer with the error body, whatever its page shows (Q2): a
# malformed request, a missing or wrong credential, and an unknown resource or a missing linked
# account (the MCP servers page documents that 404).
API_WIDE_ERRORS = (400, 401, 404)
# Q2: statuses the emulator answers beyond those, where a page documents them for a sibling
# operation: a session token outside its linked account's scope (variable values).
EXTRA_ERRORS = {"Environment Variables": (403,)}
# The error bodies the pages show (Q2): {status_code, http_error_type, error | error_code,
# message}, and the service-level shapes of the datastore, execute and auth-structure pages
# ({message, error} / {error, message}).
ERROR_BODY = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "status_code": {"type": "integer"},
        "http_error_type": {"type": "string"},
        "error": {"type": "string"},
        "error_code": {"type": "string"},
        "message": {"type": "string"},
    },
    "anyOf": [{"required": ["error"]}, {"required": ["error_code"]}],
}
# The bounds docs/contract.md gives page and limit, which the spec leaves open (Q3).
PAGE_BOUNDS = {"page": {"minimum": 1, "maximum": 1_000_000_000}, "limit": {"minimum": 1, "maximum": 100}}
# Q4: how the operations lead to each other, as the pages say: a linked account is named in the
# path by its `account_id` (schemathesis would guess its `_id`).
ACCOUNT_ID = "$response.body#/account_id"
LINKS = {
    "GetLinkedAccount": {"operationId": "getLinkedAccountById", "parameters": {"linked_account_id": ACCOUNT_ID}},
    "DeleteLinkedAccount": {"operationId": "deleteLinkedAccount", "parameters": {"linked_account_id": ACCOUNT_ID}},
    "GenerateSessionToken": {"operationId": "generateSessionTokenForLinkedAccount", "requestBody": {"linked_account_id": ACCOUNT_ID}},
}
LINKS_FROM = {"createLinkedAccount": LINKS, "upsertLinkedAccount": LINKS, "getLinkedAccountById": LINKS}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def walk(node: Any) -> Iterator[Dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def operations(spec: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    for item in spec["paths"].values():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield op


def apply_patches(spec: Dict[str, Any]) -> List[str]:
    """Q7: codegen/spec-patches.json, our corrections where Refold's documented examples show
    another shape than the schema."""
    applied = []
    for patch in json.loads(PATCHES.read_text(encoding="utf-8"))["patches"]:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in patch["pointer"].split("/")[1:]]
        node = spec
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = copy.deepcopy(patch["schema"])
        applied.append(patch["pointer"])
    return applied


def restricted_spec(spec: Dict[str, Any], examples: Dict[str, Any]) -> Dict[str, Any]:
    spec = copy.deepcopy(spec)
    apply_patches(spec)

    # Q1: `nullable` (OpenAPI 3.0) means "or null" in this 3.1 document.
    for node in walk(spec):
        if node.pop("nullable", False) is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]

    # Q8: the linked account is part of authentication (the hooks send the run's account with the
    # key); its header and query parameters leave the cut spec.
    shared = spec["components"]["parameters"]
    for op in operations(spec):
        kept = []
        for parameter in op.get("parameters", []):
            resolved = shared[parameter["$ref"].split("/")[-1]] if "$ref" in parameter else parameter
            if resolved.get("name") == "linked_account_id" and resolved.get("in") in ("header", "query"):
                continue
            kept.append(parameter)
        op["parameters"] = kept

    # Q2: the error statuses the pages document, and the API-wide ones, with the pages' bodies.
    spec["components"]["schemas"]["ErrorResponse"] = ERROR_BODY
    documented: Dict[str, Set[int]] = {}
    for example in examples["examples"]:
        if isinstance(example.get("status"), int) and example["status"] >= 400 and example.get("operation"):
            documented.setdefault(example["operation"], set()).add(example["status"])
    for op in operations(spec):
        statuses = documented.get(op["operationId"], set()) | set(API_WIDE_ERRORS)
        statuses |= set(EXTRA_ERRORS.get(op["tags"][0], ()))
        for status in sorted(statuses):
            op["responses"].setdefault(
                str(status),
                {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
            )

    # Q3: page and limit bounds, wherever a list takes them.
    for parameter in list(shared.values()) + [p for op in operations(spec) for p in op.get("parameters", [])]:
        if parameter.get("in") == "query" and parameter.get("name") in PAGE_BOUNDS and parameter.get("schema", {}).get("type") == "integer":
            parameter["schema"].update(PAGE_BOUNDS[parameter["name"]])

    # Q6: a linked account's `integrations` may be null, as the create page's example shows.
    integrations = spec["components"]["schemas"]["LinkedAccount"]["properties"]["integrations"]
    integrations["type"] = ["array", "null"]

    # Q4: links between the operations.
    for op in operations(spec):
        if op["operationId"] in LINKS_FROM:
            op["responses"]["200"]["links"] = copy.deepcopy(LINKS_FROM[op["operationId"]])
    spec["x-restricted-by"] = "scripts/spec-test.py (conformance/openapi/quirks.md)"
    return spec


def emulator_flags(refold: Path) -> List[str]:
    """The rate limit off, for emulators that have one (an emulator answering 429 to a test
    burst tests the limiter, not the API)."""
    usage = subprocess.run([str(refold), "emulator", "--help"], check=True, capture_output=True, text=True).stdout
    return ["--rate-limit", "off"] if "--rate-limit" in usage else []


class Emulator:
    def __init__(self, refold: Path) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")
        flags = emulator_flags(refold)
        self.process = subprocess.Popen(
            [str(refold), "emulator", "--addr", "127.0.0.1:0", "--api-key", API_KEY, "--linked-account", LINKED_ACCOUNT, "--any-linked-account", *flags],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.flags = flags
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.log.seek(0)
            for line in self.log:
                if line.startswith("listening on "):
                    self.url = line.split("listening on ", 1)[1].strip()
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        self.log.seek(0)
        raise SystemExit(f"spec-test: the emulator did not start:\n{self.log.read()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refold", type=Path, required=True, help="the refold binary")
    parser.add_argument("--max-examples", type=int, default=None, help="per operation (default: schemathesis.toml's)")
    parser.add_argument("--seed", type=int, default=None, help="default: schemathesis.toml's")
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "spec", help="working directory (reports, the cut spec)")
    parser.add_argument("schemathesis_args", nargs="*", help="more arguments for `schemathesis run` (after --)")
    args = parser.parse_args()
    args.out = args.out.resolve()

    spec = json.loads((SPEC_DIR / "refold-openapi.json").read_text(encoding="utf-8"))
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    cut = args.out / "refold-emulated.json"
    cut.write_text(json.dumps(restricted_spec(spec, examples), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    emulator = Emulator(args.refold.resolve())
    try:
        count = sum(1 for _ in operations(spec))
        print(f"spec-test: {count} operations against {emulator.url} (emulator flags: {' '.join(emulator.flags) or 'none'})", flush=True)
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--no-color",
            "--config-file",
            str(SPEC_DIR / "schemathesis.toml"),
            "run",
            str(cut),
            "--url",
            emulator.url,
            "--report",
            "junit,ndjson",
            "--report-dir",
            str(args.out / "report"),
        ]
        if args.max_examples is not None:
            command += ["--max-examples", str(args.max_examples)]
        if args.seed is not None:
            command += ["--seed", str(args.seed)]
        command += args.schemathesis_args
        environment = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": str(SPEC_DIR / "schemathesis_hooks.py"),
            "REFOLD_SPEC_TEST_URL": emulator.url,
            "REFOLD_SPEC_TEST_API_KEY": API_KEY,
            "REFOLD_SPEC_TEST_LINKED_ACCOUNT": LINKED_ACCOUNT,
            "REFOLD_SPEC_TEST_SPEC": str(cut),
        }
        return subprocess.run(command, cwd=args.out, env=environment).returncode
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())

"""The documented examples fixture (core/tests/fixtures/api-examples.json): every JSON example
of the API description (schemas, properties, request and response bodies) and of the
reference pages of Refold's documentation (`<ResponseExample>` bodies by status, and the JSON
bodies of the `<RequestExample>` curl commands), each with the model it documents. The core's
examples test reads each one into its model and back (core/src/api/tests.rs).

The documentation is not in this repository: refreshing the fixture needs a checkout of
gocobalt/mintlify-docs (`--docs`, a git directory read with `git show`)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from .ir import IR
from .spec import SpecError

FIXTURE = "core/tests/fixtures/api-examples.json"
DOCS_FOLDER = "v3/api-reference"

_OPENAPI_LINE = re.compile(r"^openapi:\s*['\"]?(?:\S+\.ya?ml\s+)?([A-Za-z]+)\s+(/[^'\"\s]*)", re.MULTILINE)
_BLOCK = {"response": re.compile(r"<ResponseExample>(.*?)</ResponseExample>", re.DOTALL),
          "request": re.compile(r"<RequestExample>(.*?)</RequestExample>", re.DOTALL)}
_FENCE = re.compile(r"```([^\n]*)\n(.*?)```", re.DOTALL)
_CURL_DATA = re.compile(r"(?:-d|--data(?:-raw)?)\s+'(.*?)'(?=\s*(?:\\\n|$))", re.DOTALL)


def _git(docs: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(docs), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SpecError(f"git {' '.join(args)} in {docs}: {result.stderr.strip()}")
    return result.stdout


def spec_examples(representation: IR) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for model in representation.emitted_models():
        for value in model.examples:
            found.append({"source": f"openapi {model.origin}", "model": model.name, "value": value})
    for op in representation.operations:
        for value in op.request_examples:
            found.append({"source": f"openapi {op.id} request", "operation": op.id, "request": True, "value": value})
        for status, value in op.response_examples:
            found.append({"source": f"openapi {op.id} response {status}", "operation": op.id,
                          "status": status, "value": value})
    return found


def docs_examples(representation: IR, docs: Path) -> tuple[list[dict[str, Any]], str, list[str]]:
    """Examples of the reference pages, the docs commit, and what could not be used."""
    commit = _git(docs, "rev-parse", "HEAD").strip()
    by_route = {(op.method, op.path): op for op in representation.operations}
    pages = [p for p in _git(docs, "ls-tree", "-r", "--name-only", "HEAD", DOCS_FOLDER).split()
             if p.endswith(".mdx")]
    found: list[dict[str, Any]] = []
    skipped: list[str] = []
    for page in sorted(pages):
        text = _git(docs, "show", f"HEAD:{page}")
        route = _OPENAPI_LINE.search(text)
        if route is None:
            continue
        op = by_route.get((route.group(1).upper(), route.group(2)))
        if op is None:
            skipped.append(f"{page}: no operation {route.group(1)} {route.group(2)}")
            continue
        for block in _BLOCK["response"].findall(text):
            for info, body in _FENCE.findall(block):
                status = next((int(w) for w in info.split() if w.isdigit()), None)
                if status is None:
                    skipped.append(f"{page}: response example without a status ({info.strip()})")
                    continue
                entry: dict[str, Any] = {"source": f"docs {page}", "operation": op.id, "status": status}
                if not body.strip():
                    entry["empty"] = True
                else:
                    try:
                        entry["value"] = json.loads(body)
                    except ValueError:
                        skipped.append(f"{page}: {status} example is not JSON")
                        continue
                found.append(entry)
        for block in _BLOCK["request"].findall(text):
            for _, body in _FENCE.findall(block):
                for data in _CURL_DATA.findall(body):
                    try:
                        value = json.loads(data)
                    except ValueError:
                        skipped.append(f"{page}: request body is not JSON")
                        continue
                    found.append({"source": f"docs {page} request", "operation": op.id, "request": True,
                                  "value": value})
    return found, commit, skipped


def write_fixture(representation: IR, spec_label: str, docs: Path, out: Path) -> int:
    from_spec = spec_examples(representation)
    from_docs, commit, skipped = docs_examples(representation, docs)
    fixture = {
        "about": (f"Documented JSON examples: {spec_label}'s and those of gocobalt/mintlify-docs "
                  f"{commit} {DOCS_FOLDER}/*.mdx; written by `python3 -m codegen examples` "
                  "(codegen/examples.py), read by core/src/api/tests.rs."),
        "not_used": skipped,
        "examples": from_spec + from_docs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(fixture["examples"])

"""The example call of each operation, shared by the reference pages (emit_docs.py) and the
cross-language smoke cases (scripts/operation-cases.py): its required parameters, each with the
description's example or a readable placeholder, and its first documented request body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .ir import IR, Operation, Param

# The documented examples (codegen/examples.py writes them); request bodies come from here
# when the description has none of its own.
EXAMPLES_FIXTURE = "core/tests/fixtures/api-examples.json"


def documented_bodies(root: Path) -> dict[str, list[Any]]:
    """Each operation's documented request bodies (the reference pages' curl examples)."""
    path = root / EXAMPLES_FIXTURE
    if not path.exists():
        return {}
    found: dict[str, list[Any]] = {}
    for example in json.loads(path.read_text(encoding="utf-8"))["examples"]:
        if example.get("request") and example.get("operation"):
            found.setdefault(example["operation"], []).append(example["value"])
    return found


def param_value(param: Param) -> Any:
    """A parameter's example value: the description's, else a placeholder of its kind."""
    if param.examples:
        return param.examples[0]
    if param.kind == "integer":
        return 1
    if param.kind == "number":
        return 1.5
    if param.kind == "boolean":
        return True
    if param.kind == "enum":
        return param.values[0]
    return "my-" + param.key.replace("_", "-").lower()


def params(op: Operation) -> dict[str, Any]:
    """The required parameters by key, in declaration order."""
    return {p.key: param_value(p) for p in op.params if p.required}


def body(op: Operation, documented: dict[str, list[Any]]) -> Any:
    """The first documented request body, or None (also for an operation that takes none)."""
    if op.body_kind == "none":
        return None
    found = op.request_examples or documented.get(op.id) or [None]
    return found[0]


def all_calls(ir: IR, root: Path) -> dict[str, tuple[dict[str, Any], Any]]:
    documented = documented_bodies(root)
    return {op.id: (params(op), body(op, documented)) for op in ir.operations}

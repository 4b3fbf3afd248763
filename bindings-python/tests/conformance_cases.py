"""Reads conformance/cases.json: checked against conformance/cases.schema.json, then every
absent member that has a `default` in the schema gets it (as every language's runner does)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict

import jsonschema  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "conformance" / "cases.schema.json"


class CasesFileError(Exception):
    """The cases file is not what conformance/cases.schema.json describes."""


def load(path: Path) -> Dict[str, Any]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise CasesFileError(f"{path} is not JSON: {error}") from None
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(document), key=lambda error: [str(p) for p in error.absolute_path])
    if problems:
        lines = [f"  {pointer(document, list(error.absolute_path))}: {error.message}" for error in problems]
        raise CasesFileError(f"{path} does not match {SCHEMA_PATH.name} ({len(problems)} problems):\n" + "\n".join(lines))
    apply_defaults(schema, schema, document)
    return document  # type: ignore[no-any-return]


def pointer(document: Any, path: list[Any]) -> str:
    """The JSON pointer of a problem, with the name of the case it is in."""
    text = "/" + "/".join(str(part) for part in path)
    if len(path) >= 2 and path[0] == "cases" and isinstance(path[1], int):
        name = document["cases"][path[1]].get("name") if isinstance(document["cases"][path[1]], dict) else None
        if isinstance(name, str):
            text += f" (case {name})"
    return text


def apply_defaults(schema: Dict[str, Any], node: Dict[str, Any], value: Any) -> None:
    """Fills in the `default` of every absent member of `value` along `properties`/`items`."""
    while "$ref" in node and not node.get("properties"):
        node = resolve(schema, node["$ref"])
    if isinstance(value, dict):
        for name, member in node.get("properties", {}).items():
            if name in value:
                apply_defaults(schema, member, value[name])
            elif "default" in member:
                value[name] = copy.deepcopy(member["default"])
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            apply_defaults(schema, node["items"], item)


def resolve(schema: Dict[str, Any], ref: str) -> Dict[str, Any]:
    assert ref.startswith("#/"), ref
    node: Any = schema
    for part in ref[2:].split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]

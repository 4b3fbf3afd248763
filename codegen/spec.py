"""Reads the inputs: Refold's OpenAPI description (JSON) and our overlay, and follows the
description's local `$ref`s. Prose fields (summary, description) may be present or absent;
nothing here reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class SpecError(Exception):
    """The inputs cannot be turned into the IR (a broken `$ref`, an unknown content type, an
    overlay entry for an operation that does not exist…)."""


def load_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise SpecError(f"{path}: {error}") from error


class Spec:
    """An OpenAPI document with `$ref` resolution (local `#/...` pointers only)."""

    def __init__(self, document: Any) -> None:
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            raise SpecError("not an OpenAPI document: no `paths` object")
        self.document = document

    @property
    def schemas(self) -> dict[str, Any]:
        return self.document.get("components", {}).get("schemas", {}) or {}

    @property
    def security_schemes(self) -> dict[str, Any]:
        return self.document.get("components", {}).get("securitySchemes", {}) or {}

    def pointer(self, ref: str) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SpecError(f"unsupported $ref {ref!r} (only local `#/...` pointers)")
        node: Any = self.document
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SpecError(f"unresolvable $ref {ref!r}")
        return node

    def resolve(self, node: Any) -> Any:
        """`node` with `$ref`s followed until a node without one (a cycle is an error)."""
        seen: list[str] = []
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"$ref cycle: {' -> '.join(seen + [ref])}")
            seen.append(ref)
            node = self.pointer(ref)
        return node


def component_schema_name(ref: str) -> str | None:
    """`#/components/schemas/LinkedAccount` → `LinkedAccount`; other pointers → None."""
    prefix = "#/components/schemas/"
    if isinstance(ref, str) and ref.startswith(prefix) and "/" not in ref[len(prefix):]:
        return ref[len(prefix):].replace("~1", "/").replace("~0", "~")
    return None


def apply_patches(document: Any, patches: Any) -> list[str]:
    """Replaces (or adds) the nodes named by each patch's JSON pointer with its `schema`: our
    corrections of the description where Refold's own documented examples show other shapes
    (codegen/spec-patches.json). Returns one line per patch for the generator's notes."""
    if not isinstance(patches, dict) or not isinstance(patches.get("patches"), list):
        raise SpecError("spec patches: expected {\"patches\": [{\"pointer\", \"schema\", \"because\"}]}")
    notes = []
    for patch in patches["patches"]:
        pointer = patch.get("pointer") if isinstance(patch, dict) else None
        if not isinstance(pointer, str) or not pointer.startswith("/") or "schema" not in patch:
            raise SpecError(f"spec patches: bad patch {patch!r}")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]
        parent: Any = document
        for part in parts[:-1]:
            if not isinstance(parent, dict) or part not in parent:
                raise SpecError(f"spec patches: {pointer}: no such node in the description")
            parent = parent[part]
        if not isinstance(parent, dict):
            raise SpecError(f"spec patches: {pointer}: the parent is not an object")
        verb = "replaced" if parts[-1] in parent else "added"
        parent[parts[-1]] = patch["schema"]
        notes.append(f"patched {pointer} ({verb}): {patch.get('because', '')}")
    return notes

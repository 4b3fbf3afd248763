"""The official Node SDK's calls as the emitters of each language read them
(conformance/openapi/overlay.json → `official_sdk.calls`): each call's arguments (from its
signature), and per route the operation it calls and where each argument goes there. A call
whose route today's API does not have is carried out by core's operation `official.<name>`
(`core_call`, docs/contract.md §17): its routes name no operation, and its arguments go to
that operation's `webhook_id` parameter and body."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ir import IR, Operation

OVERLAY = "conformance/openapi/overlay.json"
_WHEN = re.compile(r"^payload\.([a-z_]+) is (set|absent|absent or empty)$")


@dataclass
class Arg:
    """One argument of the call. kind: string, boolean, any, object (the SDK's payload, sent
    whole), options (`{page?, limit?}`: its members are read one by one)."""
    name: str
    optional: bool
    kind: str
    members: list[tuple[str, bool]] = field(default_factory=list)
    extra: bool = False


@dataclass
class Target:
    """Where one value goes: `body`, `linked_account` (the header), or `param` (by the
    operation's declared key). source: (argument, member or None); text: a boolean written
    as "true" / "false"."""
    place: str
    source: tuple[str, str | None]
    key: str | None = None
    text: bool = False


@dataclass
class Route:
    operation_id: str
    op: Operation | None
    targets: list[Target]
    # (payload member, "set" | "absent") when the call has several routes.
    when: tuple[str, str] | None = None


@dataclass
class Call:
    name: str
    signature: str
    note: str | None
    args: list[Arg]
    routes: list[Route]
    core_call: str | None
    sdk_route: str

    @property
    def retired(self) -> bool:
        return self.core_call is not None


def load(ir: IR, root: Path) -> list[Call]:
    path = root / OVERLAY
    if not path.exists():
        return []
    calls: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get("official_sdk", {}).get("calls", {})
    return [_call(name, entry, ir) for name, entry in sorted(calls.items())]


def _split(inner: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in inner + ",":
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        if char == "," and depth == 0:
            if current.strip():
                parts.append(current.strip())
            current = ""
        else:
            current += char
    return parts


def _args(signature: str, extras: list[str]) -> list[Arg]:
    inner = signature[signature.index("(") + 1: signature.rindex(")")]
    out = [Arg(name, True, "string", extra=True) for name in extras]
    for part in _split(inner):
        name, _, kind = part.partition(":")
        name, kind = name.strip(), kind.strip()
        optional = name.endswith("?")
        name = name.rstrip("?")
        if kind.startswith("{"):
            members = [(m.strip().rstrip("?"), m.strip().endswith("?")) for m in _split(kind.strip("{}"))]
            out.append(Arg(name, optional, "options" if name == "options" else "object", members))
        elif kind in ("string", "boolean"):
            out.append(Arg(name, optional, kind))
        else:
            out.append(Arg(name, optional, "any"))
    return out


def _call(name: str, entry: dict[str, Any], ir: IR) -> Call:
    mappings: list[dict[str, Any]] = entry.get("arguments", [])
    args = _args(entry["signature"], [m["from"] for m in mappings if m.get("extra")])
    names = {arg.name for arg in args}
    core_call = entry.get("core_call")
    routes: list[Route] = []
    for route in entry["routes"]:
        op = ir.operation(route["operationId"]) if route.get("operationId") else None
        if op is None and core_call is None:
            raise ValueError(f"official call {name}: a route without an operation needs core_call")
        targets: list[Target] = []
        for mapping in mappings:
            head, _, member = mapping["from"].partition(".")
            if head not in names:
                raise ValueError(f"official call {name}: {mapping['from']} names no argument")
            source = (head, member or None)
            text = mapping.get("as") == '"true" or "false"'
            to = mapping["to"]
            place, _, wire = to.partition(".")
            if to == "body":
                if op is None or op.body_kind != "none":
                    targets.append(Target("body", source))
            elif to == "header.linked_account_id" and op is not None:
                targets.append(Target("linked_account", source))
            elif op is None:
                targets.append(Target("param", source, key=wire, text=text))
            else:
                param = next((p for p in op.params if p.name == wire and p.location == place), None)
                if param is not None:
                    targets.append(Target("param", source, key=param.key, text=text))
        when = None
        if route.get("when"):
            match = _WHEN.match(route["when"])
            if match is None:
                raise ValueError(f"official call {name}: condition {route['when']!r} not understood")
            when = (match.group(1), "set" if match.group(2) == "set" else "absent")
        routes.append(Route(op.id if op is not None else core_call, op, targets, when))
    # The unconditional (or "absent") route last: it is the fallback.
    routes.sort(key=lambda r: r.when is None or r.when[1] == "absent")
    if any(r.when is None or r.when[1] == "absent" for r in routes[:-1]):
        raise ValueError(f"official call {name}: more than one fallback route")
    return Call(name, entry["signature"], entry.get("note"), args, routes, core_call,
                entry["routes"][0]["sdk_route"])


def route_doc(route: Route) -> str:
    """`METHOD /path` (`operationId`) of a route (core's operation for a retired call)."""
    if route.op is None:
        return f"core's `{route.operation_id}`"
    return f"`{route.op.method} {route.op.path}` (`{route.op.id}`)"

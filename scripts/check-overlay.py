#!/usr/bin/env python3
"""Checks conformance/openapi/overlay.json against the trimmed spec beside it.

  check-overlay.py                  fails (exit 1) listing every problem
  check-overlay.py --fix            rewrites the derived members (tag, method, path,
                                    linked_account_id, pagination, official_sdk, spec_route,
                                    status; a missing name) from the spec, then checks
  check-overlay.py --sdk-repo DIR   also compares official_sdk.calls with the official SDK's
                                    src/Apis/index.ts in that git clone (bare or not)

The hand-written members (name, retry, why, the official calls' routes and arguments) are
checked for form; the derived ones must equal what the spec says.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "conformance" / "openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
USUAL_RETRY = {"GET": "idempotent", "PUT": "idempotent", "DELETE": "idempotent", "POST": "unsent_only", "PATCH": "unsent_only"}


class Spec:
    def __init__(self, document: Dict[str, Any]) -> None:
        self.document = document
        self.operations: Dict[str, Tuple[str, str, Dict[str, Any]]] = {
            op["operationId"]: (method.upper(), path, op)
            for path, item in document["paths"].items()
            for method, op in item.items()
            if method in HTTP_METHODS
        }

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            _, section, name = node["$ref"].rsplit("/", 2)
            node = self.document["components"][section][name]
        return node

    def members(self, schema: Any) -> Dict[str, Any]:
        """The properties of an object schema, through $ref and allOf."""
        schema = self.resolve(schema)
        found: Dict[str, Any] = {}
        for part in schema.get("allOf", []):
            found.update(self.members(part))
        found.update(schema.get("properties", {}))
        return found

    def linked_account_id(self, op: Dict[str, Any]) -> Dict[str, bool]:
        places = {"header": False, "query": False, "path": False, "body": False}
        for parameter in op.get("parameters", []):
            parameter = self.resolve(parameter)
            if parameter["name"] == "linked_account_id":
                places[parameter["in"]] = True
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body is not None and "linked_account_id" in self.members(body):
            places["body"] = True
        return places

    def pagination(self, op: Dict[str, Any]) -> Dict[str, Any]:
        query = {self.resolve(p)["name"] for p in op.get("parameters", []) if self.resolve(p)["in"] == "query"}
        schema = next(
            (
                response.get("content", {}).get("application/json", {}).get("schema")
                for code, response in sorted(op.get("responses", {}).items())
                if code.startswith("2")
            ),
            None,
        )
        members = self.members(schema) if schema else {}
        items = [name for name in ("docs", "rows") if self.resolve(members.get(name, {})).get("type") == "array"]
        if not ({"page", "limit"} <= query and items and "hasNextPage" in members and "totalDocs" in members):
            return {"kind": "none"}
        return {
            "kind": "page",
            "page_param": "page",
            "limit_param": "limit",
            "items": items[0],
            "total": "totalDocs",
            "has_next": "hasNextPage",
            "next_page": "nextPage" if "nextPage" in members else None,
        }


def snake(operation_id: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", operation_id).lower()


def shape(route: str) -> str:
    """A route with its parameter names and a trailing slash left out."""
    method, path = route.split(" ", 1)
    path = re.sub(r"\{[^}]*\}", "{}", path)
    return f"{method} {path.rstrip('/') or '/'}"


def derive(spec: Spec, overlay: Dict[str, Any]) -> None:
    """Writes every derived member into `overlay`."""
    calls = overlay["official_sdk"]["calls"]
    reaching: Dict[str, Set[str]] = {}
    for sdk_name, call in calls.items():
        for route in call["routes"]:
            operation_id = route.get("operationId")
            if operation_id in spec.operations:
                method, path, _ = spec.operations[operation_id]
                route["spec_route"] = f"{method} {path}"
                route["status"] = "same" if shape(route["spec_route"]) == shape(route["sdk_route"]) else "moved"
                reaching.setdefault(operation_id, set()).add(sdk_name)
            elif operation_id is None:
                route["spec_route"] = None
                route["status"] = "not_in_spec"
    for operation_id, entry in overlay["operations"].items():
        if operation_id not in spec.operations:
            continue
        method, path, op = spec.operations[operation_id]
        entry.setdefault("name", snake(operation_id))
        entry["tag"] = op["tags"][0]
        entry["method"] = method
        entry["path"] = path
        entry["linked_account_id"] = spec.linked_account_id(op)
        entry["pagination"] = spec.pagination(op)
        if operation_id in reaching:
            entry["official_sdk"] = sorted(reaching[operation_id])
        else:
            entry.pop("official_sdk", None)


def sdk_calls(repo: Path) -> Dict[str, Set[str]]:
    """The official SDK's methods and the route shapes each can call."""
    source = subprocess.run(["git", "-C", str(repo), "show", "HEAD:src/Apis/index.ts"], check=True, capture_output=True, text=True).stdout
    calls: Dict[str, Set[str]] = {}
    starts = list(re.finditer(r"^  (\w+)(?:<[^>]*>)?\(.*$", source, re.M))
    for index, start in enumerate(starts):
        body = source[start.end() : starts[index + 1].start() if index + 1 < len(starts) else len(source)]
        verb = re.search(r'method\s*:\s*"(\w+)"', body)
        method = verb.group(1) if verb else "GET"
        routes = set()
        for template in re.findall(r"`(/api/[^`]*)`", body):
            path = re.sub(r"\$\{[^}]*\}", "{}", template)
            routes.add(shape(f"{method} {path}"))
            if path.endswith("/{}"):
                routes.add(shape(f"{method} {path[:-3]}"))  # an empty optional last segment
        calls[start.group(1)] = routes
    return calls


def check(spec: Spec, overlay: Dict[str, Any], schema: Dict[str, Any], sdk: Optional[Dict[str, Set[str]]]) -> List[str]:
    problems = [
        f"overlay.json{''.join(f'/{p}' for p in error.absolute_path)}: {error.message}"
        for error in sorted(jsonschema.Draft202012Validator(schema).iter_errors(overlay), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        return problems
    operations = overlay["operations"]
    missing = sorted(set(spec.operations) - set(operations))
    extra = sorted(set(operations) - set(spec.operations))
    problems += [f"operations: {name} is in the spec but not in the overlay" for name in missing]
    problems += [f"operations: {name} is not an operationId of the spec" for name in extra]

    expected = json.loads(json.dumps(overlay))
    derive(spec, expected)
    for operation_id, entry in operations.items():
        if operation_id not in spec.operations:
            continue
        for member in ("tag", "method", "path", "linked_account_id", "pagination", "official_sdk"):
            if entry.get(member) != expected["operations"][operation_id].get(member):
                problems.append(f"operations/{operation_id}/{member}: {json.dumps(entry.get(member))}, the spec says {json.dumps(expected['operations'][operation_id].get(member))} (run with --fix)")
        if entry["retry"] != USUAL_RETRY[entry["method"]] and "why" not in entry:
            problems.append(f"operations/{operation_id}: {entry['retry']} for a {entry['method']} needs a `why`")
    names: Dict[str, str] = {}
    for operation_id, entry in operations.items():
        if entry["name"] in names:
            problems.append(f"operations/{operation_id}/name: {entry['name']} is also {names[entry['name']]}'s")
        names[entry["name"]] = operation_id

    calls = overlay["official_sdk"]["calls"]
    for sdk_name, call in calls.items():
        for index, route in enumerate(call["routes"]):
            where = f"official_sdk/calls/{sdk_name}/routes/{index}"
            if route["operationId"] is not None and route["operationId"] not in spec.operations:
                problems.append(f"{where}: {route['operationId']} is not an operationId of the spec")
            if route["operationId"] is None and route.get("nearest") not in spec.operations:
                problems.append(f"{where}: a call not in the spec names its `nearest` operation")
            wanted = expected["official_sdk"]["calls"][sdk_name]["routes"][index]
            for member in ("spec_route", "status"):
                if route[member] != wanted[member]:
                    problems.append(f"{where}/{member}: {route[member]!r}, the spec says {wanted[member]!r} (run with --fix)")
    if sdk is not None:
        if set(sdk) != set(calls):
            problems.append(f"official_sdk/calls: the SDK has {sorted(set(sdk) - set(calls))} more, {sorted(set(calls) - set(sdk))} fewer")
        for sdk_name in set(sdk) & set(calls):
            for route in calls[sdk_name]["routes"]:
                if shape(route["sdk_route"]) not in sdk[sdk_name]:
                    problems.append(f"official_sdk/calls/{sdk_name}: the SDK does not call {route['sdk_route']} (it calls {sorted(sdk[sdk_name])})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fix", action="store_true")
    parser.add_argument("--sdk-repo", type=Path)
    args = parser.parse_args()
    spec = Spec(json.loads((DIR / "refold-openapi.json").read_text(encoding="utf-8")))
    path = DIR / "overlay.json"
    overlay = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((DIR / "overlay.schema.json").read_text(encoding="utf-8"))
    if args.fix:
        derive(spec, overlay)
        path.write_text(json.dumps(overlay, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = check(spec, overlay, schema, sdk_calls(args.sdk_repo) if args.sdk_repo else None)
    for problem in problems:
        print(f"check-overlay: {problem}", file=sys.stderr)
    if problems:
        print(f"check-overlay: {len(problems)} problem(s) in conformance/openapi/overlay.json", file=sys.stderr)
        return 1
    operations = overlay["operations"].values()
    print(
        f"check-overlay: {len(overlay['operations'])} operations (every operationId of the spec, once), "
        f"{sum(op['retry'] == 'idempotent' for op in operations)} idempotent, "
        f"{len(overlay['official_sdk']['calls'])} official SDK calls"
        + (", routes match the SDK's source" if args.sdk_repo else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

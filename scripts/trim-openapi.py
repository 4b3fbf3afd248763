#!/usr/bin/env python3
"""Regenerates conformance/openapi/refold-openapi.json (Refold's OpenAPI description without
prose) and conformance/openapi/examples.json (the response examples of the session-token and
linked-account pages) from Refold's documentation source.

  trim-openapi.py --mirror DIR [--rev REV]      a bare or normal git clone of gocobalt/mintlify-docs
                                                (--rev recorded: the commit the committed copy names)
  trim-openapi.py --docs-dir DIR --commit SHA   a plain checkout of it (the commit is recorded)
  trim-openapi.py --spec FILE --commit SHA      only the OpenAPI file (examples.json is left alone)
  add --check to compare with the committed files instead of writing them (exit 1 on a difference).

Output is deterministic: sorted keys, two-space indent, UTF-8, one trailing newline.
conformance/openapi/README.md says what is kept and why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "conformance" / "openapi"
SPEC_PATH = "v3/api-reference/openapi.yaml"
EXAMPLE_PAGE_DIRS = ("v3/api-reference/session-tokens", "v3/api-reference/linked-accounts")
SOURCE_REPOSITORY = "gocobalt/mintlify-docs"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# Keywords that only carry prose for people: dropped wherever they are keywords (never when they
# are the name of a property, a path, a response code or a schema).
PROSE = {"description", "summary", "title", "externalDocs", "contact", "license", "termsOfService"}

# Objects whose keys are names chosen by the author, not keywords: their values are walked,
# their keys kept as they are.
NAME_MAPS = {
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "paths",
    "schemas",
    "parameters",
    "securitySchemes",
    "responses",
    "content",
    "headers",
    "examples",
    "encoding",
    "requestBodies",
    "links",
    "callbacks",
    "variables",
}


# Keywords whose values are data (kept whole, even a member called `description` inside them).
DATA = {"example", "default", "enum", "const"}


def example_object(example: Any) -> Any:
    """An Example Object without its prose: `value` (data), `externalValue` or `$ref`."""
    return {key: value for key, value in example.items() if key in ("value", "externalValue", "$ref")}


class Loader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML 1.2 core-schema scalars: only true/false are booleans and no scalar becomes a
    date, so the JSON copy holds exactly the strings the author wrote."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def strip_prose(node: Any, names: bool = False) -> Any:
    """`node` without prose keywords. `names`: the keys of this object are names (NAME_MAPS)."""
    if isinstance(node, list):
        return [strip_prose(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Dict[str, Any] = {}
    for key, value in node.items():
        key = str(key)  # an unquoted response code is an int in YAML
        if names:
            out[key] = strip_prose(value)
        elif key in PROSE:
            continue
        elif key in DATA:
            out[key] = value  # values, kept whole
        elif key == "examples":
            # A schema's list of values, or a map of Example Objects whose `value` is data.
            out[key] = value if isinstance(value, list) else {name: example_object(example) for name, example in value.items()}
        elif key.startswith("x-"):
            continue  # vendor extensions of the docs site
        else:
            out[key] = strip_prose(value, names=key in NAME_MAPS)
    return out


def trim(spec: Dict[str, Any], source: Dict[str, Any]) -> Dict[str, Any]:
    """The document kept: what a client, a generator and schemathesis need."""
    trimmed: Dict[str, Any] = strip_prose(spec)
    # Response Objects must have a description in OpenAPI; an empty one keeps the copy valid.
    for item in trimmed["paths"].values():
        for method in HTTP_METHODS:
            for response in item.get(method, {}).get("responses", {}).values():
                if "$ref" not in response:
                    response["description"] = ""
    trimmed["info"] = {"title": spec["info"]["title"], "version": spec["info"]["version"]}
    trimmed["x-source"] = source
    check_json_only(trimmed, "$")
    return trimmed


def check_json_only(node: Any, where: str) -> None:
    """Fails on anything JSON cannot carry as written (a YAML date, a float key…)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                raise SystemExit(f"{where}: non-string key {key!r}")
            check_json_only(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            check_json_only(value, f"{where}[{index}]")
    elif not (node is None or isinstance(node, (str, bool, int, float))):
        raise SystemExit(f"{where}: {type(node).__name__} is not JSON")


# ```json 400 Unknown Account   → language, status, label
FENCE = re.compile(r"^```(?P<lang>[A-Za-z0-9_+-]+)(?:[ \t]+(?P<status>\d{3}))?(?:[ \t]+(?P<label>.*?))?[ \t]*$")
FRONT_OPENAPI = re.compile(r'^openapi:\s*"?(?P<method>[A-Za-z]+)\s+(?P<path>\S+?)"?\s*$', re.M)


def response_examples(page: str, text: str, operations: Dict[Tuple[str, str], str]) -> Dict[str, Any]:
    """The examples of one .mdx page: its `openapi:` operation and each fenced block of its
    `<ResponseExample>` sections, body byte for byte (without the fences' own newlines)."""
    front = FRONT_OPENAPI.search(text.split("\n---", 1)[0])
    if not front:
        raise SystemExit(f"{page}: no `openapi:` line in the front matter")
    method, path = front.group("method").lower(), front.group("path")
    operation_id = operations.get((method, path))
    if operation_id is None:
        raise SystemExit(f"{page}: {method.upper()} {path} is not an operation of the spec")
    examples: List[Dict[str, Any]] = []
    for section in re.findall(r"<ResponseExample>\n(.*?)\n</ResponseExample>", text, re.S):
        lines = section.split("\n")
        index = 0
        while index < len(lines):
            fence = FENCE.match(lines[index])
            if not fence:
                if lines[index].strip():
                    raise SystemExit(f"{page}: unexpected line in <ResponseExample>: {lines[index]!r}")
                index += 1
                continue
            end = next((i for i in range(index + 1, len(lines)) if lines[i] == "```"), None)
            if end is None:
                raise SystemExit(f"{page}: unclosed fence {lines[index]!r}")
            if not fence.group("status"):
                raise SystemExit(f"{page}: a response example without a status: {lines[index]!r}")
            body = "\n".join(lines[index + 1 : end])
            try:
                json.loads(body)
                is_json = True
            except ValueError:
                is_json = False
            examples.append(
                {
                    "status": int(fence.group("status")),
                    "label": fence.group("label") or None,
                    "language": fence.group("lang"),
                    "body": body,
                    "body_is_json": is_json,
                }
            )
            index = end + 1
    if not examples:
        raise SystemExit(f"{page}: no <ResponseExample> block")
    return {"operationId": operation_id, "method": method.upper(), "path": path, "examples": examples}


def operations_of(spec: Dict[str, Any]) -> Dict[Tuple[str, str], str]:
    return {
        (method, path): item[method]["operationId"]
        for path, item in spec["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


def dump(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Git:
    """Reads files of one commit of a (bare) clone."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = repo
        self.commit = self.run("rev-parse", "--verify", f"{rev}^{{commit}}").strip()
        self.date = self.run("show", "-s", "--format=%cI", self.commit).strip()

    def run(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], check=True, capture_output=True, text=True).stdout

    def read(self, path: str) -> str:
        return self.run("show", f"{self.commit}:{path}")

    def list(self, directory: str) -> List[str]:
        return sorted(self.run("ls-tree", "--name-only", f"{self.commit}:{directory}").split())


def utc(date: str) -> str:
    return dt.datetime.fromisoformat(date).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--mirror", type=Path, help="a git clone (bare or not) of gocobalt/mintlify-docs")
    where.add_argument("--docs-dir", type=Path, help="a plain checkout of gocobalt/mintlify-docs")
    where.add_argument("--spec", type=Path, help="only this openapi.yaml")
    parser.add_argument("--rev", default="HEAD", help="with --mirror: the commit to read (default HEAD; `recorded`: the committed copy's)")
    parser.add_argument("--commit", help="with --docs-dir/--spec: the commit the files come from")
    parser.add_argument("--commit-date", help="with --docs-dir/--spec: its commit date (ISO 8601)")
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args()

    read: Callable[[str], str]
    listing: Optional[Callable[[str], List[str]]]
    date: Optional[str]
    if args.mirror:
        rev = args.rev
        if rev == "recorded":
            # The commit the committed copy names: a mirror that moved on still checks it.
            rev = json.loads((args.out / "refold-openapi.json").read_text(encoding="utf-8"))["x-source"]["commit"]
        if not args.mirror.exists():
            if args.check:
                print(f"trim-openapi: no docs mirror at {args.mirror}: the committed copy is not compared")
                return 0
            raise SystemExit(f"trim-openapi: no docs mirror at {args.mirror}")
        git = Git(args.mirror, rev)
        read, listing, commit, date = git.read, git.list, git.commit, utc(git.date)
    else:
        if not args.commit or not re.fullmatch(r"[0-9a-f]{40}", args.commit):
            parser.error("--commit SHA (40 hex digits) is required with --docs-dir or --spec")
        commit, date = args.commit, utc(args.commit_date) if args.commit_date else None
        if args.docs_dir:
            base = args.docs_dir
            read = lambda path: (base / path).read_text(encoding="utf-8")  # noqa: E731
            listing = lambda d: sorted(p.name for p in (base / d).iterdir())  # noqa: E731
        else:
            spec_file = args.spec
            read = lambda path: spec_file.read_text(encoding="utf-8")  # noqa: E731
            listing = None

    spec_text = read(SPEC_PATH)
    spec = yaml.load(spec_text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader
    source = {
        "repository": SOURCE_REPOSITORY,
        "path": SPEC_PATH,
        "commit": commit,
        "commit_date": date,
        "sha256": hashlib.sha256(spec_text.encode("utf-8")).hexdigest(),
    }
    outputs = {"refold-openapi.json": dump(trim(spec, source))}

    if listing is not None:
        operations = operations_of(spec)
        pages = {}
        for directory in EXAMPLE_PAGE_DIRS:
            for name in listing(directory):
                if name.endswith(".mdx"):
                    page = f"{directory}/{name}"
                    pages[page] = response_examples(page, read(page), operations)
        outputs["examples.json"] = dump(
            {
                "x-source": {"repository": SOURCE_REPOSITORY, "commit": commit, "commit_date": date, "pages": list(EXAMPLE_PAGE_DIRS)},
                "pages": pages,
            }
        )

    differ = []
    for name, text in outputs.items():
        target = args.out / name
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                differ.append(name)
        else:
            target.write_text(text, encoding="utf-8")
    if args.check:
        if differ:
            print(f"trim-openapi: {', '.join(differ)} differ from a regeneration at {commit}", file=sys.stderr)
            return 1
        print(f"trim-openapi: {', '.join(outputs)} match {SOURCE_REPOSITORY}@{commit[:12]}")
    else:
        print(f"trim-openapi: wrote {', '.join(outputs)} from {SOURCE_REPOSITORY}@{commit[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line of the code generator (run from the repository root):

    python3 -m codegen generate [--spec FILE] [--overlay FILE]   write every generated file
    python3 -m codegen check [--spec FILE] [--overlay FILE]      regenerate into a temporary
                                                                 directory; exit 1 with a diff
                                                                 when a committed file differs
    python3 -m codegen summary [--spec FILE] [--overlay FILE]    counts and the spec's oddities
    python3 -m codegen examples --docs GIT_DIR [--spec FILE]     refresh the examples fixture

Defaults: --spec conformance/openapi/refold-openapi.json, --patches codegen/spec-patches.json,
--overlay conformance/openapi/overlay.json (optional: without it, defaults derived from the
spec)."""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from collections import Counter
from pathlib import Path

from . import (
    emit_docs,
    emit_emulator,
    emit_kotlin,
    emit_kotlin_api,
    emit_kotlin_official,
    emit_node_api,
    emit_python,
    emit_python_api,
    emit_python_official,
    emit_rust,
    emit_rust_api,
    emit_rust_official,
    emit_typescript,
    examples,
    ir,
)
from .spec import Spec, SpecError, apply_patches, load_json

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "conformance/openapi/refold-openapi.json"
DEFAULT_OVERLAY = ROOT / "conformance/openapi/overlay.json"
DEFAULT_PATCHES = ROOT / "codegen/spec-patches.json"
# Each emitter: outputs(ir, inputs_label, root) -> {path relative to the root: text}.
EMITTERS = (
    emit_rust,
    emit_typescript,
    emit_python,
    emit_kotlin,
    emit_emulator,
    emit_docs,
    emit_python_api,
    emit_node_api,
    emit_kotlin_api,
    emit_rust_api,
    emit_rust_official,
    emit_python_official,
    emit_kotlin_official,
)


def label(path: Path) -> str:
    """How a generated file's header names an input: relative to the repository when inside
    it, else by file name (so the output does not depend on where a scratch copy lives)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def load(args: argparse.Namespace) -> tuple[ir.IR, str]:
    document = load_json(args.spec)
    patch_notes = apply_patches(document, load_json(args.patches))
    inputs = f"{label(args.spec)} + {label(args.patches)}"
    overlay = None
    if args.overlay.exists():
        overlay = load_json(args.overlay)
        inputs += f" + {label(args.overlay)}"
    else:
        inputs += " (no overlay: defaults)"
    representation = ir.build(Spec(document), overlay)
    representation.notes[:0] = patch_notes
    return representation, inputs


def render(representation: ir.IR, inputs: str) -> dict[str, str]:
    files: dict[str, str] = {}
    for emitter in EMITTERS:
        for path, text in emitter.outputs(representation, inputs, ROOT).items():
            if path in files:
                raise RuntimeError(f"two emitters write {path}")
            files[path] = text
    return files


def write(files: dict[str, str], root: Path) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def command_generate(args: argparse.Namespace) -> int:
    representation, inputs = load(args)
    files = render(representation, inputs)
    write(files, ROOT)
    print(f"codegen: wrote {len(files)} files from {inputs}")
    return 0


def command_check(args: argparse.Namespace) -> int:
    if not args.spec.exists() and args.spec == DEFAULT_SPEC:
        print(f"codegen: {label(DEFAULT_SPEC)} is missing: generated files NOT checked", file=sys.stderr)
        return 0
    representation, inputs = load(args)
    files = render(representation, inputs)
    with tempfile.TemporaryDirectory(prefix="codegen-") as scratch:
        write(files, Path(scratch))
        stale = []
        for path in sorted(files):
            fresh = (Path(scratch) / path).read_text(encoding="utf-8")
            committed_path = ROOT / path
            committed = committed_path.read_text(encoding="utf-8") if committed_path.exists() else ""
            if fresh != committed:
                stale.append(path)
                sys.stdout.writelines(difflib.unified_diff(
                    committed.splitlines(keepends=True), fresh.splitlines(keepends=True),
                    f"a/{path} (committed)", f"b/{path} (generated)", n=2))
    if stale:
        print(f"codegen: {len(stale)} generated file(s) differ from {inputs}: {', '.join(stale)}; "
              "run `make generate` and commit", file=sys.stderr)
        return 1
    print(f"codegen: {len(files)} generated files match {inputs}")
    return 0


def command_summary(args: argparse.Namespace) -> int:
    representation, inputs = load(args)
    ops = representation.operations
    print(f"inputs: {inputs}")
    print(f"operations: {len(ops)} in {len({op.tag for op in ops})} tags")
    for tag, count in Counter(op.tag for op in ops).items():
        print(f"  {tag}: {count}")
    for key in ("auth", "retry", "pagination", "body_kind", "linked_account"):
        print(f"{key}: {dict(Counter(getattr(op, key) for op in ops))}")
    print(f"deprecated: {[op.id for op in ops if op.deprecated]}")
    models = representation.emitted_models()
    print(f"models emitted: {len(models)} {dict(Counter(m.kind for m in models))}")
    inline = [m for m in models if not m.origin.startswith("#/components/")]
    print(f"  from components: {len(models) - len(inline)}; inline (named here): {len(inline)}")
    print(f"  multipart form models (IR only): {[m.name for m in representation.models.values() if m.multipart]}")
    print(f"oddities ({len(representation.notes)}):")
    for note in representation.notes:
        print(f"  - {note}")
    return 0


def command_examples(args: argparse.Namespace) -> int:
    representation, _ = load(args)
    count = examples.write_fixture(representation, label(args.spec), args.docs, args.out)
    print(f"codegen: wrote {count} examples to {label(args.out)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m codegen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in (("generate", command_generate), ("check", command_check),
                           ("summary", command_summary), ("examples", command_examples)):
        sub = commands.add_parser(name)
        sub.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
        sub.add_argument("--overlay", type=Path, default=DEFAULT_OVERLAY)
        sub.add_argument("--patches", type=Path, default=DEFAULT_PATCHES)
        if name == "examples":
            sub.add_argument("--docs", type=Path, required=True,
                             help="git directory of gocobalt/mintlify-docs (read with git show)")
            sub.add_argument("--out", type=Path, default=ROOT / examples.FIXTURE)
        sub.set_defaults(function=function)
    args = parser.parse_args(argv)
    try:
        return int(args.function(args))
    except SpecError as error:
        print(f"codegen: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The generator itself: the IR of Refold's description (when present), and the IR and
emitters on small descriptions written here. Run by `make check-generated`:
    python3 -m unittest discover -s codegen/tests -t ."""

from __future__ import annotations

import copy
import json
import re
import unittest
from pathlib import Path
from typing import Any

from codegen import emit_emulator, emit_kotlin, emit_python, emit_rust, emit_typescript, ir, naming
from codegen.spec import Spec, SpecError, apply_patches, load_json

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "conformance/openapi/refold-openapi.json"
PATCHES = ROOT / "codegen/spec-patches.json"
OVERLAY = ROOT / "conformance/openapi/overlay.json"


def real_document() -> Any:
    document = load_json(SPEC)
    apply_patches(document, load_json(PATCHES))
    return document


def without_prose(node: Any, in_properties: bool = False) -> Any:
    """`node` without `description`/`summary` text (a property *named* description stays)."""
    if isinstance(node, dict):
        return {
            key: without_prose(value, key == "properties")
            for key, value in node.items()
            if in_properties or not (key in ("description", "summary") and isinstance(value, str))
        }
    if isinstance(node, list):
        return [without_prose(value) for value in node]
    return node


def render_all(representation: ir.IR) -> dict[str, str]:
    """Every emitter's text (Rust before rustfmt, so no toolchain is needed)."""
    return {
        "models.rs": emit_rust.models_rs(representation, "//"),
        "operations.rs": emit_rust.operations_rs(representation, "//"),
        "roundtrip.rs": emit_rust.roundtrip_rs(representation, "//"),
        "d.ts": emit_typescript.models_dts(representation, "//"),
        "py": emit_python.models_py(representation, "#"),
        "kt": emit_kotlin.models_kt(representation, "//"),
    }


@unittest.skipUnless(SPEC.exists(), f"{SPEC.relative_to(ROOT)} is not in this checkout")
class RefoldDescription(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.document = real_document()
        overlay = load_json(OVERLAY) if OVERLAY.exists() else None
        cls.ir = ir.build(Spec(copy.deepcopy(cls.document)), overlay)

    def test_every_operation_is_in_the_ir(self) -> None:
        self.assertEqual(len(self.ir.operations), 102)
        declared_tags = {tag["name"] for tag in self.document.get("tags", [])}
        for op in self.ir.operations:
            if declared_tags:  # a trimmed copy may leave the tag list out
                self.assertIn(op.tag, declared_tags, op.id)
        self.assertEqual(len({op.id for op in self.ir.operations}), 102)
        self.assertEqual(len({op.name for op in self.ir.operations}), 102)

    def test_every_ref_resolves(self) -> None:
        spec = Spec(self.document)
        refs: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str):
                    refs.append(node["$ref"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.document)
        self.assertGreater(len(refs), 100)
        for ref in refs:
            spec.pointer(ref)  # raises SpecError when it does not resolve

    def test_path_templates_and_path_parameters_agree(self) -> None:
        for op in self.ir.operations:
            placeholders = re.findall(r"{([^}]+)}", op.path)
            declared = [p.name for p in op.params if p.location == "path"]
            self.assertEqual(placeholders, declared, op.id)
            self.assertTrue(all(p.required for p in op.params if p.location == "path"), op.id)
            self.assertEqual(len({p.key for p in op.params}), len(op.params), op.id)

    def test_every_named_type_exists(self) -> None:
        def names(t: ir.TypeRef | None) -> list[str]:
            if t is None:
                return []
            if t.kind == "named":
                return [t.name or ""]
            return names(t.item)

        used = []
        for model in self.ir.models.values():
            used += [n for f in model.fields for n in names(f.type)]
            used += [n for v in model.variants for n in names(v)] + names(model.target)
        for op in self.ir.operations:
            used += names(op.response_type) + names(op.body_type) + [op.params_model or ""]
            used += [n for p in op.params for n in names(p.type)]
        for name in used:
            if name:
                self.assertIn(name, self.ir.models)

    def test_names_are_unique_in_every_language(self) -> None:
        models = self.ir.emitted_models()
        for language, reserved in naming.RESERVED_TYPE_NAMES.items():
            self.assertFalse({m.name for m in models} & reserved, language)
        for model in models:
            if model.kind != "struct":
                continue
            rust = [n.removeprefix("r#") for n in emit_rust.field_names(model)]
            self.assertEqual(len(set(rust)), len(rust), model.name)
            self.assertNotIn("extra", rust, model.name)
            kotlin = [n.strip("`") for n in emit_kotlin.property_names(model)]
            self.assertEqual(len(set(kotlin)), len(kotlin), model.name)
            wires = [f.wire for f in model.fields]
            self.assertEqual(len(set(wires)), len(wires), model.name)

    def test_defaults_from_the_description(self) -> None:
        op = self.ir.operation("listLinkedAccounts")
        self.assertEqual((op.method, op.auth, op.retry, op.pagination, op.pagination_items),
                         ("GET", "api_key", "idempotent", "page", "docs"))
        token = self.ir.operation("generateSessionTokenForLinkedAccount")
        # The overlay makes minting idempotent: Refold reuses a valid token (contract §Retries).
        self.assertEqual((token.retry, token.body_kind, token.linked_account), ("idempotent", "json", "none"))
        self.assertEqual(self.ir.operation("triggerEvent").body_kind, "json_or_multipart")
        self.assertEqual(self.ir.operation("listSchedules").linked_account, "required")
        self.assertEqual(self.ir.operation("listExecutions").linked_account, "optional")
        self.assertEqual(self.ir.operation("getHumanTask").auth, "none")
        self.assertEqual(self.ir.operation("createConnectUrl").auth, "session_token")
        self.assertEqual(self.ir.operation("deleteMcpServer").success_status, 204)
        self.assertIsNone(self.ir.operation("deleteMcpServer").response_type)

    def test_prose_changes_nothing(self) -> None:
        bare = ir.build(Spec(without_prose(self.document)), None)
        full = ir.build(Spec(copy.deepcopy(self.document)), None)
        self.assertEqual(render_all(bare), render_all(full))

    def test_emulator_rows(self) -> None:
        documented = emit_emulator.load_fixture(ROOT / "core/tests/fixtures/api-examples.json")
        member = emit_emulator.error_member
        self.assertEqual(member(documented, self.ir.operation("getMcpServer")), "ErrorCode")
        self.assertEqual(member(documented, self.ir.operation("getLinkedAccountById")), "Error")
        self.assertIn("required: true", emit_emulator.account_source(self.ir.operation("listSchedules")))
        self.assertIn("query: true", emit_emulator.account_source(self.ir.operation("listDatarefs")))
        self.assertEqual(emit_emulator.account_source(self.ir.operation("listLinkedAccounts")), "AccountIn::Nowhere")
        text = emit_emulator.routes_rs(self.ir, documented, "//")
        self.assertEqual(text.count("SpecRoute { id:"), len(self.ir.operations))
        self.assertIn("credentials: Credentials::Public", text)
        answers = json.loads(emit_emulator.examples_json(self.ir, documented, "x"))["operations"]
        self.assertEqual(answers["deleteMcpServer"], {"body": None})
        self.assertEqual(answers["triggerEvent"]["body"], {"message": "Webhook Fired Success"})

    def test_output_is_deterministic(self) -> None:
        again = ir.build(Spec(copy.deepcopy(self.document)), load_json(OVERLAY) if OVERLAY.exists() else None)
        self.assertEqual(render_all(again), render_all(self.ir))


def tiny(paths: dict[str, Any], schemas: dict[str, Any] | None = None, **extra: Any) -> Spec:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "paths": paths,
        "components": {
            "schemas": schemas or {},
            "securitySchemes": {
                "Key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "Token": {"type": "http", "scheme": "bearer"},
            },
            "parameters": {
                "Linked": {"name": "linked_account_id", "in": "header", "required": False,
                           "schema": {"type": "string"}},
            },
        },
    }
    document.update(extra)
    return Spec(document)


def get(op_id: str, **op: Any) -> dict[str, Any]:
    return {"get": {"operationId": op_id, "security": [{"Key": []}],
                    "responses": {"200": {"description": "ok"}}, **op}}


class Operations(unittest.TestCase):
    def test_overlay_overrides_the_defaults(self) -> None:
        spec = tiny({
            "/things": {"post": {"operationId": "searchThings", "security": [{"Key": []}, {"Token": []}],
                                 "parameters": [{"$ref": "#/components/parameters/Linked"}],
                                 "responses": {"200": {"content": {"application/json": {"schema": {
                                     "type": "object", "properties": {"page": {"type": "integer"},
                                                                      "hasNextPage": {"type": "boolean"},
                                                                      "items": {"type": "array"}}}}}}}}},
        })
        default = ir.build(spec).operation("searchThings")
        self.assertEqual((default.name, default.retry, default.pagination, default.linked_account, default.auth),
                         ("search_things", "unsent_only", "none", "optional", "either"))
        self.assertEqual(default.params, [])
        overlay = {"operations": {"searchThings": {"name": "find_things", "retry": "idempotent",
                                                    "pagination": "page", "items": "items",
                                                    "linked_account_id": "none", "deprecated": True,
                                                    "official_sdk": "ignored by this generator"}}}
        op = ir.build(spec, overlay).operation("searchThings")
        self.assertEqual((op.name, op.retry, op.pagination, op.pagination_items, op.linked_account, op.deprecated),
                         ("find_things", "idempotent", "page", "items", "none", True))
        self.assertEqual([(p.name, p.location) for p in op.params], [("linked_account_id", "header")])

    def test_bad_inputs_are_errors(self) -> None:
        spec = tiny({"/a": get("getA")})
        for overlay in ({"operations": {"getB": {}}}, {"operations": {"getA": {"retry": "always"}}},
                        {"operations": {"getA": {"name": "Get-A"}}}, {"operations": []}):
            with self.assertRaises(SpecError, msg=json.dumps(overlay)):
                ir.build(spec, overlay)
        broken = tiny({"/a": get("getA", responses={"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Missing"}}}}})})
        with self.assertRaisesRegex(SpecError, "unresolvable"):
            ir.build(broken)
        with self.assertRaisesRegex(SpecError, "no such node"):
            apply_patches({"components": {}}, {"patches": [{"pointer": "/components/schemas/X/type", "schema": {}}]})

    def test_path_parameters_are_reconciled_with_the_template(self) -> None:
        spec = tiny({"/a/{id}/{missing}": get("getA", parameters=[
            {"name": "id", "in": "path", "schema": {"type": "string"}},
            {"name": "stale", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "x", "in": "query", "schema": {"type": "integer"}},
            {"name": "x", "in": "header", "schema": {"type": "string"}}])})
        representation = ir.build(spec)
        op = representation.operation("getA")
        self.assertEqual([(p.key, p.location, p.required, p.kind) for p in op.params], [
            ("id", "path", True, "text"), ("x_in_query", "query", False, "integer"),
            ("x_in_header", "header", False, "text"), ("missing", "path", True, "text")])
        self.assertTrue(any("not declared" in n for n in representation.notes))
        self.assertTrue(any("not in the path template" in n for n in representation.notes))

    def test_auth_bodies_and_responses(self) -> None:
        spec = tiny({
            "/open": {"post": {"operationId": "openUp", "security": [],
                               "requestBody": {"required": True, "content": {
                                   "multipart/form-data": {"schema": {"type": "object", "properties": {
                                       "name": {"type": "string"}}}}}},
                               "responses": {"201": {"content": {"application/json": {"schema": {
                                   "type": "array", "items": {"type": "object", "properties": {
                                       "id": {"type": "string"}}}}}}}, "404": {}}}},
        })
        representation = ir.build(spec)
        op = representation.operation("openUp")
        self.assertEqual((op.auth, op.body_kind, op.body_required, op.success_status), ("none", "multipart", True, 201))
        self.assertEqual(op.response_type, ir.TypeRef("array", item=ir.TypeRef("named", name="OpenUpResponseItem")))
        self.assertTrue(representation.models["OpenUpMultipartRequest"].multipart)
        self.assertNotIn("OpenUpMultipartRequest", {m.name for m in representation.emitted_models()})


class Models(unittest.TestCase):
    def build(self, schemas: dict[str, Any], paths: dict[str, Any] | None = None) -> ir.IR:
        return ir.build(tiny(paths or {}, schemas))

    def test_all_of_one_of_enums_maps_and_nullables(self) -> None:
        representation = self.build({
            "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            "Page": {"allOf": [{"$ref": "#/components/schemas/Base"},
                               {"type": "object", "properties": {
                                   "next": {"type": "integer", "nullable": True},
                                   "kind": {"type": ["string", "null"], "enum": ["a", "b"]},
                                   "data": {"oneOf": [{"type": "object", "additionalProperties": True},
                                                      {"type": "array", "items": {"type": "integer"}}]},
                                   "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "free": {},
                                   "token": {"type": "string"}}}]},
            "Other": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["x"]}}},
            "Names": {"type": "array", "items": {"type": "string"}},
        })
        page = representation.models["Page"]
        self.assertEqual([f.wire for f in page.fields], ["id", "next", "kind", "data", "labels", "free", "token"])
        fields = {f.wire: f for f in page.fields}
        self.assertTrue(fields["id"].required)
        self.assertTrue(fields["next"].nullable)
        self.assertEqual(fields["labels"].type, ir.TypeRef("map", item=ir.TypeRef("string")))
        self.assertEqual(fields["free"].type, ir.ANY)
        self.assertTrue(fields["token"].secret)
        self.assertEqual(representation.models["PageData"].kind, "union")
        # `kind` has two value sets across the description: each enum is named after its owner.
        self.assertEqual(fields["kind"].type.name, "PageKind")
        self.assertEqual(representation.models["OtherKind"].values, ["x"])
        self.assertEqual(representation.models["Names"].kind, "alias")

    def test_shared_enums_and_boolean_strings(self) -> None:
        representation = self.build({
            "A": {"type": "object", "properties": {"env": {"type": "string", "enum": ["test", "production"]},
                                                  "flag": {"type": "string", "enum": ["true", "false"]}}},
            "B": {"type": "object", "properties": {"env": {"type": "string", "enum": ["test", "production"]}}},
        })
        self.assertEqual(representation.models["A"].fields[0].type.name, "Env")
        self.assertEqual(representation.models["B"].fields[0].type.name, "Env")
        self.assertEqual(representation.models["A"].fields[1].type.name, "BooleanString")

    def test_required_but_undeclared_fields_are_kept(self) -> None:
        representation = self.build({"M": {"type": "object", "required": ["name", "description"],
                                           "properties": {"name": {"type": "string"}}}})
        self.assertEqual([(f.wire, f.required, f.type.kind) for f in representation.models["M"].fields],
                         [("name", True, "string"), ("description", True, "any")])
        self.assertTrue(any("not among the properties" in n for n in representation.notes))

    def test_deprecation_reaches_every_language(self) -> None:
        representation = self.build(
            {"Old": {"type": "object", "deprecated": True, "properties": {"gone": {"type": "string", "deprecated": True}}}},
            {"/a/{id}": get("getA", deprecated=True, parameters=[
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}])})
        self.assertTrue(representation.operation("getA").deprecated)
        self.assertTrue(representation.models["GetAParams"].deprecated)
        text = render_all(representation)
        self.assertIn("@deprecated", text["d.ts"].split("export interface GetAParams")[0].rsplit("*/", 2)[-2])
        self.assertEqual(text["d.ts"].count("@deprecated"), 3)
        self.assertEqual(text["kt"].count("@Deprecated("), 3)
        self.assertEqual(text["models.rs"].count("#[deprecated]"), 3)
        self.assertIn("deprecated: true", text["operations.rs"])

    def test_keys_that_are_not_identifiers(self) -> None:
        representation = self.build({"M": {"type": "object", "required": ["class"], "properties": {
            "include-headers": {"type": "string"}, "__v": {"type": "integer"}, "class": {"type": "string"},
            "type": {"type": "string"}, "self": {"type": "string"}}}})
        text = render_all(representation)
        self.assertIn('M = TypedDict(\n    "M",', text["py"])
        self.assertIn('"class": "Required[str]"', text["py"])
        self.assertIn("'include-headers'?: string;", text["d.ts"])
        self.assertIn("pub r#type: Option<String>", text["models.rs"])
        self.assertIn("pub self_: Option<String>", text["models.rs"])
        self.assertIn('@SerialName("include-headers") val includeHeaders: String? = null', text["kt"])
        self.assertIn("val `class`: String,", text["kt"])

    def test_secrets_stay_out_of_debug_and_to_string(self) -> None:
        representation = self.build({"Session": {"type": "object", "required": ["token"], "properties": {
            "token": {"type": "string"}, "refresh_token": {"type": "string"}, "expires_in": {"type": "integer"}}}})
        text = render_all(representation)
        self.assertIn('.field("token", &crate::redact::REDACTED)', text["models.rs"])
        self.assertIn('.field("refresh_token", &redacted(&self.refresh_token))', text["models.rs"])
        self.assertIn('.field("expires_in", &self.expires_in)', text["models.rs"])
        self.assertIn("token=${redacted(token)}", text["kt"])
        self.assertIn("expiresIn=${expiresIn}", text["kt"])


if __name__ == "__main__":
    unittest.main()

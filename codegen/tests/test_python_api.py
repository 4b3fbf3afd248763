"""The Python API emitter (codegen/emit_python_api.py): one method per operation (and an
`_all` iterator per paginated list) in both classes, keywords that never shadow the ones every
method takes, deprecation, and a module Python can compile."""

from __future__ import annotations

import ast
import copy
import unittest

from codegen import emit_python_api, ir
from codegen.spec import Spec, load_json
from codegen.tests.test_codegen import OVERLAY, SPEC, real_document, tiny


def methods(tree: ast.Module, cls: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return {f.name: f for f in node.body
                    if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and not f.name.startswith("_")}
    raise AssertionError(f"no class {cls}")


@unittest.skipUnless(SPEC.exists(), "the API description is not in this checkout")
class RefoldApi(unittest.TestCase):
    def test_every_operation_and_paginated_list_has_its_methods(self) -> None:
        representation = ir.build(Spec(copy.deepcopy(real_document())), load_json(OVERLAY))
        tree = ast.parse(emit_python_api.api_py(representation, "#"))
        paged = [op for op in representation.operations if op.pagination == "page"]
        for cls in ("Api", "AsyncApi"):
            found = methods(tree, cls)
            self.assertEqual(len(found), len(representation.operations) + len(paged))
            for op in representation.operations:
                method = found[op.name]
                self.assertEqual(isinstance(method, ast.AsyncFunctionDef), cls == "AsyncApi")
                self.assertEqual(method.args.args[0].arg, "self")
                self.assertEqual(len(method.args.args), 1, "keyword-only")
                keywords = [a.arg for a in method.args.kwonlyargs]
                self.assertEqual(len(keywords), len(set(keywords)), op.id)
                self.assertIn("timeout", keywords)
                self.assertEqual(bool(method.decorator_list), op.deprecated, op.id)
            for op in paged:
                self.assertIsInstance(found[f"{op.name}_all"], ast.FunctionDef)


class Keywords(unittest.TestCase):
    def test_a_query_linked_account_id_beside_the_header_is_renamed(self) -> None:
        spec = tiny({"/apps": {"get": {
            "operationId": "listApps", "security": [{"Key": []}],
            "parameters": [{"$ref": "#/components/parameters/Linked"},
                           {"name": "linked_account_id", "in": "query",
                            "schema": {"type": "string"}},
                           {"name": "from", "in": "query", "schema": {"type": "string"}},
                           {"name": "timeout", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "ok"}}}}})
        op = ir.build(spec).operation("listApps")
        names = [emit_python_api.param_name(op, p) for p in op.params]
        self.assertEqual(names, ["linked_account_id_query", "from_", "timeout_query"])
        text = emit_python_api.api_py(ir.build(spec), "#")
        compile(text, "_api.py", "exec")
        self.assertIn('{"linked_account_id": linked_account_id_query, "from": from_', text)


if __name__ == "__main__":
    unittest.main()

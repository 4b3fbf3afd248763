"""The Kotlin API emitter (codegen/emit_kotlin_api.py) on Refold's description: one suspend and
one blocking method per operation, typed and again raw, `All` forms for the paginated lists,
answers typed as the IR types them, `@Deprecated` where the description deprecates, and no
parameter that shadows a trailing argument. Run by `make check-generated`."""

from __future__ import annotations

import copy
import re
import unittest

from codegen import emit_kotlin_api, ir
from codegen.spec import Spec, load_json
from codegen.tests.test_codegen import OVERLAY, ROOT, SPEC, real_document


@unittest.skipUnless(SPEC.exists(), f"{SPEC.relative_to(ROOT)} is not in this checkout")
class KotlinApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        overlay = load_json(OVERLAY) if OVERLAY.exists() else None
        cls.ir = ir.build(Spec(copy.deepcopy(real_document())), overlay)
        cls.text = emit_kotlin_api.api_kt(cls.ir, "//")

    def test_every_operation_has_a_suspend_and_a_blocking_method_typed_and_raw(self) -> None:
        for op in self.ir.operations:
            name = emit_kotlin_api.method_name(op)
            answer = emit_kotlin_api.answer(self.ir, op).spelled
            self.assertEqual(len(re.findall(rf"\n    suspend fun {name}\(.*\): {re.escape(answer)} =", self.text)), 1, op.id)
            self.assertEqual(len(re.findall(rf"\n        fun {name}\(.*\): {re.escape(answer)} =", self.text)), 1, op.id)
            self.assertEqual(len(re.findall(rf"\n        suspend fun {name}\(.*\): JsonElement =", self.text)), 1, op.id)
            self.assertEqual(len(re.findall(rf"\n            fun {name}\(.*\): JsonElement =", self.text)), 1, op.id)
            self.assertEqual(self.text.count(f'caller.call("{op.id}"'), 1 if answer != "JsonElement" else 2, op.id)

    def test_answers_are_the_type_the_ir_gives_them(self) -> None:
        def answer(operation_id: str) -> tuple[str, str]:
            found = emit_kotlin_api.answer(self.ir, self.ir.operation(operation_id))
            return found.spelled, found.serializer

        self.assertEqual(answer("createPersistentTable"), ("CreateTableResponse", "CreateTableResponse.serializer()"))
        self.assertEqual(answer("listWebhooks"), ("List<RefoldWebhook>", "ListSerializer(RefoldWebhook.serializer())"))
        self.assertEqual(answer("deletePersistentTable"), ("Boolean", "Boolean.serializer()"))
        self.assertEqual(answer("getAuthStructureForApp")[0], "AuthStructureResponse")
        self.assertEqual(answer("getAuthStructureForApp")[1], "MapSerializer(String.serializer(), JsonObject.serializer())")
        # No model named: an empty 204, a free-form object.
        self.assertIs(emit_kotlin_api.answer(self.ir, self.ir.operation("deleteMcpServer")), emit_kotlin_api.RAW)
        self.assertIs(emit_kotlin_api.answer(self.ir, self.ir.operation("getHostedProperties")), emit_kotlin_api.RAW)
        typed = [op for op in self.ir.operations if emit_kotlin_api.answer(self.ir, op) is not emit_kotlin_api.RAW]
        self.assertEqual(len(typed), 94)

    def test_paginated_lists_have_all_forms(self) -> None:
        paged = [op for op in self.ir.operations if op.pagination == "page"]
        self.assertEqual(len(paged), 13)
        self.assertEqual(self.text.count("): Flow<JsonElement> ="), 13, "the raw views'")
        self.assertEqual(self.text.count("): Sequence<JsonElement> ="), 13)
        for op in paged:
            item = emit_kotlin_api.item(self.ir, op)
            self.assertIsNot(item, emit_kotlin_api.RAW, op.id)
            name = emit_kotlin_api.method_name(op)
            self.assertIn(f"fun {name}All(", self.text)
            self.assertIn(f"): Flow<{item.spelled}> =\n        caller.all({item.serializer}, \"{op.id}\"", self.text)
        self.assertEqual(emit_kotlin_api.item(self.ir, self.ir.operation("listPersistentTables")).spelled, "Table")

    def test_deprecated_operations_are_deprecated_in_every_form(self) -> None:
        deprecated = [op for op in self.ir.operations if op.deprecated]
        self.assertTrue(deprecated)
        forms = sum(8 if op.pagination == "page" else 4 for op in deprecated)
        self.assertEqual(self.text.count("@Deprecated("), forms)

    def test_a_parameter_never_shadows_a_trailing_argument(self) -> None:
        for op in self.ir.operations:
            names = [a.name for a in emit_kotlin_api._args(op, paged=False)]
            self.assertEqual(len(names), len(set(names)), op.id)
        listing = self.ir.operation("listApplicationsForLinkedAccount")
        self.assertIn("linkedAccountIdQuery", [a.name for a in emit_kotlin_api._args(listing, paged=False)])
        by_path = self.ir.operation("getLinkedAccountById")
        self.assertEqual([a.name for a in emit_kotlin_api._args(by_path, paged=False)], ["linkedAccountId", "options"])

    def test_the_test_dispatcher_names_every_operation(self) -> None:
        dispatch = emit_kotlin_api.dispatch_kt(self.ir, "//")
        for op in self.ir.operations:
            self.assertIn(f'    "{op.id}" -> api.{emit_kotlin_api.method_name(op)}(', dispatch)


if __name__ == "__main__":
    unittest.main()

"""The reference pages (emit_docs.py) of Refold's description: a page per tag with every
operation once, each with its five example calls following the bindings' naming conventions."""

from __future__ import annotations

import unittest
from pathlib import Path

from codegen import emit_docs, ir, naming
from codegen.spec import Spec, apply_patches, load_json

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "conformance/openapi/refold-openapi.json"


@unittest.skipUnless(SPEC.exists(), f"{SPEC.relative_to(ROOT)} is not in this checkout")
class ReferencePages(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        document = load_json(SPEC)
        apply_patches(document, load_json(ROOT / "codegen/spec-patches.json"))
        cls.ir = ir.build(Spec(document), load_json(ROOT / "conformance/openapi/overlay.json"))
        cls.files = emit_docs.outputs(cls.ir, "inputs", ROOT)

    def test_every_operation_has_one_section_on_its_tag_page(self) -> None:
        tags = {op.tag for op in self.ir.operations}
        self.assertEqual(len(self.files), len(tags) + 1)
        for op in self.ir.operations:
            text = self.files[f"docs/api/{emit_docs.slug(op.tag)}.md"]
            self.assertEqual(text.count(f"\n## {op.id}\n") + text.count(f"\n## {op.id} (deprecated)\n"), 1, op.id)
            self.assertIn(f"({emit_docs.slug(op.tag)}.md#{emit_docs.anchor(op)})",
                          self.files["docs/api/README.md"])

    def test_examples_follow_the_naming_conventions(self) -> None:
        op = self.ir.operation("getPersistentTableRecords")
        text = self.files["docs/api/persistent-tables.md"]
        section = text.split("## getPersistentTableRecords\n", 1)[1].split("\n## ", 1)[0]
        for expected in ('client.call("getPersistentTableRecords", ApiRequest::new().param("table_id", "my-table-id"))',
                         "client.api.getPersistentTableRecords({ tableId: \"my-table-id\" })",
                         "client.api.get_persistent_table_records_all(table_id=\"my-table-id\")",
                         "client.api.getPersistentTableRecordsAll(tableId = \"my-table-id\")",
                         "refold api getPersistentTableRecords --param table_id=my-table-id [--all]"):
            self.assertIn(expected, section)
        self.assertEqual(naming.camel(op.name), "getPersistentTableRecords")
        session = self.files["docs/api/session-tokens.md"]
        self.assertIn("client.forSessionToken(token).api.revokeSessionToken()", session)
        self.assertIn("--session-token-env REFOLD_SESSION_TOKEN", session)

    def test_the_index_says_the_summaries_are_not_kept(self) -> None:
        self.assertIn("keeps no summaries", self.files["docs/api/README.md"])


if __name__ == "__main__":
    unittest.main()

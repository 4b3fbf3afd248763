"""The Python stub emitter (codegen/emit_python_stubs.py) on a small description: what it
writes, and that a record field or an option kind it cannot type stops it."""

from __future__ import annotations

import copy
import unittest

from codegen import emit_python_stubs

ROW = {"name": "timeout", "path": "timeout", "names": {"python": "timeout"}, "kind": "duration",
       "default": "30 s", "summary": "per attempt", "env": []}
DESCRIBE = {
    "options": {
        "client": [
            {**ROW, "name": "api_key", "path": "api_key", "names": {"python": "api_key"},
             "kind": "secret"},
            {**ROW, "name": "cache", "path": "cache", "names": {"python": "cache"}, "kind": "table",
             "record": "CacheOptions", "rows": [
                 {**ROW, "name": "max_entries", "path": "cache.max_entries",
                  "names": {"python": "max_entries"}, "kind": "count"}]},
        ],
        "request": [ROW, {**ROW, "name": "fresh", "path": "fresh", "names": {"python": "fresh"},
                          "kind": "bool"}],
    },
    "error_codes": ["invalid_input", "internal"],
    "records": {name: list(types) for name, types in emit_python_stubs.RECORD_TYPES.items()},
}


class PythonStubs(unittest.TestCase):
    def test_options_and_records(self) -> None:
        files = emit_python_stubs.outputs(DESCRIBE)
        options = files[emit_python_stubs.OPTIONS_PY]
        self.assertIn("class _CacheOptionsDict(TypedDict, total=False):", options)
        self.assertIn("cache: Union[bool, CacheOptions, _CacheOptionsDict]", options)
        self.assertIn("class _TokenOptions(TypedDict, total=False):\n        #: per attempt", options)
        models = files[emit_python_stubs.MODELS_PY]
        self.assertIn("class CacheOptions:", models)
        self.assertIn("        max_entries: Optional[int] = None,", models)
        native = files[emit_python_stubs.NATIVE_PYI]
        self.assertIn('ERROR_CODES: List[Literal["invalid_input", "internal"]]', native)
        self.assertIn("def refresh_token(self) -> Optional[str]: ...", native)

    def test_an_untyped_field_or_kind_stops_it(self) -> None:
        more = copy.deepcopy(DESCRIBE)
        more["records"]["SessionToken"].append("scopes")
        with self.assertRaisesRegex(ValueError, "scopes"):
            emit_python_stubs.outputs(more)
        odd = copy.deepcopy(DESCRIBE)
        odd["options"]["request"][0]["kind"] = "colour"
        with self.assertRaisesRegex(ValueError, "colour"):
            emit_python_stubs.outputs(odd)


if __name__ == "__main__":
    unittest.main()

"""Case conversions and reserved words: how one wire name becomes an identifier in each
language. Pure functions; every emitter and the IR builder name things through here."""

from __future__ import annotations

import keyword
import re

# Words whose capitals are not word boundaries (so `getOAuthUrl` is `get_oauth_url`).
_JOINED_WORDS = {"OAuth": "Oauth"}

_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def words(name: str) -> list[str]:
    """`createdAt` → [created, at]; `_id` → [id]; `include-headers` → [include, headers];
    `MCPCrud` → [mcp, crud]; `getOAuthUrl` → [get, oauth, url]."""
    for joined, replacement in _JOINED_WORDS.items():
        name = name.replace(joined, replacement)
    spaced = _ACRONYM_WORD.sub(r"\1 \2", name)
    spaced = _LOWER_UPPER.sub(r"\1 \2", spaced)
    return [w.lower() for w in _NOT_ALNUM.sub(" ", spaced).split()]


def snake(name: str) -> str:
    return "_".join(words(name))


def camel(name: str) -> str:
    parts = words(name)
    if not parts:
        return ""
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def pascal(name: str) -> str:
    return "".join(p.capitalize() for p in words(name))


def screaming(name: str) -> str:
    return "_".join(w.upper() for w in words(name))


_PASCAL_IDENTIFIER = re.compile(r"[A-Z][A-Za-z0-9]*")


def type_name(schema_name: str) -> str:
    """A component schema's type name: the schema's own name when it already is a PascalCase
    identifier (`MCPCrud`, `GetApplicationConfigDTO` stay as documented), else PascalCase."""
    if _PASCAL_IDENTIFIER.fullmatch(schema_name):
        return schema_name
    return pascal(schema_name)


def enum_variant(value: str) -> str:
    """A Rust variant for an enum value: `linked_account` → `LinkedAccount`, `API_CALL` →
    `ApiCall`, `0` → `V0`."""
    name = pascal(value)
    if not name:
        return "Empty"
    if name[0].isdigit():
        return "V" + name
    return name


def constant(value: str) -> str:
    """A Kotlin constant for an enum value: `linked_account` → `LINKED_ACCOUNT`."""
    name = screaming(value)
    if not name:
        return "EMPTY"
    if name[0].isdigit():
        return "V_" + name
    return name


RUST_KEYWORDS = frozenset(
    """as async await break const continue crate dyn else enum extern false fn for gen if impl
    in let loop match mod move mut pub ref return self Self static struct super trait true type
    unsafe use where while abstract become box do final macro override priv try typeof unsized
    virtual yield""".split()
)
# Raw identifiers cannot spell these.
RUST_NOT_RAW = frozenset({"crate", "self", "Self", "super", "_"})

KOTLIN_KEYWORDS = frozenset(
    """as break class continue do else false for fun if in interface is null object package
    return super this throw true try typealias typeof val var when while""".split()
)

# Names the generated files import or declare themselves; a schema with one of these names
# would shadow them.
RESERVED_TYPE_NAMES = {
    "rust": frozenset(
        {"Option", "Result", "String", "Vec", "Box", "Map", "Value", "BTreeMap", "Serialize",
         "Deserialize", "Self", "fmt"}
    ),
    "typescript": frozenset({"Record", "Array", "Partial", "string", "number", "boolean",
                             "unknown", "Object"}),
    "python": frozenset({"Any", "Dict", "List", "Literal", "Optional", "TypedDict", "Union",
                         "Required", "NotRequired", "TYPE_CHECKING"}),
    "kotlin": frozenset({"JsonElement", "JsonObject", "SerialName", "Serializable", "String",
                         "Long", "Double", "Boolean", "List", "Map", "Any"}),
}


def rust_field(wire: str) -> str:
    name = snake(wire) or "field"
    if name[0].isdigit():
        name = "n_" + name
    if name in RUST_NOT_RAW:
        return name + "_"
    if name in RUST_KEYWORDS:
        return "r#" + name
    return name


def kotlin_property(wire: str) -> str:
    name = camel(wire) or "field"
    if name[0].isdigit():
        name = "n" + name
    if name in KOTLIN_KEYWORDS:
        return f"`{name}`"
    return name


def is_python_key_identifier(key: str) -> bool:
    """Whether `key` can be a TypedDict class attribute: an identifier, not a keyword, and not
    mangled by the class body (`__v` would become `_Class__v`)."""
    return key.isidentifier() and not keyword.iskeyword(key) and not key.startswith("__")


_TS_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def typescript_key(key: str) -> str:
    if _TS_IDENTIFIER.fullmatch(key):
        return key
    return typescript_str(key)


def _escaped(text: str, mark: str, unicode_escape: str, extra: dict[str, str]) -> str:
    out = [mark]
    for char in text:
        if char in extra:
            out.append(extra[char])
        elif char == mark or char == "\\":
            out.append("\\" + char)
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            out.append(unicode_escape.format(ord(char)))
        else:
            out.append(char)
    out.append(mark)
    return "".join(out)


def rust_str(text: str) -> str:
    return _escaped(text, '"', "\\u{{{:x}}}", {})


def typescript_str(text: str) -> str:
    return _escaped(text, "'", "\\u{:04x}", {})


def python_str(text: str) -> str:
    return _escaped(text, '"', "\\u{:04x}", {})


def kotlin_str(text: str) -> str:
    return _escaped(text, '"', "\\u{:04x}", {"$": "\\$"})

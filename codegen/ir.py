"""The intermediate representation every emitter reads: operations (route, parameters, body,
auth, retry rule, pagination, response) and named models (structs, string enums, unions,
aliases), built from the OpenAPI description plus the overlay. Emitters never look at the
OpenAPI document itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import naming
from .spec import Spec, SpecError, component_schema_name

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PARAM_LOCATIONS = ("path", "query", "header")
AUTH_KINDS = ("api_key", "session_token", "either", "none")
RETRY_RULES = ("idempotent", "unsent_only")
PAGINATION_KINDS = ("page", "none")
LINKED_ACCOUNT_CHOICES = ("header", "none")
BODY_KINDS = ("none", "json", "multipart", "json_or_multipart")
OVERLAY_KEYS = ("name", "retry", "linked_account_id", "pagination", "items", "deprecated")

# The linked account an operation acts on travels in this header (`LinkedAccountIdHeader`).
LINKED_ACCOUNT_HEADER = "linked_account_id"
# Response fields that mark a page of a paginated list, and the fields that can hold its items.
PAGE_MARKERS = ("page", "hasNextPage")
PAGE_ITEM_FIELDS = ("docs", "rows")
# Wire names (lowercased, letters only) that hold secrets: never shown by Debug/toString.
SECRET_WORDS = ("token", "secret", "password", "credential", "apikey", "authobject",
                "authorization", "privatekey", "accesskey", "headers")
# A field called `value` holds a secret in these models (credentials, environment variables).
SECRET_VALUE_OWNERS = re.compile(r"credential|env", re.IGNORECASE)
# Wire booleans spelled as the strings "true"/"false" share one enum.
BOOLEAN_STRING = "BooleanString"
SNAKE_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class TypeRef:
    """A type: `any`, a primitive (`string`, `integer`, `number`, `boolean`, with the
    schema's `format`), `array`/`map` of `item`, or `named` (a model of `name`)."""

    kind: str
    item: TypeRef | None = None
    name: str | None = None
    format: str | None = None


ANY = TypeRef("any")
FREE_OBJECT = TypeRef("map", item=ANY)


@dataclass
class Field:
    wire: str
    type: TypeRef
    required: bool
    nullable: bool = False
    deprecated: bool = False
    secret: bool = False


@dataclass
class Model:
    """A named type. `struct`: `fields` (+ `additional`, the declared additionalProperties
    type); `enum`: string `values`; `union`: `variants` (oneOf/anyOf); `alias`: `target`.
    `multipart` models describe form-data bodies: kept in the IR, not emitted as JSON models."""

    name: str
    kind: str
    origin: str
    fields: list[Field] = field(default_factory=list)
    additional: TypeRef | None = None
    values: list[str] = field(default_factory=list)
    variants: list[TypeRef] = field(default_factory=list)
    target: TypeRef | None = None
    deprecated: bool = False
    multipart: bool = False
    examples: list[Any] = field(default_factory=list)


@dataclass
class Param:
    name: str
    key: str
    location: str
    required: bool
    kind: str  # text | integer | number | boolean | enum
    type: TypeRef
    values: list[str] = field(default_factory=list)
    deprecated: bool = False
    # The description's examples of the parameter (its own, then its schema's).
    examples: list[Any] = field(default_factory=list)


@dataclass
class Operation:
    id: str
    name: str
    type_prefix: str
    tag: str
    method: str
    path: str
    params: list[Param]
    linked_account: str  # none | optional | required (the linked_account_id header)
    body_kind: str
    body_required: bool
    body_type: TypeRef | None
    multipart_type: TypeRef | None
    auth: str
    retry: str
    pagination: str
    pagination_items: str | None
    deprecated: bool
    success_status: int
    response_type: TypeRef | None
    error_types: dict[int, TypeRef]
    params_model: str | None
    request_examples: list[Any] = field(default_factory=list)
    response_examples: list[tuple[int, Any]] = field(default_factory=list)
    overlay: dict[str, Any] = field(default_factory=dict)


@dataclass
class IR:
    operations: list[Operation]
    models: dict[str, Model]
    notes: list[str]

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.id == operation_id:
                return op
        raise KeyError(operation_id)

    def emitted_models(self) -> list[Model]:
        """The models the JSON emitters write (form-data bodies excluded)."""
        return [m for m in self.models.values() if not m.multipart]


def build(spec: Spec, overlay: Any = None) -> IR:
    return _Builder(spec, overlay).build()


def _normalized_overlay_entry(entry: Any) -> Any:
    """conformance/openapi/overlay.json states where linked_account_id travels as an object
    ({header, query, path, body}) and pagination as an object ({kind, items, …}); the IR
    needs the header choice and the pagination kind and items field."""
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    where = entry.get("linked_account_id")
    if isinstance(where, dict):
        entry["linked_account_id"] = "header" if where.get("header") else "none"
    pagination = entry.get("pagination")
    if isinstance(pagination, dict):
        entry["pagination"] = pagination.get("kind", "none")
        if pagination.get("items"):
            entry["items"] = pagination["items"]
    return entry


def _is_json(content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return base == "application/json" or (base.startswith("application/") and base.endswith("+json"))


def _schema_types(schema: dict[str, Any]) -> list[str]:
    raw = schema.get("type")
    if isinstance(raw, str):
        types = [raw]
    elif isinstance(raw, list):
        types = [t for t in raw if isinstance(t, str)]
    else:
        types = []
    return [t for t in types if t != "null"]


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("type") == ["null"])


def _examples_of(node: dict[str, Any], spec: Spec) -> list[Any]:
    """The `example` and the values of `examples` (a map of Example objects, or a JSON Schema
    list) of a schema or media type."""
    found: list[Any] = []
    if "example" in node:
        found.append(node["example"])
    examples = node.get("examples")
    if isinstance(examples, dict):
        for example in examples.values():
            example = spec.resolve(example)
            if isinstance(example, dict) and "value" in example:
                found.append(example["value"])
    elif isinstance(examples, list):
        found.extend(examples)
    return found


class _Builder:
    def __init__(self, spec: Spec, overlay: Any) -> None:
        self.spec = spec
        self.notes: list[str] = []
        self.models: dict[str, Model] = {}
        self.overlay_ops = self._read_overlay(overlay)
        self.component_names: dict[str, str] = {}
        for schema_name in spec.schemas:
            name = naming.type_name(schema_name)
            if name in self.component_names.values():
                raise SpecError(f"two component schemas are both named {name!r}")
            self.component_names[schema_name] = name
        self.enum_value_sets = self._survey_enums()
        self.enum_by_key: dict[tuple[Any, ...], str] = {}

    # ---- inputs --------------------------------------------------------------------------

    def _read_overlay(self, overlay: Any) -> dict[str, dict[str, Any]]:
        if overlay is None:
            return {}
        if not isinstance(overlay, dict) or not isinstance(overlay.get("operations", {}), dict):
            raise SpecError("overlay: expected {\"operations\": {operationId: {...}}}")
        operations: dict[str, dict[str, Any]] = {
            op_id: _normalized_overlay_entry(entry)
            for op_id, entry in overlay.get("operations", {}).items()
        }
        for op_id, entry in operations.items():
            if not isinstance(entry, dict):
                raise SpecError(f"overlay: {op_id}: expected an object")
            checks = {
                "retry": RETRY_RULES,
                "linked_account_id": LINKED_ACCOUNT_CHOICES,
                "pagination": PAGINATION_KINDS,
            }
            for key, allowed in checks.items():
                if key in entry and entry[key] not in allowed:
                    raise SpecError(f"overlay: {op_id}.{key}: {entry[key]!r} is not one of {allowed}")
            if "name" in entry and not (isinstance(entry["name"], str) and SNAKE_NAME.fullmatch(entry["name"])):
                raise SpecError(f"overlay: {op_id}.name: {entry.get('name')!r} is not snake_case")
            if "deprecated" in entry and not isinstance(entry["deprecated"], bool):
                raise SpecError(f"overlay: {op_id}.deprecated: expected true or false")
            if "items" in entry and not isinstance(entry["items"], str):
                raise SpecError(f"overlay: {op_id}.items: expected a field name")
        return operations

    def _survey_enums(self) -> dict[str, set[tuple[str, ...]]]:
        """For each property or parameter name, the distinct inline string-enum value lists
        declared under it anywhere in the document (decides how inline enums are named)."""
        found: dict[str, set[tuple[str, ...]]] = {}

        def record(name: str, schema: Any) -> None:
            if not isinstance(schema, dict):
                return
            if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
                schema = schema["items"]
            values = schema.get("enum")
            if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
                found.setdefault(name, set()).add(tuple(values))

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                properties = node.get("properties")
                if isinstance(properties, dict):
                    for name, prop in properties.items():
                        record(name, prop)
                if isinstance(node.get("name"), str) and node.get("in") in PARAM_LOCATIONS:
                    record(node["name"], node.get("schema"))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.spec.document)
        return found

    # ---- models --------------------------------------------------------------------------

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _taken(self, name: str) -> bool:
        return name in self.models or name in self.component_names.values()

    def _free_name(self, wanted: str, where: str) -> str:
        if not self._taken(wanted):
            return wanted
        suffix = 2
        while self._taken(f"{wanted}{suffix}"):
            suffix += 1
        self.note(f"{where}: the name {wanted} is taken; named {wanted}{suffix}")
        return f"{wanted}{suffix}"

    def _register(self, model: Model) -> TypeRef:
        if model.name in self.models:
            raise SpecError(f"{model.origin}: model name {model.name} defined twice")
        self.models[model.name] = model
        return TypeRef("named", name=model.name)

    def type_of(self, schema: Any, name: str, owner_field: tuple[str, str] | None, where: str,
                component: bool = False) -> TypeRef:
        """The type of `schema`. A model it needs is named `name` (inline objects, oneOf) or,
        for an inline string enum under a property, by the enum rule (see `_enum_type`).
        `component`: `name` is a component schema's own name, which it may take."""
        if isinstance(schema, bool) or schema is None:
            return ANY
        if not isinstance(schema, dict):
            self.note(f"{where}: a schema that is not an object; typed as any")
            return ANY
        if "$ref" in schema:
            ref = schema["$ref"]
            schema_name = component_schema_name(ref)
            if schema_name is not None:
                if schema_name not in self.spec.schemas:
                    raise SpecError(f"{where}: unresolvable $ref {ref!r}")
                return TypeRef("named", name=self.component_names[schema_name])
            return self.type_of(self.spec.resolve(schema), name, owner_field, where, component)
        if "allOf" in schema:
            parts = schema["allOf"]
            if isinstance(parts, list) and len(parts) == 1 and not schema.get("properties"):
                return self.type_of(parts[0], name, owner_field, where, component)
            return self._struct(schema, name, where, component)
        for key in ("oneOf", "anyOf"):
            if key in schema and isinstance(schema[key], list):
                variants: list[TypeRef] = []
                for index, variant in enumerate(schema[key]):
                    if _is_null_schema(variant):
                        continue
                    variant_type = self.type_of(variant, f"{name}Variant{index + 1}", None, where)
                    if variant_type not in variants:
                        variants.append(variant_type)
                if not variants:
                    return ANY
                if len(variants) == 1:
                    return variants[0]
                model_name = name if component else self._free_name(name, where)
                return self._register(Model(model_name, "union", where, variants=variants,
                                            deprecated=bool(schema.get("deprecated"))))
        types = _schema_types(schema)
        if "enum" in schema and isinstance(schema["enum"], list):
            values = [v for v in schema["enum"] if v is not None]
            if values and all(isinstance(v, str) for v in values) and types in ([], ["string"]):
                return self._enum_type(values, name, owner_field, where, component)
            if values:
                self.note(f"{where}: enum of non-string values {values}: typed as its base type")
        if len(types) > 1:
            self.note(f"{where}: several types {types}: typed as any")
            return ANY
        kind = types[0] if types else None
        if kind is None:
            if "properties" in schema or "additionalProperties" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
            else:
                return ANY
        if kind == "object":
            if schema.get("properties") or schema.get("required"):
                return self._struct(schema, name, where, component)
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return TypeRef("map", item=self.type_of(extra, f"{name}Value", None, where))
            return FREE_OBJECT
        if kind == "array":
            items = schema.get("items", {})
            return TypeRef("array", item=self.type_of(items, f"{name}Item", owner_field, where))
        if kind in ("string", "integer", "number", "boolean"):
            fmt = schema.get("format")
            return TypeRef(kind, format=fmt if isinstance(fmt, str) else None)
        self.note(f"{where}: unknown type {kind!r}: typed as any")
        return ANY

    def _enum_type(self, values: list[str], name: str, owner_field: tuple[str, str] | None,
                   where: str, component: bool) -> TypeRef:
        """Inline string enums under a property are named after the property (`environment` →
        `Environment`) when every enum declared under that property name has the same
        values, else after their first owner too (`HumanTaskPublicStatus`); the same values
        under the same property share one type. `"true"`/`"false"` is `BooleanString`."""
        if component or owner_field is None:
            key: tuple[Any, ...] = ("", name, tuple(values))
            wanted = name
        elif set(values) == {"true", "false"}:
            key = ("", BOOLEAN_STRING)
            values = ["true", "false"]
            wanted = BOOLEAN_STRING
        else:
            owner, field_name = owner_field
            key = (field_name, tuple(values))
            if len(self.enum_value_sets.get(field_name, set())) <= 1:
                wanted = naming.pascal(field_name)
            else:
                wanted = owner + naming.pascal(field_name)
        if key in self.enum_by_key:
            return TypeRef("named", name=self.enum_by_key[key])
        if not component and self._taken(wanted) and owner_field is not None:
            qualified = owner_field[0] + naming.pascal(owner_field[1])
            wanted = qualified if not self._taken(qualified) else self._free_name(qualified, where)
        elif not component:
            wanted = self._free_name(wanted, where)
        self.enum_by_key[key] = wanted
        return self._register(Model(wanted, "enum", where, values=list(values)))

    def _merge_object(self, schema: dict[str, Any], where: str) -> tuple[dict[str, Any], list[str], Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        additional: Any = None

        def visit(node: Any) -> None:
            nonlocal additional
            node = self.spec.resolve(node)
            if not isinstance(node, dict):
                return
            for part in node.get("allOf", []) or []:
                visit(part)
            for wire, prop in (node.get("properties") or {}).items():
                if wire in properties and properties[wire] != prop:
                    self.note(f"{where}: allOf parts define `{wire}` differently; the last one is used")
                properties[wire] = prop
            for wire in node.get("required", []) or []:
                if wire not in required:
                    required.append(wire)
            extra = node.get("additionalProperties")
            if extra is True or isinstance(extra, dict):
                additional = extra

        visit(schema)
        return properties, required, additional

    def _struct(self, schema: dict[str, Any], name: str, where: str, component: bool) -> TypeRef:
        model_name = name if component else self._free_name(name, where)
        properties, required, additional = self._merge_object(schema, where)
        fields: list[Field] = []
        for wire, prop in properties.items():
            prop_type = self.type_of(prop, model_name + naming.pascal(wire), (model_name, wire),
                                     f"{where}.{wire}")
            prop_node = prop if isinstance(prop, dict) else {}
            resolved = self.spec.resolve(prop_node)
            nullable = bool(
                prop_node.get("nullable")
                or "null" in (prop_node.get("type") if isinstance(prop_node.get("type"), list) else [])
                or any(_is_null_schema(v) for v in prop_node.get("oneOf", []) + prop_node.get("anyOf", []))
            )
            fields.append(Field(
                wire=wire,
                type=prop_type,
                required=wire in required,
                nullable=nullable,
                deprecated=bool(prop_node.get("deprecated") or (isinstance(resolved, dict) and resolved.get("deprecated"))),
                secret=self._is_secret(model_name, wire, prop_type),
            ))
        for wire in required:
            if wire not in properties:
                self.note(f"{where}: `{wire}` is required but not among the properties; typed as any")
                fields.append(Field(wire=wire, type=ANY, required=True,
                                    secret=self._is_secret(model_name, wire, ANY)))
        if additional is None:
            additional_type = None
        elif additional is True or additional == {}:
            additional_type = ANY
        else:
            additional_type = self.type_of(additional, f"{model_name}Value", None, where)
        examples = _examples_of(schema, self.spec)
        for wire, prop in properties.items():
            if isinstance(prop, dict):
                examples.extend({wire: value} for value in _examples_of(prop, self.spec))
        return self._register(Model(model_name, "struct", where, fields=fields,
                                    additional=additional_type,
                                    deprecated=bool(schema.get("deprecated")), examples=examples))

    def _is_secret(self, owner: str, wire: str, field_type: TypeRef) -> bool:
        if field_type.kind in ("boolean", "integer", "number"):
            return False
        if field_type.kind == "named" and field_type.name in self.models and self.models[field_type.name].kind == "enum":
            return False
        letters = re.sub(r"[^a-z]", "", wire.lower())
        if any(word in letters for word in SECRET_WORDS):
            return True
        return letters == "value" and bool(SECRET_VALUE_OWNERS.search(owner))

    def _components(self) -> None:
        for schema_name, schema in self.spec.schemas.items():
            name = self.component_names[schema_name]
            where = f"#/components/schemas/{schema_name}"
            result = self.type_of(schema, name, None, where, component=True)
            if result != TypeRef("named", name=name):
                examples = _examples_of(schema, self.spec) if isinstance(schema, dict) else []
                self._register(Model(name, "alias", where, target=result,
                                     deprecated=bool(isinstance(schema, dict) and schema.get("deprecated")),
                                     examples=examples))

    # ---- operations ----------------------------------------------------------------------

    def _params(self, op_id: str, prefix: str, path: str, raw_params: list[Any], where: str,
                linked_choice: str | None) -> tuple[list[Param], str]:
        declared: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in raw_params:
            param = self.spec.resolve(raw)
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                raise SpecError(f"{where}: a parameter without a name")
            location = param.get("in")
            if location not in PARAM_LOCATIONS:
                raise SpecError(f"{where}: parameter {param['name']!r} in {location!r} is not supported")
            key = (param["name"], location)
            if key in declared and declared[key] is not param:
                self.note(f"{where}: parameter {param['name']} ({location}) declared twice; the last is used")
            declared[key] = param
        template_names = re.findall(r"{([^}]+)}", path)
        for name in template_names:
            if (name, "path") not in declared:
                self.note(f"{where}: path parameter {{{name}}} is not declared; added as a required string")
                declared[(name, "path")] = {"name": name, "in": "path", "required": True,
                                            "schema": {"type": "string"}}
        for name, location in list(declared):
            if location == "path" and name not in template_names:
                self.note(f"{where}: path parameter {name} is not in the path template; dropped")
                del declared[(name, location)]

        header = declared.get((LINKED_ACCOUNT_HEADER, "header"))
        choice = linked_choice or ("header" if header is not None else "none")
        if choice == "header":
            linked = "required" if header is not None and header.get("required") else "optional"
            declared.pop((LINKED_ACCOUNT_HEADER, "header"), None)
        else:
            linked = "none"

        name_counts: dict[str, int] = {}
        for name, _ in declared:
            name_counts[name] = name_counts.get(name, 0) + 1
        params: list[Param] = []
        for (name, location), param in declared.items():
            key = name if name_counts[name] == 1 else f"{name}_in_{location}"
            if name_counts[name] > 1:
                self.note(f"{where}: parameter {name} is declared in several places; its {location} one is keyed {key}")
            required = bool(param.get("required"))
            if location == "path" and not required:
                self.note(f"{where}: path parameter {name} is not marked required; treated as required")
                required = True
            schema = param.get("schema", {})
            param_type = self.type_of(schema, f"{prefix}Params{naming.pascal(key)}",
                                      (f"{prefix}Params", name), f"{where} parameter {name}")
            resolved = self.spec.resolve(schema) if isinstance(schema, dict) else {}
            kind, values = self._param_kind(param_type, resolved, f"{where} parameter {name}")
            params.append(Param(name=name, key=key, location=location, required=required, kind=kind,
                                type=param_type, values=values, deprecated=bool(param.get("deprecated")),
                                examples=_examples_of(param, self.spec) + _examples_of(resolved, self.spec)))
        return params, linked

    def _param_kind(self, param_type: TypeRef, schema: Any, where: str) -> tuple[str, list[str]]:
        if param_type.kind == "named" and param_type.name in self.models:
            model = self.models[param_type.name]
            if model.kind == "enum":
                return "enum", list(model.values)
        if param_type.kind == "string":
            return "text", []
        if param_type.kind in ("integer", "number", "boolean"):
            return param_type.kind, []
        self.note(f"{where}: a {param_type.kind} parameter is sent as text")
        return "text", []

    def _operations(self) -> list[Operation]:
        operations: list[Operation] = []
        document = self.spec.document
        seen_ids: set[str] = set()
        seen_names: set[str] = set()
        for path, raw_item in document["paths"].items():
            item = self.spec.resolve(raw_item)
            shared_params = item.get("parameters", []) or []
            for method in item:
                if method not in HTTP_METHODS:
                    continue
                op = item[method]
                where = f"{method.upper()} {path}"
                op_id = op.get("operationId")
                if not isinstance(op_id, str) or not op_id:
                    raise SpecError(f"{where}: no operationId")
                if op_id in seen_ids:
                    raise SpecError(f"{where}: operationId {op_id} used twice")
                seen_ids.add(op_id)
                operations.append(self._operation(op_id, method, path, op, shared_params, where))
                if operations[-1].name in seen_names:
                    raise SpecError(f"{where}: operation name {operations[-1].name} used twice")
                seen_names.add(operations[-1].name)
        unknown = sorted(set(self.overlay_ops) - seen_ids)
        if unknown:
            raise SpecError(f"overlay: no such operations: {', '.join(unknown)}")
        return operations

    def _operation(self, op_id: str, method: str, path: str, op: dict[str, Any],
                   shared_params: list[Any], where: str) -> Operation:
        overlay = self.overlay_ops.get(op_id, {})
        prefix = naming.pascal(op_id)
        tags = op.get("tags") or ["default"]
        if len(tags) > 1:
            self.note(f"{where}: several tags {tags}; the first is used")
        deprecated = bool(overlay.get("deprecated", op.get("deprecated", False)))

        params, linked = self._params(op_id, prefix, path, list(shared_params) + list(op.get("parameters", []) or []),
                                      where, overlay.get("linked_account_id"))
        params_model = None
        if params:
            params_model = self._free_name(f"{prefix}Params", where)
            self._register(Model(params_model, "struct", f"{where} parameters", fields=[
                Field(wire=p.key, type=p.type, required=p.required, deprecated=p.deprecated,
                      secret=self._is_secret(params_model, p.key, p.type))
                for p in params
            ], deprecated=deprecated))

        body_kind, body_required, body_type, multipart_type, request_examples = self._body(op, prefix, where)
        if body_kind != "none" and method in ("get", "head", "delete"):
            self.note(f"{where}: a {method.upper()} with a request body ({'required' if body_required else 'optional'})")
        raw_params = [self.spec.resolve(p) for p in op.get("parameters", []) or []]
        if linked != "none" and any(isinstance(p, dict) and p.get("name") == LINKED_ACCOUNT_HEADER
                                    and p.get("in") == "query" for p in raw_params):
            self.note(f"{where}: linked_account_id is both a header and a query parameter")
        success_status, response_type, error_types, response_examples = self._responses(op, prefix, where)

        pagination, items = self._pagination(overlay, response_type, where)
        retry = overlay.get("retry") or ("unsent_only" if method in ("post", "patch") else "idempotent")
        return Operation(
            id=op_id,
            name=overlay.get("name") or naming.snake(op_id),
            type_prefix=prefix,
            tag=tags[0],
            method=method.upper(),
            path=path,
            params=params,
            linked_account=linked,
            body_kind=body_kind,
            body_required=body_required,
            body_type=body_type,
            multipart_type=multipart_type,
            auth=self._auth(op, where),
            retry=retry,
            pagination=pagination,
            pagination_items=items,
            deprecated=deprecated,
            success_status=success_status,
            response_type=response_type,
            error_types=error_types,
            params_model=params_model,
            request_examples=request_examples,
            response_examples=response_examples,
            overlay=dict(overlay),
        )

    def _body(self, op: dict[str, Any], prefix: str, where: str) -> tuple[str, bool, TypeRef | None, TypeRef | None, list[Any]]:
        if "requestBody" not in op:
            return "none", False, None, None, []
        body = self.spec.resolve(op["requestBody"])
        content = body.get("content") or {}
        json_type = multipart_type = None
        examples: list[Any] = []
        for content_type, media in content.items():
            media = media or {}
            if _is_json(content_type):
                if json_type is not None:
                    self.note(f"{where}: several JSON request content types; the first is used")
                    continue
                json_type = self.type_of(media.get("schema", {}), f"{prefix}Request", None, f"{where} request body")
                examples.extend(_examples_of(media, self.spec))
            elif content_type.split(";")[0].strip().lower() == "multipart/form-data":
                multipart_type = self.type_of(media.get("schema", {}), f"{prefix}MultipartRequest", None,
                                              f"{where} multipart body")
                self._mark_multipart(multipart_type)
            else:
                self.note(f"{where}: request content type {content_type} is not supported; ignored")
        if json_type is None and multipart_type is None:
            if content:
                raise SpecError(f"{where}: no JSON or multipart request body among {list(content)}")
            return "none", False, None, None, []
        kind = {(True, False): "json", (False, True): "multipart", (True, True): "json_or_multipart"}[
            (json_type is not None, multipart_type is not None)]
        return kind, bool(body.get("required")), json_type, multipart_type, examples

    def _mark_multipart(self, form_type: TypeRef) -> None:
        if form_type.kind == "named" and form_type.name in self.models:
            model = self.models[form_type.name]
            if model.origin.endswith("multipart body"):
                model.multipart = True

    def _responses(self, op: dict[str, Any], prefix: str, where: str) -> tuple[int, TypeRef | None, dict[int, TypeRef], list[tuple[int, Any]]]:
        responses = op.get("responses") or {}
        success_codes = sorted(str(c) for c in responses if re.fullmatch(r"2(\d\d|XX)", str(c)))
        if not success_codes:
            self.note(f"{where}: no 2xx response; success is any 2xx without a body")
        success_type: TypeRef | None = None
        success_status = 200
        examples: list[tuple[int, Any]] = []
        error_types: dict[int, TypeRef] = {}
        for code in responses:
            text = str(code)
            if text == "default":
                continue
            status = 200 if text == "2XX" else int(text) if text.isdigit() else None
            if status is None:
                self.note(f"{where}: response code {text} ignored")
                continue
            response = self.spec.resolve(responses[code]) or {}
            media = None
            for content_type, candidate in (response.get("content") or {}).items():
                if _is_json(content_type):
                    media = candidate or {}
                    break
            if response.get("content") and media is None:
                self.note(f"{where}: {text} response is not JSON ({list(response['content'])}); typed as any")
            if text == (success_codes[0] if success_codes else None):
                success_status = status
                if media is not None:
                    success_type = self.type_of(media.get("schema", {}), f"{prefix}Response", None,
                                                f"{where} response {text}")
                elif response.get("content"):
                    success_type = ANY
            elif 200 <= status < 300:
                self.note(f"{where}: more than one 2xx response; {success_codes[0]} is the one typed")
            elif media is not None:
                error_types[status] = self.type_of(media.get("schema", {}), f"{prefix}Error{status}", None,
                                                   f"{where} response {text}")
            if media is not None:
                examples.extend((status, value) for value in _examples_of(media, self.spec))
        return success_status, success_type, error_types, examples

    def _pagination(self, overlay: dict[str, Any], response_type: TypeRef | None, where: str) -> tuple[str, str | None]:
        items = None
        if response_type is not None and response_type.kind == "named":
            model = self.models.get(response_type.name or "") or self._component_model(response_type.name)
            if model is not None and model.kind == "struct":
                wires = {f.wire: f for f in model.fields}
                if all(marker in wires for marker in PAGE_MARKERS):
                    items = next((w for w in PAGE_ITEM_FIELDS if w in wires and wires[w].type.kind == "array"), None)
        kind = overlay.get("pagination") or ("page" if items else "none")
        if kind == "page":
            items = overlay.get("items") or items
            if not items:
                raise SpecError(f"{where}: paginated, but no items field (give `items` in the overlay)")
            return "page", items
        return "none", None

    def _component_model(self, name: str | None) -> Model | None:
        return self.models.get(name or "")

    def _auth(self, op: dict[str, Any], where: str) -> str:
        requirements = op.get("security", self.spec.document.get("security"))
        if requirements is None:
            self.note(f"{where}: no security declared; treated as none")
            return "none"
        kinds: set[str] = set()
        for requirement in requirements:
            if len(requirement) > 1:
                raise SpecError(f"{where}: a security requirement naming several schemes at once is not supported")
            for scheme_name in requirement:
                scheme = self.spec.resolve(self.spec.security_schemes.get(scheme_name))
                if not isinstance(scheme, dict):
                    raise SpecError(f"{where}: unknown security scheme {scheme_name!r}")
                if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                    kinds.add("api_key")
                elif scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                    kinds.add("session_token")
                else:
                    raise SpecError(f"{where}: security scheme {scheme_name!r} is neither an API key header nor a bearer token")
        if kinds == {"api_key", "session_token"}:
            return "either"
        if kinds:
            return kinds.pop()
        return "none"

    def build(self) -> IR:
        self._components()
        operations = self._operations()
        return IR(operations=operations, models=self.models, notes=self.notes)

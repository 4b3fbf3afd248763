//! Requests checked against Refold's API description before a handler
//! runs: path, query and header parameters (types, required, enums) and
//! JSON or multipart bodies, with the `jsonschema` crate. A refused request
//! gets a 400 in Refold's error shape naming the parameter or member.
//!
//! The description is embedded (`conformance/openapi/refold-openapi.json`)
//! with `nullable: true` read as "or null" (OpenAPI 3.0's spelling in a
//! 3.1 document, quirk Q1 of conformance/openapi/quirks.md); `page` is
//! bounded to 1–10⁹ and `limit` to 1–100 (Q3).

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use hyper::header::CONTENT_TYPE;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::{Map, Value, json};

use crate::accounts::percent_decode;
use crate::multipart::{self, Form};
use crate::respond::Answer;
use crate::routes::{Call, Route, Validation};

/// The largest `page` of any list (as the linked-account list's).
const MAX_PAGE: i64 = 1_000_000_000;
/// The largest `limit` of any list.
const MAX_LIMIT: i64 = 100;

/// What the checks made of the body.
#[derive(Default)]
pub(crate) struct Checked {
    pub json: Option<Value>,
    pub form: Option<Form>,
}

/// The description, with Q1 applied.
static SPEC: LazyLock<Value> = LazyLock::new(|| {
    let mut spec: Value = serde_json::from_str(include_str!(
        "../../conformance/openapi/refold-openapi.json"
    ))
    .expect("the embedded API description is JSON");
    nullable_as_null(&mut spec);
    spec
});

/// Each operation's compiled checks, built on first use.
static CHECKS: LazyLock<HashMap<&'static str, OnceLock<OperationChecks>>> = LazyLock::new(|| {
    crate::generated::routes::SPEC_ROUTES
        .iter()
        .map(|op| (op.id, OnceLock::new()))
        .collect()
});

/// One declared parameter.
struct Param {
    name: String,
    location: Location,
    required: bool,
    /// The schema's `type` (how a text value is read before the check).
    kind: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    fn words(self) -> &'static str {
        match self {
            Location::Path => "path parameter",
            Location::Query => "query parameter",
            Location::Header => "header",
        }
    }
}

struct OperationChecks {
    params: Vec<Param>,
    /// One validator per location that has parameters.
    param_schemas: Vec<(Location, Validator)>,
    /// The JSON body's schema (`None`: the operation takes no JSON body).
    json: Option<Validator>,
    /// The multipart body's text fields' schema.
    multipart: Option<Validator>,
    body_required: bool,
}

/// Checks `call` against its operation (if the route serves one).
pub(crate) fn check(route: &Route, call: &Call<'_>) -> Result<Checked, Answer> {
    let Some(op) = route.operation else {
        return Ok(Checked::default());
    };
    if route.validation == Validation::None {
        return Ok(Checked::default());
    }
    let Some(slot) = CHECKS.get(op.id) else {
        return Ok(Checked::default());
    };
    let checks = slot.get_or_init(|| compile(op.verb.as_str(), op.path));
    check_params(checks, call)?;
    let content_type = call.header(CONTENT_TYPE.as_str()).unwrap_or("");
    let multipart = content_type
        .get(..19)
        .is_some_and(|base| base.eq_ignore_ascii_case("multipart/form-data"));
    if checks.multipart.is_some() && multipart {
        // The boundary is case-sensitive: the header as sent.
        let form = multipart::parse(content_type, call.body).map_err(|problem| {
            Answer::bad_request(&format!("the multipart body is invalid: {problem}"))
        })?;
        if let Some(validator) = &checks.multipart {
            refuse(validator, &form.fields_json(), "request body", "")?;
        }
        return Ok(Checked {
            json: None,
            form: Some(form),
        });
    }
    let Some(validator) = &checks.json else {
        return Ok(Checked::default());
    };
    if call.body.iter().all(u8::is_ascii_whitespace) {
        if checks.body_required {
            return Err(Answer::bad_request("a JSON request body is required"));
        }
        return Ok(Checked::default());
    }
    let value: Value = serde_json::from_slice(call.body)
        .map_err(|_| Answer::bad_request("the request body is not valid JSON"))?;
    refuse(validator, &value, "request body", "")?;
    Ok(Checked {
        json: Some(value),
        form: None,
    })
}

fn check_params(checks: &OperationChecks, call: &Call<'_>) -> Result<(), Answer> {
    let mut values: [Map<String, Value>; 3] = Default::default();
    for param in &checks.params {
        let raw = match param.location {
            Location::Path => match call.param(&param.name) {
                Some(raw) => Some(percent_decode(raw, false).ok_or_else(|| {
                    Answer::bad_request(&format!(
                        "path parameter {} is not valid percent-encoded UTF-8",
                        param.name
                    ))
                })?),
                None => None,
            },
            Location::Query => match call.query_param(&param.name) {
                Some(raw) => Some(percent_decode(raw, true).ok_or_else(|| {
                    Answer::bad_request(&format!(
                        "query parameter {} is not valid percent-encoded UTF-8",
                        param.name
                    ))
                })?),
                None => None,
            },
            Location::Header => match call.headers.get(param.name.as_str()) {
                Some(value) => Some(
                    value
                        .to_str()
                        .map_err(|_| {
                            Answer::bad_request(&format!("header {} must be text", param.name))
                        })?
                        .to_owned(),
                ),
                None => None,
            },
        };
        let Some(raw) = raw else {
            if param.required {
                return Err(Answer::bad_request(&format!(
                    "{} {} is required",
                    param.location.words(),
                    param.name
                )));
            }
            continue;
        };
        let slot = &mut values[param.location as usize];
        slot.insert(param.name.clone(), typed(&raw, param.kind.as_deref()));
    }
    for (location, validator) in &checks.param_schemas {
        let object = Value::Object(std::mem::take(&mut values[*location as usize]));
        refuse(validator, &object, location.words(), " ")?;
    }
    Ok(())
}

/// A parameter's text as its schema's type, when it reads as one (else
/// the text, which the check then refuses).
fn typed(raw: &str, kind: Option<&str>) -> Value {
    match kind {
        Some("integer") => raw.parse::<i64>().map_or_else(|_| json!(raw), Value::from),
        Some("number") => raw
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map_or_else(|| json!(raw), Value::from),
        Some("boolean") => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => json!(raw),
        },
        _ => json!(raw),
    }
}

/// `Err(400)` naming the first problem `validator` finds in `value`.
fn refuse(validator: &Validator, value: &Value, what: &str, separator: &str) -> Result<(), Answer> {
    match validator.iter_errors(value).next() {
        None => Ok(()),
        Some(error) => Err(Answer::bad_request(&describe(&error, what, separator))),
    }
}

/// `webhook_events[0] must be a string`: where (as a member path, or
/// `what` at the top) and what is wrong, without echoing the value.
fn describe(error: &ValidationError<'_>, what: &str, separator: &str) -> String {
    let mut path = String::new();
    for segment in error.instance_path().segments() {
        match segment {
            jsonschema::paths::LocationSegment::Index(index) => {
                path.push_str(&format!("[{index}]"));
            }
            jsonschema::paths::LocationSegment::Property(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&name);
            }
        }
    }
    let subject = |extra: &str| {
        let inner = match (path.is_empty(), extra.is_empty()) {
            (true, true) => return what.to_owned(),
            (true, false) => extra.to_owned(),
            (false, true) => path.clone(),
            (false, false) => format!("{path}.{extra}"),
        };
        if what == "request body" {
            inner
        } else {
            format!("{what}{separator}{inner}")
        }
    };
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            format!("{} is required", subject(property.as_str().unwrap_or("?")))
        }
        ValidationErrorKind::Type { kind } => {
            format!("{} must be {}", subject(""), type_words(kind))
        }
        ValidationErrorKind::Enum { options } => {
            let listed: Vec<String> = options
                .as_array()
                .map(|values| {
                    values
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            format!("{} must be one of {}", subject(""), listed.join(", "))
        }
        ValidationErrorKind::MinItems { limit } => {
            format!("{} must have at least {limit} item(s)", subject(""))
        }
        ValidationErrorKind::MaxItems { limit } => {
            format!("{} must have at most {limit} items", subject(""))
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{} must be at least {limit}", subject(""))
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("{} must be at most {limit}", subject(""))
        }
        ValidationErrorKind::Format { format } => {
            format!("{} must be a valid {format}", subject(""))
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{} must match {pattern}", subject(""))
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            format!("{} has none of the allowed shapes", subject(""))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => format!(
            "{} has unknown member(s): {}",
            subject(""),
            unexpected.join(", ")
        ),
        _ => format!("{} is not valid", subject("")),
    }
}

fn type_words(kind: &TypeKind) -> String {
    let word = |name: &str| match name {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean",
        "object" => "an object",
        "array" => "an array",
        "null" => "null",
        _ => "of another type",
    };
    match kind {
        TypeKind::Single(single) => word(single.as_str()).to_owned(),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| word(t.as_str()))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// The checks of the operation at `method` `path` of the description.
fn compile(method: &str, path: &str) -> OperationChecks {
    let spec = &*SPEC;
    let operation = &spec["paths"][path][method.to_ascii_lowercase()];
    let mut params = Vec::new();
    let mut schemas: [Map<String, Value>; 3] = Default::default();
    let mut required: [Vec<Value>; 3] = Default::default();
    let shared = spec["paths"][path]["parameters"].as_array().cloned();
    for declared in shared
        .unwrap_or_default()
        .iter()
        .chain(operation["parameters"].as_array().into_iter().flatten())
    {
        let declared = resolve(spec, declared);
        let (Some(name), Some(location)) = (declared["name"].as_str(), declared["in"].as_str())
        else {
            continue;
        };
        let location = match location {
            "path" => Location::Path,
            "query" => Location::Query,
            "header" => Location::Header,
            _ => continue,
        };
        // Authentication reads the linked account (header or query).
        if name == "linked_account_id" && location != Location::Path {
            continue;
        }
        let mut schema = declared["schema"].clone();
        let kind = schema["type"].as_str().map(str::to_owned);
        if kind.as_deref() == Some("integer") && location == Location::Query {
            match name {
                "page" => bound(&mut schema, MAX_PAGE),
                "limit" => bound(&mut schema, MAX_LIMIT),
                _ => {}
            }
        }
        let is_required = declared["required"].as_bool() == Some(true);
        schemas[location as usize].insert(name.to_owned(), schema);
        if is_required {
            required[location as usize].push(json!(name));
        }
        params.push(Param {
            name: name.to_owned(),
            location,
            required: is_required,
            kind,
        });
    }
    let mut param_schemas = Vec::new();
    for location in [Location::Path, Location::Query, Location::Header] {
        let properties = std::mem::take(&mut schemas[location as usize]);
        if properties.is_empty() {
            continue;
        }
        let schema = json!({
            "type": "object",
            "properties": properties,
            "required": std::mem::take(&mut required[location as usize]),
        });
        param_schemas.push((location, build(spec, schema)));
    }
    let body = resolve(spec, &operation["requestBody"]);
    let content = &body["content"];
    let json = content["application/json"]
        .get("schema")
        .map(|schema| build(spec, schema.clone()));
    let multipart = content["multipart/form-data"]
        .get("schema")
        .map(|schema| build(spec, multipart::text_fields_schema(schema)));
    OperationChecks {
        params,
        param_schemas,
        json,
        multipart,
        body_required: body["required"].as_bool() == Some(true),
    }
}

fn bound(schema: &mut Value, max: i64) {
    if let Some(members) = schema.as_object_mut() {
        members.insert("minimum".into(), json!(1));
        members.insert("maximum".into(), json!(max));
    }
}

/// A `$ref` to `#/components/…` resolved (one level).
fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| spec.pointer(pointer))
            .unwrap_or(node),
        None => node,
    }
}

/// A validator for `schema`, whose `$ref`s point into the description's
/// components.
fn build(spec: &Value, schema: Value) -> Validator {
    let mut root = match schema {
        Value::Object(members) => members,
        other => {
            let mut members = Map::new();
            members.insert("allOf".to_owned(), json!([other]));
            members
        }
    };
    root.insert("components".to_owned(), spec["components"].clone());
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .expect("the API description's schemas compile")
}

/// `type: T, nullable: true` becomes `type: [T, "null"]` everywhere.
fn nullable_as_null(node: &mut Value) {
    match node {
        Value::Object(members) => {
            if members.remove("nullable") == Some(Value::Bool(true))
                && let Some(Value::String(kind)) = members.get("type").cloned()
            {
                members.insert("type".to_owned(), json!([kind, "null"]));
            }
            for value in members.values_mut() {
                nullable_as_null(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_as_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::routes::SPEC_ROUTES;

    #[test]
    fn every_operation_compiles() {
        for op in SPEC_ROUTES {
            let checks = compile(op.verb.as_str(), op.path);
            assert_eq!(
                checks
                    .params
                    .iter()
                    .filter(|p| p.location == Location::Path)
                    .count(),
                op.path.matches('{').count(),
                "{}",
                op.id
            );
        }
    }

    #[test]
    fn problems_name_the_member_without_the_value() {
        let checks = compile("POST", "/api/v2/public/webhook");
        let validator = checks.json.unwrap();
        let bad = json!({"webhook_url": "http://127.0.0.1/x", "webhook_events": ["a", 5]});
        let message = refuse(&validator, &bad, "request body", "").unwrap_err();
        let body: Value = serde_json::from_slice(&message.body).unwrap();
        assert_eq!(body["message"], "webhook_events[1] must be a string");
        let missing = refuse(&validator, &json!({}), "request body", "").unwrap_err();
        let body: Value = serde_json::from_slice(&missing.body).unwrap();
        assert!(body["message"].as_str().unwrap().ends_with(" is required"));
        let top = refuse(&validator, &json!([]), "request body", "").unwrap_err();
        let body: Value = serde_json::from_slice(&top.body).unwrap();
        assert_eq!(body["message"], "request body must be an object");
    }

    #[test]
    fn text_parameters_are_read_as_their_type() {
        assert_eq!(typed("12", Some("integer")), json!(12));
        assert_eq!(typed("1.5", Some("integer")), json!("1.5"));
        assert_eq!(typed("true", Some("boolean")), json!(true));
        assert_eq!(typed("NaN", Some("number")), json!("NaN"));
        assert_eq!(typed("x", None), json!("x"));
    }

    #[test]
    fn nullable_becomes_a_type_list() {
        let mut node =
            json!({"a": {"type": "integer", "nullable": true}, "b": [{"nullable": true}]});
        nullable_as_null(&mut node);
        assert_eq!(node, json!({"a": {"type": ["integer", "null"]}, "b": [{}]}));
    }
}

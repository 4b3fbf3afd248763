//! The fault-injection language: parsing `POST /__emulator/faults` bodies.
//!
//! Parsing is hand-written rather than derived so that a bad list gets a
//! 400 naming the fault index, the field and what was expected.

use std::time::Duration;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

/// Longest accepted `delay` / `stall_body` / `pause_ms` wait, to catch unit
/// mistakes.
const MAX_MS: u64 = 600_000;
/// `body_base64` of a `wire` fault: the standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// Most faults in one list (the 1 MiB request body would allow ~60 000).
pub(crate) const MAX_FAULTS: usize = 10_000;
/// Default and largest `oversized` body.
const DEFAULT_OVERSIZED_BYTES: u64 = 2 * 1024 * 1024;
const MAX_OVERSIZED_BYTES: u64 = 256 * 1024 * 1024;
const DEFAULT_REDIRECT_LOCATION: &str = "/api/v2/public/session-token-moved";

/// One queued fault: what to do to the next public-API request, plus
/// headers added to whatever response results.
#[derive(Debug)]
pub(crate) struct Fault {
    pub action: FaultAction,
    pub headers: HeaderMap,
}

#[derive(Debug)]
pub(crate) enum FaultAction {
    /// Answer `status` with an optional body.
    Status {
        status: StatusCode,
        body: Option<FaultBody>,
    },
    /// Wait, then process the request normally.
    Delay(Duration),
    /// A normal token response whose body pauses half way.
    StallBody(Duration),
    /// Drop the connection without answering.
    Close,
    /// A token response cut off half way, then the connection drops.
    Truncate,
    /// Any status, content type and text body.
    Raw {
        status: StatusCode,
        content_type: HeaderValue,
        body: Bytes,
    },
    /// A valid token JSON padded to about `bytes` bytes.
    Oversized { bytes: usize },
    /// A 3xx pointing elsewhere.
    Redirect {
        status: StatusCode,
        location: HeaderValue,
    },
    /// Exactly `bytes` written on the socket (HTTP/1), then after `pause`
    /// the connection closes.
    Wire { bytes: Bytes, pause: Duration },
}

/// The body of a `status` fault.
#[derive(Debug)]
pub(crate) enum FaultBody {
    /// Sent as `application/json`.
    Json(Bytes),
    /// A JSON string, sent raw as `text/plain`.
    Text(Bytes),
}

/// Parses a JSON array of faults; the error says which fault and why.
pub(crate) fn parse_faults(body: &[u8]) -> Result<Vec<Fault>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
    let Value::Array(items) = value else {
        return Err("expected a JSON array of faults".to_owned());
    };
    if items.len() > MAX_FAULTS {
        return Err(format!(
            "at most {MAX_FAULTS} faults per list, got {}",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_fault(item).map_err(|e| format!("fault {index}: {e}")))
        .collect()
}

fn parse_fault(item: &Value) -> Result<Fault, String> {
    let Value::Object(obj) = item else {
        return Err("expected an object with a `kind` field".to_owned());
    };
    let kind = match obj.get("kind") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err("`kind` must be a string".to_owned()),
        None => return Err("missing field `kind`".to_owned()),
    };
    let fields = Fields { obj, kind };
    let action = match kind {
        "status" => {
            fields.allow(&["status", "body"])?;
            let status = fields
                .status("status", None, 200..=599)?
                .ok_or("missing field `status`")?;
            let body = match obj.get("body") {
                None => None,
                Some(Value::String(text)) => Some(FaultBody::Text(Bytes::from(text.clone()))),
                Some(json) => Some(FaultBody::Json(Bytes::from(json.to_string()))),
            };
            FaultAction::Status { status, body }
        }
        "delay" => {
            fields.allow(&["ms"])?;
            FaultAction::Delay(fields.millis("ms", None)?)
        }
        "stall_body" => {
            fields.allow(&["ms"])?;
            FaultAction::StallBody(fields.millis("ms", None)?)
        }
        "close" => {
            fields.allow(&[])?;
            FaultAction::Close
        }
        "truncate" => {
            fields.allow(&[])?;
            FaultAction::Truncate
        }
        "raw" => {
            fields.allow(&["status", "content_type", "body"])?;
            let status = fields
                .status("status", Some(200), 200..=599)?
                .unwrap_or(StatusCode::OK);
            let content_type = fields.header_value("content_type", "text/plain")?;
            let body = match obj.get("body") {
                None => Bytes::new(),
                Some(Value::String(text)) => Bytes::from(text.clone()),
                Some(_) => return Err("raw: `body` must be a string".to_owned()),
            };
            FaultAction::Raw {
                status,
                content_type,
                body,
            }
        }
        "oversized" => {
            fields.allow(&["bytes"])?;
            let bytes = fields.uint("bytes")?.unwrap_or(DEFAULT_OVERSIZED_BYTES);
            if bytes > MAX_OVERSIZED_BYTES {
                return Err(format!(
                    "oversized: `bytes` must be at most {MAX_OVERSIZED_BYTES}"
                ));
            }
            FaultAction::Oversized {
                bytes: usize::try_from(bytes).map_err(|_| "oversized: `bytes` is too large")?,
            }
        }
        "redirect" => {
            fields.allow(&["status", "location"])?;
            let status = fields
                .status("status", Some(302), 300..=399)?
                .unwrap_or(StatusCode::FOUND);
            let location = fields.header_value("location", DEFAULT_REDIRECT_LOCATION)?;
            FaultAction::Redirect { status, location }
        }
        "wire" => {
            fields.allow(&[
                "status_line",
                "wire_headers",
                "body",
                "body_base64",
                "pause_ms",
            ])?;
            if obj.contains_key("headers") {
                return Err("wire: `headers` does not apply; use `wire_headers`: \
                            [[name, value], …], sent as given"
                    .to_owned());
            }
            FaultAction::Wire {
                bytes: wire_bytes(obj)?,
                pause: fields.millis("pause_ms", Some(0))?,
            }
        }
        other => {
            return Err(format!(
                "unknown kind {other:?} (expected one of status, delay, stall_body, close, \
                 truncate, raw, oversized, redirect, wire)"
            ));
        }
    };
    Ok(Fault {
        action,
        headers: parse_headers(obj.get("headers"))?,
    })
}

/// The fields of one fault object, for typed look-ups with precise errors.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    kind: &'a str,
}

impl Fields<'_> {
    /// Rejects fields the kind does not use, so typos (`delay_ms`) are caught.
    fn allow(&self, allowed: &[&str]) -> Result<(), String> {
        match self
            .obj
            .keys()
            .find(|k| !matches!(k.as_str(), "kind" | "headers") && !allowed.contains(&k.as_str()))
        {
            Some(unknown) => Err(format!(
                "{}: unknown field `{unknown}` (allowed: {})",
                self.kind,
                if allowed.is_empty() {
                    "only kind and headers".to_owned()
                } else {
                    allowed.join(", ") + ", headers"
                }
            )),
            None => Ok(()),
        }
    }

    fn uint(&self, name: &str) -> Result<Option<u64>, String> {
        match self.obj.get(name) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                format!(
                    "{}: `{name}` must be a non-negative integer, got {v}",
                    self.kind
                )
            }),
        }
    }

    /// A wait in milliseconds, at most [`MAX_MS`]; required unless a
    /// default is given.
    fn millis(&self, name: &str, default: Option<u64>) -> Result<Duration, String> {
        let ms = self
            .uint(name)?
            .or(default)
            .ok_or_else(|| format!("{}: missing field `{name}`", self.kind))?;
        if ms > MAX_MS {
            return Err(format!("{}: `{name}` must be at most {MAX_MS}", self.kind));
        }
        Ok(Duration::from_millis(ms))
    }

    fn status(
        &self,
        name: &str,
        default: Option<u16>,
        range: std::ops::RangeInclusive<u16>,
    ) -> Result<Option<StatusCode>, String> {
        let Some(code) = self.uint(name)?.or(default.map(u64::from)) else {
            return Ok(None);
        };
        let (lo, hi) = (*range.start(), *range.end());
        u16::try_from(code)
            .ok()
            .filter(|c| range.contains(c))
            .and_then(|c| StatusCode::from_u16(c).ok())
            .map(Some)
            .ok_or_else(|| format!("{}: `{name}` must be between {lo} and {hi}", self.kind))
    }

    fn header_value(&self, name: &str, default: &str) -> Result<HeaderValue, String> {
        match self.obj.get(name) {
            None => Ok(HeaderValue::from_str(default).expect("default is a valid header value")),
            Some(Value::String(s)) => HeaderValue::from_str(s)
                .map_err(|_| format!("{}: `{name}` is not a valid header value", self.kind)),
            Some(_) => Err(format!("{}: `{name}` must be a string", self.kind)),
        }
    }
}

/// The bytes of a `wire` fault: `status_line`, CRLF, each `name: value`
/// pair and CRLF, an empty line, then the body, with nothing added.
fn wire_bytes(obj: &Map<String, Value>) -> Result<Bytes, String> {
    let mut out = Vec::new();
    match obj.get("status_line") {
        Some(Value::String(line)) => out.extend_from_slice(line.as_bytes()),
        Some(_) => return Err("wire: `status_line` must be a string".to_owned()),
        None => return Err("wire: missing field `status_line`".to_owned()),
    }
    out.extend_from_slice(b"\r\n");
    match obj.get("wire_headers") {
        None => {}
        Some(Value::Array(pairs)) => {
            for (index, pair) in pairs.iter().enumerate() {
                let Some([Value::String(name), Value::String(value)]) =
                    pair.as_array().map(Vec::as_slice)
                else {
                    return Err(format!(
                        "wire: `wire_headers[{index}]` must be a [name, value] pair of strings"
                    ));
                };
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(value.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
        }
        Some(_) => {
            return Err("wire: `wire_headers` must be an array of [name, value] pairs".to_owned());
        }
    }
    out.extend_from_slice(b"\r\n");
    match (obj.get("body"), obj.get("body_base64")) {
        (Some(_), Some(_)) => {
            return Err("wire: give at most one of `body` and `body_base64`".to_owned());
        }
        (Some(Value::String(text)), None) => out.extend_from_slice(text.as_bytes()),
        (Some(_), None) => return Err("wire: `body` must be a string".to_owned()),
        (None, Some(Value::String(encoded))) => BASE64
            .decode_vec(encoded, &mut out)
            .map_err(|e| format!("wire: `body_base64` is not valid base64: {e}"))?,
        (None, Some(_)) => return Err("wire: `body_base64` must be a string".to_owned()),
        (None, None) => {}
    }
    Ok(out.into())
}

fn parse_headers(value: Option<&Value>) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    let Some(value) = value else {
        return Ok(headers);
    };
    let Value::Object(map) = value else {
        return Err("`headers` must be an object of name: string value".to_owned());
    };
    for (name, value) in map {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`headers`: {name:?} is not a valid header name"))?;
        let Value::String(value) = value else {
            return Err(format!("`headers`: the value of {name:?} must be a string"));
        };
        let header_value = HeaderValue::from_str(value)
            .map_err(|_| format!("`headers`: the value of {name:?} is not a valid header value"))?;
        headers.append(header_name, header_value);
    }
    Ok(headers)
}

/// A fault for the next webhook delivery (`POST /__emulator/webhook-faults`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeliveryFault {
    /// The delivery is never sent (the log says so).
    Drop,
    /// The delivery is sent twice, same body and signature, as Refold may
    /// deliver an event more than once.
    Duplicate,
}

/// Parses a JSON array of delivery faults (`{"kind": "drop"}`,
/// `{"kind": "duplicate"}`); the error names the fault.
pub(crate) fn parse_delivery_faults(body: &[u8]) -> Result<Vec<DeliveryFault>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
    let Value::Array(items) = value else {
        return Err("expected a JSON array of delivery faults".to_owned());
    };
    if items.len() > crate::webhooks::MAX_DELIVERY_FAULTS {
        return Err(format!(
            "at most {} delivery faults per list, got {}",
            crate::webhooks::MAX_DELIVERY_FAULTS,
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let Value::Object(obj) = item else {
                return Err(format!("fault {index}: expected an object with a `kind`"));
            };
            if let Some(unknown) = obj.keys().find(|k| k.as_str() != "kind") {
                return Err(format!("fault {index}: unknown field `{unknown}`"));
            }
            match obj.get("kind").and_then(Value::as_str) {
                Some("drop") => Ok(DeliveryFault::Drop),
                Some("duplicate") => Ok(DeliveryFault::Duplicate),
                _ => Err(format!(
                    "fault {index}: `kind` must be \"drop\" or \"duplicate\""
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(json: &str) -> Fault {
        let mut faults = parse_faults(json.as_bytes()).expect("valid");
        assert_eq!(faults.len(), 1);
        faults.remove(0)
    }

    fn parse_err(json: &str) -> String {
        parse_faults(json.as_bytes()).expect_err("invalid")
    }

    #[test]
    fn status_with_json_body_and_headers() {
        let fault = parse_one(
            r#"[{"kind":"status","status":503,"headers":{"retry-after":"1"},"body":{"message":"busy"}}]"#,
        );
        assert_eq!(fault.headers["retry-after"], "1");
        match fault.action {
            FaultAction::Status {
                status,
                body: Some(FaultBody::Json(body)),
            } => {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
                assert_eq!(&body[..], br#"{"message":"busy"}"#);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn status_with_string_body_is_text() {
        let fault = parse_one(r#"[{"kind":"status","status":502,"body":"bad gateway"}]"#);
        assert!(matches!(
            fault.action,
            FaultAction::Status { body: Some(FaultBody::Text(ref b)), .. } if &b[..] == b"bad gateway"
        ));
    }

    #[test]
    fn defaults_apply() {
        match parse_one(r#"[{"kind":"raw"}]"#).action {
            FaultAction::Raw {
                status,
                content_type,
                body,
            } => {
                assert_eq!(status, StatusCode::OK);
                assert_eq!(content_type, "text/plain");
                assert!(body.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            parse_one(r#"[{"kind":"oversized"}]"#).action,
            FaultAction::Oversized { bytes: 2_097_152 }
        ));
        match parse_one(r#"[{"kind":"redirect"}]"#).action {
            FaultAction::Redirect { status, location } => {
                assert_eq!(status, StatusCode::FOUND);
                assert_eq!(location, DEFAULT_REDIRECT_LOCATION);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn all_kinds_parse_in_order() {
        let faults = parse_faults(
            br#"[{"kind":"delay","ms":5},{"kind":"stall_body","ms":6},{"kind":"close"},{"kind":"truncate"}]"#,
        )
        .unwrap();
        assert!(matches!(faults[0].action, FaultAction::Delay(d) if d == Duration::from_millis(5)));
        assert!(
            matches!(faults[1].action, FaultAction::StallBody(d) if d == Duration::from_millis(6))
        );
        assert!(matches!(faults[2].action, FaultAction::Close));
        assert!(matches!(faults[3].action, FaultAction::Truncate));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(parse_err("{").contains("not valid JSON"));
        assert!(parse_err(r#"{"kind":"close"}"#).contains("JSON array"));
        assert!(parse_err(r#"[{"kind":"close"}, 3]"#).starts_with("fault 1:"));
        assert!(parse_err(r#"[{}]"#).contains("missing field `kind`"));
        assert!(parse_err(r#"[{"kind":"explode"}]"#).contains("unknown kind \"explode\""));
        assert!(parse_err(r#"[{"kind":"status"}]"#).contains("missing field `status`"));
        assert!(parse_err(r#"[{"kind":"status","status":99}]"#).contains("between 200 and 599"));
        assert!(parse_err(r#"[{"kind":"delay"}]"#).contains("missing field `ms`"));
        assert!(parse_err(r#"[{"kind":"delay","ms":-1}]"#).contains("non-negative integer"));
        assert!(
            parse_err(r#"[{"kind":"delay","delay_ms":1}]"#).contains("unknown field `delay_ms`")
        );
        assert!(parse_err(r#"[{"kind":"redirect","status":200}]"#).contains("between 300 and 399"));
        assert!(
            parse_err(r#"[{"kind":"close","headers":{"bad name":"x"}}]"#).contains("header name")
        );
        assert!(
            parse_err(r#"[{"kind":"close","headers":{"x-a":1}}]"#).contains("must be a string")
        );
        assert!(parse_err(r#"[{"kind":"raw","body":{}}]"#).contains("must be a string"));
    }

    #[test]
    fn lists_are_capped() {
        let list = |n: usize| format!("[{}]", vec![r#"{"kind":"close"}"#; n].join(","));
        assert_eq!(
            parse_faults(list(MAX_FAULTS).as_bytes()).unwrap().len(),
            MAX_FAULTS
        );
        assert!(parse_err(&list(MAX_FAULTS + 1)).contains("at most 10000 faults"));
    }

    #[test]
    fn delivery_faults() {
        assert_eq!(
            parse_delivery_faults(br#"[{"kind":"drop"},{"kind":"duplicate"}]"#).unwrap(),
            [DeliveryFault::Drop, DeliveryFault::Duplicate]
        );
        for bad in [
            &b"{}"[..],
            b"not json",
            br#"[{"kind":"delay"}]"#,
            br#"[{"kind":"drop","ms":1}]"#,
            br#"[5]"#,
        ] {
            assert!(parse_delivery_faults(bad).is_err());
        }
    }
}

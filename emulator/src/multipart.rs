//! `multipart/form-data` request bodies (event triggers with files): the
//! text fields and the files' names and sizes. The whole body is already in
//! memory (at most 1 MiB); a form has at most [`MAX_PARTS`] parts.

use serde_json::{Map, Value};

/// Most parts in one form.
pub(crate) const MAX_PARTS: usize = 100;
/// Longest part head (its `Content-Disposition` and `Content-Type` lines).
const MAX_PART_HEAD: usize = 8 * 1024;
/// Longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// A read form.
#[derive(Debug, Default)]
pub(crate) struct Form {
    /// Text fields in the order sent.
    pub fields: Vec<(String, String)>,
    /// File parts (accepted and dropped: only counted).
    pub files: usize,
}

impl Form {
    /// The text fields as a JSON object (a repeated name: its first value).
    pub(crate) fn fields_json(&self) -> Value {
        let mut object = Map::new();
        for (name, value) in &self.fields {
            object
                .entry(name.clone())
                .or_insert_with(|| Value::String(value.clone()));
        }
        Value::Object(object)
    }

    /// The first text field `name`.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The schema of a form's text fields, from the description's multipart
/// schema (its `additionalProperties` describe the files, which are not
/// among the text fields).
pub(crate) fn text_fields_schema(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(members) = schema.as_object_mut() {
        members.remove("additionalProperties");
    }
    schema
}

/// Reads `body` as the form `content_type` announces (its `boundary`).
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<Form, String> {
    let boundary = content_type
        .split(';')
        .skip(1)
        .filter_map(|parameter| parameter.trim().split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|b| !b.is_empty() && b.len() <= MAX_BOUNDARY)
        .ok_or("the content type names no boundary (1 to 70 characters)")?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut form = Form::default();
    let mut rest = match find(body, &delimiter) {
        Some(start) => &body[start + delimiter.len()..],
        None => return Err("no part starts with the boundary".to_owned()),
    };
    loop {
        if rest.starts_with(b"--") {
            return Ok(form);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("a boundary line is not followed by CRLF")?;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let end = find(rest, &closing).ok_or("the form does not end with its boundary")?;
        let part = &rest[..end];
        rest = &rest[end + closing.len()..];
        if form.fields.len() + form.files == MAX_PARTS {
            return Err(format!("at most {MAX_PARTS} parts per form"));
        }
        read_part(part, &mut form)?;
    }
}

fn read_part(part: &[u8], form: &mut Form) -> Result<(), String> {
    let head_end = find(part, b"\r\n\r\n").ok_or("a part has no blank line after its head")?;
    if head_end > MAX_PART_HEAD {
        return Err(format!("a part head is over {MAX_PART_HEAD} bytes"));
    }
    let head = std::str::from_utf8(&part[..head_end]).map_err(|_| "a part head is not UTF-8")?;
    let content = &part[head_end + 4..];
    let mut name = None;
    let mut filename = None;
    for line in head.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        if header.trim().eq_ignore_ascii_case("content-disposition") {
            for parameter in value.split(';').skip(1) {
                if let Some((key, value)) = parameter.trim().split_once('=') {
                    let value = value.trim().trim_matches('"').to_owned();
                    match key.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(value),
                        "filename" => filename = Some(value),
                        _ => {}
                    }
                }
            }
        }
    }
    let name = name.ok_or("a part has no name")?;
    match filename {
        Some(_) => form.files += 1,
        // A field that is not text is a file without a name.
        None => match String::from_utf8(content.to_vec()) {
            Ok(text) => form.fields.push((name, text)),
            Err(_) => form.files += 1,
        },
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=XyZ";

    #[test]
    fn fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\ncandidate_created\r\n--XyZ\r\nContent-Disposition: form-data; name=\"resume\"; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1\r\n--XyZ--\r\n";
        let form = parse(TYPE, body).unwrap();
        assert_eq!(form.field("event"), Some("candidate_created"));
        assert_eq!(form.files, 1);
        assert_eq!(form.fields_json()["event"], "candidate_created");
    }

    #[test]
    fn malformed_forms_are_errors() {
        for (content_type, body) in [
            ("multipart/form-data", &b"--XyZ--"[..]),
            (TYPE, b""),
            (TYPE, b"--XyZ\r\nno blank line\r\n--XyZ--"),
            (
                TYPE,
                b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--",
            ),
            (
                TYPE,
                b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nunterminated",
            ),
        ] {
            assert!(parse(content_type, body).is_err(), "{body:?}");
        }
        let many: Vec<u8> = (0..=MAX_PARTS)
            .flat_map(|i| {
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n")
                    .into_bytes()
            })
            .chain(b"--XyZ--".iter().copied())
            .collect();
        assert!(parse(TYPE, &many).unwrap_err().contains("at most"));
    }
}

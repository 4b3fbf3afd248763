//! A generated call's arguments as a host passes them, read into an [`ApiRequest`]: the
//! parameters (a map by the operation's parameter keys, or their camelCase spelling), the body
//! (JSON), the linked account it acts for, and its files. The call's checks are core's
//! (`api::call`).

use serde_json::{Map, Value};

use super::json::json;
use super::read::linked_account_id;
use super::value::HostValue;
use crate::api::{ApiFile, ApiRequest, MAX_FILES, MAX_UPLOAD_BYTES, operation};
use crate::error::Error;
use crate::options::Dialect;

/// The request of a call of `operation_id` from a host's `params`, `body` and
/// `linked_account_id` (each may be absent).
pub fn api_request(
    operation_id: &str,
    params: &HostValue,
    body: &HostValue,
    linked_account: &HostValue,
    dialect: &Dialect,
) -> Result<ApiRequest, Error> {
    let op = operation(operation_id)?;
    let params = match json(params, "params", dialect)? {
        Value::Null => Map::new(),
        Value::Object(members) => members,
        _ => {
            return Err(Error::invalid_input(format!(
                "The parameters of {} must be {}.",
                op.id, dialect.words.map
            )));
        }
    };
    let params = params
        .into_iter()
        .map(|(key, value)| {
            let declared = op
                .params
                .iter()
                .find(|param| param.is_named(&key))
                .map_or(key, |param| param.key.to_owned());
            (declared, value)
        })
        .collect();
    let body = match json(body, "body", dialect)? {
        Value::Null => None,
        body => Some(body),
    };
    let linked_account_id = if linked_account.is_absent() {
        None
    } else {
        Some(linked_account_id(linked_account, dialect)?)
    };
    Ok(ApiRequest {
        params,
        body,
        files: Vec::new(),
        linked_account_id,
    })
}

/// Checks the number of files a host passes (`None`: its `files` is not a list), before any
/// is read.
pub fn api_file_count(count: Option<usize>, dialect: &Dialect) -> Result<(), Error> {
    match count {
        None => Err(not_a_file(dialect)),
        Some(count) if count > MAX_FILES => Err(Error::invalid_input(format!(
            "At most {MAX_FILES} files go in one request."
        ))),
        Some(_) => Ok(()),
    }
}

/// One file of a host's `files`: its field name, file name and media type as host values, and
/// its bytes (`None` when its data is not the host's byte type), `before` bytes of files
/// already read. The bytes are copied only within the upload limit.
pub fn api_file(
    field: &HostValue,
    filename: &HostValue,
    content_type: &HostValue,
    data: Option<&[u8]>,
    before: usize,
    dialect: &Dialect,
) -> Result<ApiFile, Error> {
    let text = |value: &HostValue| match value {
        HostValue::Text(text) => Ok(text.clone()),
        _ => Err(not_a_file(dialect)),
    };
    let (field, filename) = (text(field)?, text(filename)?);
    let content_type = match content_type {
        HostValue::Missing | HostValue::Null => None,
        other => Some(text(other)?),
    };
    let data = data.ok_or_else(|| not_a_file(dialect))?;
    if before.saturating_add(data.len()) > MAX_UPLOAD_BYTES {
        return Err(Error::invalid_input(format!(
            "The files of one request are over {} MiB together.",
            MAX_UPLOAD_BYTES / (1024 * 1024)
        )));
    }
    Ok(ApiFile {
        field,
        filename,
        content_type,
        bytes: data.to_vec().into(),
    })
}

fn not_a_file(dialect: &Dialect) -> Error {
    Error::invalid_input(format!(
        "files must be {} of files, each with a field name and a file name ({}), an optional \
         content type and its data as bytes.",
        dialect.words.list, dialect.words.expect_text
    ))
}

#[cfg(test)]
mod api_tests {
    use super::*;

    #[test]
    fn camel_case_keys_are_read_as_the_declared_ones() {
        let params = HostValue::map([
            ("tableId", HostValue::text("t1")),
            ("page", HostValue::Number(2.0)),
        ]);
        let request = api_request(
            "getPersistentTableRecords",
            &params,
            &HostValue::Missing,
            &HostValue::text("acct"),
            &Dialect::NODE,
        )
        .unwrap();
        assert_eq!(request.params["table_id"], "t1");
        assert_eq!(request.params["page"], 2);
        assert_eq!(request.linked_account_id.as_deref(), Some("acct"));
        let wrong = api_request(
            "getPersistentTableRecords",
            &HostValue::text("x"),
            &HostValue::Missing,
            &HostValue::Missing,
            &Dialect::NODE,
        );
        assert!(wrong.is_err());
    }

    #[test]
    fn files_are_read_within_the_upload_limits() {
        let text = HostValue::text;
        let file = api_file(
            &text("file"),
            &text("a.txt"),
            &HostValue::Missing,
            Some(b"hi"),
            0,
            &Dialect::NODE,
        )
        .unwrap();
        assert_eq!((file.bytes.len(), file.content_type), (2, None));
        let no_bytes = api_file(
            &text("f"),
            &text("a"),
            &HostValue::Missing,
            None,
            0,
            &Dialect::NODE,
        );
        assert!(no_bytes.unwrap_err().message().contains("as bytes"));
        let over = api_file(
            &text("f"),
            &text("a"),
            &HostValue::Missing,
            Some(b"x"),
            MAX_UPLOAD_BYTES,
            &Dialect::NODE,
        );
        assert!(over.unwrap_err().message().contains("MiB"));
        assert!(api_file_count(None, &Dialect::NODE).is_err());
        assert!(api_file_count(Some(MAX_FILES + 1), &Dialect::NODE).is_err());
        assert!(api_file_count(Some(MAX_FILES), &Dialect::NODE).is_ok());
    }
}

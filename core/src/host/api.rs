//! A generated call's arguments as a host passes them, read into an [`ApiRequest`]: the
//! parameters (a map by the operation's parameter keys, or their camelCase spelling), the body
//! (JSON) and the linked account it acts for. The call's checks are core's (`api::call`).

use serde_json::{Map, Value};

use super::json::json;
use super::read::linked_account_id;
use super::value::HostValue;
use crate::api::{ApiRequest, operation};
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
}

//! Datarefs (`/api/v2/public/dataref…`): named reference-data stores of a
//! linked account, created empty (workflows fill them on Refold; the
//! emulator's stay empty unless cleared), listed for the org or an
//! account, read as a table, cleared, grouped, deleted.

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use crate::collection::{Doc, Scope, page, page_query};
use crate::ids::{iso_millis, now_millis};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

fn account<'a>(call: &'a Call<'_>) -> Option<&'a str> {
    call.caller.account.as_deref()
}

fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, "SERVER_ERROR", "Dataref not found")
}

/// The account's dataref named `name`.
fn named(state: &State, account: &str, name: &str) -> Option<Doc> {
    state
        .datarefs
        .select(Scope::Account(account), |doc| doc.body["name"] == name)
        .into_iter()
        .next()
}

/// `GET /api/v2/public/dataref`: a page (without `data`), for the org or
/// the `linked_account_id` query's account; `unique=true` keeps one per
/// name.
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    let unique = call.query_text("unique").as_deref() == Some("true");
    let mut seen: Vec<String> = Vec::new();
    let docs: Vec<Value> = state
        .datarefs
        .select(Scope::of(account(call)), |_| true)
        .into_iter()
        .filter(|doc| {
            let name = doc.body["name"].as_str().unwrap_or_default().to_owned();
            if unique && seen.contains(&name) {
                return false;
            }
            seen.push(name);
            true
        })
        .map(|mut doc| {
            doc.body.remove("data");
            Value::from(doc.body)
        })
        .collect();
    let (page_number, limit) = page_query(call, 10);
    Answer::ok(&page(docs, page_number, limit, "docs"))
}

/// `POST /api/v2/public/dataref` `{refName}`: a new, empty dataref.
pub(crate) fn create(state: &State, call: &Call<'_>) -> Answer {
    let Some(account) = account(call) else {
        return not_found();
    };
    let name = call.text("refName").unwrap_or_default();
    if name.is_empty() {
        return Answer::bad_request("refName is required");
    }
    if named(state, account, name).is_some() {
        return Answer::bad_request(&format!("A dataref named {name} already exists"));
    }
    let id = state.new_id();
    let now = iso_millis(now_millis());
    let body = json!({
        "linked_account_id": account,
        "org_id": state.accounts.org(),
        "environment": "test",
        "name": name,
        "data": {},
        "_id": id,
        "createdAt": now,
        "updatedAt": now,
        "__v": 0,
    });
    let doc = Doc::new(
        id,
        Some(account.to_owned()),
        body.as_object().cloned().unwrap_or_default(),
    );
    match state.datarefs.insert(doc) {
        Ok(body) => Answer::ok(&body),
        Err(refused) => refused,
    }
}

/// `DELETE /api/v2/public/dataref/{refName}`: `{acknowledged, deletedCount}`.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let name = call.path_param("refName").unwrap_or_default();
    let deleted = match account(call) {
        Some(account) => state.datarefs.remove_where(Scope::Account(account), |doc| {
            doc.body["name"] == name.as_str()
        }),
        None => 0,
    };
    Answer::ok(&json!({ "acknowledged": true, "deletedCount": deleted }))
}

/// `GET /api/v2/public/dataref/{refName}`: its records as `headers` and a
/// page of `rows` (by record id).
pub(crate) fn as_table(state: &State, call: &Call<'_>) -> Answer {
    let name = call.path_param("refName").unwrap_or_default();
    let Some(doc) = account(call).and_then(|account| named(state, account, &name)) else {
        return not_found();
    };
    let data: Map<String, Value> = doc.body["data"].as_object().cloned().unwrap_or_default();
    let mut headers = vec![json!("record_id")];
    let mut rows = Vec::new();
    for (record_id, record) in data {
        let mut row = Map::new();
        row.insert("record_id".into(), json!(record_id));
        if let Some(fields) = record.as_object() {
            for (key, value) in fields {
                if !headers.contains(&json!(key)) {
                    headers.push(json!(key));
                }
                row.insert(key.clone(), value.clone());
            }
        }
        rows.push(Value::Object(row));
    }
    let (page_number, limit) = page_query(call, 100);
    let mut answer = page(rows, page_number, limit, "rows");
    answer["headers"] = Value::Array(headers);
    Answer::ok(&answer)
}

/// `PUT /api/v2/public/dataref/{refName}/clear-records`: `data` becomes
/// `{}`; answers the dataref.
pub(crate) fn clear(state: &State, call: &Call<'_>) -> Answer {
    let name = call.path_param("refName").unwrap_or_default();
    let Some((account, doc)) =
        account(call).and_then(|account| Some((account, named(state, account, &name)?)))
    else {
        return not_found();
    };
    match state
        .datarefs
        .update(&doc.id, Scope::Account(account), |doc| {
            doc.body.insert("data".into(), json!({}));
            doc.body
                .insert("updatedAt".into(), json!(iso_millis(now_millis())));
        }) {
        Some(Ok((_, doc))) => Answer::ok(&doc.body),
        Some(Err(refused)) => refused,
        None => not_found(),
    }
}

/// `PUT /api/v2/public/datarefs/group` `{refNames, group}`: 204.
pub(crate) fn group_edit(state: &State, call: &Call<'_>) -> Answer {
    let names: Vec<Value> = call
        .member("refNames")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if names.is_empty() {
        return Answer::bad_request("refNames is required");
    }
    let group = call.text("group").unwrap_or_default().to_owned();
    let result = state.datarefs.update_where(
        Scope::of(account(call)),
        |doc| names.contains(&doc.body["name"]),
        |doc| {
            if group.is_empty() {
                doc.body.remove("group");
            } else {
                doc.body.insert("group".into(), json!(group));
            }
        },
    );
    match result {
        Ok(_) => Answer::empty(StatusCode::NO_CONTENT),
        Err(refused) => refused,
    }
}

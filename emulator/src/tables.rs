//! Persistent tables (`/api/v2/public/tables…`): created for a linked
//! account with up to 20 columns; records added (one object or an array,
//! each given a `record_id`), listed, searched by column values and
//! deleted; columns added, removed and renamed; group labels; soft delete.
//! Org-level calls (no linked account) see every account's tables.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use crate::collection::{Doc, Scope, page, page_query};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// Records one table keeps.
const MAX_RECORDS: usize = 10_000;
/// Columns one table has.
const MAX_COLUMNS: usize = 200;

fn scope<'a>(call: &'a Call<'_>) -> Scope<'a> {
    Scope::of(call.caller.account.as_deref())
}

fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, "SERVER_ERROR", "Table not found")
}

/// A UUID-shaped record id (random, version 4 layout).
fn record_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = RandomState::new();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let (a, b) = (state.hash_one(n), state.hash_one(!n));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

fn columns(doc: &Doc) -> Vec<String> {
    doc.extra["columns"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn records(doc: &Doc) -> Vec<Value> {
    doc.extra["records"].as_array().cloned().unwrap_or_default()
}

/// The live (not deleted) table of the path's `{table_id}`.
fn table(state: &State, call: &Call<'_>) -> Result<Doc, Answer> {
    let id = call.path_param("table_id").unwrap_or_default();
    state
        .tables
        .get(&id, scope(call))
        .filter(|doc| doc.body["is_deleted"] != true)
        .ok_or_else(not_found)
}

/// Changes the path's table's `extra` (columns, records) with `edit`.
fn edit(
    state: &State,
    call: &Call<'_>,
    edit: impl FnOnce(&mut Vec<String>, &mut Vec<Value>) -> Result<Value, Answer>,
) -> Answer {
    let doc = match table(state, call) {
        Ok(doc) => doc,
        Err(refused) => return refused,
    };
    let outcome = state.tables.update(&doc.id, Scope::Any, |doc| {
        let (mut cols, mut rows) = (columns(doc), records(doc));
        let answer = edit(&mut cols, &mut rows)?;
        doc.extra = json!({"columns": cols, "records": rows});
        Ok(answer)
    });
    match outcome {
        Some(Ok((Ok(answer), _))) => Answer::ok(&answer),
        Some(Ok((Err(refused), _)) | Err(refused)) => refused,
        None => not_found(),
    }
}

/// `GET /api/v2/public/tables`: live tables, filtered by `name`.
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    let name = call.query_text("name");
    let docs: Vec<Value> = state
        .tables
        .select(scope(call), |doc| {
            doc.body["is_deleted"] != true
                && name.as_ref().is_none_or(|n| doc.body["name"] == n.as_str())
        })
        .into_iter()
        .map(|doc| Value::from(doc.body))
        .collect();
    let (page_number, limit) = page_query(call, 10);
    Answer::ok(&page(docs, page_number, limit, "docs"))
}

/// `POST /api/v2/public/tables` `{table_name, columns: [{column_name}]}`.
pub(crate) fn create(state: &State, call: &Call<'_>) -> Answer {
    let account = call.caller.account.as_deref().unwrap_or_default();
    let name = call.text("table_name").unwrap_or_default();
    let mut cols: Vec<String> = Vec::new();
    for column in call
        .member("columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(column) = column["column_name"].as_str().filter(|c| !c.is_empty()) else {
            continue;
        };
        if !cols.iter().any(|c| c == column) {
            cols.push(column.to_owned());
        }
    }
    if name.is_empty() || cols.is_empty() {
        return Answer::bad_request("table_name and columns are required");
    }
    let taken = !state
        .tables
        .select(Scope::Account(account), |doc| {
            doc.body["name"] == name && doc.body["is_deleted"] != true
        })
        .is_empty();
    if taken {
        return Answer::bad_request(&format!("A table named {name} already exists"));
    }
    let id = state.new_id();
    let body = json!({
        "_id": id,
        "org_id": state.accounts.org(),
        "linked_account_id": account,
        "name": name,
        "environment": "test",
        "table_type": "persistent",
        "is_deleted": false,
    });
    let mut doc = Doc::new(
        id.clone(),
        Some(account.to_owned()),
        body.as_object().cloned().unwrap_or_default(),
    );
    doc.extra = json!({"columns": cols, "records": []});
    match state.tables.insert(doc) {
        Ok(_) => Answer::ok(&json!({ "table_id": id })),
        Err(refused) => refused,
    }
}

/// `PUT /api/v2/public/tables/group/edit` `{tableIds, group}`: 204.
pub(crate) fn group_edit(state: &State, call: &Call<'_>) -> Answer {
    let ids: Vec<String> = call
        .member("tableIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let group = call.text("group").unwrap_or_default().to_owned();
    let result = state.tables.update_where(
        scope(call),
        |doc| ids.contains(&doc.id),
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

/// `DELETE /api/v2/public/tables/{table_id}`: marks it deleted; `true`.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let doc = match table(state, call) {
        Ok(doc) => doc,
        Err(refused) => return refused,
    };
    let _ = state.tables.update(&doc.id, Scope::Any, |doc| {
        doc.body.insert("is_deleted".into(), json!(true));
        doc.extra = json!({"columns": [], "records": []});
    });
    Answer::ok(&true)
}

/// `GET /api/v2/public/tables/{table_id}`: its columns and a page of its
/// records.
pub(crate) fn records_page(state: &State, call: &Call<'_>) -> Answer {
    let doc = match table(state, call) {
        Ok(doc) => doc,
        Err(refused) => return refused,
    };
    let (page_number, limit) = page_query(call, 10);
    let mut answer = page(records(&doc), page_number, limit, "docs");
    answer["name"] = doc.body["name"].clone();
    answer["columns"] = json!(columns(&doc));
    Answer::ok(&answer)
}

/// `PATCH /api/v2/public/tables/{table_id}` `{data: object | [object]}`:
/// each record gets a `record_id`; answers `add_record_result`.
pub(crate) fn add_records(state: &State, call: &Call<'_>) -> Answer {
    if let Err(refused) = table(state, call) {
        return refused;
    }
    let data = call.member("data").cloned().unwrap_or(Value::Null);
    let items: Vec<Map<String, Value>> = match data {
        Value::Object(one) => vec![one],
        Value::Array(many) => many
            .into_iter()
            .filter_map(|item| match item {
                Value::Object(record) => Some(record),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if items.is_empty() {
        return Answer::bad_request("data is required");
    }
    edit(state, call, |_, rows| {
        if rows.len() + items.len() > MAX_RECORDS {
            return Err(Answer::bad_request(&format!(
                "a table keeps at most {MAX_RECORDS} records in the emulator"
            )));
        }
        let mut added = Vec::new();
        for item in items {
            let mut record = Map::new();
            record.insert("record_id".into(), json!(record_id()));
            record.extend(item.into_iter().filter(|(k, _)| k != "record_id"));
            added.push(Value::Object(record));
        }
        rows.extend(added.iter().cloned());
        Ok(json!({ "add_record_result": added }))
    })
}

fn names(call: &Call<'_>) -> Vec<String> {
    call.member("columns")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `PATCH …/columns/add` `{columns: [name]}`: answers every column.
pub(crate) fn add_columns(state: &State, call: &Call<'_>) -> Answer {
    let new = names(call);
    edit(state, call, |cols, _| {
        for name in new.into_iter().filter(|n| !n.is_empty()) {
            if !cols.contains(&name) {
                if cols.len() >= MAX_COLUMNS {
                    return Err(Answer::bad_request(&format!(
                        "a table has at most {MAX_COLUMNS} columns in the emulator"
                    )));
                }
                cols.push(name);
            }
        }
        Ok(json!({ "columns": cols }))
    })
}

/// `DELETE …/columns/remove` `{columns: [name]}`: the columns and their
/// values go; answers the remaining columns.
pub(crate) fn remove_columns(state: &State, call: &Call<'_>) -> Answer {
    let gone = names(call);
    edit(state, call, |cols, rows| {
        cols.retain(|c| !gone.contains(c));
        for row in rows.iter_mut() {
            if let Some(record) = row.as_object_mut() {
                record.retain(|k, _| !gone.contains(k));
            }
        }
        Ok(json!({ "columns": cols }))
    })
}

/// `PATCH …/columns/rename` `{renames: [{old_name, new_name}]}`.
pub(crate) fn rename_columns(state: &State, call: &Call<'_>) -> Answer {
    let renames: Vec<(String, String)> = call
        .member("renames")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    Some((
                        r["old_name"].as_str()?.to_owned(),
                        r["new_name"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    edit(state, call, |cols, rows| {
        for (old, new) in &renames {
            let Some(index) = cols.iter().position(|c| c == old) else {
                return Err(Answer::bad_request(&format!("column {old} does not exist")));
            };
            if new.is_empty() || (new != old && cols.contains(new)) {
                return Err(Answer::bad_request(&format!("column {new} already exists")));
            }
            cols[index] = new.clone();
            for row in rows.iter_mut() {
                if let Some(record) = row.as_object_mut()
                    && let Some(value) = record.remove(old)
                {
                    record.insert(new.clone(), value);
                }
            }
        }
        Ok(json!({ "columns": cols }))
    })
}

/// `POST …/{table_id}/search` `{column: value}`: records whose columns
/// equal every value given.
pub(crate) fn search(state: &State, call: &Call<'_>) -> Answer {
    let doc = match table(state, call) {
        Ok(doc) => doc,
        Err(refused) => return refused,
    };
    let filter = call
        .json
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let found: Vec<Value> = records(&doc)
        .into_iter()
        .filter(|record| filter.iter().all(|(k, v)| record.get(k) == Some(v)))
        .collect();
    Answer::ok(&found)
}

/// `DELETE …/{table_id}/{record_id}`: answers the deleted record.
pub(crate) fn delete_record(state: &State, call: &Call<'_>) -> Answer {
    let wanted = call.path_param("record_id").unwrap_or_default();
    edit(state, call, |_, rows| {
        let index = rows
            .iter()
            .position(|r| r["record_id"] == wanted.as_str())
            .ok_or_else(|| {
                Answer::error(StatusCode::NOT_FOUND, "SERVER_ERROR", "Record not found")
            })?;
        Ok(rows.remove(index))
    })
}

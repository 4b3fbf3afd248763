//! Human tasks (`/api/v2/public/human-tasks/{id}`, no authentication: the
//! id is the secret): the documented form is there from the start; it is
//! read and submitted once (its schema's required members checked).

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::collection::{Doc, Scope};
use crate::ids::{iso_millis, now_millis};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;

/// The documented task's id.
pub(crate) const SEEDED_TASK: &str = "6a31a2f0d396207fd2510000";

/// The documented task, waiting (at start).
pub(crate) fn seed(state: &State) {
    let body = json!({
        "_id": SEEDED_TASK,
        "name": "Approve Discount",
        "description": "Review and approve the requested discount.",
        "form_structure": {
            "type": "object",
            "required": ["approved"],
            "properties": {
                "approved": {"type": "boolean", "title": "Approve?"},
                "notes": {"type": "string", "title": "Notes"},
            },
        },
        "ui_structure": {"approved": {"ui:widget": "radio"}},
        "data": {},
        "status": "WAITING",
        "expire_in": "2099-12-31T00:00:00.000Z",
        "receiver_emails": ["approver@example.com"],
        "createdAt": iso_millis(now_millis()),
        "updatedAt": iso_millis(now_millis()),
    });
    let _ = state.human_tasks.insert(Doc::new(
        SEEDED_TASK.to_owned(),
        None,
        body.as_object().cloned().unwrap_or_default(),
    ));
}

fn not_found() -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "SERVER_ERROR",
        "Specified Form Not Found",
    )
}

/// `GET /api/v2/public/human-tasks/{id}`.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    match state
        .human_tasks
        .get(&call.path_param("id").unwrap_or_default(), Scope::Any)
    {
        Some(doc) => Answer::ok(&doc.body),
        None => not_found(),
    }
}

/// `POST /api/v2/public/human-tasks/{id}` `{data}`: once; every required
/// member of the form must be there.
pub(crate) fn submit(state: &State, call: &Call<'_>) -> Answer {
    let id = call.path_param("id").unwrap_or_default();
    let data = call.member("data").cloned().unwrap_or_else(|| json!({}));
    let outcome = state.human_tasks.update(&id, Scope::Any, |doc| {
        if doc.body["status"] != "WAITING" {
            return Err(Answer::bad_request("Form has already been submitted"));
        }
        let required = doc.body["form_structure"]["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(missing) = required
            .iter()
            .filter_map(Value::as_str)
            .find(|name| data.get(*name).is_none_or(Value::is_null))
        {
            return Err(Answer::bad_request(&format!(
                "Form is incomplete: {missing} is required"
            )));
        }
        doc.body.insert("data".into(), data.clone());
        doc.body.insert("status".into(), json!("SUBMITTED"));
        doc.body
            .insert("updatedAt".into(), json!(iso_millis(now_millis())));
        Ok(())
    });
    match outcome {
        Some(Ok((Ok(()), _))) => Answer::ok(&json!({ "message": "Form submitted successfully" })),
        Some(Ok((Err(refused), _)) | Err(refused)) => refused,
        None => not_found(),
    }
}

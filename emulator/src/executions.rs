//! Workflow executions: started by `POST …/workflow/{id}/execute` (async by
//! default: `RUNNING`, then `COMPLETED` after the configured execution time;
//! with `sync_execution: true` finished before the answer, which carries
//! the return value), by a schedule firing, or by a rerun; listed, read,
//! stopped. The emulator's workflows return their input; a workflow the
//! control plane marked (`POST /__emulator/workflow-errors`) errors. Each
//! finished execution sends `Workflow Completed` or `Workflow Errored`.

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::collection::{Doc, Scope, page, page_query};
use crate::ids::{iso_millis, now_millis};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;
use crate::webhooks::{self, Event};
use crate::workflows;

pub(crate) const RUNNING: &str = "RUNNING";
pub(crate) const COMPLETED: &str = "COMPLETED";
pub(crate) const ERRORED: &str = "ERRORED";
pub(crate) const STOPPED: &str = "STOPPED";

/// What started an execution (`trigger_application_event`).
#[derive(Clone, Copy)]
pub(crate) enum Source {
    ApiCall,
    Schedule,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::ApiCall => "API_CALL",
            Source::Schedule => "SCHEDULE",
        }
    }
}

fn not_found() -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "Execution not found",
    )
}

fn account<'a>(call: &'a Call<'_>) -> &'a str {
    call.caller.account.as_deref().unwrap_or_default()
}

/// Starts an execution of `workflow` for `account`; it is `RUNNING` until
/// [`finish`] (now when `sync`, else after the execution time).
pub(crate) fn start(
    state: &State,
    account: &str,
    workflow: &Doc,
    config_id: &str,
    payload: Value,
    source: Source,
    sync: bool,
) -> Doc {
    let id = state.new_id();
    let now = iso_millis(now_millis());
    let (summary, app) = workflows::summary(workflow);
    let application = app.map_or(Value::Null, |(index, app)| {
        json!({"_id": workflows::application_id(index), "name": app.name, "icon": ""})
    });
    let body = json!({
        "_id": id,
        "name": format!("Execution for workflow {}", workflow.id),
        "org_id": state.accounts.org(),
        "environment": "test",
        "status": RUNNING,
        "completion_percentage": 0,
        "associated_application": application,
        "associated_workflow": summary,
        "trigger_application_event": source.name(),
        "linked_account_id": account,
        "config_id": config_id,
        "type_of_execution": if sync { "SYNC" } else { "ASYNC" },
        "nodes": [{
            "node_id": "1",
            "node_name": "Start",
            "node_type": "start",
            "node_status": "Running",
            "is_batch": false,
            "attempts_made": 1,
            "execution_time": 0,
            "latest_output": {"message": "Workflow started successfully", "node_id": "1", "node_type": "start", "status": "initialized"},
        }],
        "createdAt": now,
        "updatedAt": now,
    });
    let mut doc = Doc::new(
        id.clone(),
        Some(account.to_owned()),
        body.as_object().cloned().unwrap_or_default(),
    );
    doc.extra = json!({"payload": payload, "workflow": workflow.id, "slug": workflow.body["slug"]});
    state.executions.insert_evicting(doc.clone());
    if sync {
        return finish(state, &id).unwrap_or(doc);
    }
    let delay = state.execution_time();
    let spawned = state.spawn(move |state| async move {
        tokio::time::sleep(delay).await;
        finish(&state, &id);
    });
    if !spawned {
        return finish(state, &doc.id).unwrap_or(doc);
    }
    doc
}

/// Ends a running execution: `COMPLETED` with its input as the return
/// value, or `ERRORED` when its workflow is marked to fail; sends the
/// webhook event. `None` when it is gone; unchanged when no longer running.
pub(crate) fn finish(state: &State, id: &str) -> Option<Doc> {
    let (finished, doc) = state
        .executions
        .update(id, Scope::Any, |doc| {
            if doc.body["status"] != RUNNING {
                return None;
            }
            let workflow = doc.extra["workflow"].as_str().unwrap_or_default();
            let error = state.workflow_error(workflow);
            let status = if error.is_some() { ERRORED } else { COMPLETED };
            let now = iso_millis(now_millis());
            doc.body.insert("status".into(), json!(status));
            doc.body.insert("completion_percentage".into(), json!(100));
            doc.body.insert("completion_time".into(), json!(now));
            doc.body.insert("updatedAt".into(), json!(now));
            let node = match &error {
                None => json!({
                    "node_id": "1", "node_name": "Start", "node_type": "start",
                    "node_status": "Success", "is_batch": false, "attempts_made": 1,
                    "execution_time": 1,
                    "latest_output": {"message": "Workflow started successfully", "node_id": "1", "node_type": "start", "status": "initialized"},
                }),
                Some(message) => json!({
                    "node_id": "1", "node_name": "Start", "node_type": "start",
                    "node_status": "Errored", "is_batch": false, "attempts_made": 1,
                    "execution_time": 1,
                    "latest_output": {"message": message, "node_id": "1", "node_type": "start", "status": "errored"},
                }),
            };
            doc.body.insert("nodes".into(), json!([node]));
            if let Some(message) = &error {
                doc.extra["error"] = json!(message);
            }
            Some(error.is_some())
        })?
        .ok()?;
    if let Some(errored) = finished {
        webhooks::emit(state, Event::workflow(&doc.body, errored));
    }
    Some(doc)
}

/// `POST /api/v2/public/workflow/{workflowId}/execute`: the `slug` header
/// is required (the page's own error shape otherwise); the body is the
/// payload; `sync_execution: true` answers once finished.
pub(crate) fn execute(state: &State, call: &Call<'_>) -> Answer {
    if call.header("slug").is_none_or(str::is_empty) {
        let body = json!({"message": "Server Error", "error": "Workflow ID and slug are required"});
        return Answer::json(StatusCode::BAD_REQUEST, body.to_string());
    }
    let account = account(call);
    let workflow_id = call.path_param("workflowId").unwrap_or_default();
    let workflow = match workflows::runnable(state, Some(account), &workflow_id) {
        Ok(workflow) => workflow,
        Err(refused) => return refused,
    };
    let sync = call
        .header("sync_execution")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let config_id = call
        .header("config_id")
        .filter(|c| !c.is_empty())
        .unwrap_or(account);
    let payload = call.json.clone().unwrap_or_else(|| json!({}));
    let doc = start(
        state,
        account,
        &workflow,
        config_id,
        payload,
        Source::ApiCall,
        sync,
    );
    if !sync {
        return Answer::ok(&json!({
            "message": "Workflow execution started",
            "execution_id": doc.id,
        }));
    }
    let errored = doc.body["status"] == ERRORED;
    let mut answer = json!({
        "execution_id": doc.id,
        "errored": errored,
        "status_code": if errored { 500 } else { 200 },
        "return_value": if errored { Value::Null } else { doc.extra["payload"].clone() },
    });
    if errored {
        answer["execution_error"] = json!({"message": doc.extra["error"]});
    }
    Answer::ok(&answer)
}

/// `GET /api/v2/public/execution`: the account's executions, newest first
/// (`sortAsc=true`: oldest first), filtered by `status`, `workflow_id`,
/// `workflow_name`, `slug`, `execution_id`, `execution_type` (`SYNC`,
/// `ASYNC`), `execution_source` (`API_CALL`, `SCHEDULE`, `Event`),
/// `start_date`/`end_date` (ISO 8601, compared as text).
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    let query = |name: &str| call.query_text(name).filter(|v| !v.is_empty());
    let status = query("status").map(|s| s.to_ascii_uppercase());
    let workflow_id = query("workflow_id");
    let workflow_name = query("workflow_name").map(|n| n.to_lowercase());
    let slug = query("slug");
    let execution_id = query("execution_id");
    let execution_type = query("execution_type").map(|t| t.to_ascii_uppercase());
    let execution_source = query("execution_source");
    let (start_date, end_date) = (query("start_date"), query("end_date"));
    let mut docs = state
        .executions
        .select(Scope::Account(account(call)), |doc| {
            let body = &doc.body;
            let created = body["createdAt"].as_str().unwrap_or_default();
            status.as_ref().is_none_or(|s| body["status"] == s.as_str())
                && workflow_id
                    .as_ref()
                    .is_none_or(|w| body["associated_workflow"]["_id"] == w.as_str())
                && workflow_name.as_ref().is_none_or(|n| {
                    body["associated_workflow"]["name"]
                        .as_str()
                        .is_some_and(|v| v.to_lowercase().contains(n.as_str()))
                })
                && slug
                    .as_ref()
                    .is_none_or(|s| doc.extra["slug"] == s.as_str())
                && execution_id.as_ref().is_none_or(|e| doc.id == *e)
                && execution_type
                    .as_ref()
                    .is_none_or(|t| body["type_of_execution"] == t.as_str())
                && execution_source.as_ref().is_none_or(|source| {
                    body["trigger_application_event"]
                        .as_str()
                        .is_some_and(|v| v.eq_ignore_ascii_case(source))
                })
                && start_date.as_ref().is_none_or(|d| created >= d.as_str())
                && end_date.as_ref().is_none_or(|d| created <= d.as_str())
        });
    if call.query_text("sortAsc").as_deref() != Some("true") {
        docs.reverse();
    }
    let summaries: Vec<Value> = docs
        .into_iter()
        .map(|mut doc| {
            doc.body.remove("nodes");
            Value::from(doc.body)
        })
        .collect();
    let (page_number, limit) = page_query(call, 10);
    Answer::ok(&page(summaries, page_number, limit, "docs"))
}

fn find(state: &State, call: &Call<'_>, name: &str) -> Option<Doc> {
    let id = call.path_param(name).unwrap_or_default();
    state.executions.get(&id, Scope::Account(account(call)))
}

/// `GET /api/v2/public/execution/{execution_id}`: with its nodes.
pub(crate) fn get(state: &State, call: &Call<'_>) -> Answer {
    match find(state, call, "execution_id") {
        Some(doc) => Answer::ok(&doc.body),
        None => not_found(),
    }
}

/// `GET …/execution/{execution_id}/nodes/{node_id}/batches`: the emulator's
/// workflows have no batch nodes, so a node of a known execution is the
/// documented 501.
pub(crate) fn node_batches(state: &State, call: &Call<'_>) -> Answer {
    let Some(doc) = find(state, call, "execution_id") else {
        return not_found();
    };
    let node = call.path_param("node_id").unwrap_or_default();
    let known = doc.body["nodes"]
        .as_array()
        .is_some_and(|nodes| nodes.iter().any(|n| n["node_id"] == node.as_str()));
    if !known {
        return Answer::error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Node not found",
        );
    }
    Answer::error(
        StatusCode::NOT_IMPLEMENTED,
        "SERVER_ERROR",
        "Batch details are not yet available for this execution type",
    )
}

/// `POST …/execution/{instanceId}/stop`: a running execution stops.
pub(crate) fn stop(state: &State, call: &Call<'_>) -> Answer {
    let Some(doc) = find(state, call, "instanceId") else {
        return not_found();
    };
    let _ = state.executions.update(&doc.id, Scope::Any, |doc| {
        if doc.body["status"] == RUNNING {
            doc.body.insert("status".into(), json!(STOPPED));
            doc.body
                .insert("updatedAt".into(), json!(iso_millis(now_millis())));
        }
    });
    Answer::ok(&json!({ "message": "Stopping instance" }))
}

/// `POST …/execution/{instanceId}/rerun`: a new execution of the same
/// workflow with the original payload.
pub(crate) fn rerun(state: &State, call: &Call<'_>) -> Answer {
    let Some(original) = find(state, call, "instanceId") else {
        return not_found();
    };
    let account = account(call);
    let workflow_id = original.extra["workflow"].as_str().unwrap_or_default();
    let workflow = match state.workflows.get(workflow_id, Scope::Any) {
        Some(workflow) => workflow,
        None => return workflows::not_found(),
    };
    let config_id = original.body["config_id"]
        .as_str()
        .unwrap_or(account)
        .to_owned();
    let doc = start(
        state,
        account,
        &workflow,
        &config_id,
        original.extra["payload"].clone(),
        Source::ApiCall,
        false,
    );
    Answer::ok(&json!({ "status": "success", "id": doc.id }))
}

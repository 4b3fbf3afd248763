//! Refold's operations as routes: the generated rows
//! ([`SPEC_ROUTES`](crate::generated::routes::SPEC_ROUTES), one per
//! operation of the API description) get their credentials, their
//! validation and a handler here. Hand-written handlers are registered by
//! `operationId` in [`handler`]; an operation without one answers its
//! documented example ([`documented`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use hyper::StatusCode;
use serde_json::Value;

use crate::respond::Answer;
use crate::routes::{Access, AccountNeed, Auth, Call, Handler, Route, Validation, Verb};
use crate::state::State;
use crate::{
    account_api, actions, configs, connect, credentials, datarefs, events, executions, frontend,
    human_tasks, mcp_servers, schedules, session_api, tables, variables, webhooks_api, workflows,
};

/// One operation of the API description, as the code generator writes it.
pub(crate) struct SpecRoute {
    pub id: &'static str,
    pub verb: Verb,
    pub path: &'static str,
    /// The description's `security`.
    pub credentials: Credentials,
    /// Where the operation reads `linked_account_id`.
    pub account: AccountIn,
    pub success_status: u16,
    /// The member that names the error code on the operation's pages.
    pub error_member: ErrorMember,
}

/// The credentials an operation's `security` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    ApiKey,
    SessionToken,
    Either,
    /// No `security`: anyone may call it.
    Public,
}

/// Where an operation reads the linked account it acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccountIn {
    Nowhere,
    Request {
        header: bool,
        query: bool,
        /// The description marks the parameter required.
        required: bool,
    },
}

/// Refold's services name the error code `error` or, on some pages,
/// `error_code` (the API overview says both mean the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorMember {
    Error,
    ErrorCode,
}

/// Operations that take `linked_account_id` but also work for the org as
/// a whole when it is absent, as their pages say (list datarefs "for the
/// org or a linked account", persistent tables "in your organization",
/// variable values by scope, public workflows). Every other operation
/// that takes it needs it with the API key (404 `MISSING_REQUIRED_FIELD`
/// otherwise, as the MCP servers page documents).
pub(crate) const ORG_OR_ACCOUNT: &[&str] = &[
    "listDatarefs",
    "getVariableValue",
    "setVariableValue",
    "listVariableValuesByScope",
    "deleteVariableValue",
    "listPersistentTables",
    "getPersistentTableRecords",
    "addRecordsToPersistentTable",
    "addPersistentTableColumns",
    "removePersistentTableColumns",
    "renamePersistentTableColumns",
    "searchPersistentTableRecords",
    "deletePersistentTableRecord",
    "deletePersistentTable",
    "editTablesGroup",
    "listWorkflows",
    "getWorkflowById",
];

/// Operations whose handler checks the whole request itself, as
/// docs/contract.md describes (values the description types more narrowly,
/// e.g. `udf` numbers, are accepted there; `force_refresh` is ignored in
/// the legacy mode).
const OWN_CHECKS: &[&str] = &[
    "generateSessionTokenForLinkedAccount",
    "createLinkedAccount",
    "upsertLinkedAccount",
];

/// Session-token operations whose pages document the 401 of a request
/// without a token: `Authorization Token Missing` (others answer
/// `Invalid token`, as the session-token pages show).
pub(crate) const TOKEN_MISSING: &[&str] = &[
    "createConnectUrl",
    "getHostedProperties",
    "publishWorkflow",
    "deleteWorkflow",
];

/// The row of the route table for `spec`.
pub(crate) fn route(spec: &'static SpecRoute) -> Route {
    let auth = match spec.credentials {
        Credentials::Public => Auth::Public,
        credentials => {
            let (from_header, from_query, declared) = match spec.account {
                AccountIn::Nowhere => (false, false, false),
                AccountIn::Request { header, query, .. } => (header, query, true),
            };
            let account = if !declared {
                AccountNeed::None
            } else if ORG_OR_ACCOUNT.contains(&spec.id) {
                AccountNeed::Optional
            } else {
                AccountNeed::Required
            };
            Auth::Api(Access {
                key: credentials != Credentials::SessionToken,
                token: credentials != Credentials::ApiKey,
                account,
                from_header,
                from_query,
            })
        }
    };
    let registered = handler(spec.id);
    let mut row = crate::routes::route(
        spec.verb,
        spec.path,
        auth,
        registered.map_or(documented as Handler, |(handler, _)| handler),
    );
    row.operation = Some(spec);
    row.validation = if OWN_CHECKS.contains(&spec.id) {
        Validation::None
    } else {
        Validation::Full
    };
    match registered {
        Some((_, Some(customize))) => customize(row),
        _ => row,
    }
}

/// Adjusts a row beyond its handler (fault answers, log redaction, the
/// older error shape).
type Customize = fn(Route) -> Route;

/// The hand-written handler of the operation `id`, if any.
fn handler(id: &str) -> Option<(Handler, Option<Customize>)> {
    let plain = |h: Handler| Some((h, None));
    match id {
        // Session tokens and linked accounts.
        "generateSessionTokenForLinkedAccount" => Some((
            session_api::issue as Handler,
            Some(
                (|row: Route| {
                    row.fault_answer(session_api::issue_unchecked)
                        .legacy_errors()
                }) as Customize,
            ),
        )),
        "revokeLinkedAccountSessionToken" => plain(session_api::revoke),
        "getLinkedAccountBySessionToken" => plain(session_api::active_account),
        "listLinkedAccounts" => plain(account_api::list),
        "createLinkedAccount" => plain(account_api::create),
        "upsertLinkedAccount" => plain(account_api::upsert),
        "getLinkedAccountById" => plain(account_api::get),
        "deleteLinkedAccount" => plain(account_api::delete),
        "deleteIntegration" => plain(credentials::delete_integration),
        // Applications, auth and credentials.
        "listApplicationsForLinkedAccount" => plain(frontend::public_apps),
        "getApplicationBySlug" => plain(frontend::public_app),
        "getAuthStructureForApp" => plain(credentials::auth_structure),
        "getOAuthUrlForLinkedAccount" => plain(credentials::oauth_url),
        "saveKeyBasedAppCredentials" => Some((
            credentials::save_key_credentials as Handler,
            Some((|row: Route| row.log_body(frontend::redact_form)) as Customize),
        )),
        "migrateTokenForLinkedAccount" => Some((
            credentials::migrate_token as Handler,
            Some((|row: Route| row.log_body(credentials::redact_auth_object)) as Customize),
        )),
        "upsertDefaultAppAuthCredential" => Some((
            credentials::upsert_default_app_credential as Handler,
            Some((|row: Route| row.log_body(frontend::redact_form)) as Customize),
        )),
        "deleteDefaultAppAuthCredential" => plain(credentials::delete_default_app_credential),
        "createConnectUrl" => plain(connect::create_url),
        "getHostedProperties" => plain(connect::hosted_properties),
        // Actions.
        "listActions" => plain(actions::list),
        "getActionSchema" => plain(actions::schema),
        "executeAction" => plain(actions::execute),
        // Events.
        "listEvents" => plain(events::list),
        "createEvent" => plain(events::create),
        "getEvent" => plain(events::get),
        "updateEvent" => plain(events::update),
        "deleteEvent" => plain(events::delete),
        "triggerEvent" => plain(events::trigger),
        "triggerEventBySlug" => plain(events::trigger),
        // Configs.
        "getOrCreateConfig" => plain(configs::get_or_create),
        "updateConfig" => plain(configs::update),
        "getInstalledConfigDefault" => plain(configs::get),
        "getInstalledConfig" => plain(configs::get),
        "deleteConfigDefault" => plain(configs::delete),
        "deleteConfig" => plain(configs::delete),
        "listConfigsForApplication" => plain(configs::list),
        "toggleConfigWorkflow" => plain(configs::toggle_workflow),
        // Webhooks.
        "listWebhooks" => plain(webhooks_api::list),
        "registerWebhook" => Some((
            webhooks_api::register as Handler,
            Some((|row: Route| row.log_body(webhooks_api::redact_headers)) as Customize),
        )),
        "getWebhookById" => plain(webhooks_api::get),
        "updateWebhook" => Some((
            webhooks_api::update as Handler,
            Some((|row: Route| row.log_body(webhooks_api::redact_headers)) as Customize),
        )),
        "deleteWebhook" => plain(webhooks_api::delete),
        "updateWebhooksGroup" => plain(webhooks_api::group_edit),
        // Workflows and executions.
        "listWorkflows" => plain(workflows::list),
        "createWorkflow" => plain(workflows::create),
        "listEnabledWorkflows" => plain(workflows::enabled),
        "getWorkflowRequestStructure" => plain(workflows::request_structure),
        "listWorkflowVersions" => plain(workflows::versions),
        "deleteWorkflow" => plain(workflows::delete),
        "getWorkflowById" => plain(workflows::get),
        "getDraftWorkflow" => plain(workflows::draft),
        "publishWorkflow" => plain(workflows::publish),
        "executeWorkflow" => plain(executions::execute),
        "listExecutions" => plain(executions::list),
        "getExecutionById" => plain(executions::get),
        "listExecutionNodeBatches" => plain(executions::node_batches),
        "stopExecution" => plain(executions::stop),
        "rerunExecution" => plain(executions::rerun),
        // Schedules.
        "listSchedules" => plain(schedules::list),
        "registerSchedule" => plain(schedules::register),
        "updateSchedule" => plain(schedules::update),
        "pauseSchedule" => plain(schedules::pause),
        "resumeSchedule" => plain(schedules::resume),
        "deleteSchedule" => plain(schedules::delete),
        // Persistent tables.
        "listPersistentTables" => plain(tables::list),
        "createPersistentTable" => plain(tables::create),
        "editTablesGroup" => plain(tables::group_edit),
        "deletePersistentTable" => plain(tables::delete),
        "getPersistentTableRecords" => plain(tables::records_page),
        "addRecordsToPersistentTable" => plain(tables::add_records),
        "addPersistentTableColumns" => plain(tables::add_columns),
        "removePersistentTableColumns" => plain(tables::remove_columns),
        "renamePersistentTableColumns" => plain(tables::rename_columns),
        "searchPersistentTableRecords" => plain(tables::search),
        "deletePersistentTableRecord" => plain(tables::delete_record),
        // Datarefs.
        "listDatarefs" => plain(datarefs::list),
        "createDataref" => plain(datarefs::create),
        "deleteDataref" => plain(datarefs::delete),
        "getDatarefAsTable" => plain(datarefs::as_table),
        "clearDatarefRecords" => plain(datarefs::clear),
        "editDatarefGroup" => plain(datarefs::group_edit),
        // Environment variables.
        "listVariableDefinitions" => plain(variables::list_definitions),
        "getVariableDefinition" => plain(variables::get_definition),
        "getVariableValue" => plain(variables::get_value),
        "setVariableValue" => Some((
            variables::set_value as Handler,
            Some((|row: Route| row.log_body(variables::redact_value)) as Customize),
        )),
        "listVariableValuesByScope" => plain(variables::list_values),
        "deleteVariableValue" => plain(variables::delete_value),
        // MCP servers.
        "listMcpServers" => plain(mcp_servers::list),
        "createMcpServer" => plain(mcp_servers::create),
        "getMcpServer" => plain(mcp_servers::get),
        "updateMcpServer" => plain(mcp_servers::update),
        "deleteMcpServer" => plain(mcp_servers::delete),
        // Human tasks.
        "getHumanTask" => plain(human_tasks::get),
        "submitHumanTask" => plain(human_tasks::submit),
        _ => None,
    }
}

/// Whether the operation `id` has a hand-written handler (the others
/// answer their documented example).
#[cfg(test)]
pub(crate) fn is_stateful(id: &str) -> bool {
    handler(id).is_some()
}

/// A route of Refold's API as the emulator's table declares it (for tests
/// that go through every row).
#[derive(Clone, Debug)]
pub struct ApiRoute {
    pub operation_id: &'static str,
    pub method: &'static str,
    /// The template, `{name}` for each parameter.
    pub path: &'static str,
    /// No credentials needed.
    pub public: bool,
    /// The org's API key is accepted.
    pub key: bool,
    /// A session token is accepted.
    pub token: bool,
    /// With the key: `none` (org level), `optional` or `required`.
    pub account: &'static str,
}

/// Every operation of Refold's API description, as routed.
#[doc(hidden)]
pub fn api_routes() -> Vec<ApiRoute> {
    crate::routes::ROUTES
        .iter()
        .filter_map(|route| {
            let op = route.operation?;
            let (public, key, token, account) = match route.auth {
                Auth::Public => (true, false, false, AccountNeed::None),
                Auth::Api(access) => (false, access.key, access.token, access.account),
                Auth::Control => return None,
            };
            Some(ApiRoute {
                operation_id: op.id,
                method: route.verb.as_str(),
                path: route.path,
                public,
                key,
                token,
                account: match account {
                    AccountNeed::None => "none",
                    AccountNeed::Optional => "optional",
                    AccountNeed::Required => "required",
                },
            })
        })
        .collect()
}

/// The documented success bodies, by `operationId`
/// (`generated/examples.json`; `None`: the page shows no body).
static EXAMPLES: LazyLock<HashMap<String, Option<Value>>> = LazyLock::new(|| {
    let document: Value = serde_json::from_str(include_str!("generated/examples.json"))
        .expect("generated/examples.json is JSON");
    let mut examples = HashMap::new();
    if let Some(operations) = document["operations"].as_object() {
        for (id, example) in operations {
            let body = Some(example["body"].clone()).filter(|b| !b.is_null());
            examples.insert(id.clone(), body);
        }
    }
    examples
});

/// The answer of an operation without a hand-written handler: its success
/// status with its documented example (no body where the page shows none).
pub(crate) fn documented(_state: &State, call: &Call<'_>) -> Answer {
    let Some(op) = call.route.operation else {
        return Answer::empty(StatusCode::OK);
    };
    let status = StatusCode::from_u16(op.success_status).unwrap_or(StatusCode::OK);
    match EXAMPLES.get(op.id) {
        Some(Some(body)) => Answer::json(status, body.to_string()),
        _ => Answer::empty(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::routes::SPEC_ROUTES;

    #[test]
    fn every_listed_id_is_an_operation() {
        let ids: Vec<&str> = SPEC_ROUTES.iter().map(|op| op.id).collect();
        for id in ORG_OR_ACCOUNT.iter().chain(OWN_CHECKS).chain(TOKEN_MISSING) {
            assert!(ids.contains(id), "{id} is not an operation");
        }
        assert_eq!(SPEC_ROUTES.len(), 102);
        for op in SPEC_ROUTES {
            assert!(
                EXAMPLES.contains_key(op.id),
                "{} has no example entry",
                op.id
            );
        }
    }

    #[test]
    fn only_config_fields_and_datastores_answer_their_documented_examples() {
        let documented: Vec<&str> = SPEC_ROUTES
            .iter()
            .map(|op| op.id)
            .filter(|id| !is_stateful(id))
            .collect();
        assert_eq!(
            documented,
            [
                "getConfigFields",
                "deleteConfigField",
                "getConfigFieldOptions",
                "updateConfigField",
                "getRuleEngineOptions",
                "listConfigDatastores",
                "listConfigDatastoreRecords",
                "searchConfigDatastoreRecords",
            ]
        );
    }

    #[test]
    fn org_or_account_operations_take_an_account() {
        for op in SPEC_ROUTES
            .iter()
            .filter(|op| ORG_OR_ACCOUNT.contains(&op.id))
        {
            assert_ne!(op.account, AccountIn::Nowhere, "{}", op.id);
        }
    }
}

//! Calling any operation of Refold's API (docs/contract.md §17): a request of named parameters
//! and a JSON (or multipart) body is checked against its [`Operation`] before anything is sent,
//! goes through the engine with the operation's credentials, retry rule and the request budget,
//! and its JSON answer comes back; a paginated list's answer says which page comes next.
//! [`ScopedClient`] acts for one linked account and refuses org-level operations.

use std::fmt;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use url::Url;

use super::official;
use super::operation::{
    Auth, BodyKind, LinkedAccountHeader, Operation, Pagination, Param, ParamKind, ParamLocation,
    RetryRule,
};
use super::operations::by_id;
use crate::client::Client;
use crate::endpoint::api_url;
use crate::engine::{Credentials, Request, RetryPolicy};
use crate::error::Error;
use crate::mapping::{Call, unexpected_body};
use crate::options::RequestOptions;
use crate::ratelimit::Priority;
use crate::redact::{REDACTED, clean_line};
use crate::validate::{validate_linked_account_id, validate_session_token};

/// Most bytes of a JSON request body.
pub const MAX_REQUEST_BODY_BYTES: usize = 1024 * 1024;
/// Most bytes of one multipart request's files, together.
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;
/// Most files in one multipart request.
pub const MAX_FILES: usize = 32;
/// Most characters of one parameter's value.
pub const MAX_PARAM_CHARS: usize = 2048;
/// The last page a list is read to: a server that always answers "there is a next page"
/// cannot keep an iterator going forever.
pub const MAX_PAGE: u32 = 100_000;

/// What one call passes: the operation's parameters by their `key`, a body, files, and the
/// linked account the call acts for (the `linked_account_id` header; a scoped client sends
/// its own).
#[derive(Clone, Default)]
pub struct ApiRequest {
    pub params: Map<String, Value>,
    pub body: Option<Value>,
    pub files: Vec<ApiFile>,
    pub linked_account_id: Option<String>,
}

impl ApiRequest {
    pub fn new() -> ApiRequest {
        ApiRequest::default()
    }

    /// Sets parameter `key` (as the operation names it, see [`Param::key`]).
    pub fn param(mut self, key: &str, value: impl Into<Value>) -> ApiRequest {
        self.params.insert(key.to_owned(), value.into());
        self
    }

    pub fn body(mut self, body: Value) -> ApiRequest {
        self.body = Some(body);
        self
    }

    pub fn file(mut self, file: ApiFile) -> ApiRequest {
        self.files.push(file);
        self
    }

    pub fn linked_account_id(mut self, id: impl Into<String>) -> ApiRequest {
        self.linked_account_id = Some(id.into());
        self
    }
}

/// Parameter names only: values and bodies may carry credentials.
impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("params", &self.params.keys().collect::<Vec<_>>())
            .field("body", &self.body.as_ref().map(|_| REDACTED))
            .field("files", &self.files.len())
            .field("linked_account_id", &self.linked_account_id)
            .finish()
    }
}

/// A file sent in a multipart body.
#[derive(Clone)]
pub struct ApiFile {
    /// The form field it is sent as.
    pub field: String,
    pub filename: String,
    /// Its media type; `application/octet-stream` when `None`.
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl fmt::Debug for ApiFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiFile")
            .field("field", &self.field)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// One page of a paginated list.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiPage {
    /// The page's items (the answer's items field, e.g. `docs`).
    pub items: Vec<Value>,
    /// The page number to ask for next; `None` on the last page (or past [`MAX_PAGE`]).
    pub next_page: Option<u32>,
    /// The whole answer.
    pub body: Value,
}

/// Whom a client acts for.
#[derive(Clone)]
enum Scope {
    /// The organization: the API key, any operation.
    Org,
    /// One linked account, with the API key and its id in the `linked_account_id` header.
    LinkedAccount(String),
    /// One linked account, with its session token as Bearer (no API key is sent).
    Session { bearer: HeaderValue, token: String },
}

/// Whether a client scoped to one linked account by the API key and its id may call `op`: the
/// operations that take the `linked_account_id` header, and public ones.
pub fn allowed_for_linked_account(op: &Operation) -> bool {
    op.linked_account != LinkedAccountHeader::None || op.auth == Auth::None
}

/// Whether a client holding a linked account's session token may call `op`: the operations
/// whose credentials include a session token, and public ones.
pub fn allowed_for_session_token(op: &Operation) -> bool {
    op.auth != Auth::ApiKey
}

/// A client that acts for one linked account ([`Client::for_linked_account`],
/// [`Client::for_session_token`]): it shares its parent's connections, budget and options,
/// and refuses org-level operations before sending anything. Hand it to code that must not
/// hold the organization's power.
#[derive(Clone)]
pub struct ScopedClient {
    client: Client,
    scope: Scope,
}

impl fmt::Debug for ScopedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("ScopedClient");
        match &self.scope {
            Scope::Org => out.field("scope", &"org"),
            Scope::LinkedAccount(id) => out.field("linked_account_id", id),
            Scope::Session { .. } => out.field("session_token", &REDACTED),
        };
        out.finish()
    }
}

impl Client {
    /// A client acting for `linked_account_id` with this client's API key: it sends the id in
    /// the `linked_account_id` header and may call only the operations that take it.
    pub fn for_linked_account(&self, linked_account_id: &str) -> Result<ScopedClient, Error> {
        validate_linked_account_id(linked_account_id)?;
        Ok(ScopedClient {
            client: self.clone(),
            scope: Scope::LinkedAccount(linked_account_id.to_owned()),
        })
    }

    /// A client acting for the linked account whose session token is `token`: it sends the
    /// token as Bearer, never the API key, and may call only the operations a session token
    /// may (a session token is refused on org-level operations before anything is sent).
    pub fn for_session_token(&self, token: &str) -> Result<ScopedClient, Error> {
        validate_session_token(token)?;
        let mut bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| Error::invalid_input("The session token cannot be sent in a header."))?;
        bearer.set_sensitive(true);
        Ok(ScopedClient {
            client: self.clone(),
            scope: Scope::Session {
                bearer,
                token: token.to_owned(),
            },
        })
    }

    /// Calls the operation `operation_id` (the API description's `operationId`, e.g.
    /// `listPersistentTables`) with the API key, and returns its JSON answer (`null` when it
    /// has no body).
    pub async fn call(&self, operation_id: &str, request: ApiRequest) -> Result<Value, Error> {
        self.call_with(operation_id, request, RequestOptions::default())
            .await
    }

    /// [`Client::call`] with per-call options.
    pub async fn call_with(
        &self,
        operation_id: &str,
        request: ApiRequest,
        options: RequestOptions,
    ) -> Result<Value, Error> {
        send(self, &Scope::Org, operation_id, request, options).await
    }

    /// One page of the paginated list `operation_id` (its `page` parameter as given, else the
    /// first).
    pub async fn call_page(
        &self,
        operation_id: &str,
        request: ApiRequest,
        options: RequestOptions,
    ) -> Result<ApiPage, Error> {
        page(self, &Scope::Org, operation_id, request, options).await
    }
}

impl ScopedClient {
    /// The organization's own scope (the API key, any operation): what `Client::api` calls with.
    pub(super) fn org(client: &Client) -> ScopedClient {
        ScopedClient {
            client: client.clone(),
            scope: Scope::Org,
        }
    }

    /// The linked account this client acts for, when it was named by id.
    pub fn linked_account_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::LinkedAccount(id) => Some(id),
            _ => None,
        }
    }

    /// Whether this client may call `op`.
    pub fn allows(&self, op: &Operation) -> bool {
        match &self.scope {
            Scope::Org => true,
            Scope::LinkedAccount(_) => allowed_for_linked_account(op),
            Scope::Session { .. } => allowed_for_session_token(op),
        }
    }

    /// [`Client::call`] for this linked account.
    pub async fn call(&self, operation_id: &str, request: ApiRequest) -> Result<Value, Error> {
        self.call_with(operation_id, request, RequestOptions::default())
            .await
    }

    /// [`Client::call_with`] for this linked account.
    pub async fn call_with(
        &self,
        operation_id: &str,
        request: ApiRequest,
        options: RequestOptions,
    ) -> Result<Value, Error> {
        send(&self.client, &self.scope, operation_id, request, options).await
    }

    /// [`Client::call_page`] for this linked account.
    pub async fn call_page(
        &self,
        operation_id: &str,
        request: ApiRequest,
        options: RequestOptions,
    ) -> Result<ApiPage, Error> {
        page(&self.client, &self.scope, operation_id, request, options).await
    }
}

/// The operation named `operation_id`, else `invalid_input`.
pub fn operation(operation_id: &str) -> Result<&'static Operation, Error> {
    by_id(operation_id)
        .or_else(|| official::retired_operation(operation_id))
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "Refold's API has no operation \"{}\" (operation ids are the API description's \
             operationId, e.g. listLinkedAccounts).",
                clean_line(operation_id, 80)
            ))
        })
}

async fn page(
    client: &Client,
    scope: &Scope,
    operation_id: &str,
    request: ApiRequest,
    options: RequestOptions,
) -> Result<ApiPage, Error> {
    let op = operation(operation_id)?;
    let Pagination::Page { items } = op.pagination else {
        return Err(Error::invalid_input(format!(
            "{} is not a paginated list; call it without paging.",
            op.id
        )));
    };
    let asked = match request.params.get("page") {
        None | Some(Value::Null) => 1,
        Some(value) => value
            .as_u64()
            .filter(|page| (1..=u64::from(MAX_PAGE)).contains(page))
            .ok_or_else(|| {
                Error::invalid_input(format!("page must be a whole number from 1 to {MAX_PAGE}."))
            })? as u32,
    };
    let body = send(client, scope, operation_id, request, options).await?;
    read_page(op, items, asked, body)
}

/// A page's items and whether another follows: the next page is always the one after the page
/// asked for, so reading pages always progresses, and stops at [`MAX_PAGE`].
fn read_page(op: &Operation, items: &str, asked: u32, body: Value) -> Result<ApiPage, Error> {
    let Some(Value::Array(list)) = body.get(items) else {
        return Err(unexpected_body(&format!(
            "a page of {} with an `{items}` list",
            op.id
        )));
    };
    let more = body.get("hasNextPage").and_then(Value::as_bool) == Some(true);
    let next_page = (more && asked < MAX_PAGE).then_some(asked + 1);
    Ok(ApiPage {
        items: list.clone(),
        next_page,
        body,
    })
}

async fn send(
    client: &Client,
    scope: &Scope,
    operation_id: &str,
    request: ApiRequest,
    options: RequestOptions,
) -> Result<Value, Error> {
    let op = operation(operation_id)?;
    options.check()?;
    if official::retired_operation(op.id).is_some() {
        return send_retired(client, scope, op, request, options).await;
    }
    send_operation(client, scope, op, request, options).await
}

/// A retired official SDK call, carried out by today's webhook operations.
async fn send_retired(
    client: &Client,
    scope: &Scope,
    op: &'static Operation,
    request: ApiRequest,
    options: RequestOptions,
) -> Result<Value, Error> {
    let by_id = |id: &str| ApiRequest::new().param("id", id);
    let given = official::Given {
        params: &request.params,
        body: request.body.as_ref(),
        linked_account: request.linked_account_id.is_some(),
        files: !request.files.is_empty(),
    };
    match official::plan(op, &given)? {
        official::Plan::Delete { webhook_id } => {
            let delete = operation("deleteWebhook")?;
            send_operation(client, scope, delete, by_id(&webhook_id), options).await
        }
        official::Plan::SetEvents {
            webhook_id,
            add,
            remove,
        } => {
            let read = operation("getWebhookById")?;
            let update = operation("updateWebhook")?;
            let current = send_operation(client, scope, read, by_id(&webhook_id), options).await?;
            let body = official::events_body(&current, &add, remove.as_deref())?;
            send_operation(
                client,
                scope,
                update,
                by_id(&webhook_id).body(body),
                options,
            )
            .await
        }
    }
}

async fn send_operation(
    client: &Client,
    scope: &Scope,
    op: &'static Operation,
    request: ApiRequest,
    options: RequestOptions,
) -> Result<Value, Error> {
    let (credentials, secrets, linked_account_id) = credentials_for(op, scope, &request)?;
    let mut headers = HeaderMap::new();
    let url = route(op, &client.config().base, &request.params, &mut headers)?;
    if let Some(id) = linked_account_id {
        validate_linked_account_id(&id)?;
        let value = HeaderValue::from_str(&id)
            .map_err(|_| Error::invalid_input("linked_account_id cannot be sent in a header."))?;
        headers.insert(HeaderName::from_static("linked_account_id"), value);
    }
    let body = encode_body(op, request.body, request.files, &mut headers)?;
    let by_session_token = matches!(credentials, Credentials::Bearer(_));
    let outgoing = Request {
        method: reqwest::Method::from_bytes(op.method.as_str().as_bytes())
            .expect("an operation's method is a valid method"),
        url,
        body,
        call: Call::Operation {
            id: op.id,
            name: op.name,
            method: op.method.as_str(),
            route: op.path,
            by_session_token,
        },
        retry: match op.retry {
            RetryRule::Idempotent => RetryPolicy::Transient,
            RetryRule::UnsentOnly => RetryPolicy::OnlyUnsent,
        },
        credentials,
        timeout: options.timeout,
        traceparent: options.traceparent,
        max_retries: options.max_retries,
        secrets,
        priority: Priority::Interactive,
        headers,
    };
    client
        .engine()
        .execute(outgoing, |body, _received_at| decode(body))
        .await
}

/// A 2xx body: JSON, or `null` when empty.
fn decode(body: &[u8]) -> Result<Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|_| unexpected_body("JSON"))
}

type Access = (Credentials, Vec<String>, Option<String>);

/// The credentials, secrets to redact and `linked_account_id` header of `op` called in
/// `scope`, or why the scope may not call it.
fn credentials_for(op: &Operation, scope: &Scope, request: &ApiRequest) -> Result<Access, Error> {
    let public = op.auth == Auth::None;
    match scope {
        Scope::Org => {
            if op.auth == Auth::SessionToken {
                return Err(Error::invalid_input(format!(
                    "{} is authenticated by a linked account's session token, not the API key; \
                     call it on a client made for that session token.",
                    op.id
                )));
            }
            let header = match op.linked_account {
                LinkedAccountHeader::None => {
                    if request.linked_account_id.is_some() {
                        return Err(takes_no_linked_account(op));
                    }
                    None
                }
                LinkedAccountHeader::Optional => request.linked_account_id.clone(),
                LinkedAccountHeader::Required => match &request.linked_account_id {
                    Some(id) => Some(id.clone()),
                    None => {
                        return Err(Error::invalid_input(format!(
                            "{} acts for a linked account: pass linked_account_id, or call it on \
                             a client made for that linked account.",
                            op.id
                        )));
                    }
                },
            };
            let credentials = if public {
                Credentials::None
            } else {
                Credentials::ApiKey
            };
            Ok((credentials, Vec::new(), header))
        }
        Scope::LinkedAccount(id) => {
            if !allowed_for_linked_account(op) {
                return Err(org_level(op));
            }
            if request
                .linked_account_id
                .as_ref()
                .is_some_and(|other| other != id)
            {
                return Err(Error::invalid_input(format!(
                    "This client acts for linked account \"{}\" only; make another for a \
                     different account.",
                    clean_line(id, 80)
                )));
            }
            if public {
                return Ok((Credentials::None, Vec::new(), None));
            }
            Ok((Credentials::ApiKey, Vec::new(), Some(id.clone())))
        }
        Scope::Session { bearer, token } => {
            if !allowed_for_session_token(op) {
                return Err(org_level(op));
            }
            if request.linked_account_id.is_some() {
                return Err(Error::invalid_input(
                    "A session token already names its linked account: do not pass \
                     linked_account_id.",
                ));
            }
            if public {
                return Ok((Credentials::None, Vec::new(), None));
            }
            Ok((
                Credentials::Bearer(bearer.clone()),
                vec![token.clone()],
                None,
            ))
        }
    }
}

fn org_level(op: &Operation) -> Error {
    Error::invalid_input(format!(
        "{} is an org-level operation; a client scoped to one linked account may not call it.",
        op.id
    ))
}

fn takes_no_linked_account(op: &Operation) -> Error {
    Error::invalid_input(format!(
        "{} takes no linked_account_id header; pass the account as its parameter if it has one.",
        op.id
    ))
}

/// The URL of `op` with its path and query parameters, its header parameters added to
/// `headers`; every parameter checked against its declaration.
fn route(
    op: &Operation,
    base: &Url,
    params: &Map<String, Value>,
    headers: &mut HeaderMap,
) -> Result<Url, Error> {
    if let Some(unknown) = params
        .keys()
        .find(|key| !op.params.iter().any(|param| param.key == key.as_str()))
    {
        let known: Vec<&str> = op.params.iter().map(|param| param.key).collect();
        return Err(Error::invalid_input(format!(
            "{} has no parameter \"{}\"; it takes {}.",
            op.id,
            clean_line(unknown, 60),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    let mut path_values: Vec<(&str, String)> = Vec::new();
    let mut query: Vec<(&str, String)> = Vec::new();
    for param in op.params {
        let value = match params.get(param.key) {
            None | Some(Value::Null) => {
                if param.required {
                    return Err(Error::invalid_input(format!(
                        "{} needs the parameter {}.",
                        op.id, param.key
                    )));
                }
                continue;
            }
            Some(value) => param_text(op, param, value)?,
        };
        match param.location {
            ParamLocation::Path => {
                if value.is_empty() || value == "." || value == ".." {
                    return Err(Error::invalid_input(format!(
                        "{} cannot be empty, \".\" or \"..\" (it is a path segment).",
                        param.key
                    )));
                }
                path_values.push((param.name, value));
            }
            ParamLocation::Query => query.push((param.name, value)),
            ParamLocation::Header => {
                let name = HeaderName::from_bytes(param.name.as_bytes())
                    .expect("a declared header name is valid");
                let value = HeaderValue::from_str(&value).map_err(|_| {
                    Error::invalid_input(format!(
                        "{} cannot be sent in a header (no control characters or line breaks).",
                        param.key
                    ))
                })?;
                headers.insert(name, value);
            }
        }
    }
    let mut url = api_url(base, "");
    {
        let mut segments = url
            .path_segments_mut()
            .expect("an http(s) URL has path segments");
        segments.pop_if_empty();
        for segment in op.path.trim_start_matches('/').split('/') {
            match segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
            {
                Some(name) => {
                    let value = path_values
                        .iter()
                        .find(|(param, _)| *param == name)
                        .map(|(_, value)| value.as_str())
                        .expect("a required path parameter was checked");
                    segments.push(value);
                }
                None => {
                    segments.push(segment);
                }
            }
        }
    }
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in query {
            pairs.append_pair(name, &value);
        }
    }
    Ok(url)
}

/// A parameter's value as sent, checked against its declared kind.
fn param_text(op: &Operation, param: &Param, value: &Value) -> Result<String, Error> {
    let wrong = |expected: &str| {
        Error::invalid_input(format!("{} of {} must be {expected}.", param.key, op.id))
    };
    let text = match (param.kind, value) {
        (ParamKind::Text | ParamKind::Enum(_), Value::String(text)) => text.clone(),
        (ParamKind::Text | ParamKind::Enum(_), _) => return Err(wrong("a string")),
        (ParamKind::Integer, Value::Number(number)) if number.is_i64() || number.is_u64() => {
            number.to_string()
        }
        (ParamKind::Integer, _) => return Err(wrong("a whole number")),
        (ParamKind::Number, Value::Number(number)) => number.to_string(),
        (ParamKind::Number, _) => return Err(wrong("a number")),
        (ParamKind::Boolean, Value::Bool(flag)) => flag.to_string(),
        (ParamKind::Boolean, _) => return Err(wrong("true or false")),
    };
    if text.chars().count() > MAX_PARAM_CHARS {
        return Err(Error::invalid_input(format!(
            "{} of {} is longer than {MAX_PARAM_CHARS} characters.",
            param.key, op.id
        )));
    }
    Ok(text)
}

/// A parameter given as text (a command line's `key=value`) as the JSON value its declared
/// kind takes: the parameter's declared key (`key` may be its camelCase spelling) and the
/// value. A key `op` does not declare is kept as given, with the text as a string, for the
/// call to refuse in its own words.
pub fn param_from_text(op: &Operation, key: &str, text: &str) -> Result<(String, Value), Error> {
    let Some(param) = op.params.iter().find(|param| param.is_named(key)) else {
        return Ok((key.to_owned(), Value::String(text.to_owned())));
    };
    let wrong = |expected: &str| {
        Error::invalid_input(format!(
            "{} of {} must be {expected}, not \"{}\".",
            param.key,
            op.id,
            clean_line(text, 40)
        ))
    };
    let value = match param.kind {
        ParamKind::Text | ParamKind::Enum(_) => Value::String(text.to_owned()),
        ParamKind::Integer => {
            let trimmed = text.trim();
            if let Ok(number) = trimmed.parse::<i64>() {
                Value::from(number)
            } else if let Ok(number) = trimmed.parse::<u64>() {
                Value::from(number)
            } else {
                return Err(wrong("a whole number"));
            }
        }
        ParamKind::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| wrong("a number"))?,
        ParamKind::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong("true or false")),
        },
    };
    Ok((param.key.to_owned(), value))
}

/// The request body of `op`: JSON, or multipart/form-data when files are attached (its
/// `content-type` added to `headers`).
fn encode_body(
    op: &Operation,
    body: Option<Value>,
    files: Vec<ApiFile>,
    headers: &mut HeaderMap,
) -> Result<Option<Bytes>, Error> {
    let body = body.filter(|body| !body.is_null());
    let multipart = match op.body {
        BodyKind::None => {
            if body.is_some() || !files.is_empty() {
                return Err(Error::invalid_input(format!("{} takes no body.", op.id)));
            }
            return Ok(None);
        }
        BodyKind::Json => {
            if !files.is_empty() {
                return Err(Error::invalid_input(format!(
                    "{} takes a JSON body, not files.",
                    op.id
                )));
            }
            false
        }
        BodyKind::Multipart => true,
        BodyKind::JsonOrMultipart => !files.is_empty(),
    };
    if body.is_none() && files.is_empty() && op.body_required {
        return Err(Error::invalid_input(format!("{} needs a body.", op.id)));
    }
    if !multipart {
        let Some(body) = body else { return Ok(None) };
        let bytes = serde_json::to_vec(&body).expect("JSON values always serialise");
        if bytes.len() > MAX_REQUEST_BODY_BYTES {
            return Err(Error::invalid_input(format!(
                "The body of {} is over {} MiB.",
                op.id,
                MAX_REQUEST_BODY_BYTES / (1024 * 1024)
            )));
        }
        return Ok(Some(Bytes::from(bytes)));
    }
    let fields = match body {
        None => Map::new(),
        Some(Value::Object(fields)) => fields,
        Some(_) => {
            return Err(Error::invalid_input(format!(
                "With files, the body of {} must be an object (its members become form fields).",
                op.id
            )));
        }
    };
    let (bytes, content_type) = multipart_body(&fields, &files)?;
    headers.insert(CONTENT_TYPE, content_type);
    Ok(Some(bytes))
}

/// A multipart/form-data body: each member of `fields` (strings as they are, other values as
/// JSON), then each file.
fn multipart_body(
    fields: &Map<String, Value>,
    files: &[ApiFile],
) -> Result<(Bytes, HeaderValue), Error> {
    if files.len() > MAX_FILES {
        return Err(Error::invalid_input(format!(
            "At most {MAX_FILES} files go in one request."
        )));
    }
    let total: usize = files.iter().map(|file| file.bytes.len()).sum();
    if total > MAX_UPLOAD_BYTES {
        return Err(Error::invalid_input(format!(
            "The files of one request are over {} MiB together.",
            MAX_UPLOAD_BYTES / (1024 * 1024)
        )));
    }
    let plain = |what: &str, text: &str| {
        if text.is_empty() || text.chars().any(|c| c.is_control() || c == '"') {
            Err(Error::invalid_input(format!(
                "A file's {what} must be non-empty, without quotes or control characters."
            )))
        } else {
            Ok(())
        }
    };
    let boundary = format!(
        "refold-{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    let mut out: Vec<u8> = Vec::with_capacity(total + 512 * (files.len() + fields.len()));
    for (name, value) in fields {
        plain("field name", name)?;
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        out.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for file in files {
        plain("field name", &file.field)?;
        plain("file name", &file.filename)?;
        let media = file
            .content_type
            .as_deref()
            .unwrap_or("application/octet-stream");
        if HeaderValue::from_str(media).is_err() {
            return Err(Error::invalid_input(
                "A file's content type must be a valid header value.",
            ));
        }
        out.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\
                 content-type: {media}\r\n\r\n",
                file.field, file.filename
            )
            .as_bytes(),
        );
        out.extend_from_slice(&file.bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
        .expect("the boundary is plain ASCII");
    Ok((Bytes::from(out), content_type))
}

#[cfg(test)]
mod call_tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:9/base/").unwrap()
    }

    #[test]
    fn path_values_are_one_escaped_segment_each() {
        let op = operation("getExecutionById").unwrap();
        let mut params = Map::new();
        params.insert("execution_id".into(), json!("a/b c?d"));
        let url = route(op, &base(), &params, &mut HeaderMap::new()).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/base/api/v2/public/execution/a%2Fb%20c%3Fd"
        );
        params.insert("execution_id".into(), json!(".."));
        assert!(route(op, &base(), &params, &mut HeaderMap::new()).is_err());
    }

    #[test]
    fn unknown_missing_and_mistyped_parameters_are_refused() {
        let op = operation("getExecutionById").unwrap();
        let mut params = Map::new();
        let missing = route(op, &base(), &params, &mut HeaderMap::new()).unwrap_err();
        assert!(
            missing
                .message()
                .contains("needs the parameter execution_id")
        );
        params.insert("execution_id".into(), json!(5));
        let typed = route(op, &base(), &params, &mut HeaderMap::new()).unwrap_err();
        assert!(typed.message().contains("must be a string"), "{typed}");
        params.insert("execution_id".into(), json!("e1"));
        params.insert("nope".into(), json!(1));
        let unknown = route(op, &base(), &params, &mut HeaderMap::new()).unwrap_err();
        assert!(unknown.message().contains("has no parameter \"nope\""));
    }

    #[test]
    fn a_page_always_progresses_and_stops_at_the_cap() {
        let op = operation("listLinkedAccounts").unwrap();
        let Pagination::Page { items } = op.pagination else {
            panic!("listLinkedAccounts is paginated")
        };
        let body = json!({items: [1, 2], "page": 1, "hasNextPage": true});
        let page = read_page(op, items, 3, body.clone()).unwrap();
        assert_eq!((page.items.len(), page.next_page), (2, Some(4)));
        assert_eq!(
            read_page(op, items, MAX_PAGE, body).unwrap().next_page,
            None
        );
        let last = json!({items: [], "hasNextPage": false});
        assert_eq!(read_page(op, items, 1, last).unwrap().next_page, None);
        assert!(read_page(op, items, 1, json!({"page": 1})).is_err());
    }

    #[test]
    fn text_parameters_take_their_declared_kind() {
        let op = operation("getPersistentTableRecords").unwrap();
        assert_eq!(
            param_from_text(op, "tableId", "t1").unwrap(),
            ("table_id".to_owned(), json!("t1"))
        );
        assert_eq!(
            param_from_text(op, "page", " 3").unwrap(),
            ("page".to_owned(), json!(3))
        );
        for bad in ["three", "1.5", "", "99999999999999999999999"] {
            let error = param_from_text(op, "limit", bad).unwrap_err();
            assert!(error.message().contains("whole number"), "{error}");
        }
        assert_eq!(
            param_from_text(op, "nope", "x").unwrap(),
            ("nope".to_owned(), json!("x"))
        );
        // No operation declares these kinds today; a newer description may.
        static OTHERS: [Param; 2] = [
            Param {
                name: "flag",
                key: "flag",
                location: ParamLocation::Query,
                required: false,
                kind: ParamKind::Boolean,
            },
            Param {
                name: "ratio",
                key: "ratio",
                location: ParamLocation::Query,
                required: false,
                kind: ParamKind::Number,
            },
        ];
        let op = Operation {
            params: &OTHERS,
            ..*op
        };
        assert_eq!(param_from_text(&op, "flag", "true").unwrap().1, json!(true));
        assert!(param_from_text(&op, "flag", "yes").is_err());
        assert_eq!(param_from_text(&op, "ratio", "0.5").unwrap().1, json!(0.5));
        assert!(param_from_text(&op, "ratio", "NaN").is_err());
    }

    #[test]
    fn multipart_bodies_carry_fields_and_files() {
        let file = ApiFile {
            field: "file".into(),
            filename: "a.txt".into(),
            content_type: None,
            bytes: Bytes::from_static(b"hello"),
        };
        let mut fields = Map::new();
        fields.insert("event".into(), json!("e"));
        fields.insert("payload".into(), json!({"a": 1}));
        let (body, content_type) = multipart_body(&fields, std::slice::from_ref(&file)).unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        let ct = content_type.to_str().unwrap();
        let boundary = ct.split("boundary=").nth(1).unwrap();
        assert!(text.contains("name=\"payload\"\r\n\r\n{\"a\":1}\r\n"));
        assert!(text.contains("filename=\"a.txt\"\r\ncontent-type: application/octet-stream"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        let bad = ApiFile {
            filename: "a\"b".into(),
            ..file
        };
        assert!(multipart_body(&fields, &[bad]).is_err());
    }

    #[test]
    fn scopes_refuse_what_they_may_not_call() {
        let session = Scope::Session {
            bearer: HeaderValue::from_static("Bearer t"),
            token: "t".into(),
        };
        let account = Scope::LinkedAccount("u1".into());
        let request = ApiRequest::new();
        let list = operation("listLinkedAccounts").unwrap();
        for scope in [&session, &account] {
            let refused = credentials_for(list, scope, &request)
                .err()
                .expect("refused");
            assert!(refused.message().contains("org-level"));
        }
        let revoke = operation("revokeLinkedAccountSessionToken").unwrap();
        assert!(credentials_for(revoke, &Scope::Org, &request).is_err());
        assert!(matches!(
            credentials_for(revoke, &session, &request).unwrap().0,
            Credentials::Bearer(_)
        ));
        let executions = operation("listExecutions").unwrap();
        let (_, _, header) = credentials_for(executions, &account, &request).unwrap();
        assert_eq!(header.as_deref(), Some("u1"));
        let debug = format!(
            "{:?}",
            ScopedClient {
                client: Client::new(crate::options::ClientOptions {
                    api_key: Some(crate::secret::Secret::new("k")),
                    ..Default::default()
                })
                .unwrap(),
                scope: Scope::Session {
                    bearer: HeaderValue::from_static("Bearer SECRET-TOKEN"),
                    token: "SECRET-TOKEN".into(),
                },
            }
        );
        assert!(!debug.contains("SECRET-TOKEN"), "{debug}");
    }
}

//! Any operation of Refold's API across the FFI (docs/contract.md §17): the generic call and its
//! page form, on the client and on a client scoped to one linked account or session token.
//! Parameters, body and linked account cross as host values (`host_value.rs`) read by the
//! core's `host::api_request`; files as records; answers as JSON text (UTF-8 bytes, so that a
//! record's generated `toString()` never prints an answer that may hold a secret). Every check,
//! refusal, retry and paging rule is the core's.

use std::future::Future;
use std::sync::Arc;

use refold_session::api::{ApiFile, ApiPage, ApiRequest, ScopedClient};
use refold_session::host;
use refold_session::{Client, Error, RequestOptions};
use serde_json::Value;

use crate::{
    ErrorInfo, FfiClient, FfiError, KOTLIN, Task, guard, host_value, request_options, runtime,
    token_text,
};

/// A file sent in a multipart body. A name of `None` is one the Kotlin layer found not to be
/// valid Unicode (it reaches the core as U+FFFD).
#[derive(Clone, uniffi::Record)]
pub struct FfiApiFile {
    pub field: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for FfiApiFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiApiFile")
            .field("field", &self.field)
            .field("filename", &self.filename)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// One call's arguments: `params`, `body` and `linked_account_id` as host values (each may be
/// the host value of `null`: absent), and the files.
#[derive(Clone, uniffi::Record)]
pub struct FfiApiRequest {
    pub params: Vec<u8>,
    pub body: Vec<u8>,
    pub linked_account_id: Vec<u8>,
    pub files: Vec<FfiApiFile>,
}

impl std::fmt::Debug for FfiApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiApiRequest")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

/// One page of a paginated list: its items and whole answer as JSON text (UTF-8), and the page
/// to ask for next (`None` on the last).
#[derive(Clone, uniffi::Record)]
pub struct FfiApiPage {
    pub items_json: Vec<u8>,
    pub next_page: Option<u32>,
    pub body_json: Vec<u8>,
}

impl std::fmt::Debug for FfiApiPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiApiPage")
            .field("next_page", &self.next_page)
            .finish_non_exhaustive()
    }
}

/// Whom a call acts for.
#[derive(Clone)]
enum Caller {
    Org(Client),
    Scoped(ScopedClient),
}

impl Caller {
    async fn call(
        self,
        operation_id: String,
        request: ApiRequest,
        options: RequestOptions,
    ) -> Result<Value, Error> {
        match self {
            Caller::Org(client) => client.call_with(&operation_id, request, options).await,
            Caller::Scoped(client) => client.call_with(&operation_id, request, options).await,
        }
    }

    async fn page(
        self,
        operation_id: String,
        request: ApiRequest,
        options: RequestOptions,
    ) -> Result<ApiPage, Error> {
        match self {
            Caller::Org(client) => client.call_page(&operation_id, request, options).await,
            Caller::Scoped(client) => client.call_page(&operation_id, request, options).await,
        }
    }
}

/// The core's request of `operation_id` from the Kotlin layer's arguments.
fn read_request(operation_id: &str, request: FfiApiRequest) -> Result<ApiRequest, FfiError> {
    let params = host_value::read(request.params)?;
    let body = host_value::read(request.body)?;
    let linked_account = host_value::read(request.linked_account_id)?;
    let mut read = host::api_request(operation_id, &params, &body, &linked_account, KOTLIN)?;
    read.files = request
        .files
        .into_iter()
        .map(|file| ApiFile {
            field: token_text(file.field),
            filename: token_text(file.filename),
            content_type: file.content_type,
            bytes: file.bytes.into(),
        })
        .collect();
    Ok(read)
}

fn json_bytes(value: &Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

async fn call(
    caller: Caller,
    operation_id: Option<String>,
    request: FfiApiRequest,
    options: Option<Vec<u8>>,
) -> Result<Vec<u8>, FfiError> {
    let operation_id = token_text(operation_id);
    let options = request_options(options, false)?;
    let request = read_request(&operation_id, request)?;
    Ok(json_bytes(
        &caller.call(operation_id, request, options).await?,
    ))
}

async fn page(
    caller: Caller,
    operation_id: Option<String>,
    request: FfiApiRequest,
    options: Option<Vec<u8>>,
) -> Result<FfiApiPage, FfiError> {
    let operation_id = token_text(operation_id);
    let options = request_options(options, false)?;
    let request = read_request(&operation_id, request)?;
    let page = caller.page(operation_id, request, options).await?;
    Ok(FfiApiPage {
        items_json: json_bytes(&Value::Array(page.items)),
        next_page: page.next_page,
        body_json: json_bytes(&page.body),
    })
}

/// The `invalid_response` of an answer of `operation_id` that does not fit its Kotlin model
/// (`ApiCall.decode`), worded by the core.
#[uniffi::export]
pub fn answer_shape_error(operation_id: String) -> ErrorInfo {
    FfiError::from(refold_session::api::answer_shape_error(
        &operation_id,
        KOTLIN,
    ))
    .info()
    .clone()
}

/// A call of the org-level client, async or blocking (`None` after `release()`).
#[uniffi::export]
impl FfiClient {
    /// Calls any operation with the API key (`None` after `release()`). An operation id of
    /// `None` is one the Kotlin layer found not to be valid Unicode.
    pub async fn api_call(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, FfiError> {
        self.run(move |client| call(Caller::Org(client), operation_id, request, options))
            .await
    }

    pub fn api_call_blocking(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, FfiError> {
        self.run_blocking(move |client| call(Caller::Org(client), operation_id, request, options))
    }

    /// One page of a paginated list.
    pub async fn api_call_page(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiApiPage>, FfiError> {
        self.run(move |client| page(Caller::Org(client), operation_id, request, options))
            .await
    }

    pub fn api_call_page_blocking(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<Option<FfiApiPage>, FfiError> {
        self.run_blocking(move |client| page(Caller::Org(client), operation_id, request, options))
    }

    /// A client acting for `linked_account_id` (the core checks the id); `None` after
    /// `release()`. An id of `None` is one that is not valid Unicode.
    pub fn for_linked_account(
        &self,
        linked_account_id: Option<String>,
    ) -> Result<Option<Arc<FfiScopedClient>>, FfiError> {
        guard(|| {
            let Some(client) = self.current() else {
                return Ok(None);
            };
            let id = linked_account_id.ok_or_else(refold_session::linked_account_id_not_unicode)?;
            Ok(Some(FfiScopedClient::new(client.for_linked_account(&id)?)))
        })
    }

    /// A client acting for the linked account whose session token is `token` (the core checks
    /// it); `None` after `release()`.
    pub fn for_session_token(
        &self,
        token: Option<String>,
    ) -> Result<Option<Arc<FfiScopedClient>>, FfiError> {
        guard(|| {
            let Some(client) = self.current() else {
                return Ok(None);
            };
            Ok(Some(FfiScopedClient::new(
                client.for_session_token(&token_text(token))?,
            )))
        })
    }
}

/// The core's `ScopedClient`: shares its parent's connections; refuses org-level operations
/// before anything is sent. (Its `Debug` never shows a session token.)
#[derive(uniffi::Object)]
pub struct FfiScopedClient {
    scoped: ScopedClient,
}

impl std::fmt::Debug for FfiScopedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.scoped, f)
    }
}

impl FfiScopedClient {
    fn new(scoped: ScopedClient) -> Arc<Self> {
        Arc::new(FfiScopedClient { scoped })
    }

    async fn spawned<T, F>(&self, call: impl FnOnce(Caller) -> F) -> Result<T, FfiError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, FfiError>> + Send + 'static,
    {
        let task = guard(|| {
            let future = call(Caller::Scoped(self.scoped.clone()));
            Ok(Task(runtime()?.spawn(future)))
        })?;
        task.await
    }

    fn blocking<T, F>(&self, call: impl FnOnce(Caller) -> F) -> Result<T, FfiError>
    where
        F: Future<Output = Result<T, FfiError>>,
    {
        guard(|| runtime()?.block_on(call(Caller::Scoped(self.scoped.clone()))))
    }
}

#[uniffi::export]
impl FfiScopedClient {
    pub async fn api_call(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, FfiError> {
        self.spawned(move |caller| call(caller, operation_id, request, options))
            .await
    }

    pub fn api_call_blocking(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, FfiError> {
        self.blocking(move |caller| call(caller, operation_id, request, options))
    }

    pub async fn api_call_page(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<FfiApiPage, FfiError> {
        self.spawned(move |caller| page(caller, operation_id, request, options))
            .await
    }

    pub fn api_call_page_blocking(
        &self,
        operation_id: Option<String>,
        request: FfiApiRequest,
        options: Option<Vec<u8>>,
    ) -> Result<FfiApiPage, FfiError> {
        self.blocking(move |caller| page(caller, operation_id, request, options))
    }

    /// The linked account this client acts for, when it was named by id.
    pub fn linked_account_id(&self) -> Option<String> {
        self.scoped.linked_account_id().map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn null() -> Vec<u8> {
        vec![1]
    }

    #[test]
    fn an_unknown_operation_and_a_non_unicode_id_are_the_core_s_errors() {
        let request = FfiApiRequest {
            params: null(),
            body: null(),
            linked_account_id: null(),
            files: Vec::new(),
        };
        let err = read_request("noSuchOperation", request.clone()).unwrap_err();
        assert_eq!(err.info().code, "invalid_input");
        let ok = read_request("listWebhooks", request).unwrap();
        assert!(ok.params.is_empty() && ok.body.is_none() && ok.linked_account_id.is_none());
    }
}

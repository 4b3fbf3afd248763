//! Any operation of Refold's API from JavaScript (docs/contract.md §17): the generic entry
//! (`call`, `callPage`) on the client and on a client scoped to one linked account
//! (`forLinkedAccount`, `forSessionToken`). Arguments are read by the core
//! (`host::api_request`) from the one converter's values; files are copied from their
//! `Uint8Array`s into the core's `ApiFile`s. Answers cross as JSON text (`index.js` parses it).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use napi::JsValue;
use napi::bindgen_prelude::{Either, JsObjectValue, Object, Uint8ArraySlice, Unknown};
use napi::{Env, Result, ValueType};
use napi_derive::napi;
use refold_session::api::{ApiFile, ApiRequest, ScopedClient};
use refold_session::host::{self, HostValue};
use refold_session::{Client, Error, RequestOptions};

use crate::dispatch::{Answer, Channel, guarded};
use crate::host_value::{host_value, optional};
use crate::records::ErrorPayload;
use crate::{NODE, NativeClient, Started, request_options, start};

/// Whom a call goes out as: the organization's client, or a scoped one.
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
        paged: bool,
    ) -> std::result::Result<Answer, Error> {
        if paged {
            match self {
                Caller::Org(client) => client.call_page(&operation_id, request, options).await,
                Caller::Scoped(client) => client.call_page(&operation_id, request, options).await,
            }
            .map(Answer::ApiPage)
        } else {
            match self {
                Caller::Org(client) => client.call_with(&operation_id, request, options).await,
                Caller::Scoped(client) => client.call_with(&operation_id, request, options).await,
            }
            .map(Answer::Json)
        }
    }
}

/// One call's arguments as `index.js` splits the caller's object: the operation's parameters,
/// `body`, `linkedAccountId`, `files`, and the per-call options.
struct Arguments<'a> {
    operation_id: Unknown<'a>,
    params: Option<Unknown<'a>>,
    body: Option<Unknown<'a>>,
    linked_account_id: Option<Unknown<'a>>,
    files: Option<Unknown<'a>>,
    options: Option<Unknown<'a>>,
}

/// The operation id, request and options of a call, or the core's reason to refuse it.
type Read = std::result::Result<(String, ApiRequest, RequestOptions), Error>;

fn read(arguments: &Arguments<'_>) -> Result<Read> {
    // A value that is not text names no operation: the core says so in its words.
    let operation_id = match host_value(&arguments.operation_id)? {
        HostValue::Text(id) => id,
        other => format!("{other:?}"),
    };
    let params = optional(arguments.params.as_ref())?;
    let body = optional(arguments.body.as_ref())?;
    let linked = optional(arguments.linked_account_id.as_ref())?;
    let mut request = match host::api_request(&operation_id, &params, &body, &linked, NODE) {
        Ok(request) => request,
        Err(error) => return Ok(Err(error)),
    };
    match files(arguments.files.as_ref())? {
        Ok(files) => request.files = files,
        Err(error) => return Ok(Err(error)),
    }
    let options = match request_options(arguments.options.as_ref())? {
        Ok(options) => options,
        Err(error) => return Ok(Err(error)),
    };
    Ok(Ok((operation_id, request, options)))
}

/// `files` (`[{field, filename, contentType?, data}]`, `data` a `Buffer` or `Uint8Array`) as
/// the core's files, read by the core (`host::api_file`), which copies the bytes only within
/// its upload limits.
fn files(value: Option<&Unknown<'_>>) -> Result<std::result::Result<Vec<ApiFile>, Error>> {
    let Some(value) = value else {
        return Ok(Ok(Vec::new()));
    };
    let list = match value.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(Ok(Vec::new())),
        // SAFETY: an array, checked by the guard.
        ValueType::Object if value.is_array()? => Some(unsafe { value.cast::<Object<'_>>()? }),
        _ => None,
    };
    let count = match &list {
        Some(list) => Some(list.get_array_length()? as usize),
        None => None,
    };
    if let Err(error) = host::api_file_count(count, NODE) {
        return Ok(Err(error));
    }
    let (Some(list), Some(count)) = (list, count) else {
        return Ok(Ok(Vec::new()));
    };
    let mut found: Vec<ApiFile> = Vec::with_capacity(count);
    let mut before = 0usize;
    for index in 0..count as u32 {
        let item: Unknown<'_> = list.get_element(index)?;
        let members = if item.get_type()? == ValueType::Object && !item.is_array()? {
            // SAFETY: an object, checked just above.
            let file: Object<'_> = unsafe { item.cast()? };
            let data: Unknown<'_> = file.get_named_property("data")?;
            let bytes = if data.is_typedarray()? {
                // SAFETY: a typed array; any other kind than bytes is `None`.
                unsafe { data.cast::<Uint8ArraySlice<'_>>() }.ok()
            } else {
                None
            };
            (
                host_value(&file.get_named_property::<Unknown<'_>>("field")?)?,
                host_value(&file.get_named_property::<Unknown<'_>>("filename")?)?,
                host_value(&file.get_named_property::<Unknown<'_>>("contentType")?)?,
                bytes,
            )
        } else {
            (
                HostValue::Missing,
                HostValue::Missing,
                HostValue::Missing,
                None,
            )
        };
        let (field, filename, content_type, bytes) = members;
        let data = bytes.as_ref().map(|bytes| &bytes[..]);
        match host::api_file(&field, &filename, &content_type, data, before, NODE) {
            Ok(file) => {
                before += file.bytes.len();
                found.push(file);
            }
            Err(error) => return Ok(Err(error)),
        }
    }
    Ok(Ok(found))
}

/// Starts `caller`'s call of one operation (`paged`: one page of a paginated list).
fn start_call(
    env: &Env,
    channel: &Channel,
    caller: Caller,
    call_id: u32,
    paged: bool,
    arguments: Arguments<'_>,
) -> Result<Started> {
    start(env, channel, call_id, || {
        Ok(read(&arguments)?.map(|(operation_id, request, options)| {
            caller.call(operation_id, request, options, paged)
        }))
    })
}

#[napi]
impl NativeClient {
    /// Calls the operation `operation_id` with the API key (`paged`: one page of a paginated
    /// list); its completion carries the answer as JSON text, or the page.
    #[napi]
    #[allow(clippy::too_many_arguments)] // one per argument of the JavaScript call
    pub fn call(
        &self,
        env: Env,
        call_id: u32,
        paged: bool,
        operation_id: Unknown<'_>,
        params: Option<Unknown<'_>>,
        body: Option<Unknown<'_>>,
        linked_account_id: Option<Unknown<'_>>,
        files: Option<Unknown<'_>>,
        options: Option<Unknown<'_>>,
    ) -> Result<Started> {
        let arguments = Arguments {
            operation_id,
            params,
            body,
            linked_account_id,
            files,
            options,
        };
        let caller = Caller::Org(self.inner.clone());
        start_call(&env, &self.channel, caller, call_id, paged, arguments)
    }

    /// A client acting for one linked account with this client's API key, or why `id` is
    /// unusable.
    #[napi]
    pub fn for_linked_account(
        &self,
        id: Unknown<'_>,
    ) -> Result<Either<NativeScopedClient, ErrorPayload>> {
        self.scoped(|| {
            let id = host::linked_account_id(&host_value(&id)?, NODE);
            Ok(id.and_then(|id| self.inner.for_linked_account(&id)))
        })
    }

    /// A client acting with a linked account's session token (never the API key), or why
    /// `token` is unusable.
    #[napi]
    pub fn for_session_token(
        &self,
        token: Unknown<'_>,
    ) -> Result<Either<NativeScopedClient, ErrorPayload>> {
        self.scoped(|| {
            let token = host::session_token(&host_value(&token)?, NODE);
            Ok(token.and_then(|token| self.inner.for_session_token(&token)))
        })
    }
}

impl NativeClient {
    fn scoped(
        &self,
        make: impl FnOnce() -> Result<std::result::Result<ScopedClient, Error>>,
    ) -> Result<Either<NativeScopedClient, ErrorPayload>> {
        guarded(
            AssertUnwindSafe(|| {
                Ok(match make()? {
                    Ok(inner) => Either::A(NativeScopedClient {
                        inner,
                        channel: Arc::clone(&self.channel),
                    }),
                    Err(error) => Either::B(error.into()),
                })
            }),
            Either::B,
        )
    }
}

/// A client acting for one linked account (the core's `ScopedClient`): it refuses org-level
/// operations before sending anything.
#[napi]
pub struct NativeScopedClient {
    inner: ScopedClient,
    channel: Arc<Channel>,
}

#[napi]
impl NativeScopedClient {
    /// [`NativeClient::call`] for this linked account.
    #[napi]
    #[allow(clippy::too_many_arguments)] // one per argument of the JavaScript call
    pub fn call(
        &self,
        env: Env,
        call_id: u32,
        paged: bool,
        operation_id: Unknown<'_>,
        params: Option<Unknown<'_>>,
        body: Option<Unknown<'_>>,
        linked_account_id: Option<Unknown<'_>>,
        files: Option<Unknown<'_>>,
        options: Option<Unknown<'_>>,
    ) -> Result<Started> {
        let arguments = Arguments {
            operation_id,
            params,
            body,
            linked_account_id,
            files,
            options,
        };
        let caller = Caller::Scoped(self.inner.clone());
        start_call(&env, &self.channel, caller, call_id, paged, arguments)
    }

    /// The linked account this client acts for, when it was named by id (`null` for a
    /// session token's client).
    #[napi(getter)]
    pub fn linked_account_id(&self) -> Option<String> {
        self.inner.linked_account_id().map(str::to_owned)
    }
}

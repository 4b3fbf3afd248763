//! The native half of the `refold-session` npm package: a thin napi-rs translation of the
//! `refold-session` core. Every decision (validation, retries, error codes and messages,
//! token expiry) is the core's; this file only converts JavaScript values to core calls and
//! core results to plain objects that `index.js` turns into idiomatic classes.
//!
//! Nothing here throws for an expected failure: outcomes are delivered as `{ token }` or
//! `{ error }` payloads so the JavaScript layer can build real `RefoldError` subclasses
//! (napi's own rejections carry a fixed `code`).
//!
//! Calls run on napi's tokio runtime (the addon's only runtime). Each JavaScript environment
//! (main thread, every worker) creates one [`Dispatcher`]: a single weak threadsafe function
//! through which every completed call is handed back with its call id. A call is then one
//! cheap synchronous native call plus a task spawn: no per-call promise/threadsafe function
//! (what napi's `async fn` does, ~50 µs each), so thousands of calls in flight never stall
//! the event loop. `index.js` keeps the loop alive while calls are pending.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;
use napi::bindgen_prelude::{Either, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status, ValueType};
use napi_derive::napi;
use refold_session::{Client, ClientBuilder, Error, SessionToken};

/// A failure, field for field as the core reports it.
#[napi(object)]
pub struct ErrorPayload {
    /// `ErrorCode::as_str()`.
    pub code: String,
    /// `Error::message()`, verbatim.
    pub message: String,
    pub status: Option<u32>,
    pub request_id: Option<String>,
    /// Seconds.
    pub retry_after: Option<f64>,
    pub attempts: u32,
}

impl From<Error> for ErrorPayload {
    fn from(error: Error) -> Self {
        ErrorPayload {
            code: error.code().as_str().to_owned(),
            message: error.message().to_owned(),
            status: error.status().map(u32::from),
            request_id: error.request_id().map(str::to_owned),
            retry_after: error.retry_after().map(|wait| wait.as_secs_f64()),
            attempts: error.attempts(),
        }
    }
}

/// A minted token; times are Unix epoch milliseconds (what `new Date(ms)` takes).
#[napi(object)]
pub struct TokenPayload {
    pub token: String,
    /// `SessionToken::redacted()`: what inspect/toString show instead of the token.
    pub redacted: String,
    pub linked_account_id: String,
    pub expires_at_ms: f64,
    pub issued_at_ms: Option<f64>,
}

impl From<SessionToken> for TokenPayload {
    fn from(token: SessionToken) -> Self {
        TokenPayload {
            linked_account_id: token.linked_account_id().to_owned(),
            expires_at_ms: epoch_ms(token.expires_at()),
            issued_at_ms: token.issued_at().map(epoch_ms),
            redacted: token.redacted(),
            token: token.into_token(),
        }
    }
}

/// The outcome of one call: exactly one of `token`, `error` and `panic` is set. `panic`
/// (the panic's text) means a bug in the core or the addon, never an API failure.
#[napi(object)]
pub struct Completion {
    pub call_id: u32,
    pub token: Option<TokenPayload>,
    pub error: Option<ErrorPayload>,
    pub panic: Option<String>,
}

/// The text of a caught panic.
fn panic_text(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_owned()
    }
}

fn epoch_ms(time: SystemTime) -> f64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs_f64() * 1000.0,
        Err(before) => -before.duration().as_secs_f64() * 1000.0,
    }
}

/// JavaScript's `typeof`, with `null` told apart, for wrong-type messages.
fn js_type_name(value: &Unknown<'_>) -> Result<&'static str> {
    Ok(match value.get_type()? {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Object => "object",
        ValueType::Function => "function",
        ValueType::External => "external",
        ValueType::BigInt => "bigint",
        _ => "unknown",
    })
}

/// A string option: `Some` when it is a string, `None` when absent (`undefined`/`null`),
/// else the builder records the wrong type (the core words the error).
fn string_option(
    builder: ClientBuilder,
    name: &str,
    value: Option<Unknown<'_>>,
) -> Result<(ClientBuilder, Option<String>)> {
    let Some(value) = value else {
        return Ok((builder, None));
    };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok((builder, None)),
        // SAFETY: the value was just checked to be a string.
        ValueType::String => Ok((builder, Some(unsafe { value.cast::<String>()? }))),
        _ => {
            let received = js_type_name(&value)?;
            Ok((builder.option_type_error(name, "a string", received), None))
        }
    }
}

/// A number option, as [`string_option`].
fn number_option(
    builder: ClientBuilder,
    name: &str,
    value: Option<Unknown<'_>>,
) -> Result<(ClientBuilder, Option<f64>)> {
    let Some(value) = value else {
        return Ok((builder, None));
    };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok((builder, None)),
        // SAFETY: the value was just checked to be a number.
        ValueType::Number => Ok((builder, Some(unsafe { value.cast::<f64>()? }))),
        _ => {
            let received = js_type_name(&value)?;
            Ok((builder.option_type_error(name, "a number", received), None))
        }
    }
}

/// Hands completed calls back to one JavaScript callback `(completion) => void`.
/// Weak: it never keeps the process alive by itself.
type Completions = ThreadsafeFunction<Completion, (), Completion, Status, false, true>;

/// The completion channel of one JavaScript environment.
#[napi]
pub struct Dispatcher {
    completions: Arc<Completions>,
}

/// Creates the environment's completion channel around `callback(completion)`.
#[napi(catch_unwind)]
pub fn create_dispatcher(callback: Function<Completion, ()>) -> Result<Dispatcher> {
    let completions = callback
        .build_threadsafe_function::<Completion>()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    Ok(Dispatcher {
        completions: Arc::new(completions),
    })
}

/// One client: one connection pool, shared by every call made through it.
#[napi]
pub struct NativeClient {
    inner: Client,
}

#[napi]
impl NativeClient {
    /// Starts minting a token; the outcome arrives later through `dispatcher` as a
    /// [`Completion`] carrying `call_id`.
    #[napi(catch_unwind)]
    pub fn start(&self, dispatcher: &Dispatcher, call_id: u32, linked_account_id: String) {
        let client = self.inner.clone();
        let completions = Arc::clone(&dispatcher.completions);
        napi::bindgen_prelude::spawn(async move {
            // A panic must still settle the caller's promise (else it would hang, and keep
            // the process alive); it is reported as a bug, not as a Refold error.
            let call = AssertUnwindSafe(client.get_token_for_linked_account(&linked_account_id));
            let completion = match call.catch_unwind().await {
                Ok(Ok(token)) => Completion {
                    call_id,
                    token: Some(token.into()),
                    error: None,
                    panic: None,
                },
                Ok(Err(error)) => Completion {
                    call_id,
                    token: None,
                    error: Some(error.into()),
                    panic: None,
                },
                Err(panic) => Completion {
                    call_id,
                    token: None,
                    error: None,
                    panic: Some(panic_text(panic.as_ref())),
                },
            };
            // Fails only when the environment is gone (e.g. a terminated worker): then
            // nobody is waiting for the outcome.
            let _ = completions.call(completion, ThreadsafeFunctionCallMode::NonBlocking);
        });
    }

    /// The session-token URL requests go to.
    #[napi(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.endpoint().to_owned()
    }

    /// The deployment name (`production`, `sandbox`, `staging`).
    #[napi(getter)]
    pub fn environment(&self) -> String {
        self.inner.environment().as_str().to_owned()
    }

    /// The `user-agent` sent with every request.
    #[napi(getter)]
    pub fn user_agent(&self) -> String {
        self.inner.user_agent().to_owned()
    }
}

/// Builds a client from raw option values (any JavaScript type); unset options fall back to
/// the core's environment variables and defaults. `base_url_name` is the option name the
/// user wrote (`baseUrl` or `server_url`), for messages; `options_type` is set when the
/// options argument itself was not an object. Returns the client or a `configuration` error
/// payload.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn create_client(
    runtime_version: String,
    options_type: Option<String>,
    api_key: Option<Unknown<'_>>,
    environment: Option<Unknown<'_>>,
    base_url: Option<Unknown<'_>>,
    base_url_name: Option<String>,
    timeout_ms: Option<Unknown<'_>>,
    max_retries: Option<Unknown<'_>>,
) -> Result<Either<NativeClient, ErrorPayload>> {
    let mut builder = Client::builder().binding("node", runtime_version);
    if let Some(received) = options_type {
        builder = builder.option_type_error("options", "an object", &received);
    }
    let (next, api_key) = string_option(builder, "apiKey", api_key)?;
    builder = next;
    let (next, environment) = string_option(builder, "environment", environment)?;
    builder = next;
    let base_url_name = base_url_name.unwrap_or_else(|| "baseUrl".to_owned());
    let (next, base_url) = string_option(builder, &base_url_name, base_url)?;
    builder = next;
    let (next, timeout_ms) = number_option(builder, "timeoutMs", timeout_ms)?;
    builder = next;
    let (next, max_retries) = number_option(builder, "maxRetries", max_retries)?;
    builder = next;

    if let Some(key) = api_key {
        builder = builder.api_key(key);
    }
    if let Some(name) = environment {
        builder = builder.environment_name(name);
    }
    if let Some(url) = base_url {
        builder = builder.base_url(url);
    }
    if let Some(ms) = timeout_ms {
        builder = builder.timeout_millis_f64(ms);
    }
    if let Some(retries) = max_retries {
        builder = builder.max_retries_f64(retries);
    }
    Ok(match builder.build() {
        Ok(inner) => Either::A(NativeClient { inner }),
        Err(error) => Either::B(error.into()),
    })
}

/// The `invalid_input` payload for a linked account id that is not a string; `received`
/// names what was passed (`typeof`, or `null`).
#[napi(catch_unwind)]
pub fn linked_account_id_type_error(received: String) -> ErrorPayload {
    refold_session::linked_account_id_type_error(&received).into()
}

/// The core's version (sent in the `user-agent`).
#[napi]
pub fn core_version() -> String {
    refold_session::VERSION.to_owned()
}

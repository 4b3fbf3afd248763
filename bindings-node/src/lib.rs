//! The native half of the `refold-session` npm package: a thin napi-rs translation of the
//! `refold-session` core. Every decision (validation, retries, error codes and messages,
//! token expiry, the text form of times) is the core's; this file only converts JavaScript
//! values to a core `ClientOptions` and calls, and core results to plain objects that
//! `index.js` turns into idiomatic classes. `native.d.ts` declares what it exports.
//!
//! Nothing here throws for an expected failure: outcomes are delivered as payloads so the
//! JavaScript layer can build real `RefoldError` subclasses (napi's own errors carry a fixed
//! `code`). Every entry point catches panics and reports them as the core's `internal` error
//! (docs/contract.md §Host-language surface), so a bug never crashes the process or leaves a
//! promise pending.
//!
//! Calls run on napi's tokio runtime (the addon's only runtime). Each JavaScript environment
//! (main thread, every worker) creates one [`Dispatcher`]: a single weak threadsafe function
//! through which every completed call is handed back with its call id. A call is then one
//! cheap synchronous native call plus a task spawn, with no per-call promise or threadsafe
//! function, so thousands of calls in flight never stall the event loop (see bench/README.md).
//! `index.js` keeps the loop alive while calls are pending.

use std::panic::{AssertUnwindSafe, UnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;
use futures_util::future::{Either as Race, select};
use napi::bindgen_prelude::{Either, Function, Unknown, Utf16String};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::tokio::sync::watch;
use napi::{Env, Result, Status, ValueType};
use napi_derive::napi;
use refold_session::{
    Client, ClientOptions, Error, OptionProblem, SessionToken, Timeout, format_rfc3339,
};

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

/// Runs a synchronous entry point, turning a panic into the core's `internal` error.
fn guarded<T>(
    body: impl FnOnce() -> Result<T> + UnwindSafe,
    on_panic: impl FnOnce(ErrorPayload) -> T,
) -> Result<T> {
    match catch_unwind(body) {
        Ok(outcome) => outcome,
        Err(panic) => Ok(on_panic(Error::from_panic(panic.as_ref()).into())),
    }
}

/// A minted token. Times are Unix epoch milliseconds (what `new Date(ms)` takes) and, for
/// `toJSON()`, the core's RFC 3339 text.
#[napi(object)]
pub struct TokenPayload {
    pub token: String,
    /// `SessionToken::redacted()`: what inspect/toString show instead of the token.
    pub redacted: String,
    pub linked_account_id: String,
    pub expires_at_ms: f64,
    pub issued_at_ms: Option<f64>,
    /// `format_rfc3339(expires_at)`.
    pub expires_at_text: String,
    /// `format_rfc3339(issued_at)`.
    pub issued_at_text: Option<String>,
}

impl From<SessionToken> for TokenPayload {
    fn from(token: SessionToken) -> Self {
        TokenPayload {
            linked_account_id: token.linked_account_id().to_owned(),
            expires_at_ms: epoch_ms(token.expires_at()),
            issued_at_ms: token.issued_at().map(epoch_ms),
            expires_at_text: format_rfc3339(token.expires_at()),
            issued_at_text: token.issued_at().map(format_rfc3339),
            redacted: token.redacted(),
            token: token.into_token(),
        }
    }
}

fn epoch_ms(time: SystemTime) -> f64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs_f64() * 1000.0,
        Err(before) => -before.duration().as_secs_f64() * 1000.0,
    }
}

/// The outcome of one call: exactly one of `token` and `error` is set.
#[napi(object)]
pub struct Completion {
    pub call_id: u32,
    pub token: Option<TokenPayload>,
    pub error: Option<ErrorPayload>,
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

/// The text of a JavaScript string, or `None` when it holds a lone UTF-16 surrogate, which
/// is never replaced (docs/contract.md §Host-language surface, the Unicode rule). napi's
/// UTF-8 conversion turns a lone surrogate into U+FFFD, so only a result holding U+FFFD is
/// read again as UTF-16 to tell a replaced surrogate from a genuine U+FFFD.
///
/// # Safety
/// `value` must be a string.
unsafe fn js_text(value: &Unknown<'_>) -> Result<Option<String>> {
    // SAFETY: the caller checked that the value is a string.
    let text: String = unsafe { value.cast()? };
    if !text.contains('\u{FFFD}') {
        return Ok(Some(text));
    }
    // SAFETY: as above.
    let units: Utf16String = unsafe { value.cast()? };
    Ok(String::from_utf16(&units).ok())
}

/// Reads an optional option of any JavaScript type into `options`: absent
/// (`undefined`/`null`) gives `None`; a wrong type or text that is not Unicode is reported
/// as an [`OptionProblem`] (the core words the error).
struct OptionReader<'o> {
    options: &'o mut ClientOptions,
}

impl OptionReader<'_> {
    fn string(&mut self, name: &str, value: Option<Unknown<'_>>) -> Result<Option<String>> {
        let Some(value) = value else { return Ok(None) };
        match value.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            ValueType::String => {
                // SAFETY: the value was just checked to be a string.
                let text = unsafe { js_text(&value)? };
                if text.is_none() {
                    self.options.report(OptionProblem::not_unicode(name));
                }
                Ok(text)
            }
            _ => {
                let received = js_type_name(&value)?;
                self.options
                    .report(OptionProblem::wrong_type(name, "a string", received));
                Ok(None)
            }
        }
    }

    fn number(&mut self, name: &str, value: Option<Unknown<'_>>) -> Result<Option<f64>> {
        let Some(value) = value else { return Ok(None) };
        match value.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            // SAFETY: the value was just checked to be a number.
            ValueType::Number => Ok(Some(unsafe { value.cast::<f64>()? })),
            _ => {
                let received = js_type_name(&value)?;
                self.options
                    .report(OptionProblem::wrong_type(name, "a number", received));
                Ok(None)
            }
        }
    }
}

#[cfg(feature = "test-hooks")]
pub mod census;

/// Hands completed calls back to one JavaScript callback `(completion) => void`.
/// Weak: it never keeps the process alive by itself.
type Completions = ThreadsafeFunction<Completion, (), Completion, Status, false, true>;

/// The completion channel of one JavaScript environment.
#[napi]
pub struct Dispatcher {
    completions: Arc<Completions>,
    /// Closed when the environment is torn down (a worker exits or is terminated): its calls
    /// still in flight then stop at once, abandoning their requests, since nobody is left to
    /// receive their outcome (else they would run on, retries included, after the worker).
    environment_alive: watch::Receiver<()>,
    #[cfg(feature = "test-hooks")]
    _live: census::Live,
}

/// Creates the environment's completion channel around `callback(completion)`, or returns
/// an `internal` error payload.
#[napi]
pub fn create_dispatcher(
    env: Env,
    callback: Function<Completion, ()>,
) -> Result<Either<Dispatcher, ErrorPayload>> {
    guarded(
        AssertUnwindSafe(|| {
            let completions = callback
                .build_threadsafe_function::<Completion>()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?;
            // The hook owns the sender and drops it when the environment is torn down.
            let (alive, environment_alive) = watch::channel(());
            env.add_env_cleanup_hook(alive, drop)?;
            Ok(Either::A(Dispatcher {
                completions: Arc::new(completions),
                environment_alive,
                #[cfg(feature = "test-hooks")]
                _live: census::Live::new(&census::DISPATCHERS),
            }))
        }),
        Either::B,
    )
}

/// One client: one connection pool, shared by every call made through it.
#[napi]
pub struct NativeClient {
    inner: Client,
    #[cfg(feature = "test-hooks")]
    _live: census::Live,
}

#[napi]
impl NativeClient {
    /// Starts minting a token for `linked_account_id` (a string); the outcome arrives later
    /// through `dispatcher` as a [`Completion`] carrying `call_id`. Returns an error payload
    /// instead when the call cannot start (an id that is not Unicode, a panic).
    #[napi]
    pub fn start(
        &self,
        dispatcher: &Dispatcher,
        call_id: u32,
        linked_account_id: Unknown<'_>,
    ) -> Result<Option<ErrorPayload>> {
        guarded(
            AssertUnwindSafe(|| {
                if linked_account_id.get_type()? != ValueType::String {
                    let received = js_type_name(&linked_account_id)?;
                    return Ok(Some(
                        refold_session::linked_account_id_type_error(received).into(),
                    ));
                }
                // SAFETY: the value was just checked to be a string.
                let Some(id) = (unsafe { js_text(&linked_account_id)? }) else {
                    return Ok(Some(refold_session::linked_account_id_not_unicode().into()));
                };
                let client = self.inner.clone();
                let completions = Arc::clone(&dispatcher.completions);
                let mut environment_alive = dispatcher.environment_alive.clone();
                #[cfg(feature = "test-hooks")]
                let live = census::Live::new(&census::CALLS);
                napi::bindgen_prelude::spawn(async move {
                    #[cfg(feature = "test-hooks")]
                    let _live = live;
                    // A panic must still settle the caller's promise (else it would hang and
                    // keep the process alive): it becomes the core's `internal` error.
                    let call = pin!(
                        AssertUnwindSafe(client.get_token_for_linked_account(&id)).catch_unwind()
                    );
                    // Resolves (with an error) only when the environment's sender is dropped.
                    let gone = pin!(environment_alive.changed());
                    let outcome = match select(call, gone).await {
                        Race::Left((outcome, _)) => outcome,
                        Race::Right(_) => return,
                    };
                    let (token, error) = match outcome {
                        Ok(Ok(token)) => (Some(token.into()), None),
                        Ok(Err(error)) => (None, Some(error.into())),
                        Err(panic) => (None, Some(Error::from_panic(panic.as_ref()).into())),
                    };
                    let completion = Completion {
                        call_id,
                        token,
                        error,
                    };
                    // Fails only when the environment is gone (e.g. a terminated worker):
                    // then nobody is waiting for the outcome.
                    let _ = completions.call(completion, ThreadsafeFunctionCallMode::NonBlocking);
                });
                Ok(None)
            }),
            Some,
        )
    }
}

/// A built client and its read-only properties (constant for its lifetime, so `index.js`
/// keeps them instead of asking the addon on every read).
#[napi(object, object_from_js = false)]
pub struct BuiltClient {
    pub client: NativeClient,
    /// `Client::endpoint()`: the session-token URL requests go to.
    pub endpoint: String,
    /// `Environment::as_str()`: `production`, `sandbox` or `staging`.
    pub environment: String,
    /// `Client::user_agent()`.
    pub user_agent: String,
}

/// Builds a client from raw option values (any JavaScript type) into the core's
/// `ClientOptions`; unset options fall back to the core's environment variables and
/// defaults. `base_url_name` is the option name the user wrote (`baseUrl` or `server_url`),
/// for messages; `options_type` is set when the options argument itself was not an object.
/// Returns the client or an error payload (`configuration`, or `internal` for a panic).
#[napi]
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
    max_idle_connections: Option<Unknown<'_>>,
) -> Result<Either<BuiltClient, ErrorPayload>> {
    guarded(
        AssertUnwindSafe(|| {
            let mut options = ClientOptions {
                binding: Some(("node".to_owned(), runtime_version)),
                ..ClientOptions::default()
            };
            if let Some(received) = options_type {
                options.report(OptionProblem::wrong_type("options", "an object", &received));
            }
            let base_url_name = base_url_name.as_deref().unwrap_or("baseUrl");
            let mut read = OptionReader {
                options: &mut options,
            };
            let api_key = read.string("apiKey", api_key)?;
            let environment = read.string("environment", environment)?;
            let base_url = read.string(base_url_name, base_url)?;
            let timeout_ms = read.number("timeoutMs", timeout_ms)?;
            let max_retries = read.number("maxRetries", max_retries)?;
            let max_idle_connections = read.number("maxIdleConnections", max_idle_connections)?;
            #[cfg(feature = "test-hooks")]
            if api_key.as_deref() == Some(refold_session::PANIC_LINKED_ACCOUNT_ID) {
                panic!("test-hooks: a deliberate panic while building a Node client");
            }
            let options = ClientOptions {
                api_key,
                environment,
                base_url,
                timeout: timeout_ms.map(Timeout::Milliseconds),
                max_retries,
                max_idle_connections,
                ..options
            };
            Ok(match Client::new(options) {
                Ok(inner) => Either::A(BuiltClient {
                    endpoint: inner.endpoint().to_owned(),
                    environment: inner.environment().as_str().to_owned(),
                    user_agent: inner.user_agent().to_owned(),
                    client: NativeClient {
                        inner,
                        #[cfg(feature = "test-hooks")]
                        _live: census::Live::new(&census::CLIENTS),
                    },
                }),
                Err(error) => Either::B(error.into()),
            })
        }),
        Either::B,
    )
}

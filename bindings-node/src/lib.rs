//! The native half of the `refold-session` npm package: a thin napi-rs translation of the
//! `refold-session` core. Every decision (options, validation, retries, caching, error codes
//! and messages, token expiry, the text form of times) is the core's: this crate converts
//! JavaScript values with one converter (`host_value.rs`) and hands them to
//! `refold_session::host` in Node's dialect, and maps core results to one napi object per
//! record (`records.rs`), which `index.js` wraps in its classes. `native.d.ts` is generated
//! from this crate by napi-rs (`make generate`).
//!
//! Nothing here throws for an expected failure: outcomes are delivered as payloads so the
//! JavaScript layer can build real `RefoldError` subclasses (napi's own errors carry a fixed
//! `code`). Every entry point catches panics and reports them as the core's `internal` error
//! (docs/contract.md §Host-language surface), so a bug never crashes the process or leaves a
//! promise pending.
//!
//! Calls run on napi's tokio runtime (the addon's only runtime, with one I/O thread: [`init`];
//! the core's cache runs its background refreshes there too) and complete through the
//! environment's [`Dispatcher`]. A plain session-cache hit skips all of this: the client's hit
//! function (`fast_hit.rs`; `token` for a hit with options) answers it synchronously
//! (`Client::cached_token_within`) with the `SessionToken` object kept in the token's host slot
//! (`host_token.rs`), and `index.js` resolves at once.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use napi::bindgen_prelude::{Either, Object, Unknown};
use napi::tokio::sync::Mutex;
use napi::{Env, Result};
use napi_derive::napi;
use refold_session::host::{self, Dialect, HostInfo};
use refold_session::{Client, Error, LinkedAccountPages, RequestOptions};

mod api;
#[cfg(feature = "test-hooks")]
pub mod census;
mod dispatch;
mod fast_hit;
mod host_token;
mod host_value;
mod records;
mod telemetry;
mod webhook;

pub use api::NativeScopedClient;
use dispatch::{Answer, Channel, guarded};
pub use dispatch::{Completion, Dispatcher, NativeToken, aborted_error, create_dispatcher};
use host_value::{host_value, optional};
pub use records::{
    AccountPayload, ApiPagePayload, ErrorPayload, IntegrationPayload, PagePayload, RevokePayload,
    StatsPayload, TokenPayload,
};
use telemetry::TraceHook;
pub use telemetry::{NativeTelemetry, create_telemetry, set_log_sink};
pub use webhook::{
    WebhookEventPayload, parse_webhook_event, verify_webhook_signature, webhook_body_type_error,
};

/// How Node spells options and units (camelCase, milliseconds).
const NODE: &Dialect = &Dialect::NODE;

/// The addon's runtime: one I/O thread instead of napi's default of one per core. A call costs
/// the runtime about a third of what it costs the JavaScript thread that starts it, so one
/// thread keeps up with any event loop, and each extra busy thread only adds wake-ups and
/// context switches beside the loop (bench/README.md § Round 3). The core's DNS lookups still
/// use tokio's separate blocking pool.
#[napi_derive::module_init]
fn init() {
    let runtime = napi::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("refold-session-io")
        .enable_all()
        .build();
    // Without it napi builds its default runtime on first use.
    if let Ok(runtime) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// What a `NativeClient` call returns at once: `null` when the call started (its outcome
/// arrives through the dispatcher), else why it could not start.
type Started = Option<ErrorPayload>;

/// Starts a call: `prepare` reads the JavaScript arguments (the core's error refuses the
/// call, nothing sent), then the future it returns runs on the runtime.
fn start<F>(
    env: &Env,
    channel: &Channel,
    call_id: u32,
    prepare: impl FnOnce() -> Result<std::result::Result<F, Error>>,
) -> Result<Started>
where
    F: Future<Output = std::result::Result<Answer, Error>> + Send + 'static,
{
    channel.release_dropped(env);
    guarded(
        AssertUnwindSafe(|| {
            Ok(match prepare()? {
                Ok(work) => {
                    channel.launch(call_id, work);
                    None
                }
                Err(refused) => Some(refused.into()),
            })
        }),
        Some,
    )
}

/// Per-call options (`{timeout | timeoutMs, maxRetries, fresh}`), read by the core.
fn request_options(
    options: Option<&Unknown<'_>>,
) -> Result<std::result::Result<RequestOptions, Error>> {
    Ok(host::request_options(&optional(options)?, NODE))
}

/// One client: one connection pool (and session cache), shared by every call made through it.
#[napi]
pub struct NativeClient {
    inner: Client,
    /// Its environment's completion channel and token factory.
    channel: Arc<Channel>,
    /// Its environment's trace hook, when `@opentelemetry/api` is installed.
    hook: Option<Arc<TraceHook>>,
    #[cfg(feature = "test-hooks")]
    _live: census::Live,
}

#[napi]
impl NativeClient {
    /// Mints (or, with the cache on, finds) a token for `linked_account_id`; the options'
    /// `fresh` bypasses the cache. A plain cache hit (`Client::cached_token`) is answered at
    /// once with the token's `SessionToken` object, without the runtime or the dispatcher;
    /// otherwise `null` (the call started) or why it could not start.
    #[napi(ts_return_type = "SessionTokenObject | ErrorPayload | null")]
    pub fn token<'env>(
        &self,
        env: &'env Env,
        call_id: u32,
        linked_account_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Option<Either<Object<'env>, ErrorPayload>>> {
        guarded(
            AssertUnwindSafe(|| {
                let id = match host::linked_account_id(&host_value(&linked_account_id)?, NODE) {
                    Ok(id) => id,
                    Err(error) => return Ok(Some(Either::B(error.into()))),
                };
                let options = match request_options(options.as_ref())? {
                    Ok(options) => options,
                    Err(error) => return Ok(Some(Either::B(error.into()))),
                };
                let hit = if options.fresh {
                    None
                } else {
                    let traceparent = options.traceparent;
                    telemetry::recorded_here(self.hook.as_ref(), env, || {
                        self.inner.cached_token_within(&id, traceparent)
                    })
                };
                if let Some(token) = hit {
                    return Ok(Some(Either::A(self.channel.token_object(env, &token)?)));
                }
                self.channel.release_dropped(env);
                let client = self.inner.clone();
                self.channel.launch(call_id, async move {
                    client
                        .get_token_for_linked_account_with(&id, options)
                        .await
                        .map(Answer::Token)
                });
                Ok(None)
            }),
            |error| Some(Either::B(error)),
        )
    }

    /// This client's cache-hit function: `hit(id)` answers what `token` answers for a plain
    /// cache hit without options (the token's `SessionToken` object), else `undefined`.
    #[napi(ts_return_type = "(linkedAccountId: unknown) => SessionTokenObject | undefined")]
    pub fn hit_function<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        fast_hit::hit_function(env, &self.inner, &self.channel, self.hook.as_ref())
    }

    /// Upserts (`PUT`) or, with `create`, creates (`POST`) the linked account `payload`
    /// (the official SDK's object).
    #[napi]
    pub fn write_account(
        &self,
        env: Env,
        call_id: u32,
        create: bool,
        payload: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let input = match host::linked_account_input(&host_value(&payload)?, NODE) {
                Ok(input) => input,
                Err(error) => return Ok(Err(error)),
            };
            let options = match request_options(options.as_ref())? {
                Ok(options) => options,
                Err(error) => return Ok(Err(error)),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                if create {
                    client.create_linked_account_with(&input, options).await
                } else {
                    client.upsert_linked_account_with(&input, options).await
                }
                .map(Answer::Account)
            }))
        })
    }

    /// Gets the linked account, or with `remove` deletes it (Refold's answer, an object).
    #[napi]
    pub fn read_account(
        &self,
        env: Env,
        call_id: u32,
        remove: bool,
        linked_account_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let id = match host::linked_account_id(&host_value(&linked_account_id)?, NODE) {
                Ok(id) => id,
                Err(error) => return Ok(Err(error)),
            };
            let options = match request_options(options.as_ref())? {
                Ok(options) => options,
                Err(error) => return Ok(Err(error)),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                if remove {
                    client
                        .delete_linked_account_with(&id, options)
                        .await
                        .map(Answer::Object)
                } else {
                    client
                        .get_linked_account_with(&id, options)
                        .await
                        .map(Answer::Account)
                }
            }))
        })
    }

    /// One page of linked accounts: the options' `page` and `limit`, and the per-call options
    /// (`timeout`, `maxRetries`), all read by the core from the one object.
    #[napi]
    pub fn list(&self, env: Env, call_id: u32, options: Option<Unknown<'_>>) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let given = optional(options.as_ref())?;
            let (pages, options) = match host::page_arguments(&given, NODE)
                .and_then(|pages| Ok((pages, host::request_options(&given, NODE)?)))
            {
                Ok(read) => read,
                Err(error) => return Ok(Err(error)),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                client
                    .list_linked_accounts_with(pages.page, pages.limit, options)
                    .await
                    .map(|page| Answer::Page(Some(page)))
            }))
        })
    }

    /// A walk over every page of the options' `limit` accounts (the core's
    /// `LinkedAccountPages`), each request with the options' per-call options, or why the
    /// options are unusable.
    #[napi]
    pub fn pages(&self, options: Option<Unknown<'_>>) -> Result<Either<NativePages, ErrorPayload>> {
        guarded(
            AssertUnwindSafe(|| {
                let given = optional(options.as_ref())?;
                let read = host::page_arguments(&given, NODE)
                    .and_then(|pages| Ok((pages, host::request_options(&given, NODE)?)));
                Ok(match read {
                    Ok((pages, options)) => Either::A(NativePages {
                        walk: Arc::new(Mutex::new(LinkedAccountPages::with_options(
                            self.inner.clone(),
                            pages.limit,
                            options,
                        ))),
                        channel: Arc::clone(&self.channel),
                    }),
                    Err(error) => Either::B(error.into()),
                })
            }),
            Either::B,
        )
    }

    /// Revokes a session token (authenticated by the token itself; it leaves the cache).
    #[napi]
    pub fn revoke(
        &self,
        env: Env,
        call_id: u32,
        token: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let token = match host::session_token(&host_value(&token)?, NODE) {
                Ok(token) => token,
                Err(error) => return Ok(Err(error)),
            };
            let options = match request_options(options.as_ref())? {
                Ok(options) => options,
                Err(error) => return Ok(Err(error)),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                client
                    .revoke_session_token_with(&token, options)
                    .await
                    .map(Answer::Revoked)
            }))
        })
    }

    /// The linked account a session token belongs to (read with the token alone).
    #[napi]
    pub fn active_account(
        &self,
        env: Env,
        call_id: u32,
        token: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let token = match host::session_token(&host_value(&token)?, NODE) {
                Ok(token) => token,
                Err(error) => return Ok(Err(error)),
            };
            let options = match request_options(options.as_ref())? {
                Ok(options) => options,
                Err(error) => return Ok(Err(error)),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                client
                    .get_active_linked_account_with(&token, options)
                    .await
                    .map(Answer::Account)
            }))
        })
    }

    /// Drops the cached token of `linked_account_id` (nothing without a cache).
    #[napi]
    pub fn invalidate(
        &self,
        env: Env,
        call_id: u32,
        linked_account_id: Unknown<'_>,
    ) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let id = match host::linked_account_id(&host_value(&linked_account_id)?, NODE) {
                Ok(id) => id,
                Err(error) => return Ok(Err(error)),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                client.invalidate(&id).await;
                Ok(Answer::Nothing)
            }))
        })
    }

    /// Drops every cached token (nothing without a cache).
    #[napi]
    pub fn invalidate_all(&self, env: Env, call_id: u32) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let client = self.inner.clone();
            Ok(Ok(async move {
                client.invalidate_all().await;
                Ok(Answer::Nothing)
            }))
        })
    }

    /// The cache's counters (absent when the cache is off).
    /// `Client::verify_webhook_signature`: the delivery checked with this client's API key;
    /// `false` for a missing (`null`) or malformed header.
    #[napi]
    pub fn verify_webhook_signature(
        &self,
        raw_body: napi::bindgen_prelude::Buffer,
        signature_header: Option<String>,
    ) -> Result<bool> {
        guarded(
            AssertUnwindSafe(|| {
                Ok(self
                    .inner
                    .verify_webhook_signature(&raw_body, signature_header.as_deref().unwrap_or("")))
            }),
            |_| false,
        )
    }

    #[napi]
    pub fn cache_stats(&self, env: Env, call_id: u32) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let client = self.inner.clone();
            Ok(Ok(
                async move { Ok(Answer::Stats(client.cache_stats().await)) },
            ))
        })
    }
}

/// A walk over the pages of linked accounts: one request per `next`.
#[napi]
pub struct NativePages {
    walk: Arc<Mutex<LinkedAccountPages>>,
    channel: Arc<Channel>,
}

#[napi]
impl NativePages {
    /// Fetches the next page; its completion has no page after the last one (or an error,
    /// or the core's page limit).
    #[napi]
    pub fn next(&self, env: Env, call_id: u32) -> Result<Started> {
        start(&env, &self.channel, call_id, || {
            let walk = Arc::clone(&self.walk);
            Ok(Ok(async move {
                match walk.lock().await.next_page().await {
                    Some(Ok(page)) => Ok(Answer::Page(Some(page))),
                    Some(Err(error)) => Err(error),
                    None => Ok(Answer::Page(None)),
                }
            }))
        })
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

/// The error of the host-object option `name` (`signal`, `logger`: `refold_session::host::
/// HOST_OBJECT_OPTIONS`) holding a value whose `typeof` is `received` (`object`: an object of
/// the wrong kind), worded by the core.
#[napi]
pub fn host_object_error(name: String, received: String) -> ErrorPayload {
    host::host_object_error(&name, &received, NODE)
        .unwrap_or_else(|| Error::internal("an option the core does not declare"))
        .into()
}

/// Builds a client of the environment of `dispatcher` from the options object as the user
/// passed it (any JavaScript value),
/// read by the core in Node's dialect (`core::host::client_options`); unset options fall back
/// to the core's environment variables and defaults. Returns the client or an error payload
/// (`configuration`, or `internal` for a panic). With `telemetry` (the environment's hook,
/// made only when `@opentelemetry/api` is installed) the client reports its calls to it.
#[napi]
pub fn create_client(
    dispatcher: &Dispatcher,
    runtime_version: String,
    options: Option<Unknown<'_>>,
    telemetry: Option<&NativeTelemetry>,
) -> Result<Either<BuiltClient, ErrorPayload>> {
    guarded(
        AssertUnwindSafe(|| {
            let given = optional(options.as_ref())?;
            #[cfg(feature = "test-hooks")]
            panic_on_request(&given);
            let trace_hook = telemetry.map(|telemetry| Arc::clone(&telemetry.hook));
            let hook = trace_hook
                .clone()
                .map(|hook| hook as Arc<dyn refold_session::telemetry::Telemetry>);
            let built = host::client_options(&given, NODE).and_then(|options| {
                host::build_observed_client(
                    options,
                    HostInfo::new(Dialect::NODE, runtime_version),
                    hook,
                )
            });
            Ok(match built {
                Ok(inner) => Either::A(BuiltClient {
                    endpoint: inner.endpoint().to_owned(),
                    environment: inner.environment().as_str().to_owned(),
                    user_agent: inner.user_agent().to_owned(),
                    client: NativeClient {
                        inner,
                        channel: Arc::clone(&dispatcher.channel),
                        hook: trace_hook,
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

/// Test hook: an `apiKey` of `PANIC_LINKED_ACCOUNT_ID` panics while building the client.
#[cfg(feature = "test-hooks")]
fn panic_on_request(options: &host::HostValue) {
    if let host::HostValue::Map(members) = options {
        let asked = members.iter().any(|(key, value)| {
            *key == host::HostValue::text("apiKey")
                && *value == host::HostValue::text(refold_session::PANIC_LINKED_ACCOUNT_ID)
        });
        if asked {
            panic!("test-hooks: a deliberate panic while building a Node client");
        }
    }
}

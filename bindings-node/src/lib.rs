//! The native half of the `refold-session` npm package: a thin napi-rs translation of the
//! `refold-session` core. Every decision (validation, retries, caching, error codes and
//! messages, token expiry, the text form of times) is the core's; this crate only converts
//! JavaScript values to the core's options and arguments (`convert.rs`), and core results to
//! plain objects (`payload.rs`) that `index.js` turns into idiomatic classes. `native.d.ts`
//! declares what it exports.
//!
//! Nothing here throws for an expected failure: outcomes are delivered as payloads so the
//! JavaScript layer can build real `RefoldError` subclasses (napi's own errors carry a fixed
//! `code`). Every entry point catches panics and reports them as the core's `internal` error
//! (docs/contract.md §Host-language surface), so a bug never crashes the process or leaves a
//! promise pending.
//!
//! Calls run on napi's tokio runtime (the addon's only runtime, with one I/O thread: [`init`];
//! the core's cache runs its background refreshes there too). Each JavaScript environment
//! (main thread, every worker) creates one [`Dispatcher`]: a single weak threadsafe function
//! through which every completed call is handed back with its call id. A call is then one
//! cheap synchronous native call plus a task spawn, with no per-call promise or threadsafe
//! function, so thousands of calls in flight never stall the event loop (see
//! bench/README.md). `index.js` keeps the loop alive while calls are pending. A plain
//! session-cache hit skips all of this:
//! `token` answers it synchronously (`Client::cached_token`) and `index.js` resolves at once.

// Until this binding moves onto `refold_session::host`: the core's shims of the old API.
#![allow(deprecated)]

use std::future::Future;
use std::panic::{AssertUnwindSafe, UnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::{Either as Race, select};
use napi::bindgen_prelude::{Either, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::tokio::sync::{Mutex, watch};
use napi::{Env, Result, Status};
use napi_derive::napi;
use refold_session::host::legacy::{LegacyOptions as ClientOptions, OptionProblem, Timeout};
use refold_session::{
    Client, DEFAULT_PAGE_LIMIT, Error, LinkedAccountPages, MAX_PAGE_LIMIT, RequestOptions,
};

mod convert;
mod payload;

#[cfg(feature = "test-hooks")]
pub mod census;

use convert::OptionReader;
use payload::Answer;
pub use payload::{
    AccountPayload, Completion, ErrorPayload, PagePayload, StatsPayload, TokenPayload,
};

/// The addon's runtime: one I/O thread instead of napi's default of one per core. A call costs
/// the runtime about a third of what it costs the JavaScript thread that starts it, so one
/// thread keeps up with any event loop, and each extra busy thread only adds wake-ups and
/// context switches beside the loop (bench/README.md § Round 3: 42–46k vs 34–39k req/s at
/// concurrency 64). The core's DNS lookups still use tokio's separate blocking pool.
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

impl Dispatcher {
    /// Runs `work` on the runtime and hands its outcome back with `call_id`. A panic inside
    /// it still settles the caller's promise (else it would hang and keep the process alive):
    /// it becomes the core's `internal` error.
    fn launch<F>(&self, call_id: u32, work: F)
    where
        F: Future<Output = std::result::Result<Answer, Error>> + Send + 'static,
    {
        let completions = Arc::clone(&self.completions);
        let mut environment_alive = self.environment_alive.clone();
        #[cfg(feature = "test-hooks")]
        let live = census::Live::new(&census::CALLS);
        napi::bindgen_prelude::spawn(async move {
            #[cfg(feature = "test-hooks")]
            let _live = live;
            let call = pin!(
                AssertUnwindSafe(work.map(|outcome| Completion::new(call_id, outcome)))
                    .catch_unwind()
            );
            // Resolves (with an error) only when the environment's sender is dropped.
            let gone = pin!(environment_alive.changed());
            let completion = match select(call, gone).await {
                Race::Left((Ok(completion), _)) => completion,
                Race::Left((Err(panic), _)) => {
                    Completion::new(call_id, Err(Error::from_panic(panic.as_ref())))
                }
                Race::Right(_) => return,
            };
            // Fails only when the environment is gone (e.g. a terminated worker): then nobody
            // is waiting for the outcome.
            let _ = completions.call(completion, ThreadsafeFunctionCallMode::NonBlocking);
        });
    }
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

/// What a `NativeClient` call returns at once: `null` when the call started (its outcome
/// arrives through the dispatcher), else why it could not start.
type Started = Option<ErrorPayload>;

/// Starts a call from a synchronous entry point: `prepare` reads the JavaScript arguments
/// (its error payload refuses the call), then the future it returns runs on the runtime.
fn start<F>(
    dispatcher: &Dispatcher,
    call_id: u32,
    prepare: impl FnOnce() -> Result<std::result::Result<F, ErrorPayload>>,
) -> Result<Started>
where
    F: Future<Output = std::result::Result<Answer, Error>> + Send + 'static,
{
    guarded(
        AssertUnwindSafe(|| {
            Ok(match prepare()? {
                Ok(work) => {
                    dispatcher.launch(call_id, work);
                    None
                }
                Err(refused) => Some(refused),
            })
        }),
        Some,
    )
}

/// One client: one connection pool (and session cache), shared by every call made through it.
#[napi]
pub struct NativeClient {
    inner: Client,
    #[cfg(feature = "test-hooks")]
    _live: census::Live,
}

#[napi]
impl NativeClient {
    /// Mints (or, with the cache on, finds) a token for `linked_account_id`; the options'
    /// `fresh` bypasses the cache. A plain cache hit (`Client::cached_token`) is answered at
    /// once as the token itself, without the runtime or the dispatcher; otherwise `null` (the
    /// call started) or why it could not start.
    #[napi]
    pub fn token(
        &self,
        dispatcher: &Dispatcher,
        call_id: u32,
        linked_account_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Option<Either<TokenPayload, ErrorPayload>>> {
        guarded(
            AssertUnwindSafe(|| {
                let id = match convert::linked_account_id(&linked_account_id)? {
                    Ok(id) => id,
                    Err(error) => return Ok(Some(Either::B(error.into()))),
                };
                let options = match convert::call_options(options)? {
                    Ok(options) => options,
                    Err(refused) => return Ok(Some(Either::B(refused))),
                };
                let fresh = match convert::flag("fresh", convert::member(&options, "fresh")?)? {
                    Ok(fresh) => fresh,
                    Err(refused) => return Ok(Some(Either::B(refused))),
                };
                let hit = if fresh {
                    None
                } else {
                    self.inner.cached_token(&id)
                };
                if let Some(token) = hit {
                    return Ok(Some(Either::A(token.into())));
                }
                let client = self.inner.clone();
                dispatcher.launch(call_id, async move {
                    client
                        .get_token_for_linked_account_with(
                            &id,
                            RequestOptions {
                                fresh,
                                ..Default::default()
                            },
                        )
                        .await
                        .map(Answer::Token)
                });
                Ok(None)
            }),
            |error| Some(Either::B(error)),
        )
    }

    /// Upserts (`PUT`) or, with `create`, creates (`POST`) the linked account `payload`
    /// (the official SDK's object).
    #[napi]
    pub fn write_account(
        &self,
        dispatcher: &Dispatcher,
        call_id: u32,
        create: bool,
        payload: Unknown<'_>,
    ) -> Result<Started> {
        start(dispatcher, call_id, || {
            let input = match convert::account_input(&payload)? {
                Ok(input) => input,
                Err(refused) => return Ok(Err(refused)),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                if create {
                    client.create_linked_account(&input).await
                } else {
                    client.upsert_linked_account(&input).await
                }
                .map(Answer::Account)
            }))
        })
    }

    /// Gets the linked account, or with `delete` deletes it (Refold's answer, an object).
    #[napi]
    pub fn read_account(
        &self,
        dispatcher: &Dispatcher,
        call_id: u32,
        delete: bool,
        linked_account_id: Unknown<'_>,
    ) -> Result<Started> {
        start(dispatcher, call_id, || {
            let id = match convert::linked_account_id(&linked_account_id)? {
                Ok(id) => id,
                Err(error) => return Ok(Err(error.into())),
            };
            let client = self.inner.clone();
            Ok(Ok(async move {
                if delete {
                    client.delete_linked_account(&id).await.map(Answer::Object)
                } else {
                    client.get_linked_account(&id).await.map(Answer::Account)
                }
            }))
        })
    }

    /// One page of linked accounts: the options' `page` (from 1, default 1) and `limit`
    /// (default 10).
    #[napi]
    pub fn list(
        &self,
        dispatcher: &Dispatcher,
        call_id: u32,
        options: Option<Unknown<'_>>,
    ) -> Result<Started> {
        start(dispatcher, call_id, || {
            let options = match convert::call_options(options)? {
                Ok(options) => options,
                Err(refused) => return Ok(Err(refused)),
            };
            let page = convert::member(&options, "page")?;
            let limit = convert::member(&options, "limit")?;
            let page = match convert::page_argument("page", page, 1, u32::MAX)? {
                Ok(page) => page,
                Err(refused) => return Ok(Err(refused)),
            };
            let limit =
                match convert::page_argument("limit", limit, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT)? {
                    Ok(limit) => limit,
                    Err(refused) => return Ok(Err(refused)),
                };
            let client = self.inner.clone();
            Ok(Ok(async move {
                client
                    .list_linked_accounts(page, limit)
                    .await
                    .map(|page| Answer::Page(Some(page)))
            }))
        })
    }

    /// A walk over every page of the options' `limit` accounts (the core's
    /// `LinkedAccountPages`), or why the options are unusable.
    #[napi]
    pub fn pages(&self, options: Option<Unknown<'_>>) -> Result<Either<NativePages, ErrorPayload>> {
        guarded(
            AssertUnwindSafe(|| {
                let options = match convert::call_options(options)? {
                    Ok(options) => options,
                    Err(refused) => return Ok(Either::B(refused)),
                };
                let limit = convert::member(&options, "limit")?;
                Ok(
                    match convert::page_argument(
                        "limit",
                        limit,
                        DEFAULT_PAGE_LIMIT,
                        MAX_PAGE_LIMIT,
                    )? {
                        Ok(limit) => Either::A(NativePages {
                            walk: Arc::new(Mutex::new(LinkedAccountPages::new(
                                self.inner.clone(),
                                limit,
                            ))),
                        }),
                        Err(refused) => Either::B(refused),
                    },
                )
            }),
            Either::B,
        )
    }

    /// Drops the cached token of `linked_account_id` (nothing without a cache).
    #[napi]
    pub fn invalidate(
        &self,
        dispatcher: &Dispatcher,
        call_id: u32,
        linked_account_id: Unknown<'_>,
    ) -> Result<Started> {
        start(dispatcher, call_id, || {
            let id = match convert::linked_account_id(&linked_account_id)? {
                Ok(id) => id,
                Err(error) => return Ok(Err(error.into())),
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
    pub fn invalidate_all(&self, dispatcher: &Dispatcher, call_id: u32) -> Result<Started> {
        start(dispatcher, call_id, || {
            let client = self.inner.clone();
            Ok(Ok(async move {
                client.invalidate_all().await;
                Ok(Answer::Nothing)
            }))
        })
    }

    /// The cache's counters (absent when the cache is off).
    #[napi]
    pub fn cache_stats(&self, dispatcher: &Dispatcher, call_id: u32) -> Result<Started> {
        start(dispatcher, call_id, || {
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
}

#[napi]
impl NativePages {
    /// Fetches the next page; its completion has no page after the last one (or an error,
    /// or the core's page limit).
    #[napi]
    pub fn next(&self, dispatcher: &Dispatcher, call_id: u32) -> Result<Started> {
        start(dispatcher, call_id, || {
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
    max_connections: Option<Unknown<'_>>,
    cache: Option<Unknown<'_>>,
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
            let max_connections = read.number("maxConnections", max_connections)?;
            let cache = read.cache(cache)?;
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
                max_connections,
                cache,
                ..options
            };
            Ok(match refold_session::host::legacy::build(options) {
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

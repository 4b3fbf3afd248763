//! The completion channel of one JavaScript environment (main thread, every worker): a single
//! weak threadsafe function through which every completed call is handed back with its call
//! id, so a call is one cheap synchronous native call plus a task spawn, with no per-call
//! promise or threadsafe function (thousands of calls in flight never stall the event loop:
//! bench/README.md). The environment's token factory and release queue live here too. Each
//! client (and page walk) keeps its environment's [`Channel`], so calls take no dispatcher
//! argument (one class argument less for napi to unwrap on a cache hit).

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, UnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::{Either as Race, select};
use napi::bindgen_prelude::{Either, Function, Object};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::tokio::sync::{Notify, watch};
use napi::{Env, Result, Status};
use napi_derive::napi;
use refold_session::api::ApiPage;
use refold_session::{
    CacheStats, Error, LinkedAccount, LinkedAccountPage, RevokeResult, SessionToken,
};
use serde_json::{Map, Value};

#[cfg(feature = "test-hooks")]
use crate::census;
use crate::host_token::{ReleaseQueue, TokenFactory, session_object};
use crate::records::{
    AccountPayload, ApiPagePayload, ErrorPayload, PagePayload, RevokePayload, StatsPayload,
    TokenPayload, json_text,
};

/// Runs a synchronous entry point, turning a panic into the core's `internal` error.
pub fn guarded<T>(
    body: impl FnOnce() -> Result<T> + UnwindSafe,
    on_panic: impl FnOnce(ErrorPayload) -> T,
) -> Result<T> {
    match catch_unwind(body) {
        Ok(outcome) => outcome,
        Err(panic) => Ok(on_panic(Error::from_panic(panic.as_ref()).into())),
    }
}

/// What a call produced, before it crosses to JavaScript.
pub enum Answer {
    Token(SessionToken),
    Account(LinkedAccount),
    /// `None`: a walk over the pages has ended.
    Page(Option<LinkedAccountPage>),
    Object(Map<String, Value>),
    Revoked(RevokeResult),
    /// `None`: the cache is off.
    Stats(Option<CacheStats>),
    /// An operation's answer (`null` when it had no body).
    Json(Value),
    /// One page of a paginated list.
    ApiPage(ApiPage),
    Nothing,
}

/// A minted token on its way to JavaScript, turned into its `SessionToken` object by
/// [`Dispatcher::session_token`].
#[napi]
pub struct NativeToken {
    pub(crate) token: SessionToken,
}

/// The outcome of one call, handed back with its call id. At most one field besides
/// `call_id` is set; none for a call that returns nothing (or whose answer is absent: no
/// stats, no further page).
#[napi(object, object_from_js = false)]
pub struct Completion {
    pub call_id: u32,
    pub token: Option<NativeToken>,
    pub account: Option<AccountPayload>,
    pub page: Option<PagePayload>,
    /// A JSON object's text (Refold's answer to a delete).
    pub object_json: Option<String>,
    pub revoked: Option<RevokePayload>,
    pub stats: Option<StatsPayload>,
    /// An operation's answer as JSON text.
    pub json: Option<String>,
    /// One page of a paginated list.
    pub api_page: Option<ApiPagePayload>,
    pub error: Option<ErrorPayload>,
    /// The call's trace plan as JSON text, when the environment's trace hook took one
    /// (`telemetry.rs`): it crosses with the outcome, in the same wake of the JavaScript thread.
    pub trace: Option<String>,
}

impl Completion {
    pub fn new(call_id: u32, outcome: std::result::Result<Answer, Error>) -> Completion {
        let mut completion = Completion {
            call_id,
            token: None,
            account: None,
            page: None,
            object_json: None,
            revoked: None,
            stats: None,
            json: None,
            api_page: None,
            error: None,
            trace: None,
        };
        match outcome {
            Ok(Answer::Token(token)) => completion.token = Some(NativeToken { token }),
            Ok(Answer::Account(account)) => completion.account = Some(account.into()),
            Ok(Answer::Page(page)) => completion.page = page.map(PagePayload::from),
            Ok(Answer::Object(object)) => {
                // A map of JSON values always serialises.
                completion.object_json =
                    Some(serde_json::to_string(&object).unwrap_or_else(|_| "{}".to_owned()))
            }
            Ok(Answer::Revoked(result)) => completion.revoked = Some(result.into()),
            Ok(Answer::Stats(stats)) => completion.stats = stats.map(StatsPayload::from),
            Ok(Answer::Json(value)) => completion.json = Some(json_text(&value)),
            Ok(Answer::ApiPage(page)) => completion.api_page = Some(page.into()),
            Ok(Answer::Nothing) => {}
            Err(error) => completion.error = Some(error.into()),
        }
        completion
    }
}

napi::tokio::task_local! {
    /// The trace plan of the call this task runs, set by the trace hook when the call ends.
    static CALL_TRACE: Cell<Option<String>>;
}

/// Keeps `plan` to cross with the completion of the call running in this task; gives it back
/// outside a call's task (a background refresh, a synchronous cache hit) or when this task's
/// call already holds one (a call made within a call).
pub(crate) fn keep_for_completion(plan: String) -> Option<String> {
    let mut plan = Some(plan);
    let _ = CALL_TRACE.try_with(|slot| {
        let held = slot.take();
        slot.set(if held.is_none() { plan.take() } else { held });
    });
    plan
}

/// Hands completed calls back to one JavaScript callback `(completion) => void`.
/// Weak: it never keeps the process alive by itself.
type Completions = ThreadsafeFunction<Completion, (), Completion, Status, false, true>;

/// The completion channel of one JavaScript environment.
#[napi]
pub struct Dispatcher {
    pub(crate) channel: Arc<Channel>,
}

/// What a dispatcher holds, shared with the environment's clients.
pub struct Channel {
    completions: Arc<Completions>,
    /// Closed when the environment is torn down (a worker exits or is terminated): its calls
    /// still in flight then stop at once, abandoning their requests, since nobody is left to
    /// receive their outcome (else they would run on, retries included, after the worker).
    environment_alive: watch::Receiver<()>,
    make_token: TokenFactory,
    released: Arc<ReleaseQueue>,
    /// The calls a JavaScript `AbortSignal` may cancel, by call id (armed before they start).
    cancels: Mutex<HashMap<u32, Arc<Notify>>>,
    /// How many are armed: a call without a signal skips the lock.
    armed: AtomicUsize,
    #[cfg(feature = "test-hooks")]
    _live: census::Live,
}

#[napi]
impl Dispatcher {
    /// The `SessionToken` object of a minted token (made once per token, then shared by every
    /// cache hit).
    #[napi(ts_return_type = "SessionTokenObject")]
    pub fn session_token<'env>(&self, env: &'env Env, token: &NativeToken) -> Result<Object<'env>> {
        self.channel.token_object(env, &token.token)
    }

    /// Makes the call `call_id` (about to start) cancellable by [`Dispatcher::cancel`].
    #[napi]
    pub fn arm_cancel(&self, call_id: u32) {
        let mut cancels = self
            .channel
            .cancels
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if cancels.insert(call_id, Arc::new(Notify::new())).is_none() {
            self.channel.armed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Cancels the call `call_id` (its signal was aborted): its request is dropped (closed)
    /// and it completes with the core's `aborted` error. Nothing for a settled call.
    #[napi]
    pub fn cancel(&self, call_id: u32) {
        if let Some(cancel) = self.channel.disarm(call_id) {
            // A permit: the call stops even if it has not started waiting yet.
            cancel.notify_one();
        }
    }

    /// Forgets the cancellation of the call `call_id` (it settled).
    #[napi]
    pub fn disarm(&self, call_id: u32) {
        self.channel.disarm(call_id);
    }
}

/// The core's `aborted` error, for a call whose signal was aborted before it started.
#[napi]
pub fn aborted_error() -> ErrorPayload {
    Error::aborted().into()
}

impl Channel {
    /// The JavaScript object of `token` (from its host slot), after deleting the references
    /// dropped since the last call.
    pub fn token_object<'env>(&self, env: &'env Env, token: &SessionToken) -> Result<Object<'env>> {
        self.released.release(env);
        session_object(env, &self.make_token, &self.released, token)
    }

    /// Deletes the references dropped since the last call.
    pub fn release_dropped(&self, env: &Env) {
        self.released.release(env);
    }

    fn disarm(&self, call_id: u32) -> Option<Arc<Notify>> {
        let removed = self
            .cancels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&call_id);
        if removed.is_some() {
            self.armed.fetch_sub(1, Ordering::Relaxed);
        }
        removed
    }

    /// The cancellation armed for `call_id`, if any.
    fn cancel_of(&self, call_id: u32) -> Option<Arc<Notify>> {
        if self.armed.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let cancels = self.cancels.lock().unwrap_or_else(|e| e.into_inner());
        cancels.get(&call_id).cloned()
    }

    /// Runs `work` on the runtime and hands its outcome back with `call_id`. A panic inside
    /// it still settles the caller's promise (else it would hang and keep the process alive):
    /// it becomes the core's `internal` error.
    pub fn launch<F>(&self, call_id: u32, work: F)
    where
        F: Future<Output = std::result::Result<Answer, Error>> + Send + 'static,
    {
        // On the heap once, here: a call's future is large (tens of kilobytes of states), and
        // each move below (into the task, through its combinators) would otherwise copy it whole.
        let work = Box::pin(work);
        let completions = Arc::clone(&self.completions);
        let mut environment_alive = self.environment_alive.clone();
        let cancel = self.cancel_of(call_id);
        #[cfg(feature = "test-hooks")]
        let live = census::Live::new(&census::CALLS);
        napi::bindgen_prelude::spawn(async move {
            #[cfg(feature = "test-hooks")]
            let _live = live;
            let call = pin!(
                AssertUnwindSafe(CALL_TRACE.scope(Cell::new(None), async move {
                    let mut completion = Completion::new(call_id, work.await);
                    completion.trace = CALL_TRACE.with(Cell::take);
                    completion
                }))
                .catch_unwind()
            );
            // Resolves (with an error) only when the environment's sender is dropped.
            let gone = pin!(environment_alive.changed());
            // Resolves when the call's signal is aborted; never without a signal.
            let aborted = pin!(async move {
                match cancel {
                    Some(cancel) => cancel.notified().await,
                    None => std::future::pending().await,
                }
            });
            // Losing the race drops the call's future, which closes its request.
            let completion = match select(call, select(gone, aborted)).await {
                Race::Left((Ok(completion), _)) => completion,
                Race::Left((Err(panic), _)) => {
                    Completion::new(call_id, Err(Error::from_panic(panic.as_ref())))
                }
                Race::Right((Race::Left(_), _)) => return,
                Race::Right((Race::Right(_), _)) => Completion::new(call_id, Err(Error::aborted())),
            };
            // Fails only when the environment is gone (e.g. a terminated worker): then nobody
            // is waiting for the outcome.
            let _ = completions.call(completion, ThreadsafeFunctionCallMode::NonBlocking);
        });
    }
}

/// Creates the environment's completion channel around `callback(completion)` and its token
/// factory `makeSessionToken(payload)`, or returns an `internal` error payload.
#[napi]
pub fn create_dispatcher(
    env: Env,
    callback: Function<Completion, ()>,
    #[napi(ts_arg_type = "(payload: TokenPayload) => SessionTokenObject")]
    make_session_token: Function<TokenPayload, napi::bindgen_prelude::ObjectRef<false>>,
) -> Result<Either<Dispatcher, ErrorPayload>> {
    guarded(
        AssertUnwindSafe(|| {
            let completions = callback
                .build_threadsafe_function::<Completion>()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?;
            let released = Arc::new(ReleaseQueue::default());
            // The hook owns the sender and drops it when the environment is torn down; from
            // then on the environment's teardown frees the tokens' references.
            let (alive, environment_alive) = watch::channel(());
            let closing = Arc::clone(&released);
            env.add_env_cleanup_hook((alive, closing), |(alive, closing)| {
                closing.close();
                drop(alive);
            })?;
            Ok(Either::A(Dispatcher {
                channel: Arc::new(Channel {
                    completions: Arc::new(completions),
                    environment_alive,
                    make_token: make_session_token.create_ref()?,
                    released,
                    cancels: Mutex::new(HashMap::new()),
                    armed: AtomicUsize::new(0),
                    #[cfg(feature = "test-hooks")]
                    _live: census::Live::new(&census::DISPATCHERS),
                }),
            }))
        }),
        Either::B,
    )
}

//! One call of the core, run on this binding's runtime: blocking the calling thread (with the
//! GIL released) or as an asyncio awaitable, with any panic turned into the `internal` error
//! (docs/contract.md §Host-language surface, the `internal` policy).

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use refold_session::api::ApiPage;
use refold_session::host::PageArguments;
use refold_session::{
    CacheStats, Client, Error, LinkedAccount, LinkedAccountInput, LinkedAccountPage,
    RequestOptions, RevokeResult, SessionToken,
};
use serde_json::{Map, Value};
use tokio::runtime::Runtime;

use crate::error::error_to_py;
use crate::{exit, records};

/// How often a blocking call wakes up to let Ctrl-C (`KeyboardInterrupt`) through.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// What a Python method asks of the core client.
pub(crate) enum Op {
    Token(String),
    Upsert(LinkedAccountInput),
    Create(LinkedAccountInput),
    Get(String),
    Delete(String),
    List(PageArguments),
    Revoke(String),
    ActiveAccount(String),
    Invalidate(String),
    InvalidateAll,
    Stats,
}

/// What the core answered.
pub(crate) enum Answer {
    Token(SessionToken),
    Account(LinkedAccount),
    Page(Option<LinkedAccountPage>),
    Object(Map<String, Value>),
    Revoked(RevokeResult),
    Stats(Option<CacheStats>),
    /// A generated call's JSON answer (`crate::api`).
    Json(Value),
    /// A page of a generated list.
    ApiPage(ApiPage),
    Done,
}

/// An answer or an error, converted to Python on the thread that holds the GIL: the record
/// of the answer, or the exception of the error's code.
pub(crate) struct Outcome(pub(crate) Result<Answer, Error>);

impl<'py> IntoPyObject<'py> for Outcome {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self.0.map_err(|err| error_to_py(py, err))? {
            Answer::Token(token) => token_to_py(py, &token)?,
            Answer::Account(account) => {
                Bound::new(py, records::linked_account(py, &account)?)?.into_any()
            }
            Answer::Page(Some(page)) => {
                Bound::new(py, records::linked_account_page(py, &page)?)?.into_any()
            }
            Answer::Page(None) | Answer::Done | Answer::Stats(None) => py.None().into_bound(py),
            Answer::Object(object) => records::object_to_py(py, &object)?.into_any(),
            Answer::Revoked(result) => Bound::new(py, records::revoke_result(&result))?.into_any(),
            Answer::Stats(Some(stats)) => Bound::new(py, records::cache_stats(&stats))?.into_any(),
            Answer::Json(value) => records::json_to_py(py, &value)?,
            Answer::ApiPage(page) => crate::api::page_to_py(py, &page)?,
        })
    }
}

/// The Python object of a token: the one made when it was minted, kept in the token's host
/// slot, so every cache hit hands back the same object without converting again. The slot
/// holds a `PyOnceLock`, made without Python (so nothing can release the GIL while the core's
/// slot is being filled), and the object is made under the GIL. The slot's reference goes with
/// the core's last copy of the token, often on a runtime thread without the GIL: pyo3 then
/// defers the decrement to the next thread that holds it.
pub(crate) fn token_to_py<'py>(
    py: Python<'py>,
    token: &SessionToken,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(slot) = token.host_object(PyOnceLock::<Py<PyAny>>::new) else {
        // Another type is in the slot (never, with one binding per process): a new object.
        return Ok(Bound::new(py, records::session_token(token))?.into_any());
    };
    let object = slot.get_or_try_init(py, || {
        Py::new(py, records::session_token(token)).map(Py::into_any)
    })?;
    Ok(object.bind(py).clone())
}

/// Runs `op` on `client` with the call's options; a panic while it runs becomes the
/// `internal` error.
pub(crate) async fn run(client: Client, op: Op, options: RequestOptions) -> Result<Answer, Error> {
    caught(async move {
        Ok(match op {
            Op::Token(id) => Answer::Token(
                client
                    .get_token_for_linked_account_with(&id, options)
                    .await?,
            ),
            Op::Upsert(input) => {
                Answer::Account(client.upsert_linked_account_with(&input, options).await?)
            }
            Op::Create(input) => {
                Answer::Account(client.create_linked_account_with(&input, options).await?)
            }
            Op::Get(id) => Answer::Account(client.get_linked_account_with(&id, options).await?),
            Op::Delete(id) => {
                Answer::Object(client.delete_linked_account_with(&id, options).await?)
            }
            Op::List(PageArguments { page, limit }) => Answer::Page(Some(
                client
                    .list_linked_accounts_with(page, limit, options)
                    .await?,
            )),
            Op::Revoke(token) => {
                Answer::Revoked(client.revoke_session_token_with(&token, options).await?)
            }
            Op::ActiveAccount(token) => Answer::Account(
                client
                    .get_active_linked_account_with(&token, options)
                    .await?,
            ),
            Op::Invalidate(id) => {
                client.invalidate(&id).await;
                Answer::Done
            }
            Op::InvalidateAll => {
                client.invalidate_all().await;
                Answer::Done
            }
            Op::Stats => Answer::Stats(client.cache_stats().await),
        })
    })
    .await
}

/// `future`'s result, or the `internal` error of a panic raised while polling it.
pub(crate) async fn caught<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let future = std::pin::pin!(future);
    CatchPanic(future)
        .await
        .unwrap_or_else(|panic| Err(Error::from_panic(panic.as_ref())))
}

/// A future's output, or the payload of a panic raised while polling it.
struct CatchPanic<F>(F);

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = Pin::new(&mut self.0);
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// Runs `future` as a task of `runtime`, blocking this thread (not the GIL) until it is
/// done, and converts its output with `finish` before the call returns to Python. Wakes up
/// every [`SIGNAL_CHECK_INTERVAL`] so that Ctrl-C aborts the task and raises
/// `KeyboardInterrupt`. A task the runtime lost (it cannot panic: `caught`) is `internal`.
pub(crate) fn blocking<T, R>(
    py: Python<'_>,
    runtime: &'static Runtime,
    future: impl Future<Output = T> + Send + 'static,
    finish: impl FnOnce(Result<T, Error>) -> PyResult<R>,
) -> PyResult<R>
where
    T: Send + 'static,
{
    let mut task = runtime.spawn(future);
    // Held from re-attaching until this call returns to Python (see `exit`).
    let mut _pass: exit::Pass;
    let joined = loop {
        let waited;
        (waited, _pass) = py.detach(|| {
            let waited = runtime
                .block_on(async { tokio::time::timeout(SIGNAL_CHECK_INTERVAL, &mut task).await });
            (waited, exit::pass_or_park())
        });
        match waited {
            Ok(joined) => break joined,
            Err(_still_running) => {
                if let Err(interrupt) = py.check_signals() {
                    task.abort();
                    return Err(interrupt);
                }
            }
        }
    };
    // The call's trace was queued before it ended: recorded before its answer returns.
    crate::telemetry::drain(py);
    finish(joined.map_err(|lost| Error::internal(&lost.to_string())))
}

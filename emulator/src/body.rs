//! The response body type: a plain buffer, or a scripted sequence of chunks,
//! pauses and a deliberate failure for the body-level faults.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// Returned by the service or the body to make hyper drop the connection
/// without (finishing) an answer; that is the only way hyper lets a server
/// "close the connection" mid-exchange.
#[derive(Debug)]
pub(crate) struct Abort;

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection deliberately dropped by an emulator fault")
    }
}

impl std::error::Error for Abort {}

/// One step of a scripted body.
pub(crate) enum Step {
    Data(Bytes),
    Pause(Duration),
    /// Fail the body so hyper aborts the connection.
    Fail,
}

/// Filler for padded bodies, served in slices so that a large `oversized`
/// body costs no memory.
static PADDING: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// A response body. Most responses are `Full`; the script form exists only
/// for `stall_body` and `truncate`, the padded one for `oversized`.
pub(crate) struct ResponseBody {
    inner: Inner,
}

enum Inner {
    Full(Option<Bytes>),
    Script {
        steps: VecDeque<Step>,
        sleep: Option<Pin<Box<Sleep>>>,
        /// The length announced in content-length, for the size hint.
        announced: u64,
    },
    /// `head`, then `padding` bytes of `x`, then `tail`.
    Padded {
        head: Option<Bytes>,
        padding: u64,
        tail: Option<Bytes>,
    },
}

impl ResponseBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            inner: Inner::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    pub(crate) fn empty() -> Self {
        Self {
            inner: Inner::Full(None),
        }
    }

    /// `head`, `padding` bytes of `x`, `tail`, generated as sent.
    pub(crate) fn padded(head: Bytes, padding: u64, tail: Bytes) -> Self {
        Self {
            inner: Inner::Padded {
                head: (!head.is_empty()).then_some(head),
                padding,
                tail: (!tail.is_empty()).then_some(tail),
            },
        }
    }

    /// A body that plays `steps` in order while announcing `announced` bytes.
    pub(crate) fn script(announced: u64, steps: impl IntoIterator<Item = Step>) -> Self {
        Self {
            inner: Inner::Script {
                steps: steps.into_iter().collect(),
                sleep: None,
                announced,
            },
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Abort;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Abort>>> {
        match &mut self.get_mut().inner {
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::Padded {
                head,
                padding,
                tail,
            } => {
                if let Some(head) = head.take() {
                    return Poll::Ready(Some(Ok(Frame::data(head))));
                }
                if *padding > 0 {
                    let n =
                        usize::try_from(*padding).map_or(PADDING.len(), |p| p.min(PADDING.len()));
                    *padding -= n as u64;
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&PADDING[..n])))));
                }
                Poll::Ready(tail.take().map(|b| Ok(Frame::data(b))))
            }
            Inner::Script { steps, sleep, .. } => loop {
                if let Some(pause) = sleep {
                    ready!(pause.as_mut().poll(cx));
                    *sleep = None;
                }
                match steps.pop_front() {
                    None => return Poll::Ready(None),
                    Some(Step::Data(bytes)) => return Poll::Ready(Some(Ok(Frame::data(bytes)))),
                    Some(Step::Pause(duration)) => {
                        *sleep = Some(Box::pin(tokio::time::sleep(duration)));
                    }
                    Some(Step::Fail) => return Poll::Ready(Some(Err(Abort))),
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Full(bytes) => bytes.is_none(),
            Inner::Script { steps, .. } => steps.is_empty(),
            Inner::Padded {
                head,
                padding,
                tail,
            } => head.is_none() && *padding == 0 && tail.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Inner::Script { announced, .. } => SizeHint::with_exact(*announced),
            Inner::Padded {
                head,
                padding,
                tail,
            } => SizeHint::with_exact(
                head.as_ref().map_or(0, |b| b.len() as u64)
                    + padding
                    + tail.as_ref().map_or(0, |b| b.len() as u64),
            ),
        }
    }
}

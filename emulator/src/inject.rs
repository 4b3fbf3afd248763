//! Applying a queued fault to a public-API request: the response it makes
//! instead of (or out of) the route's normal answer.

use std::time::Duration;

use bytes::Bytes;
use hyper::header::{CONTENT_LENGTH, HeaderValue, LOCATION};
use hyper::{Response, StatusCode};

use crate::body::{Abort, ResponseBody, Step};
use crate::conn::Connection;
use crate::faults::{FaultAction, FaultBody};
use crate::public::{self, PublicRequest};
use crate::respond::{self, APPLICATION_JSON, Answer, Reply, TEXT_PLAIN};
use crate::state::State;

/// How long a `truncate` body waits after its first half before the
/// connection drops, so the client really receives a partial body.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(20);

/// The response `action` makes of `request` (or the connection dropped).
pub(crate) async fn apply(
    state: &State,
    conn: &Connection,
    http1: bool,
    request: &PublicRequest<'_>,
    action: FaultAction,
) -> Reply {
    Ok(match action {
        FaultAction::Status { status, body } => match body {
            None => respond::with_body(status, None, ResponseBody::empty()),
            Some(FaultBody::Json(json)) => respond::json_bytes(status, json),
            Some(FaultBody::Text(text)) => {
                respond::with_body(status, Some(TEXT_PLAIN), ResponseBody::full(text))
            }
        },
        FaultAction::Delay(wait) => {
            tokio::time::sleep(wait).await;
            public::answer(state, request).into_response()
        }
        FaultAction::StallBody(wait) => {
            let Answer { status, body, .. } = public::fault_answer(state, request);
            let half = body.len() / 2;
            scripted(
                status,
                &body,
                vec![
                    Step::Data(body.slice(..half)),
                    Step::Pause(wait),
                    Step::Data(body.slice(half..)),
                ],
            )
        }
        FaultAction::Close => return Err(Abort),
        FaultAction::Truncate => {
            let Answer { status, body, .. } = public::fault_answer(state, request);
            let half = body.len() / 2;
            scripted(
                status,
                &body,
                vec![
                    Step::Data(body.slice(..half)),
                    Step::Pause(TRUNCATE_PAUSE),
                    Step::Fail,
                ],
            )
        }
        FaultAction::Raw {
            status,
            content_type,
            body,
        } => respond::with_body(status, Some(content_type), ResponseBody::full(body)),
        FaultAction::Oversized { bytes } => {
            let Answer { status, body, .. } = public::fault_answer(state, request);
            padded(status, &body, bytes)
        }
        FaultAction::Redirect { status, location } => {
            let mut response = respond::with_body(status, None, ResponseBody::empty());
            response.headers_mut().insert(LOCATION, location);
            response
        }
        FaultAction::Wire { bytes, pause } => {
            // Raw bytes in an HTTP/2 connection would only corrupt it: there
            // the stream is reset as by `close`.
            if http1 {
                conn.send_raw_and_close(&bytes, pause).await;
            }
            return Err(Abort);
        }
    })
}

/// A JSON response announcing the full body but playing `steps`.
fn scripted(status: StatusCode, full: &Bytes, steps: Vec<Step>) -> Response<ResponseBody> {
    let announced = full.len() as u64;
    let steps = steps
        .into_iter()
        .filter(|step| !matches!(step, Step::Data(data) if data.is_empty()));
    let mut response = respond::with_body(
        status,
        Some(APPLICATION_JSON),
        ResponseBody::script(announced, steps),
    );
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(announced));
    response
}

/// The JSON object `body` with a `"padding": "xxx…"` member that brings it
/// to about `target` bytes (never less than the body plus an empty
/// padding). The padding is generated as it is sent, not held in memory.
fn padded(status: StatusCode, body: &Bytes, target: usize) -> Response<ResponseBody> {
    // Every answer is a compact JSON object; anything else goes as is.
    let Some(inner) = body.strip_suffix(b"}") else {
        return respond::json_bytes(status, body.clone());
    };
    let mut head = inner.to_vec();
    if !inner.ends_with(b"{") {
        head.push(b',');
    }
    head.extend_from_slice(b"\"padding\":\"");
    let tail = Bytes::from_static(b"\"}");
    let padding = target.saturating_sub(head.len() + tail.len()) as u64;
    let total = head.len() as u64 + padding + tail.len() as u64;
    let mut response = respond::with_body(
        status,
        Some(APPLICATION_JSON),
        ResponseBody::padded(head.into(), padding, tail),
    );
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(total));
    response
}

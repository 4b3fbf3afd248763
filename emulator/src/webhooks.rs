//! Webhook deliveries: the events Refold pushes (a linked account's
//! connection created, deleted or expired; a workflow execution completed
//! or errored) sent to every enabled webhook subscribed to them, signed
//! with `x-cobalt-signature` (hex HMAC-SHA256 of the raw body keyed on the
//! API key the webhook was registered with), retried 3 times with
//! exponential backoff when the answer is not a 200, and logged for the
//! control plane (`GET /__emulator/webhooks`: attempts and statuses, never
//! a body). Delivery faults (`POST /__emulator/webhook-faults`) drop or
//! duplicate the next deliveries.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::collection::{Fields, Scope};
use crate::faults::DeliveryFault;
use crate::ids::{iso_millis, now_millis};
use crate::state::State;

/// The events Refold documents, as `webhook_events` names them.
pub(crate) const EVENTS: [&str; 5] = [
    CONNECTION_CREATED,
    CONNECTION_DELETED,
    CONNECTION_EXPIRED,
    WORKFLOW_COMPLETED,
    WORKFLOW_ERRORED,
];
pub(crate) const CONNECTION_CREATED: &str = "Connection Created";
pub(crate) const CONNECTION_DELETED: &str = "Connection Deleted";
pub(crate) const CONNECTION_EXPIRED: &str = "Connection Expired";
pub(crate) const WORKFLOW_COMPLETED: &str = "Workflow Completed";
pub(crate) const WORKFLOW_ERRORED: &str = "Workflow Errored";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-cobalt-signature";
/// Retries after the first attempt, as Refold documents.
pub(crate) const RETRIES: u32 = 3;
/// Each attempt's whole exchange, and its connect phase.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Deliveries the log keeps (oldest dropped).
const LOG_CAPACITY: usize = 1000;
/// Deliveries under way at once; more are logged as dropped.
const MAX_IN_FLIGHT: usize = 256;
/// Queued delivery faults.
pub(crate) const MAX_DELIVERY_FAULTS: usize = 10_000;
/// Webhooks whose registering key is remembered.
const MAX_KEYS: usize = 10_000;

/// The client deliveries go out with: loopback only (the URLs are checked
/// at registration), so no proxy; bounded timeouts; no redirects.
static CLIENT: LazyLock<Option<reqwest::Client>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()
});

/// An event to deliver.
pub(crate) struct Event {
    /// `Connection Created`, … (one of [`EVENTS`]).
    pub name: &'static str,
    /// The workflow it concerns (webhooks may list `workflow_ids`).
    pub workflow_id: Option<String>,
    pub payload: Value,
}

impl Event {
    /// A connection event, as the webhooks page shows it.
    pub(crate) fn connection(
        state: &State,
        name: &'static str,
        account: &str,
        slug: &str,
    ) -> Event {
        Event {
            name,
            workflow_id: None,
            payload: json!({
                "linked_account_id": account,
                "org_id": state.accounts.org(),
                "environment": "test",
                "type": "General",
                "event": name,
                "slug": slug,
                "createdAt": httpdate::fmt_http_date(SystemTime::now()),
            }),
        }
    }

    /// A workflow event of the execution `execution` (its document).
    pub(crate) fn workflow(execution: &Fields, errored: bool) -> Event {
        let name = if errored {
            WORKFLOW_ERRORED
        } else {
            WORKFLOW_COMPLETED
        };
        let workflow = &execution["associated_workflow"];
        let workflow_id = workflow["_id"].as_str().map(str::to_owned);
        Event {
            name,
            payload: json!({
                "linked_account_id": execution["linked_account_id"],
                "instance_id": execution["_id"],
                "workflow_id": workflow["_id"],
                "config_id": execution["config_id"],
                "event": name,
                "workflow_name": workflow["name"],
                "status": if errored { "ERRORED" } else { "COMPLETED" },
            }),
            workflow_id,
        }
    }
}

/// One delivery as the control plane shows it.
struct Delivery {
    id: u64,
    webhook_id: String,
    event: &'static str,
    url: String,
    method: String,
    /// `pending`, `delivered`, `failed` or `dropped`.
    outcome: &'static str,
    /// Why it was dropped.
    reason: Option<&'static str>,
    /// The delivery this one repeats (a `duplicate` fault).
    duplicate_of: Option<u64>,
    attempts: Vec<Value>,
    created_ms: u64,
}

#[derive(Default)]
struct Inner {
    log: VecDeque<Delivery>,
    faults: VecDeque<DeliveryFault>,
    /// The configured API key (index) each webhook was registered with.
    keys: HashMap<String, usize>,
    next_id: u64,
}

/// The delivery log, the delivery faults and the backoff setting.
pub(crate) struct Deliveries {
    inner: Mutex<Inner>,
    in_flight: AtomicUsize,
    backoff_ms: AtomicU64,
    configured_backoff_ms: u64,
}

impl Deliveries {
    pub(crate) fn new(backoff: Duration) -> Self {
        let ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX);
        Self {
            inner: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            backoff_ms: AtomicU64::new(ms),
            configured_backoff_ms: ms,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The wait before the first retry, in milliseconds.
    pub(crate) fn backoff_ms(&self) -> u64 {
        self.backoff_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn set_backoff_ms(&self, ms: u64) {
        self.backoff_ms.store(ms, Ordering::Relaxed);
    }

    /// Remembers which key registered the webhook `id` (its deliveries are
    /// signed with it).
    pub(crate) fn remember_key(&self, id: &str, key: usize) {
        let mut inner = self.lock();
        if inner.keys.len() < MAX_KEYS || inner.keys.contains_key(id) {
            inner.keys.insert(id.to_owned(), key);
        }
    }

    pub(crate) fn forget_key(&self, id: &str) {
        self.lock().keys.remove(id);
    }

    /// Replaces the delivery-fault queue; returns its length.
    pub(crate) fn set_faults(&self, faults: Vec<DeliveryFault>) -> usize {
        let mut inner = self.lock();
        inner.faults = faults.into();
        inner.faults.len()
    }

    /// Clears the log and the faults and restores the backoff (a reset).
    pub(crate) fn reset(&self) {
        let mut inner = self.lock();
        inner.log.clear();
        inner.faults.clear();
        self.set_backoff_ms(self.configured_backoff_ms);
    }

    /// The `GET /__emulator/webhooks` document.
    pub(crate) fn json(&self) -> Value {
        let inner = self.lock();
        let deliveries: Vec<Value> = inner
            .log
            .iter()
            .map(|d| {
                let mut entry = json!({
                    "id": d.id,
                    "webhook_id": d.webhook_id,
                    "event": d.event,
                    "url": d.url,
                    "method": d.method,
                    "outcome": d.outcome,
                    "attempts": d.attempts,
                    "created_at": iso_millis(d.created_ms),
                });
                if let Some(reason) = d.reason {
                    entry["reason"] = reason.into();
                }
                if let Some(original) = d.duplicate_of {
                    entry["duplicate_of"] = original.into();
                }
                entry
            })
            .collect();
        json!({
            "deliveries": deliveries,
            "faults_queued": inner.faults.len(),
            "backoff_ms": self.backoff_ms(),
        })
    }

    fn log(&self, delivery: Delivery) {
        let mut inner = self.lock();
        if inner.log.len() == LOG_CAPACITY {
            inner.log.pop_front();
        }
        inner.log.push_back(delivery);
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Delivery)) {
        if let Some(delivery) = self.lock().log.iter_mut().find(|d| d.id == id) {
            change(delivery);
        }
    }
}

/// The hex HMAC-SHA256 of `body` keyed on `key`: a webhook delivery's
/// `x-cobalt-signature`.
pub fn signature(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `url` is one the emulator delivers to: `http` or `https` on a
/// loopback address (or `localhost`).
pub(crate) fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return false;
    }
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Sends `event` to every enabled webhook subscribed to it.
pub(crate) fn emit(state: &State, event: Event) {
    let subscribed = state.webhooks.select(Scope::Any, |doc| {
        let body = &doc.body;
        body.get("is_enabled").and_then(Value::as_bool) != Some(false)
            && body["webhook_events"]
                .as_array()
                .is_some_and(|events| events.iter().any(|e| e == event.name))
            && match (
                &event.workflow_id,
                body.get("workflow_ids").and_then(Value::as_array),
            ) {
                (Some(workflow), Some(ids)) if !ids.is_empty() => {
                    ids.iter().any(|id| id == workflow)
                }
                _ => true,
            }
    });
    if subscribed.is_empty() {
        return;
    }
    let body = event.payload.to_string().into_bytes();
    for webhook in subscribed {
        let url = webhook.body["webhook_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let method = webhook.body["method"].as_str().unwrap_or("POST").to_owned();
        let key_index = state
            .deliveries
            .lock()
            .keys
            .get(&webhook.id)
            .copied()
            .unwrap_or(0);
        let signed = signature(state.api_key_at(key_index), &body);
        let fault = state.deliveries.lock().faults.pop_front();
        let first = start(state, &webhook.id, event.name, &url, &method, None);
        match fault {
            Some(DeliveryFault::Drop) => {
                state.deliveries.update(first, |d| {
                    d.outcome = "dropped";
                    d.reason = Some("a drop fault");
                });
                continue;
            }
            Some(DeliveryFault::Duplicate) => {
                let again = start(state, &webhook.id, event.name, &url, &method, Some(first));
                send(state, again, &url, &method, &body, &signed);
            }
            None => {}
        }
        send(state, first, &url, &method, &body, &signed);
    }
}

/// Logs a new pending delivery; its id.
fn start(
    state: &State,
    webhook_id: &str,
    event: &'static str,
    url: &str,
    method: &str,
    duplicate_of: Option<u64>,
) -> u64 {
    let id = {
        let mut inner = state.deliveries.lock();
        inner.next_id += 1;
        inner.next_id
    };
    state.deliveries.log(Delivery {
        id,
        webhook_id: webhook_id.to_owned(),
        event,
        url: url.to_owned(),
        method: method.to_owned(),
        outcome: "pending",
        reason: None,
        duplicate_of,
        attempts: Vec::new(),
        created_ms: now_millis(),
    });
    id
}

/// Delivers in the background: the first attempt and up to [`RETRIES`]
/// more, each after twice the previous wait.
fn send(state: &State, id: u64, url: &str, method: &str, body: &[u8], signed: &str) {
    let deliveries = &state.deliveries;
    if deliveries.in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_IN_FLIGHT {
        deliveries.in_flight.fetch_sub(1, Ordering::AcqRel);
        deliveries.update(id, |d| {
            d.outcome = "dropped";
            d.reason = Some("too many deliveries under way");
        });
        return;
    }
    let (url, body, signed) = (url.to_owned(), body.to_vec(), signed.to_owned());
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let spawned = state.spawn(move |state: Arc<State>| async move {
        let mut wait = Duration::from_millis(state.deliveries.backoff_ms());
        for attempt in 1..=RETRIES + 1 {
            let status = attempt_once(&url, &method, &body, &signed).await;
            let delivered = status == Ok(200);
            let now = now_millis();
            let mut record = json!({"attempt": attempt, "at": iso_millis(now), "at_ms": now});
            match status {
                Ok(code) => record["status"] = code.into(),
                Err(problem) => record["error"] = problem.into(),
            }
            let last = delivered || attempt == RETRIES + 1;
            state.deliveries.update(id, |d| {
                d.attempts.push(record);
                if last {
                    d.outcome = if delivered { "delivered" } else { "failed" };
                }
            });
            if last {
                break;
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
        state.deliveries.in_flight.fetch_sub(1, Ordering::AcqRel);
    });
    if !spawned {
        deliveries.in_flight.fetch_sub(1, Ordering::AcqRel);
        deliveries.update(id, |d| {
            d.outcome = "dropped";
            d.reason = Some("the emulator is stopping");
        });
    }
}

/// One attempt: the status answered, or what went wrong.
async fn attempt_once(
    url: &str,
    method: &reqwest::Method,
    body: &[u8],
    signed: &str,
) -> Result<u16, &'static str> {
    let client = CLIENT.as_ref().ok_or("no HTTP client")?;
    let response = client
        .request(method.clone(), url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signed)
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "connection refused or failed"
            } else {
                "request failed"
            }
        })?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_lower_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_loopback_urls() {
        for url in [
            "http://127.0.0.1:9/hook",
            "https://localhost/x",
            "http://[::1]:80/",
            "http://127.9.9.9/",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "https://example.com/hook",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "not a url",
            "http://127.0.0.1.example.com/",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }
}

//! Webhook deliveries to a real receiver on loopback: the documented events (connection
//! created, expired, deleted; workflow completed, errored), the `x-cobalt-signature`, retries
//! with exponential backoff, the drop and duplicate faults, and a delivery log without bodies.

mod common;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use refold_emulator::EmulatorConfig;
use serde_json::{Value, json};
use sha2::Sha256;

const SIGNING_KEY: &str = "sk_webhook_DISTINCTIVE_93c1";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    signature: String,
    content_type: String,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook endpoint on loopback that records what it gets and answers the queued statuses
/// (then 200).
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/refold", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let statuses: Arc<Mutex<VecDeque<u16>>> = Arc::default();
        let (r, s) = (received.clone(), statuses.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (r, s) = (r.clone(), s.clone());
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (r, s) = (r.clone(), s.clone());
                    async move {
                        let header = |name: &str| {
                            request
                                .headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let (method, signature, content_type) = (
                            request.method().to_string(),
                            header("x-cobalt-signature"),
                            header("content-type"),
                        );
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        r.lock().unwrap().push(Received {
                            method,
                            signature,
                            content_type,
                            body,
                        });
                        let status = s.lock().unwrap().pop_front().unwrap_or(200);
                        let mut response =
                            hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                        *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Receiver {
            url,
            received,
            statuses,
        }
    }

    fn answer(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }

    fn got(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The deliveries of `event`.
    fn of(&self, event: &str) -> Vec<Received> {
        self.got()
            .into_iter()
            .filter(|r| r.json()["event"] == event)
            .collect()
    }
}

fn hex_hmac(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn start_signed(backoff_ms: u64) -> Harness {
    start_with(EmulatorConfig {
        api_keys: vec![SIGNING_KEY.to_owned()],
        linked_accounts: vec![ACCOUNT.to_owned()],
        webhook_backoff: std::time::Duration::from_millis(backoff_ms),
        execution_time: std::time::Duration::from_millis(1),
        ..local_config()
    })
    .await
}

/// Registers `url` for `events` with the signing key; the webhook's id.
async fn register(h: &Harness, url: &str, events: Value, extra: Value) -> String {
    let mut body = json!({"webhook_url": url, "webhook_events": events});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let response = h
        .client
        .post(h.url("/api/v2/public/webhook"))
        .header("x-api-key", SIGNING_KEY)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json_of(response).await["_id"].as_str().unwrap().to_owned()
}

async fn deliveries(h: &Harness) -> Value {
    h.control("GET", "/__emulator/webhooks", None).await.1
}

/// A session token for `ACCOUNT` with the signing key.
async fn signed_token(h: &Harness) -> String {
    let response = h
        .client
        .post(h.url("/api/v2/public/session-token?force_refresh=true"))
        .header("x-api-key", SIGNING_KEY)
        .body(json!({"linked_account_id": ACCOUNT}).to_string())
        .send()
        .await
        .unwrap();
    json_of(response).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn connect_parcel_post(h: &Harness, token: &str) {
    h.expect(
        200,
        "POST",
        "/api/v2/app/parcel-post/save",
        As::Token(token),
        Some(json!({"api_key": "k"})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_events_are_signed_with_the_api_key() {
    let h = start_signed(10).await;
    let receiver = Receiver::start().await;
    register(
        &h,
        &receiver.url,
        json!([
            "Connection Created",
            "Connection Expired",
            "Connection Deleted"
        ]),
        json!({}),
    )
    .await;
    let token = signed_token(&h).await;
    connect_parcel_post(&h, &token).await;
    let created = h
        .eventually("Connection Created", || async {
            receiver.of("Connection Created").pop()
        })
        .await;
    assert_eq!(created.method, "POST");
    assert_eq!(created.content_type, "application/json");
    assert_eq!(created.signature, hex_hmac(SIGNING_KEY, &created.body));
    assert_ne!(created.signature, hex_hmac("another-key", &created.body));
    let payload = created.json();
    for member in [
        "linked_account_id",
        "org_id",
        "environment",
        "type",
        "event",
        "slug",
        "createdAt",
    ] {
        assert!(payload.get(member).is_some(), "{member} in {payload}");
    }
    assert_eq!(
        (
            payload["linked_account_id"].clone(),
            payload["slug"].clone()
        ),
        (json!(ACCOUNT), json!("parcel-post"))
    );
    assert!(payload["createdAt"].as_str().unwrap().ends_with(" GMT"));

    // Expired through the control plane: the app needs re-authentication.
    let (status, _) = h
        .control(
            "POST",
            "/__emulator/expire-connection",
            Some(json!({"linked_account_id": ACCOUNT, "slug": "parcel-post"})),
        )
        .await;
    assert_eq!(status, 200);
    h.eventually("Connection Expired", || async {
        receiver.of("Connection Expired").pop()
    })
    .await;
    let apps = h
        .client
        .get(h.url("/api/v2/public/application/parcel-post"))
        .header("x-api-key", SIGNING_KEY)
        .header("linked_account_id", ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(apps).await["reauth_required"], true);
    let (status, _) = h
        .control(
            "POST",
            "/__emulator/expire-connection",
            Some(json!({"linked_account_id": ACCOUNT, "slug": "lumen-crm"})),
        )
        .await;
    assert_eq!(status, 400, "not connected");

    // Deleted: by the front end's disconnect, by deleting the integration, by deleting the
    // account.
    h.expect(
        200,
        "DELETE",
        "/api/v1/linked-acc/integration/parcel-post",
        As::Token(&token),
        None,
    )
    .await;
    connect_parcel_post(&h, &token).await;
    let response = h
        .client
        .delete(h.url("/api/v2/public/linked-account/integration/parcel-post"))
        .header("x-api-key", SIGNING_KEY)
        .header("linked_account_id", ACCOUNT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    connect_parcel_post(&h, &signed_token(&h).await).await;
    let response = h
        .client
        .delete(h.url(&format!("{ACCOUNT_PATH}/{ACCOUNT}")))
        .header("x-api-key", SIGNING_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    h.eventually("three Connection Deleted", || async {
        (receiver.of("Connection Deleted").len() == 3).then_some(())
    })
    .await;
    for delivery in receiver.got() {
        assert_eq!(delivery.signature, hex_hmac(SIGNING_KEY, &delivery.body));
    }
    // The log shows attempts, never bodies, signatures or the key.
    // (The receiver records a request before its answer reaches the log.)
    let log = h
        .eventually("every delivery logged as delivered", || async {
            let log = deliveries(&h).await;
            let entries = log["deliveries"].as_array().unwrap();
            (entries.len() == 7 && entries.iter().all(|d| d["outcome"] == "delivered"))
                .then_some(log)
        })
        .await;
    let text = log.to_string();
    assert!(!text.contains(SIGNING_KEY));
    assert!(!text.contains(&receiver.got()[0].signature));
    assert!(!text.contains("createdAt"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_events_completed_and_errored() {
    let h = start_signed(10).await;
    let receiver = Receiver::start().await;
    let other = Receiver::start().await;
    register(
        &h,
        &receiver.url,
        json!(["Workflow Completed", "Workflow Errored"]),
        json!({"method": "PUT"}),
    )
    .await;
    register(
        &h,
        &other.url,
        json!(["Workflow Completed"]),
        json!({"workflow_ids": ["somewhere-else"]}),
    )
    .await;
    let disabled = register(
        &h,
        &other.url,
        json!(["Workflow Errored"]),
        json!({"is_enabled": false}),
    )
    .await;
    assert!(!disabled.is_empty());
    let token = signed_token(&h).await;
    let auth = |r: reqwest::RequestBuilder| {
        r.header("x-api-key", SIGNING_KEY)
            .header("linked_account_id", ACCOUNT)
            .header("content-type", "application/json")
    };
    let created = auth(h.client.post(h.url("/api/v2/public/workflow")))
        .body(json!({"name": "Export", "slug": "parcel-post"}).to_string())
        .send()
        .await
        .unwrap();
    let draft = json_of(created).await["workflow"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = h
        .expect(
            200,
            "PUT",
            &format!("/api/v2/public/workflow/{draft}/publish"),
            As::Token(&token),
            Some(json!({"published": true})),
        )
        .await;
    let workflow = published["_id"].as_str().unwrap().to_owned();
    let run = || async {
        let response = auth(
            h.client
                .post(h.url(&format!("/api/v2/public/workflow/{workflow}/execute"))),
        )
        .header("slug", "parcel-post")
        .body("{}")
        .send()
        .await
        .unwrap();
        json_of(response).await["execution_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let completed_id = run().await;
    let completed = h
        .eventually("Workflow Completed", || async {
            receiver.of("Workflow Completed").pop()
        })
        .await;
    assert_eq!(completed.method, "PUT");
    assert_eq!(completed.signature, hex_hmac(SIGNING_KEY, &completed.body));
    assert_eq!(
        completed.json(),
        json!({
            "linked_account_id": ACCOUNT, "instance_id": completed_id, "workflow_id": workflow,
            "config_id": ACCOUNT, "event": "Workflow Completed", "workflow_name": "Export",
            "status": "COMPLETED",
        })
    );
    h.control(
        "POST",
        "/__emulator/workflow-errors",
        Some(json!({"workflow_id": workflow, "message": "boom"})),
    )
    .await;
    let errored_id = run().await;
    let errored = h
        .eventually("Workflow Errored", || async {
            receiver.of("Workflow Errored").pop()
        })
        .await;
    assert_eq!(
        (
            errored.json()["status"].clone(),
            errored.json()["instance_id"].clone()
        ),
        (json!("ERRORED"), json!(errored_id))
    );
    // The other endpoint listed another workflow, or was disabled: nothing came.
    assert!(other.got().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_three_times_with_exponential_backoff() {
    let h = start_signed(15).await;
    let receiver = Receiver::start().await;
    register(&h, &receiver.url, json!(["Connection Created"]), json!({})).await;
    let token = signed_token(&h).await;

    // Two failures, then a 200: three attempts, one delivery.
    receiver.answer(&[500, 503]);
    connect_parcel_post(&h, &token).await;
    let delivered = h
        .eventually("a delivery", || async {
            let log = deliveries(&h).await;
            (log["deliveries"][0]["outcome"] == "delivered").then_some(log)
        })
        .await;
    let attempts = delivered["deliveries"][0]["attempts"]
        .as_array()
        .unwrap()
        .clone();
    let statuses: Vec<&Value> = attempts.iter().map(|a| &a["status"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(503), &json!(200)]);
    let at: Vec<u64> = attempts
        .iter()
        .map(|a| a["at_ms"].as_u64().unwrap())
        .collect();
    // Waits of at least 15 ms, then 30 ms (lower bounds only).
    assert!(at[1] - at[0] >= 15 && at[2] - at[1] >= 30, "{at:?}");
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.body == got[0].body && r.signature == got[0].signature)
    );

    // Never a 200: the first attempt and 3 retries, then it fails.
    receiver.answer(&[500, 500, 500, 500]);
    connect_parcel_post(&h, &token).await;
    let failed = h
        .eventually("a failed delivery", || async {
            let log = deliveries(&h).await;
            (log["deliveries"][1]["outcome"] == "failed").then_some(log)
        })
        .await;
    assert_eq!(
        failed["deliveries"][1]["attempts"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(receiver.got().len(), 7);

    // Nobody listening: each attempt records the error.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/gone", closed.local_addr().unwrap());
    drop(closed);
    h.configure(json!({"webhook_backoff_ms": 1})).await;
    let id = register(&h, &nowhere, json!(["Connection Expired"]), json!({})).await;
    h.control(
        "POST",
        "/__emulator/expire-connection",
        Some(json!({"linked_account_id": ACCOUNT, "slug": "parcel-post"})),
    )
    .await;
    let unreachable = h
        .eventually("an unreachable delivery", || async {
            let log = deliveries(&h).await;
            log["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["webhook_id"] == id.as_str() && d["outcome"] == "failed")
                .cloned()
        })
        .await;
    assert!(unreachable["attempts"][0]["error"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_drop_or_duplicate_a_delivery() {
    let h = start_signed(10).await;
    let receiver = Receiver::start().await;
    register(
        &h,
        &receiver.url,
        json!(["Connection Created", "Connection Deleted"]),
        json!({}),
    )
    .await;
    let token = signed_token(&h).await;
    let (status, queued) = h
        .control(
            "POST",
            "/__emulator/webhook-faults",
            Some(json!([{"kind": "drop"}, {"kind": "duplicate"}])),
        )
        .await;
    assert_eq!((status, queued), (200, json!({"queued": 2})));
    // Dropped: logged, never sent.
    connect_parcel_post(&h, &token).await;
    // Duplicated: the same body and signature twice.
    h.expect(
        200,
        "DELETE",
        "/api/v1/linked-acc/integration/parcel-post",
        As::Token(&token),
        None,
    )
    .await;
    let twice = h
        .eventually("two Connection Deleted", || async {
            let got = receiver.of("Connection Deleted");
            (got.len() == 2).then_some(got)
        })
        .await;
    assert_eq!(
        (&twice[0].body, &twice[0].signature),
        (&twice[1].body, &twice[1].signature)
    );
    assert!(receiver.of("Connection Created").is_empty());
    let log = deliveries(&h).await;
    let entries = log["deliveries"].as_array().unwrap();
    assert_eq!(entries[0]["outcome"], "dropped");
    assert_eq!(entries[0]["event"], "Connection Created");
    assert_eq!(entries[2]["duplicate_of"], entries[1]["id"]);
    // Bad fault lists are refused and change nothing.
    for bad in [
        json!({"kind": "drop"}),
        json!([{"kind": "delay"}]),
        json!([{"kind": "drop", "x": 1}]),
    ] {
        let (status, _) = h
            .control("POST", "/__emulator/webhook-faults", Some(bad))
            .await;
        assert_eq!(status, 400);
    }
    assert_eq!(deliveries(&h).await["faults_queued"], 0);
}

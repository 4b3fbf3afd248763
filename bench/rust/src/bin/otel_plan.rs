//! The native side of a trace's hand-over (bench/README.md, "OpenTelemetry's cost"): core's
//! plan of one token miss (`CallTrace::plan`), the clone the Python hook queues, and the plan as
//! the JSON text the Node addon hands over, per call in nanoseconds.
//!
//!     cargo run --release -p refold-bench --bin otel-plan [calls, default 1000000]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use refold_session::telemetry::{AttemptRecord, CacheOutcome, CallRecord, CallTrace};

fn miss() -> CallTrace {
    let now = SystemTime::now();
    CallTrace {
        call: CallRecord {
            name: "get_token_for_linked_account",
            started_at: now,
            duration: Duration::from_micros(950),
            error: None,
            cache: Some(CacheOutcome::Miss),
            linked_account_id: None,
            parent: None,
        },
        attempts: vec![AttemptRecord {
            method: "POST",
            route: "/api/v2/public/session-token",
            server_address: "127.0.0.1".into(),
            server_port: 8080,
            status: Some(200),
            error: None,
            attempt: 1,
            started_at: now,
            duration: Duration::from_micros(900),
            budget_wait: Duration::ZERO,
        }],
    }
}

/// Nanoseconds per call of `work`, the best of five rounds (the machine is shared).
fn time(label: &str, calls: u32, mut work: impl FnMut()) {
    let best = (0..5)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..calls {
                work();
            }
            started.elapsed().as_nanos() as f64 / f64::from(calls)
        })
        .fold(f64::INFINITY, f64::min);
    println!("{label:<40} {best:8.0} ns/call");
}

fn main() {
    let calls = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let trace = miss();
    time("CallTrace::clone (Python's queue)", calls, || {
        black_box(black_box(&trace).clone());
    });
    time("CallTrace::plan", calls, || {
        black_box(black_box(&trace).plan());
    });
    time("plan + serde_json::to_string (Node)", calls, || {
        black_box(serde_json::to_string(&black_box(&trace).plan()).ok());
    });
    let text = serde_json::to_string(&trace.plan()).unwrap_or_default();
    println!("the Node text: {} bytes", text.len());
}

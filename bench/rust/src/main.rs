//! The Rust client of the refold-session benchmark (bench/README.md): `refold_session::Client`
//! used directly, C tasks on a multi-threaded tokio runtime.
//!
//! ```text
//! refold-bench-rust --url URL --key KEY --n N --concurrency C [--warmup W] [--prefix P]
//! ```
//! Prints one line, `BENCH_JSON {...}`, read by bench/run.py.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use refold_session::Client;

struct Args {
    url: String,
    key: String,
    n: usize,
    concurrency: usize,
    warmup: usize,
    prefix: String,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: String::new(),
        key: String::new(),
        n: 0,
        concurrency: 1,
        warmup: 0,
        prefix: "rust".to_owned(),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let [flag, value] = pair else {
            panic!("flags take a value: {pair:?}")
        };
        match flag.as_str() {
            "--url" => args.url = value.clone(),
            "--key" => args.key = value.clone(),
            "--n" => args.n = value.parse().expect("--n"),
            "--concurrency" => args.concurrency = value.parse().expect("--concurrency"),
            "--warmup" => args.warmup = value.parse().expect("--warmup"),
            "--prefix" => args.prefix = value.clone(),
            "--client" => {}
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// Runs `count` calls with `concurrency` tasks; returns (errors, latencies in index order).
async fn phase(
    client: &Client,
    prefix: &str,
    count: usize,
    concurrency: usize,
) -> (usize, Vec<Duration>) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(count).max(1) {
        let client = client.clone();
        let next = next.clone();
        let prefix = prefix.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut errors = 0;
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let id = format!("{prefix}-{i}");
                let t0 = Instant::now();
                match client.get_token_for_linked_account(&id).await {
                    Ok(token) if !token.token().is_empty() => {}
                    Ok(_) => errors += 1,
                    Err(err) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("request failed: {err}");
                        }
                    }
                }
                latencies.push(t0.elapsed());
            }
            (errors, latencies)
        }));
    }
    let mut errors = 0;
    let mut latencies = Vec::with_capacity(count);
    for task in tasks {
        let (e, l) = task.await.expect("benchmark task panicked");
        errors += e;
        latencies.extend(l);
    }
    (errors, latencies)
}

fn percentile_ms(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len()).div_ceil(100).saturating_sub(1);
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let client = Client::builder()
            .api_key(args.key.clone())
            .base_url(args.url.clone())
            .read_environment_variables(false)
            .build()
            .expect("client");
        if args.warmup > 0 {
            phase(
                &client,
                &format!("{}-w", args.prefix),
                args.warmup,
                args.concurrency,
            )
            .await;
        }
        let t0 = Instant::now();
        let (errors, mut latencies) = phase(&client, &args.prefix, args.n, args.concurrency).await;
        let seconds = t0.elapsed().as_secs_f64();
        latencies.sort_unstable();
        println!(
            "BENCH_JSON {{\"client\":\"ours\",\"n\":{},\"concurrency\":{},\"seconds\":{seconds},\
             \"rps\":{},\"p50_ms\":{},\"p99_ms\":{},\"errors\":{errors},\"runtime\":\"rust {}\"}}",
            args.n,
            args.concurrency,
            args.n as f64 / seconds,
            percentile_ms(&latencies, 50),
            percentile_ms(&latencies, 99),
            refold_session::VERSION,
        );
    });
}

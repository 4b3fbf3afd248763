//! The Rust client of the refold-session benchmark (bench/README.md): `refold_session::Client`
//! used directly, C tasks on a multi-threaded tokio runtime.
//!
//! ```text
//! refold-bench-rust --client KIND --url URL --key KEY --n N --concurrency C [--warmup W]
//!                   [--prefix P] [--accounts K] [--redis-url R --encryption-key B64
//!                   --key-prefix KP] [--value-bytes V]
//! ```
//! KIND:
//! - `ours` (default): every call mints (no cache), a distinct linked account per call;
//! - `cache-hit`: `cache` on; K accounts are minted first, then every call is a hit (the ids
//!   cycle over the K);
//! - `store-hit`: `cache` + `store`; a separate client first mints W + N accounts (Redis
//!   warm), then a fresh client (empty in-process cache) asks for each once: every timed call
//!   is an in-process miss answered by Redis;
//! - `redis-rs`: the raw GET peer: redis-rs's multiplexed connection (shared by the C tasks)
//!   GETs a V-byte value per call (W + N values SET first);
//! - `fleet`: `cache` + `store`, N calls over K accounts; prints `READY`, waits for a line on
//!   stdin, then runs (bench/run.py starts one per language and releases them together);
//! - `raw-tcp`: the raw peer of the scaling run (bench/scale.py): a hand-written HTTP/1.1 POST
//!   on a tokio `TcpStream`, one keep-alive connection per task (opened by its first call), the
//!   response read by its `content-length` and checked for status 200 and a `"token"` field —
//!   what wrk does, but for exactly N calls, so that it can also start all N at once.
//!
//! With `--concurrency` equal to `--n` every task makes exactly one call and all N are spawned
//! before any completes (the scaling run's "in flight" level).
//!
//! Prints one line, `BENCH_JSON {...}`, read by bench/run.py.

use std::io::{BufRead as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use refold_session::{
    CacheOptions, CacheStats, Client, ClientOptions, RateLimitOptions, StoreOptions,
};

struct Args {
    client: String,
    url: String,
    key: String,
    n: usize,
    concurrency: usize,
    warmup: usize,
    prefix: String,
    accounts: usize,
    redis_url: String,
    encryption_key: String,
    key_prefix: String,
    value_bytes: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        client: "ours".to_owned(),
        url: String::new(),
        key: String::new(),
        n: 0,
        concurrency: 1,
        warmup: 0,
        prefix: "rust".to_owned(),
        accounts: 1000,
        redis_url: String::new(),
        encryption_key: String::new(),
        key_prefix: "bench:".to_owned(),
        value_bytes: 0,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let [flag, value] = pair else {
            panic!("flags take a value: {pair:?}")
        };
        match flag.as_str() {
            "--client" => args.client = value.clone(),
            "--url" => args.url = value.clone(),
            "--key" => args.key = value.clone(),
            "--n" => args.n = value.parse().expect("--n"),
            "--concurrency" => args.concurrency = value.parse().expect("--concurrency"),
            "--warmup" => args.warmup = value.parse().expect("--warmup"),
            "--prefix" => args.prefix = value.clone(),
            "--accounts" => args.accounts = value.parse().expect("--accounts"),
            "--redis-url" => args.redis_url = value.clone(),
            "--encryption-key" => args.encryption_key = value.clone(),
            "--key-prefix" => args.key_prefix = value.clone(),
            "--value-bytes" => args.value_bytes = value.parse().expect("--value-bytes"),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// What one call does.
enum Target {
    Refold(Client),
    Redis(redis::aio::MultiplexedConnection, usize),
    /// host:port, API key, this task's connection (each task opens its own).
    Raw(Arc<(String, String)>, Option<(TcpStream, Vec<u8>)>),
}

impl Clone for Target {
    fn clone(&self) -> Self {
        match self {
            Target::Refold(client) => Target::Refold(client.clone()),
            Target::Redis(connection, expected) => Target::Redis(connection.clone(), *expected),
            Target::Raw(peer, _) => Target::Raw(peer.clone(), None),
        }
    }
}

/// One session-token POST on `conn` (connected first if it is not), by hand: what wrk sends.
async fn raw_call(
    peer: &(String, String),
    conn: &mut Option<(TcpStream, Vec<u8>)>,
    id: &str,
) -> Result<(), String> {
    let (host, key) = peer;
    if conn.is_none() {
        let stream = TcpStream::connect(host.as_str())
            .await
            .map_err(|err| format!("connect: {err}"))?;
        stream.set_nodelay(true).map_err(|err| err.to_string())?;
        *conn = Some((stream, Vec::with_capacity(1024)));
    }
    let (stream, buf) = conn.as_mut().expect("connected");
    let body = format!("{{\"linked_account_id\":\"{id}\"}}");
    let request = format!(
        "POST /api/v2/public/session-token HTTP/1.1\r\nhost: {host}\r\nx-api-key: {key}\r\n\
         content-type: application/json\r\naccept: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|err| format!("write: {err}"))?;
    buf.clear();
    let mut head_end = None;
    let mut body_len = 0;
    loop {
        if head_end.is_none() {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..pos]).to_ascii_lowercase();
                if !head.starts_with("http/1.1 200") {
                    return Err(format!("status line {:?}", head.lines().next()));
                }
                body_len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or("no content-length")?;
                head_end = Some(pos + 4);
            }
        }
        if let Some(start) = head_end {
            if buf.len() >= start + body_len {
                let body = &buf[start..start + body_len];
                return if body.windows(9).any(|w| w == b"\"token\":\"") {
                    Ok(())
                } else {
                    Err("no token in the body".to_owned())
                };
            }
        }
        buf.reserve(1024);
        let read = stream
            .read_buf(buf)
            .await
            .map_err(|err| format!("read: {err}"))?;
        if read == 0 {
            return Err("connection closed".to_owned());
        }
    }
}

impl Target {
    async fn call(&mut self, id: &str) -> Result<(), String> {
        match self {
            Target::Refold(client) => match client.get_token_for_linked_account(id).await {
                Ok(token) if !token.token().is_empty() => Ok(()),
                Ok(_) => Err("empty token".to_owned()),
                Err(err) => Err(err.to_string()),
            },
            Target::Redis(connection, expected) => {
                let value: Option<Vec<u8>> = redis::cmd("GET")
                    .arg(id)
                    .query_async(connection)
                    .await
                    .map_err(|err| err.to_string())?;
                match value {
                    Some(value) if value.len() == *expected => Ok(()),
                    other => Err(format!("GET returned {:?} bytes", other.map(|v| v.len()))),
                }
            }
            Target::Raw(peer, conn) => {
                let result = raw_call(peer, conn, id).await;
                if result.is_err() {
                    *conn = None; // a failed exchange leaves the connection unusable
                }
                result
            }
        }
    }
}

/// Runs `count` calls with `concurrency` tasks, call `i` on `ids[i % ids.len()]`; returns
/// (errors, latencies).
async fn phase(
    target: &Target,
    ids: Arc<Vec<String>>,
    count: usize,
    concurrency: usize,
) -> (usize, Vec<Duration>) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(count).max(1) {
        let mut target = target.clone();
        let next = next.clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut errors = 0;
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let id = &ids[i % ids.len()];
                let t0 = Instant::now();
                let result = target.call(id).await;
                latencies.push(t0.elapsed());
                if let Err(err) = result {
                    errors += 1;
                    if errors <= 3 {
                        eprintln!("request failed: {err}");
                    }
                }
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

fn ids(prefix: &str, count: usize) -> Arc<Vec<String>> {
    Arc::new((0..count).map(|i| format!("{prefix}-{i}")).collect())
}

fn client(args: &Args, cache: bool, store: bool) -> Client {
    Client::new(ClientOptions {
        api_key: Some(args.key.clone().into()),
        base_url: Some(args.url.clone()),
        read_environment_variables: Some(false),
        // The loopback benchmarks measure the client, not Refold's limit (make bench-fleet does).
        rate_limit: Some(RateLimitOptions::Off),
        cache: cache.then(|| CacheOptions {
            store: store.then(|| StoreOptions {
                redis_url: Some(args.redis_url.clone().into()),
                encryption_keys: vec![args.encryption_key.clone().into()],
                key_prefix: Some(args.key_prefix.clone()),
                timeout: None,
            }),
            ..CacheOptions::default()
        }),
        ..ClientOptions::default()
    })
    .expect("client")
}

async fn stats(target: &Target) -> Option<CacheStats> {
    match target {
        Target::Refold(client) => client.cache_stats().await,
        Target::Redis(..) | Target::Raw(..) => None,
    }
}

/// The counters of the timed phase (after − before), as JSON.
fn stats_json(before: Option<CacheStats>, after: Option<CacheStats>) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!(
            "{{\"hits\":{},\"misses\":{},\"coalesced\":{},\"store_hits\":{},\"store_errors\":{}}}",
            a.hits - b.hits,
            a.misses - b.misses,
            a.coalesced - b.coalesced,
            a.store_hits - b.store_hits,
            a.store_errors - b.store_errors,
        ),
        _ => "null".to_owned(),
    }
}

async fn redis_connection(args: &Args) -> redis::aio::MultiplexedConnection {
    redis::Client::open(args.redis_url.as_str())
        .expect("redis URL")
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection")
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let setup = Instant::now();
        let (warm_ids, timed_ids) = (
            ids(&format!("{}-w", args.prefix), args.warmup),
            ids(&args.prefix, args.n),
        );
        let (target, warm_ids, timed_ids) = match args.client.as_str() {
            "ours" => (
                Target::Refold(client(&args, false, false)),
                warm_ids,
                timed_ids,
            ),
            "cache-hit" => {
                let target = Target::Refold(client(&args, true, false));
                let accounts = ids(&args.prefix, args.accounts);
                let (errors, _) = phase(&target, accounts.clone(), args.accounts, 64).await;
                assert_eq!(errors, 0, "minting the accounts to hit failed");
                (target, accounts.clone(), accounts)
            }
            "store-hit" => {
                // Redis warm: another client mints every account the measured one will ask for.
                let warmer = Target::Refold(client(&args, true, true));
                for set in [&warm_ids, &timed_ids] {
                    let (errors, _) = phase(&warmer, set.clone(), set.len(), 64).await;
                    assert_eq!(errors, 0, "warming the store failed");
                }
                drop(warmer);
                (
                    Target::Refold(client(&args, true, true)),
                    warm_ids,
                    timed_ids,
                )
            }
            "redis-rs" => {
                let mut connection = redis_connection(&args).await;
                let value: Vec<u8> = (0..args.value_bytes).map(|_| fastrand::u8(..)).collect();
                for set in [&warm_ids, &timed_ids] {
                    for chunk in set.chunks(1000) {
                        let mut pipe = redis::pipe();
                        for id in chunk {
                            pipe.cmd("SET").arg(id).arg(&value).ignore();
                        }
                        let () = pipe.query_async(&mut connection).await.expect("SET");
                    }
                }
                (
                    Target::Redis(connection, args.value_bytes),
                    warm_ids,
                    timed_ids,
                )
            }
            "raw-tcp" => {
                let host = args
                    .url
                    .strip_prefix("http://")
                    .expect("raw-tcp needs an http:// URL")
                    .trim_end_matches('/')
                    .to_owned();
                (
                    Target::Raw(Arc::new((host, args.key.clone())), None),
                    warm_ids,
                    timed_ids,
                )
            }
            "fleet" => {
                let target = Target::Refold(client(&args, true, true));
                let accounts = ids(&args.prefix, args.accounts);
                println!("READY");
                std::io::stdout().flush().expect("stdout");
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).expect("stdin");
                (target, Arc::new(Vec::new()), accounts)
            }
            other => panic!("unknown client {other}"),
        };
        let setup_s = setup.elapsed().as_secs_f64();
        if args.warmup > 0 && !warm_ids.is_empty() {
            phase(&target, warm_ids, args.warmup, args.concurrency).await;
        }
        let before = stats(&target).await;
        let t0 = Instant::now();
        let (errors, mut latencies) = phase(&target, timed_ids, args.n, args.concurrency).await;
        let seconds = t0.elapsed().as_secs_f64();
        let after = stats(&target).await;
        latencies.sort_unstable();
        println!(
            "BENCH_JSON {{\"client\":\"{}\",\"n\":{},\"concurrency\":{},\"seconds\":{seconds},\
             \"rps\":{},\"p50_ms\":{},\"p99_ms\":{},\"errors\":{errors},\"setup_s\":{setup_s},\
             \"stats\":{},\"runtime\":\"rust {}\"}}",
            args.client,
            args.n,
            args.concurrency,
            args.n as f64 / seconds,
            percentile_ms(&latencies, 50),
            percentile_ms(&latencies, 99),
            stats_json(before, after),
            refold_session::VERSION,
        );
    });
}

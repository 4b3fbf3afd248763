//! Budgets sharing a real `redis-server` (started on a free loopback port), each budget standing
//! for one process of the fleet. Real time: the script reads Redis's clock.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::fleet::{FleetLedger, RedisLedger};
use super::limit::*;
use super::local::{Ask, Verdict};
use super::*;

#[path = "../../tests/common/redis.rs"]
mod redis_server;
use redis_server::{RedisCluster, RedisServer};

const FLEET_TIMEOUT: Duration = Duration::from_millis(250);

async fn connection(url: &str) -> redis::aio::ConnectionManager {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_number_of_retries(1);
    redis::Client::open(url)
        .unwrap()
        .get_connection_manager_with_config(config)
        .await
        .unwrap()
}

fn scope(test: &str) -> Scope {
    Scope::of("sk_fleet_DISTINCTIVE", &format!("http://{test}"))
}

/// `processes` budgets of one fleet, each with its own connection.
async fn fleet(
    server: &RedisServer,
    test: &str,
    limit: RateLimit,
    processes: usize,
) -> Vec<Arc<Budget>> {
    let mut budgets = Vec::new();
    for _ in 0..processes {
        let budget = Arc::new(Budget::new(limit, scope(test)));
        let source = ReadyConnection(connection(&server.url()).await);
        assert!(budget.attach_redis(source, "test:", FLEET_TIMEOUT));
        budgets.push(budget);
    }
    budgets
}

/// Starts `count` interactive callers on `budget`; each returns when (after `start`) it was
/// admitted.
fn callers(
    budget: &Arc<Budget>,
    count: usize,
    start: Instant,
    patience: Duration,
) -> Vec<tokio::task::JoinHandle<Result<Duration, Refused>>> {
    (0..count)
        .map(|_| {
            let budget = Arc::clone(budget);
            tokio::spawn(async move {
                budget
                    .admit(Priority::Interactive, start + patience)
                    .await
                    .map(|_| start.elapsed())
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_asking_at_once_share_one_limit() {
    let server = RedisServer::start();
    let limit = RateLimit::new(100.0, 5).unwrap();
    let budgets = fleet(&server, "cold-fleet", limit, 4).await;
    let start = Instant::now();
    let handles: Vec<_> = budgets
        .iter()
        .flat_map(|budget| callers(budget, 100, start, Duration::from_secs(20)))
        .collect();
    let mut times = Vec::new();
    for handle in handles {
        times.push(
            handle
                .await
                .unwrap()
                .expect("every call's timeout covers its wait"),
        );
    }
    let last = times.iter().max().unwrap().as_secs_f64();
    // 400 slots at 100/s after a burst of 5: 3.95 s; within 1.2 × 400/100 s.
    assert!(last >= 3.9, "400 admissions in {last} s: over the limit");
    assert!(last <= 4.8, "400 admissions took {last} s");
    for budget in &budgets {
        let stats = budget.stats();
        assert_eq!((stats.admitted, stats.refused_locally), (100, 0));
        assert_eq!(stats.fleet_fallbacks, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_never_admits_more_than_rate_times_time_plus_burst() {
    let server = RedisServer::start();
    let ask = Ask {
        interval: Duration::from_millis(10),
        burst: 5,
        reserve: 0,
    };
    // Four processes, eight concurrent askers each, for 1.5 s; each admission is known to lie
    // between the moment its ask left and the moment its answer came back.
    let mut ledgers = Vec::new();
    for _ in 0..4 {
        let source = ReadyConnection(connection(&server.url()).await);
        let ledger: Arc<dyn FleetLedger> = Arc::new(RedisLedger::new(
            source,
            "test:",
            &scope("script-exact"),
            FLEET_TIMEOUT,
        ));
        ledgers.push(ledger);
    }
    let start = Instant::now();
    let end = start + Duration::from_millis(1_500);
    let admitted = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for ledger in &ledgers {
        for _ in 0..8 {
            let (ledger, admitted) = (Arc::clone(ledger), Arc::clone(&admitted));
            tasks.push(tokio::spawn(async move {
                while Instant::now() < end {
                    let sent = start.elapsed();
                    let reply = ledger.ask(ask).await.unwrap();
                    assert!((1..=4).contains(&reply.members));
                    match reply.verdict {
                        Verdict::Admitted => {
                            admitted.lock().unwrap().push((sent, start.elapsed()));
                        }
                        Verdict::RetryIn(wait) => tokio::time::sleep(wait).await,
                    }
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut admitted = admitted.lock().unwrap().clone();
    admitted.sort();
    for i in 0..admitted.len() {
        for j in i..admitted.len() {
            // Admissions i..=j happened within at most (answer of j) − (sending of i).
            let longest = admitted[j].1.saturating_sub(admitted[i].0).as_secs_f64();
            let allowed = 100.0 * longest + 5.0;
            assert!(
                (j - i + 1) as f64 <= allowed + 1e-9,
                "{} admissions within {longest} s",
                j - i + 1
            );
        }
    }
    // And the fleet used its budget: 150 slots in 1.5 s, plus the burst.
    assert!(admitted.len() >= 120, "{} admissions", admitted.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_pauses_the_whole_fleet() {
    let server = RedisServer::start();
    let limit = RateLimit::new(100.0, 5).unwrap();
    let budgets = fleet(&server, "fleet-hold", limit, 2).await;
    let admission = budgets[0]
        .admit(Priority::Interactive, Instant::now())
        .await
        .unwrap();
    budgets[0].on_response(&admission, 429, Some(Duration::from_millis(400)));
    // The hold goes to Redis off the caller's path.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = Instant::now();
    budgets[1]
        .admit(Priority::Interactive, start + Duration::from_secs(5))
        .await
        .unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "the other process went after {waited:?}"
    );
    // The process that saw the 429 paces at half the rate; the other does not know of it.
    assert_eq!(budgets[0].current_rate(), 50.0);
    assert_eq!(budgets[1].current_rate(), 100.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_calls_take_only_from_a_full_fleet_bucket() {
    let server = RedisServer::start();
    let limit = RateLimit::new(10.0, 5).unwrap();
    let budgets = fleet(&server, "fleet-background", limit, 2).await;
    let start = Instant::now();
    budgets[0]
        .admit(Priority::Interactive, start)
        .await
        .unwrap();
    // The other process's background call sees the slot owed.
    let refused = budgets[1]
        .admit(Priority::Background, Instant::now())
        .await
        .unwrap_err();
    assert_eq!(refused.because, RefusedBecause::NoSpareBudget);
    assert!(refused.retry_after <= Duration::from_millis(100));
    budgets[1]
        .admit(
            Priority::Background,
            Instant::now() + Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(90));
}

/// Log lines of this test binary.
fn captured() -> &'static Mutex<Vec<(log::Level, String)>> {
    struct Capture;
    static LINES: OnceLock<Mutex<Vec<(log::Level, String)>>> = OnceLock::new();
    impl log::Log for Capture {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.level() <= log::Level::Info
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                let lines = LINES.get_or_init(Default::default);
                let mut lines = lines.lock().unwrap_or_else(|e| e.into_inner());
                lines.push((record.level(), record.args().to_string()));
            }
        }
        fn flush(&self) {}
    }
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if log::set_logger(&Capture).is_ok() {
            log::set_max_level(log::LevelFilter::Info);
        }
    });
    LINES.get_or_init(Default::default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_each_process_keeps_its_share_and_says_so_once() {
    let lines = captured();
    let mut server = RedisServer::start();
    let limit = RateLimit::new(100.0, 8).unwrap();
    let budgets = fleet(&server, "fleet-down", limit, 4).await;
    let name = "test:rl:{".to_owned() + &scope("fleet-down").hex() + "}";
    // Each process asks twice: the second answers tell every one of them there are four.
    for _ in 0..2 {
        for budget in &budgets {
            budget
                .admit(
                    Priority::Interactive,
                    Instant::now() + Duration::from_secs(1),
                )
                .await
                .unwrap();
        }
    }
    server.stop();
    // One second of demand far above the limit: each process admits its share, 25/s with a
    // burst of 2, on its own.
    let start = Instant::now();
    let handles: Vec<_> = budgets
        .iter()
        .map(|budget| callers(budget, 200, start, Duration::from_secs(1)))
        .collect();
    for (budget, handles) in budgets.iter().zip(handles) {
        let mut admitted = Vec::new();
        for handle in handles {
            if let Ok(at) = handle.await.unwrap() {
                admitted.push(at);
            }
        }
        let last = admitted.iter().max().unwrap().as_secs_f64();
        let count = admitted.len() as f64;
        assert!(
            count <= 25.0 * last + 2.0 + 1.0,
            "{count} admissions in {last} s during the outage"
        );
        assert!(count >= 15.0, "only {count} admissions during the outage");
        assert_eq!(budget.stats().fleet_fallbacks, admitted.len() as u64);
        assert_eq!(budget.fleet_warnings(), 1);
    }
    let warnings = |lines: &[(log::Level, String)]| {
        lines
            .iter()
            .filter(|(level, line)| *level == log::Level::Warn && line.contains(&name))
            .cloned()
            .collect::<Vec<_>>()
    };
    let warned = warnings(&lines.lock().unwrap());
    assert_eq!(warned.len(), 4, "one warning per process: {warned:?}");
    assert!(
        warned[0]
            .1
            .contains("25.000 requests/s, 1/4 of 100 requests/s")
    );
    assert!(!warned[0].1.contains("DISTINCTIVE"));

    // Redis comes back: after the pause each process asks it again, without another warning.
    server.restart();
    let give_up = Instant::now() + Duration::from_secs(10);
    for budget in &budgets {
        loop {
            let before = budget.stats().fleet_fallbacks;
            budget
                .admit(
                    Priority::Interactive,
                    Instant::now() + Duration::from_secs(2),
                )
                .await
                .unwrap();
            if budget.stats().fleet_fallbacks == before {
                break;
            }
            assert!(Instant::now() < give_up, "Redis was never asked again");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(budget.fleet_warnings(), 1);
    }
    assert!(!server.cli(&["GET", &name]).trim().is_empty());
    let lines = lines.lock().unwrap();
    assert_eq!(warnings(&lines).len(), 4);
    let back = lines
        .iter()
        .filter(|(level, line)| *level == log::Level::Info && line.contains(&name))
        .count();
    assert_eq!(back, 4, "each process says Redis answers again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_keeps_the_budget_in_one_slot() {
    let cluster = RedisCluster::start();
    let nodes: Vec<String> = cluster.nodes.iter().map(|node| node.url()).collect();
    let connection = redis::cluster::ClusterClient::new(nodes)
        .unwrap()
        .get_async_connection()
        .await
        .unwrap();
    let budget = Budget::new(RateLimit::new(100.0, 5).unwrap(), scope("cluster"));
    assert!(budget.attach_redis(ReadyConnection(connection), "test:", Duration::from_secs(1)));
    let start = Instant::now();
    for _ in 0..20 {
        budget
            .admit(Priority::Interactive, start + Duration::from_secs(5))
            .await
            .unwrap();
    }
    // 20 slots at 100/s after a burst of 5.
    assert!(start.elapsed() >= Duration::from_millis(140));
    assert_eq!(budget.stats().fleet_fallbacks, 0);
    assert_eq!(budget.fleet_warnings(), 0);
}

//! A burst of calls under the usual open-file limit (a soft `RLIMIT_NOFILE` of 1,024): the
//! default `max_connections` leaves the process descriptors of its own during the burst, and
//! one second after it the idle connections kept are bounded by the idle default
//! (docs/contract.md §Options). The burst runs in a child process (this test binary again)
//! with the limit set; the emulator serves it from this process, whose descriptors do not count.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use refold_session::{Client, ClientOptions, RateLimitOptions};

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_descriptors_DISTINCTIVE_4f1a";
/// Set in the child: the emulator's base URL.
const CHILD: &str = "REFOLD_TEST_DESCRIPTORS_BASE_URL";
const TEST: &str = "a_burst_under_a_1024_file_limit_leaves_the_process_descriptors";
const SOFT_LIMIT: libc::rlim_t = 1_024;
const BURST: usize = 10_000;

#[test]
fn a_burst_under_a_1024_file_limit_leaves_the_process_descriptors() {
    if let Ok(base_url) = std::env::var(CHILD) {
        burst(&base_url);
        return;
    }
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = server.block_on(emulator::start(KEY));
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", TEST, "--nocapture", "--test-threads", "1"])
        .env(CHILD, emulator.base_url());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        child.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            limit.rlim_cur = SOFT_LIMIT.min(limit.rlim_max);
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout
        .lines()
        .find_map(|line| line.split_once("descriptors: ").map(|(_, report)| report))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"));
    println!("{report}");
    let numbers: HashMap<&str, usize> = report
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name, value.parse().unwrap()))
        .collect();
    let number = |name: &str| numbers[name];
    assert_eq!(number("soft_limit"), SOFT_LIMIT as usize, "{report}");
    assert_eq!(number("failed"), 0, "{report}");
    assert_eq!(number("default_max_connections"), 256, "{report}");
    assert!(number("file_opens") > 0, "{report}");
    assert_eq!(
        number("file_open_failures"),
        0,
        "the process could not open files during the burst: {report}"
    );
    assert!(
        number("peak_descriptors") <= SOFT_LIMIT as usize / 2,
        "descriptors open during the burst came near the limit: {report}"
    );
    assert!(
        number("sockets_after_1s") <= number("default_max_idle_connections"),
        "more idle connections than the idle default a second after the burst: {report}"
    );
    let requests = server.block_on(emulator::control(&emulator, "/__emulator/requests"));
    assert!(
        requests["count"].as_u64().unwrap() >= BURST as u64,
        "{requests}"
    );
    server.block_on(emulator.shutdown());
}

/// In the child: `BURST` calls at once against `base_url`, while a watcher counts this
/// process's descriptors and opens a file every few milliseconds; then the client's sockets
/// still open a second later. One line of `name=value` pairs on stdout.
fn burst(base_url: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The runtime's own sockets (its signal driver's pair): not the client's.
    let (_, sockets_before) = descriptors().unwrap();
    runtime.block_on(async {
        let client = Client::new(ClientOptions {
            api_key: Some(KEY.into()),
            base_url: Some(base_url.into()),
            timeout: Some(Duration::from_secs(120)),
            read_environment_variables: Some(false),
            rate_limit: Some(RateLimitOptions::Off),
            ..ClientOptions::default()
        })
        .unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicUsize::new(0));
        let peak_sockets = Arc::new(AtomicUsize::new(0));
        let opens = Arc::new(AtomicUsize::new(0));
        let open_failures = Arc::new(AtomicUsize::new(0));
        let watcher = {
            let (done, peak, peak_sockets) = (done.clone(), peak.clone(), peak_sockets.clone());
            let (opens, open_failures) = (opens.clone(), open_failures.clone());
            tokio::task::spawn_blocking(move || {
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(5));
                    // Listing /proc/self/fd opens a descriptor too: it fails like any open.
                    let Some((all, sockets)) = descriptors() else {
                        open_failures.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    peak.fetch_max(all, Ordering::Relaxed);
                    peak_sockets.fetch_max(sockets, Ordering::Relaxed);
                    match std::fs::File::open("/dev/null") {
                        Ok(_) => opens.fetch_add(1, Ordering::Relaxed),
                        Err(_) => open_failures.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        };
        let started = Instant::now();
        let calls: Vec<_> = (0..BURST)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .get_token_for_linked_account(&format!("fd-{i}"))
                        .await
                })
            })
            .collect();
        let mut failed = 0;
        for call in calls {
            if let Err(err) = call.await.unwrap() {
                failed += 1;
                eprintln!("{err}");
            }
        }
        let burst_ms = started.elapsed().as_millis();
        done.store(true, Ordering::Relaxed);
        watcher.await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (_, sockets_after) = descriptors().unwrap();
        let sockets_after = sockets_after - sockets_before;
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        println!(
            "descriptors: soft_limit={} burst={BURST} failed={failed} burst_ms={burst_ms} \
             peak_descriptors={} peak_sockets={} file_opens={} file_open_failures={} \
             sockets_after_1s={sockets_after} default_max_connections={} \
             default_max_idle_connections={}",
            limit.rlim_cur,
            peak.load(Ordering::Relaxed),
            peak_sockets.load(Ordering::Relaxed),
            opens.load(Ordering::Relaxed),
            open_failures.load(Ordering::Relaxed),
            refold_session::default_max_connections(),
            refold_session::default_max_idle_connections(),
        );
    });
}

/// The descriptors this process has open, and how many of them are sockets; `None` when the
/// list cannot be opened.
fn descriptors() -> Option<(usize, usize)> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut all = 0;
    let mut sockets = 0;
    for entry in entries.flatten() {
        all += 1;
        if std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        {
            sockets += 1;
        }
    }
    Some((all, sockets))
}

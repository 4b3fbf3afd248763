//! `REFOLD_LOG=<level>`: the library's spans (each as it closes, with its fields and times) and
//! its log lines on stderr, to see what a command did (its attempts, retries, the cache's
//! answer). Off when unset; never on stdout, which carries the command's answer.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

pub fn init() {
    let Some(value) = std::env::var_os("REFOLD_LOG") else {
        return;
    };
    let level = match value.to_string_lossy().trim().to_ascii_lowercase().as_str() {
        "" | "off" => return,
        "error" => LevelFilter::ERROR,
        "warn" => LevelFilter::WARN,
        "info" => LevelFilter::INFO,
        "debug" => LevelFilter::DEBUG,
        "trace" => LevelFilter::TRACE,
        _ => {
            eprintln!(
                "warning: REFOLD_LOG is not one of error, warn, info, debug, trace, off; ignored"
            );
            return;
        }
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE);
    // Only the library's own spans and lines, not the transport's. With `tracing-log`, this
    // also forwards the `log` lines.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(Targets::new().with_target("refold_session", level))
        .try_init();
}

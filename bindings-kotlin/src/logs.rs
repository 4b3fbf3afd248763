//! The core's `log` lines, forwarded to the JVM: `NativeFast.log(int, String)`, which the
//! Kotlin layer (`Logs.kt`) hands to SLF4J's logger `ai.refold.session`. Installed once per
//! process by `NativeFast.installLogger` (only when SLF4J is on the classpath); lines of other
//! crates (the TLS and HTTP stacks) are not forwarded. The core's lines never hold a secret.

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::fast;

struct JvmLog;

/// The lines forwarded: the core's own.
const TARGET: &str = "refold_session";

impl Log for JvmLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with(TARGET)
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            // The level as SLF4J's `Level.toInt()` spells it.
            let level = match record.level() {
                Level::Error => 40,
                Level::Warn => 30,
                Level::Info => 20,
                Level::Debug => 10,
                Level::Trace => 0,
            };
            fast::deliver_log(level, &record.args().to_string());
        }
    }

    fn flush(&self) {}
}

/// Installs the forwarder at `max` (0 trace … 40 error, SLF4J's numbers); false if another
/// logger was installed first.
pub(crate) fn install(max: i32) -> bool {
    let filter = match max {
        i32::MIN..=0 => LevelFilter::Trace,
        1..=10 => LevelFilter::Debug,
        11..=20 => LevelFilter::Info,
        21..=30 => LevelFilter::Warn,
        31..=40 => LevelFilter::Error,
        _ => LevelFilter::Off,
    };
    let installed = log::set_logger(&JvmLog).is_ok();
    if installed {
        log::set_max_level(filter);
    }
    installed
}

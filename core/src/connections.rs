//! How many connections a client may hold and for how long (docs/contract.md §Options,
//! §Limits): the bounds of the two count options, and their defaults, derived once per process
//! from its open-file limit so that a burst of calls leaves the host descriptors of its own.

use std::sync::OnceLock;
use std::time::Duration;

/// The most `max_connections` defaults to; see [`default_max_connections`] for the default
/// itself, which is lower when the process may open few files.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_024;
/// The most `max_idle_connections` defaults to; see [`default_max_idle_connections`].
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 1_024;
/// How long an idle connection is kept: below the keep-alive timeouts of common load
/// balancers (60 s and more), so reusing one the server is closing is rare.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Connect timeout (part of each attempt).
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The defaults take at most this share of the open-file limit (1/4).
const SHARE_OF_OPEN_FILE_LIMIT: u64 = 4;
/// The defaults never go below this, however low the open-file limit.
const MIN_DEFAULT_CONNECTIONS: usize = 16;

/// The default of `max_connections`: a quarter of the process's soft open-file limit
/// (`RLIMIT_NOFILE`), from 16 to [`DEFAULT_MAX_CONNECTIONS`]; the ceiling where there is no
/// such limit. Read once, by the first client of the process.
pub fn default_max_connections() -> usize {
    connection_default()
}

/// The default of `max_idle_connections`: the same number as [`default_max_connections`], so
/// a burst's connections can all stay for the next one.
pub fn default_max_idle_connections() -> usize {
    connection_default()
}

fn connection_default() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| derive_default(open_file_limit()))
}

/// The default for a soft open-file limit of `limit` (`None`: unlimited or unknown).
fn derive_default(limit: Option<u64>) -> usize {
    match limit {
        Some(limit) => usize::try_from(limit / SHARE_OF_OPEN_FILE_LIMIT)
            .unwrap_or(usize::MAX)
            .clamp(MIN_DEFAULT_CONNECTIONS, DEFAULT_MAX_CONNECTIONS),
        None => DEFAULT_MAX_CONNECTIONS,
    }
}

/// The soft `RLIMIT_NOFILE` of this process, if it has a finite one.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (read == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_of_the_limit_between_the_floor_and_the_ceiling() {
        assert_eq!(derive_default(Some(1_024)), 256);
        assert_eq!(derive_default(Some(256)), 64);
        assert_eq!(derive_default(Some(20)), MIN_DEFAULT_CONNECTIONS);
        assert_eq!(derive_default(Some(0)), MIN_DEFAULT_CONNECTIONS);
        assert_eq!(derive_default(Some(1_048_576)), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(derive_default(Some(u64::MAX)), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(derive_default(None), DEFAULT_MAX_CONNECTIONS);
    }

    #[test]
    fn the_defaults_are_read_once_and_agree() {
        let connections = default_max_connections();
        assert!((MIN_DEFAULT_CONNECTIONS..=DEFAULT_MAX_CONNECTIONS).contains(&connections));
        assert_eq!(default_max_idle_connections(), connections);
        assert_eq!(default_max_connections(), connections);
    }
}

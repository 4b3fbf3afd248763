//! The one table of options (docs/contract.md §Options): every option a client, its cache, its
//! fleet store and a call take, with its kind, bounds, environment variables and default.
//! Rust's typed options, every host's reader (`host`), `describe()` and the generated stubs
//! are all read from here.

/// Most retries accepted: a caller's number never sizes an unbounded loop.
pub const MAX_RETRIES_LIMIT: u64 = 100;
/// Longest duration any option accepts (about 31 years): beyond it the number is surely a
/// mistake.
pub const MAX_DURATION_SECONDS: f64 = 1e9;
/// Most accounts a cache may be configured to keep.
pub const MAX_CACHE_ENTRIES: u64 = 10_000_000;
/// Longest `min_remaining` / `refresh_ahead`: a day, the older tokens' whole life.
pub const MAX_CACHE_WINDOW_SECONDS: f64 = 86_400.0;
/// Longest time a Redis call may be given.
pub const MAX_STORE_TIMEOUT_SECONDS: f64 = 60.0;
/// Most idle connections per host (and connections in flight) a client may keep.
pub const MAX_CONNECTIONS_OPTION: u64 = 10_000;
/// Fastest request budget a client may be configured with, per second.
pub const MAX_RATE_LIMIT_PER_SECOND: u64 = 100_000;
/// Largest burst a request budget may be configured with.
pub const MAX_RATE_LIMIT_BURST: u64 = 10_000;

/// What an option holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptionKind {
    /// Text.
    Text,
    /// Text that is a secret: never shown, redacted in every string form.
    Secret,
    /// One of these names, case-insensitive.
    Choice(&'static [&'static str]),
    /// A list of secrets; `one` is the name that takes a single one instead (not both).
    SecretList { one: &'static str },
    /// A whole number from `min` to `max`.
    Count { min: u64, max: u64 },
    /// A length of time below `max_seconds`, zero allowed or not.
    Duration { allow_zero: bool, max_seconds: f64 },
    /// `true` or `false`.
    Bool,
    /// Nested options (`record` is its type's name); `true` turns it on with its defaults.
    Table {
        record: &'static str,
        rows: &'static [OptionSpec],
    },
}

/// One option.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptionSpec {
    /// Its canonical snake_case name within its table (`min_remaining`).
    pub name: &'static str,
    pub kind: OptionKind,
    /// Environment variables an unset value is read from, in order.
    pub env: &'static [&'static str],
    /// What an unset option (and no environment variable) means.
    pub default: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
}

/// Another name a host accepts for an option (the official Node SDK's spellings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionAlias {
    /// The dialect that accepts it (`Dialect::name`).
    pub dialect: &'static str,
    /// The name as that host writes it.
    pub name: &'static str,
    /// The canonical option it stands for, when the option itself is absent.
    pub of: &'static str,
    /// `Some(value)`: the alias is a flag; `true` sets the option to `value`, anything else is
    /// ignored. `None`: it takes the option's value.
    pub sets: Option<&'static str>,
}

/// The environments, in the order messages list them.
pub const ENVIRONMENTS: &[&str] = &["production", "sandbox", "staging"];

/// The fleet store's options (`cache.store`).
pub const STORE_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "redis_url",
        kind: OptionKind::Secret,
        env: &["REFOLD_CACHE_REDIS_URL"],
        default: "REFOLD_CACHE_REDIS_URL",
        summary: "redis://, rediss:// (TLS), or a cluster: redis+cluster://host1:port,host2:port",
    },
    OptionSpec {
        name: "encryption_keys",
        kind: OptionKind::SecretList {
            one: "encryption_key",
        },
        env: &["REFOLD_CACHE_ENCRYPTION_KEY"],
        default: "REFOLD_CACHE_ENCRYPTION_KEY (comma-separated)",
        summary: "base64 32-byte keys; the first encrypts, every one is tried (rotation)",
    },
    OptionSpec {
        name: "key_prefix",
        kind: OptionKind::Text,
        env: &[],
        default: "refold:",
        summary: "prefix of every Redis key the client writes",
    },
    OptionSpec {
        name: "timeout",
        kind: OptionKind::Duration {
            allow_zero: false,
            max_seconds: MAX_STORE_TIMEOUT_SECONDS,
        },
        env: &[],
        default: "250 ms",
        summary: "time each Redis call gets before the call falls back to a direct mint",
    },
];

/// The session cache's options (`cache`).
pub const CACHE_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "max_entries",
        kind: OptionKind::Count {
            min: 1,
            max: MAX_CACHE_ENTRIES,
        },
        env: &[],
        default: "10000",
        summary: "accounts kept; the least recently used leaves first",
    },
    OptionSpec {
        name: "min_remaining",
        kind: OptionKind::Duration {
            allow_zero: true,
            max_seconds: MAX_CACHE_WINDOW_SECONDS,
        },
        env: &[],
        default: "1 h",
        summary: "a cached token is returned only with more life left than this",
    },
    OptionSpec {
        name: "refresh_ahead",
        kind: OptionKind::Duration {
            allow_zero: true,
            max_seconds: MAX_CACHE_WINDOW_SECONDS,
        },
        env: &[],
        default: "2 h (at least min_remaining)",
        summary: "a hit with less life left starts one background refresh",
    },
    OptionSpec {
        name: "store",
        kind: OptionKind::Table {
            record: "StoreOptions",
            rows: STORE_OPTIONS,
        },
        env: &[],
        default: "off (this process only)",
        summary: "the fleet-wide second level on Redis",
    },
];

/// The request budget's options (`rate_limit`; docs/contract.md §Rate limit).
pub const RATE_LIMIT_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "requests_per_second",
        kind: OptionKind::Count {
            min: 1,
            max: MAX_RATE_LIMIT_PER_SECOND,
        },
        env: &[],
        default: "20",
        summary: "requests sent per second on average (Refold documents 20)",
    },
    OptionSpec {
        name: "burst",
        kind: OptionKind::Count {
            min: 1,
            max: MAX_RATE_LIMIT_BURST,
        },
        env: &[],
        default: "5",
        summary: "requests sent at once after a quiet spell (Refold documents 5)",
    },
];

/// The client's options, in the order their problems are reported.
pub const CLIENT_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "api_key",
        kind: OptionKind::Secret,
        env: &["REFOLD_API_KEY", "COBALT_API_KEY"],
        default: "REFOLD_API_KEY, then COBALT_API_KEY",
        summary: "the organisation's API key, sent as x-api-key",
    },
    OptionSpec {
        name: "environment",
        kind: OptionKind::Choice(ENVIRONMENTS),
        env: &["REFOLD_ENVIRONMENT"],
        default: "production",
        summary: "the deployment whose URL requests go to",
    },
    OptionSpec {
        name: "base_url",
        kind: OptionKind::Text,
        env: &["REFOLD_BASE_URL"],
        default: "the environment's URL (production: https://app.refold.ai)",
        summary: "overrides the environment: https://, or http:// to a loopback host",
    },
    OptionSpec {
        name: "timeout",
        kind: OptionKind::Duration {
            allow_zero: false,
            max_seconds: MAX_DURATION_SECONDS,
        },
        env: &[],
        default: "30 s",
        summary: "per attempt: connect, response head and the whole body",
    },
    OptionSpec {
        name: "max_retries",
        kind: OptionKind::Count {
            min: 0,
            max: MAX_RETRIES_LIMIT,
        },
        env: &[],
        default: "2",
        summary: "retries of transient failures after the first attempt",
    },
    OptionSpec {
        name: "max_idle_connections",
        kind: OptionKind::Count {
            min: 0,
            max: MAX_CONNECTIONS_OPTION,
        },
        env: &[],
        default: "a quarter of the open-file limit, 16 to 1024",
        summary: "idle connections kept per host; 0 closes each after use",
    },
    OptionSpec {
        name: "max_connections",
        kind: OptionKind::Count {
            min: 1,
            max: MAX_CONNECTIONS_OPTION,
        },
        env: &[],
        default: "a quarter of the open-file limit, 16 to 1024",
        summary: "requests in flight to the host at once; calls beyond it wait",
    },
    OptionSpec {
        name: "cache",
        kind: OptionKind::Table {
            record: "CacheOptions",
            rows: CACHE_OPTIONS,
        },
        env: &[],
        default: "off (every call mints, as the official SDK does)",
        summary: "the session cache",
    },
    OptionSpec {
        name: "rate_limit",
        kind: OptionKind::Table {
            record: "RateLimitOptions",
            rows: RATE_LIMIT_OPTIONS,
        },
        env: &["REFOLD_RATE_LIMIT"],
        default: "REFOLD_RATE_LIMIT (off, or RATE/s[,BURST] as the emulator's --rate-limit), else \
                  20 requests/s with bursts of 5",
        summary: "the budget every request waits for, shared per API key and base URL (fleet-wide \
                  with a Redis store); false turns it off",
    },
    OptionSpec {
        name: "read_environment_variables",
        kind: OptionKind::Bool,
        env: &[],
        default: "true",
        summary: "whether unset options are read from REFOLD_* environment variables",
    },
    OptionSpec {
        name: "telemetry",
        kind: OptionKind::Bool,
        env: &[],
        default: "true",
        summary: "whether calls are recorded as spans and metrics of the host's OpenTelemetry (Rust: tracing) when it is installed",
    },
    OptionSpec {
        name: "telemetry_linked_account_id",
        kind: OptionKind::Bool,
        env: &[],
        default: "false",
        summary: "whether those spans name the call's linked account",
    },
];

/// The options every call takes (the token call reads `fresh`; the others ignore it).
pub const REQUEST_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "timeout",
        kind: OptionKind::Duration {
            allow_zero: false,
            max_seconds: MAX_DURATION_SECONDS,
        },
        env: &[],
        default: "the client's",
        summary: "this call's per-attempt timeout",
    },
    OptionSpec {
        name: "max_retries",
        kind: OptionKind::Count {
            min: 0,
            max: MAX_RETRIES_LIMIT,
        },
        env: &[],
        default: "the client's",
        summary: "this call's retries after the first attempt",
    },
    OptionSpec {
        name: "fresh",
        kind: OptionKind::Bool,
        env: &[],
        default: "false",
        summary: "the token call: bypass the cache and have Refold mint a new token (force_refresh)",
    },
    OptionSpec {
        name: "traceparent",
        kind: OptionKind::Text,
        env: &[],
        default: "none",
        summary: "a W3C traceparent sent on each attempt, so the call joins the caller's trace",
    },
];

/// The arguments of a list call.
pub const PAGE_ARGUMENTS: &[OptionSpec] = &[
    OptionSpec {
        name: "page",
        kind: OptionKind::Count {
            min: 1,
            max: u32::MAX as u64,
        },
        env: &[],
        default: "1",
        summary: "the page, from 1",
    },
    OptionSpec {
        name: "limit",
        kind: OptionKind::Count { min: 1, max: 100 },
        env: &[],
        default: "10",
        summary: "accounts per page",
    },
];

/// The client options' other names.
pub const CLIENT_ALIASES: &[OptionAlias] = &[
    OptionAlias {
        dialect: "node",
        name: "server_url",
        of: "base_url",
        sets: None,
    },
    OptionAlias {
        dialect: "node",
        name: "sandbox",
        of: "environment",
        sets: Some("sandbox"),
    },
];

/// The per-call options' other names.
pub const REQUEST_ALIASES: &[OptionAlias] = &[OptionAlias {
    dialect: "node",
    name: "timeout",
    of: "timeout",
    sets: None,
}];

/// An option holding one of a host's own objects (Node's `AbortSignal`, its logger): that host
/// takes it out of the options and checks it itself, since the core cannot read the object; the
/// core declares it (`describe()`, the generated declarations) and words its problem
/// (`host::host_object_error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostObjectOption {
    /// The dialect whose host takes it (`Dialect::name`).
    pub dialect: &'static str,
    /// The table it is a member of: `client` or `request`.
    pub table: &'static str,
    /// Its name, as that host spells it.
    pub name: &'static str,
    /// Its type in that host's declarations.
    pub host_type: &'static str,
    /// What it must be, in "`name` must be …".
    pub expects: &'static str,
    /// What it does.
    pub summary: &'static str,
}

/// Every host-object option.
pub const HOST_OBJECT_OPTIONS: &[HostObjectOption] = &[
    HostObjectOption {
        dialect: "node",
        table: "client",
        name: "logger",
        host_type: "Logger",
        expects: "an object with debug, info, warn and error methods (console, pino, winston)",
        summary: "receives the library's log lines (retries, store fallbacks, refresh failures): \
                  any object with `debug`, `info`, `warn` and `error` methods (`console`, pino, \
                  winston); lines from REFOLD_LOG's level, else `warn`; never a secret in a line",
    },
    HostObjectOption {
        dialect: "node",
        table: "request",
        name: "signal",
        host_type: "AbortSignal",
        expects: "an AbortSignal",
        summary: "cancels the call when aborted: before sending, nothing is sent; during a \
                  request, it is closed; either way the call rejects with `AbortError` (`code: \
                  'aborted'`); a cache hit ignores it",
    },
];

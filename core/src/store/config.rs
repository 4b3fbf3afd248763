//! The fleet store's settings: the options as the host gives them, and their checked form
//! (the Redis topology, the encryption keys, the key prefix, the timeout).

use std::fmt;
use std::time::Duration;

use base64::Engine as _;

use crate::error::Error;
use crate::redact::{REDACTED, clean_line};
use crate::time::HostDuration;
use crate::validate::checked_duration;

/// Each Redis call gets this long unless configured.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_millis(250);
/// The key prefix unless configured.
pub const DEFAULT_KEY_PREFIX: &str = "refold:";
/// Longest time a Redis call may be given.
const MAX_STORE_TIMEOUT_SECONDS: f64 = 60.0;

/// The store's settings as the host gives them; unset ones come from
/// `REFOLD_CACHE_REDIS_URL` / `REFOLD_CACHE_ENCRYPTION_KEY`.
#[derive(Clone, Default, PartialEq)]
pub struct StoreOptions {
    /// `redis://…`, `rediss://…` (TLS), or a cluster: `redis+cluster://host1:port,host2:port`
    /// (or `rediss+cluster://…`), or node URLs separated by commas.
    pub redis_url: Option<String>,
    /// Base64 32-byte keys: the first encrypts and names entries; every one is tried when
    /// reading (rotation). Empty: `REFOLD_CACHE_ENCRYPTION_KEY` (comma-separated for several).
    pub encryption_keys: Vec<String>,
    /// Prefix of every key this client writes (default `refold:`).
    pub key_prefix: Option<String>,
    /// Time allowed to each Redis call before falling back (default 250 ms).
    pub timeout: Option<HostDuration>,
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field(
                "redis_url",
                &self.redis_url.as_ref().map(|url| redact_url(url)),
            )
            .field(
                "encryption_keys",
                &format!("[{} redacted]", self.encryption_keys.len()),
            )
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A Redis URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((scheme_and_user, host)) => match scheme_and_user.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://{}@{host}", REDACTED),
            None => REDACTED.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Where Redis is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Topology {
    Single(String),
    Cluster(Vec<String>),
}

/// The store's settings after validation.
#[derive(Clone)]
pub(crate) struct StoreConfig {
    pub topology: Topology,
    pub keys: Vec<[u8; 32]>,
    pub prefix: String,
    pub timeout: Duration,
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("prefix", &self.prefix)
            .field("keys", &self.keys.len())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PartialEq for StoreConfig {
    fn eq(&self, other: &Self) -> bool {
        self.topology == other.topology
            && self.keys == other.keys
            && self.prefix == other.prefix
            && self.timeout == other.timeout
    }
}

/// Checks the store options, filling unset ones from the environment when `read_env`.
pub(crate) fn resolve_store(options: StoreOptions, read_env: bool) -> Result<StoreConfig, Error> {
    let env = |name: &str| {
        read_env
            .then(|| std::env::var(name).ok())
            .flatten()
            .filter(|value| !value.trim().is_empty())
    };
    let url = options
        .redis_url
        .or_else(|| env("REFOLD_CACHE_REDIS_URL"))
        .ok_or_else(|| {
            Error::configuration(
                "The cache store needs a Redis URL: pass one or set REFOLD_CACHE_REDIS_URL.",
            )
        })?;
    let topology = topology(&url)?;
    let keys = if options.encryption_keys.is_empty() {
        env("REFOLD_CACHE_ENCRYPTION_KEY")
            .map(|keys| keys.split(',').map(|key| key.trim().to_owned()).collect())
            .unwrap_or_default()
    } else {
        options.encryption_keys
    };
    if keys.is_empty() {
        return Err(Error::configuration(
            "The cache store needs an encryption key: pass one or set \
             REFOLD_CACHE_ENCRYPTION_KEY (32 random bytes in base64, e.g. \
             `openssl rand -base64 32`).",
        ));
    }
    let keys = keys
        .iter()
        .enumerate()
        .map(|(index, key)| decode_key(index, key))
        .collect::<Result<Vec<_>, _>>()?;
    let prefix = options
        .key_prefix
        .unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
    if prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::configuration(
            "The cache store's key prefix must be at most 64 printable ASCII characters \
             without spaces.",
        ));
    }
    let timeout = match options.timeout {
        None => DEFAULT_STORE_TIMEOUT,
        Some(value) => checked_duration(
            "The cache store's timeout",
            value,
            false,
            Some(MAX_STORE_TIMEOUT_SECONDS),
        )?,
    };
    Ok(StoreConfig {
        topology,
        keys,
        prefix,
        timeout,
    })
}

fn topology(url: &str) -> Result<Topology, Error> {
    let shown = redact_url(&clean_line(url, 120));
    let bad = |why: &str| Error::configuration(format!("The Redis URL \"{shown}\" {why}."));
    let url = url.trim();
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("redis+cluster://") {
        ("redis", rest)
    } else if let Some(rest) = url.strip_prefix("rediss+cluster://") {
        ("rediss", rest)
    } else if url.contains(',') {
        let nodes: Vec<String> = url.split(',').map(|node| node.trim().to_owned()).collect();
        for node in &nodes {
            check_node(node).map_err(|why| bad(&why))?;
        }
        return Ok(Topology::Cluster(nodes));
    } else {
        check_node(url).map_err(|why| bad(&why))?;
        return Ok(Topology::Single(url.to_owned()));
    };
    // redis+cluster://[user:pass@]host1:port,host2:port[/db]: one URL per node.
    let (credentials, hosts) = match rest.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), rest),
    };
    let nodes: Vec<String> = hosts
        .split(',')
        .map(|host| format!("{scheme}://{credentials}{}", host.trim()))
        .collect();
    for node in &nodes {
        check_node(node).map_err(|why| bad(&why))?;
    }
    Ok(Topology::Cluster(nodes))
}

fn check_node(url: &str) -> Result<(), String> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err("must start with redis://, rediss:// or redis+cluster://".to_owned());
    }
    redis::parse_redis_url(url)
        .map(|_| ())
        .ok_or_else(|| "is not a valid Redis URL".to_owned())
}

fn decode_key(index: usize, key: &str) -> Result<[u8; 32], Error> {
    let which = if index == 0 {
        "The cache store's encryption key".to_owned()
    } else {
        format!("Encryption key number {}", index + 1)
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .map_err(|_| Error::configuration(format!("{which} is not valid base64.")))?;
    bytes.try_into().map_err(|bytes: Vec<u8>| {
        Error::configuration(format!(
            "{which} decodes to {} bytes; it must be 32 (e.g. `openssl rand -base64 32`).",
            bytes.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn options_are_checked_and_never_echo_secrets() {
        let bad = |options: StoreOptions| resolve_store(options, false).unwrap_err();
        let url = Some("redis://127.0.0.1:6379".to_owned());
        for options in [
            StoreOptions::default(),
            StoreOptions {
                redis_url: url.clone(),
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: url.clone(),
                encryption_keys: vec!["c2hvcnQ=".into()],
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: url.clone(),
                encryption_keys: vec!["not base64!!".into()],
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: Some("http://x".into()),
                encryption_keys: vec![KEY_A.into()],
                ..StoreOptions::default()
            },
            StoreOptions {
                redis_url: url.clone(),
                encryption_keys: vec![KEY_A.into()],
                key_prefix: Some("has space".into()),
                ..StoreOptions::default()
            },
        ] {
            let err = bad(options);
            assert_eq!(err.code(), ErrorCode::Configuration);
            assert!(!err.message().contains(KEY_A));
        }
        let options = StoreOptions {
            redis_url: Some("redis://:s3cretpw@127.0.0.1:6379".into()),
            encryption_keys: vec![KEY_A.into()],
            ..StoreOptions::default()
        };
        assert!(!format!("{options:?}").contains("s3cretpw"));
        assert!(!format!("{options:?}").contains(KEY_A));
    }

    #[test]
    fn cluster_urls_name_every_node() {
        assert_eq!(
            topology("redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001").unwrap(),
            Topology::Cluster(vec![
                "redis://:pw@127.0.0.1:7000".into(),
                "redis://:pw@127.0.0.1:7001".into()
            ])
        );
        assert_eq!(
            topology("redis://127.0.0.1:7000,redis://127.0.0.1:7001").unwrap(),
            Topology::Cluster(vec![
                "redis://127.0.0.1:7000".into(),
                "redis://127.0.0.1:7001".into()
            ])
        );
        assert_eq!(
            topology("rediss://h:6380").unwrap(),
            Topology::Single("rediss://h:6380".into())
        );
    }
}

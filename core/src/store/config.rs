//! The fleet store's settings: their checked form (the Redis topology, the encryption keys,
//! the key prefix, the timeout), filled from the environment where unset.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;

use crate::error::Error;
use crate::redact::{REDACTED, clean_line};

/// Each Redis call gets this long unless configured.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_millis(250);
/// The key prefix unless configured.
pub const DEFAULT_KEY_PREFIX: &str = "refold:";

/// The store's options as given (types and the timeout already checked by the options);
/// unset ones come from `REFOLD_CACHE_REDIS_URL` / `REFOLD_CACHE_ENCRYPTION_KEY`.
pub(crate) struct StoreSettings {
    pub redis_url: Option<String>,
    pub encryption_keys: Vec<String>,
    pub key_prefix: Option<String>,
    pub timeout: Duration,
}

/// A Redis URL without its password, for messages.
pub(crate) fn redact_url(url: &str) -> String {
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
pub(crate) fn resolve_store(options: StoreSettings, read_env: bool) -> Result<StoreConfig, Error> {
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
    let timeout = options.timeout;
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

    fn settings(url: Option<&str>, keys: &[&str], prefix: Option<&str>) -> StoreSettings {
        StoreSettings {
            redis_url: url.map(str::to_owned),
            encryption_keys: keys.iter().map(|key| (*key).to_owned()).collect(),
            key_prefix: prefix.map(str::to_owned),
            timeout: DEFAULT_STORE_TIMEOUT,
        }
    }

    #[test]
    fn options_are_checked_and_never_echo_secrets() {
        let url = Some("redis://:s3cretpw@127.0.0.1:6379");
        for options in [
            settings(None, &[], None),
            settings(url, &[], None),
            settings(url, &["c2hvcnQ="], None),
            settings(url, &["not base64!!"], None),
            settings(Some("http://:s3cretpw@x"), &[KEY_A], None),
            settings(url, &[KEY_A], Some("has space")),
        ] {
            let err = resolve_store(options, false).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Configuration);
            assert!(!err.message().contains(KEY_A), "{}", err.message());
            assert!(!err.message().contains("s3cretpw"), "{}", err.message());
        }
        let config = resolve_store(settings(url, &[KEY_A], None), false).unwrap();
        assert!(!format!("{config:?}").contains("s3cretpw"));
        assert_eq!(config.prefix, DEFAULT_KEY_PREFIX);
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

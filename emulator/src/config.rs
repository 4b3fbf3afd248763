//! Settings of an emulator instance.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

/// The API key accepted when [`EmulatorConfig::api_keys`] is empty.
pub const DEFAULT_API_KEY: &str = "emulator-key";
/// The address used by [`EmulatorConfig::default`].
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8787);

/// How an [`Emulator`](crate::Emulator) behaves.
///
/// All fields are public so callers (the CLI, tests) can fill them in directly;
/// start from [`EmulatorConfig::default`] and override what matters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// Where to listen. Must be a loopback address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Accepted `x-api-key` values. Empty means `["emulator-key"]`.
    pub api_keys: Vec<String>,
    /// Linked accounts known from the start (more can be created over HTTP).
    pub linked_accounts: Vec<String>,
    /// Accept every linked account id, known or not.
    pub any_linked_account: bool,
    /// The `org_id` claim of minted tokens.
    pub org_id: String,
    /// The HMAC-SHA256 key that signs minted tokens.
    pub signing_secret: Vec<u8>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR,
            api_keys: Vec::new(),
            linked_accounts: Vec::new(),
            any_linked_account: false,
            org_id: "emulator-org".to_owned(),
            signing_secret: b"refold-emulator-secret".to_vec(),
        }
    }
}

impl EmulatorConfig {
    /// Rejects settings the server must never run with.
    pub(crate) fn validate(&self) -> io::Result<()> {
        // The control plane has no authentication, so it must not be reachable
        // from other machines.
        if !self.addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the emulator only binds loopback addresses, not {}",
                    self.addr
                ),
            ));
        }
        if self.api_keys.iter().any(String::is_empty) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an API key must not be empty",
            ));
        }
        Ok(())
    }

    /// The accepted keys, with the default applied.
    pub(crate) fn effective_api_keys(&self) -> Vec<String> {
        if self.api_keys.is_empty() {
            vec![DEFAULT_API_KEY.to_owned()]
        } else {
            self.api_keys.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_loopback_8787_with_default_key() {
        let config = EmulatorConfig::default();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8787");
        assert!(config.validate().is_ok());
        assert_eq!(config.effective_api_keys(), vec!["emulator-key".to_owned()]);
    }

    #[test]
    fn non_loopback_is_rejected() {
        let config = EmulatorConfig {
            addr: "0.0.0.0:0".parse().unwrap(),
            ..EmulatorConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("loopback"));
    }

    #[test]
    fn ipv6_loopback_is_accepted() {
        let config = EmulatorConfig {
            addr: "[::1]:0".parse().unwrap(),
            ..EmulatorConfig::default()
        };
        assert!(config.validate().is_ok());
    }
}

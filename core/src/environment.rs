//! The Refold deployments a client can talk to (docs/contract.md §Wire protocol).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A Refold deployment. Refold tells its test and production environments apart by the API
/// key (`tk…` / `pk…`), not by host: both are `production`'s URL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Environment {
    #[default]
    Production,
    Sandbox,
    Staging,
}

impl Environment {
    /// The lower-case name used in options and `REFOLD_ENVIRONMENT`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
            Environment::Staging => "staging",
        }
    }

    /// The API base URL of this deployment. Production is Refold's documented host; sandbox
    /// and staging are the official Node SDK's hosts, which Refold does not document
    /// (docs/contract.md §Wire protocol).
    pub const fn base_url(self) -> &'static str {
        match self {
            Environment::Production => "https://app.refold.ai",
            Environment::Sandbox => "https://embedapi.gocobalt.io",
            Environment::Staging => "https://sapis.gocobalt.io",
        }
    }
}

impl FromStr for Environment {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        match name.trim().to_ascii_lowercase().as_str() {
            "production" => Ok(Environment::Production),
            "sandbox" => Ok(Environment::Sandbox),
            "staging" => Ok(Environment::Staging),
            _ => Err(Error::configuration(format!(
                "Unknown environment \"{}\"; use production, sandbox or staging.",
                crate::redact::clean_line(name, 40)
            ))),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Environment {
    /// From its name, as [`Environment::from_str`] reads it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse()
            .map_err(|err: Error| serde::de::Error::custom(err.message()))
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn names_parse_loosely_and_print_canonically() {
        assert_eq!(
            " Sandbox ".parse::<Environment>().unwrap(),
            Environment::Sandbox
        );
        assert_eq!(Environment::Staging.to_string(), "staging");
        let err = "moon".parse::<Environment>().unwrap_err();
        assert_eq!(err.code(), ErrorCode::Configuration);
        assert!(err.message().contains("\"moon\""), "{}", err.message());
    }
}

//! A secret option value (the API key, a Redis URL with its password, an encryption key):
//! text that no `Debug` output shows and that is overwritten in memory when dropped. Through
//! uniffi it crosses as UTF-8 bytes, so the generated Kotlin data classes never print it.

use std::fmt;

use crate::redact::REDACTED;

/// Text to keep out of every string form; read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The text itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Secret {
        Secret(text)
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Secret {
        Secret(text.to_owned())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

// Bytes, not a string: uniffi's Kotlin records are data classes whose `toString()` prints
// every string field, while a `ByteArray` prints no content. The Kotlin layer sends UTF-8.
#[cfg(feature = "uniffi")]
uniffi::custom_type!(Secret, Vec<u8>, {
    lower: |secret| secret.0.as_bytes().to_vec(),
    try_lift: |bytes| Ok(Secret(String::from_utf8(bytes)?)),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shown() {
        let secret = Secret::from("sk_DISTINCTIVE");
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(secret.expose(), "sk_DISTINCTIVE");
        let read: Secret = serde_json::from_str("\"k\"").unwrap();
        assert_eq!(read, Secret::new("k"));
    }
}

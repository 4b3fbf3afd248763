//! The W3C trace context a call carries: checked when given, sent on every attempt.

use std::fmt;

/// A W3C `traceparent` (version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`),
/// sent on every attempt of the call that carries it so the server's spans join the host's
/// trace. Lower-case hex; an all-zero trace or parent id is invalid, as the standard says.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent([u8; TraceParent::LEN]);

impl TraceParent {
    const LEN: usize = 55;

    /// `text` as a traceparent, else `invalid_input` (its content is not quoted).
    pub fn parse(text: &str) -> Result<TraceParent, crate::error::Error> {
        let bytes = text.as_bytes();
        let hex = |range: std::ops::Range<usize>| {
            bytes[range]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        };
        let zero = |range: std::ops::Range<usize>| bytes[range].iter().all(|b| *b == b'0');
        let valid = bytes.len() == Self::LEN
            && bytes.starts_with(b"00-")
            && bytes[35] == b'-'
            && bytes[52] == b'-'
            && hex(3..35)
            && hex(36..52)
            && hex(53..55)
            && !zero(3..35)
            && !zero(36..52);
        if !valid {
            return Err(crate::error::Error::invalid_input(
                "traceparent must be a W3C traceparent of version 00 \
                 (00-<32 hex>-<16 hex>-<2 hex>, lower case, ids not all zero).",
            ));
        }
        let mut out = [0u8; Self::LEN];
        out.copy_from_slice(bytes);
        Ok(TraceParent(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("checked ASCII")
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TraceParent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TraceParent::parse(&text).map_err(|error| serde::de::Error::custom(error.message()))
    }
}

#[cfg(feature = "uniffi")]
uniffi::custom_type!(TraceParent, String, {
    try_lift: |text| TraceParent::parse(&text)
        .map_err(|error| uniffi::deps::anyhow::Error::msg(error.message().to_owned())),
    lower: |value| value.as_str().to_owned(),
});

#[cfg(test)]
mod traceparent_tests {
    use super::*;

    #[test]
    fn traceparents_are_checked() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(good).unwrap().as_str(), good);
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n",
        ] {
            assert!(TraceParent::parse(bad).is_err(), "{bad:?}");
        }
    }
}

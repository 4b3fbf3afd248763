//! The minted session token and the unverified reading of its expiry
//! (docs/contract.md §Session token).

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::redact::redact_token;

/// How long Refold session tokens live when the token does not say.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A session token for one linked account, ready to hand to the front end.
///
/// `Debug` shows only the token's first 8 characters; use [`SessionToken::token`] to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    token: String,
    linked_account_id: String,
    expires_at: SystemTime,
    issued_at: Option<SystemTime>,
    /// `exp − iat` when both claims are known, else 24 h: how long it lives from receipt.
    lifetime: Duration,
}

impl SessionToken {
    /// Builds a token received at `received_at`, reading `exp`/`iat` from a JWT payload
    /// without verifying it (the signing key is Refold's). Opaque tokens are accepted.
    pub fn from_response(
        token: String,
        linked_account_id: String,
        received_at: SystemTime,
    ) -> Self {
        let claims = TimeClaims::decode(&token);
        // Claims are in range (crate::time), so iat + 24 h still fits every host's date type.
        let (expires_at, issued_at) = match (claims.exp, claims.iat) {
            (Some(exp), iat) => (exp, iat),
            (None, Some(iat)) => (iat + TOKEN_LIFETIME, Some(iat)),
            (None, None) => (received_at + TOKEN_LIFETIME, None),
        };
        let lifetime = match (claims.exp, claims.iat) {
            (Some(exp), Some(iat)) => exp.duration_since(iat).unwrap_or(Duration::ZERO),
            _ => TOKEN_LIFETIME,
        };
        SessionToken {
            token,
            linked_account_id,
            expires_at,
            issued_at,
            lifetime,
        }
    }

    /// The token itself. Treat it as a secret: never log it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Consumes the value, returning the token.
    pub fn into_token(self) -> String {
        self.token
    }

    /// The linked account the token was minted for.
    pub fn linked_account_id(&self) -> &str {
        &self.linked_account_id
    }

    /// When the token stops working: `exp`, else `iat` + 24 h, else receipt + 24 h.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// When Refold issued it (`iat`), if the token says.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.issued_at
    }

    /// How long the token lives from its receipt: `exp − iat` when the JWT has both claims,
    /// else 24 hours. The cache judges expiry on the local clock with it, so a skewed server
    /// clock neither serves dead tokens nor discards live ones.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Overwrites the token's bytes (the cache does it to tokens that leave it).
    pub(crate) fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
    }

    /// The token as shown in logs and debug output: first 8 characters then `…`.
    pub fn redacted(&self) -> String {
        redact_token(&self.token)
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("token", &self.redacted())
            .field("linked_account_id", &self.linked_account_id)
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

/// The two time claims we read; anything unreadable counts as absent.
#[derive(Default)]
struct TimeClaims {
    exp: Option<SystemTime>,
    iat: Option<SystemTime>,
}

impl TimeClaims {
    fn decode(token: &str) -> TimeClaims {
        let mut parts = token.split('.');
        let (Some(_header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return TimeClaims::default();
        };
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
            return TimeClaims::default();
        };
        let Ok(RawClaims { exp, iat }) = serde_json::from_slice(&bytes) else {
            return TimeClaims::default();
        };
        TimeClaims {
            exp: exp.as_ref().and_then(unix_time),
            iat: iat.as_ref().and_then(unix_time),
        }
    }
}

/// The `exp` and `iat` members of a JSON object, whatever their type (a later duplicate wins,
/// as in a `serde_json::Value` map); every other member is skipped without being stored.
/// Anything but an object is an error.
struct RawClaims {
    exp: Option<serde_json::Value>,
    iat: Option<serde_json::Value>,
}

impl<'de> serde::Deserialize<'de> for RawClaims {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawClaims;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawClaims, A::Error> {
                let mut claims = RawClaims {
                    exp: None,
                    iat: None,
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "exp" => claims.exp = Some(map.next_value()?),
                        "iat" => claims.iat = Some(map.next_value()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(claims)
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A NumericDate (seconds since the epoch, possibly fractional) within the believed range.
fn unix_time(value: &serde_json::Value) -> Option<SystemTime> {
    crate::time::from_unix_seconds(value.as_f64()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn exp_wins_when_present() {
        let token =
            SessionToken::from_response(jwt(r#"{"iat":1000,"exp":5000}"#), "u1".into(), at(9));
        assert_eq!(token.expires_at(), at(5000));
        assert_eq!(token.issued_at(), Some(at(1000)));
    }

    #[test]
    fn a_later_duplicate_claim_wins_and_other_members_are_skipped() {
        let token = SessionToken::from_response(
            jwt(r#"{"exp":1,"sub":{"a":[1,"x"]},"exp":5000,"iat":1000,"n":null}"#),
            "u1".into(),
            at(9),
        );
        assert_eq!(token.expires_at(), at(5000));
        assert_eq!(token.issued_at(), Some(at(1000)));
    }

    #[test]
    fn iat_plus_a_day_without_exp() {
        let token = SessionToken::from_response(jwt(r#"{"iat":1000}"#), "u1".into(), at(9));
        assert_eq!(token.expires_at(), at(1000 + 86_400));
        assert_eq!(token.issued_at(), Some(at(1000)));
    }

    #[test]
    fn receipt_plus_a_day_for_opaque_or_broken_tokens() {
        for raw in [
            "opaque-token".to_owned(),
            "a.b.c".to_owned(),
            jwt("not json"),
            jwt(r#"{"exp":"tomorrow","iat":-5}"#),
            jwt("[1,2]"),
            "a.b.c.d".to_owned(),
        ] {
            let token = SessionToken::from_response(raw.clone(), "u1".into(), at(100));
            assert_eq!(token.expires_at(), at(100 + 86_400), "{raw}");
            assert_eq!(token.issued_at(), None, "{raw}");
        }
    }

    #[test]
    fn times_outside_every_hosts_date_range_are_unknown() {
        let late_9999 = 253_402_300_000_u64; // 9999-12-31T23:46:40Z
        for payload in [
            format!(r#"{{"iat":{late_9999}}}"#),
            format!(r#"{{"exp":{late_9999},"iat":1000}}"#),
            r#"{"exp":1e300}"#.to_owned(),
            r#"{"exp":-1,"iat":-86400}"#.to_owned(),
        ] {
            let token = SessionToken::from_response(jwt(&payload), "u1".into(), at(100));
            if payload.contains(r#""iat":1000"#) {
                assert_eq!(token.issued_at(), Some(at(1000)), "{payload}");
                assert_eq!(token.expires_at(), at(1000 + 86_400), "{payload}");
            } else {
                assert_eq!(token.issued_at(), None, "{payload}");
                assert_eq!(token.expires_at(), at(100 + 86_400), "{payload}");
            }
        }
    }

    #[test]
    fn padded_payloads_and_fractional_times_decode() {
        let padded = format!(
            "h.{}.s",
            base64::engine::general_purpose::URL_SAFE.encode(r#"{"exp":12.5}"#)
        );
        let token = SessionToken::from_response(padded, "u1".into(), at(0));
        assert_eq!(
            token.expires_at(),
            UNIX_EPOCH + Duration::from_millis(12_500)
        );
    }

    #[test]
    fn debug_never_shows_the_whole_token() {
        let raw = jwt(r#"{"iat":1}"#);
        let token = SessionToken::from_response(raw.clone(), "acct".into(), at(0));
        let debug = format!("{token:?}");
        assert!(!debug.contains(&raw));
        assert!(debug.contains("eyJhbGci…") && debug.contains("acct"));
    }
}

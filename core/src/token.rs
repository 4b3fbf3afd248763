//! The minted session token: Refold's whole answer (token, refresh token, lifetimes), its
//! expiry read from the answer or, without verifying it, from the JWT, and the slot where a
//! binding keeps its host object (docs/contract.md §Session token).

use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::redact::{REDACTED, redact_token};

/// How long Refold session tokens live when neither the answer nor the token says.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest `expires_in` / `refresh_expires_in` believed (10 years); beyond it the number is
/// treated as absent, like a claim out of range.
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);
/// Longest `linked_account_id` claim read from a token (the id rules' own limit).
const MAX_CLAIMED_ID_BYTES: usize = 1024;

/// Refold's answer to a session-token request, as read from its body.
#[derive(Default)]
pub(crate) struct TokenAnswer {
    pub token: String,
    pub refresh_token: Option<String>,
    /// Seconds the token has left, when the answer says (and it is believable).
    pub expires_in: Option<Duration>,
    pub refresh_expires_in: Option<Duration>,
}

/// A session token for one linked account, ready to hand to the front end.
///
/// Cheap to clone (the fields are shared); the token and refresh token are overwritten in
/// memory when the last clone is dropped. `Debug` shows only the token's first 8 characters;
/// use [`SessionToken::token`] to read it.
#[derive(Clone)]
pub struct SessionToken {
    inner: Arc<Inner>,
}

struct Inner {
    token: String,
    linked_account_id: String,
    expires_at: SystemTime,
    issued_at: Option<SystemTime>,
    refresh_token: Option<String>,
    refresh_expires_at: Option<SystemTime>,
    /// How long it lives from its receipt, on the local clock.
    lifetime: Duration,
    /// What a binding made of this token (its host object), made once and reused by every
    /// clone: a cache hit then hands back the same host object.
    host: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
        if let Some(refresh) = &mut self.refresh_token {
            zeroize::Zeroize::zeroize(refresh);
        }
    }
}

/// Never shows the tokens.
impl fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("token", &redact_token(&self.token))
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SessionToken {
    /// Equal when every field is (the host object is not compared).
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&*self.inner, &*other.inner);
        Arc::ptr_eq(&self.inner, &other.inner)
            || (a.token == b.token
                && a.linked_account_id == b.linked_account_id
                && a.expires_at == b.expires_at
                && a.issued_at == b.issued_at
                && a.refresh_token == b.refresh_token
                && a.refresh_expires_at == b.refresh_expires_at
                && a.lifetime == b.lifetime)
    }
}

impl Eq for SessionToken {}

impl SessionToken {
    /// The fields every binding maps (docs/contract.md §Session token).
    pub const FIELDS: &'static [&'static str] = &[
        "token",
        "linked_account_id",
        "expires_at",
        "issued_at",
        "refresh_token",
        "refresh_expires_at",
    ];

    /// Builds a token received at `received_at` from the token alone (Refold's older answer,
    /// `{"token"}`), reading `exp`/`iat` from a JWT payload without verifying it (the signing
    /// key is Refold's). Opaque tokens are accepted.
    pub fn from_response(
        token: String,
        linked_account_id: String,
        received_at: SystemTime,
    ) -> Self {
        SessionToken::from_answer(
            TokenAnswer {
                token,
                ..TokenAnswer::default()
            },
            linked_account_id,
            received_at,
        )
    }

    /// Builds a token from Refold's whole answer received at `received_at`: with
    /// `expires_in`, it expires then (never after the JWT's `exp`); without, as
    /// [`SessionToken::expires_at`] says.
    pub(crate) fn from_answer(
        answer: TokenAnswer,
        linked_account_id: String,
        received_at: SystemTime,
    ) -> Self {
        let claims = TimeClaims::decode(&answer.token);
        let claimed_lifetime = match (claims.exp, claims.iat) {
            (Some(exp), Some(iat)) => Some(exp.duration_since(iat).unwrap_or(Duration::ZERO)),
            _ => None,
        };
        // Claims are in range (crate::time), so iat + 24 h still fits every host's date type.
        let (expires_at, lifetime) = match answer.expires_in {
            Some(left) => {
                // Counted from receipt on our clock; a token cannot outlive its own claims.
                let lifetime = claimed_lifetime.map_or(left, |claimed| left.min(claimed));
                let at = received_at + lifetime;
                (claims.exp.map_or(at, |exp| at.min(exp)), lifetime)
            }
            None => {
                let expires_at = match (claims.exp, claims.iat) {
                    (Some(exp), _) => exp,
                    (None, Some(iat)) => iat + TOKEN_LIFETIME,
                    (None, None) => received_at + TOKEN_LIFETIME,
                };
                (expires_at, claimed_lifetime.unwrap_or(TOKEN_LIFETIME))
            }
        };
        let refresh_expires_at = match (&answer.refresh_token, answer.refresh_expires_in) {
            (None, _) => None,
            (Some(_), Some(left)) => Some(received_at + left),
            (Some(refresh), None) => TimeClaims::decode(refresh).exp,
        };
        SessionToken::assemble(Inner {
            token: answer.token,
            linked_account_id,
            expires_at,
            issued_at: claims.iat,
            refresh_token: answer.refresh_token,
            refresh_expires_at,
            lifetime,
            host: OnceLock::new(),
        })
    }

    /// A token read back from the fleet store: it expires at `expires_at` (wall clock, as the
    /// fleet shares it) and has `remaining` left on the local clock.
    pub(crate) fn from_stored(
        token: String,
        linked_account_id: String,
        expires_at: SystemTime,
        remaining: Duration,
        refresh_token: Option<String>,
        refresh_expires_at: Option<SystemTime>,
    ) -> Self {
        let issued_at = TimeClaims::decode(&token).iat;
        SessionToken::assemble(Inner {
            token,
            linked_account_id,
            expires_at,
            issued_at,
            refresh_token,
            refresh_expires_at,
            lifetime: remaining,
            host: OnceLock::new(),
        })
    }

    fn assemble(inner: Inner) -> Self {
        SessionToken {
            inner: Arc::new(inner),
        }
    }

    /// The token itself. Treat it as a secret: never log it.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// The token as an owned string (taken without a copy when this is the last clone).
    pub fn into_token(self) -> String {
        match Arc::try_unwrap(self.inner) {
            // Taken out, so the wipe on drop leaves the caller's string alone.
            Ok(mut inner) => std::mem::take(&mut inner.token),
            Err(shared) => shared.token.clone(),
        }
    }

    /// The linked account the token was minted for.
    pub fn linked_account_id(&self) -> &str {
        &self.inner.linked_account_id
    }

    /// When the token stops working: receipt + Refold's `expires_in` (but never after the
    /// JWT's `exp`); without `expires_in`, `exp`, else `iat` + 24 h, else receipt + 24 h.
    pub fn expires_at(&self) -> SystemTime {
        self.inner.expires_at
    }

    /// When Refold issued it (`iat`), if the token says.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.inner.issued_at
    }

    /// The refresh token Refold answered with, if any. A secret like the token: never log it.
    pub fn refresh_token(&self) -> Option<&str> {
        self.inner.refresh_token.as_deref()
    }

    /// When the refresh token stops working: receipt + Refold's `refresh_expires_in`, else
    /// its JWT's `exp`; `None` without a refresh token or when neither says.
    pub fn refresh_expires_at(&self) -> Option<SystemTime> {
        self.inner.refresh_expires_at
    }

    /// How long the token lives from its receipt, on the local clock: Refold's `expires_in`
    /// (at most `exp − iat`), else `exp − iat` when the JWT has both claims, else 24 hours.
    /// The cache judges expiry with it, so a skewed clock (ours or the server's) neither
    /// serves dead tokens nor discards live ones.
    pub fn lifetime(&self) -> Duration {
        self.inner.lifetime
    }

    /// The object a binding made of this token, made by `make` on first use and then shared by
    /// every clone (so a cache hit hands back the same host object). `None` only when another
    /// type was stored first (one binding per process never sees it).
    pub fn host_object<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Option<&T> {
        self.inner
            .host
            .get_or_init(|| Box::new(make()))
            .downcast_ref::<T>()
    }

    /// The token as shown in logs and debug output: first 8 characters then `…`.
    pub fn redacted(&self) -> String {
        redact_token(&self.inner.token)
    }

    /// The `linked_account_id` claim of a JWT, read without verification (revocation uses it
    /// to find the cached token's account); `None` for anything else.
    pub(crate) fn claimed_linked_account_id(token: &str) -> Option<String> {
        TimeClaims::decode(token).linked_account_id
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("SessionToken")
            .field("token", &self.redacted())
            .field("linked_account_id", &inner.linked_account_id)
            .field("expires_at", &inner.expires_at)
            .field("issued_at", &inner.issued_at)
            .field(
                "refresh_token",
                &inner.refresh_token.as_ref().map(|_| REDACTED),
            )
            .field("refresh_expires_at", &inner.refresh_expires_at)
            .finish()
    }
}

/// The claims we read; anything unreadable counts as absent.
#[derive(Default)]
struct TimeClaims {
    exp: Option<SystemTime>,
    iat: Option<SystemTime>,
    linked_account_id: Option<String>,
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
        let Ok(RawClaims {
            exp,
            iat,
            linked_account_id,
        }) = serde_json::from_slice(&bytes)
        else {
            return TimeClaims::default();
        };
        TimeClaims {
            exp: exp.as_ref().and_then(unix_time),
            iat: iat.as_ref().and_then(unix_time),
            linked_account_id: match linked_account_id {
                Some(serde_json::Value::String(id))
                    if !id.is_empty() && id.len() <= MAX_CLAIMED_ID_BYTES =>
                {
                    Some(id)
                }
                _ => None,
            },
        }
    }
}

/// The `exp`, `iat` and `linked_account_id` members of a JSON object, whatever their type (a
/// later duplicate wins, as in a `serde_json::Value` map); every other member is skipped
/// without being stored. Anything but an object is an error.
struct RawClaims {
    exp: Option<serde_json::Value>,
    iat: Option<serde_json::Value>,
    linked_account_id: Option<serde_json::Value>,
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
                    linked_account_id: None,
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "exp" => claims.exp = Some(map.next_value()?),
                        "iat" => claims.iat = Some(map.next_value()?),
                        "linked_account_id" => claims.linked_account_id = Some(map.next_value()?),
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
    fn debug_never_shows_the_whole_token_or_the_refresh_token() {
        let raw = jwt(r#"{"iat":1}"#);
        let token = SessionToken::from_answer(
            TokenAnswer {
                token: raw.clone(),
                refresh_token: Some("REFRESH_DISTINCTIVE".into()),
                ..TokenAnswer::default()
            },
            "acct".into(),
            at(0),
        );
        let debug = format!("{token:?}");
        assert!(!debug.contains(&raw) && !debug.contains("REFRESH_DISTINCTIVE"));
        assert!(debug.contains("eyJhbGci…") && debug.contains("acct"));
    }

    fn answer(token: String, expires_in: Option<u64>) -> TokenAnswer {
        TokenAnswer {
            token,
            expires_in: expires_in.map(Duration::from_secs),
            ..TokenAnswer::default()
        }
    }

    #[test]
    fn expires_in_counts_from_receipt_and_never_passes_exp() {
        // A reused token: 600 s left of a 7-day one.
        let token = SessionToken::from_answer(
            answer(jwt(r#"{"iat":1000,"exp":605800}"#), Some(600)),
            "u1".into(),
            at(605_200),
        );
        assert_eq!(token.expires_at(), at(605_800));
        assert_eq!(token.lifetime(), Duration::from_secs(600));
        // Our clock is a day behind: expiry follows expires_in, not the claims.
        let behind = SessionToken::from_answer(
            answer(jwt(r#"{"iat":1000,"exp":605800}"#), Some(600)),
            "u1".into(),
            at(605_200 - 86_400),
        );
        assert_eq!(behind.expires_at(), at(605_200 - 86_400 + 600));
        assert_eq!(behind.lifetime(), Duration::from_secs(600));
        // Our clock is ahead: never past exp, and the local lifetime stays expires_in.
        let ahead = SessionToken::from_answer(
            answer(jwt(r#"{"iat":1000,"exp":605800}"#), Some(600)),
            "u1".into(),
            at(605_700),
        );
        assert_eq!(ahead.expires_at(), at(605_800));
        assert_eq!(ahead.lifetime(), Duration::from_secs(600));
        // More left than the claims allow: the claims' lifetime bounds it.
        let bold = SessionToken::from_answer(
            answer(jwt(r#"{"iat":1000,"exp":2000}"#), Some(50_000)),
            "u1".into(),
            at(1000),
        );
        assert_eq!(bold.lifetime(), Duration::from_secs(1000));
        assert_eq!(bold.expires_at(), at(2000));
        // An opaque token: receipt + expires_in.
        let opaque =
            SessionToken::from_answer(answer("opaque".into(), Some(30)), "u1".into(), at(5));
        assert_eq!(opaque.expires_at(), at(35));
        assert_eq!(opaque.issued_at(), None);
    }

    #[test]
    fn the_refresh_token_and_its_expiry_are_kept() {
        let token = SessionToken::from_answer(
            TokenAnswer {
                token: jwt(r#"{"iat":1000,"exp":2000}"#),
                refresh_token: Some(jwt(r#"{"exp":9000}"#)),
                expires_in: Some(Duration::from_secs(1000)),
                refresh_expires_in: Some(Duration::from_secs(4000)),
            },
            "u1".into(),
            at(1000),
        );
        assert_eq!(token.refresh_expires_at(), Some(at(5000)));
        let claimed = SessionToken::from_answer(
            TokenAnswer {
                token: "t".into(),
                refresh_token: Some(jwt(r#"{"exp":9000}"#)),
                ..TokenAnswer::default()
            },
            "u1".into(),
            at(1000),
        );
        assert_eq!(claimed.refresh_expires_at(), Some(at(9000)));
        assert!(claimed.refresh_token().is_some());
        let none = SessionToken::from_response("t".into(), "u1".into(), at(0));
        assert_eq!(
            (none.refresh_token(), none.refresh_expires_at()),
            (None, None)
        );
    }

    #[test]
    fn clones_share_one_host_object_and_the_last_drop_keeps_into_token_whole() {
        let token = SessionToken::from_response("tok-1".into(), "u1".into(), at(0));
        let clone = token.clone();
        let made = token.host_object(|| String::from("host")).unwrap().clone();
        assert_eq!(made, "host");
        assert_eq!(
            clone
                .host_object(|| String::from("other"))
                .map(String::as_str),
            Some("host")
        );
        assert!(clone.host_object(|| 5_u8).is_none(), "another type");
        assert_eq!(clone.clone().into_token(), "tok-1");
        drop(token);
        assert_eq!(clone.into_token(), "tok-1");
    }

    #[test]
    fn the_linked_account_claim_is_read_without_verification() {
        assert_eq!(
            SessionToken::claimed_linked_account_id(&jwt(r#"{"linked_account_id":"user_12345"}"#)),
            Some("user_12345".into())
        );
        for not_a_claim in [
            jwt(r#"{"linked_account_id":5}"#),
            jwt(r#"{"linked_account_id":""}"#),
            "opaque".into(),
        ] {
            assert_eq!(SessionToken::claimed_linked_account_id(&not_a_claim), None);
        }
    }
}

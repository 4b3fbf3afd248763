//! Minting and checking the emulator's HS256 JWTs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Serialize)]
struct Claims<'a> {
    org_id: &'a str,
    linked_account_id: &'a str,
    environment: &'static str,
    iat: u64,
    exp: u64,
    /// A unique token id, so two tokens minted in the same second still differ (as real
    /// ones do): the cache tests tell a hit from a new mint by it, and revocation lists it.
    jti: u64,
    /// Set on refresh tokens only, as in Refold's documented example.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_refresh: bool,
}

/// A token just signed, with what the emulator keeps of it.
pub(crate) struct Signed {
    pub token: String,
    pub jti: u64,
    pub exp: u64,
}

/// A session token or its refresh token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Session,
    Refresh,
}

/// Signs tokens for one org with one key.
///
/// Holds the already-keyed HMAC state and the encoded header so that each
/// token costs one small JSON serialisation and one HMAC over ~200 bytes.
pub(crate) struct TokenSigner {
    keyed: HmacSha256,
    org_id: String,
    /// `base64url({"alg":"HS256","typ":"JWT"})`.
    header: String,
    minted: std::sync::atomic::AtomicU64,
}

impl TokenSigner {
    pub(crate) fn new(secret: &[u8], org_id: String) -> Self {
        Self {
            keyed: new_mac(secret),
            org_id,
            header: URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            minted: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A token for `linked_account_id` issued at `iat` that expires `ttl`
    /// seconds later (unix seconds).
    pub(crate) fn sign(
        &self,
        linked_account_id: &str,
        iat: u64,
        ttl: u64,
        kind: TokenKind,
    ) -> Signed {
        let claims = Claims {
            org_id: &self.org_id,
            linked_account_id,
            environment: "test",
            iat,
            exp: iat.saturating_add(ttl),
            jti: self
                .minted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            is_refresh: kind == TokenKind::Refresh,
        };
        // Serialising a struct of strings and integers cannot fail.
        let payload = serde_json::to_vec(&claims).expect("claims serialise");
        let mut token = String::with_capacity(self.header.len() + payload.len() * 4 / 3 + 48);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let mut mac = self.keyed.clone();
        mac.update(token.as_bytes());
        let signature = mac.finalize().into_bytes();
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Signed {
            token,
            jti: claims.jti,
            exp: claims.exp,
        }
    }

    /// The `jti` the next token will get: tokens numbered below it exist
    /// already.
    pub(crate) fn next_jti(&self) -> u64 {
        self.minted.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl TokenSigner {
    /// [`verify_token`] with this signer's key.
    pub(crate) fn verify(&self, token: &str) -> Option<serde_json::Value> {
        verify_with(token, self.keyed.clone())
    }
}

fn new_mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length")
}

/// Checks that `token` is an HS256 JWT signed with `signing_secret` and returns
/// its decoded payload (the claims), or `None` if it is malformed or the
/// signature does not match. Expiry is not checked.
///
/// Handy for tests that want to prove a token came from the emulator.
pub fn verify_token(token: &str, signing_secret: &[u8]) -> Option<serde_json::Value> {
    verify_with(token, new_mac(signing_secret))
}

fn verify_with(token: &str, mut mac: HmacSha256) -> Option<serde_json::Value> {
    let (signed, signature) = token.rsplit_once('.')?;
    let (header, payload) = signed.split_once('.')?;
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_token_verifies_and_carries_claims() {
        let signer = TokenSigner::new(b"k", "org".to_owned());
        let token = signer
            .sign("acct \"1\" é", 1_700_000_000, 86_400, TokenKind::Session)
            .token;
        assert_eq!(token.split('.').count(), 3);
        let claims = verify_token(&token, b"k").expect("valid signature");
        assert_eq!(claims["org_id"], "org");
        assert_eq!(claims["linked_account_id"], "acct \"1\" é");
        assert_eq!(claims["environment"], "test");
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["exp"], 1_700_086_400u64);
        assert!(claims.get("is_refresh").is_none());
        let refresh = signer.sign("a", 1, 60, TokenKind::Refresh);
        let claims = verify_token(&refresh.token, b"k").unwrap();
        assert_eq!(claims["is_refresh"], true);
        assert_eq!(claims["jti"], refresh.jti);
        assert_eq!(refresh.exp, 61);
        assert_eq!(signer.next_jti(), refresh.jti + 1);
    }

    #[test]
    fn wrong_key_or_tampering_fails() {
        let signer = TokenSigner::new(b"k", "org".to_owned());
        let token = signer.sign("a", 1, 60, TokenKind::Session).token;
        assert!(verify_token(&token, b"other").is_none());
        let tampered = token.replacen('.', ".e", 1);
        assert!(verify_token(&tampered, b"k").is_none());
        assert!(verify_token("opaque", b"k").is_none());
    }

    #[test]
    fn header_is_standard_hs256() {
        let signer = TokenSigner::new(b"k", "org".to_owned());
        let token = signer.sign("a", 1, 60, TokenKind::Session).token;
        let header = token.split('.').next().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(header).unwrap(),
            br#"{"alg":"HS256","typ":"JWT"}"#
        );
    }
}

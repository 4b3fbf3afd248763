//! What the fleet store writes: key names that reveal neither the account nor the API key, and
//! values encrypted with the name as associated data (the layout is in `store/mod.rs`).

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The value format's version byte: 2 carries the refresh token and its expiry; 1 (the token
/// and its expiry only) is still read.
const FORMAT_VERSION: u8 = 2;
const FORMAT_VERSION_1: u8 = 1;
const NONCE_BYTES: usize = 12;
/// Longest value stored or read: a value never sizes more than this.
const MAX_VALUE_BYTES: usize = 64 * 1024;

/// A token as stored: the token, its refresh token, and when each expires (Unix ms; the
/// refresh token's 0 when unknown).
pub(crate) struct Stored {
    pub token: String,
    pub expires_unix_ms: u64,
    pub refresh_token: Option<String>,
    pub refresh_expires_unix_ms: Option<u64>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.token);
        if let Some(refresh) = &mut self.refresh_token {
            zeroize::Zeroize::zeroize(refresh);
        }
    }
}

/// What a key name is for.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Token,
    Lock,
}

/// Names and seals the entries of one client: its encryption keys (the first one writes) and
/// the scope (API key fingerprint and base URL) that every name depends on.
pub(crate) struct Sealer {
    keys: Vec<[u8; 32]>,
    prefix: String,
    /// SHA-256 of the API key and the base URL, each followed by a zero byte.
    scope: Vec<u8>,
}

impl Sealer {
    /// `keys` must hold at least one key (the options check it).
    pub(crate) fn new(keys: Vec<[u8; 32]>, prefix: String, api_key: &str, base_url: &str) -> Self {
        let mut scope = Sha256::digest(api_key.as_bytes()).to_vec();
        scope.push(0);
        scope.extend_from_slice(base_url.as_bytes());
        scope.push(0);
        Sealer {
            keys,
            prefix,
            scope,
        }
    }

    /// The key prefix every name starts with.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The name `id` is written under (by the first key).
    pub(crate) fn name(&self, kind: Kind, id: &str) -> String {
        self.name_under(&self.keys[0], kind, id)
    }

    /// The names `id` may be found under, one per key (rotation), the writing one first.
    pub(crate) fn names(&self, kind: Kind, id: &str) -> Vec<String> {
        self.keys
            .iter()
            .map(|key| self.name_under(key, kind, id))
            .collect()
    }

    fn name_under(&self, key: &[u8; 32], kind: Kind, id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(&self.scope);
        mac.update(id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let kind = match kind {
            Kind::Token => 't',
            Kind::Lock => 'l',
        };
        format!("{}{kind}:{hex}", self.prefix)
    }

    /// The value of `stored` under `name`; `None` for tokens too long to store.
    pub(crate) fn seal(&self, name: &str, stored: &Stored) -> Option<Vec<u8>> {
        let refresh = stored.refresh_token.as_deref().unwrap_or("");
        if stored.token.len() + refresh.len() > MAX_VALUE_BYTES / 2 {
            return None;
        }
        let cipher = Aes256Gcm::new_from_slice(&self.keys[0]).expect("32-byte key");
        let nonce = Nonce::generate();
        let mut plaintext = Vec::with_capacity(20 + stored.token.len() + refresh.len());
        plaintext.extend_from_slice(&stored.expires_unix_ms.to_be_bytes());
        plaintext.extend_from_slice(&stored.refresh_expires_unix_ms.unwrap_or(0).to_be_bytes());
        plaintext.extend_from_slice(&(stored.token.len() as u32).to_be_bytes());
        plaintext.extend_from_slice(stored.token.as_bytes());
        plaintext.extend_from_slice(refresh.as_bytes());
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: name.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a small buffer cannot fail");
        zeroize::Zeroize::zeroize(&mut plaintext);
        let mut value = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        value.push(FORMAT_VERSION);
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&sealed);
        Some(value)
    }

    /// The token in `value` stored under `name`, if some key opens it (either format).
    pub(crate) fn open(&self, name: &str, value: &[u8]) -> Option<Stored> {
        if value.len() > MAX_VALUE_BYTES || value.len() < 1 + NONCE_BYTES + 16 + 8 {
            return None;
        }
        let version = value[0];
        if version != FORMAT_VERSION && version != FORMAT_VERSION_1 {
            return None;
        }
        let nonce = Nonce::try_from(&value[1..1 + NONCE_BYTES]).ok()?;
        let sealed = &value[1 + NONCE_BYTES..];
        self.keys.iter().find_map(|key| {
            let cipher = Aes256Gcm::new_from_slice(key).ok()?;
            let mut plaintext = cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: sealed,
                        aad: name.as_bytes(),
                    },
                )
                .ok()?;
            let stored = if version == FORMAT_VERSION_1 {
                read_v1(&plaintext)
            } else {
                read_v2(&plaintext)
            };
            zeroize::Zeroize::zeroize(&mut plaintext);
            stored
        })
    }
}

/// `expires_unix_ms (u64 BE) ‖ token`.
fn read_v1(plaintext: &[u8]) -> Option<Stored> {
    let expires_unix_ms = u64::from_be_bytes(plaintext.get(..8)?.try_into().ok()?);
    let token = String::from_utf8(plaintext.get(8..)?.to_vec()).ok()?;
    Some(Stored {
        token,
        expires_unix_ms,
        refresh_token: None,
        refresh_expires_unix_ms: None,
    })
}

/// `expires_unix_ms (u64 BE) ‖ refresh_expires_unix_ms (u64 BE, 0: unknown) ‖ token length
/// (u32 BE) ‖ token ‖ refresh token (the rest; empty: none)`.
fn read_v2(plaintext: &[u8]) -> Option<Stored> {
    let expires_unix_ms = u64::from_be_bytes(plaintext.get(..8)?.try_into().ok()?);
    let refresh_expires = u64::from_be_bytes(plaintext.get(8..16)?.try_into().ok()?);
    let token_len = u32::from_be_bytes(plaintext.get(16..20)?.try_into().ok()?) as usize;
    let token_end = 20usize.checked_add(token_len)?;
    let token = String::from_utf8(plaintext.get(20..token_end)?.to_vec()).ok()?;
    let refresh = String::from_utf8(plaintext.get(token_end..)?.to_vec()).ok()?;
    Some(Stored {
        token,
        expires_unix_ms,
        refresh_token: (!refresh.is_empty()).then_some(refresh),
        refresh_expires_unix_ms: (refresh_expires != 0).then_some(refresh_expires),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: [u8; 32] = [1; 32];
    const KEY_B: [u8; 32] = [2; 32];

    fn sealer(keys: &[[u8; 32]]) -> Sealer {
        Sealer::new(
            keys.to_vec(),
            "refold:".into(),
            "sk_store_DISTINCTIVE",
            "https://api.example",
        )
    }

    #[test]
    fn names_hide_the_account_and_the_key() {
        let sealer = sealer(&[KEY_A]);
        let name = sealer.name(Kind::Token, "user-42");
        assert!(name.starts_with("refold:t:") && name.len() == "refold:t:".len() + 32);
        assert!(!name.contains("user-42") && !name.contains("DISTINCTIVE"));
        assert_ne!(name, sealer.name(Kind::Token, "user-43"));
        assert!(sealer.name(Kind::Lock, "user-42").starts_with("refold:l:"));
        assert_eq!(sealer.names(Kind::Token, "user-42"), [name]);
    }

    fn stored(token: &str, expires_unix_ms: u64) -> Stored {
        Stored {
            token: token.to_owned(),
            expires_unix_ms,
            refresh_token: Some("eyJrefresh.payload.sig".to_owned()),
            refresh_expires_unix_ms: Some(99),
        }
    }

    #[test]
    fn values_open_only_under_their_own_name_and_a_known_key() {
        let writer = sealer(&[KEY_A]);
        let name = writer.name(Kind::Token, "u1");
        let value = writer
            .seal(&name, &stored("eyJtoken.payload.sig", 42))
            .unwrap();
        assert_eq!(value[0], 2);
        assert!(!value.windows(5).any(|w| w == b"eyJto" || w == b"eyJre"));
        let opened = writer.open(&name, &value).unwrap();
        assert_eq!(
            (opened.token.as_str(), opened.expires_unix_ms),
            ("eyJtoken.payload.sig", 42)
        );
        assert_eq!(
            opened.refresh_token.as_deref(),
            Some("eyJrefresh.payload.sig")
        );
        assert_eq!(opened.refresh_expires_unix_ms, Some(99));
        let mut bare = stored("t", 7);
        bare.refresh_token = None;
        bare.refresh_expires_unix_ms = None;
        let opened = writer
            .open(&name, &writer.seal(&name, &bare).unwrap())
            .unwrap();
        assert_eq!(
            (
                opened.refresh_token.as_deref(),
                opened.refresh_expires_unix_ms
            ),
            (None, None)
        );
        let other_name = writer.name(Kind::Token, "u2");
        assert!(
            writer.open(&other_name, &value).is_none(),
            "copied under another name"
        );
        let mut tampered = value.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(writer.open(&name, &tampered).is_none());
        assert!(
            sealer(&[KEY_B]).open(&name, &value).is_none(),
            "another key"
        );
        // Rotation: a store whose second key is the old one still opens the value.
        assert!(sealer(&[KEY_B, KEY_A]).open(&name, &value).is_some());
    }

    #[test]
    fn a_token_too_long_to_store_is_not_sealed() {
        let sealer = sealer(&[KEY_A]);
        assert!(
            sealer
                .seal("n", &stored(&"x".repeat(MAX_VALUE_BYTES), 1))
                .is_none()
        );
    }

    #[test]
    fn the_first_format_is_still_read() {
        let sealer = sealer(&[KEY_A]);
        let name = sealer.name(Kind::Token, "u1");
        let cipher = Aes256Gcm::new_from_slice(&KEY_A).unwrap();
        let nonce = Nonce::generate();
        let mut plaintext = 42_u64.to_be_bytes().to_vec();
        plaintext.extend_from_slice(b"old-token");
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: name.as_bytes(),
                },
            )
            .unwrap();
        let mut value = vec![1];
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&sealed);
        let opened = sealer.open(&name, &value).unwrap();
        assert_eq!(
            (opened.token.as_str(), opened.expires_unix_ms),
            ("old-token", 42)
        );
        assert_eq!(opened.refresh_token.as_deref(), None);
        value[0] = 3;
        assert!(
            sealer.open(&name, &value).is_none(),
            "an unknown version is a miss"
        );
    }
}

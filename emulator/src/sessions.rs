//! Session tokens once issued: the reuse Refold documents (an account's
//! still-valid token is answered again unless `force_refresh=true`),
//! revocation, and the check every route taking a session token makes.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use crate::respond::Answer;
use crate::state::State;
use crate::token::unix_now;

/// Most accounts whose current token is kept for reuse (with
/// `--any-linked-account` any id can mint); beyond it one is forgotten,
/// which only means its next request mints afresh.
const MAX_REUSABLE: usize = 100_000;
/// Most revoked tokens not yet expired; beyond it a revocation is refused
/// (forgetting one would make a revoked token valid again).
pub(crate) const MAX_REVOKED: usize = 100_000;

/// A session token and its refresh token, as issued.
#[derive(Clone)]
pub(crate) struct Issued {
    pub token: String,
    pub refresh_token: String,
    pub jti: u64,
    pub refresh_jti: u64,
    /// Unix seconds.
    pub exp: u64,
    pub refresh_exp: u64,
}

/// A session token that passed [`authenticate`].
pub(crate) struct Session {
    pub account: String,
    pub jti: u64,
    pub exp: u64,
}

#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Per linked account, the token answered again until it expires, is
    /// revoked, or a `force_refresh` replaces it.
    current: HashMap<String, Issued>,
    /// Revoked token ids (`jti`) and when they expire anyway.
    revoked: HashMap<u64, u64>,
    /// When each map last dropped its expired entries (Unix seconds): at most once a second,
    /// since a full map of live entries would otherwise be walked whole on every request.
    current_pruned: u64,
    revoked_pruned: u64,
}

impl Sessions {
    /// The account's current token if it is still valid at `now` and
    /// `force` is false; otherwise a new one from `mint`, which becomes the
    /// current one.
    pub(crate) fn issue(
        &self,
        account: &str,
        now: u64,
        force: bool,
        mint: impl FnOnce() -> Issued,
    ) -> Issued {
        let mut inner = self.lock();
        if !force {
            if let Some(current) = inner.current.get(account) {
                if current.exp > now && !inner.revoked.contains_key(&current.jti) {
                    return current.clone();
                }
            }
        }
        let issued = mint();
        if inner.current.len() >= MAX_REUSABLE && !inner.current.contains_key(account) {
            if inner.current_pruned < now {
                inner.current_pruned = now;
                inner.current.retain(|_, issued| issued.exp > now);
            }
            if inner.current.len() >= MAX_REUSABLE {
                if let Some(any) = inner.current.keys().next().cloned() {
                    inner.current.remove(&any);
                }
            }
        }
        inner.current.insert(account.to_owned(), issued.clone());
        issued
    }

    pub(crate) fn is_revoked(&self, jti: u64) -> bool {
        self.lock().revoked.contains_key(&jti)
    }

    /// Revokes `session` (and its refresh token when it is the account's
    /// current one, which is then forgotten). Answers how many tokens of
    /// the access-token store went (0 or 1), or why nothing could be done.
    pub(crate) fn revoke(&self, session: &Session, now: u64) -> Result<u64, String> {
        let mut inner = self.lock();
        if inner.revoked.len() + 2 > MAX_REVOKED && inner.revoked_pruned < now {
            inner.revoked_pruned = now;
            inner.revoked.retain(|_, exp| *exp > now);
        }
        if inner.revoked.len() + 2 > MAX_REVOKED {
            return Err(format!(
                "the emulator keeps at most {MAX_REVOKED} revoked tokens that have not expired yet"
            ));
        }
        inner.revoked.insert(session.jti, session.exp);
        let stored = inner
            .current
            .get(&session.account)
            .filter(|current| current.jti == session.jti)
            .map(|current| (current.refresh_jti, current.refresh_exp));
        Ok(match stored {
            Some((refresh_jti, refresh_exp)) => {
                inner.revoked.insert(refresh_jti, refresh_exp);
                inner.current.remove(&session.account);
                1
            }
            None => 0,
        })
    }

    /// Forgets a deleted account's current token.
    pub(crate) fn forget(&self, account: &str) {
        self.lock().current.remove(account);
    }

    /// Forgets every current token (a reset), so the next request of each
    /// account mints afresh; revocations stay.
    pub(crate) fn forget_all(&self) {
        self.lock().current.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The session token of a request, checked: signed by this emulator, a
/// session (not a refresh) token, not expired, not revoked, and its linked
/// account still the one it was issued for. Otherwise the 401 to answer.
pub(crate) fn authenticate(state: &State, bearer: Option<&str>) -> Result<Session, Answer> {
    let invalid = || Answer::invalid_token("Invalid token");
    let claims = bearer
        .and_then(|token| state.verify_token(token))
        .ok_or_else(invalid)?;
    if claims.get("is_refresh").and_then(Value::as_bool) == Some(true) {
        return Err(invalid());
    }
    let (Some(account), Some(jti), Some(exp)) = (
        claims.get("linked_account_id").and_then(Value::as_str),
        claims.get("jti").and_then(Value::as_u64),
        claims.get("exp").and_then(Value::as_u64),
    ) else {
        return Err(invalid());
    };
    if unix_now() >= exp {
        return Err(Answer::invalid_token("Token expired"));
    }
    if state.sessions.is_revoked(jti) || !state.token_account_valid(account, jti) {
        return Err(invalid());
    }
    Ok(Session {
        account: account.to_owned(),
        jti,
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(jti: u64, exp: u64) -> Issued {
        Issued {
            token: format!("t{jti}"),
            refresh_token: format!("r{jti}"),
            jti,
            refresh_jti: jti + 1000,
            exp,
            refresh_exp: exp + 10,
        }
    }

    #[test]
    fn reuse_until_expiry_force_or_revocation() {
        let sessions = Sessions::default();
        let first = sessions.issue("a", 100, false, || issued(1, 200));
        assert_eq!(first.jti, 1);
        let again = sessions.issue("a", 150, false, || panic!("reused"));
        assert_eq!(again.jti, 1);
        assert_eq!(sessions.issue("a", 200, false, || issued(2, 300)).jti, 2);
        assert_eq!(sessions.issue("a", 201, true, || issued(3, 300)).jti, 3);
        // Revoking the superseded token removes nothing from the store.
        let old = Session {
            account: "a".into(),
            jti: 2,
            exp: 300,
        };
        assert_eq!(sessions.revoke(&old, 201), Ok(0));
        let current = Session { jti: 3, ..old };
        assert_eq!(sessions.revoke(&current, 201), Ok(1));
        assert!(sessions.is_revoked(3) && sessions.is_revoked(1003) && sessions.is_revoked(2));
        assert_eq!(sessions.issue("a", 202, false, || issued(4, 300)).jti, 4);
        sessions.forget_all();
        assert_eq!(sessions.issue("a", 202, false, || issued(5, 300)).jti, 5);
    }

    #[test]
    fn revocations_are_capped_but_expired_ones_make_room() {
        let sessions = Sessions::default();
        for jti in 0..MAX_REVOKED as u64 - 1 {
            let session = Session {
                account: "a".into(),
                jti,
                exp: 10,
            };
            sessions.revoke(&session, 0).unwrap();
        }
        let late = Session {
            account: "a".into(),
            jti: u64::MAX,
            exp: 10,
        };
        assert!(sessions.revoke(&late, 5).is_err());
        assert_eq!(sessions.revoke(&late, 10), Ok(0));
    }

    #[test]
    fn a_full_store_forgets_one_per_new_account_and_drops_the_expired_a_second_later() {
        let sessions = Sessions::default();
        for n in 0..MAX_REUSABLE as u64 {
            sessions.issue(&format!("a{n}"), 1, false, || issued(n, 50));
        }
        for n in 0..1_000u64 {
            let jti = MAX_REUSABLE as u64 + n;
            assert_eq!(
                sessions
                    .issue(&format!("b{n}"), 1, false, || issued(jti, 50))
                    .jti,
                jti
            );
            assert_eq!(sessions.lock().current.len(), MAX_REUSABLE);
        }
        // All expired at 60: the next new account prunes them.
        sessions.issue("late", 60, false, || issued(u64::MAX / 2, 120));
        assert_eq!(sessions.lock().current.len(), 1);
    }
}

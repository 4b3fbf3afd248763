//! Which demo applications each linked account has connected (its
//! `integrations`), and the OAuth grants waiting for their consent page.
//! Kept per linked account id, so `--any-linked-account` ids connect too.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::accounts::MAX_ACCOUNTS;
use crate::apps::{self, IntegrationView};
use crate::ids::now_millis;

/// OAuth grants waiting for their consent page; older ones are dropped.
const MAX_PENDING_GRANTS: usize = 1000;

/// One connected application of an account.
struct Connected {
    slug: &'static str,
    created_ms: u64,
    updated_ms: u64,
    /// Expired: it needs re-authentication (`reauth_required`).
    expired: bool,
}

#[derive(Default)]
pub(crate) struct AppConnections {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// In the order the apps were first connected.
    by_account: HashMap<String, Vec<Connected>>,
    /// `(grant, account, slug)`, oldest first.
    grants: VecDeque<(String, String, &'static str)>,
    next_grant: u64,
}

impl AppConnections {
    /// When `account` first connected `slug` (unix ms), if it has.
    pub(crate) fn connected_at(&self, account: &str, slug: &str) -> Option<u64> {
        self.lock()
            .by_account
            .get(account)?
            .iter()
            .find(|c| c.slug == slug)
            .map(|c| c.created_ms)
    }

    /// The slugs `account` has connected.
    pub(crate) fn slugs(&self, account: &str) -> Vec<&'static str> {
        self.lock()
            .by_account
            .get(account)
            .map(|apps| apps.iter().map(|c| c.slug).collect())
            .unwrap_or_default()
    }

    /// The account's `integrations`, in the order first connected.
    pub(crate) fn integrations(&self, account: &str) -> Vec<IntegrationView> {
        self.lock()
            .by_account
            .get(account)
            .map(|apps| {
                apps.iter()
                    .filter_map(|c| {
                        apps::integration(c.slug, c.created_ms, c.updated_ms, c.expired)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Connects (again: `updatedAt` moves) or disconnects; false if a new
    /// account would pass the cap.
    pub(crate) fn set(&self, account: &str, slug: &'static str, connected: bool) -> bool {
        let mut inner = self.lock();
        if !connected {
            if let Some(apps) = inner.by_account.get_mut(account) {
                apps.retain(|c| c.slug != slug);
                if apps.is_empty() {
                    inner.by_account.remove(account);
                }
            }
            return true;
        }
        if !inner.by_account.contains_key(account) && inner.by_account.len() >= MAX_ACCOUNTS {
            return false;
        }
        let now = now_millis();
        let apps = inner.by_account.entry(account.to_owned()).or_default();
        match apps.iter_mut().find(|c| c.slug == slug) {
            Some(existing) => {
                existing.updated_ms = now;
                existing.expired = false;
            }
            None => apps.push(Connected {
                slug,
                created_ms: now,
                updated_ms: now,
                expired: false,
            }),
        }
        true
    }

    /// Marks `account`'s connection of `slug` expired; false when there is
    /// none.
    pub(crate) fn expire(&self, account: &str, slug: &str) -> bool {
        let mut inner = self.lock();
        let Some(connected) = inner
            .by_account
            .get_mut(account)
            .and_then(|apps| apps.iter_mut().find(|c| c.slug == slug))
        else {
            return false;
        };
        connected.expired = true;
        connected.updated_ms = now_millis();
        true
    }

    /// Whether `account`'s connection of `slug` expired.
    pub(crate) fn expired(&self, account: &str, slug: &str) -> bool {
        self.lock()
            .by_account
            .get(account)
            .and_then(|apps| apps.iter().find(|c| c.slug == slug))
            .is_some_and(|c| c.expired)
    }

    /// Forgets a deleted account's connections (and pending grants).
    pub(crate) fn forget(&self, account: &str) {
        let mut inner = self.lock();
        inner.by_account.remove(account);
        inner.grants.retain(|(_, a, _)| a != account);
    }

    /// A new grant for `account` to connect `slug` through the consent page.
    pub(crate) fn grant(&self, account: &str, slug: &'static str) -> String {
        let mut inner = self.lock();
        inner.next_grant += 1;
        let grant = format!(
            "g{}{:x}",
            inner.next_grant,
            std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), inner.next_grant)
        );
        if inner.grants.len() >= MAX_PENDING_GRANTS {
            inner.grants.pop_front();
        }
        inner
            .grants
            .push_back((grant.clone(), account.to_owned(), slug));
        grant
    }

    /// Takes a pending grant: its account and app.
    pub(crate) fn redeem(&self, grant: &str) -> Option<(String, &'static str)> {
        let mut inner = self.lock();
        let index = inner.grants.iter().position(|(g, _, _)| g == grant)?;
        inner
            .grants
            .remove(index)
            .map(|(_, account, slug)| (account, slug))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrations_keep_connection_order_and_times() {
        let connections = AppConnections::default();
        assert!(connections.set("a", "lumen-crm", true));
        assert!(connections.set("a", "parcel-post", true));
        assert!(connections.set("a", "lumen-crm", true));
        assert_eq!(connections.slugs("a"), ["lumen-crm", "parcel-post"]);
        let integrations = serde_json::to_value(connections.integrations("a")).unwrap();
        assert_eq!(integrations[0]["type"], "lumen-crm");
        assert_eq!(integrations[0]["name"], "Lumen CRM");
        assert_eq!(integrations[0]["app_id"], serde_json::Value::Null);
        assert!(
            integrations[0]["createdAt"].as_str().unwrap()
                <= integrations[0]["updatedAt"].as_str().unwrap()
        );
        connections.set("a", "lumen-crm", false);
        connections.set("a", "parcel-post", false);
        assert!(connections.slugs("a").is_empty());
        assert_eq!(connections.connected_at("a", "parcel-post"), None);
    }
}

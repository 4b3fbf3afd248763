//! The process-wide budgets: every client of the process with the same API key, base URL and
//! limit shares one, so building a client per request still stays under the limit.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use super::budget::Budget;
use super::limit::{RateLimit, Scope};

/// Above this many budgets, idle ones nobody holds are dropped when another is made (a new
/// budget starts exactly as an idle one is).
const PRUNE_ABOVE: usize = 64;

type Key = (Scope, u64, u32);

static BUDGETS: LazyLock<Mutex<HashMap<Key, Arc<Budget>>>> = LazyLock::new(Default::default);

/// The budget of `api_key` at `base_url` under `limit`, made on first use.
pub(crate) fn shared_budget(api_key: &str, base_url: &str, limit: RateLimit) -> Arc<Budget> {
    let scope = Scope::of(api_key, base_url);
    let key = (scope, limit.requests_per_second().to_bits(), limit.burst());
    let mut budgets = BUDGETS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(budget) = budgets.get(&key) {
        return Arc::clone(budget);
    }
    if budgets.len() >= PRUNE_ABOVE {
        budgets.retain(|_, budget| Arc::strong_count(budget) > 1 || !budget.is_idle());
    }
    let budget = Arc::new(Budget::new(limit, scope));
    budgets.insert(key, Arc::clone(&budget));
    budget
}

/// A budget no other client shares, as a client in another process has (tests that stand one
/// process for a fleet).
#[cfg(feature = "test-hooks")]
pub(crate) fn own_budget(api_key: &str, base_url: &str, limit: RateLimit) -> Arc<Budget> {
    Arc::new(Budget::new(limit, Scope::of(api_key, base_url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_live_RATELIMIT_DISTINCTIVE";

    #[test]
    fn clients_of_one_key_and_base_share_a_budget() {
        let limit = RateLimit::default();
        let one = shared_budget(KEY, "https://registry-test.example", limit);
        let two = shared_budget(KEY, "https://registry-test.example", limit);
        assert!(Arc::ptr_eq(&one, &two));
        let other_base = shared_budget(KEY, "https://registry-test-2.example", limit);
        let other_key = shared_budget("sk_other", "https://registry-test.example", limit);
        let other_limit = shared_budget(
            KEY,
            "https://registry-test.example",
            RateLimit::new(10.0, 5).unwrap(),
        );
        for other in [&other_base, &other_key, &other_limit] {
            assert!(!Arc::ptr_eq(&one, other));
        }
        let shown = format!("{one:?}");
        assert!(!shown.contains("DISTINCTIVE"), "{shown}");
    }

    #[test]
    fn scopes_hide_the_key() {
        let scope = Scope::of(KEY, "https://app.refold.ai");
        assert_eq!(scope.hex().len(), 32);
        assert_ne!(scope, Scope::of(KEY, "https://api.gocobalt.io"));
        // The separator keeps (key, base) pairs apart.
        assert_ne!(Scope::of("ab", "c"), Scope::of("a", "bc"));
        assert!(!format!("{scope:?}").contains("DISTINCTIVE"));
    }

    #[test]
    fn idle_budgets_nobody_holds_are_pruned() {
        let limit = RateLimit::new(7.0, 3).unwrap();
        let held = shared_budget(KEY, "https://prune-held.example", limit);
        for n in 0..(PRUNE_ABOVE * 2) {
            let _ = shared_budget(KEY, &format!("https://prune-{n}.example"), limit);
        }
        let count = BUDGETS.lock().unwrap().len();
        assert!(count <= PRUNE_ABOVE + 1, "{count} budgets kept");
        assert!(Arc::ptr_eq(
            &held,
            &shared_budget(KEY, "https://prune-held.example", limit)
        ));
    }
}
